"""LlamaIndex vector store backed by an AgentDB collection (``pip install 'agentdb-embedded[llamaindex]'``).

::

    import agentdb
    from llama_index.core import StorageContext, VectorStoreIndex
    from agentdb.integrations.llamaindex import AgentDBVectorStore

    store = AgentDBVectorStore(db=agentdb.connect("./my-db"), collection_name="nodes")
    index = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=store),
                             embed_model=embed_model)
    index.as_retriever(similarity_top_k=3, filters=MetadataFilters(...)).retrieve("question")

Mapping: a node is a record (node id → record id, embedding → vector, text → document); its
metadata, plus LlamaIndex's own entries (``_node_content``, the node serialised without its
text, and ``ref_doc_id`` / ``doc_id`` / ``document_id``), is stored in typed columns with the
convention of :mod:`agentdb.integrations._metadata`, so ``MetadataFilters`` run inside the engine.
Adding a node id that exists replaces it. The collection is created on the first ``add`` with the
dimension of the first embedding.

``MetadataFilters`` follow the semantics of LlamaIndex's reference ``SimpleVectorStore``: a
missing key matches ``!=`` and ``nin`` only; ``is_empty`` matches a missing key, ``""`` and
``[]``; ``any`` / ``all`` / ``contains`` / ``text_match`` test membership in a list of strings
or substrings of a string; conditions ``and``, ``or`` and ``not`` (none of the filters holds)
nest. One difference: an empty list is not stored in a column (see
:mod:`agentdb.integrations._metadata`), so conditions other than ``is_empty`` see such a key as
missing, and ``all`` of an empty list does not hold for it (SimpleVectorStore holds it for
``[]``). ``text_match_insensitive`` is refused (:class:`~agentdb.errors.InvalidFilterError`): the
engine has no case-insensitive operator yet.

Similarities (higher is closer): cosine ``cos(q, v)``, dot ``q·v`` (both ``1 - distance``),
l2 ``1 / (1 + ‖q - v‖²)``. Query modes: ``default`` and ``mmr`` (``mmr_threshold`` from the
query or the ``mmr_threshold`` keyword; ``mmr_prefetch_k`` or ``mmr_prefetch_factor`` size the
candidate set). ``text_search`` and ``sparse`` rank the nodes' text by BM25 against
``query_str`` (:meth:`agentdb.Collection.text_search`; ``sparse_top_k``, else
``similarity_top_k``, nodes; similarities are BM25 scores). ``hybrid`` fuses the vector ranking of
``query_embedding`` with the BM25 ranking of ``query_str`` inside the engine
(:meth:`agentdb.Collection.hybrid_search`, reciprocal-rank fusion; ``hybrid_top_k``, else
``similarity_top_k``, nodes; ``sparse_top_k`` candidates per side; ``alpha``, when given, weights
the vector side by ``alpha`` and BM25 by ``1 - alpha``, as LlamaIndex's ``alpha`` does;
similarities are the fused scores). For chunked documents with citations, see
:class:`AgentDBRagRetriever` (:mod:`agentdb.integrations.llamaindex_retriever`), a LlamaIndex
retriever over an :class:`agentdb.Rag`. Also here: :class:`AgentDBChatStore` (a ``BaseChatStore``)
and :class:`AgentDBAsyncChatStore` (the ``AsyncDBChatStore`` behind LlamaIndex's ``Memory``), chat
stores on AgentDB state (:mod:`agentdb.integrations.llamaindex_chat`). The async methods run the engine calls in a worker thread
(:func:`agentdb.aio.run`, AgentDB's worker pool; the engine releases the GIL), never on the event loop.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

try:
    from llama_index.core.bridge.pydantic import PrivateAttr
    from llama_index.core.indices.query.embedding_utils import get_top_k_mmr_embeddings
    from llama_index.core.schema import BaseNode, MetadataMode, TextNode
    from llama_index.core.vector_stores.types import (
        BasePydanticVectorStore,
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
        VectorStoreQuery,
        VectorStoreQueryMode,
        VectorStoreQueryResult,
    )
    from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "agentdb.integrations.llamaindex needs llama-index-core: pip install 'agentdb-embedded[llamaindex]'"
    ) from e

from .. import aio as _aio
from .. import errors as _errors
from ..collection import Collection
from ..database import Database, PathLike
from . import _metadata
from ._collection import LazyCollection, as_matrix

from .llamaindex_chat import AgentDBAsyncChatStore, AgentDBChatStore
from .llamaindex_retriever import AgentDBRagRetriever

__all__ = ["AgentDBVectorStore", "AgentDBChatStore", "AgentDBAsyncChatStore", "AgentDBRagRetriever", "to_where"]

_DEFAULT_MMR_PREFETCH_FACTOR = 4.0
#: Modes that rank by words (BM25): the engine has them for RAG stores (AgentDBRagRetriever).
_TEXT_MODES = (VectorStoreQueryMode.HYBRID, VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE)


class AgentDBVectorStore(BasePydanticVectorStore):
    """A LlamaIndex vector store over one AgentDB collection.

    Args:
        db: an open :class:`agentdb.Database` (the store does not close it). Or:
        path: a database directory to open (closed by :meth:`close`).
        collection_name: the collection (created on the first ``add`` if it does not exist).
        metric: ``"cosine"``, ``"l2"`` or ``"dot"`` for a new collection (default cosine); an
            existing collection must have it unless it is None.

    Raises:
        InvalidArgumentError: neither or both of ``db`` and ``path``, or a ``metric`` that
            differs from the existing collection's.
    """

    stores_text: bool = True
    is_embedding_query: bool = True
    flat_metadata: bool = False
    collection_name: str = "llamaindex"
    metric: Optional[str] = None

    _store: LazyCollection = PrivateAttr()

    def __init__(
        self,
        *,
        db: Optional[Database] = None,
        path: Optional[PathLike] = None,
        collection_name: str = "llamaindex",
        metric: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(collection_name=collection_name, metric=metric, **kwargs)
        self._store = LazyCollection(db, path, collection_name, metric)

    @classmethod
    def class_name(cls) -> str:
        return "AgentDBVectorStore"

    @property
    def client(self) -> Database:
        """The AgentDB database."""
        return self._store.db

    @property
    def collection(self) -> Optional[Collection]:
        """The AgentDB collection, or None until the first ``add`` creates it."""
        return self._store.get()

    def close(self) -> None:
        """Closes the database if the store opened it (``path=``); otherwise does nothing."""
        self._store.close()

    # -- writes ---------------------------------------------------------------------------------

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> List[str]:
        """Stores nodes (each must carry its embedding); a node id that exists is replaced.

        Returns:
            The node ids.

        Raises:
            ValueError: a node without an embedding.
            InvalidArgumentError: a vector that cannot be stored (wrong dimension, NaN, all
                zeros for cosine).
        """
        if not nodes:
            return []
        ids = [node.node_id for node in nodes]
        vectors = as_matrix([node.get_embedding() for node in nodes], len(nodes))
        texts = [node.get_content(metadata_mode=MetadataMode.NONE) for node in nodes]
        metadata = [node_to_metadata_dict(node, remove_text=True, flat_metadata=self.flat_metadata) for node in nodes]
        self._store.upsert(ids, vectors, texts, metadata)
        return ids

    async def async_add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> List[str]:
        """Async :meth:`add` (runs in a worker thread)."""
        return await _aio.run(self.add, nodes, **add_kwargs)

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Deletes every node of the source document ``ref_doc_id``."""
        collection = self._store.get()
        if collection is not None:
            collection.delete(where={"ref_doc_id": ref_doc_id})

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Async :meth:`delete` (runs in a worker thread)."""
        await _aio.run(self.delete, ref_doc_id, **delete_kwargs)

    def delete_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
        **delete_kwargs: Any,
    ) -> None:
        """Deletes the nodes with these ids that match ``filters`` (either may be None; both
        None deletes every node, as in LlamaIndex's ``SimpleVectorStore``; an empty ``node_ids``
        list deletes nothing)."""
        collection = self._store.get()
        if collection is None or (node_ids is not None and not node_ids):
            return
        where = to_where(filters, collection.metadata_schema)
        collection.delete(ids=node_ids, where="TRUE" if where is None and node_ids is None else where)

    async def adelete_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
        **delete_kwargs: Any,
    ) -> None:
        """Async :meth:`delete_nodes` (runs in a worker thread)."""
        await _aio.run(self.delete_nodes, node_ids, filters, **delete_kwargs)

    def clear(self) -> None:
        """Deletes every node (the collection stays)."""
        collection = self._store.get()
        if collection is not None:
            collection.delete(where="TRUE")

    async def aclear(self) -> None:
        """Async :meth:`clear` (runs in a worker thread)."""
        await _aio.run(self.clear)

    # -- reads ----------------------------------------------------------------------------------

    def get_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
    ) -> List[BaseNode]:
        """The nodes with these ids (in that order; missing ids are left out) that match
        ``filters``; with neither, every node."""
        collection = self._store.get()
        if collection is None or (node_ids is not None and not node_ids):
            return []
        got = collection.get(ids=node_ids, where=to_where(filters, collection.metadata_schema))
        return [_node(i, d, m, v) for i, d, m, v in zip(got.ids, got.documents, got.metadata, got.vectors)]

    async def aget_nodes(
        self,
        node_ids: Optional[List[str]] = None,
        filters: Optional[MetadataFilters] = None,
    ) -> List[BaseNode]:
        """Async :meth:`get_nodes` (runs in a worker thread)."""
        return await _aio.run(self.get_nodes, node_ids, filters)

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The ``similarity_top_k`` nodes nearest to ``query.query_embedding`` among those that
        match ``query.filters``, ``query.doc_ids`` and ``query.node_ids``, nearest first. An empty
        ``node_ids`` or ``doc_ids`` list restricts nothing: ``VectorStoreIndex`` passes
        ``node_ids=[]`` for every store that keeps the text, as this one does.

        Raises:
            InvalidArgumentError: no query embedding (default, mmr, hybrid) or no ``query_str``
                (text_search, sparse, hybrid), an ``alpha`` outside 0 … 1, or a mode other than
                default, mmr, hybrid, text_search and sparse.
            InvalidFilterError: a filter the engine cannot evaluate (see the module docs).
        """
        if query.mode in _TEXT_MODES:
            return self._query_text(query)
        if query.mode not in (VectorStoreQueryMode.DEFAULT, VectorStoreQueryMode.MMR):
            raise _errors.InvalidArgumentError(
                f"query mode {query.mode.value!r} is not supported (default, mmr, hybrid, text_search, sparse)"
            )
        if query.query_embedding is None:
            raise _errors.InvalidArgumentError("the query has no query_embedding")
        collection = self._store.get()
        k = query.similarity_top_k
        if collection is None or k <= 0:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        where = _combine(to_where(query.filters, collection.metadata_schema), query)
        if query.mode == VectorStoreQueryMode.MMR:
            return self._query_mmr(collection, query, where, kwargs)
        hits = collection.search(query.query_embedding, k, where)
        similarity = _similarity(collection.metric)
        nodes = [_node(i, d, m) for i, d, m in zip(hits.ids, hits.documents, hits.metadata)]
        return VectorStoreQueryResult(
            nodes=nodes, similarities=[similarity(float(x)) for x in hits.distances], ids=list(hits.ids)
        )

    def _query_text(self, query: VectorStoreQuery) -> VectorStoreQueryResult:
        """``text_search`` / ``sparse`` (BM25) and ``hybrid`` (vector + BM25 fused in the engine)."""
        hybrid = query.mode == VectorStoreQueryMode.HYBRID
        if not query.query_str or not query.query_str.strip():
            raise _errors.InvalidArgumentError(f"query mode {query.mode.value!r} needs the query's text (query_str)")
        if hybrid and query.query_embedding is None:
            raise _errors.InvalidArgumentError("query mode 'hybrid' needs the query's embedding (query_embedding)")
        if hybrid and query.alpha is not None and not 0.0 <= query.alpha <= 1.0:
            raise _errors.InvalidArgumentError(f"alpha must be between 0 and 1, got {query.alpha}")
        collection = self._store.get()
        top = query.hybrid_top_k if hybrid else query.sparse_top_k
        k = top or query.similarity_top_k
        if collection is None or k <= 0:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        where = _combine(to_where(query.filters, collection.metadata_schema), query)
        if hybrid:
            weights: Dict[str, Any] = {}
            if query.alpha is not None:
                weights = {"vector_weight": query.alpha, "text_weight": 1.0 - query.alpha}
            found: Any = collection.hybrid_search(
                query.query_embedding, query.query_str, k, where, candidates=query.sparse_top_k or None, **weights
            )
        else:
            found = collection.text_search(query.query_str, k, where)
        nodes = [_node(i, d, m) for i, d, m in zip(found.ids, found.documents, found.metadata)]
        return VectorStoreQueryResult(nodes=nodes, similarities=[float(x) for x in found.scores], ids=list(found.ids))

    def _query_mmr(
        self, collection: Collection, query: VectorStoreQuery, where: Any, kwargs: Dict[str, Any]
    ) -> VectorStoreQueryResult:
        k = query.similarity_top_k
        prefetch = kwargs.get("mmr_prefetch_k") or int(
            k * kwargs.get("mmr_prefetch_factor", _DEFAULT_MMR_PREFETCH_FACTOR)
        )
        hits = collection.search(query.query_embedding, max(prefetch, k), where, ids_only=True)
        # Search results carry no vectors: read the candidates (one deleted meanwhile is no
        # longer a candidate).
        got = collection.get(ids=hits.ids)
        if len(got) == 0:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        threshold = query.mmr_threshold if query.mmr_threshold is not None else kwargs.get("mmr_threshold")
        similarities, picked = get_top_k_mmr_embeddings(
            list(query.query_embedding),
            got.vectors.tolist(),
            similarity_top_k=k,
            embedding_ids=list(range(len(got))),
            mmr_threshold=threshold,
        )
        nodes = [_node(got.ids[i], got.documents[i], got.metadata[i]) for i in picked]
        return VectorStoreQueryResult(nodes=nodes, similarities=list(similarities), ids=[got.ids[i] for i in picked])

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """Async :meth:`query` (runs in a worker thread)."""
        return await _aio.run(self.query, query, **kwargs)


# -- filters ------------------------------------------------------------------------------------


def to_where(
    filters: Optional[MetadataFilters], schema: Optional[Dict[str, str]], reserved: Sequence[str] = ()
) -> Optional[Dict[str, Any]]:
    """LlamaIndex ``MetadataFilters`` → an AgentDB dict filter with the same meaning, given the
    collection's ``metadata_schema`` (stored key → type; None when the store does not expose
    it); None when there is nothing to filter. ``reserved``: keys the store keeps for itself,
    escaped (see :func:`agentdb.integrations._metadata.stored_key`).

    The engine's conditions follow SQL (a condition on a missing key is unknown, and so is its
    negation); every leaf is made two-valued here (it holds only where the key is present) so
    that ``not`` and the missing-key rules of LlamaIndex come out right.

    Raises:
        InvalidFilterError: ``text_match_insensitive``; ``is_empty`` without a schema; a key too
            long to have a column; an unknown operator or condition.
    """
    if filters is None or not filters.filters:
        return None
    parts = [
        to_where(f, schema, reserved) if isinstance(f, MetadataFilters) else _leaf(f, schema, reserved)
        for f in filters.filters
    ]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if condition == FilterCondition.OR:
        return parts[0] if len(parts) == 1 else {"$or": parts}
    if condition == FilterCondition.NOT:
        return {"$not": parts[0] if len(parts) == 1 else {"$or": parts}}
    raise _errors.InvalidFilterError(f"unknown filter condition {condition!r}")


def _leaf(f: MetadataFilter, schema: Optional[Dict[str, str]], reserved: Sequence[str] = ()) -> Dict[str, Any]:
    key = _metadata.stored_key(f.key, reserved)
    if key is None:
        raise _errors.InvalidFilterError(f"metadata key {f.key!r} is too long to have a column")
    op, value = f.operator, f.value
    present = {key: {"$exists": True}}
    missing = {key: {"$exists": False}}

    def when_present(cond: Dict[str, Any]) -> Dict[str, Any]:
        return {"$and": [present, cond]}

    if op == FilterOperator.IS_EMPTY:
        if schema is None:  # whether "" can be compared depends on the column's type
            raise _errors.InvalidFilterError(
                "filter operator 'is_empty' needs the store's column types, which this store does not expose"
            )
        # Empty lists never reach a column (the metadata convention keeps them aside).
        return {"$or": [missing, when_present({key: ""})]} if schema.get(key) == "str" else missing
    simple = {
        FilterOperator.EQ: "$eq",
        FilterOperator.GT: "$gt",
        FilterOperator.GTE: "$gte",
        FilterOperator.LT: "$lt",
        FilterOperator.LTE: "$lte",
        FilterOperator.CONTAINS: "$contains",
        FilterOperator.TEXT_MATCH: "$contains",
    }
    if op in simple:
        return when_present({key: {simple[op]: value}})
    values = value if isinstance(value, list) else [value]
    if op == FilterOperator.NE:
        return {"$or": [missing, when_present({key: {"$ne": value}})]}
    if op == FilterOperator.IN:
        return when_present({key: {"$in": values}})
    if op == FilterOperator.NIN:
        return {"$or": [missing, when_present({key: {"$nin": values}})]}
    if op in (FilterOperator.ANY, FilterOperator.ALL):
        if not values:  # any() of nothing is false, all() of nothing is true (given the key)
            return {"id": {"$in": []}} if op == FilterOperator.ANY else present  # $in [] is false
        each = [{key: {"$contains": v}} for v in values]
        return when_present({"$or" if op == FilterOperator.ANY else "$and": each})
    raise _errors.InvalidFilterError(
        f"filter operator {op.value!r} is not supported by AgentDB (no case-insensitive matching yet)"
        if op == FilterOperator.TEXT_MATCH_INSENSITIVE
        else f"unknown filter operator {op!r}"
    )


def _combine(where: Optional[Dict[str, Any]], query: VectorStoreQuery) -> Optional[Dict[str, Any]]:
    """``where`` AND the query's restriction to node ids / source documents."""
    parts = [] if where is None else [where]
    if query.node_ids:
        parts.append({"id": {"$in": list(query.node_ids)}})  # the record id column
    if query.doc_ids:
        parts.append({"ref_doc_id": {"$in": list(query.doc_ids)}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _similarity(metric: str) -> Any:
    if metric == "l2":
        return lambda d: 1.0 / (1.0 + d)
    return lambda d: 1.0 - d


def _node(id_: str, text: Optional[str], stored: Dict[str, Any], vector: Any = None) -> BaseNode:
    metadata = _metadata.decode(stored)
    if "_node_content" in metadata:
        node = metadata_dict_to_node(metadata, text=text or "")
    else:  # written by other means than this store: a plain text node
        node = TextNode(id_=id_, text=text or "", metadata=metadata)
    if vector is not None:
        node.embedding = [float(x) for x in vector]
    return node
