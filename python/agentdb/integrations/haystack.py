"""Haystack document store backed by an AgentDB collection (``pip install 'agentdb-embedded[haystack]'``).

::

    from haystack import Document
    from agentdb.integrations.haystack import AgentDBDocumentStore, AgentDBEmbeddingRetriever

    store = AgentDBDocumentStore(path="./my-db", collection_name="docs", embedding_dim=384)
    store.write_documents([Document(content="AgentDB stores vectors", embedding=[...])])
    store.filter_documents({"field": "meta.lang", "operator": "==", "value": "en"})
    retriever = AgentDBEmbeddingRetriever(document_store=store, top_k=5)

Mapping: a Haystack ``Document`` is a record: ``id`` → record id, ``content`` → the record's
document, ``embedding`` → its vector, ``meta`` → typed metadata with the convention of
:mod:`agentdb.integrations._metadata` (keys that are not identifiers are escaped; nested values,
``None`` and values of a type their key does not hold go to a JSON side entry; every value comes
back as given). ``blob`` and ``sparse_embedding`` are kept in one JSON entry of their own
(``adb__hs_extra``) and come back as given; they are not searchable.

The collection needs a vector for every record, of one dimension: ``embedding_dim`` gives it (or
the first embedded document of the first write does, or an existing collection has it). A
document without an embedding is stored with a placeholder unit vector and the flag
``adb__hs_noemb``; it comes back with ``embedding=None`` and embedding retrieval never returns it.
Both names are ones no Haystack meta key maps to. Embeddings are stored as float32, so they come
back rounded to float32.

Filters: Haystack's filter syntax (``{"field": "meta.x", "operator": "==", "value": 1}`` and
``{"operator": "AND" | "OR" | "NOT", "conditions": [...]}``), translated into AgentDB's dict
filter and evaluated inside the engine, with the semantics of Haystack's reference
``InMemoryDocumentStore``: a missing key (or ``None``) matches ``== None``, ``!=`` and
``not in`` only; ``>``, ``>=``, ``<``, ``<=`` never match a missing key or ``None``, raise
``FilterError`` for a list and for a string that is not a date, and compare ISO-8601 date
strings with date strings (as text: the same format orders as the dates do) and with datetime
metadata (as instants); ``in`` / ``not in`` need a list; ``NOT`` is "not all of". Fields are
``id``, ``content`` and ``meta.<key>`` (a bare name that is not a ``Document`` field is a meta
key, as in Haystack's legacy filters). Refused with ``FilterError``: nested meta fields
(``meta.a.b``: nested values are JSON), the fields ``embedding``, ``blob``,
``sparse_embedding`` and ``score``, and ordering on a list field.

Where AgentDB differs: filters see only the values stored in a key's typed column (see
:mod:`._metadata`). A value of another type than the column's (``"x"`` where ``n`` holds ints,
``True`` where it holds numbers) sits in the JSON side entry: ``meta.n == "x"`` matches nothing
and ``meta.n != "x"`` matches every document, where Haystack would find that one. Strings are
compared as text (``"2024-01-02"`` and ``"2024-01-02T00:00:00"`` differ), where Haystack parses
both as dates.

Duplicate policies: ``FAIL`` (and ``NONE``, as in ``InMemoryDocumentStore``) raise
``DuplicateDocumentError`` and write nothing; ``SKIP`` writes the new ids only; ``OVERWRITE``
replaces (an upsert). Each call is one atomic commit.

Retrieval: :meth:`AgentDBDocumentStore.embedding_retrieval` (the engine's k-NN search, filtered
inside the engine; scores: cosine similarity, dot product, or ``1 / (1 + d²)`` for l2; with
``scale_score`` cosine becomes ``(s + 1) / 2`` and dot ``sigmoid(s / 100)`` as in Haystack) and
:meth:`AgentDBDocumentStore.bm25_retrieval` (the engine's full-text index on the collection's
documents, Lance's BM25). Components: :class:`AgentDBEmbeddingRetriever`,
:class:`AgentDBBM25Retriever` and :class:`AgentDBHybridRetriever` (both, fused with Haystack's own
reciprocal-rank fusion, ``DocumentJoiner``). BM25 calls :meth:`agentdb.Collection.text_search`
(the engine's ``Collection::text_search``). The hybrid retriever fuses in Haystack rather than
with :meth:`agentdb.Collection.hybrid_search`: the engine applies one filter to both sides, and
the embedding side must leave out the documents stored without an embedding (placeholder
vectors), which BM25 must still find.

Async: every ``*_async`` method runs the engine call in AgentDB's worker pool
(:func:`agentdb.aio.run`; the engine releases the GIL), never on the event loop.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import json
import math
import operator
import os
import threading
import weakref
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

try:
    import dateutil.parser as _dateparser
    from haystack import Document, component, default_from_dict, default_to_dict
    from haystack.components.joiners import DocumentJoiner
    from haystack.dataclasses import ByteStream, SparseEmbedding
    from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
    from haystack.document_stores.types import DuplicatePolicy, FilterPolicy, apply_filter_policy
    from haystack.errors import FilterError
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("agentdb.integrations.haystack needs haystack-ai: pip install 'agentdb-embedded[haystack]'") from e

from .. import aio as _aio
from .. import errors as _errors
from ..collection import Collection
from ..database import Database, PathLike, connect
from ..results import GetResult
from . import _metadata
from ._collection import LazyCollection, as_matrix

__all__ = [
    "AgentDBDocumentStore",
    "AgentDBEmbeddingRetriever",
    "AgentDBBM25Retriever",
    "AgentDBHybridRetriever",
    "to_where",
]

#: Set (True) on records stored without an embedding. After ``adb_`` the escape of
#: :mod:`._metadata` writes ``__`` or ``_`` plus two upper-case hex digits, never ``_h``, so no
#: Haystack meta key maps to these names.
NO_EMBEDDING_KEY = "adb__hs_noemb"
#: JSON of the document's ``blob`` and ``sparse_embedding``, when it has either.
EXTRA_KEY = "adb__hs_extra"
_HIDDEN = (NO_EMBEDDING_KEY, EXTRA_KEY)

_DOCUMENT_FIELDS = ("id", "content", "blob", "meta", "score", "embedding", "sparse_embedding")
_ORDERING = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
_PY_ORDER = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_COMPARISONS = ("==", "!=", "in", "not in", *_ORDERING)
_LOGICAL = ("AND", "OR", "NOT")


# -- filters: Haystack's syntax → AgentDB's dict filter -----------------------------------------
#
# The engine follows SQL: a condition on a key a record lacks is unknown, and so is its negation.
# Every leaf built here is two-valued (it says "the key is present and ..." or "the key is
# missing"), so NOT and the missing-key rules come out as Haystack's reference store has them.
# TRUE and FALSE are folded away, so a filter that can match nothing never reaches the engine.


class _Const:
    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "TRUE" if self.value else "FALSE"


TRUE = _Const(True)
FALSE = _Const(False)
Where = Union[Dict[str, Any], _Const]


def _and(parts: Sequence[Where]) -> Where:
    kept = [p for p in parts if p is not TRUE]
    if any(p is FALSE for p in kept):
        return FALSE
    if not kept:
        return TRUE
    return kept[0] if len(kept) == 1 else {"$and": list(kept)}


def _or(parts: Sequence[Where]) -> Where:
    kept = [p for p in parts if p is not FALSE]
    if any(p is TRUE for p in kept):
        return TRUE
    if not kept:
        return FALSE
    return kept[0] if len(kept) == 1 else {"$or": list(kept)}


def _not(part: Where) -> Where:
    if isinstance(part, _Const):
        return FALSE if part.value else TRUE
    return {"$not": part}


def _engine_where(where: Where) -> Optional[Dict[str, Any]]:
    """A folded filter as the engine takes it (TRUE: no filter); FALSE never gets this far."""
    if isinstance(where, _Const):
        assert where.value, "a filter that matches nothing is answered without the engine"
        return None
    return where


def to_where(filters: Optional[Dict[str, Any]], schema: Dict[str, str]) -> Where:
    """Haystack filters → an AgentDB dict filter with the same meaning, given the collection's
    ``metadata_schema``; :data:`TRUE` (no filter) or :data:`FALSE` (nothing can match) when the
    answer is known without the engine.

    Raises:
        FilterError: a malformed filter, or one AgentDB cannot evaluate (see the module docs).
    """
    if not filters:
        return TRUE
    if not isinstance(filters, dict):
        raise FilterError(f"filters must be a dict, got {type(filters).__name__}")
    return _condition(filters, schema)


def _condition(cond: Any, schema: Dict[str, str]) -> Where:
    if not isinstance(cond, dict):
        raise FilterError(f"a filter condition must be a dict, got {cond!r}")
    if "field" in cond:
        return _comparison(cond, schema)
    if "operator" not in cond:
        raise FilterError(f"'operator' key missing in {cond}")
    if "conditions" not in cond:
        raise FilterError(f"'conditions' key missing in {cond}")
    op, conditions = cond["operator"], cond["conditions"]
    if op not in _LOGICAL:
        raise FilterError(f"unknown logical operator {op!r}: expected one of {list(_LOGICAL)}")
    if not isinstance(conditions, list):
        raise FilterError(f"'conditions' must be a list, got {type(conditions).__name__}")
    parts = [_condition(c, schema) for c in conditions]
    if op == "AND":
        return _and(parts)
    if op == "OR":
        return _or(parts)
    return _not(_and(parts))


class _Field:
    """A filter field resolved to a column: its name, its type (None: no record has it) and
    the conditions "present" / "missing"."""

    def __init__(self, column: str, type_: Optional[str], present: Where) -> None:
        self.column, self.type, self.present = column, type_, present
        self.missing = _not(present)

    def holds(self, op: str, value: Any) -> Where:
        return _and([self.present, {self.column: {op: value}}])


def _field(name: Any, schema: Dict[str, str]) -> _Field:
    if not isinstance(name, str):
        raise FilterError(f"a filter field must be a string, got {name!r}")
    if name == "id":
        return _Field("id", "str", TRUE)
    if name == "content":
        return _Field("document", "str", {"document": {"$exists": True}})
    if name.startswith("meta."):
        key = name[len("meta.") :]
        if "." in key:
            raise FilterError(
                f"filter field {name!r}: nested meta values are stored as JSON and cannot be filtered on"
            )
    elif name in _DOCUMENT_FIELDS:
        raise FilterError(f"filter field {name!r} is not supported (fields: id, content, meta.<key>)")
    else:  # Haystack's legacy filters name meta keys without the prefix
        key = name
    stored = _metadata.stored_key(key)
    if stored is None:
        raise FilterError(f"meta key {key!r} is too long to have a column, so it cannot be filtered on")
    type_ = schema.get(stored)
    return _Field(stored, type_, FALSE if type_ is None else {stored: {"$exists": True}})


def _comparison(cond: Dict[str, Any], schema: Dict[str, str]) -> Where:
    if "operator" not in cond:
        raise FilterError(f"'operator' key missing in {cond}")
    if "value" not in cond:
        raise FilterError(f"'value' key missing in {cond}")
    op, value = cond["operator"], cond["value"]
    if op not in _COMPARISONS:
        raise FilterError(f"unknown comparison operator {op!r}: expected one of {list(_COMPARISONS)}")
    f = _field(cond["field"], schema)
    if op == "==":
        return _equal(f, value)
    if op == "!=":
        return _not(_equal(f, value))
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise FilterError(f"operator {op!r} needs a list value, got {type(value).__name__}")
        found = _or([_equal(f, v) for v in value if v is None] + [_in(f, [v for v in value if v is not None])])
        return found if op == "in" else _not(found)
    return _ordering(f, _ORDERING[op], op, value)


def _as_datetime(value: str) -> Optional[_dt.datetime]:
    try:
        return _dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            return _dateparser.isoparse(value)
        except (ValueError, OverflowError):
            return None


def _looks_like_date(value: Any) -> bool:
    # Haystack's own test for "this string is an ISO date" (a full YYYY-MM-DD prefix).
    return (
        isinstance(value, str)
        and len(value) >= 10
        and value[:4].isdigit()
        and value[4] == "-"
        and value[5:7].isdigit()
        and value[7] == "-"
        and value[8:10].isdigit()
        and (len(value) == 10 or value[10] in "Tt ")
    )


def _column_value(type_: Optional[str], value: Any) -> Tuple[bool, Any]:
    """``value`` as the column of ``type_`` compares it for equality, or (False, None) when no
    stored value of that column can equal it."""
    if type_ is None:
        return False, None
    if type_ == "str":
        if isinstance(value, str):
            return True, value
        if isinstance(value, _dt.datetime):
            return True, value.isoformat()
        return False, None
    # Python's equality, which Haystack's reference store uses: True == 1 and False == 0.0.
    if type_ in ("int", "float"):
        if isinstance(value, bool):
            return True, int(value)
        if isinstance(value, (int, float)):
            return (True, value) if math.isfinite(value) else (False, None)
        return False, None
    if type_ == "bool":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, (int, float)) and value in (0, 1):
            return True, bool(value)
        return False, None
    if type_ == "datetime":
        if isinstance(value, _dt.datetime):
            return True, value
        if _looks_like_date(value):
            parsed = _as_datetime(value)
            return (True, parsed) if parsed is not None else (False, None)
        return False, None
    return False, None  # list[str]: a scalar never equals a list


def _equal(f: _Field, value: Any) -> Where:
    if value is None:
        return f.missing
    if f.type == "list[str]" and isinstance(value, list):
        raise FilterError(f"equality with a list is not supported on list field {f.column!r}")
    ok, v = _column_value(f.type, value)
    return f.holds("$eq", v) if ok else FALSE


def _in(f: _Field, values: List[Any]) -> Where:
    converted = [v for ok, v in (_column_value(f.type, x) for x in values) if ok]
    return f.holds("$in", converted) if converted else FALSE


def _ordering(f: _Field, engine_op: str, op: str, value: Any) -> Where:
    if value is None:
        return FALSE
    if isinstance(value, list):
        raise FilterError(f"operator {op!r} cannot compare with a list")
    is_date = isinstance(value, _dt.datetime)
    when: Optional[_dt.datetime] = value if is_date else None
    if isinstance(value, str):
        when = _as_datetime(value)
        if when is None:
            try:
                when = _dateparser.parse(value)
            except (ValueError, OverflowError) as e:
                raise FilterError(
                    f"operator {op!r}: strings are only comparable if they are ISO formatted dates, got {value!r}"
                ) from e
        is_date = True
    if f.type is None:
        return FALSE
    if f.type in ("int", "float", "bool"):
        if is_date:
            raise FilterError(f"operator {op!r}: cannot compare the numbers of {f.column!r} with a date")
        if f.type == "bool":
            # The engine does not order booleans; a bool column holds two values, so the
            # comparison is the set of those that pass it (False < True, as in Python).
            passing = [b for b in (False, True) if _PY_ORDER[op](b, value)]
            if not passing:
                return FALSE
            return f.present if len(passing) == 2 else f.holds("$eq", passing[0])
        return f.holds(engine_op, int(value) if isinstance(value, bool) else value)
    if f.type == "str":
        if not is_date:
            raise FilterError(f"operator {op!r}: cannot compare the strings of {f.column!r} with {value!r}")
        return f.holds(engine_op, value if isinstance(value, str) else value.isoformat())
    if f.type == "datetime":
        if not is_date:
            raise FilterError(f"operator {op!r}: cannot compare the dates of {f.column!r} with {value!r}")
        return f.holds(engine_op, when)
    raise FilterError(f"operator {op!r} is not supported on list field {f.column!r}")


# -- the store ----------------------------------------------------------------------------------


def _similarity(metric: str, distance: float, scale: bool) -> float:
    if metric == "l2":
        return 1.0 / (1.0 + max(distance, 0.0))
    score = 1.0 - distance  # cosine similarity, or the dot product
    if not scale:
        return score
    if metric == "cosine":
        return (score + 1.0) / 2.0
    return 1.0 / (1.0 + math.exp(-score / 100.0))


# A database has one writer at a time, and Haystack deserializes every component's store on its
# own (a YAML pipeline with a writer and a retriever on one path makes two stores): stores opened
# by path in one process share one handle. The registry holds it weakly, so stores dropped
# without close() let the database go as every other AgentDB handle does; close() closes it
# when no other open store uses it.
class _Shared:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = 0


_OPEN_LOCK = threading.Lock()
_OPEN: "weakref.WeakValueDictionary[str, _Shared]" = weakref.WeakValueDictionary()


def _acquire(path: PathLike) -> _Shared:
    key = os.path.realpath(os.fspath(path))
    with _OPEN_LOCK:
        shared = _OPEN.get(key)
        if shared is None or shared.db.closed:
            shared = _Shared(connect(path))
            _OPEN[key] = shared
        shared.users += 1
        return shared


def _release(shared: _Shared) -> None:
    with _OPEN_LOCK:
        shared.users -= 1
        if shared.users <= 0:
            shared.db.close()


class AgentDBDocumentStore:
    """A Haystack document store over one AgentDB collection.

    Args:
        path: a database directory to open. Stores of one process opened on one path share a
            handle (a database has one writer), closed when the last of them is closed. Or:
        db: an open :class:`agentdb.Database` (not closed by the store; ``to_dict`` records its
            path, so ``from_dict`` opens it by path, which fails while this ``Database`` is still
            open in the process).
        collection_name: the collection (created on the first write if it does not exist).
        embedding_dim: the vectors' dimension for a new collection (default: the first
            embedding written); an existing collection must have it unless it is None.
        metric: ``"cosine"``, ``"l2"`` or ``"dot"`` for a new collection (default cosine); an
            existing collection must have it unless it is None.

    Raises:
        InvalidArgumentError: neither or both of ``path`` and ``db``; an existing collection
            with another metric or dimension.
    """

    def __init__(
        self,
        *,
        path: Optional[PathLike] = None,
        db: Optional[Database] = None,
        collection_name: str = "haystack",
        embedding_dim: Optional[int] = None,
        metric: Optional[str] = None,
    ) -> None:
        if embedding_dim is not None and (
            isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1
        ):
            raise _errors.InvalidArgumentError(f"embedding_dim must be a positive int, got {embedding_dim!r}")
        if (db is None) == (path is None):
            raise _errors.InvalidArgumentError("pass exactly one of path= and db= (an open Database)")
        self._shared: Optional[_Shared] = None if path is None else _acquire(path)
        try:
            self._store = LazyCollection(db if self._shared is None else self._shared.db, None, collection_name, metric)
            found = self._store.get()
            if found is not None and embedding_dim is not None and found.dim != embedding_dim:
                raise _errors.InvalidArgumentError(
                    f"collection {collection_name!r} holds {found.dim}-dimensional vectors, not {embedding_dim}"
                )
        except BaseException:
            self.close()
            raise
        self.path = str(self._store.db.path)
        self.collection_name = collection_name
        self.embedding_dim = embedding_dim
        self.metric = metric

    # -- the collection -------------------------------------------------------------------------

    @property
    def db(self) -> Database:
        """The AgentDB database."""
        return self._store.db

    @property
    def collection(self) -> Optional[Collection]:
        """The AgentDB collection, or None until the first write creates it."""
        return self._store.get()

    def close(self) -> None:
        """Lets go of the database if the store opened it (``path=``): it closes when no other
        store of this process uses it. Calling it again does nothing; with ``db=`` it does nothing."""
        shared, self._shared = self._shared, None
        if shared is not None:
            _release(shared)

    def to_dict(self) -> Dict[str, Any]:
        """Serializes the store (its database path, collection and settings)."""
        return default_to_dict(
            self,
            path=self.path,
            collection_name=self.collection_name,
            embedding_dim=self.embedding_dim,
            metric=self.metric,
        )

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "AgentDBDocumentStore":
        """A store from :meth:`to_dict`'s output (it opens the database at the recorded path)."""
        return default_from_dict(cls, data)

    # -- writes ---------------------------------------------------------------------------------

    def write_documents(self, documents: List[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Writes documents in one atomic commit and returns how many were written.

        ``FAIL`` and ``NONE``: an id that exists, or repeats in the call, raises
        ``DuplicateDocumentError`` and nothing is written. ``SKIP``: documents whose id exists (or
        came earlier in the call) are left out. ``OVERWRITE``: existing ids are replaced (a
        repeated id keeps its last document); every document counts as written.

        Raises:
            ValueError: ``documents`` is not a list of ``Document``.
            DuplicateDocumentError: see above.
            DocumentStoreError: a document AgentDB cannot store (its message says why: an
                embedding of another dimension, NaN, all zeros for cosine, ...).
            InvalidMetadataError: a meta (or blob meta) value that is neither an AgentDB type
                nor JSON-serializable.
        """
        if not isinstance(documents, list) or not all(isinstance(d, Document) for d in documents):
            raise ValueError("write_documents takes a list of haystack Document objects")
        if not documents:
            return 0
        policy = DuplicatePolicy.FAIL if policy == DuplicatePolicy.NONE else policy
        collection = self._store.get_or_create(self._dim_for(documents))
        if policy == DuplicatePolicy.OVERWRITE:
            last = {d.id: d for d in documents}
            self._write(collection, list(last.values()), upsert=True)
            return len(documents)
        if policy == DuplicatePolicy.FAIL:
            ids = [d.id for d in documents]
            if len(set(ids)) != len(ids):
                dup = next(i for i in ids if ids.count(i) > 1)
                raise DuplicateDocumentError(f"document id {dup!r} repeats in the batch")
            try:
                self._write(collection, documents, upsert=False)
            except _errors.DuplicateIdError as e:
                raise DuplicateDocumentError(str(e)) from e
            return len(documents)
        # SKIP. A writer that adds one of these ids between the read and the write makes the
        # engine refuse the batch whole: read again and retry.
        for _ in range(5):
            first: Dict[str, Document] = {}
            for d in documents:
                first.setdefault(d.id, d)
            existing = set(collection.get(ids=list(first)).ids)
            new = [d for i, d in first.items() if i not in existing]
            if not new:
                return 0
            try:
                self._write(collection, new, upsert=False)
                return len(new)
            except _errors.DuplicateIdError:
                continue
        raise DocumentStoreError("write_documents(SKIP) kept colliding with concurrent writers")

    def _dim_for(self, documents: Sequence[Document]) -> int:
        found = self._store.get()
        if found is not None:
            return found.dim
        if self.embedding_dim is not None:
            return self.embedding_dim
        for d in documents:
            if d.embedding is not None:
                return len(d.embedding)
        raise DocumentStoreError(
            "the collection does not exist yet and these documents have no embeddings: "
            "pass embedding_dim= to the store to store documents without embeddings first"
        )

    def _write(self, collection: Collection, docs: Sequence[Document], *, upsert: bool) -> None:
        dim = collection.dim
        placeholder = np.zeros(dim, dtype=np.float32)
        placeholder[0] = 1.0  # any valid vector will do: it is never searched (see the module docs)
        rows = [placeholder if d.embedding is None else d.embedding for d in docs]
        try:
            vectors = as_matrix(rows, len(docs))
        except _errors.InvalidVectorError as e:
            raise DocumentStoreError(f"the embeddings are not all {dim}-dimensional: {e}") from e
        ids = [d.id for d in docs]
        texts = [d.content for d in docs]
        # The encoding depends on the column types; a concurrent writer that gives a new key a
        # type meanwhile makes the engine refuse the batch whole, and one retry settles it.
        for attempt in range(2):
            encoded = _metadata.encode_batch([d.meta for d in docs], collection.metadata_schema)
            for row, d in zip(encoded, docs):
                _add_hidden(row, d)
            try:
                if upsert:
                    collection.upsert(ids, vectors, texts, encoded)
                else:
                    collection.add(ids, vectors, texts, encoded)
                return
            except _errors.InvalidMetadataError:
                if attempt == 1:
                    raise
            except (_errors.DimensionMismatchError, _errors.InvalidVectorError) as e:
                raise DocumentStoreError(str(e)) from e

    async def write_documents_async(
        self, documents: List[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE
    ) -> int:
        """Async :meth:`write_documents` (runs in a worker thread)."""
        return await _aio.run(self.write_documents, documents, policy)

    def delete_documents(self, document_ids: List[str]) -> None:
        """Deletes the documents with these ids (ids that do not exist are ignored)."""
        collection = self._store.get()
        if collection is not None and document_ids:
            collection.delete(ids=list(document_ids))

    async def delete_documents_async(self, document_ids: List[str]) -> None:
        """Async :meth:`delete_documents` (runs in a worker thread)."""
        await _aio.run(self.delete_documents, document_ids)

    def delete_all_documents(self, recreate_index: bool = False) -> None:
        """Deletes every document. ``recreate_index``: drop the collection as well (and its
        indexes); the next write creates it afresh."""
        if recreate_index:
            self._store.drop()
            return
        collection = self._store.get()
        if collection is not None:
            collection.delete(where="TRUE")

    async def delete_all_documents_async(self, recreate_index: bool = False) -> None:
        """Async :meth:`delete_all_documents` (runs in a worker thread)."""
        await _aio.run(self.delete_all_documents, recreate_index)

    def delete_by_filter(self, filters: Dict[str, Any]) -> int:
        """Deletes the documents that match ``filters`` (an empty filter: all of them); returns
        how many were deleted."""
        collection = self._store.get()
        if collection is None:
            to_where(filters, {})  # a malformed filter is an error even on an empty store
            return 0
        where = to_where(filters, collection.metadata_schema)
        if where is FALSE:
            return 0
        with _filter_errors():
            return collection.delete(where=_engine_where(where) or "TRUE")

    async def delete_by_filter_async(self, filters: Dict[str, Any]) -> int:
        """Async :meth:`delete_by_filter` (runs in a worker thread)."""
        return await _aio.run(self.delete_by_filter, filters)

    def update_by_filter(self, filters: Dict[str, Any], meta: Dict[str, Any]) -> int:
        """Merges ``meta`` into the meta of every document that matches ``filters``, in one
        commit; returns how many documents were updated. (A read, then an upsert: a concurrent
        write to one of them in between is overwritten.)"""
        if not isinstance(meta, dict):
            raise ValueError(f"meta must be a dict, got {type(meta).__name__}")
        docs = self.filter_documents(filters)
        if not docs or not meta:
            return len(docs)
        updated = [dataclasses.replace(d, meta={**d.meta, **meta}) for d in docs]
        collection = self._store.get()
        assert collection is not None, "documents were read from it"
        self._write(collection, updated, upsert=True)
        return len(updated)

    async def update_by_filter_async(self, filters: Dict[str, Any], meta: Dict[str, Any]) -> int:
        """Async :meth:`update_by_filter` (runs in a worker thread)."""
        return await _aio.run(self.update_by_filter, filters, meta)

    # -- reads ----------------------------------------------------------------------------------

    def count_documents(self) -> int:
        """The number of documents."""
        collection = self._store.get()
        return 0 if collection is None else collection.count()

    async def count_documents_async(self) -> int:
        """Async :meth:`count_documents` (runs in a worker thread)."""
        return await _aio.run(self.count_documents)

    def count_documents_by_filter(self, filters: Dict[str, Any]) -> int:
        """The number of documents that match ``filters``."""
        collection, where = self._where(filters)
        if collection is None or where is FALSE:
            return 0
        with _filter_errors():
            return collection.count(_engine_where(where))

    async def count_documents_by_filter_async(self, filters: Dict[str, Any]) -> int:
        """Async :meth:`count_documents_by_filter` (runs in a worker thread)."""
        return await _aio.run(self.count_documents_by_filter, filters)

    def filter_documents(self, filters: Optional[Dict[str, Any]] = None) -> List[Document]:
        """The documents that match ``filters`` (see the module docs), in storage order."""
        return [_document(*row) for row in self._rows(filters)]

    async def filter_documents_async(self, filters: Optional[Dict[str, Any]] = None) -> List[Document]:
        """Async :meth:`filter_documents` (runs in a worker thread)."""
        return await _aio.run(self.filter_documents, filters)

    def _where(self, filters: Optional[Dict[str, Any]]) -> Tuple[Optional[Collection], Where]:
        collection = self._store.get()
        return collection, to_where(filters, {} if collection is None else collection.metadata_schema)

    def _rows(self, filters: Optional[Dict[str, Any]]) -> List[Tuple[str, Optional[str], Dict[str, Any], Any]]:
        collection, where = self._where(filters)
        if collection is None or where is FALSE:
            return []
        with _filter_errors():
            got = collection.get(where=_engine_where(where))
        return list(zip(got.ids, got.documents, got.metadata, got.vectors))

    # -- metadata statistics (Haystack's optional store methods) --------------------------------

    def count_unique_metadata_by_filter(self, filters: Dict[str, Any], metadata_fields: List[str]) -> Dict[str, int]:
        """For each of ``metadata_fields`` (``meta.`` prefix optional), how many distinct values
        it has among the documents that match ``filters`` (values of different types are
        distinct: ``1``, ``1.0``, ``"1"`` and ``True`` are four)."""
        metas = [_metadata_of(m) for _, _, m, _ in self._rows(filters)]
        out: Dict[str, int] = {}
        for field in metadata_fields:
            key = _meta_key(field)
            out[field] = len({_typed(m[key]) for m in metas if m.get(key) is not None})
        return out

    async def count_unique_metadata_by_filter_async(
        self, filters: Dict[str, Any], metadata_fields: List[str]
    ) -> Dict[str, int]:
        """Async :meth:`count_unique_metadata_by_filter` (runs in a worker thread)."""
        return await _aio.run(self.count_unique_metadata_by_filter, filters, metadata_fields)

    def get_metadata_fields_info(self) -> Dict[str, Dict[str, str]]:
        """The meta keys that have a column, with their types in Haystack's names (``keyword``,
        ``long``, ``float``, ``boolean``, ``date``, ``keyword`` list); keys whose values are all
        kept as JSON (``None``, nested values) are not listed."""
        collection = self._store.get()
        if collection is None or collection.count() == 0:
            return {}
        names = {"str": "keyword", "int": "long", "float": "float", "bool": "boolean", "datetime": "date", "list[str]": "keyword"}
        out: Dict[str, Dict[str, str]] = {}
        for stored, type_ in collection.metadata_schema.items():
            key = _metadata.framework_key(stored)
            if key is not None and stored not in _HIDDEN:
                out[key] = {"type": names.get(type_, type_)}
        return out

    async def get_metadata_fields_info_async(self) -> Dict[str, Dict[str, str]]:
        """Async :meth:`get_metadata_fields_info` (runs in a worker thread)."""
        return await _aio.run(self.get_metadata_fields_info)

    def get_metadata_field_min_max(self, metadata_field: str) -> Dict[str, Any]:
        """The smallest and largest value of a meta key among the documents that have it
        (``{"min": None, "max": None}`` when none has)."""
        key = _meta_key(metadata_field)
        values = [m[key] for m in (_metadata_of(m) for _, _, m, _ in self._rows(None)) if m.get(key) is not None]
        if not values:
            return {"min": None, "max": None}
        try:
            return {"min": min(values), "max": max(values)}
        except TypeError as e:
            raise DocumentStoreError(f"meta key {key!r} holds values that do not compare: {e}") from e

    async def get_metadata_field_min_max_async(self, metadata_field: str) -> Dict[str, Any]:
        """Async :meth:`get_metadata_field_min_max` (runs in a worker thread)."""
        return await _aio.run(self.get_metadata_field_min_max, metadata_field)

    def get_metadata_field_unique_values(
        self,
        metadata_field: str,
        search_term: Optional[str] = None,
        from_: int = 0,
        size: int = 10,
        filters: Optional[Dict[str, Any]] = None,
    ) -> Tuple[List[Any], int]:
        """The distinct values of a meta key among the documents that match ``filters``, sorted
        (by type name, then value), those containing ``search_term`` (case-insensitively) only;
        the page ``[from_, from_ + size)`` and the total number of distinct values."""
        key = _meta_key(metadata_field)
        seen: Dict[Any, Any] = {}
        for _, _, m, _ in self._rows(filters):
            value = _metadata_of(m).get(key)
            if value is None:
                continue
            if search_term is not None and search_term.lower() not in str(value).lower():
                continue
            seen.setdefault(_typed(value), value)
        try:
            keys = sorted(seen)  # (type name, value): values are compared within one type only
        except TypeError:
            keys = sorted(seen, key=repr)
        ordered = [seen[k] for k in keys]
        return ordered[from_ : from_ + size], len(ordered)

    async def get_metadata_field_unique_values_async(
        self,
        metadata_field: str,
        search_term: Optional[str] = None,
        from_: int = 0,
        size: int = 10,
        filters: Optional[Dict[str, Any]] = None,
    ) -> Tuple[List[Any], int]:
        """Async :meth:`get_metadata_field_unique_values` (runs in a worker thread)."""
        return await _aio.run(self.get_metadata_field_unique_values, metadata_field, search_term, from_, size, filters)

    # -- retrieval ------------------------------------------------------------------------------

    def embedding_retrieval(
        self,
        query_embedding: List[float],
        filters: Optional[Dict[str, Any]] = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
    ) -> List[Document]:
        """The ``top_k`` documents nearest to ``query_embedding`` among those that match
        ``filters`` and have an embedding, best first, with their similarity as ``score`` (see
        the module docs).

        Raises:
            ValueError: an empty query embedding, or a negative ``top_k``.
            FilterError: see the module docs.
        """
        if query_embedding is None or len(query_embedding) == 0:
            raise ValueError("query_embedding must be a non-empty list of floats")
        if top_k < 0:
            raise ValueError(f"top_k must be at least 0, got {top_k}")
        collection, where = self._where(filters)
        if collection is None or where is FALSE or top_k == 0:
            return []
        where = _and([where, {NO_EMBEDDING_KEY: {"$exists": False}}])
        with _filter_errors():
            hits = collection.search(np.asarray(query_embedding, dtype=np.float32), top_k, _engine_where(where), include=[])
        scores = {i: _similarity(collection.metric, float(d), scale_score) for i, d in zip(hits.ids, hits.distances)}
        return self._documents(collection, list(hits.ids), scores, return_embedding)

    async def embedding_retrieval_async(
        self,
        query_embedding: List[float],
        filters: Optional[Dict[str, Any]] = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
    ) -> List[Document]:
        """Async :meth:`embedding_retrieval` (runs in a worker thread)."""
        return await _aio.run(self.embedding_retrieval, query_embedding, filters, top_k, scale_score, return_embedding)

    def bm25_retrieval(
        self,
        query: str,
        filters: Optional[Dict[str, Any]] = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
    ) -> List[Document]:
        """The ``top_k`` documents whose content best matches ``query`` by BM25 (the engine's
        full-text index on the collection: Lance's inverted index, brought up to date by each
        search), among those that match ``filters``, best first, with the BM25 score as
        ``score`` (``scale_score``: ``sigmoid(score / 8)``, as Haystack scales BM25).

        Raises:
            ValueError: a negative ``top_k``.
            FilterError: see the module docs.
        """
        if not isinstance(query, str):
            raise ValueError(f"query must be a str, got {type(query).__name__}")
        if top_k < 0:
            raise ValueError(f"top_k must be at least 0, got {top_k}")
        collection, where = self._where(filters)
        if collection is None or where is FALSE or top_k == 0 or not query.strip():
            return []
        with _filter_errors():
            hits = collection.text_search(query, top_k, _engine_where(where))
        scale = (lambda s: 1.0 / (1.0 + math.exp(-s / 8.0))) if scale_score else (lambda s: s)
        scores = {i: scale(float(s)) for i, s in zip(hits.ids, hits.scores)}
        return self._documents(collection, list(hits.ids), scores, return_embedding)

    async def bm25_retrieval_async(
        self,
        query: str,
        filters: Optional[Dict[str, Any]] = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
    ) -> List[Document]:
        """Async :meth:`bm25_retrieval` (runs in a worker thread)."""
        return await _aio.run(self.bm25_retrieval, query, filters, top_k, scale_score, return_embedding)

    def _documents(
        self, collection: Collection, ids: List[str], scores: Dict[str, float], return_embedding: bool
    ) -> List[Document]:
        # Searches carry no vectors, and blob / sparse embedding ride in metadata: read the hits
        # whole, in rank order (one deleted meanwhile is left out).
        got: GetResult = collection.get(ids=ids)
        out = []
        for i, text, meta, vector in zip(got.ids, got.documents, got.metadata, got.vectors):
            out.append(_document(i, text, meta, vector if return_embedding else None, score=scores[i]))
        return out


# -- records ↔ documents ------------------------------------------------------------------------


def _add_hidden(row: Dict[str, Any], d: Document) -> None:
    if d.embedding is None:
        row[NO_EMBEDDING_KEY] = True
    extra: Dict[str, Any] = {}
    if d.blob is not None:
        extra["blob"] = {
            "data": base64.b64encode(d.blob.data).decode("ascii"),
            "mime_type": d.blob.mime_type,
            "meta": d.blob.meta,
        }
    if d.sparse_embedding is not None:
        extra["sparse"] = d.sparse_embedding.to_dict()
    if extra:
        try:
            row[EXTRA_KEY] = json.dumps(extra, ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise _errors.InvalidMetadataError(f"document {d.id!r}: its blob meta is not JSON-serializable: {e}") from e


def _metadata_of(stored: Dict[str, Any]) -> Dict[str, Any]:
    return _metadata.decode({k: v for k, v in stored.items() if k not in _HIDDEN})


def _document(id_: str, text: Optional[str], stored: Dict[str, Any], vector: Any, score: Optional[float] = None) -> Document:
    extra = json.loads(stored[EXTRA_KEY]) if isinstance(stored.get(EXTRA_KEY), str) else {}
    blob = None
    if "blob" in extra:
        b = extra["blob"]
        blob = ByteStream(data=base64.b64decode(b["data"]), mime_type=b.get("mime_type"), meta=b.get("meta") or {})
    sparse = SparseEmbedding.from_dict(extra["sparse"]) if "sparse" in extra else None
    embedding = None
    if vector is not None and not stored.get(NO_EMBEDDING_KEY):
        embedding = [float(x) for x in vector]
    return Document(
        id=id_,
        content=text,
        blob=blob,
        meta=_metadata_of(stored),
        score=score,
        embedding=embedding,
        sparse_embedding=sparse,
    )


def _meta_key(field: str) -> str:
    return field[len("meta.") :] if field.startswith("meta.") else field


def _typed(value: Any) -> Any:
    """A hashable key that keeps values of different types apart (``1``, ``1.0``, ``True``)."""
    try:
        hash(value)
        return (type(value).__name__, value)
    except TypeError:
        return (type(value).__name__, json.dumps(value, sort_keys=True, default=str))


class _filter_errors:
    """The engine's refusal of a filter (a comparison its column cannot make) as Haystack's
    ``FilterError``."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if isinstance(exc, _errors.InvalidFilterError):
            raise FilterError(str(exc)) from exc


# -- components ---------------------------------------------------------------------------------


class _Retriever:
    """What the three retrievers share: settings, their checks, and (de)serialization.

    Args:
        document_store: the store.
        filters: filters applied to every run (combined with a run's own by ``filter_policy``).
        top_k: how many documents (> 0).
        scale_score: scale scores to [0, 1].
        return_embedding: return the documents' embeddings.
        filter_policy: ``REPLACE`` (a run's filters replace these) or ``MERGE`` (both apply).

    Raises:
        TypeError: ``document_store`` is not an :class:`AgentDBDocumentStore`.
        ValueError: ``top_k`` is not positive.
    """

    def __init__(
        self,
        document_store: AgentDBDocumentStore,
        filters: Optional[Dict[str, Any]] = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
        filter_policy: Union[FilterPolicy, str] = FilterPolicy.REPLACE,
    ) -> None:
        if not isinstance(document_store, AgentDBDocumentStore):
            raise TypeError(f"document_store must be an AgentDBDocumentStore, got {type(document_store).__name__}")
        if top_k <= 0:
            raise ValueError(f"top_k must be greater than 0, got {top_k}")
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.scale_score = scale_score
        self.return_embedding = return_embedding
        self.filter_policy = FilterPolicy.from_str(filter_policy) if isinstance(filter_policy, str) else filter_policy

    def to_dict(self) -> Dict[str, Any]:
        """Serializes the component (and its store)."""
        return default_to_dict(
            self,
            document_store=self.document_store.to_dict(),
            filters=self.filters,
            top_k=self.top_k,
            scale_score=self.scale_score,
            return_embedding=self.return_embedding,
            filter_policy=self.filter_policy.value,
        )

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Any:
        """The component from :meth:`to_dict`'s output."""
        params = data.get("init_parameters", {})
        params["document_store"] = AgentDBDocumentStore.from_dict(params["document_store"])
        if "filter_policy" in params:
            params["filter_policy"] = FilterPolicy.from_str(params["filter_policy"])
        return default_from_dict(cls, data)

    def _args(self, filters: Any, top_k: Any, scale_score: Any, return_embedding: Any) -> Dict[str, Any]:
        top_k = self.top_k if top_k is None else top_k
        if top_k < 0:
            raise ValueError(f"top_k must be at least 0, got {top_k}")
        return {
            "filters": apply_filter_policy(self.filter_policy, self.filters, filters),
            "top_k": top_k,
            "scale_score": self.scale_score if scale_score is None else scale_score,
            "return_embedding": self.return_embedding if return_embedding is None else return_embedding,
        }


@component
class AgentDBEmbeddingRetriever(_Retriever):
    """Retrieves the documents nearest to a query embedding from an :class:`AgentDBDocumentStore`
    (see :meth:`AgentDBDocumentStore.embedding_retrieval`). Arguments: ``document_store``,
    ``filters=None``, ``top_k=10``, ``scale_score=False``, ``return_embedding=False``,
    ``filter_policy=REPLACE`` (see :class:`_Retriever`)."""

    @component.output_types(documents=List[Document])
    def run(
        self,
        query_embedding: List[float],
        filters: Optional[Dict[str, Any]] = None,
        top_k: Optional[int] = None,
        scale_score: Optional[bool] = None,
        return_embedding: Optional[bool] = None,
    ) -> Dict[str, List[Document]]:
        """The documents nearest to ``query_embedding`` (arguments left None take the
        component's settings)."""
        args = self._args(filters, top_k, scale_score, return_embedding)
        return {"documents": self.document_store.embedding_retrieval(query_embedding, **args)}

    @component.output_types(documents=List[Document])
    async def run_async(
        self,
        query_embedding: List[float],
        filters: Optional[Dict[str, Any]] = None,
        top_k: Optional[int] = None,
        scale_score: Optional[bool] = None,
        return_embedding: Optional[bool] = None,
    ) -> Dict[str, List[Document]]:
        """Async :meth:`run`."""
        args = self._args(filters, top_k, scale_score, return_embedding)
        return {"documents": await self.document_store.embedding_retrieval_async(query_embedding, **args)}


@component
class AgentDBBM25Retriever(_Retriever):
    """Retrieves the documents that best match a text query by BM25 from an
    :class:`AgentDBDocumentStore` (see :meth:`AgentDBDocumentStore.bm25_retrieval`). Same
    arguments as :class:`AgentDBEmbeddingRetriever`."""

    @component.output_types(documents=List[Document])
    def run(
        self,
        query: str,
        filters: Optional[Dict[str, Any]] = None,
        top_k: Optional[int] = None,
        scale_score: Optional[bool] = None,
        return_embedding: Optional[bool] = None,
    ) -> Dict[str, List[Document]]:
        """The documents that best match ``query``."""
        args = self._args(filters, top_k, scale_score, return_embedding)
        return {"documents": self.document_store.bm25_retrieval(query, **args)}

    @component.output_types(documents=List[Document])
    async def run_async(
        self,
        query: str,
        filters: Optional[Dict[str, Any]] = None,
        top_k: Optional[int] = None,
        scale_score: Optional[bool] = None,
        return_embedding: Optional[bool] = None,
    ) -> Dict[str, List[Document]]:
        """Async :meth:`run`."""
        args = self._args(filters, top_k, scale_score, return_embedding)
        return {"documents": await self.document_store.bm25_retrieval_async(query, **args)}


@component
class AgentDBHybridRetriever(_Retriever):
    """Embedding and BM25 retrieval from one :class:`AgentDBDocumentStore`, fused by
    reciprocal-rank fusion with Haystack's own ``DocumentJoiner`` (each side returns ``top_k``
    candidates; the fused list keeps ``top_k``). Same arguments as
    :class:`AgentDBEmbeddingRetriever` (``scale_score`` applies to each side before fusion)."""

    def _fuse(self, dense: List[Document], sparse: List[Document], top_k: int) -> Dict[str, List[Document]]:
        joiner = DocumentJoiner(join_mode="reciprocal_rank_fusion", top_k=top_k)
        return {"documents": joiner.run(documents=[dense, sparse])["documents"]}

    @component.output_types(documents=List[Document])
    def run(
        self,
        query: str,
        query_embedding: List[float],
        filters: Optional[Dict[str, Any]] = None,
        top_k: Optional[int] = None,
        scale_score: Optional[bool] = None,
        return_embedding: Optional[bool] = None,
    ) -> Dict[str, List[Document]]:
        """The fused results for ``query`` (BM25) and ``query_embedding`` (similarity)."""
        args = self._args(filters, top_k, scale_score, return_embedding)
        dense = self.document_store.embedding_retrieval(query_embedding, **args)
        sparse = self.document_store.bm25_retrieval(query, **args)
        return self._fuse(dense, sparse, args["top_k"])

    @component.output_types(documents=List[Document])
    async def run_async(
        self,
        query: str,
        query_embedding: List[float],
        filters: Optional[Dict[str, Any]] = None,
        top_k: Optional[int] = None,
        scale_score: Optional[bool] = None,
        return_embedding: Optional[bool] = None,
    ) -> Dict[str, List[Document]]:
        """Async :meth:`run`."""
        args = self._args(filters, top_k, scale_score, return_embedding)
        dense = await self.document_store.embedding_retrieval_async(query_embedding, **args)
        sparse = await self.document_store.bm25_retrieval_async(query, **args)
        return self._fuse(dense, sparse, args["top_k"])
