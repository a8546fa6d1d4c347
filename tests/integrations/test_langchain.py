"""AgentDBVectorStore beyond LangChain's standard suite: metadata fidelity, filters, scores,
MMR, deletion, lazy creation, retrievers, the indexing API, and async calls off the loop."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import threading
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings
from langchain_core.indexing import InMemoryRecordManager, index
from langchain_core.vectorstores.utils import maximal_marginal_relevance

import agentdb
from agentdb.errors import InvalidArgumentError, InvalidFilterError, InvalidMetadataError
from agentdb.integrations import _metadata
from agentdb.integrations.langchain import AgentDBVectorStore

UTC = dt.timezone.utc


class TableEmbeddings(Embeddings):
    """Fixed vectors per text, so expected neighbours can be worked out by hand."""

    def __init__(self, table: Dict[str, Sequence[float]]) -> None:
        self.table = {k: [float(x) for x in v] for k, v in table.items()}

    def embed_documents(self, texts: List[str]) -> List[List[float]]:
        return [self.table[t] for t in texts]

    def embed_query(self, text: str) -> List[float]:
        return self.table[text]


PLANAR = TableEmbeddings(
    {
        "east": [1.0, 0.0, 0.0],
        "east-ish": [0.98, 0.2, 0.0],
        "north-east": [0.7, 0.7, 0.0],
        "north": [0.0, 1.0, 0.0],
        "up": [0.0, 0.0, 1.0],
        "west": [-1.0, 0.0, 0.0],
    }
)


@pytest.fixture
def store(db: agentdb.Database) -> AgentDBVectorStore:
    return AgentDBVectorStore(PLANAR, db=db, collection_name="planar")


def _fake_store(db: agentdb.Database, name: str = "fake") -> AgentDBVectorStore:
    return AgentDBVectorStore(DeterministicFakeEmbedding(size=8), db=db, collection_name=name)


# -- metadata --------------------------------------------------------------------------------


def test_metadata_round_trips_exactly(db: agentdb.Database) -> None:
    store = _fake_store(db)
    aware = dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    naive = dt.datetime(2023, 1, 2, 3, 4, 5, 6)
    first = {
        "id": 7,  # reserved by AgentDB: escaped
        "Document": "reserved, other case",
        "source": "a.pdf",
        "page": 3,
        "score": 0.25,
        "ok": True,
        "when": aware,
        "naive_when": naive,
        "tags": ["x", "y"],
        "empty": [],
        "nothing": None,
        "nested": {"a": {"b": [1, 2.5, None, "s"]}, "n": 1},
        "numbers": [1, 2, 3],
        "pair": ("p", 1),
        "file name": "with space",
        "adb_prefixed": "escaped too",
        "émoji ✓": "utf-8 key",
        "k" * 70: "too long for a column",
        "huge": 2**70,
        "nan": math.nan,
        "np_float": np.float64(1.5),
        "np_int": np.int64(4),
    }
    second = {
        "id": 8,
        "page": "iv",  # page holds ints: this one goes to the side table
        "score": 2,  # an int in a float column comes back as an int
        "ok": False,
        "tags": ["z"],
    }
    ids = store.add_texts(["one", "two"], metadatas=[first, second], ids=["d1", "d2"])
    assert ids == ["d1", "d2"]
    got = {d.id: d for d in store.get_by_ids(["d1", "d2"])}
    m1, m2 = got["d1"].metadata, got["d2"].metadata

    expected1 = dict(first)
    expected1["pair"] = ["p", 1]  # JSON has no tuples
    expected1["np_float"], expected1["np_int"] = 1.5, 4
    assert set(m1) == set(expected1)
    for key, want in expected1.items():
        have = m1[key]
        if key == "nan":
            assert isinstance(have, float) and math.isnan(have)
            continue
        assert have == want, key
        assert type(have) is type(want) or isinstance(want, dt.datetime), (key, type(have), type(want))
    assert m1["when"].utcoffset() == dt.timedelta(0)  # the same instant, in UTC
    assert m1["naive_when"].tzinfo is None
    assert m2 == second
    assert type(m2["score"]) is int and type(m2["page"]) is str

    # What is in the columns, as the native API sees it.
    schema = store.collection.metadata_schema
    assert schema["adb_id"] == "int" and schema["page"] == "int" and schema["score"] == "float"
    assert schema["adb_file_20name"] == "str" and schema["adb_adb__prefixed"] == "str"
    assert schema["adb_Document"] == "str"
    assert "nested" not in schema and "empty" not in schema and "huge" not in schema
    assert not any(key.startswith("kkkk") for key in schema)


def test_key_escaping_is_one_to_one() -> None:
    keys = ["id", "ID", "a b", "a_b", "a__b", "adb_", "ADB_x", "adb__json", "", "_x", "1abc", "é", "x" * 64, "_"]
    stored = [_metadata.stored_key(k) for k in keys]
    assert len(set(stored)) == len(stored)
    assert _metadata.SIDE_KEY not in stored
    for key, skey in zip(keys, stored):
        assert skey is not None and len(skey) <= 64
        assert _metadata.framework_key(skey) == key
    assert _metadata.stored_key("x" * 60) == "x" * 60
    assert _metadata.stored_key("x" * 65) is None  # too long for a column, even escaped
    assert _metadata.stored_key("é" * 20) is None  # 40 bytes → 120 escaped characters


def test_int_and_float_in_one_batch_widen_and_keep_types(db: agentdb.Database) -> None:
    store = _fake_store(db)
    store.add_texts(["a", "b", "c"], metadatas=[{"v": 1}, {"v": 2.5}, {"v": 3}], ids=["a", "b", "c"])
    assert store.collection.metadata_schema["v"] == "float"
    values = {d.id: d.metadata["v"] for d in store.get_by_ids(["a", "b", "c"])}
    assert values == {"a": 1, "b": 2.5, "c": 3}
    assert [type(values[k]) for k in "abc"] == [int, float, int]
    # Numeric filters see all three, whatever type they came back as.
    found = store.similarity_search("a", k=10, filter={"v": {"$gte": 1}})
    assert {d.id for d in found} == {"a", "b", "c"}


def test_unstorable_metadata_is_a_typed_error_and_writes_nothing(db: agentdb.Database) -> None:
    store = _fake_store(db)
    store.add_texts(["keep"], ids=["keep"])
    with pytest.raises(InvalidMetadataError, match="blob"):
        store.add_texts(["x", "y"], metadatas=[{"ok": 1}, {"blob": object()}], ids=["x", "y"])
    with pytest.raises(InvalidMetadataError):
        store.add_texts(["z"], metadatas=[{1: "not a string key"}], ids=["z"])  # type: ignore[dict-item]
    assert [d.id for d in store.get_by_ids(["keep", "x", "y", "z"])] == ["keep"]


# -- writes ----------------------------------------------------------------------------------


def test_ids_generated_overwritten_and_repeated(store: AgentDBVectorStore) -> None:
    ids = store.add_texts(["east", "north"])
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(len(i) == 36 for i in ids)  # uuid4
    # Re-adding an id replaces text, vector and metadata (a new key is fine).
    store.add_texts(["up"], metadatas=[{"new_key": "v"}], ids=[ids[0]])
    doc = store.get_by_ids([ids[0]])[0]
    assert (doc.page_content, doc.metadata) == ("up", {"new_key": "v"})
    assert store.similarity_search("up", k=1)[0].id == ids[0]
    assert store.collection.count() == 2
    # An id repeated in one call: the last one wins.
    assert store.add_texts(["west", "east"], ids=["r", "r"]) == ["r", "r"]
    assert store.get_by_ids(["r"])[0].page_content == "east"
    assert store.collection.count() == 3


def test_add_documents_id_precedence(store: AgentDBVectorStore) -> None:
    docs = [Document(page_content="east", id="doc-east"), Document(page_content="north")]
    ids = store.add_documents(docs)
    assert ids[0] == "doc-east" and ids[1]
    assert store.add_documents([Document(page_content="up", id="ignored")], ids=["explicit"]) == ["explicit"]
    assert store.get_by_ids(["ignored"]) == []
    assert docs[0].id == "doc-east" and docs[1].id is None  # inputs are not mutated


def test_bad_batches(store: AgentDBVectorStore) -> None:
    assert store.add_texts([]) == []
    assert store.collection is None  # nothing written, nothing created
    with pytest.raises(InvalidArgumentError):
        store.add_texts(["east", "north"], metadatas=[{}])
    with pytest.raises(InvalidArgumentError):
        store.add_texts(["east"], ids=["a", "b"])
    with pytest.raises(TypeError, match="bogus"):
        store.add_texts(["east"], bogus=1)
    with pytest.raises(TypeError, match="bogus"):
        store.similarity_search("east", bogus=1)
    with pytest.raises(InvalidArgumentError):
        store.add_texts(["east"], batch_size=0)


def test_batch_size_writes_in_chunks(store: AgentDBVectorStore) -> None:
    texts = ["east", "north", "up", "west", "east"]
    ids = store.add_texts(texts, ids=["a", "b", "c", "d", "a"], metadatas=[{"i": i} for i in range(5)], batch_size=2)
    assert ids == ["a", "b", "c", "d", "a"]
    assert [(d.id, d.metadata["i"]) for d in store.get_by_ids(["a", "b", "c", "d"])] == [
        ("a", 4),
        ("b", 1),
        ("c", 2),
        ("d", 3),
    ]


def test_wrong_dimension_is_rejected(db: agentdb.Database) -> None:
    store = AgentDBVectorStore(PLANAR, db=db, collection_name="c")
    store.add_texts(["east"], ids=["e"])
    other = AgentDBVectorStore(DeterministicFakeEmbedding(size=5), db=db, collection_name="c")
    with pytest.raises(agentdb.errors.DimensionMismatchError):
        other.add_texts(["x"])
    assert store.collection.count() == 1


# -- lazy creation, metric, lifecycle --------------------------------------------------------


def test_collection_created_lazily_with_embedding_size(db: agentdb.Database) -> None:
    store = AgentDBVectorStore(PLANAR, db=db, collection_name="lazy", metric="l2")
    assert store.collection is None and "lazy" not in db
    assert store.similarity_search("east") == []
    assert store.similarity_search_with_score("east") == []
    assert store.max_marginal_relevance_search("east") == []
    assert store.get_by_ids(["x"]) == []
    assert store.delete(["x"]) is True
    store.add_texts(["east"])
    coll = db.get_collection("lazy")
    assert (coll.dim, coll.metric) == (3, "l2")


def test_existing_collection_metric(db: agentdb.Database) -> None:
    db.create_collection("existing", dim=3, metric="dot")
    assert AgentDBVectorStore(PLANAR, db=db, collection_name="existing").collection.metric == "dot"
    with pytest.raises(InvalidArgumentError, match="dot"):
        AgentDBVectorStore(PLANAR, db=db, collection_name="existing", metric="cosine")
    with pytest.raises(InvalidArgumentError):
        AgentDBVectorStore(PLANAR)
    with pytest.raises(InvalidArgumentError):
        AgentDBVectorStore(PLANAR, db=db, path="elsewhere")


def test_from_texts_with_path_owns_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "owned"
    store = AgentDBVectorStore.from_texts(
        ["east", "north"], PLANAR, metadatas=[{"n": 1}, {"n": 2}], ids=["e", "n"], path=path, collection_name="p"
    )
    assert store.db.path == path.resolve()
    store.close()
    assert store.db.closed
    again = AgentDBVectorStore(PLANAR, path=path, collection_name="p")
    try:
        assert [(d.id, d.metadata) for d in again.similarity_search("north", k=1)] == [("n", {"n": 2})]
    finally:
        again.close()


def test_from_documents_and_delete_collection(db: agentdb.Database) -> None:
    docs = [Document(page_content="east", metadata={"id": 1}, id="e"), Document(page_content="up")]
    store = AgentDBVectorStore.from_documents(docs, PLANAR, db=db, collection_name="fd")
    assert store.get_by_ids(["e"]) == [Document(page_content="east", metadata={"id": 1}, id="e")]
    store.delete_collection()
    assert "fd" not in db and store.similarity_search("east") == []
    store.add_texts(["north"], ids=["n"])  # created afresh
    assert db.get_collection("fd").count() == 1


def test_documents_written_by_the_native_api_are_readable(db: agentdb.Database) -> None:
    coll = db.create_collection("native", dim=3)
    coll.add(["a", "b"], np.eye(3, dtype=np.float32)[:2], documents=["alpha", None], metadata=[{"lang": "en"}, None])
    store = AgentDBVectorStore(PLANAR, db=db, collection_name="native")
    assert store.get_by_ids(["a", "b"]) == [
        Document(id="a", page_content="alpha", metadata={"lang": "en"}),
        Document(id="b", page_content="", metadata={}),
    ]


# -- search, scores, filters -----------------------------------------------------------------


def _load(store: AgentDBVectorStore) -> None:
    store.add_texts(
        ["east", "east-ish", "north-east", "north", "up", "west"],
        metadatas=[
            {"id": 1, "kind": "axis", "tags": ["x"], "w": 1.0},
            {"id": 2, "kind": "near", "tags": ["x", "y"]},
            {"id": 3, "kind": "diag", "tags": ["x", "y"], "w": 0.5},
            {"id": 4, "kind": "axis", "tags": ["y"]},
            {"id": 5, "kind": "axis", "tags": []},
            {"id": 6, "kind": None, "nested": {"a": 1}},
        ],
        ids=["e", "ei", "ne", "n", "u", "w"],
    )


@pytest.mark.parametrize("metric", ["cosine", "l2", "dot"])
def test_scores_match_numpy(db: agentdb.Database, metric: str) -> None:
    store = AgentDBVectorStore(PLANAR, db=db, collection_name="s", metric=metric)
    _load(store)
    q = np.array(PLANAR.table["north-east"])
    hits = store.similarity_search_with_score("north-east", k=6)
    assert [d.id for d, _ in hits][0] == "ne"
    for doc, distance in hits:
        v = np.array(PLANAR.table[doc.page_content])
        if metric == "cosine":
            want = 1 - v @ q / (np.linalg.norm(v) * np.linalg.norm(q))
        elif metric == "l2":
            want = ((v - q) ** 2).sum()
        else:
            want = 1 - v @ q
        assert distance == pytest.approx(want, abs=1e-5)
    assert [s for _, s in hits] == sorted(s for _, s in hits)

    scored = store.similarity_search_with_relevance_scores("north-east", k=6)
    assert all(0.0 <= s <= 1.0 for _, s in scored)
    assert scored[0][1] == pytest.approx(1.0, abs=1e-5) or metric == "dot"
    if metric == "cosine":
        rel = dict((d.id, s) for d, s in scored)
        assert rel["e"] == pytest.approx(0.7 / math.sqrt(0.98), abs=1e-5)  # cos(e, ne)
        assert rel["w"] == 0.0  # opposite directions clamp to 0
    if metric == "l2":
        rel = dict((d.id, s) for d, s in scored)
        dist = math.sqrt(0.3**2 + 0.7**2)
        assert rel["e"] == pytest.approx(1 - dist / math.sqrt(2), abs=1e-5)


def test_custom_relevance_score_fn(db: agentdb.Database) -> None:
    store = AgentDBVectorStore(PLANAR, db=db, collection_name="r", relevance_score_fn=lambda d: 0.5)
    _load(store)
    assert {s for _, s in store.similarity_search_with_relevance_scores("east", k=3)} == {0.5}
    above = store.similarity_search_with_relevance_scores("east", k=6, score_threshold=0.9)
    assert above == []


def test_filters(store: AgentDBVectorStore) -> None:
    _load(store)

    def ids(flt: object, k: int = 10) -> set:
        return {d.id for d in store.similarity_search("east", k=k, filter=flt)}

    assert ids({"id": 2}) == {"ei"}  # the metadata key "id", not the record id
    assert ids({"id": {"$gte": 5}}) == {"u", "w"}
    assert ids({"kind": "axis", "id": {"$lt": 5}}) == {"e", "n"}
    assert ids({"$or": [{"kind": "diag"}, {"tags": {"$contains": "y"}}]}) == {"ei", "ne", "n"}
    assert ids({"$not": {"kind": {"$in": ["axis", "near"]}}, "kind": {"$exists": True}}) == {"ne"}
    assert ids({"kind": {"$exists": False}}) == {"w"}  # None is kept aside, not in the column
    assert ids({"w": {"$gt": 0.7}}) == {"e"}
    assert ids({"nested": {"$exists": True}}) == set()  # side-table values are not filterable
    assert ids("adb_id >= 5 AND adb_id < 6") == {"u"}  # SQL names stored columns
    assert [d.id for d in store.similarity_search("east", k=1, filter={"tags": {"$contains": "y"}})] == ["ei"]
    with pytest.raises(InvalidFilterError):
        store.similarity_search("east", filter=lambda d: True)  # type: ignore[arg-type]
    with pytest.raises(InvalidFilterError):
        store.similarity_search("east", filter={"kind": {"$regex": "a"}})
    with pytest.raises(InvalidFilterError):
        store.similarity_search("east", filter={"k" * 70: 1})


def test_search_options_and_index(store: AgentDBVectorStore) -> None:
    _load(store)
    store.collection.create_index("hnsw", m=8, ef_construction=32)
    approx = store.similarity_search("east", k=3, ef=16)
    exact = store.similarity_search("east", k=3, exact=True)
    assert [d.id for d in approx] == [d.id for d in exact] == ["e", "ei", "ne"]
    assert [d.id for d in store.similarity_search_by_vector([0.0, 0.0, 2.0], k=1)] == ["u"]


def test_delete_variants(store: AgentDBVectorStore) -> None:
    _load(store)
    assert store.delete(["e", "missing"]) is True
    assert store.get_by_ids(["e"]) == []
    assert store.delete([]) is True and store.collection.count() == 5
    store.delete(filter={"kind": "axis"})
    assert {d.id for d in store.similarity_search("east", k=10)} == {"ei", "ne", "w"}
    store.delete(["ei", "ne"], filter={"kind": "near"})  # both: the intersection
    assert {d.id for d in store.similarity_search("east", k=10)} == {"ne", "w"}
    store.delete()  # LangChain's interface: no ids means all
    assert store.similarity_search("east") == [] and store.collection is not None


def test_get_by_ids_order_and_repeats(store: AgentDBVectorStore) -> None:
    _load(store)
    assert [d.id for d in store.get_by_ids(["n", "missing", "e", "n"])] == ["n", "e"]
    assert store.get_by_ids([]) == []


# -- maximal marginal relevance --------------------------------------------------------------


def test_mmr_prefers_diversity(store: AgentDBVectorStore) -> None:
    _load(store)
    by_similarity = [d.id for d in store.similarity_search("east", k=2)]
    assert by_similarity == ["e", "ei"]
    diverse = [d.id for d in store.max_marginal_relevance_search("east", k=2, fetch_k=6, lambda_mult=0.3)]
    assert diverse[0] == "e" and diverse[1] != "ei"
    assert [d.id for d in store.max_marginal_relevance_search("east", k=2, fetch_k=6, lambda_mult=1.0)] == ["e", "ei"]


def test_mmr_matches_langchain_reference(db: agentdb.Database) -> None:
    emb = DeterministicFakeEmbedding(size=16)
    store = AgentDBVectorStore(emb, db=db, collection_name="mmr")
    texts = [f"text {i}" for i in range(30)]
    store.add_texts(texts, ids=texts, metadatas=[{"even": i % 2 == 0} for i in range(30)])
    query = emb.embed_query("query")
    got = store.max_marginal_relevance_search_by_vector(query, k=5, fetch_k=12, lambda_mult=0.4, filter={"even": True})
    assert all(d.metadata["even"] for d in got)
    # Reference: the 12 nearest even texts by cosine, then LangChain's own MMR.
    q = np.array(query, dtype=np.float32)
    vecs = {t: np.array(emb.embed_documents([t])[0], dtype=np.float32) for t in texts[::2]}
    cos = {t: float(v @ q / np.linalg.norm(v) / np.linalg.norm(q)) for t, v in vecs.items()}
    nearest = sorted(cos, key=lambda t: -cos[t])[:12]
    picked = maximal_marginal_relevance(q, [vecs[t] for t in nearest], lambda_mult=0.4, k=5)
    assert [d.id for d in got] == [nearest[i] for i in picked]


# -- retrievers and the indexing API ---------------------------------------------------------


def test_as_retriever_search_types(store: AgentDBVectorStore) -> None:
    _load(store)
    assert [d.id for d in store.as_retriever(search_kwargs={"k": 2}).invoke("east")] == ["e", "ei"]
    flt = store.as_retriever(search_kwargs={"k": 2, "filter": {"kind": "axis"}})
    assert [d.id for d in flt.invoke("east")] == ["e", "u"] or [d.id for d in flt.invoke("east")] == ["e", "n"]
    mmr = store.as_retriever(search_type="mmr", search_kwargs={"k": 2, "fetch_k": 6, "lambda_mult": 0.3})
    assert [d.id for d in mmr.invoke("east")][0] == "e"
    thr = store.as_retriever(search_type="similarity_score_threshold", search_kwargs={"k": 6, "score_threshold": 0.95})
    assert [d.id for d in thr.invoke("east")] == ["e", "ei"]
    assert store.as_retriever().tags == ["AgentDBVectorStore", "TableEmbeddings"]


def test_indexing_api_incremental_cleanup(db: agentdb.Database) -> None:
    store = _fake_store(db, "indexed")
    manager = InMemoryRecordManager(namespace="agentdb/indexed")
    manager.create_schema()
    docs = [
        Document(page_content="a1", metadata={"source": "a"}),
        Document(page_content="b1", metadata={"source": "b"}),
    ]
    first = index(docs, manager, store, cleanup="incremental", source_id_key="source", key_encoder="sha256")
    assert (first["num_added"], first["num_deleted"]) == (2, 0)
    again = index(docs, manager, store, cleanup="incremental", source_id_key="source", key_encoder="sha256")
    assert (again["num_added"], again["num_skipped"]) == (0, 2)
    changed = index(
        [Document(page_content="a2", metadata={"source": "a"})],
        manager,
        store,
        cleanup="incremental",
        source_id_key="source",
        key_encoder="sha256",
    )
    assert (changed["num_added"], changed["num_deleted"]) == (1, 1)
    assert sorted(d.page_content for d in store.similarity_search("x", k=10)) == ["a2", "b1"]


# -- async -----------------------------------------------------------------------------------


class AsyncTableEmbeddings(TableEmbeddings):
    """Counts native-async embedding calls (the store must use them, not the sync ones)."""

    def __init__(self, table: Dict[str, Sequence[float]]) -> None:
        super().__init__(table)
        self.async_calls = 0

    async def aembed_documents(self, texts: List[str]) -> List[List[float]]:
        self.async_calls += 1
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> List[float]:
        self.async_calls += 1
        return self.embed_query(text)


async def test_async_methods_run_engine_calls_off_the_loop(
    db: agentdb.Database, engine_call_threads: List[int]
) -> None:
    emb = AsyncTableEmbeddings(PLANAR.table)
    store = AgentDBVectorStore(emb, db=db, collection_name="async")
    loop_thread = threading.get_ident()

    ids = await store.aadd_texts(["east", "north", "up"], metadatas=[{"i": 1}, {"i": 2}, {"i": 3}], ids=["e", "n", "u"])
    assert ids == ["e", "n", "u"]
    assert [d.id for d in await store.asimilarity_search("east", k=1)] == ["e"]
    assert [d.id for d, _ in await store.asimilarity_search_with_score("north", k=1, filter={"i": 2})] == ["n"]
    assert [d.id for d in await store.asimilarity_search_by_vector([0, 0, 1], k=1)] == ["u"]
    assert [d.id for d in await store.amax_marginal_relevance_search("east", k=2, fetch_k=3)][0] == "e"
    rel = await store.asimilarity_search_with_relevance_scores("east", k=1)
    assert rel[0][1] == pytest.approx(1.0, abs=1e-6)
    assert [d.id for d in await store.aget_by_ids(["u", "e"])] == ["u", "e"]
    assert [d.id for d in await store.as_retriever(search_kwargs={"k": 1}).ainvoke("up")] == ["u"]
    await store.adelete(["e"])
    assert await store.aget_by_ids(["e"]) == []
    # Many concurrent searches on the thread pool give the same answers as one at a time.
    results = await asyncio.gather(*(store.asimilarity_search(t, k=1) for t in ["north", "up"] * 8))
    assert [r[0].id for r in results] == ["n", "u"] * 8

    assert engine_call_threads and loop_thread not in engine_call_threads
    assert emb.async_calls >= 7


async def test_afrom_texts(tmp_path: Path) -> None:
    store = await AgentDBVectorStore.afrom_texts(["east", "up"], PLANAR, ids=["e", "u"], path=tmp_path / "a")
    try:
        assert [d.id for d in await store.asimilarity_search("up", k=1)] == ["u"]
    finally:
        store.close()


def test_persisted_documents_survive_reopen(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        _load(AgentDBVectorStore(PLANAR, db=db, collection_name="keep"))
    with agentdb.connect(db_path) as db:
        store = AgentDBVectorStore(PLANAR, db=db, collection_name="keep")
        (w,) = store.get_by_ids(["w"])
        assert w.metadata == {"id": 6, "kind": None, "nested": {"a": 1}}
        assert [d.id for d in store.similarity_search("west", k=1)] == ["w"]


# -- hybrid search ---------------------------------------------------------------------------

WORDS = TableEmbeddings(
    {
        "fox den": [1.0, 0.0, 0.0],
        "dog house": [0.0, 1.0, 0.0],
        "fox and dog": [0.7, 0.7, 0.0],
        "bird": [0.0, 0.0, 1.0],
        "dog": [0.0, 1.0, 0.0],
        "fox": [0.9, 0.1, 0.0],
    }
)


async def test_hybrid_search_fuses_in_the_engine(db: agentdb.Database) -> None:
    store = AgentDBVectorStore(WORDS, db=db, collection_name="words")
    assert store.hybrid_search("dog") == []  # no collection yet
    texts = ["fox den", "dog house", "fox and dog", "bird"]
    store.add_texts(texts, ids=["f", "d", "fd", "b"], metadatas=[{"n": i} for i in range(4)])
    got = store.hybrid_search_with_score("dog", k=4)
    want = store.collection.hybrid_search(np.asarray(WORDS.embed_query("dog"), dtype=np.float32), "dog", 4)
    assert [d.id for d, _ in got] == want.ids and want.ids[0] == "d"
    assert [s for _, s in got] == pytest.approx([float(x) for x in want.scores])
    assert got[0][0].page_content == "dog house" and got[0][0].metadata == {"n": 1}
    # The filter applies to both sides; options are passed on.
    only = store.hybrid_search("dog", k=4, filter={"n": {"$gte": 2}})
    assert {d.id for d in only} == {"fd", "b"}
    linear = store.hybrid_search("fox", k=2, method="linear", text_weight=3.0)
    assert [d.id for d in linear] == store.collection.hybrid_search(
        np.asarray(WORDS.embed_query("fox"), dtype=np.float32), "fox", 2, method="linear", text_weight=3.0
    ).ids
    assert [d.id for d in await store.ahybrid_search("dog", k=4)] == want.ids
    with pytest.raises(TypeError):
        store.hybrid_search("dog", ef=3)
    with pytest.raises(InvalidArgumentError):
        store.hybrid_search("dog", method="max")
