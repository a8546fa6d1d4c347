"""AgentDBHybridRetriever: LangChain's standard retriever suite, and the translation onto the
engine's RAG retrieval checked against agentdb.Rag.search itself (vector, BM25, hybrid, MMR),
metadata and filters through the reserved chunk keys, per-call overrides, async off the loop."""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests.retrievers import RetrieversIntegrationTests

import agentdb
from agentdb.errors import InvalidArgumentError
from agentdb.integrations.langchain import AgentDBHybridRetriever
from agentdb.integrations.langchain_retriever import EmbeddingsAdapter

VOCABULARY = ["cat", "dog", "fish", "bird", "food", "sleep", "run", "swim"]


class BagOfWords(Embeddings):
    """One dimension per vocabulary word plus a constant one: words outside the vocabulary are
    invisible to the vector side, so only BM25 can find them. Counts the calls."""

    def __init__(self) -> None:
        self.calls: List[str] = []
        self.threads: List[int] = []

    def _vector(self, text: str) -> List[float]:
        words = [w.strip(".,!?").lower() for w in text.split()]
        return [float(words.count(v)) for v in VOCABULARY] + [0.25]

    def embed_documents(self, texts: List[str]) -> List[List[float]]:
        self.calls.append("documents")
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> List[float]:
        self.calls.append("query")
        self.threads.append(threading.get_ident())
        return self._vector(text)

    async def aembed_query(self, text: str) -> List[float]:
        self.calls.append("aquery")
        return self._vector(text)


DOCS = [
    Document(id="d-cat", page_content="The cat likes food and sleep.", metadata={"source": "cats.md", "year": 2020}),
    Document(id="d-dog", page_content="A dog will run for food.", metadata={"source": "dogs.md", "year": 2021}),
    Document(id="d-fish", page_content="Fish swim. Fish food floats.", metadata={"source": "fish.md", "year": 2019}),
    Document(
        id="d-zebra",
        page_content="The zebra grazes on the savanna near the zebra herd.",
        metadata={"source": "zebra.md", "year": 2022, "doc_id": "Z-1", "position": "first", "extra": None},
    ),
    Document(id="d-bird", page_content="A bird can sing; a bird can fly.", metadata={"year": 2018, "tags": ["sky"]}),
]


@pytest.fixture
def embeddings() -> BagOfWords:
    return BagOfWords()


@pytest.fixture
def retriever(db: agentdb.Database, embeddings: BagOfWords) -> AgentDBHybridRetriever:
    r = AgentDBHybridRetriever.from_embeddings(embeddings, db=db, name="kb", k=3)
    assert r.add_documents(DOCS) == [d.id for d in DOCS]
    return r


# -- LangChain's standard suite -------------------------------------------------------------------


class TestStandardRetriever(RetrieversIntegrationTests):
    """The suite's tests unchanged: ``k`` as a constructor field and as an ``invoke`` keyword,
    documents from ``invoke`` and ``ainvoke``."""

    _rag: Any = None

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return AgentDBHybridRetriever

    @property
    def retriever_constructor_params(self) -> Dict[str, Any]:
        # The suite builds several retrievers from these parameters (a property, not a
        # fixture): they share one store, filled once.
        if TestStandardRetriever._rag is None:
            db = agentdb.connect(Path(tempfile.mkdtemp(prefix="agentdb-lc-retriever-")) / "db")
            rag = db.rag("standard", embedder=EmbeddingsAdapter(BagOfWords()))
            AgentDBHybridRetriever(rag=rag).add_documents(DOCS)
            TestStandardRetriever._rag = rag
        return {"rag": TestStandardRetriever._rag, "embeddings": BagOfWords()}

    @property
    def retriever_query_example(self) -> str:
        return "what food does the cat eat"


# -- translation onto Rag.search ------------------------------------------------------------------


def _key(hits: Any) -> List[Any]:
    return [(h.id, h.text, pytest.approx(h.score, rel=1e-6)) for h in hits]


@pytest.mark.parametrize("mode", [None, "hybrid", "vector", "text"])
def test_results_are_the_engines(retriever: AgentDBHybridRetriever, mode: Any) -> None:
    query = "cat food zebra"
    docs = retriever.invoke(query, mode=mode)
    hits = retriever.rag.search(query, k=3, mode=mode)
    assert [(d.id, d.page_content, pytest.approx(d.metadata["agentdb"]["score"], rel=1e-6)) for d in docs] == _key(hits)
    for d, h in zip(docs, hits):
        info = d.metadata["agentdb"]
        assert (info["doc_id"], info["position"], info["vector_rank"], info["text_rank"]) == (
            h.doc_id, h.position, h.vector_rank, h.text_rank,
        )


def test_hybrid_finds_what_either_side_finds(retriever: AgentDBHybridRetriever) -> None:
    # "zebra" is outside the embedding's vocabulary: only BM25 sees it; "cat" is seen by both.
    by_text = [d.metadata["agentdb"]["doc_id"] for d in retriever.invoke("zebra", mode="text")]
    assert by_text == ["d-zebra"]
    hybrid = retriever.invoke("zebra cat", k=5)
    ids = [d.metadata["agentdb"]["doc_id"] for d in hybrid]
    assert "d-zebra" in ids and "d-cat" in ids
    zebra = next(d for d in hybrid if d.metadata["agentdb"]["doc_id"] == "d-zebra")
    assert zebra.metadata["agentdb"]["bm25"] > 0 and zebra.metadata["agentdb"]["text_rank"] == 1
    cat = next(d for d in hybrid if d.metadata["agentdb"]["doc_id"] == "d-cat")
    assert cat.metadata["agentdb"]["vector_rank"] == 1  # nearest by embedding
    assert cat.metadata["agentdb"]["text_rank"] == 1 or zebra.metadata["agentdb"]["text_rank"] == 1


def test_metadata_round_trip_and_reserved_keys(retriever: AgentDBHybridRetriever) -> None:
    (zebra,) = retriever.invoke("zebra", mode="text", k=1)
    info = zebra.metadata.pop("agentdb")
    # The document's own doc_id / position / source come back as given; the engine's are apart.
    assert zebra.metadata == {"source": "zebra.md", "year": 2022, "doc_id": "Z-1", "position": "first", "extra": None}
    assert (info["doc_id"], info["source"], info["position"]) == ("d-zebra", "zebra.md", 0)
    assert zebra.id == "d-zebra#0"
    (bird,) = retriever.invoke("bird", mode="text", k=1, filter={"tags": {"$contains": "sky"}})
    assert bird.metadata["agentdb"]["source"] == "d-bird"  # no source given: the engine cites the id
    assert "source" not in bird.metadata


def test_filters_name_langchain_keys(retriever: AgentDBHybridRetriever) -> None:
    got = retriever.invoke("food", k=5, filter={"source": {"$in": ["cats.md", "fish.md"]}})
    assert {d.metadata["source"] for d in got} == {"cats.md", "fish.md"}
    got = retriever.invoke("food", k=5, filter={"doc_id": "Z-1"})
    assert [d.metadata["agentdb"]["doc_id"] for d in got] == ["d-zebra"]
    got = retriever.invoke("food", k=5, filter={"$and": [{"year": {"$gte": 2020}}, {"$not": {"source": "dogs.md"}}]})
    assert {d.metadata["agentdb"]["doc_id"] for d in got} == {"d-cat", "d-zebra"}
    # SQL names the stored columns, where doc_id is the engine's.
    got = retriever.invoke("food", k=5, filter="doc_id = 'd-dog'")
    assert [d.id for d in got] == ["d-dog#0"]
    # Field default, overridden per call.
    narrowed = retriever.model_copy(update={"filter": {"year": 2019}})
    assert [d.metadata["agentdb"]["doc_id"] for d in narrowed.invoke("food")] == ["d-fish"]
    assert len(narrowed.invoke("food", filter=None)) == 3


def test_options_reach_the_engine(retriever: AgentDBHybridRetriever) -> None:
    only_text = retriever.invoke("cat food", vector_weight=0.0, k=5)
    engine = retriever.rag.search("cat food", k=5, vector_weight=0.0)
    assert [d.id for d in only_text] == [h.id for h in engine]
    diverse = retriever.invoke("fish food", mmr=0.2, k=3)
    assert [d.id for d in diverse] == [h.id for h in retriever.rag.search("fish food", k=3, mmr=0.2)]
    with pytest.raises(TypeError, match="nonsense"):
        retriever.invoke("cat", nonsense=1)
    with pytest.raises(InvalidArgumentError):
        retriever.invoke("cat", mode="telepathy")
    with pytest.raises(InvalidArgumentError):
        retriever.invoke("cat", mmr=2.0)
    plain = retriever.model_copy(update={"hit_info_key": None})
    assert all("agentdb" not in d.metadata for d in plain.invoke("cat"))


def test_replace_skip_and_delete(retriever: AgentDBHybridRetriever, embeddings: BagOfWords) -> None:
    before = len(embeddings.calls)
    retriever.add_documents(DOCS[:2])  # unchanged: skipped without embedding
    assert embeddings.calls[before:] == []
    retriever.add_documents([Document(page_content="The cat now prefers fish.", metadata={"source": "cats.md"})],
                            ids=["d-cat"])
    (cat,) = retriever.invoke("cat", k=1, filter={"source": "cats.md"})
    assert cat.page_content == "The cat now prefers fish." and "year" not in cat.metadata
    assert retriever.delete(["d-cat", "d-nothing"]) == 1
    assert all(d.metadata["agentdb"]["doc_id"] != "d-cat" for d in retriever.invoke("cat", k=5))
    new_ids = retriever.add_documents([Document(page_content="a fish"), Document(page_content="a fish")],
                                      ids=["same", "same"])
    assert new_ids == ["same", "same"] and retriever.rag.count({"doc_id": "same"}) == 1
    generated = retriever.add_documents([Document(page_content="an unnamed bird")])
    assert len(generated[0]) == 36  # a uuid4
    with pytest.raises(InvalidArgumentError):
        retriever.add_documents(DOCS, ids=["one"])


async def test_async_off_the_loop(retriever: AgentDBHybridRetriever, embeddings: BagOfWords) -> None:
    loop_thread = threading.get_ident()
    expected = [d.id for d in retriever.invoke("cat food")]
    seen: List[int] = []
    original = agentdb.Rag.search

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(threading.get_ident())
        return original(self, *args, **kwargs)

    agentdb.Rag.search = spy  # type: ignore[method-assign]
    try:
        embeddings.calls.clear()
        docs = await retriever.ainvoke("cat food")
        assert embeddings.calls == ["aquery"]  # the async embedder, not embed_query in a thread
        assert [d.id for d in docs] == expected
        embeddings.calls.clear()
        await retriever.ainvoke("zebra", mode="text")
        assert embeddings.calls == []  # BM25 alone embeds nothing
        results = await asyncio.gather(*(retriever.ainvoke(q) for q in ("cat", "dog", "fish")))
        assert [r[0].metadata["agentdb"]["doc_id"] for r in results] == ["d-cat", "d-dog", "d-fish"]
        assert await retriever.aadd_documents([Document(id="d-owl", page_content="An owl is a bird")]) == ["d-owl"]
        assert await retriever.adelete(["d-owl"]) == 1
    finally:
        agentdb.Rag.search = original  # type: ignore[method-assign]
    assert seen and loop_thread not in seen


def test_owned_database_and_arguments(tmp_path: Path, embeddings: BagOfWords) -> None:
    r = AgentDBHybridRetriever.from_embeddings(embeddings, path=tmp_path / "kb", name="kb")
    r.add_documents(DOCS)
    r.close()
    again = AgentDBHybridRetriever.from_embeddings(embeddings, path=tmp_path / "kb", name="kb", k=1)
    assert [d.metadata["agentdb"]["doc_id"] for d in again.invoke("dog run")] == ["d-dog"]
    again.close()
    with pytest.raises(InvalidArgumentError):
        AgentDBHybridRetriever.from_embeddings(embeddings)
    with pytest.raises(InvalidArgumentError):
        AgentDBHybridRetriever.from_embeddings(embeddings, path=tmp_path / "x", chunk_size=0)
    adapter = EmbeddingsAdapter(embeddings)
    assert adapter(["cat"]).shape == (1, len(VOCABULARY) + 1) and adapter(["cat"]).dtype == np.float32


def test_reserved_keys_are_the_engines(db: agentdb.Database) -> None:
    from agentdb.integrations import _metadata

    rag = db.rag("reserved", embedder=lambda texts: [[1.0, 0.0]] * len(texts))
    for key in _metadata.RAG_CHUNK_KEYS:  # the engine refuses each as a document's own key ...
        with pytest.raises(InvalidArgumentError, match=key):
            rag.ingest("text", id="x", metadata={key: "v"})
    rag.ingest("text", id="x", metadata={"title": "v"})  # ... and takes others
    assert rag.count() == 1
