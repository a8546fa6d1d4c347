"""Collections: records of ``(id, vector, document, metadata)`` with nearest-neighbour search
(exact, or approximate through an HNSW index: see :meth:`Collection.create_index`).

Distances (smaller is closer), as computed by the engine:

=========  =============================  =====================================
metric     distance                       range
=========  =============================  =====================================
cosine     ``1 - cos(q, v)``              0 (same direction) … 2 (opposite)
l2         ``Σ (q_i - v_i)²`` (squared)   0 …
dot        ``1 - q·v``                    any real (for unit vectors: 0 … 2)
=========  =============================  =====================================

Filters (``where=``) come in two forms, both evaluated inside LanceDB (prefiltered: ``search``
returns the ``k`` nearest among the records that match; with an index, approximately, see below):

* a SQL boolean expression over the columns: ``"lang = 'en' AND year >= 2020"``. Columns are
  ``id``, ``document``, ``created_at``, ``updated_at`` and every metadata key. The string is
  handed to LanceDB as it is: do not build it from untrusted values, use a dict filter.
* a dict in the style of Chroma / MongoDB, compiled by the engine, which quotes every value (so
  ``{"lang": "x' OR 1=1 --"}`` is just a string that matches nothing)::

      where := {entry, ...}                      every entry must hold (AND)
      entry := "$and": [where, ...] | "$or": [where, ...] | "$not": where
             | field: value                      equality
             | field: {op: value, ...}
      op    := $eq $ne $gt $gte $lt $lte         comparisons (numbers, str, datetime)
             | $in $nin                          value in / not in a list
             | $contains                         list[str] field holds the string,
                                                 or a str field contains the substring
             | $exists                           True: the record has the key; False: it lacks it

  A condition on a key matches only records that have the key (SQL semantics); a key that no
  record has ever had matches nothing. Datetime values may be ``datetime`` objects or RFC 3339
  strings; a naive datetime is UTC.

Index: :meth:`Collection.create_index` builds an HNSW graph over the collection's vectors;
``search`` then walks it (``ef=`` trades speed for recall; ``exact=True`` scans every record
anyway). The index is kept current by every write (adds, upserts that move a vector, deletes,
which are never returned), saved next to the data in ``<db>/_agentdb/<name>.hnsw`` with a
checksum and the Lance version it matches, and saved again on close; a file that is damaged or
stale is rebuilt from the data when the vectors are next loaded (first search after opening),
never trusted. A filter that lets through fewer than 5% of the records is answered by the exact
scan (the graph walk would find too few of them).
``create_index("hnsw", quantization="int8")`` walks the graph on int8 codes and re-ranks with
float32; the float32 vectors then live in a memory-mapped cache file,
``<db>/_agentdb/<name>.vectors.f32``, that the OS pages in as needed and can evict, instead of in
the process's heap (a read-only database keeps them in memory). ``create_index("ivf_pq")`` uses Lance's IVF_PQ index instead, searched on disk (for
collections larger than memory; ``nprobes=`` and ``refine_factor=`` tune its searches).

Vectors: a float32 C-contiguous numpy array is read in place (no copy); other dtypes and Python
lists are converted once. Metadata values: ``str``, ``int``, ``float``, ``bool``, ``datetime``,
``list[str]``; ``None`` means "no such key". Keys are identifiers (letters, digits, ``_``), and a
key keeps the type of its first value (ints widen to float).

Nesting: metadata and dict filters, like every value AgentDB takes, may nest at most
:data:`agentdb.MAX_VALUE_DEPTH` (100) levels (each dict, list or tuple is one level, the record's
metadata dict included); deeper ones, and a dict or list that contains itself, raise
:class:`~agentdb.errors.InvalidArgumentError` before anything is read from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union, cast, overload

import numpy as np

from . import _native
from . import errors as _errors
from ._args import engine_defaults, require
from .ops import CollectionStats
from .results import GetResult, HybridSearchResult, SearchResult, TextSearchResult

__all__ = [
    "Collection",
    "IndexInfo",
    "INDEX_KINDS",
    "QUANTIZATIONS",
    "Where",
    "VectorLike",
    "VectorsLike",
    "search_counters",
    "reset_search_counters",
]

#: The index kinds :meth:`Collection.create_index` builds (the engine's ``IndexKind::ALL``).
INDEX_KINDS: Tuple[str, ...] = tuple(_native.INDEX_KINDS)
#: The vector encodings an HNSW index walks (the engine's ``Quantization::ALL``).
QUANTIZATIONS: Tuple[str, ...] = tuple(_native.QUANTIZATIONS)

#: A filter: a SQL string or a dict (see the module documentation), or None for "all records".
Where = Union[str, Mapping[str, Any], None]
#: One vector: a 1-D numpy array or a sequence of numbers.
VectorLike = Union[np.ndarray, Sequence[float]]
#: Many vectors: a 2-D numpy array ``(n, dim)`` or a sequence of vectors.
VectorsLike = Union[np.ndarray, Sequence[VectorLike]]

@dataclass(frozen=True)
class IndexInfo:
    """The index of a collection (:attr:`Collection.index`). Parameters that do not apply to
    the kind are ``None``.

    Attributes:
        kind: ``"hnsw"`` (AgentDB's in-memory graph) or ``"ivf_pq"`` (Lance's on-disk index).
        m: HNSW: links per node on the upper layers of the graph (twice as many on layer 0).
        ef_construction: HNSW: the candidate list size the graph was built with.
        quantization: HNSW: ``"none"`` (the graph walk compares float32 vectors), ``"int8"``,
            ``"rabitq"`` (1 bit per dimension), ``"rabitq2"``, ``"rabitq4"`` or ``"rabitq8"``.
        partitions: IVF_PQ: the number of partitions (0: chosen from the data, about √n).
        sub_vectors: IVF_PQ: PQ sub-vectors per vector (0: Lance's default).
    """

    kind: str
    m: Optional[int] = None
    ef_construction: Optional[int] = None
    quantization: Optional[str] = None
    partitions: Optional[int] = None
    sub_vectors: Optional[int] = None

    def to_dict(self) -> Dict[str, Any]:
        """The kind and the parameters that apply to it, e.g.
        ``{"kind": "hnsw", "m": 16, "ef_construction": 200, "quantization": "none"}``."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def search_counters() -> Dict[str, int]:
    """What HNSW searches did in this process since the last :func:`reset_search_counters`,
    summed over every search of every collection (for benchmarks: divide by ``"searches"``).

    Keys: ``searches`` (graph walks), ``expansions`` (nodes whose links were read),
    ``distances`` (float32 / int8 distances in the walk), ``codes_scored`` (RaBitQ estimates in
    the walk), ``reranks`` (exact float32 distances after a quantized walk), ``rerank_skipped``
    (RaBitQ candidates whose error bound could not beat the k-th), ``bytes`` (links, vectors,
    codes and re-ranked rows read, each read counted once whether cached or not),
    ``filters_evaluated`` (filtered searches that evaluated their filter in storage) and
    ``filters_reused`` (filtered searches that reused the rows of the same filter, unchanged by
    any write since). Exact scans are not counted, except in the two filter counters."""
    return dict(_native.search_counters())


def reset_search_counters() -> None:
    """Sets the counters of :func:`search_counters` to zero."""
    _native.reset_search_counters()


def _is_single_vector(v: Any) -> bool:
    """Whether ``v`` is one vector (1-D) rather than a batch of vectors."""
    ndim = getattr(v, "ndim", None)
    if ndim is not None:
        return bool(ndim <= 1)
    if isinstance(v, (str, bytes)):
        return True
    try:
        if len(v) == 0:
            return True
        first = v[0]
    except (TypeError, KeyError, IndexError):  # not a sequence: the extension says what it is
        return True
    return not (hasattr(first, "__len__") and not isinstance(first, (str, bytes)))


def _as_array(v: Any) -> Any:
    """Array-likes that are not numpy arrays (pandas, torch, jax, …) become numpy arrays; numpy
    arrays and Python sequences pass through unchanged (the extension reads them directly)."""
    if not isinstance(v, np.ndarray) and hasattr(v, "__array__"):
        return np.asarray(v)
    return v


def _as_batch(
    ids: Any, vectors: Any, documents: Any, metadata: Any
) -> Tuple[Any, Any, Any, Any]:
    """``add("id", vector, "doc", {...})`` → the batch form with one row."""
    if not isinstance(ids, str):
        return ids, vectors, documents, metadata
    if _is_single_vector(vectors):
        vectors = vectors.reshape(1, -1) if isinstance(vectors, np.ndarray) else [vectors]
    if isinstance(documents, str):
        documents = [documents]
    if isinstance(metadata, Mapping):
        metadata = [metadata]
    return [ids], vectors, documents, metadata


class Collection:
    """A collection of records ``(id, vector, document, metadata)`` in a :class:`Database`.

    Obtain one from :meth:`Database.create_collection`, :meth:`Database.get_collection` or
    :meth:`Database.get_or_create_collection`. Handles are cheap and thread-safe; every call
    releases the GIL while the engine works. Each write is atomic and durable when it returns (small
    writes through the database's write-ahead log, see :mod:`agentdb.database`; every read sees
    them at once), and a rejected batch leaves the collection unchanged. A handle keeps its
    database open.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Collection) -> None:
        self._native = native

    # -- properties -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The collection's name."""
        return self._native.name

    @property
    def dim(self) -> int:
        """The dimension of its vectors."""
        return self._native.dim

    @property
    def metric(self) -> str:
        """``"cosine"``, ``"l2"`` or ``"dot"`` (see the module documentation for distances)."""
        return self._native.metric

    @property
    def metadata_schema(self) -> dict[str, str]:
        """The metadata keys seen so far and their stored types (``"str"``, ``"int"``,
        ``"float"``, ``"bool"``, ``"datetime"``, ``"list[str]"``)."""
        return dict(self._native.metadata_schema())

    @property
    def index(self) -> Optional[IndexInfo]:
        """The collection's index (:class:`IndexInfo`: kind and parameters), or ``None`` when
        searches scan every record."""
        params = self._native.index_params()
        return None if params is None else IndexInfo(**params)

    def __repr__(self) -> str:
        return f"Collection(name={self.name!r}, dim={self.dim}, metric={self.metric!r})"

    def __len__(self) -> int:
        """The number of records."""
        return self.count()

    # -- writes -----------------------------------------------------------------------------

    def add(
        self,
        ids: Union[Sequence[str], str, Any],
        vectors: Optional[Union[VectorsLike, VectorLike]] = None,
        documents: Optional[Union[Sequence[Optional[str]], str]] = None,
        metadata: Optional[Union[Sequence[Optional[Mapping[str, Any]]], Mapping[str, Any]]] = None,
    ) -> None:
        """Inserts new records.

        Args:
            ids: one id per record (non-empty str, at most 1024 bytes), or a single id for a single
                record. Or, alone, an Arrow table (anything with ``__arrow_c_stream__``, e.g. a
                ``pyarrow.Table``) with columns ``id``, ``vector`` (list of floats), optional
                ``document``, and one column per metadata key.
            vectors: ``(n, dim)`` array or a sequence of n vectors.
            documents: optional text per record (``None`` entries allowed).
            metadata: optional dict per record (``None`` entries allowed).

        Raises:
            DuplicateIdError: an id repeats in the batch or already exists (use :meth:`upsert`).
            DimensionMismatchError: a vector of the wrong length.
            InvalidVectorError: a vector with NaN or infinity (or all zeros, for cosine).
            InvalidMetadataError: a metadata key or value that cannot be stored.

        The batch is validated whole before anything is written: on any error nothing is
        written, and the message names the offending row.
        """
        self._write(ids, vectors, documents, metadata, upsert=False)

    def upsert(
        self,
        ids: Union[Sequence[str], str, Any],
        vectors: Optional[Union[VectorsLike, VectorLike]] = None,
        documents: Optional[Union[Sequence[Optional[str]], str]] = None,
        metadata: Optional[Union[Sequence[Optional[Mapping[str, Any]]], Mapping[str, Any]]] = None,
    ) -> None:
        """Inserts records, replacing those whose id exists (vector, document and metadata are
        all replaced; the creation time is kept). Same arguments and errors as :meth:`add`,
        except that existing ids are not an error."""
        self._write(ids, vectors, documents, metadata, upsert=True)

    def _write(self, ids: Any, vectors: Any, documents: Any, metadata: Any, *, upsert: bool) -> None:
        if vectors is None:
            if hasattr(ids, "__arrow_c_stream__"):
                if documents is not None or metadata is not None:
                    raise _errors.InvalidArgumentError(
                        "with Arrow input, documents and metadata are columns of the table"
                    )
                self._native.add_arrow(ids, upsert)
                return
            raise _errors.InvalidArgumentError(
                "vectors are required (or pass an Arrow table with id and vector columns)"
            )
        ids, vectors, documents, metadata = _as_batch(ids, _as_array(vectors), documents, metadata)
        if upsert:
            self._native.upsert(ids, vectors, documents, metadata)
        else:
            self._native.add(ids, vectors, documents, metadata)

    def stage(
        self,
        ids: Union[Sequence[str], str],
        vectors: Union[VectorsLike, VectorLike],
        documents: Optional[Union[Sequence[Optional[str]], str]] = None,
        metadata: Optional[Union[Sequence[Optional[Mapping[str, Any]]], Mapping[str, Any]]] = None,
    ) -> bytes:
        """Writes records as Lance data files of this collection *without committing them*, and
        returns the bytes :meth:`commit_staged` needs to commit them, in this process or another.

        This is the worker half of a distributed ingest (:func:`agentdb.ray.ingest`): any number
        of processes stage parts, each on a database opened ``read_only=True`` (staging commits
        nothing, so it needs no writer lock), and the one writer commits them all at once.
        Nothing is visible to any reader until then; a part never committed is only unreferenced
        files (removed by Lance's cleanup of old versions).

        Same arguments and validation as :meth:`add`, with two limits: an id already in the
        collection is found only by :meth:`commit_staged`, and every metadata key must already
        be a column of the collection (``InvalidMetadataError`` otherwise: write one record
        carrying the key with :meth:`add` first).
        """
        ids, vectors, documents, metadata = _as_batch(ids, _as_array(vectors), documents, metadata)
        return self._native.stage(ids, vectors, documents, metadata)

    def commit_staged(self, parts: Sequence[bytes]) -> int:
        """Commits parts from :meth:`stage` (staged by any processes) as **one** Lance commit, so
        readers see all of their records or none; returns how many records were added. A
        search right after sees them.

        Raises:
            DuplicateIdError: an id repeats across the parts or already exists; nothing is
                committed.
            InvalidArgumentError: bytes that are not a staged part of this collection.
            ReadOnlyError: on a read-only database.
        """
        if isinstance(parts, (bytes, bytearray)):
            raise _errors.InvalidArgumentTypeError("parts must be a sequence of bytes objects, not one bytes object")
        items = list(parts)
        for i, p in enumerate(items):
            if not isinstance(p, (bytes, bytearray)):
                raise _errors.InvalidArgumentTypeError(f"part {i} must be bytes, got {type(p).__name__}")
        return self._native.commit_staged([bytes(p) for p in items])

    def delete(self, ids: Optional[Union[Sequence[str], str]] = None, where: Where = None) -> int:
        """Deletes the records with the given ids and/or matching ``where`` (both given: records
        that satisfy both). Returns how many records were deleted; ids that do not exist are not
        an error. At least one of ``ids`` and ``where`` is required (``where="TRUE"`` clears the
        collection)."""
        if isinstance(ids, str):
            ids = [ids]
        return self._native.delete(ids, where)

    # -- reads ------------------------------------------------------------------------------

    def get(
        self,
        ids: Optional[Union[Sequence[str], str]] = None,
        where: Where = None,
        limit: Optional[int] = None,
        offset: int = 0,
    ) -> GetResult:
        """Reads records by id (in the order given; missing ids are left out) and/or those
        matching ``where``; at most ``limit`` of them after skipping ``offset``. Without ids,
        the order is the storage order."""
        if isinstance(ids, str):
            ids = [ids]
        rids, vectors, documents, metadata = self._native.get(ids, where, limit, offset)
        return GetResult(rids, vectors, documents, metadata, self._native.metadata_schema())

    def count(self, where: Where = None) -> int:
        """The number of records, or of those matching ``where``."""
        return self._native.count(where)

    def optimize(self) -> None:
        """Compacts the collection now (buffered writes flushed, small fragments merged, deleted
        rows dropped) and removes old Lance versions past the retention grace. Done in the
        background past thresholds anyway; this is for explicit use after bulk changes."""
        self._native.optimize()

    def stats(self) -> CollectionStats:
        """Rows, fragments, versions and bytes on disk from Lance's manifest, plus the buffer,
        mirror, payload cache and index in this process. Cheap: no row is read. See
        :class:`agentdb.ops.CollectionStats`."""
        return cast("CollectionStats", _native.collection_stats(self._native))

    # -- index ----------------------------------------------------------------------------

    @engine_defaults
    def create_index(
        self,
        kind: Optional[str] = None,
        *,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        quantization: Optional[str] = None,
        partitions: Optional[int] = None,
        sub_vectors: Optional[int] = None,
    ) -> None:
        """Builds an index over the collection's vectors, replacing any index; :meth:`search`
        uses it from then on.

        Args:
            kind: one of :data:`INDEX_KINDS` (``None``: the engine's default,
                ``{DEFAULT_INDEX_KIND!r}``). ``"hnsw"``: AgentDB's hierarchical navigable small-world graph, in memory (the
                fastest; the collection's vectors are held in memory anyway for search).
                ``"ivf_pq"``: Lance's IVF_PQ index, stored and searched on disk, for collections
                larger than memory (needs at least 256 records to train on); tune searches with
                ``nprobes`` and ``refine_factor``.
            m: HNSW: links per node on the upper layers, twice as many on layer 0 (2 … 128;
                ``None``: the engine's default, {DEFAULT_HNSW_M}). Larger gives better recall at
                a given ``ef`` and a bigger, slower-to-build graph.
            ef_construction: HNSW: candidate list size while building (1 … 10000; ``None``: the
                engine's default, {DEFAULT_HNSW_EF_CONSTRUCTION}). Larger builds slower and finds
                better links.
            quantization: HNSW: one of :data:`QUANTIZATIONS`, ``"none"``, ``"int8"``,
                ``"rabitq"``, ``"rabitq2"``, ``"rabitq4"`` or ``"rabitq8"`` (``None``:
                the engine's default, ``{DEFAULT_HNSW_QUANTIZATION!r}``). ``"int8"``: the graph is
                built and walked on int8 codes of the vectors (a quarter of the memory traffic)
                and the candidates are re-ranked with the float32 vectors, which move from memory
                to a memory-mapped cache file the OS can evict (back to memory without the index).
                ``"rabitq"``: the graph is built on the float32 vectors and walked on 1-bit RaBitQ
                codes (about ``dim / 8 + 8`` bytes per vector, scored with popcount kernels), and
                the candidates whose error bound can still beat the k-th are re-ranked with the
                float32 vectors, which live in the memory-mapped cache file as under int8.
                ``"rabitq2"``, ``"rabitq4"``, ``"rabitq8"``: the same with 2, 4 or 8 bits per
                dimension (Extended RaBitQ, about ``dim / 4``, ``dim / 2`` or ``dim`` bytes plus
                16 per vector, scored against the query quantized to 8 bits): tighter estimates,
                so recall close to float32's where 1 bit per dimension is too coarse (hundreds
                of dimensions of text embeddings).
            partitions: IVF_PQ: number of partitions (default: about √n).
            sub_vectors: IVF_PQ: PQ sub-vectors per vector; must divide ``dim`` (default: Lance's).

        Raises:
            InvalidArgumentError: an unsupported ``kind`` or ``quantization``, a parameter out of
                range, a parameter of another kind, or too few records for ``"ivf_pq"``.

        The build can take a while (it runs with the GIL released, an HNSW build on every core).
        Afterwards the index is kept current by every write. An HNSW index: added records join
        the graph, an upsert moves its vector, and a deleted record is never returned; it is
        saved next to the data, in ``<db>/_agentdb/<name>.hnsw``, with a checksum and the Lance
        version it matches, and saved again when the database is closed, so reopening does not
        rebuild it; a file that is damaged or stale (the data changed without it) is detected and
        rebuilt from the data, never trusted. A search whose filter lets through fewer than 5% of
        the records is answered exactly (by scanning those records) rather than by the graph.
        An IVF_PQ index lives in Lance: records added after the build are searched exactly
        besides it until Lance folds them in.
        """
        self._native.create_index(kind, m, ef_construction, quantization, partitions, sub_vectors)

    def drop_index(self) -> None:
        """Removes the index (and its file): searches scan every record again. Without an index
        this does nothing."""
        self._native.drop_index()

    # -- search -----------------------------------------------------------------------------

    @overload
    def search(
        self,
        query: VectorLike,
        k: Optional[int] = None,
        where: Where = None,
        *,
        ef: Optional[int] = None,
        exact: Optional[bool] = None,
        threads: Optional[int] = None,
        ids_only: bool = False,
        include: Optional[Sequence[str]] = None,
        nprobes: Optional[int] = None,
        refine_factor: Optional[int] = None,
    ) -> SearchResult: ...

    @overload
    def search(
        self,
        query: VectorsLike,
        k: Optional[int] = None,
        where: Where = None,
        *,
        ef: Optional[int] = None,
        exact: Optional[bool] = None,
        threads: Optional[int] = None,
        ids_only: bool = False,
        include: Optional[Sequence[str]] = None,
        nprobes: Optional[int] = None,
        refine_factor: Optional[int] = None,
    ) -> List[SearchResult]: ...

    @engine_defaults
    def search(
        self,
        query: Union[VectorLike, VectorsLike],
        k: Optional[int] = None,
        where: Where = None,
        *,
        ef: Optional[int] = None,
        exact: Optional[bool] = None,
        threads: Optional[int] = None,
        ids_only: bool = False,
        include: Optional[Sequence[str]] = None,
        nprobes: Optional[int] = None,
        refine_factor: Optional[int] = None,
    ) -> Union[SearchResult, List[SearchResult]]:
        """k-nearest-neighbour search: exact without an index, approximate with one.

        Args:
            query: one vector (1-D) → one :class:`SearchResult`; or a 2-D array / sequence of
                vectors → a list with one :class:`SearchResult` per query (run as one batch).
            k: how many neighbours (1 … 100000; ``None``: the engine's default,
                {DEFAULT_SEARCH_K}). Fewer come back when fewer records match.
            where: only consider records matching this filter (SQL string or dict).
            ef: with an HNSW index, the candidate list size of the graph walk (1 … 100000;
                default ``max(k, 64)``): larger is slower and finds more of the true neighbours.
                Ignored without an index.
            exact: scan every record even when there is an index (exact results; ``None``: the
                engine's default, ``{DEFAULT_SEARCH_EXACT}``).
            threads: threads for an exact scan (default: all cores).
            ids_only: return only ids and distances (``documents`` are ``None`` and ``metadata``
                empty); the same as ``include=[]``.
            include: what each hit carries besides its id and distance, as in Chroma: any of
                ``"documents"``, ``"metadata"`` (or ``"metadatas"``), ``"distances"`` (always
                returned). Default: documents and metadata. A part left out comes back as
                ``None`` / ``{}``. Searches read documents and metadata from an in-memory cache
                kept in step with every write (its limit: ``connect(payload_cache_bytes=…)``),
                so including them costs little.
            nprobes: with an IVF_PQ index, how many partitions to search (default: Lance's
                adaptive choice); more finds more of the true neighbours, slower. Ignored
                otherwise.
            refine_factor: with an IVF_PQ index, re-rank ``refine_factor × k`` candidates with
                their exact vectors (default: rank by the compressed codes only). Ignored
                otherwise.

        Distances ascend (smaller is closer): cosine ``1 - cos``, l2 squared Euclidean,
        dot ``1 - q·v``. With an index, a filter that lets through fewer than 5% of the records
        is answered exactly; a broader one is applied during the graph walk. The search runs
        with the GIL released.
        """
        query = _as_array(query)
        if isinstance(include, str):
            raise _errors.InvalidArgumentError(f"include takes a list of names, e.g. [{include!r}], not a string")
        options = dict(
            ef=ef,
            exact=exact,
            threads=threads,
            ids_only=ids_only,
            include=None if include is None else list(include),
            nprobes=nprobes,
            refine_factor=refine_factor,
        )
        if _is_single_vector(query):
            ids, distances, documents, metadata = self._native.search(query, k, where, **options)
            return SearchResult(ids, distances, documents, metadata, self._native.metadata_schema())
        raw = self._native.search_batch(query, k, where, **options)
        schema = self._native.metadata_schema()
        return [SearchResult(i, d, docs, m, schema) for i, d, docs, m in raw]

    @engine_defaults
    def text_search(self, query: str, k: Optional[int] = None, where: Where = None) -> TextSearchResult:
        """Full-text search: the ``k`` records whose document best matches ``query`` by BM25,
        best first.

        Args:
            query: the text to match (tokenised like the documents, by the collection's
                :attr:`text_tokenizer`: by default words split on whitespace and punctuation,
                lower-cased, stemmed, English stop words dropped).
            k: how many hits (1 … 100000; ``None``: {DEFAULT_SEARCH_K}).
            where: only consider records matching this filter (applied before ranking).

        Records without a document never match. The index (Lance's inverted index on the
        documents) is built on the first text search and kept up to date by each later one, so
        records written just before are found. Raises :class:`~agentdb.errors.InvalidArgumentError`
        for an empty query.
        """
        require("query", query, str, "a str")
        ids, scores, documents, metadata = self._native.text_search(query, k, where)
        return TextSearchResult(ids, scores, documents, metadata, self._native.metadata_schema())

    @engine_defaults
    def hybrid_search(
        self,
        vector: VectorLike,
        text: str,
        k: Optional[int] = None,
        where: Where = None,
        *,
        method: Optional[str] = None,
        vector_weight: Optional[float] = None,
        text_weight: Optional[float] = None,
        rrf_k: Optional[float] = None,
        candidates: Optional[int] = None,
    ) -> HybridSearchResult:
        """Hybrid search: the nearest records to ``vector`` and the best BM25 matches of
        ``text``, fused into one ranking, best first.

        Args:
            vector: the query's embedding (one vector of the collection's dimension).
            text: the query's text, for BM25 (as in :meth:`text_search`).
            k: how many hits (1 … 100000; ``None``: {DEFAULT_SEARCH_K}).
            where: only consider records matching this filter, on both sides, before ranking.
            method: ``"rrf"`` (reciprocal-rank fusion: ``Σ weight / (rrf_k + rank)``) or
                ``"linear"`` (``vector_weight · v + text_weight · t`` with each side's scores
                min-max normalised to 0 … 1 over its candidates). Default
                {DEFAULT_FUSION_METHOD!r}.
            vector_weight: weight of the vector ranking (≥ 0; default
                {DEFAULT_FUSION_VECTOR_WEIGHT}).
            text_weight: weight of the BM25 ranking (≥ 0; default {DEFAULT_FUSION_TEXT_WEIGHT}).
            rrf_k: RRF's rank constant (≥ 0; default {DEFAULT_FUSION_RRF_K}).
            candidates: records each side contributes before fusion (default ``max(4·k, 20)``).

        Each hit carries the fused score and each side's rank and raw score (``None`` where that
        side did not return it).
        """
        require("text", text, str, "a str")
        if method is not None:
            require("method", method, str, 'a str ("rrf" or "linear")')
        raw = self._native.hybrid_search(
            _as_array(vector), text, k, where, method, vector_weight, text_weight, rrf_k, candidates
        )
        ids, scores, documents, metadata, vranks, distances, tranks, bm25 = raw
        return HybridSearchResult(
            ids, scores, documents, metadata, vranks, distances, tranks, bm25, self._native.metadata_schema()
        )

    @property
    def text_tokenizer(self) -> str:
        """The tokenizer of text and hybrid search: ``"simple"``, ``"icu"`` or ``"ngram:MIN-MAX"``."""
        return self._native.text_tokenizer

    def set_text_tokenizer(self, tokenizer: str) -> None:
        """Sets the tokenizer of text and hybrid search, kept with the collection (a reopened
        collection keeps it); the documents' full-text index is rebuilt with it on the next text
        search.

        Args:
            tokenizer: ``"simple"`` (English: stemming, stop words; the default), ``"icu"``
                (dictionary word segmentation for Chinese, Japanese, Korean and mixed text),
                ``"ngram"`` (character bigrams and trigrams), ``"ngram:N"`` or ``"ngram:MIN-MAX"``
                (1 ≤ MIN ≤ MAX ≤ 16).

        Raises:
            InvalidArgumentError: an unknown tokenizer.
            ReadOnlyError: the database is open read-only.
        """
        require("tokenizer", tokenizer, str, "a str")
        self._native.set_text_tokenizer(tokenizer)
