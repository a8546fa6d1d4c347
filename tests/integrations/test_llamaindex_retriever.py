"""AgentDBRagRetriever: LlamaIndex's HYBRID, DEFAULT, TEXT_SEARCH, SPARSE and MMR query modes over
an AgentDB RAG store, checked against agentdb.Rag.search itself; MetadataFilters; a real
RetrieverQueryEngine with MockLLM; async off the loop; the vector store's answer to those modes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, List

import pytest
from llama_index.core import Document
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import QueryBundle
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
from agentdb.integrations.llamaindex import AgentDBRagRetriever, AgentDBVectorStore

VOCABULARY = ["cat", "dog", "fish", "bird", "food", "sleep", "run", "swim"]


class BagOfWords(BaseEmbedding):
    """One dimension per vocabulary word plus a constant one: words outside the vocabulary
    (``zebra``) are invisible to the vector side, so only BM25 can find them."""

    def _vector(self, text: str) -> List[float]:
        words = [w.strip(".,!?;").lower() for w in text.split()]
        return [float(words.count(v)) for v in VOCABULARY] + [0.25]

    def _get_query_embedding(self, query: str) -> List[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> List[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> List[float]:
        return self._vector(text)


DOCS = [
    Document(text="The cat likes food and sleep.", doc_id="d-cat", metadata={"topic": "cats", "year": 2020}),
    Document(text="A dog will run for food.", doc_id="d-dog", metadata={"topic": "dogs", "year": 2021}),
    Document(text="Fish swim. Fish food floats.", doc_id="d-fish", metadata={"topic": "fish", "year": 2019}),
    Document(
        text="The zebra grazes near the zebra herd.",
        doc_id="d-zebra",
        metadata={"topic": "zebras", "year": 2022, "source": "zoo.md", "doc_id": "Z-1", "tags": ["wild"]},
    ),
    Document(text="A bird can sing; a bird can fly.", doc_id="d-bird", metadata={"topic": "birds", "year": 2018}),
]


@pytest.fixture
def retriever(db: agentdb.Database) -> AgentDBRagRetriever:
    r = AgentDBRagRetriever.from_embed_model(BagOfWords(), db=db, name="kb", similarity_top_k=3)
    assert r.add_documents(DOCS) == [d.doc_id for d in DOCS]
    return r


def _same(rag: Any, **overrides: Any) -> AgentDBRagRetriever:
    return AgentDBRagRetriever(rag, embed_model=BagOfWords(), **overrides)


@pytest.mark.parametrize(
    "mode, engine_mode",
    [
        (None, None),
        (VectorStoreQueryMode.HYBRID, "hybrid"),
        (VectorStoreQueryMode.DEFAULT, "vector"),
        (VectorStoreQueryMode.TEXT_SEARCH, "text"),
        (VectorStoreQueryMode.SPARSE, "text"),
        ("text", "text"),
    ],
)
def test_modes_are_the_engines(retriever: AgentDBRagRetriever, mode: Any, engine_mode: Any) -> None:
    query = "cat food zebra"
    got = _same(retriever.rag, mode=mode, similarity_top_k=4).retrieve(query)
    hits = retriever.rag.search(query, k=4, mode=engine_mode)
    assert [(n.node.node_id, n.node.get_content(), n.score) for n in got] == [
        (h.id, h.text, pytest.approx(h.score, rel=1e-6)) for h in hits
    ]
    assert all(n.node.ref_doc_id == h.doc_id for n, h in zip(got, hits))


def test_hybrid_and_text_find_words_the_embedding_cannot_see(retriever: AgentDBRagRetriever) -> None:
    text = _same(retriever.rag, mode=VectorStoreQueryMode.TEXT_SEARCH).retrieve("zebra")
    assert [n.node.ref_doc_id for n in text] == ["d-zebra"]  # BM25: the only document with the word
    hybrid = _same(retriever.rag, mode=VectorStoreQueryMode.HYBRID, similarity_top_k=5).retrieve("zebra cat")
    assert {"d-zebra", "d-cat"} <= {n.node.ref_doc_id for n in hybrid}
    dense = _same(retriever.rag, mode=VectorStoreQueryMode.DEFAULT, similarity_top_k=1).retrieve("cat")
    assert dense[0].node.ref_doc_id == "d-cat"


def test_mmr_mode(retriever: AgentDBRagRetriever) -> None:
    got = _same(retriever.rag, mode=VectorStoreQueryMode.MMR, similarity_top_k=3).retrieve("fish food")
    assert [n.node.node_id for n in got] == [h.id for h in retriever.rag.search("fish food", k=3, mmr=0.5)]
    lam = _same(retriever.rag, mode=VectorStoreQueryMode.MMR, mmr_threshold=0.9).retrieve("fish food")
    assert [n.node.node_id for n in lam] == [h.id for h in retriever.rag.search("fish food", k=4, mmr=0.9)]


def test_nodes_metadata_and_filters(retriever: AgentDBRagRetriever) -> None:
    (zebra,) = _same(retriever.rag, mode="text", similarity_top_k=1).retrieve("zebra")
    node = zebra.node
    # The document's own source / doc_id come back as given, apart from the engine's.
    assert node.metadata == {"topic": "zebras", "year": 2022, "source": "zoo.md", "doc_id": "Z-1", "tags": ["wild"]}
    assert node.node_id == "d-zebra#0" and node.ref_doc_id == "d-zebra"
    assert (node.start_char_idx, node.end_char_idx) == (0, len(DOCS[3].text))  # one chunk: the whole text

    def ids(filters: MetadataFilters) -> set:
        return {n.node.ref_doc_id for n in _same(retriever.rag, similarity_top_k=5, filters=filters).retrieve("food")}

    f = MetadataFilter
    assert ids(MetadataFilters(filters=[f(key="year", operator=FilterOperator.GTE, value=2021)])) == {"d-dog", "d-zebra"}
    assert ids(MetadataFilters(filters=[f(key="doc_id", value="Z-1")])) == {"d-zebra"}
    assert ids(MetadataFilters(filters=[f(key="tags", operator=FilterOperator.CONTAINS, value="wild")])) == {"d-zebra"}
    nested = MetadataFilters(
        filters=[
            f(key="topic", operator=FilterOperator.NE, value="cats"),
            MetadataFilters(filters=[f(key="year", operator=FilterOperator.LT, value=2020),
                                     f(key="source", value="zoo.md")], condition=FilterCondition.OR),
        ]
    )
    assert ids(nested) == {"d-fish", "d-zebra", "d-bird"}
    assert ids(MetadataFilters(filters=[f(key="topic", value="cats")], condition=FilterCondition.NOT)) == {
        "d-dog", "d-fish", "d-zebra", "d-bird",
    }
    where = {n.node.ref_doc_id for n in _same(retriever.rag, similarity_top_k=5, where="doc_id = 'd-dog'").retrieve("x y")}
    assert where == {"d-dog"}
    for op in (FilterOperator.IS_EMPTY, FilterOperator.TEXT_MATCH_INSENSITIVE):
        with pytest.raises(InvalidFilterError, match=op.value):
            _same(retriever.rag, filters=MetadataFilters(filters=[f(key="topic", operator=op, value="x")]))


def test_query_engine_with_mock_llm(retriever: AgentDBRagRetriever) -> None:
    engine = RetrieverQueryEngine.from_args(_same(retriever.rag, similarity_top_k=2), llm=MockLLM())
    response = engine.query("what does the zebra eat")
    assert response.source_nodes and response.source_nodes[0].node.ref_doc_id == "d-zebra"


def test_query_bundle_embedding_is_used(retriever: AgentDBRagRetriever) -> None:
    plain = AgentDBRagRetriever(retriever.rag, mode=VectorStoreQueryMode.DEFAULT, similarity_top_k=1)
    bundle = QueryBundle("anything", embedding=BagOfWords()._vector("dog"))
    assert plain.retrieve(bundle)[0].node.ref_doc_id == "d-dog"
    # Without a bundle embedding the RAG's own embedder embeds the query.
    assert plain.retrieve("bird")[0].node.ref_doc_id == "d-bird"


async def test_async_off_the_loop(retriever: AgentDBRagRetriever) -> None:
    loop_thread = threading.get_ident()
    seen: List[int] = []
    original = agentdb.Rag.search

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(threading.get_ident())
        return original(self, *args, **kwargs)

    agentdb.Rag.search = spy  # type: ignore[method-assign]
    try:
        got = await retriever.aretrieve("dog run")
        assert got[0].node.ref_doc_id == "d-dog"
        text = await _same(retriever.rag, mode=VectorStoreQueryMode.TEXT_SEARCH).aretrieve("zebra")
        assert [n.node.ref_doc_id for n in text] == ["d-zebra"]
        assert await retriever.aadd_documents([Document(text="An owl is a bird", doc_id="d-owl")]) == ["d-owl"]
    finally:
        agentdb.Rag.search = original  # type: ignore[method-assign]
    assert seen and loop_thread not in seen
    assert retriever.delete("d-owl") == 1


def test_vector_store_answers_text_modes_itself(db: agentdb.Database) -> None:
    # The vector store ranks by BM25 and hybrid on its own collection now (see
    # test_llamaindex.py::test_text_search_sparse_and_hybrid_modes); before any write there is
    # nothing to find.
    store = AgentDBVectorStore(db=db, collection_name="plain")
    for mode in (VectorStoreQueryMode.HYBRID, VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE):
        assert store.query(VectorStoreQuery(query_embedding=[1.0, 0.0], query_str="x", mode=mode)).ids == []
    with pytest.raises(InvalidArgumentError, match="svm"):
        store.query(VectorStoreQuery(query_embedding=[1.0, 0.0], mode=VectorStoreQueryMode.SVM))


def test_arguments(db: agentdb.Database, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError):
        AgentDBRagRetriever.from_embed_model(BagOfWords())
    with pytest.raises(InvalidArgumentError):
        AgentDBRagRetriever("not a rag")  # type: ignore[arg-type]
    rag = db.rag("args", embedder=lambda texts: [[1.0, 0.0]] * len(texts))
    for bad in (VectorStoreQueryMode.SVM, VectorStoreQueryMode.SEMANTIC_HYBRID, "telepathy"):
        with pytest.raises(InvalidArgumentError):
            AgentDBRagRetriever(rag, mode=bad)
    with pytest.raises(InvalidArgumentError):
        AgentDBRagRetriever(rag, filters=MetadataFilters(filters=[]), where={"a": 1})
    owned = AgentDBRagRetriever.from_embed_model(BagOfWords(), path=tmp_path / "kb")
    owned.add_documents(DOCS[:2])
    owned.close()
    again = AgentDBRagRetriever.from_embed_model(BagOfWords(), path=tmp_path / "kb", similarity_top_k=1)
    assert again.retrieve("dog")[0].node.ref_doc_id == "d-dog"
    again.close()
