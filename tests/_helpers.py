"""Helpers shared by the test modules (imported as ``from _helpers import ...``)."""

from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Tuple, Type

import numpy as np
import pytest

import agentdb


@contextlib.contextmanager
def raises_exactly(cls: Type[BaseException], match: str | None = None) -> Iterator[Any]:
    """Like ``pytest.raises`` but the exception must be of exactly ``cls``, not a subclass."""
    with pytest.raises(cls, match=match) as info:
        yield info
    assert type(info.value) is cls, f"expected exactly {cls.__name__}, got {type(info.value).__name__}: {info.value}"


def snapshot(c: agentdb.Collection) -> Tuple[int, Dict[str, Tuple[bytes, Any, Any]]]:
    """Everything observable in a collection: its count and every record."""
    r = c.get()
    records = {
        rec.id: (np.asarray(rec.vector, dtype=np.float32).tobytes(), rec.document, rec.metadata) for rec in r
    }
    assert len(records) == len(r)
    return c.count(), records


def np_distances(metric: str, query: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The engine's documented distances, computed with numpy in float64."""
    q = np.asarray(query, dtype=np.float64)
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, q.shape[0])
    if metric == "l2":
        return ((v - q) ** 2).sum(axis=1)
    if metric == "cosine":
        return 1.0 - (v @ q) / (np.linalg.norm(v, axis=1) * np.linalg.norm(q))
    if metric == "dot":
        return 1.0 - v @ q
    raise ValueError(metric)
