"""LangChain vector store backed by an AgentDB collection (``pip install 'agentdb-embedded[langchain]'``).

::

    import agentdb
    from agentdb.integrations.langchain import AgentDBVectorStore

    db = agentdb.connect("./my-db")
    store = AgentDBVectorStore(embeddings, db=db, collection_name="docs")
    store.add_texts(["AgentDB stores vectors"], metadatas=[{"source": "readme"}], ids=["a"])
    store.similarity_search("vectors", k=1, filter={"source": "readme"})
    retriever = store.as_retriever(search_type="mmr", search_kwargs={"k": 4})

Hybrid search on the store itself: :meth:`AgentDBVectorStore.hybrid_search` (and
``hybrid_search_with_score``, async twins) ranks by the query's embedding and by BM25 over the
documents, fused in the engine (:meth:`agentdb.Collection.hybrid_search`). Also here:
:class:`AgentDBHybridRetriever` (vector + BM25 retrieval fused by the engine, over
an AgentDB RAG store; :mod:`agentdb.integrations.langchain_retriever`) and
:class:`AgentDBChatMessageHistory` (a ``BaseChatMessageHistory`` on AgentDB state;
:mod:`agentdb.integrations.langchain_chat`).

Mapping: one vector store is one AgentDB collection; a LangChain id is the record id (a uuid4 is
generated for documents without one), ``page_content`` is the record's document, and metadata
is stored in typed columns with the convention of :mod:`agentdb.integrations._metadata` (keys
that are not identifiers, such as ``"id"``, are escaped; nested values and values of a type
their key does not hold are kept in a JSON side entry; every value comes back as it was given).
Adding an id that exists replaces that document (it is an upsert), so re-adding is idempotent.

The collection is created on the first write, with the dimension of the first embedding and the
store's metric (``"cosine"`` unless told otherwise); an existing collection is used as it is.

Filters (``filter=``) are AgentDB dict filters naming metadata keys as LangChain spells them,
``{"source": "readme", "page": {"$gte": 2}}`` (operators ``$eq $ne $gt $gte $lt $lte $in $nin
$contains $exists`` and ``$and $or $not``), or a SQL string over the stored column names.

Async methods are real coroutines: embeddings go through the embedder's own async methods
(``aembed_documents`` / ``aembed_query``) and every engine call runs in a worker thread
(:func:`agentdb.aio.run`, AgentDB's worker pool; the engine releases the GIL), so the event loop is never blocked.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Type, TypeVar, Union

import numpy as np

try:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import VectorStore
    from langchain_core.vectorstores.utils import maximal_marginal_relevance
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "agentdb.integrations.langchain needs langchain-core: pip install 'agentdb-embedded[langchain]'"
    ) from e

from .. import aio as _aio
from .. import errors as _errors
from ..collection import Collection, Where
from ..database import Database, PathLike
from . import _metadata
from ._collection import LazyCollection, as_matrix

from .langchain_chat import AgentDBChatMessageHistory
from .langchain_retriever import AgentDBHybridRetriever

__all__ = ["AgentDBVectorStore", "AgentDBHybridRetriever", "AgentDBChatMessageHistory"]

VST = TypeVar("VST", bound="AgentDBVectorStore")

_SEARCH_OPTIONS = ("ef", "exact")


def _cosine_or_dot_relevance(distance: float) -> float:
    # cosine: 1 - d is the cosine similarity; dot: 1 - d is the inner product, which is the cosine
    # for the unit-length embeddings dot is meant for. Negative similarities (opposite
    # directions) are no more relevant than orthogonal ones: clamp to LangChain's [0, 1].
    return min(1.0, max(0.0, 1.0 - distance))


def _l2_relevance(distance: float) -> float:
    # The engine reports the squared Euclidean distance; LangChain's convention for l2 is
    # 1 - ‖q - v‖ / √2, which spans [0, 1] for unit-length embeddings. Clamped for others.
    return min(1.0, max(0.0, 1.0 - math.sqrt(max(distance, 0.0)) / math.sqrt(2.0)))


class AgentDBVectorStore(VectorStore):
    """A LangChain :class:`~langchain_core.vectorstores.VectorStore` over one AgentDB collection.

    Args:
        embedding: the LangChain embeddings model for documents and queries.
        db: an open :class:`agentdb.Database` (the store does not close it). Or:
        path: a database directory to open; the store owns that database and :meth:`close`
            closes it.
        collection_name: the collection (created on the first write if it does not exist).
        metric: ``"cosine"``, ``"l2"`` or ``"dot"`` for a new collection (default cosine); for an
            existing collection, None accepts its metric and anything else must match it.
        relevance_score_fn: maps a distance to a relevance in [0, 1] for
            ``similarity_search_with_relevance_scores``; by default chosen by metric: cosine and
            dot ``1 - distance`` (the cosine similarity), l2 ``1 - ‖q - v‖ / √2``, clamped to [0, 1].

    Raises:
        InvalidArgumentError: neither or both of ``db`` and ``path``, or a ``metric`` that
            differs from the existing collection's.
    """

    def __init__(
        self,
        embedding: Embeddings,
        *,
        db: Optional[Database] = None,
        path: Optional[PathLike] = None,
        collection_name: str = "langchain",
        metric: Optional[str] = None,
        relevance_score_fn: Optional[Callable[[float], float]] = None,
    ) -> None:
        self._embedding = embedding
        self._store = LazyCollection(db, path, collection_name, metric)
        self._relevance_score_fn = relevance_score_fn

    # -- the collection -------------------------------------------------------------------------

    @property
    def embeddings(self) -> Embeddings:
        """The embeddings model."""
        return self._embedding

    @property
    def db(self) -> Database:
        """The AgentDB database."""
        return self._store.db

    @property
    def collection_name(self) -> str:
        """The name of the collection that holds the documents."""
        return self._store.name

    @property
    def collection(self) -> Optional[Collection]:
        """The AgentDB collection, or None until the first write creates it."""
        return self._store.get()

    def delete_collection(self) -> None:
        """Drops the collection and all its documents (the next write creates it afresh)."""
        self._store.drop()

    def close(self) -> None:
        """Closes the database if the store opened it (``path=``); otherwise does nothing."""
        self._store.close()

    # -- writes ---------------------------------------------------------------------------------

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: Optional[List[dict]] = None,
        *,
        ids: Optional[List[Optional[str]]] = None,
        batch_size: Optional[int] = None,
        **kwargs: Any,
    ) -> List[str]:
        """Embeds ``texts`` and stores them; an id that exists is replaced (upsert).

        Args:
            texts: the documents' text.
            metadatas: one metadata dict per text (see the module documentation for how values
                are stored; they come back as given).
            ids: one id per text; a missing (None or empty) id becomes a new uuid4.
            batch_size: embed and write this many texts at a time (each batch is one atomic
                commit); by default all of them at once, so the call is all-or-nothing.

        Returns:
            The ids, in the order of ``texts``. When an id repeats in one call, the last text
            with that id is the one stored (as if they had been added one after the other).

        Raises:
            InvalidArgumentError: ``metadatas`` or ``ids`` of another length than ``texts``; a
                vector that cannot be stored (wrong dimension, NaN, all zeros for cosine).
            InvalidMetadataError: a metadata value that is neither storable nor JSON-serializable.
        """
        _no_extra(kwargs, "add_texts")
        texts, metadatas, ids = _batch(texts, metadatas, ids)
        for lo, hi in _chunks(len(texts), batch_size):
            vectors = self._embedding.embed_documents(texts[lo:hi])
            self._write(ids[lo:hi], vectors, texts[lo:hi], metadatas[lo:hi])
        return ids

    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: Optional[List[dict]] = None,
        *,
        ids: Optional[List[Optional[str]]] = None,
        batch_size: Optional[int] = None,
        **kwargs: Any,
    ) -> List[str]:
        """Async :meth:`add_texts`: embeds with ``aembed_documents``, writes in a worker thread."""
        _no_extra(kwargs, "aadd_texts")
        texts, metadatas, ids = _batch(texts, metadatas, ids)
        for lo, hi in _chunks(len(texts), batch_size):
            vectors = await self._embedding.aembed_documents(texts[lo:hi])
            await _aio.run(self._write, ids[lo:hi], vectors, texts[lo:hi], metadatas[lo:hi])
        return ids

    def _write(self, ids: List[str], vectors: Any, texts: List[str], metadatas: List[Optional[dict]]) -> None:
        self._store.upsert(ids, as_matrix(vectors, len(texts)), texts, metadatas)

    def delete(self, ids: Optional[List[str]] = None, **kwargs: Any) -> bool:
        """Deletes the documents with these ids (ids that do not exist are ignored).

        With ``filter=`` (a dict or SQL filter, as for searches), deletes the documents that
        match it, restricted to ``ids`` when both are given. With neither, as LangChain's
        interface specifies, deletes every document (the collection itself stays).

        Returns:
            True.
        """
        where = kwargs.pop("filter", None)
        _no_extra(kwargs, "delete")
        collection = self._store.get()
        if collection is None:
            return True
        if ids is None and where is None:
            collection.delete(where="TRUE")
        elif ids is None or len(ids) > 0:
            collection.delete(ids=None if ids is None else list(ids), where=_metadata.translate_where(where))
        return True

    async def adelete(self, ids: Optional[List[str]] = None, **kwargs: Any) -> bool:
        """Async :meth:`delete` (runs in a worker thread)."""
        return await _aio.run(self.delete, ids, **kwargs)

    # -- reads ----------------------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> List[Document]:
        """The documents with these ids, in the order given; missing ids are left out."""
        collection = self._store.get()
        wanted = list(dict.fromkeys(ids))
        if collection is None or not wanted:
            return []
        got = collection.get(ids=wanted)
        return [_document(i, d, m) for i, d, m in zip(got.ids, got.documents, got.metadata)]

    async def aget_by_ids(self, ids: Sequence[str], /) -> List[Document]:
        """Async :meth:`get_by_ids` (runs in a worker thread)."""
        return await _aio.run(self.get_by_ids, ids)

    def similarity_search_with_score_by_vector(
        self, embedding: Sequence[float], k: int = 4, filter: Where = None, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """The ``k`` documents nearest to ``embedding`` with their distances (smaller is closer:
        cosine ``1 - cos``, l2 squared Euclidean, dot ``1 - q·v``), nearest first.

        Args:
            embedding: the query vector.
            k: how many documents (fewer when fewer match).
            filter: only documents whose metadata match (dict or SQL filter).
            ef: with an HNSW index on the collection, the search's candidate list size.
            exact: scan every document even when the collection has an index.
        """
        options = _search_options(kwargs, "similarity_search")
        collection = self._store.get()
        if collection is None:
            return []
        hits = collection.search(_as_vector(embedding), k, _metadata.translate_where(filter), **options)
        return [
            (_document(i, d, m), float(dist))
            for i, dist, d, m in zip(hits.ids, hits.distances, hits.documents, hits.metadata)
        ]

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: Where = None, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """The ``k`` documents nearest to the text ``query`` with their distances (see
        :meth:`similarity_search_with_score_by_vector`)."""
        return self.similarity_search_with_score_by_vector(self._embedding.embed_query(query), k, filter, **kwargs)

    def similarity_search_by_vector(
        self, embedding: List[float], k: int = 4, filter: Where = None, **kwargs: Any
    ) -> List[Document]:
        """The ``k`` documents nearest to ``embedding``, nearest first."""
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k, filter, **kwargs)]

    def similarity_search(self, query: str, k: int = 4, filter: Where = None, **kwargs: Any) -> List[Document]:
        """The ``k`` documents nearest to the text ``query``, nearest first (``filter``, ``ef``
        and ``exact`` as for :meth:`similarity_search_with_score_by_vector`)."""
        return self.similarity_search_by_vector(self._embedding.embed_query(query), k, filter, **kwargs)

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, filter: Where = None, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """Async :meth:`similarity_search_with_score` (``aembed_query``, then a worker thread)."""
        embedding = await self._embedding.aembed_query(query)
        return await _aio.run(self.similarity_search_with_score_by_vector, embedding, k, filter, **kwargs)

    async def asimilarity_search_by_vector(
        self, embedding: List[float], k: int = 4, filter: Where = None, **kwargs: Any
    ) -> List[Document]:
        """Async :meth:`similarity_search_by_vector` (runs in a worker thread)."""
        return await _aio.run(self.similarity_search_by_vector, embedding, k, filter, **kwargs)

    async def asimilarity_search(self, query: str, k: int = 4, filter: Where = None, **kwargs: Any) -> List[Document]:
        """Async :meth:`similarity_search` (``aembed_query``, then a worker thread)."""
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, filter, **kwargs)]

    # -- hybrid (vector + BM25) ------------------------------------------------------------------

    def hybrid_search_with_score(
        self, query: str, k: int = 4, filter: Where = None, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """The ``k`` best documents for ``query`` by its embedding's nearest neighbours and by
        BM25 over the documents' text, fused by the engine
        (:meth:`agentdb.Collection.hybrid_search`), best first, with the fused score (larger is
        better).

        Args:
            query: the text: embedded for the vector side, matched as is by BM25.
            k: how many documents (fewer when fewer match).
            filter: only documents whose metadata match, on both sides (dict or SQL filter).
            method: ``"rrf"`` (reciprocal-rank fusion, the default) or ``"linear"``.
            vector_weight, text_weight, rrf_k, candidates: as for
                :meth:`agentdb.Collection.hybrid_search`.
        """
        return self._hybrid(self._embedding.embed_query(query), query, k, filter, kwargs)

    def hybrid_search(self, query: str, k: int = 4, filter: Where = None, **kwargs: Any) -> List[Document]:
        """The documents of :meth:`hybrid_search_with_score`."""
        return [doc for doc, _ in self.hybrid_search_with_score(query, k, filter, **kwargs)]

    async def ahybrid_search_with_score(
        self, query: str, k: int = 4, filter: Where = None, **kwargs: Any
    ) -> List[Tuple[Document, float]]:
        """Async :meth:`hybrid_search_with_score` (``aembed_query``, then a worker thread)."""
        embedding = await self._embedding.aembed_query(query)
        return await _aio.run(self._hybrid, embedding, query, k, filter, kwargs)

    async def ahybrid_search(self, query: str, k: int = 4, filter: Where = None, **kwargs: Any) -> List[Document]:
        """Async :meth:`hybrid_search`."""
        return [doc for doc, _ in await self.ahybrid_search_with_score(query, k, filter, **kwargs)]

    def _hybrid(
        self, embedding: Sequence[float], query: str, k: int, filter: Where, kwargs: Dict[str, Any]
    ) -> List[Tuple[Document, float]]:
        options = {name: kwargs.pop(name) for name in _HYBRID_OPTIONS if name in kwargs}
        _no_extra(kwargs, "hybrid_search")
        collection = self._store.get()
        if collection is None:
            return []
        hits = collection.hybrid_search(_as_vector(embedding), query, k, _metadata.translate_where(filter), **options)
        return [
            (_document(i, d, m), float(score))
            for i, score, d, m in zip(hits.ids, hits.scores, hits.documents, hits.metadata)
        ]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        if self._relevance_score_fn is not None:
            return self._relevance_score_fn
        return _l2_relevance if self._store.effective_metric() == "l2" else _cosine_or_dot_relevance

    # -- maximal marginal relevance -------------------------------------------------------------

    def max_marginal_relevance_search_by_vector(
        self,
        embedding: List[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Where = None,
        **kwargs: Any,
    ) -> List[Document]:
        """``k`` documents chosen by maximal marginal relevance among the ``fetch_k`` nearest to
        ``embedding``: each pick maximises ``lambda_mult · sim(query) − (1 − lambda_mult) ·
        max sim(picked)`` (cosine similarities), so 1 ranks by similarity alone and 0 favours
        diversity. ``filter``, ``ef`` and ``exact`` apply to the nearest-neighbour search."""
        options = _search_options(kwargs, "max_marginal_relevance_search")
        collection = self._store.get()
        if collection is None or k <= 0:
            return []
        query = _as_vector(embedding)
        hits = collection.search(query, max(fetch_k, k), _metadata.translate_where(filter), ids_only=True, **options)
        # Vectors are not part of search results: read the candidates (in rank order; one
        # deleted meanwhile is simply no longer a candidate).
        got = collection.get(ids=hits.ids)
        if len(got) == 0:
            return []
        picked = maximal_marginal_relevance(query, list(got.vectors), lambda_mult=lambda_mult, k=k)
        return [_document(got.ids[i], got.documents[i], got.metadata[i]) for i in picked]

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Where = None,
        **kwargs: Any,
    ) -> List[Document]:
        """:meth:`max_marginal_relevance_search_by_vector` for the text ``query``."""
        return self.max_marginal_relevance_search_by_vector(
            self._embedding.embed_query(query), k, fetch_k, lambda_mult, filter, **kwargs
        )

    async def amax_marginal_relevance_search_by_vector(
        self,
        embedding: List[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Where = None,
        **kwargs: Any,
    ) -> List[Document]:
        """Async :meth:`max_marginal_relevance_search_by_vector` (runs in a worker thread)."""
        return await _aio.run(
            self.max_marginal_relevance_search_by_vector, embedding, k, fetch_k, lambda_mult, filter, **kwargs
        )

    async def amax_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Where = None,
        **kwargs: Any,
    ) -> List[Document]:
        """Async :meth:`max_marginal_relevance_search` (``aembed_query``, then a worker thread)."""
        embedding = await self._embedding.aembed_query(query)
        return await self.amax_marginal_relevance_search_by_vector(embedding, k, fetch_k, lambda_mult, filter, **kwargs)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls: Type[VST],
        texts: List[str],
        embedding: Embeddings,
        metadatas: Optional[List[dict]] = None,
        *,
        ids: Optional[List[Optional[str]]] = None,
        **kwargs: Any,
    ) -> VST:
        """A store (``db=`` or ``path=``, ``collection_name=``, ``metric=`` and
        ``relevance_score_fn=`` as for the constructor) holding ``texts``."""
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    async def afrom_texts(
        cls: Type[VST],
        texts: List[str],
        embedding: Embeddings,
        metadatas: Optional[List[dict]] = None,
        *,
        ids: Optional[List[Optional[str]]] = None,
        **kwargs: Any,
    ) -> VST:
        """Async :meth:`from_texts` (opening the database runs in a worker thread)."""
        store = await _aio.run(lambda: cls(embedding, **kwargs))
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store


# -- helpers ------------------------------------------------------------------------------------


_HYBRID_OPTIONS = ("method", "vector_weight", "text_weight", "rrf_k", "candidates")


def _no_extra(kwargs: dict, method: str) -> None:
    if kwargs:
        raise TypeError(f"{method}() got unexpected keyword arguments: {', '.join(sorted(kwargs))}")


def _search_options(kwargs: dict, method: str) -> dict:
    options = {name: kwargs.pop(name) for name in _SEARCH_OPTIONS if name in kwargs}
    _no_extra(kwargs, method)
    return options


def _chunks(n: int, batch_size: Optional[int]) -> List[Tuple[int, int]]:
    """``[lo, hi)`` ranges covering ``n`` items, ``batch_size`` at a time (all at once if None)."""
    if batch_size is not None and batch_size < 1:
        raise _errors.InvalidArgumentError(f"batch_size must be at least 1, got {batch_size}")
    step = batch_size or max(n, 1)
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


def _batch(
    texts: Iterable[str], metadatas: Optional[Sequence[Optional[dict]]], ids: Optional[Sequence[Optional[str]]]
) -> Tuple[List[str], List[Optional[dict]], List[str]]:
    """Checks lengths and fills in missing ids (uuid4)."""
    texts = list(texts)
    if metadatas is None:
        metadatas = [None] * len(texts)
    elif len(metadatas) != len(texts):
        raise _errors.InvalidArgumentError(f"{len(metadatas)} metadatas for {len(texts)} texts")
    if ids is None:
        ids = [None] * len(texts)
    elif len(ids) != len(texts):
        raise _errors.InvalidArgumentError(f"{len(ids)} ids for {len(texts)} texts")
    return texts, list(metadatas), [id_ if id_ else str(uuid.uuid4()) for id_ in ids]


def _as_vector(embedding: Union[Sequence[float], np.ndarray]) -> np.ndarray:
    return np.asarray(embedding, dtype=np.float32)


def _document(id_: str, text: Optional[str], metadata: dict) -> Document:
    return Document(id=id_, page_content=text or "", metadata=_metadata.decode(metadata))
