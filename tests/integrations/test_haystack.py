"""The Haystack document store beyond Haystack's own suites (test_haystack_suites.py): filters
checked against Haystack's reference InMemoryDocumentStore on random filters, documents that
round-trip whole, embedding retrieval, duplicate policies, serialization, and real pipelines
(embedder → writer; embedder → retriever → prompt builder), sync and async, offline."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")  # offline: no usage analytics

import numpy as np
import pytest
from haystack import Document, Pipeline, component
from haystack.components.builders import PromptBuilder
from haystack.components.writers import DocumentWriter
from haystack.dataclasses import ByteStream, SparseEmbedding
from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DuplicatePolicy, FilterPolicy
from haystack.errors import FilterError

import agentdb
from agentdb.errors import InvalidArgumentError
from agentdb.integrations.haystack import (
    AgentDBBM25Retriever,
    AgentDBDocumentStore,
    AgentDBEmbeddingRetriever,
    AgentDBHybridRetriever,
)

VOCABULARY = ["cat", "cats", "purr", "dog", "dogs", "bark", "fish", "swim", "bird", "sing", "food", "sleep"]


def bag_of_words(text: str) -> List[float]:
    """One dimension per vocabulary word plus a constant one (never a zero vector): texts that
    share words are close, so which document a query should retrieve is known in advance."""
    words = [w.strip(".,!?").lower() for w in text.split()]
    return [float(words.count(v)) for v in VOCABULARY] + [0.1]


DIM = len(VOCABULARY) + 1


@component
class BagOfWordsDocumentEmbedder:
    """A deterministic in-process document embedder (no model, no network)."""

    @component.output_types(documents=List[Document])
    def run(self, documents: List[Document]) -> Dict[str, Any]:
        return {"documents": [Document(id=d.id, content=d.content, meta=d.meta, embedding=bag_of_words(d.content or "")) for d in documents]}


@component
class BagOfWordsTextEmbedder:
    """The query side of :class:`BagOfWordsDocumentEmbedder`."""

    @component.output_types(embedding=List[float])
    def run(self, text: str) -> Dict[str, Any]:
        return {"embedding": bag_of_words(text)}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AgentDBDocumentStore]:
    s = AgentDBDocumentStore(path=tmp_path / "db", collection_name="hs", embedding_dim=DIM)
    yield s
    s.close()


ANIMALS = [
    Document(id="cat", content="Cats purr when they sleep.", meta={"kind": "cat", "legs": 4}),
    Document(id="dog", content="Dogs bark at the dog next door.", meta={"kind": "dog", "legs": 4}),
    Document(id="fish", content="Fish swim all day.", meta={"kind": "fish", "legs": 0}),
    Document(id="bird", content="Birds sing for food.", meta={"kind": "bird", "legs": 2}),
]


def embedded(docs: List[Document]) -> List[Document]:
    return BagOfWordsDocumentEmbedder().run(docs)["documents"]


# -- filters against Haystack's reference store ----------------------------------------------


def _corpus(rng: random.Random) -> List[Document]:
    docs = []
    for i in range(40):
        meta: Dict[str, Any] = {}
        if rng.random() < 0.8:
            meta["n"] = rng.randint(-3, 3)
        elif rng.random() < 0.5:
            meta["n"] = None  # stored aside: filters see it as missing, as Haystack does None
        if rng.random() < 0.8:
            meta["f"] = rng.choice([-1.5, 0.0, 0.25, 2.0, 3.75])
        if rng.random() < 0.8:
            meta["s"] = rng.choice(["a", "b", "c", "ab", ""])
        if rng.random() < 0.7:
            meta["b"] = rng.random() < 0.5
        if rng.random() < 0.7:
            meta["d"] = rng.choice(["1969-07-21T20:17:40", "1972-12-11T19:54:58", "1989-11-09T17:53:00", "2024-02-29T00:00:00"])
        if rng.random() < 0.5:
            meta["tags"] = rng.sample(["x", "y", "z"], rng.randint(1, 2))
        if rng.random() < 0.3:
            meta["file name"] = rng.choice(["p.txt", "q.txt"])  # escaped key
        content = None if rng.random() < 0.1 else rng.choice(["alpha", "beta", "gamma"])
        embedding = None if rng.random() < 0.3 else [rng.random() + 0.01 for _ in range(4)]
        docs.append(Document(id=f"d{i:02}", content=content, meta=meta, embedding=embedding))
    return docs


def _random_leaf(rng: random.Random) -> Dict[str, Any]:
    field = rng.choice(["meta.n", "meta.f", "meta.s", "meta.b", "meta.d", "meta.tags", "meta.file name", "id", "content", "meta.absent", "n"])
    eq_values: Dict[str, List[Any]] = {
        "meta.n": [-3, 0, 1, 2, 2.0, 0.5, "1", True, None],
        "n": [0, 1, None],
        "meta.f": [0.0, 0.25, 2, 3.75, None, "x"],
        "meta.s": ["a", "ab", "", "zz", None, 1],
        "meta.b": [True, False, 1, 0.0, 2, None],
        "meta.d": ["1972-12-11T19:54:58", "2024-02-29T00:00:00", None],
        "meta.tags": ["x", None],
        "meta.file name": ["p.txt", None],
        "id": ["d01", "d07", "nope"],
        "content": ["alpha", "beta", None],
        "meta.absent": [1, "a", None],
    }
    order_values: Dict[str, List[Any]] = {
        "meta.n": [-1, 0, 2, 1.5, None],
        "n": [0, None],
        "meta.d": ["1972-12-11T19:54:58", "1980-01-01T00:00:00", dt.datetime(1972, 12, 11, 19, 54, 58), None],
        "meta.absent": [1, None],
        "meta.b": [False, True, 0, 0.5, 1, None],
        "meta.f": [0, 0.25, 2.5, True, None],
    }
    if field in order_values and rng.random() < 0.4:
        return {"field": field, "operator": rng.choice([">", ">=", "<", "<="]), "value": rng.choice(order_values[field])}
    op = rng.choice(["==", "!=", "in", "not in"])
    if op in ("in", "not in"):
        return {"field": field, "operator": op, "value": rng.sample(eq_values[field], rng.randint(0, min(3, len(eq_values[field]))))}
    return {"field": field, "operator": op, "value": rng.choice(eq_values[field])}


def _random_filter(rng: random.Random, depth: int = 0) -> Dict[str, Any]:
    if depth >= 2 or rng.random() < 0.4:
        return _random_leaf(rng)
    return {
        "operator": rng.choice(["AND", "OR", "NOT"]),
        "conditions": [_random_filter(rng, depth + 1) for _ in range(rng.randint(0, 3))],
    }


def test_filters_match_haystacks_reference_store(tmp_path: Path) -> None:
    rng = random.Random(16)
    docs = _corpus(rng)
    reference = InMemoryDocumentStore()
    reference.write_documents(docs)
    store = AgentDBDocumentStore(path=tmp_path / "db", embedding_dim=4)
    try:
        store.write_documents(docs)
        checked = 0
        for _ in range(600):
            f = _random_filter(rng)
            try:
                want = [d.id for d in reference.filter_documents(f)]
            except (FilterError, TypeError):
                continue  # Haystack itself refuses it (or trips over a list value); see test below
            got = [d.id for d in store.filter_documents(f)]
            assert got == want, f
            assert store.count_documents_by_filter(f) == len(want), f
            checked += 1
        assert checked > 400
    finally:
        store.close()


@pytest.mark.parametrize(
    "bad",
    [
        {"field": "meta.n", "operator": ">", "value": [1]},
        {"field": "meta.n", "operator": ">", "value": "1"},  # a string is a date or nothing
        {"field": "meta.s", "operator": "<", "value": "not a date"},
        {"field": "meta.d", "operator": "<", "value": 3},
        {"field": "meta.n", "operator": "in", "value": 3},
        {"field": "meta.n", "operator": "in", "value": (1, 2)},
        {"field": "meta.n", "operator": "~", "value": 1},
        {"operator": "XOR", "conditions": []},
        {"operator": "AND"},
        {"conditions": []},
        {"field": "meta.n", "value": 1},
        {"field": "meta.n", "operator": "=="},
        {"field": "meta.a.b", "operator": "==", "value": 1},  # nested values are JSON
        {"field": "embedding", "operator": "==", "value": None},
        {"field": "meta.tags", "operator": ">", "value": 1},
        {"operator": "AND", "conditions": "meta.n"},
    ],
)
def test_bad_filters_are_filter_errors(store: AgentDBDocumentStore, bad: Dict[str, Any]) -> None:
    store.write_documents(
        [Document(content="x", meta={"n": 1, "s": "a", "d": "1972-12-11T19:54:58", "tags": ["x"], "a": {"b": 1}})]
    )
    with pytest.raises(FilterError):
        store.filter_documents(bad)
    with pytest.raises(FilterError):
        store.count_documents_by_filter(bad)
    with pytest.raises(FilterError):
        store.delete_by_filter(bad)
    assert store.count_documents() == 1


def test_a_filter_that_matches_nothing_does_not_reach_the_engine(store: AgentDBDocumentStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.write_documents([Document(content="x", meta={"n": 1})])
    calls: List[Any] = []
    monkeypatch.setattr(agentdb.Collection, "get", lambda *a, **k: calls.append(a))
    assert store.filter_documents({"field": "meta.never", "operator": "==", "value": 1}) == []
    assert store.filter_documents({"field": "meta.n", "operator": "in", "value": []}) == []
    assert calls == []


def test_datetime_meta_compares_as_instants(store: AgentDBDocumentStore) -> None:
    when = [dt.datetime(2024, 1, d, 12, 0, tzinfo=dt.timezone.utc) for d in (1, 2, 3)]
    store.write_documents([Document(id=f"t{i}", content="x", meta={"at": w}) for i, w in enumerate(when)])
    got = store.filter_documents({"field": "meta.at", "operator": ">=", "value": "2024-01-02T12:00:00+00:00"})
    assert [d.id for d in got] == ["t1", "t2"]
    got = store.filter_documents({"field": "meta.at", "operator": "==", "value": when[0]})
    assert [d.id for d in got] == ["t0"]
    assert got[0].meta["at"] == when[0]


# -- documents round-trip --------------------------------------------------------------------


def test_documents_come_back_whole(store: AgentDBDocumentStore) -> None:
    docs = [
        Document(
            id="rich",
            content="text",
            meta={"id": 7, "file name": "a b.txt", "none": None, "nested": {"a": [1, 2]}, "ints": [1, 2], "tags": ["x"], "when": dt.datetime(2020, 5, 17, 8, 30)},
            embedding=[0.25] * DIM,
            blob=ByteStream(data=b"\x00\x01binary", mime_type="application/octet-stream", meta={"page": 1}),
            sparse_embedding=SparseEmbedding(indices=[0, 5], values=[0.5, 1.5]),
        ),
        Document(id="bare", content=None, meta={}),
        Document(id="blob only", blob=ByteStream(data=b"img", mime_type="image/png")),
    ]
    store.write_documents(docs)
    got = {d.id: d for d in store.filter_documents()}
    assert got["rich"] == docs[0]  # 0.25 is exact in float32
    assert got["bare"] == docs[1] and got["bare"].embedding is None
    assert got["blob only"] == docs[2]


def test_documents_survive_reopening(tmp_path: Path) -> None:
    first = AgentDBDocumentStore(path=tmp_path / "db", collection_name="c", embedding_dim=DIM)
    first.write_documents(embedded(ANIMALS))
    first.close()
    again = AgentDBDocumentStore(path=tmp_path / "db", collection_name="c")
    try:
        assert again.count_documents() == 4
        assert again.embedding_retrieval(bag_of_words("fish swim"), top_k=1)[0].id == "fish"
    finally:
        again.close()


def test_existing_collection_of_another_dimension_is_refused(tmp_path: Path) -> None:
    s = AgentDBDocumentStore(path=tmp_path / "db", embedding_dim=DIM)
    s.write_documents([Document(content="x")])
    s.close()
    with pytest.raises(InvalidArgumentError):
        AgentDBDocumentStore(path=tmp_path / "db", embedding_dim=DIM + 1)
    with pytest.raises(InvalidArgumentError):
        AgentDBDocumentStore(path=tmp_path / "db", embedding_dim=0)


def test_bad_documents_are_refused_and_nothing_is_written(store: AgentDBDocumentStore) -> None:
    with pytest.raises(DocumentStoreError):
        store.write_documents([Document(id="ok", content="a"), Document(id="short", content="b", embedding=[1.0, 2.0])])
    with pytest.raises(DocumentStoreError):
        store.write_documents([Document(id="nan", content="a", embedding=[float("nan")] * DIM)])
    assert store.count_documents() == 0


def test_dimension_comes_from_the_first_embedding(tmp_path: Path) -> None:
    s = AgentDBDocumentStore(path=tmp_path / "db")
    try:
        with pytest.raises(DocumentStoreError, match="embedding_dim"):
            s.write_documents([Document(content="no embedding yet")])
        s.write_documents([Document(content="a", embedding=[1.0, 0.0, 0.0]), Document(content="b")])
        assert s.collection is not None and s.collection.dim == 3
    finally:
        s.close()


# -- duplicate policies ----------------------------------------------------------------------


def test_duplicate_policies(store: AgentDBDocumentStore) -> None:
    a1, a2, b = Document(id="a", content="one"), Document(id="a", content="two"), Document(id="b", content="b")
    with pytest.raises(DuplicateDocumentError):
        store.write_documents([a1, a2], policy=DuplicatePolicy.FAIL)  # repeats in the batch
    assert store.count_documents() == 0
    assert store.write_documents([a1, a2, b], policy=DuplicatePolicy.SKIP) == 2
    assert store.filter_documents({"field": "id", "operator": "==", "value": "a"})[0].content == "one"
    assert store.write_documents([a2, b], policy=DuplicatePolicy.SKIP) == 0
    assert store.write_documents([a2, Document(id="a", content="three")], policy=DuplicatePolicy.OVERWRITE) == 2
    assert store.filter_documents({"field": "id", "operator": "==", "value": "a"})[0].content == "three"
    with pytest.raises(DuplicateDocumentError):
        store.write_documents([Document(id="c", content="c"), b], policy=DuplicatePolicy.NONE)
    assert store.count_documents() == 2  # nothing of the failed batch


def test_update_by_filter_keeps_content_and_embedding(store: AgentDBDocumentStore) -> None:
    store.write_documents(embedded(ANIMALS))
    assert store.update_by_filter({"field": "meta.legs", "operator": "==", "value": 4}, {"pet": True, "legs": 4}) == 2
    cat = store.filter_documents({"field": "meta.pet", "operator": "==", "value": True})
    assert sorted(d.id for d in cat) == ["cat", "dog"]
    assert store.embedding_retrieval(bag_of_words("cats purr"), top_k=1)[0].meta == {"kind": "cat", "legs": 4, "pet": True}


def test_delete_all_with_recreate_drops_the_collection(store: AgentDBDocumentStore) -> None:
    store.write_documents([Document(content="x")])
    store.delete_all_documents(recreate_index=True)
    assert "hs" not in store.db.list_collections()
    store.write_documents([Document(content="y")])
    assert [d.content for d in store.filter_documents()] == ["y"]


# -- retrieval -------------------------------------------------------------------------------


def test_embedding_retrieval(store: AgentDBDocumentStore) -> None:
    store.write_documents(embedded(ANIMALS) + [Document(id="plain", content="Cats purr purr purr.")])
    hits = store.embedding_retrieval(bag_of_words("dogs bark"), top_k=10)
    assert hits[0].id == "dog"
    assert "plain" not in [d.id for d in hits]  # no embedding: never a hit
    assert len(hits) == 4
    assert all(d.embedding is None for d in hits)
    scores = [d.score for d in hits]
    assert scores == sorted(scores, reverse=True)
    q = np.asarray(bag_of_words("dogs bark"))
    v = np.asarray(bag_of_words(ANIMALS[1].content or ""))
    assert hits[0].score == pytest.approx(float(q @ v / np.linalg.norm(q) / np.linalg.norm(v)), abs=1e-5)
    scaled = store.embedding_retrieval(bag_of_words("dogs bark"), top_k=1, scale_score=True, return_embedding=True)
    assert scaled[0].score == pytest.approx((hits[0].score + 1) / 2, abs=1e-6)
    assert scaled[0].embedding == pytest.approx(v.tolist())
    legless = store.embedding_retrieval(bag_of_words("dogs bark"), filters={"field": "meta.legs", "operator": "<", "value": 4})
    assert [d.id for d in legless] == ["bird", "fish"] or [d.id for d in legless] == ["fish", "bird"]
    assert store.embedding_retrieval(bag_of_words("dogs"), top_k=0) == []
    with pytest.raises(ValueError):
        store.embedding_retrieval([], top_k=1)


def test_embedding_retrieval_dot_metric(tmp_path: Path) -> None:
    s = AgentDBDocumentStore(path=tmp_path / "db", metric="dot", embedding_dim=2)
    try:
        s.write_documents([Document(id="a", content="a", embedding=[1.0, 0.0]), Document(id="b", content="b", embedding=[3.0, 1.0])])
        hits = s.embedding_retrieval([2.0, 1.0], top_k=2)
        assert [d.id for d in hits] == ["b", "a"]
        assert [d.score for d in hits] == pytest.approx([7.0, 2.0])
    finally:
        s.close()


def test_retriever_components(store: AgentDBDocumentStore) -> None:
    store.write_documents(embedded(ANIMALS))
    r = AgentDBEmbeddingRetriever(store, filters={"field": "meta.legs", "operator": "==", "value": 4}, top_k=1)
    assert [d.id for d in r.run(bag_of_words("fish swim"))["documents"]] in (["cat"], ["dog"])
    # REPLACE: the run's filters replace the component's.
    assert [d.id for d in r.run(bag_of_words("fish swim"), filters={"field": "meta.legs", "operator": "==", "value": 0})["documents"]] == ["fish"]
    merged = AgentDBEmbeddingRetriever(store, filters={"field": "meta.legs", "operator": "==", "value": 4}, filter_policy=FilterPolicy.MERGE)
    got = merged.run(bag_of_words("x"), filters={"field": "meta.kind", "operator": "==", "value": "dog"})["documents"]
    assert [d.id for d in got] == ["dog"]
    with pytest.raises(ValueError):
        AgentDBEmbeddingRetriever(store, top_k=0)
    with pytest.raises(TypeError):
        AgentDBEmbeddingRetriever(InMemoryDocumentStore())  # type: ignore[arg-type]


def test_bm25_and_hybrid_retrieval(store: AgentDBDocumentStore) -> None:
    store.write_documents(embedded(ANIMALS) + [Document(id="plain", content="a note on the dog days of summer")])
    bm25 = AgentDBBM25Retriever(store, top_k=2).run("dog")["documents"]
    assert bm25[0].id == "dog" and {d.id for d in bm25} == {"dog", "plain"}
    assert bm25[0].score > bm25[1].score
    only_plain = store.bm25_retrieval("dog", filters={"field": "meta.kind", "operator": "!=", "value": "dog"})
    assert [d.id for d in only_plain] == ["plain"]
    hybrid = AgentDBHybridRetriever(store, top_k=3).run(query="dog", query_embedding=bag_of_words("dogs bark"))["documents"]
    assert hybrid[0].id == "dog"
    # A document stored without an embedding is never a dense hit, but BM25 still finds it.
    wide = AgentDBHybridRetriever(store, top_k=10).run(query="dog", query_embedding=bag_of_words("dogs bark"))["documents"]
    assert "plain" in {d.id for d in wide}
    assert "plain" not in {d.id for d in store.embedding_retrieval(bag_of_words("dogs bark"), top_k=10)}


# -- serialization and pipelines -------------------------------------------------------------


def test_to_dict_from_dict(store: AgentDBDocumentStore) -> None:
    store.write_documents(embedded(ANIMALS))
    data = store.to_dict()
    assert data["type"] == "agentdb.integrations.haystack.AgentDBDocumentStore"
    assert data["init_parameters"] == {"path": store.path, "collection_name": "hs", "embedding_dim": DIM, "metric": None}
    for cls in (AgentDBEmbeddingRetriever, AgentDBBM25Retriever, AgentDBHybridRetriever):
        r = cls(store, filters={"field": "meta.legs", "operator": "==", "value": 4}, top_k=3, filter_policy=FilterPolicy.MERGE)
        back = cls.from_dict(r.to_dict())
        try:
            assert back.to_dict() == r.to_dict()
            assert back.filter_policy == FilterPolicy.MERGE
            assert back.document_store.count_documents() == 4
        finally:
            back.document_store.close()


def test_pipelines_index_and_answer_offline(store: AgentDBDocumentStore) -> None:
    indexing = Pipeline()
    indexing.add_component("embedder", BagOfWordsDocumentEmbedder())
    indexing.add_component("writer", DocumentWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE))
    indexing.connect("embedder.documents", "writer.documents")
    assert indexing.run({"embedder": {"documents": ANIMALS}})["writer"]["documents_written"] == 4

    template = "Answer from these notes:\n{% for d in documents %}- {{ d.content }}\n{% endfor %}Q: {{ question }}"
    query = Pipeline()
    query.add_component("embedder", BagOfWordsTextEmbedder())
    query.add_component("retriever", AgentDBEmbeddingRetriever(document_store=store, top_k=2))
    query.add_component("prompt", PromptBuilder(template=template, required_variables=["documents", "question"]))
    query.connect("embedder.embedding", "retriever.query_embedding")
    query.connect("retriever.documents", "prompt.documents")
    question = "why do cats purr?"
    out = query.run({"embedder": {"text": question}, "prompt": {"question": question}})
    prompt = out["prompt"]["prompt"]
    assert prompt.splitlines()[1] == "- Cats purr when they sleep."
    assert prompt.endswith("Q: why do cats purr?")

    # The whole query pipeline serializes (its store by path) and runs again from YAML.
    again = Pipeline.loads(query.dumps(), allowed_modules=[__name__, "agentdb.integrations.haystack"])
    try:
        assert again.run({"embedder": {"text": question}, "prompt": {"question": question}}) == out
    finally:
        again.get_component("retriever").document_store.close()


def test_async_pipeline_and_store_stay_off_the_event_loop(store: AgentDBDocumentStore, engine_call_threads: List[int]) -> None:
    async def main() -> Dict[str, Any]:
        loop_thread = threading.get_ident()
        assert await store.write_documents_async(embedded(ANIMALS)) == 4
        pipe = Pipeline()  # Haystack 3: one Pipeline, run or run_async
        pipe.add_component("embedder", BagOfWordsTextEmbedder())
        pipe.add_component("retriever", AgentDBEmbeddingRetriever(document_store=store, top_k=1))
        pipe.connect("embedder.embedding", "retriever.query_embedding")
        out = await pipe.run_async({"embedder": {"text": "birds sing"}})
        assert await store.count_documents_by_filter_async({"field": "meta.legs", "operator": ">", "value": 0}) == 3
        await store.delete_documents_async(["bird"])
        assert loop_thread not in engine_call_threads
        return out

    out = asyncio.run(main())
    assert [d.id for d in out["retriever"]["documents"]] == ["bird"]
    assert engine_call_threads  # the spies saw the engine calls
    assert store.count_documents() == 3


def test_values_of_another_type_than_the_column_are_invisible_to_filters(store: AgentDBDocumentStore) -> None:
    # Documented difference from Haystack: "x" in an int key lives in the JSON side entry.
    store.write_documents([Document(id="i", content="a", meta={"n": 1}), Document(id="s", content="b", meta={"n": "x"})])
    assert {d.id: d.meta["n"] for d in store.filter_documents()} == {"i": 1, "s": "x"}
    assert store.filter_documents({"field": "meta.n", "operator": "==", "value": "x"}) == []
    assert [d.id for d in store.filter_documents({"field": "meta.n", "operator": "!=", "value": "x"})] == ["i", "s"]
    assert [d.id for d in store.filter_documents({"field": "meta.n", "operator": "==", "value": None})] == ["s"]


def test_stores_on_one_path_share_the_database(tmp_path: Path) -> None:
    a = AgentDBDocumentStore(path=tmp_path / "db", collection_name="c", embedding_dim=DIM)
    b = AgentDBDocumentStore(path=tmp_path / "db", collection_name="c")
    assert a.db is b.db
    a.write_documents([Document(id="1", content="x")])
    a.close()
    a.close()  # a second close does not let go twice
    assert b.count_documents() == 1
    b.close()
    assert b.db.closed
    with agentdb.connect(tmp_path / "db") as db:  # the writer lock was released
        assert db.get_collection("c").count() == 1


def test_a_store_dropped_without_close_lets_the_database_go(tmp_path: Path) -> None:
    import gc

    a = AgentDBDocumentStore(path=tmp_path / "db", collection_name="c", embedding_dim=DIM)
    b = AgentDBDocumentStore(path=tmp_path / "db", collection_name="c")
    a.write_documents([Document(id="1", content="x")])
    del a, b
    gc.collect()
    with agentdb.connect(tmp_path / "db") as db:
        assert db.get_collection("c").count() == 1
