"""Retrieval-augmented generation: ingest documents, retrieve chunks, pack them into a prompt.

Quick start::

    import agentdb
    from agentdb.embed import default_embedder     # offline, no download

    with agentdb.connect("./kb") as db:
        rag = db.rag("docs", embedder=default_embedder())
        rag.ingest_directory("./handbook")          # .txt .md .html (.pdf with agentdb-embedded[pdf])
        for hit in rag.search("how do I reset my password?", k=3):
            print(hit.source, hit.position, hit.score)
        ctx = rag.context("how do I reset my password?", max_tokens=800)
        prompt = f"Answer from these sources, citing [n]:\\n\\n{ctx.text}\\n\\nQuestion: ..."

How it works (all of it in the Rust engine, see ``rust/engine/src/rag.rs``):

- **Chunking** follows the text's structure: markdown sections (a chunk never spans two
  headings), then paragraphs, sentences, words; ``chunk_size`` / ``chunk_overlap`` count tokens
  (the engine's approximation, see :func:`count_tokens`, or your ``tokenizer``) or characters.
  Each chunk records its document id, source, position, character span, heading path and the
  SHA-256 of the whole document.
- **Re-ingesting** a document replaces all its chunks in one commit; a document whose text,
  source, metadata and chunk settings are unchanged is skipped without calling the embedder.
- **Search** is hybrid by default: the chunks nearest to the query's embedding and the best BM25
  matches (Lance's full-text index on the chunk text) are fused by reciprocal-rank fusion,
  ``score = vector_weight / (rrf_k + rank_vector) + text_weight / (rrf_k + rank_bm25)`` with
  the engine's defaults (``RetrieveOptions::default()``) ``rrf_k = {DEFAULT_RAG_RRF_K}``,
  ``vector_weight = {DEFAULT_RAG_VECTOR_WEIGHT}`` and ``text_weight = {DEFAULT_RAG_TEXT_WEIGHT}``;
  a side that did not return a chunk adds 0. Each side contributes ``candidates`` chunks
  (default ``max(4k, 20)``). ``where`` filters both sides before ranking. ``mmr=λ`` re-ranks
  for diversity (maximal marginal relevance).
- **Context** packs the best chunks into ``max_tokens``: passages grouped by document and in
  reading order, overlapping neighbours merged, each under a header ``[n] source § heading
  (chunk i)`` that the answer can cite.

The embedder is any callable ``list[str] -> array (n, dim)``; if it also has
``embed_query(str)`` (as the embedders of :mod:`agentdb.embed` and LangChain's do), queries go
through that, which matters for models such as E5 that embed queries and passages differently.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union, cast

import numpy as np

from . import _native
from ._args import as_list, as_vector, engine_defaults, fill_defaults, require
from .errors import InvalidArgumentError
from .ops import RagStats
from .loaders import DEFAULT_SUFFIXES, LoadedDocument, iter_files, load_file
from .results import Metadata

__all__ = [
    "Rag",
    "RagHit",
    "Context",
    "Citation",
    "IngestResult",
    "IngestSummary",
    "DocumentInfo",
    "Chunk",
    "chunk_text",
    "count_tokens",
    "Embedder",
    "Tokenizer",
]

#: Texts → an ``(n, dim)`` float array.
Embedder = Callable[[List[str]], Any]
#: Text → its number of tokens.
Tokenizer = Callable[[str], int]
Where = Union[str, Mapping[str, Any], None]
PathLike = Union[str, "os.PathLike[str]"]
DocumentLike = Union[LoadedDocument, Mapping[str, Any], Tuple[str, str]]


@dataclass(frozen=True)
class Chunk:
    """One chunk of a text: ``text == document[char_start:char_end]``."""

    text: str
    char_start: int
    char_end: int
    headings: List[str]
    tokens: int


@engine_defaults
def chunk_text(
    text: str,
    *,
    format: Optional[str] = None,
    size: Optional[int] = None,
    overlap: Optional[int] = None,
    unit: Optional[str] = None,
    tokenizer: Optional[Tokenizer] = None,
) -> List[Chunk]:
    """Cuts ``text`` into chunks the way ingest does (see the module docs). Settings left
    ``None`` take the engine's defaults (``ChunkOptions::default()``: {DEFAULT_CHUNK_SIZE}
    {DEFAULT_CHUNK_UNIT}, {DEFAULT_CHUNK_OVERLAP} of overlap; format {DEFAULT_TEXT_FORMAT!r}).

    Args:
        format: ``"plain"`` or ``"markdown"``.
        size: the most a chunk holds, in ``unit``.
        overlap: how much of a chunk's tail the next chunk of the same section repeats
            (whole sentences/paragraphs, at most this much; below ``size``).
        unit: ``"tokens"`` or ``"chars"``.
        tokenizer: counts tokens (default: :func:`count_tokens`).
    """
    raw = _native.chunk_text(text, format, size, overlap, unit, tokenizer)
    return [Chunk(t, s, e, list(h), n) for (t, s, e, h, n) in raw]


def count_tokens(text: str) -> int:
    """The engine's token approximation: a run of letters/digits counts one token per started
    6 characters, other non-space characters one each, CJK characters one each (about ±15% of
    GPT-style BPE counts on English prose)."""
    return _native.count_tokens(text)


@dataclass(frozen=True)
class RagHit:
    """A retrieved chunk.

    ``score`` is the fused RRF score (larger is better). ``vector_rank``/``distance`` and
    ``text_rank``/``bm25`` tell what each retriever made of the chunk (``None``: it was not among
    that retriever's candidates).
    """

    id: str
    doc_id: str
    source: str
    position: int
    char_start: int
    char_end: int
    heading: str
    text: str
    score: float
    vector_rank: Optional[int]
    distance: Optional[float]
    text_rank: Optional[int]
    bm25: Optional[float]
    metadata: Metadata


@dataclass(frozen=True)
class Citation:
    """Where passage ``[number]`` of a :class:`Context` comes from."""

    number: int
    doc_id: str
    source: str
    heading: str
    positions: List[int]
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Context:
    """Chunks packed into a token budget; ``str(ctx)`` is ``ctx.text``."""

    text: str
    tokens: int
    citations: List[Citation]

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class IngestResult:
    """What ingest did with one document: ``status`` is ``"added"``, ``"replaced"`` or
    ``"unchanged"`` (skipped: same hash); ``chunks`` is how many it now has (0 when skipped)."""

    doc_id: str
    status: str
    chunks: int


@dataclass
class IngestSummary:
    """Totals of an ingest of many documents (``results`` in input order)."""

    results: List[IngestResult] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(r.status == "added" for r in self.results)

    @property
    def replaced(self) -> int:
        return sum(r.status == "replaced" for r in self.results)

    @property
    def unchanged(self) -> int:
        return sum(r.status == "unchanged" for r in self.results)

    @property
    def chunks(self) -> int:
        """Chunks written (skipped documents count 0)."""
        return sum(r.chunks for r in self.results)

    def __repr__(self) -> str:
        return (f"IngestSummary(documents={len(self.results)}, added={self.added}, replaced={self.replaced}, "
                f"unchanged={self.unchanged}, chunks={self.chunks})")


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document: its id, source, number of chunks and SHA-256 of its text."""

    doc_id: str
    source: str
    chunks: int
    content_hash: str


def _embed_passages(embedder: Embedder, texts: List[str]) -> np.ndarray:
    fn = getattr(embedder, "embed_documents", None) or embedder
    return np.ascontiguousarray(np.asarray(fn(texts), dtype=np.float32))


def _embed_query(embedder: Embedder, text: str) -> np.ndarray:
    fn = getattr(embedder, "embed_query", None)
    if fn is not None:
        v = np.asarray(fn(text), dtype=np.float32)
    else:
        v = np.asarray(embedder([text]), dtype=np.float32)
    return np.ascontiguousarray(v.reshape(-1))


def _as_document(d: DocumentLike, i: int) -> Tuple[str, str, Optional[str], Optional[str], Optional[Metadata]]:
    if isinstance(d, LoadedDocument):
        return (d.id, d.text, d.source, d.format, d.metadata)
    if isinstance(d, tuple) and len(d) == 2:
        return (str(d[0]), d[1], None, None, None)
    if isinstance(d, Mapping):
        try:
            # No format (or an empty one): the engine's default.
            return (d["id"], d["text"], d.get("source"), d.get("format") or None, d.get("metadata"))
        except KeyError as e:
            raise InvalidArgumentError(f"document {i}: a dict document needs 'id' and 'text'") from e
    raise InvalidArgumentError(
        f"document {i}: expected a LoadedDocument, a dict with 'id' and 'text', or an (id, text) tuple, got {type(d).__name__}"
    )


class Rag:
    """A RAG store: chunks of documents with their embeddings and a full-text index.

    Get one with :meth:`agentdb.Database.rag`. The chunks live in a hidden collection of the
    database (``_agentdb_rag_<name>``); writes are atomic per call and durable when they return.
    The store keeps its database open (``agentdb.connect(p).rag(...)`` is usable on its own);
    after :meth:`agentdb.Database.close` it raises :class:`~agentdb.errors.ClosedError`.
    """

    __slots__ = ("_native", "_embedder", "_tokenizer", "_chunk")

    def __init__(
        self,
        native: "_native.Rag",
        embedder: Optional[Embedder],
        *,
        tokenizer: Optional[Tokenizer] = None,
        chunk_size: Optional[int] = None,
        chunk_overlap: Optional[int] = None,
        chunk_unit: Optional[str] = None,
    ) -> None:
        self._native = native
        self._embedder = embedder
        self._tokenizer = tokenizer
        self._chunk = (chunk_size, chunk_overlap, chunk_unit)

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def dim(self) -> int:
        return self._native.dim

    @property
    def metric(self) -> str:
        return self._native.metric

    def __repr__(self) -> str:
        return f"Rag({self.name!r}, dim={self.dim}, metric={self.metric!r})"

    # -- ingest ---------------------------------------------------------------------------------

    @engine_defaults
    def ingest(
        self,
        text: str,
        *,
        id: Optional[str] = None,
        source: Optional[str] = None,
        format: Optional[str] = None,
        metadata: Optional[Metadata] = None,
        force: bool = False,
    ) -> IngestResult:
        """Ingests one text.

        Args:
            id: the document id (default: ``"sha256:"`` + the first 16 hex digits of the text's
                SHA-256, so the same text is one document). Re-ingesting an id replaces it.
            source: cited in contexts (default: the id).
            format: ``"plain"`` or ``"markdown"`` (``None``: the engine's default,
                ``{DEFAULT_TEXT_FORMAT!r}``).
            metadata: copied onto every chunk (filterable with ``where``); keys ``doc_id``,
                ``source``, ``position``, ``char_start``, ``char_end``, ``heading``, ``tokens``,
                ``content_hash`` and ``ingest_hash`` are reserved.
            force: re-chunk and re-embed even if unchanged.
        """
        if not isinstance(text, str):
            raise InvalidArgumentError(f"text must be a str, got {type(text).__name__}")
        doc_id = id if id is not None else "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        return self.ingest_documents(
            [{"id": doc_id, "text": text, "source": source, "format": format, "metadata": metadata}], force=force
        ).results[0]

    def ingest_documents(
        self,
        docs: Iterable[DocumentLike],
        *,
        batch_size: int = 32,
        force: bool = False,
        progress: bool = False,
        total: Optional[int] = None,
    ) -> IngestSummary:
        """Ingests many documents, ``batch_size`` per engine call (each call embeds the chunks of
        its changed documents in one embedder call and writes them in one commit).

        Args:
            docs: :class:`~agentdb.loaders.LoadedDocument` objects, dicts with ``id``, ``text``
                and optionally ``source``, ``format``, ``metadata``, or ``(id, text)`` tuples.
            progress: show a tqdm progress bar (if tqdm is installed).
            total: the number of documents, for the progress bar of a generator.
        """
        require("batch_size", batch_size, (int, np.integer), "an int")
        if batch_size < 1:
            raise InvalidArgumentError(f"batch_size must be at least 1, got {batch_size}")
        summary = IngestSummary()
        bar = _progress(progress, total if total is not None else _len_or_none(docs), "ingest")
        try:
            batch: List[Tuple[str, str, Optional[str], Optional[str], Optional[Metadata]]] = []
            for i, d in enumerate(docs):
                batch.append(_as_document(d, i))
                if len(batch) == batch_size:
                    self._ingest_batch(batch, force, summary, bar)
                    batch = []
            if batch:
                self._ingest_batch(batch, force, summary, bar)
        finally:
            if bar is not None:
                bar.close()
        # (Each batch's ingest in the engine has brought the full-text index up to date.)
        return summary

    def _ingest_batch(self, batch: list, force: bool, summary: IngestSummary, bar: Any) -> None:
        size, overlap, unit = self._chunk
        embedder = self._need_embedder("ingest")
        raw = self._native.ingest(
            batch, lambda texts: _embed_passages(embedder, texts), size, overlap, unit, force, self._tokenizer
        )
        summary.results.extend(IngestResult(*r) for r in raw)
        if bar is not None:
            bar.update(len(batch))

    def ingest_file(
        self,
        path: PathLike,
        *,
        id: Optional[str] = None,
        metadata: Optional[Metadata] = None,
        encoding: str = "utf-8",
        format: Optional[str] = None,
        force: bool = False,
    ) -> IngestResult:
        """Ingests one file (``.txt``, ``.md``, ``.html``; ``.pdf`` with ``agentdb-embedded[pdf]``), see
        :func:`agentdb.loaders.load_file`. The id defaults to the path as given."""
        doc = load_file(path, id=id, metadata=metadata, encoding=encoding, format=format)
        return self.ingest_documents([doc], force=force).results[0]

    def ingest_directory(
        self,
        path: PathLike,
        *,
        suffixes: Sequence[str] = DEFAULT_SUFFIXES,
        recursive: bool = True,
        metadata: Optional[Metadata] = None,
        encoding: str = "utf-8",
        batch_size: int = 16,
        force: bool = False,
        progress: bool = True,
    ) -> IngestSummary:
        """Ingests every matching file under ``path`` (hidden files and directories skipped).

        Each file's id is its path relative to ``path`` (``guide/install.md``), so a directory can
        be re-ingested after edits: changed files are replaced, unchanged ones skipped. The source
        is the path as found (``path`` joined with the relative path). Files that fail to load
        raise; nothing of a failing batch is written.
        """
        root = Path(path)
        files = list(iter_files(root, suffixes=suffixes, recursive=recursive))

        def docs() -> Iterable[LoadedDocument]:
            for f in files:
                rel = f.relative_to(root).as_posix()
                yield load_file(f, id=rel, metadata=metadata, encoding=encoding)

        return self.ingest_documents(docs(), batch_size=batch_size, force=force, progress=progress, total=len(files))

    # -- retrieval ------------------------------------------------------------------------------

    @engine_defaults
    def search(
        self,
        query: str,
        k: Optional[int] = None,
        *,
        mode: Optional[str] = None,
        where: Where = None,
        mmr: Optional[float] = None,
        vector_weight: Optional[float] = None,
        text_weight: Optional[float] = None,
        rrf_k: Optional[float] = None,
        candidates: Optional[int] = None,
        query_vector: Optional[Any] = None,
    ) -> List[RagHit]:
        """The ``k`` best chunks for ``query``, best first. Options left ``None`` take the
        engine's defaults (``RetrieveOptions::default()``: ``k`` {DEFAULT_RAG_K}, ``mode``
        {DEFAULT_RAG_MODE!r}, ``vector_weight`` {DEFAULT_RAG_VECTOR_WEIGHT}, ``text_weight``
        {DEFAULT_RAG_TEXT_WEIGHT}, ``rrf_k`` {DEFAULT_RAG_RRF_K}, no MMR).

        Args:
            mode: ``"hybrid"`` (vector + BM25 fused by RRF), ``"vector"`` or ``"text"`` (BM25).
            where: filter on chunk metadata (document metadata plus ``doc_id``, ``source``,
                ``position``, …), a dict or SQL string as for collections; applied to both sides.
            mmr: λ in [0, 1] for maximal-marginal-relevance re-ranking (lower = more diverse).
            vector_weight, text_weight, rrf_k: the RRF formula (see the module docs).
            candidates: chunks each retriever contributes (default ``max(4k, 20)``).
            query_vector: the query's embedding, if already computed (else the embedder runs).
        """
        vec = self._query_vector(query, mode, query_vector)
        raw = self._native.search(query, vec, k, mode, vector_weight, text_weight, rrf_k, candidates, mmr, where)
        return [RagHit(*r) for r in raw]

    @engine_defaults
    def context(
        self,
        query: str,
        max_tokens: Optional[int] = None,
        *,
        k: Optional[int] = None,
        mode: Optional[str] = None,
        where: Where = None,
        mmr: Optional[float] = None,
        document_order: Optional[bool] = None,
        vector_weight: Optional[float] = None,
        text_weight: Optional[float] = None,
        rrf_k: Optional[float] = None,
        candidates: Optional[int] = None,
        query_vector: Optional[Any] = None,
    ) -> Context:
        """The best chunks for ``query`` packed into ``max_tokens`` (counted with the RAG's
        tokenizer, default :func:`count_tokens`), ready to paste into a prompt. Options left
        ``None`` take the engine's defaults (``ContextOptions::default()``: ``max_tokens``
        {DEFAULT_CONTEXT_MAX_TOKENS}, ``k`` {DEFAULT_CONTEXT_K}, ``document_order``
        {DEFAULT_CONTEXT_DOCUMENT_ORDER}, and the retrieval defaults of :meth:`search`).

        The ``k`` best chunks are candidates; they are taken in score order while they fit.
        With ``document_order``, passages are grouped by document (documents in order of
        their best chunk) and in reading order within one, and overlapping or adjacent chunks are
        merged into one passage; each passage is headed ``[n] source § heading (chunk i)``. If
        not even the best chunk fits, its beginning is given, cut at a word and marked ``…``.
        """
        vec = self._query_vector(query, mode, query_vector)
        text, tokens, cites = self._native.context(
            query, vec, max_tokens, k, mode, vector_weight, text_weight, rrf_k, candidates, mmr, where,
            document_order, self._tokenizer,
        )
        return Context(text, tokens, [Citation(n, d, s, h, list(p), a, b) for (n, d, s, h, p, a, b) in cites])

    def _query_vector(self, query: str, mode: Optional[str], given: Optional[Any]) -> Optional[np.ndarray]:
        require("query", query, str, "a str")
        if mode is not None:
            require("mode", mode, str, 'a str ("hybrid", "vector" or "text")')
        if given is not None:
            return as_vector("query_vector", np.asarray(given).reshape(-1) if isinstance(given, np.ndarray) else given)
        # The engine names the mode (its spellings and its default): BM25 alone needs no vector.
        if _native.retrieval_mode(mode) == "text":
            return None
        return _embed_query(self._need_embedder("search with vectors (mode 'text' needs none)"), query)

    def _need_embedder(self, what: str) -> Embedder:
        if self._embedder is None:
            raise InvalidArgumentError(
                f"RAG {self.name!r} was opened without an embedder: pass embedder=… to {what}"
            )
        return self._embedder

    # -- management -----------------------------------------------------------------------------

    def delete(self, doc_ids: Union[str, Sequence[str]]) -> int:
        """Deletes documents (all their chunks); returns the number of chunks deleted."""
        ids = [doc_ids] if isinstance(doc_ids, str) else as_list("doc_ids", doc_ids, "a str or a sequence of str")
        return self._native.delete(ids)

    def documents(self) -> List[DocumentInfo]:
        """The stored documents, sorted by id."""
        return [DocumentInfo(*d) for d in self._native.documents()]

    def count(self, where: Where = None) -> int:
        """The number of chunks (matching ``where``)."""
        return self._native.count(where)

    def __len__(self) -> int:
        """The number of chunks."""
        return self.count()

    def stats(self) -> RagStats:
        """The chunk collection's rows, bytes, fragments, index and caches. Cheap: no row is
        read. See :class:`agentdb.ops.RagStats`."""
        return cast("RagStats", _native.rag_stats(self._native))

    def update_text_index(self) -> None:
        """Builds or refreshes the full-text index now (ingest and search do it when needed)."""
        self._native.update_text_index()

    @property
    def text_tokenizer(self) -> str:
        """The tokenizer of text and hybrid search: ``"simple"``, ``"icu"`` or ``"ngram:MIN-MAX"``."""
        return self._native.text_tokenizer

    def set_text_tokenizer(self, tokenizer: str) -> None:
        """Sets the tokenizer of text and hybrid search, kept with the store (a reopened store keeps
        it); the chunks' full-text index is rebuilt with it on the next search.

        Args:
            tokenizer: ``"simple"`` (English: stemming, stop words; the default), ``"icu"``
                (dictionary word segmentation for Chinese, Japanese, Korean and mixed text),
                ``"ngram"`` (character bigrams and trigrams), ``"ngram:N"`` or ``"ngram:MIN-MAX"``.

        Raises:
            InvalidArgumentError: an unknown tokenizer.
        """
        if not isinstance(tokenizer, str):
            raise InvalidArgumentError(f"tokenizer must be a str, got {type(tokenizer).__name__}")
        self._native.set_text_tokenizer(tokenizer)


def _len_or_none(x: Any) -> Optional[int]:
    try:
        return len(x)
    except TypeError:
        return None


def _progress(enabled: bool, total: Optional[int], desc: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="doc")


def _resolve_embedder(embedder: Optional[Embedder]) -> Embedder:
    if embedder is not None:
        if not callable(embedder):
            raise InvalidArgumentError(f"embedder must be callable (list[str] -> array), got {type(embedder).__name__}")
        return embedder
    try:
        from . import embed as _embed
    except ImportError as e:
        raise InvalidArgumentError("no embedder given and agentdb.embed is not available") from e
    factory = getattr(_embed, "default_embedder", None)
    if factory is None:
        raise InvalidArgumentError("no embedder given: pass embedder=… (a callable list[str] -> (n, dim) array)")
    return factory()


def _embedder_dim(embedder: Embedder) -> int:
    dim = getattr(embedder, "dim", None)
    if isinstance(dim, int) and dim > 0:
        return dim
    probe = _embed_passages(embedder, ["dimension probe"])
    if probe.ndim != 2 or probe.shape[0] != 1:
        raise InvalidArgumentError(f"the embedder must return an (n, dim) array, got shape {probe.shape}")
    return int(probe.shape[1])


def get_rag(
    db_native: "_native.Database",
    name: str,
    *,
    embedder: Optional[Embedder] = None,
    tokenizer: Optional[Tokenizer] = None,
    chunk_size: Optional[int] = None,
    chunk_overlap: Optional[int] = None,
    chunk_unit: Optional[str] = None,
) -> Rag:
    """Opens the existing RAG store ``name`` with its stored dimension and metric. See
    :meth:`agentdb.Database.get_rag`."""
    _native.chunk_text("", None, chunk_size, chunk_overlap, chunk_unit, None)
    if embedder is not None and not callable(embedder):
        raise InvalidArgumentError(f"embedder must be callable (list[str] -> array), got {type(embedder).__name__}")
    native = _native.Rag.open(db_native, name)
    return Rag(native, embedder, tokenizer=tokenizer, chunk_size=chunk_size, chunk_overlap=chunk_overlap, chunk_unit=chunk_unit)


def open_rag(
    db_native: "_native.Database",
    name: str,
    *,
    embedder: Optional[Embedder] = None,
    dim: Optional[int] = None,
    metric: Optional[str] = None,
    tokenizer: Optional[Tokenizer] = None,
    chunk_size: Optional[int] = None,
    chunk_overlap: Optional[int] = None,
    chunk_unit: Optional[str] = None,
) -> Rag:
    """:meth:`agentdb.Database.rag` (see there)."""
    # Check the chunk settings before anything is created.
    _native.chunk_text("", None, chunk_size, chunk_overlap, chunk_unit, None)
    emb = _resolve_embedder(embedder)
    if dim is None:
        dim = _embedder_dim(emb)
    native = _native.Rag(db_native, name, dim, metric)
    return Rag(native, emb, tokenizer=tokenizer, chunk_size=chunk_size, chunk_overlap=chunk_overlap, chunk_unit=chunk_unit)


__doc__ = fill_defaults(__doc__)
