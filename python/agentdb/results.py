"""Result objects: what :meth:`Collection.get` and :meth:`Collection.search` return.

Both are column-oriented (``.ids``, ``.documents``, ``.metadata`` are lists; vectors and
distances are numpy arrays) and iterate row by row as named tuples. ``to_arrow()`` and
``to_pandas()`` import pyarrow / pandas only when called (``pip install agentdb-embedded[pandas]``).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Dict, Generic, Iterator, List, NamedTuple, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas
    import pyarrow

__all__ = [
    "MetadataValue",
    "Metadata",
    "Hit",
    "Record",
    "SearchResult",
    "GetResult",
    "TextHit",
    "TextSearchResult",
    "HybridHit",
    "HybridSearchResult",
]

#: A metadata value: ``str``, ``int``, ``float``, ``bool``, ``datetime`` (returned timezone-aware,
#: in UTC) or ``list[str]``. A key whose value is ``None`` is simply absent.
MetadataValue = Union[str, int, float, bool, _dt.datetime, List[str]]
#: The metadata of one record.
Metadata = Dict[str, MetadataValue]


class Hit(NamedTuple):
    """One search hit."""

    id: str
    distance: float
    document: Optional[str]
    metadata: Metadata


class Record(NamedTuple):
    """One stored record."""

    id: str
    vector: np.ndarray
    document: Optional[str]
    metadata: Metadata


def _import_pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_arrow()/to_pandas() need pyarrow: pip install 'agentdb-embedded[arrow]'") from e
    return pyarrow


def _arrow_type(pa: Any, type_name: str) -> Any:
    return {
        "bool": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "str": pa.string(),
        "datetime": pa.timestamp("us", tz="UTC"),
        "list[str]": pa.list_(pa.string()),
    }[type_name]


def _metadata_columns(pa: Any, metadata: Sequence[Metadata], schema: Sequence[Tuple[str, str]]) -> Dict[str, Any]:
    """One Arrow column per metadata key: every key of the collection's schema, typed as stored
    (null where a record lacks the key), then any other key found in the rows (inferred)."""
    columns: Dict[str, Any] = {}
    for key, type_name in schema:
        columns[key] = pa.array([m.get(key) for m in metadata], type=_arrow_type(pa, type_name))
    extra: Dict[str, None] = {}
    for m in metadata:
        for key in m:
            if key not in columns:
                extra.setdefault(key)
    for key in extra:
        columns[key] = pa.array([m.get(key) for m in metadata])
    return columns


_Row = TypeVar("_Row")


class _Rows(Generic[_Row]):
    """What every result container shares: ``len``, iteration over its rows (``self[i]``) and
    :meth:`to_pandas` over its :meth:`to_arrow`."""

    __slots__ = ()

    ids: List[str]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[_Row]:
        for i in range(len(self.ids)):
            yield self[i]

    def __getitem__(self, i: int) -> _Row:
        raise NotImplementedError

    def to_arrow(self) -> "pyarrow.Table":
        raise NotImplementedError

    def to_pandas(self) -> "pandas.DataFrame":
        """The rows as a pandas DataFrame (the columns of :meth:`to_arrow`)."""
        return self.to_arrow().to_pandas()


class SearchResult(_Rows[Hit]):
    """The nearest records to one query, closest first.

    Attributes:
        ids: the record ids.
        distances: ``np.ndarray`` of float32, ascending. Smaller is closer: cosine →
            ``1 - cos(q, v)`` (0 … 2), l2 → squared Euclidean distance, dot → ``1 - q·v``.
        documents: the documents (``None`` where a record has none).
        metadata: one dict per hit.

    Iterating yields :class:`Hit` tuples ``(id, distance, document, metadata)``.
    """

    __slots__ = ("ids", "distances", "documents", "metadata", "_schema")

    ids: List[str]
    distances: np.ndarray
    documents: List[Optional[str]]
    metadata: List[Metadata]

    def __init__(
        self,
        ids: List[str],
        distances: np.ndarray,
        documents: List[Optional[str]],
        metadata: List[Metadata],
        schema: Sequence[Tuple[str, str]] = (),
    ) -> None:
        self.ids = ids
        self.distances = distances
        self.documents = documents
        self.metadata = metadata
        self._schema = tuple(schema)

    def __getitem__(self, i: int) -> Hit:
        return Hit(self.ids[i], float(self.distances[i]), self.documents[i], self.metadata[i])

    def __repr__(self) -> str:
        shown = ", ".join(f"({h.id!r}, {h.distance:.4g})" for h in list(self)[:5])
        more = ", …" if len(self) > 5 else ""
        return f"SearchResult([{shown}{more}])"

    def to_arrow(self) -> "pyarrow.Table":
        """The hits as a pyarrow Table: ``id``, ``document``, one column per metadata key, and
        ``_distance`` (float32)."""
        pa = _import_pyarrow()
        columns: Dict[str, Any] = {
            "id": pa.array(self.ids, type=pa.string()),
            "document": pa.array(self.documents, type=pa.string()),
        }
        columns.update(_metadata_columns(pa, self.metadata, self._schema))
        columns["_distance"] = pa.array(np.asarray(self.distances, dtype=np.float32), type=pa.float32())
        return pa.table(columns)


class GetResult(_Rows[Record]):
    """Records read from a collection.

    Attributes:
        ids: the record ids.
        vectors: ``np.ndarray`` of shape ``(len(ids), dim)``, float32.
        documents: the documents (``None`` where a record has none).
        metadata: one dict per record.

    Iterating yields :class:`Record` tuples ``(id, vector, document, metadata)``.
    """

    __slots__ = ("ids", "vectors", "documents", "metadata", "_schema")

    ids: List[str]
    vectors: np.ndarray
    documents: List[Optional[str]]
    metadata: List[Metadata]

    def __init__(
        self,
        ids: List[str],
        vectors: np.ndarray,
        documents: List[Optional[str]],
        metadata: List[Metadata],
        schema: Sequence[Tuple[str, str]] = (),
    ) -> None:
        self.ids = ids
        self.vectors = vectors
        self.documents = documents
        self.metadata = metadata
        self._schema = tuple(schema)

    def __getitem__(self, i: int) -> Record:
        return Record(self.ids[i], self.vectors[i], self.documents[i], self.metadata[i])

    def __repr__(self) -> str:
        shown = ", ".join(repr(i) for i in self.ids[:5])
        more = ", …" if len(self) > 5 else ""
        return f"GetResult(ids=[{shown}{more}], dim={self.vectors.shape[1] if self.vectors.ndim == 2 else '?'})"

    def to_arrow(self) -> "pyarrow.Table":
        """The records as a pyarrow Table: ``id``, ``vector`` (fixed-size list of float32),
        ``document``, and one column per metadata key."""
        pa = _import_pyarrow()
        vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        columns: Dict[str, Any] = {
            "id": pa.array(self.ids, type=pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), type=pa.float32()), dim),
            "document": pa.array(self.documents, type=pa.string()),
        }
        columns.update(_metadata_columns(pa, self.metadata, self._schema))
        return pa.table(columns)


class TextHit(NamedTuple):
    """One full-text (BM25) search hit."""

    id: str
    score: float
    document: Optional[str]
    metadata: Metadata


class TextSearchResult(_Rows[TextHit]):
    """The records that best match a text query by BM25, best first
    (:meth:`Collection.text_search`).

    Attributes:
        ids: the record ids.
        scores: ``np.ndarray`` of float32, descending. BM25 scores: larger is better; they are
            comparable within one query only.
        documents: the documents.
        metadata: one dict per hit.

    Iterating yields :class:`TextHit` tuples ``(id, score, document, metadata)``.
    """

    __slots__ = ("ids", "scores", "documents", "metadata", "_schema")

    ids: List[str]
    scores: np.ndarray
    documents: List[Optional[str]]
    metadata: List[Metadata]

    def __init__(
        self,
        ids: List[str],
        scores: np.ndarray,
        documents: List[Optional[str]],
        metadata: List[Metadata],
        schema: Sequence[Tuple[str, str]] = (),
    ) -> None:
        self.ids = ids
        self.scores = scores
        self.documents = documents
        self.metadata = metadata
        self._schema = tuple(schema)

    def __getitem__(self, i: int) -> TextHit:
        return TextHit(self.ids[i], float(self.scores[i]), self.documents[i], self.metadata[i])

    def __repr__(self) -> str:
        shown = ", ".join(f"({h.id!r}, {h.score:.4g})" for h in list(self)[:5])
        more = ", …" if len(self) > 5 else ""
        return f"TextSearchResult([{shown}{more}])"

    def to_arrow(self) -> "pyarrow.Table":
        """The hits as a pyarrow Table: ``id``, ``document``, one column per metadata key, and
        ``_score`` (float32)."""
        pa = _import_pyarrow()
        columns: Dict[str, Any] = {
            "id": pa.array(self.ids, type=pa.string()),
            "document": pa.array(self.documents, type=pa.string()),
        }
        columns.update(_metadata_columns(pa, self.metadata, self._schema))
        columns["_score"] = pa.array(np.asarray(self.scores, dtype=np.float32), type=pa.float32())
        return pa.table(columns)


class HybridHit(NamedTuple):
    """One hybrid search hit: the fused score, and each side's 1-based rank and raw score
    (``None`` where that side did not return the record)."""

    id: str
    score: float
    document: Optional[str]
    metadata: Metadata
    vector_rank: Optional[int]
    distance: Optional[float]
    text_rank: Optional[int]
    bm25: Optional[float]


class HybridSearchResult(_Rows[HybridHit]):
    """The best records by vector similarity and BM25 fused, best first
    (:meth:`Collection.hybrid_search`).

    Attributes:
        ids: the record ids.
        scores: ``np.ndarray`` of float32, descending: the fused scores.
        documents: the documents (``None`` where a record has none).
        metadata: one dict per hit.
        vector_ranks, distances: each hit's rank (1-based) and distance in the vector
            ranking, ``None`` where the vector search did not return it.
        text_ranks, bm25_scores: the same for the BM25 ranking.

    Iterating yields :class:`HybridHit` tuples.
    """

    __slots__ = (
        "ids",
        "scores",
        "documents",
        "metadata",
        "vector_ranks",
        "distances",
        "text_ranks",
        "bm25_scores",
        "_schema",
    )

    ids: List[str]
    scores: np.ndarray
    documents: List[Optional[str]]
    metadata: List[Metadata]
    vector_ranks: List[Optional[int]]
    distances: List[Optional[float]]
    text_ranks: List[Optional[int]]
    bm25_scores: List[Optional[float]]

    def __init__(
        self,
        ids: List[str],
        scores: np.ndarray,
        documents: List[Optional[str]],
        metadata: List[Metadata],
        vector_ranks: List[Optional[int]],
        distances: List[Optional[float]],
        text_ranks: List[Optional[int]],
        bm25_scores: List[Optional[float]],
        schema: Sequence[Tuple[str, str]] = (),
    ) -> None:
        self.ids = ids
        self.scores = scores
        self.documents = documents
        self.metadata = metadata
        self.vector_ranks = vector_ranks
        self.distances = distances
        self.text_ranks = text_ranks
        self.bm25_scores = bm25_scores
        self._schema = tuple(schema)

    def __getitem__(self, i: int) -> HybridHit:
        return HybridHit(
            self.ids[i],
            float(self.scores[i]),
            self.documents[i],
            self.metadata[i],
            self.vector_ranks[i],
            self.distances[i],
            self.text_ranks[i],
            self.bm25_scores[i],
        )

    def __repr__(self) -> str:
        shown = ", ".join(f"({h.id!r}, {h.score:.4g})" for h in list(self)[:5])
        more = ", …" if len(self) > 5 else ""
        return f"HybridSearchResult([{shown}{more}])"

    def to_arrow(self) -> "pyarrow.Table":
        """The hits as a pyarrow Table: ``id``, ``document``, one column per metadata key, then
        ``_score`` (float32), ``_vector_rank``, ``_distance``, ``_text_rank`` and ``_bm25``
        (null where that side did not return the hit)."""
        pa = _import_pyarrow()
        columns: Dict[str, Any] = {
            "id": pa.array(self.ids, type=pa.string()),
            "document": pa.array(self.documents, type=pa.string()),
        }
        columns.update(_metadata_columns(pa, self.metadata, self._schema))
        columns["_score"] = pa.array(np.asarray(self.scores, dtype=np.float32), type=pa.float32())
        columns["_vector_rank"] = pa.array(self.vector_ranks, type=pa.int64())
        columns["_distance"] = pa.array(self.distances, type=pa.float32())
        columns["_text_rank"] = pa.array(self.text_ranks, type=pa.int64())
        columns["_bm25"] = pa.array(self.bm25_scores, type=pa.float32())
        return pa.table(columns)

