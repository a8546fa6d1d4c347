"""A LlamaIndex retriever over an AgentDB RAG store: dense, BM25 (``TEXT_SEARCH``/``SPARSE``)
or ``HYBRID`` retrieval, all of it done by the engine (``pip install 'agentdb-embedded[llamaindex]'``).

::

    import agentdb
    from llama_index.core.vector_stores.types import VectorStoreQueryMode
    from agentdb.integrations.llamaindex import AgentDBRagRetriever

    retriever = AgentDBRagRetriever.from_embed_model(embed_model, db=agentdb.connect("./kb"), name="docs")
    retriever.add_documents(SimpleDirectoryReader("./handbook").load_data())
    retriever.retrieve("how do I reset my password?")                       # hybrid
    AgentDBRagRetriever(retriever.rag, mode=VectorStoreQueryMode.TEXT_SEARCH).retrieve("password")
    RetrieverQueryEngine.from_args(retriever, llm=llm)

The store is an :class:`agentdb.Rag`: the engine chunks each document, embeds the chunks, keeps
a BM25 full-text index on their text and fuses both rankings by reciprocal rank
(:meth:`agentdb.Rag.search`). The modes are LlamaIndex's: ``HYBRID`` (the default: vector +
BM25), ``DEFAULT`` (vector), ``TEXT_SEARCH`` and ``SPARSE`` (BM25 only, no embedding); ``MMR``
is hybrid re-ranked by maximal marginal relevance (``mmr_threshold`` is the engine's λ, default
0.5). (The :class:`~agentdb.integrations.llamaindex.AgentDBVectorStore`, on a plain collection,
answers these modes too, without chunking or citations: BM25 and hybrid search of the collection.)

Mapping: a LlamaIndex document is a RAG document (``doc_id`` → document id, text, metadata);
each result is a chunk as a ``TextNode`` (``id_`` = chunk id ``"<doc id>#<position>"``, its
``ref_doc_id`` the document id, ``metadata`` as given) with the fused score (larger is better).
Metadata follows :mod:`agentdb.integrations._metadata`, with the engine's chunk keys
(``doc_id``, ``source``, ...) escaped so that a document's own keys of those names are kept.
``MetadataFilters`` translate as for the vector store, except ``is_empty`` (the RAG store does
not expose its column types, which that translation needs) and ``text_match_insensitive``:
both raise :class:`~agentdb.errors.InvalidFilterError`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

try:
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.schema import BaseNode, MetadataMode, NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
    from llama_index.core.vector_stores.types import MetadataFilters, VectorStoreQueryMode
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "agentdb.integrations.llamaindex needs llama-index-core: pip install 'agentdb-embedded[llamaindex]'"
    ) from e

from .. import _native
from .. import aio as _aio
from .. import errors as _errors
from ..database import Database, PathLike, connect
from ..rag import Rag, RagHit
from . import _metadata

__all__ = ["AgentDBRagRetriever", "EmbedModelAdapter"]

#: LlamaIndex's query modes → the engine's retrieval modes (None: the engine's default, hybrid).
_MODES: Dict[VectorStoreQueryMode, str] = {
    VectorStoreQueryMode.HYBRID: "hybrid",
    VectorStoreQueryMode.DEFAULT: "vector",
    VectorStoreQueryMode.TEXT_SEARCH: "text",
    VectorStoreQueryMode.SPARSE: "text",
    VectorStoreQueryMode.MMR: "hybrid",
}
_DEFAULT_MMR_LAMBDA = 0.5


class EmbedModelAdapter:
    """A LlamaIndex ``BaseEmbedding`` as an AgentDB embedder (a callable ``list[str] -> (n,
    dim)`` array with ``embed_query``), for :meth:`agentdb.Database.rag`."""

    def __init__(self, embed_model: BaseEmbedding) -> None:
        self.embed_model = embed_model

    def __call__(self, texts: List[str]) -> np.ndarray:
        return np.asarray(self.embed_model.get_text_embedding_batch(list(texts)), dtype=np.float32)

    def embed_documents(self, texts: List[str]) -> np.ndarray:
        return self(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embed_model.get_query_embedding(text), dtype=np.float32)


class AgentDBRagRetriever(BaseRetriever):
    """A LlamaIndex retriever over an :class:`agentdb.Rag` store (see the module documentation).

    Args:
        rag: the RAG store (``db.rag(name, embedder=...)``), or build one with
            :meth:`from_embed_model`.
        similarity_top_k: how many chunks (default 4).
        mode: a ``VectorStoreQueryMode`` (HYBRID, DEFAULT, TEXT_SEARCH, SPARSE, MMR) or the
            engine's name (``"hybrid"``, ``"vector"``, ``"text"``); None: hybrid.
        filters: ``MetadataFilters`` on the documents' metadata. Or
        where: an AgentDB filter (a dict naming metadata keys as given, or SQL over the stored
            columns, where ``doc_id``/``source``/``position`` are the engine's).
        mmr_threshold: λ for MMR re-ranking (with ``mode=MMR``; or any mode, to re-rank it).
        vector_weight, text_weight, rrf_k, candidates: the engine's fusion settings.
        embed_model: embeds queries (``aget_query_embedding`` in async retrieval); without it
            the RAG's own embedder does (in a worker thread for async).

    Raises:
        InvalidArgumentError: a mode LlamaIndex defines that this retriever does not answer
            (``svm``, regression modes, ``semantic_hybrid``), or both ``filters`` and ``where``.
    """

    def __init__(
        self,
        rag: Rag,
        *,
        similarity_top_k: int = 4,
        mode: Union[VectorStoreQueryMode, str, None] = None,
        filters: Optional[MetadataFilters] = None,
        where: Any = None,
        mmr_threshold: Optional[float] = None,
        vector_weight: Optional[float] = None,
        text_weight: Optional[float] = None,
        rrf_k: Optional[float] = None,
        candidates: Optional[int] = None,
        embed_model: Optional[BaseEmbedding] = None,
        callback_manager: Optional[CallbackManager] = None,
        verbose: bool = False,
    ) -> None:
        if not isinstance(rag, Rag):
            raise _errors.InvalidArgumentError(f"rag must be an agentdb.Rag, got {type(rag).__name__}")
        if filters is not None and where is not None:
            raise _errors.InvalidArgumentError("pass filters= (LlamaIndex MetadataFilters) or where=, not both")
        self.rag = rag
        self.similarity_top_k = similarity_top_k
        self.mode = mode
        self._engine_mode = _engine_mode(mode)
        self.mmr_threshold = mmr_threshold
        if mode == VectorStoreQueryMode.MMR and mmr_threshold is None:
            self.mmr_threshold = _DEFAULT_MMR_LAMBDA
        self._where = (
            to_where_rag(filters) if filters is not None else _metadata.translate_where(where, _metadata.RAG_CHUNK_KEYS)
        )
        self.fusion: Dict[str, Any] = {"vector_weight": vector_weight, "text_weight": text_weight, "rrf_k": rrf_k, "candidates": candidates}
        self.embed_model = embed_model
        self._owned_db: Optional[Database] = None
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    @classmethod
    def from_embed_model(
        cls,
        embed_model: BaseEmbedding,
        *,
        db: Optional[Database] = None,
        path: Optional[PathLike] = None,
        name: str = "llamaindex",
        chunk_size: Optional[int] = None,
        chunk_overlap: Optional[int] = None,
        chunk_unit: Optional[str] = None,
        **kwargs: Any,
    ) -> "AgentDBRagRetriever":
        """A retriever over the RAG store ``name`` of ``db`` (or of the database at ``path``,
        which the retriever then owns and :meth:`close` closes), created if needed, embedding
        with ``embed_model``; ``kwargs`` as for the constructor.

        Raises:
            InvalidArgumentError: neither or both of ``db`` and ``path``; chunk settings out of
                range; an existing store of another dimension than the model's.
        """
        if (db is None) == (path is None):
            raise _errors.InvalidArgumentError("pass exactly one of db= (an open Database) and path=")
        owned = connect(path) if db is None else None  # type: ignore[arg-type]
        database = owned if owned is not None else db
        assert database is not None
        try:
            rag = database.rag(
                name, embedder=EmbedModelAdapter(embed_model), chunk_size=chunk_size,
                chunk_overlap=chunk_overlap, chunk_unit=chunk_unit,
            )
            retriever = cls(rag, embed_model=embed_model, **kwargs)
        except BaseException:
            if owned is not None:
                owned.close()
            raise
        retriever._owned_db = owned
        return retriever

    def close(self) -> None:
        """Closes the database if :meth:`from_embed_model` opened it (``path=``)."""
        if self._owned_db is not None:
            self._owned_db.close()

    # -- writes ---------------------------------------------------------------------------------

    def add_documents(self, documents: Sequence[BaseNode], *, batch_size: int = 32, force: bool = False) -> List[str]:
        """Ingests LlamaIndex documents (or nodes): the engine chunks, embeds and indexes their
        text; an id that exists is replaced, an unchanged document skipped. Returns the ids.

        Raises:
            InvalidMetadataError: a metadata value that is neither storable nor JSON-serializable.
        """
        docs = list(documents)
        encoded = _metadata.encode_batch([d.metadata for d in docs], {}, reserved=_metadata.RAG_CHUNK_KEYS)
        rows = []
        last = {d.node_id: i for i, d in enumerate(docs)}  # the engine refuses repeated ids
        for i in sorted(last.values()):
            source = docs[i].metadata.get("file_path") or docs[i].metadata.get("source")
            rows.append({
                "id": docs[i].node_id,
                "text": docs[i].get_content(metadata_mode=MetadataMode.NONE),
                "source": source if isinstance(source, str) and source else None,
                "metadata": encoded[i],
            })
        self.rag.ingest_documents(rows, batch_size=batch_size, force=force)
        return [d.node_id for d in docs]

    async def aadd_documents(self, documents: Sequence[BaseNode], *, batch_size: int = 32, force: bool = False) -> List[str]:
        """Async :meth:`add_documents` (the engine call, embedding included, in a worker thread)."""
        return await _aio.run(self.add_documents, documents, batch_size=batch_size, force=force)

    def delete(self, ref_doc_id: str) -> int:
        """Deletes a document (all its chunks); returns how many chunks went."""
        return self.rag.delete([ref_doc_id])

    # -- retrieval ------------------------------------------------------------------------------

    def _needs_vector(self) -> bool:
        return _native.retrieval_mode(self._engine_mode) != "text"

    def _search(self, query: str, vector: Any) -> List[NodeWithScore]:
        if vector is None and self.embed_model is not None and self._needs_vector():
            vector = self.embed_model.get_query_embedding(query)
        hits = self.rag.search(
            query, self.similarity_top_k, mode=self._engine_mode, where=self._where, mmr=self.mmr_threshold,
            query_vector=vector, **self.fusion,
        )
        return [_node(h) for h in hits]

    def _retrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        return self._search(query_bundle.query_str, query_bundle.embedding if self._needs_vector() else None)

    async def _aretrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        vector = query_bundle.embedding if self._needs_vector() else None
        if vector is None and self.embed_model is not None and self._needs_vector():
            vector = await self.embed_model.aget_query_embedding(query_bundle.query_str)
        return await _aio.run(self._search, query_bundle.query_str, vector)


def to_where_rag(filters: Optional[MetadataFilters]) -> Any:
    """``MetadataFilters`` → the chunk collection's filter (the RAG store's column types are not
    known here: ``is_empty`` is refused)."""
    from .llamaindex import to_where  # the vector store's translation, with the RAG's reserved keys

    return to_where(filters, None, _metadata.RAG_CHUNK_KEYS)


def _engine_mode(mode: Union[VectorStoreQueryMode, str, None]) -> Optional[str]:
    if mode is None:
        return None
    if isinstance(mode, VectorStoreQueryMode):
        if mode not in _MODES:
            raise _errors.InvalidArgumentError(
                f"query mode {mode.value!r} is not supported by AgentDB's RAG retrieval "
                f"(supported: {', '.join(m.value for m in _MODES)})"
            )
        return _MODES[mode]
    if isinstance(mode, str):
        return _native.retrieval_mode(mode)  # the engine names its modes (and refuses others)
    raise _errors.InvalidArgumentTypeError(f"mode must be a VectorStoreQueryMode or a str, got {type(mode).__name__}")


def _node(hit: RagHit) -> NodeWithScore:
    node = TextNode(id_=hit.id, text=hit.text, metadata=_metadata.decode(hit.metadata))
    node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=hit.doc_id)
    node.start_char_idx, node.end_char_idx = hit.char_start, hit.char_end
    return NodeWithScore(node=node, score=hit.score)
