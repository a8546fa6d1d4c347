"""A LangChain retriever over an AgentDB RAG store: vector, BM25 or hybrid retrieval, all of it
done by the engine (``pip install 'agentdb-embedded[langchain]'``).

::

    import agentdb
    from agentdb.integrations.langchain import AgentDBHybridRetriever

    db = agentdb.connect("./kb")
    retriever = AgentDBHybridRetriever.from_embeddings(embeddings, db=db, name="docs", k=4)
    retriever.add_documents([Document(page_content="...", metadata={"source": "handbook.md"})])
    retriever.invoke("how do I reset my password?")            # hybrid: vector + BM25, fused
    retriever.invoke("reset password", mode="text", filter={"source": "handbook.md"})

The store is an :class:`agentdb.Rag`: the engine chunks each document, embeds the chunks, keeps a
BM25 full-text index on their text and fuses the two rankings by reciprocal rank
(:meth:`agentdb.Rag.search`; its ``k``, ``mode``, ``where``, ``mmr``, ``vector_weight``,
``text_weight``, ``rrf_k`` and ``candidates`` are fields of the retriever and may be overridden
per call as keyword arguments of ``invoke``). This module only translates: LangChain documents
in, :class:`~agentdb.rag.RagHit` chunks out as LangChain documents.

Mapping: a LangChain document is a RAG document (its ``id``, or a new uuid4, is the document
id; re-adding an id replaces its chunks, an unchanged one is skipped). A returned document is one
chunk: ``id`` is the chunk id (``"<doc id>#<position>"``), ``page_content`` the chunk text,
``metadata`` the document's metadata as given, plus (unless ``hit_info_key`` is None) an entry
``"agentdb"`` with what the engine made of the chunk: ``doc_id``, ``source``, ``position``,
``heading``, ``char_start``, ``char_end``, the fused ``score``, and ``vector_rank`` /
``distance`` / ``text_rank`` / ``bm25`` (``None`` where that side did not return it). That entry
replaces a stored key of the same name in the returned document (the stored one is untouched);
``hit_info_key=`` names it otherwise.

Metadata is stored with the convention of :mod:`agentdb.integrations._metadata`, and the keys
the engine writes on every chunk (``doc_id``, ``source``, ``position``, ...) are escaped like
any key that cannot be a column, so LangChain's ``{"source": ...}`` is kept and filterable as it
is; a string ``source`` is also given to the engine as the chunk source that contexts cite.
Dict filters name keys as LangChain spells them; a SQL string names the stored columns (there
``doc_id``, ``source`` and ``position`` are the engine's own).

Async: ``ainvoke`` embeds the query with the embeddings' ``aembed_query`` when the retriever
has them (``from_embeddings``), then searches in a worker thread (:func:`agentdb.aio.run`);
``aadd_documents`` ingests in a worker thread.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict, PrivateAttr
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "agentdb.integrations.langchain needs langchain-core: pip install 'agentdb-embedded[langchain]'"
    ) from e

from .. import _native
from .. import aio as _aio
from .. import errors as _errors
from ..database import Database, PathLike, connect
from ..rag import Rag, RagHit
from . import _metadata

__all__ = ["AgentDBHybridRetriever", "EmbeddingsAdapter", "RAG_RESERVED_KEYS"]

#: Metadata keys the engine writes on every chunk; a document's own keys with these names are
#: stored escaped (see the module documentation).
RAG_RESERVED_KEYS = _metadata.RAG_CHUNK_KEYS

#: The per-call options of :meth:`agentdb.Rag.search` a retriever field or an ``invoke``
#: keyword may set (``filter`` is LangChain's name for ``where``).
_SEARCH_FIELDS = ("k", "mode", "filter", "mmr", "vector_weight", "text_weight", "rrf_k", "candidates")


class EmbeddingsAdapter:
    """A LangChain :class:`~langchain_core.embeddings.Embeddings` as an AgentDB embedder (a
    callable ``list[str] -> (n, dim)`` array with ``embed_query``), for :meth:`agentdb.Database.rag`."""

    def __init__(self, embeddings: Embeddings) -> None:
        self.embeddings = embeddings

    def __call__(self, texts: List[str]) -> np.ndarray:
        return np.asarray(self.embeddings.embed_documents(list(texts)), dtype=np.float32)

    def embed_documents(self, texts: List[str]) -> np.ndarray:
        return self(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embeddings.embed_query(text), dtype=np.float32)


class AgentDBHybridRetriever(BaseRetriever):
    """A LangChain retriever over an :class:`agentdb.Rag` store (see the module documentation).

    Fields (each a default that ``invoke(query, k=..., mode=..., ...)`` may override):
        rag: the RAG store (``db.rag(name, embedder=...)``), or build one with
            :meth:`from_embeddings`.
        embeddings: the LangChain embeddings, used for ``aembed_query`` in ``ainvoke`` (without
            them the RAG's own embedder runs in a worker thread).
        k: how many chunks (default 4).
        mode: ``"hybrid"`` (vector + BM25 fused by RRF; the engine's default), ``"vector"`` or
            ``"text"`` (BM25 only, no embedding).
        filter: a dict filter naming metadata keys as LangChain spells them, or a SQL string.
        mmr: λ in [0, 1] to re-rank the fused candidates by maximal marginal relevance.
        vector_weight, text_weight, rrf_k, candidates: the engine's fusion settings
            (:meth:`agentdb.Rag.search`; None: the engine's defaults).
        hit_info_key: the metadata entry that receives the engine's view of each chunk
            (None: no such entry).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    rag: Rag
    embeddings: Optional[Embeddings] = None
    k: int = 4
    mode: Optional[str] = None
    filter: Any = None
    mmr: Optional[float] = None
    vector_weight: Optional[float] = None
    text_weight: Optional[float] = None
    rrf_k: Optional[float] = None
    candidates: Optional[int] = None
    hit_info_key: Optional[str] = "agentdb"

    _owned_db: Optional[Database] = PrivateAttr(default=None)

    @classmethod
    def from_embeddings(
        cls,
        embeddings: Embeddings,
        *,
        db: Optional[Database] = None,
        path: Optional[PathLike] = None,
        name: str = "langchain",
        chunk_size: Optional[int] = None,
        chunk_overlap: Optional[int] = None,
        chunk_unit: Optional[str] = None,
        **fields: Any,
    ) -> "AgentDBHybridRetriever":
        """A retriever over the RAG store ``name`` of ``db`` (or of the database at ``path``,
        which the retriever then owns and :meth:`close` closes), created if it does not exist,
        embedding with ``embeddings``. ``chunk_*`` are the RAG's chunk settings (None: the
        engine's defaults); ``fields`` are the retriever's fields (``k``, ``mode``, ...).

        Raises:
            InvalidArgumentError: neither or both of ``db`` and ``path``; chunk settings out of
                range; an existing store of another dimension than the embeddings'.
        """
        if (db is None) == (path is None):
            raise _errors.InvalidArgumentError("pass exactly one of db= (an open Database) and path=")
        owned = connect(path) if db is None else None  # type: ignore[arg-type]
        database = owned if owned is not None else db
        assert database is not None
        try:
            rag = database.rag(
                name,
                embedder=EmbeddingsAdapter(embeddings),
                chunk_size=chunk_size,
                chunk_overlap=chunk_overlap,
                chunk_unit=chunk_unit,
            )
            retriever = cls(rag=rag, embeddings=embeddings, **fields)
        except BaseException:
            if owned is not None:
                owned.close()
            raise
        retriever._owned_db = owned
        return retriever

    def close(self) -> None:
        """Closes the database if :meth:`from_embeddings` opened it (``path=``)."""
        if self._owned_db is not None:
            self._owned_db.close()

    # -- writes ---------------------------------------------------------------------------------

    def add_documents(self, documents: Sequence[Document], *, ids: Optional[Sequence[Optional[str]]] = None,
                      batch_size: int = 32, force: bool = False) -> List[str]:
        """Ingests LangChain documents: the engine chunks, embeds and indexes them; a document
        id that exists is replaced (one whose text and metadata are unchanged is skipped).

        Args:
            documents: the documents; each one's ``id`` is its document id unless ``ids`` says
                otherwise (a missing id becomes a new uuid4).
            ids: one id per document (None or empty: the document's own, else a uuid4).
            batch_size: documents per engine call (each call is one atomic commit).
            force: re-chunk and re-embed even unchanged documents.

        Returns:
            The document ids, in order. An id that repeats in one call: the last one wins.

        Raises:
            InvalidArgumentError: ``ids`` of another length than ``documents``, an id too long.
            InvalidMetadataError: a metadata value that is neither storable nor JSON-serializable.
        """
        docs = list(documents)
        if ids is not None and len(ids) != len(docs):
            raise _errors.InvalidArgumentError(f"{len(ids)} ids for {len(docs)} documents")
        given = list(ids) if ids is not None else [None] * len(docs)
        doc_ids = [i or d.id or str(uuid.uuid4()) for i, d in zip(given, docs)]
        # The chunk collection's column types are not visible from here: the batch decides the
        # types of new keys, and a value that does not fit an existing column is refused by the
        # engine (InvalidMetadataError), nothing written.
        encoded = _metadata.encode_batch([d.metadata for d in docs], {}, reserved=RAG_RESERVED_KEYS)
        last = {doc_id: i for i, doc_id in enumerate(doc_ids)}  # the engine refuses repeats
        rows = []
        for i in sorted(last.values()):
            source = docs[i].metadata.get("source")
            rows.append({
                "id": doc_ids[i],
                "text": docs[i].page_content,
                "source": source if isinstance(source, str) and source else None,
                "metadata": encoded[i],
            })
        self.rag.ingest_documents(rows, batch_size=batch_size, force=force)
        return doc_ids

    async def aadd_documents(self, documents: Sequence[Document], *, ids: Optional[Sequence[Optional[str]]] = None,
                             batch_size: int = 32, force: bool = False) -> List[str]:
        """Async :meth:`add_documents` (the engine call, embedding included, runs in a worker thread)."""
        return await _aio.run(self.add_documents, documents, ids=ids, batch_size=batch_size, force=force)

    def delete(self, ids: Sequence[str]) -> int:
        """Deletes documents (all their chunks) by document id; returns how many chunks went."""
        return self.rag.delete(list(ids))

    async def adelete(self, ids: Sequence[str]) -> int:
        """Async :meth:`delete` (runs in a worker thread)."""
        return await _aio.run(self.delete, ids)

    # -- retrieval ------------------------------------------------------------------------------

    def _options(self, overrides: Dict[str, Any]) -> Dict[str, Any]:
        unknown = sorted(set(overrides) - set(_SEARCH_FIELDS))
        if unknown:
            raise TypeError(f"unexpected keyword arguments for AgentDB retrieval: {', '.join(unknown)}")
        options = {name: overrides.get(name, getattr(self, name)) for name in _SEARCH_FIELDS}
        options["where"] = translate_filter(options.pop("filter"))
        return options

    def _search(self, query: str, options: Dict[str, Any], query_vector: Any = None) -> List[Document]:
        hits = self.rag.search(query, query_vector=query_vector, **options)
        return [self._document(h) for h in hits]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> List[Document]:
        return self._search(query, self._options(kwargs))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> List[Document]:
        options = self._options(kwargs)
        vector = None
        # BM25 alone needs no embedding; the engine names the modes (and its default).
        if self.embeddings is not None and _native.retrieval_mode(options["mode"]) != "text":
            vector = await self.embeddings.aembed_query(query)
        return await _aio.run(self._search, query, options, vector)

    def _document(self, hit: RagHit) -> Document:
        metadata = _metadata.decode(hit.metadata)
        if self.hit_info_key is not None:
            metadata[self.hit_info_key] = {
                "doc_id": hit.doc_id,
                "source": hit.source,
                "position": hit.position,
                "heading": hit.heading,
                "char_start": hit.char_start,
                "char_end": hit.char_end,
                "score": hit.score,
                "vector_rank": hit.vector_rank,
                "distance": hit.distance,
                "text_rank": hit.text_rank,
                "bm25": hit.bm25,
            }
        return Document(id=hit.id, page_content=hit.text, metadata=metadata)


def translate_filter(where: Any) -> Any:
    """A LangChain-side filter → the chunk collection's filter: dict keys mapped with the RAG
    convention (reserved chunk keys escaped), SQL strings and None unchanged."""
    return _metadata.translate_where(where, reserved=RAG_RESERVED_KEYS)

