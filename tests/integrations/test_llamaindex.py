"""The LlamaIndex vector store: retrieval through a real VectorStoreIndex, MetadataFilters
checked against LlamaIndex's reference SimpleVectorStore, MMR, node reads and deletes, async."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)

import agentdb
from agentdb.errors import InvalidArgumentError, InvalidFilterError
from agentdb.integrations.llamaindex import AgentDBVectorStore

VOCABULARY = ["cat", "cats", "purr", "dog", "dogs", "bark", "fish", "swim", "bird", "sing", "food", "sleep"]


class BagOfWords(BaseEmbedding):
    """One dimension per vocabulary word plus a constant one (no zero vectors): texts that share
    words are close, so which node a query should retrieve is known in advance."""

    def _vector(self, text: str) -> List[float]:
        words = [w.strip(".,!?").lower() for w in text.split()]
        return [float(words.count(v)) for v in VOCABULARY] + [0.1]

    def _get_query_embedding(self, query: str) -> List[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> List[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> List[float]:
        return self._vector(text)


@pytest.fixture
def store(db: agentdb.Database) -> AgentDBVectorStore:
    return AgentDBVectorStore(db=db, collection_name="li")


DOCS = [
    Document(
        text="Cats purr when they sleep.", metadata={"topic": "cats", "year": 2020, "tags": ["pet"]}, doc_id="d-cat"
    ),
    Document(
        text="Dogs bark at the dog next door.",
        metadata={"topic": "dogs", "year": 2021, "tags": ["pet", "loud"]},
        doc_id="d-dog",
    ),
    Document(
        text="Fish swim; fish food.", metadata={"topic": "fish", "year": 2019, "nested": {"a": [1, 2]}}, doc_id="d-fish"
    ),
    Document(
        text="Birds sing. A bird can sing.", metadata={"topic": "birds", "year": 2022, "tags": []}, doc_id="d-bird"
    ),
]


def _index(store: AgentDBVectorStore) -> VectorStoreIndex:
    storage = StorageContext.from_defaults(vector_store=store)
    return VectorStoreIndex.from_documents(DOCS, storage_context=storage, embed_model=BagOfWords())


def test_vector_store_index_retrieval(store: AgentDBVectorStore) -> None:
    index = _index(store)
    assert store.collection is not None and store.collection.count() == 4
    hits = index.as_retriever(similarity_top_k=2).retrieve("why do cats purr")
    assert hits[0].node.get_content() == "Cats purr when they sleep."
    assert hits[0].node.ref_doc_id == "d-cat"
    assert hits[0].node.metadata == {"topic": "cats", "year": 2020, "tags": ["pet"]}
    assert hits[0].score > hits[1].score

    filtered = index.as_retriever(
        similarity_top_k=3, filters=MetadataFilters(filters=[MetadataFilter(key="year", value=2020, operator=">")])
    ).retrieve("cats purr")
    assert {h.node.ref_doc_id for h in filtered} == {"d-dog", "d-bird"}

    fish = index.as_retriever(similarity_top_k=1).retrieve("fish")
    assert fish[0].node.metadata["nested"] == {"a": [1, 2]}

    index.delete_ref_doc("d-cat")
    assert all(h.node.ref_doc_id != "d-cat" for h in index.as_retriever(similarity_top_k=4).retrieve("cats purr"))
    index.insert(Document(text="A cat and cats purr purr.", metadata={"topic": "cats"}, doc_id="d-cat2"))
    assert index.as_retriever(similarity_top_k=1).retrieve("cats purr")[0].node.ref_doc_id == "d-cat2"


async def test_async_retrieval_and_writes(store: AgentDBVectorStore) -> None:
    storage = StorageContext.from_defaults(vector_store=store)
    index = VectorStoreIndex(nodes=[], storage_context=storage, embed_model=BagOfWords(), use_async=True)
    for doc in DOCS:
        await index.ainsert(doc)
    hits = await index.as_retriever(similarity_top_k=1).aretrieve("dogs bark")
    assert hits[0].node.ref_doc_id == "d-dog"
    await index.adelete_ref_doc("d-dog")
    hits = await index.as_retriever(similarity_top_k=4).aretrieve("dogs bark")
    assert "d-dog" not in {h.node.ref_doc_id for h in hits}


# -- filters against the reference implementation ---------------------------------------------


def _nodes() -> List[TextNode]:
    rows: List[Dict[str, Any]] = [
        {"genre": "drama", "year": 1999, "rating": 7.5, "tags": ["a", "b"], "note": "good film"},
        {"genre": "comedy", "year": 2005, "rating": 6.0, "tags": ["b"], "note": ""},
        {"genre": "drama", "year": 2010, "rating": 8.25, "tags": [], "note": "Great FILM"},
        {"genre": "horror", "year": 2020, "tags": ["c", "a"]},
        {"year": 2015, "rating": 5.0, "note": "film noir"},
        {"genre": "comedy", "rating": 9.0, "tags": ["a"]},
        {},
    ]
    rng = np.random.default_rng(7)
    nodes = []
    for i, meta in enumerate(rows):
        node = TextNode(id_=f"n{i}", text=f"node {i}", metadata=meta, embedding=rng.normal(size=5).tolist())
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=f"doc{i % 3}")
        nodes.append(node)
    return nodes


def _f(key: str, op: str, value: Any) -> MetadataFilter:
    return MetadataFilter(key=key, operator=FilterOperator(op), value=value)


LEAVES = [
    _f("genre", "==", "drama"),
    _f("genre", "!=", "drama"),
    _f("year", ">", 2005),
    _f("year", ">=", 2005),
    _f("year", "<", 2010),
    _f("rating", "<=", 7.5),
    _f("rating", "==", 9.0),
    _f("genre", "in", ["comedy", "horror"]),
    _f("genre", "nin", ["comedy", "horror"]),
    _f("year", "in", [1999, 2020]),
    _f("year", "nin", [1999, 2020]),
    _f("tags", "any", ["c", "b"]),
    _f("tags", "all", ["a", "b"]),
    _f("tags", "contains", "a"),
    _f("note", "text_match", "film"),
    _f("note", "is_empty", None),
    _f("tags", "is_empty", None),
    _f("genre", "is_empty", None),
    _f("missing_key", "!=", "x"),
    _f("missing_key", "==", "x"),
]


def _ids(store: Any, filters: MetadataFilters, query: List[float]) -> set:
    result = store.query(VectorStoreQuery(query_embedding=query, similarity_top_k=20, filters=filters))
    return set(result.ids)


@pytest.fixture
def both(db: agentdb.Database) -> tuple:
    ours = AgentDBVectorStore(db=db, collection_name="filters")
    reference = SimpleVectorStore()
    nodes = _nodes()
    ours.add(nodes)
    reference.add(nodes)
    return ours, reference


@pytest.mark.parametrize("leaf", LEAVES, ids=lambda f: f"{f.key}{f.operator.value}{f.value}")
@pytest.mark.parametrize("condition", ["and", "or", "not"])
def test_single_filters_match_simple_vector_store(both: tuple, leaf: MetadataFilter, condition: str) -> None:
    ours, reference = both
    filters = MetadataFilters(filters=[leaf], condition=FilterCondition(condition))
    query = [0.1, 0.2, 0.3, 0.4, 0.5]
    assert _ids(ours, filters, query) == _ids(reference, filters, query)


def test_combined_filters_match_simple_vector_store(both: tuple) -> None:
    ours, reference = both
    query = [0.5, -0.2, 0.1, 0.0, 0.3]
    checked = 0
    for a, b in itertools.combinations(LEAVES[:15], 2):
        for condition in ("and", "or", "not"):
            filters = MetadataFilters(filters=[a, b], condition=FilterCondition(condition))
            assert _ids(ours, filters, query) == _ids(reference, filters, query), (a, b, condition)
            checked += 1
    assert checked == 315


def test_nested_filters(both: tuple) -> None:
    ours, _ = both
    inner = MetadataFilters(filters=[_f("year", "<", 2006), _f("rating", ">", 8.0)], condition=FilterCondition.OR)
    outer = MetadataFilters(filters=[_f("genre", "!=", "horror"), inner])
    assert _ids(ours, outer, [1, 0, 0, 0, 0]) == {"n0", "n1", "n2", "n5"}
    negated = MetadataFilters(filters=[inner], condition=FilterCondition.NOT)
    assert _ids(ours, negated, [1, 0, 0, 0, 0]) == {"n3", "n4", "n6"}


def test_unsupported_filters_and_modes(both: tuple) -> None:
    ours, _ = both
    with pytest.raises(InvalidFilterError, match="text_match_insensitive"):
        _ids(ours, MetadataFilters(filters=[_f("note", "text_match_insensitive", "film")]), [1, 0, 0, 0, 0])
    with pytest.raises(InvalidArgumentError):
        ours.query(VectorStoreQuery(query_embedding=[1, 0, 0, 0, 0], mode=VectorStoreQueryMode.HYBRID))
    with pytest.raises(InvalidArgumentError):
        ours.query(VectorStoreQuery(query_str="no embedding"))


def test_text_search_sparse_and_hybrid_modes(db: agentdb.Database) -> None:
    store = AgentDBVectorStore(db=db, collection_name="text")
    texts = ["the quick brown fox", "a lazy dog sleeps", "the fox and the dog", "nothing here"]
    vectors = [[1, 0, 0], [0, 1, 0], [0.7, 0.7, 0], [0, 0, 1]]
    nodes = [
        TextNode(id_=f"t{i}", text=t, metadata={"n": i}, embedding=[float(x) for x in v])
        for i, (t, v) in enumerate(zip(texts, vectors))
    ]
    store.add(nodes)
    collection = db.get_collection("text")
    for mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE):
        got = store.query(VectorStoreQuery(query_str="fox", mode=mode, similarity_top_k=5))
        want = collection.text_search("fox", 5)
        assert set(got.ids) == {"t0", "t2"} and got.ids == want.ids
        assert got.similarities == [float(x) for x in want.scores]
        assert [n.get_content() for n in got.nodes] == [texts[int(i[1])] for i in got.ids]
        top1 = store.query(VectorStoreQuery(query_str="fox", mode=mode, similarity_top_k=5, sparse_top_k=1))
        assert top1.ids == want.ids[:1]
    only_n2 = MetadataFilters(filters=[_f("n", "==", 2)])
    assert store.query(VectorStoreQuery(query_str="fox", mode=VectorStoreQueryMode.TEXT_SEARCH, filters=only_n2)).ids == ["t2"]
    # Hybrid: t2 is second by vector and has "dog"; t1 first by vector and has "dog".
    q = VectorStoreQuery(query_str="dog", query_embedding=[0.0, 1.0, 0.0], mode=VectorStoreQueryMode.HYBRID, similarity_top_k=4)
    got = store.query(q)
    want = collection.hybrid_search([0.0, 1.0, 0.0], "dog", 4)
    assert got.ids == want.ids and got.ids[0] == "t1"
    assert got.similarities == [float(x) for x in want.scores]
    # alpha weights the vector side: 0 leaves BM25 alone.
    text_only = store.query(
        VectorStoreQuery(query_str="dog", query_embedding=[0.0, 1.0, 0.0], mode=VectorStoreQueryMode.HYBRID, alpha=0.0, similarity_top_k=2)
    )
    assert text_only.ids[:2] == collection.text_search("dog", 2).ids
    with pytest.raises(InvalidArgumentError):
        store.query(VectorStoreQuery(query_str="dog", query_embedding=[0.0, 1.0, 0.0], mode=VectorStoreQueryMode.HYBRID, alpha=2.0))
    with pytest.raises(InvalidArgumentError):
        store.query(VectorStoreQuery(query_str="dog", mode=VectorStoreQueryMode.HYBRID))
    with pytest.raises(InvalidArgumentError):
        store.query(VectorStoreQuery(mode=VectorStoreQueryMode.TEXT_SEARCH))


# -- queries ---------------------------------------------------------------------------------


def test_query_ranks_like_the_reference_and_restricts_ids(both: tuple) -> None:
    ours, reference = both
    query = VectorStoreQuery(query_embedding=[0.3, -0.1, 0.8, 0.2, -0.5], similarity_top_k=4)
    mine, ref = ours.query(query), reference.query(query)
    assert mine.ids == ref.ids
    assert mine.similarities == pytest.approx(ref.similarities, abs=1e-5)  # cosine similarity
    assert [n.node_id for n in mine.nodes] == mine.ids
    assert mine.nodes[0].get_content() == f"node {mine.ids[0][1:]}"

    only = ours.query(
        VectorStoreQuery(query_embedding=[1, 0, 0, 0, 0], similarity_top_k=10, node_ids=["n1", "n4", "nx"])
    )
    assert set(only.ids) == {"n1", "n4"}
    docs = ours.query(VectorStoreQuery(query_embedding=[1, 0, 0, 0, 0], similarity_top_k=10, doc_ids=["doc1"]))
    assert set(docs.ids) == {"n1", "n4"}
    # VectorStoreIndex passes node_ids=[] to stores that keep text: it means "no restriction".
    unrestricted = ours.query(
        VectorStoreQuery(query_embedding=[1, 0, 0, 0, 0], similarity_top_k=10, node_ids=[], doc_ids=[])
    )
    assert len(unrestricted.ids) == 7


def test_mmr_query(db: agentdb.Database) -> None:
    store = AgentDBVectorStore(db=db, collection_name="mmr")
    base = [1.0, 0.0, 0.0]
    store.add(
        [
            TextNode(id_="a", text="a", embedding=base),
            TextNode(id_="a2", text="a2", embedding=[0.99, 0.05, 0.0]),
            TextNode(id_="b", text="b", embedding=[0.6, 0.0, 0.8]),
        ]
    )
    plain = store.query(VectorStoreQuery(query_embedding=base, similarity_top_k=2))
    assert plain.ids == ["a", "a2"]
    mmr = store.query(
        VectorStoreQuery(query_embedding=base, similarity_top_k=2, mode=VectorStoreQueryMode.MMR, mmr_threshold=0.3)
    )
    assert mmr.ids == ["a", "b"] and len(mmr.nodes) == 2


@pytest.mark.parametrize("metric", ["l2", "dot"])
def test_similarity_per_metric(db: agentdb.Database, metric: str) -> None:
    store = AgentDBVectorStore(db=db, collection_name="m", metric=metric)
    store.add([TextNode(id_="x", text="x", embedding=[0.6, 0.8]), TextNode(id_="y", text="y", embedding=[1.0, 0.0])])
    result = store.query(VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=2))
    assert result.ids == ["y", "x"]
    want = [1.0, 1 / (1 + 0.8)] if metric == "l2" else [1.0, 0.6]
    assert result.similarities == pytest.approx(want, abs=1e-5)


# -- node reads and deletes ------------------------------------------------------------------


def test_get_delete_clear(both: tuple) -> None:
    ours, _ = both
    got = ours.get_nodes(node_ids=["n2", "n0", "nx"])
    assert [n.node_id for n in got] == ["n2", "n0"]
    assert got[0].metadata == _nodes()[2].metadata and got[0].get_content() == "node 2"
    assert got[0].embedding == pytest.approx(_nodes()[2].embedding, abs=1e-6)
    drama = ours.get_nodes(filters=MetadataFilters(filters=[_f("genre", "==", "drama")]))
    assert {n.node_id for n in drama} == {"n0", "n2"}

    ours.delete("doc0")  # nodes n0, n3, n6
    assert {n.node_id for n in ours.get_nodes()} == {"n1", "n2", "n4", "n5"}
    ours.delete_nodes(node_ids=["n1", "n2"], filters=MetadataFilters(filters=[_f("genre", "==", "comedy")]))
    assert {n.node_id for n in ours.get_nodes()} == {"n2", "n4", "n5"}
    ours.delete_nodes(filters=MetadataFilters(filters=[_f("rating", ">", 6.0)]))
    assert {n.node_id for n in ours.get_nodes()} == {"n4"}
    ours.delete_nodes(node_ids=[])
    assert ours.get_nodes(node_ids=[]) == []
    ours.clear()
    assert ours.get_nodes() == [] and ours.collection is not None


async def test_async_methods_off_the_loop(both: tuple, engine_call_threads: List[int]) -> None:
    ours, _ = both
    loop_thread = threading.get_ident()
    result = await ours.aquery(VectorStoreQuery(query_embedding=[1, 0, 0, 0, 0], similarity_top_k=2))
    assert len(result.ids) == 2
    await ours.async_add([TextNode(id_="new", text="new", embedding=[1, 0, 0, 0, 0])])
    assert [n.node_id for n in await ours.aget_nodes(node_ids=["new"])] == ["new"]
    await ours.adelete("doc1")
    await ours.adelete_nodes(node_ids=["new"])
    assert {n.node_id for n in await ours.aget_nodes()} == {"n0", "n2", "n3", "n5", "n6"}
    await ours.aclear()
    assert await ours.aget_nodes() == []
    assert engine_call_threads and loop_thread not in engine_call_threads


def test_lazy_creation_reopen_and_arguments(tmp_path: Path) -> None:
    path = tmp_path / "db"
    store = AgentDBVectorStore(path=path, collection_name="nodes", metric="l2")
    assert store.collection is None
    assert store.query(VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=1)).ids == []
    assert store.get_nodes() == []
    store.delete("nothing")
    store.add(_nodes()[:2])
    assert (store.collection.dim, store.collection.metric) == (5, "l2")
    store.close()
    with agentdb.connect(path) as db:
        again = AgentDBVectorStore(db=db, collection_name="nodes")
        (node,) = again.get_nodes(node_ids=["n1"])
        assert node.ref_doc_id == "doc1" and node.metadata["tags"] == ["b"]
        assert isinstance(again.client, agentdb.Database)
        with pytest.raises(InvalidArgumentError):
            AgentDBVectorStore(db=db, collection_name="nodes", metric="cosine")
    with pytest.raises(InvalidArgumentError):
        AgentDBVectorStore()
    other = AgentDBVectorStore(path=tmp_path / "other")
    try:
        with pytest.raises(ValueError):
            other.add([TextNode(id_="e", text="no embedding")])
    finally:
        other.close()
