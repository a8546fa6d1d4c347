"""Defaults are decided once, in the engine (issue 13, item 4): a Python argument left ``None``
gets exactly the engine's default, the lists of kinds/modes come from the engine, the defaults the
extension exports (``agentdb._native.DEFAULT_…``) are the ones a call without the argument uses,
docstrings quote those values, and no public signature writes an engine default out again."""

from __future__ import annotations

import inspect
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple

import numpy as np
import pytest

import agentdb
from agentdb import _native
from agentdb.embed import HashingEmbedder
from agentdb.errors import InvalidArgumentError
from agentdb.memory import KINDS, RECALL_MODES, RecallWeights
from agentdb.rag import Rag, chunk_text

# -- the exported lists and defaults ------------------------------------------------------------


def test_lists_come_from_the_engine() -> None:
    assert agentdb.memory.KINDS == _native.MEMORY_KINDS and len(KINDS) == len(set(KINDS)) >= 4
    assert agentdb.memory.RECALL_MODES == _native.RECALL_MODES and "relevance" in RECALL_MODES
    assert agentdb.collection.INDEX_KINDS == _native.INDEX_KINDS == ("hnsw", "ivf_pq")
    assert agentdb.collection.QUANTIZATIONS == _native.QUANTIZATIONS
    assert _native.DEFAULT_MEMORY_KIND in KINDS
    assert _native.DEFAULT_HNSW_QUANTIZATION in _native.QUANTIZATIONS
    assert _native.DEFAULT_SYNC in agentdb.SYNC_MODES
    # Every name listed in __all__ exists (INDEX_KINDS was listed before it was defined).
    for module in (agentdb.collection, agentdb.memory, agentdb.rag, agentdb.database):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_every_memory_kind_is_accepted(db: agentdb.Database) -> None:
    mem = db.memory("m", dim=2)
    ids = mem.remember_many([{"vector": [1.0, 0.0], "agent_id": "a", "kind": k} for k in KINDS])
    assert [r.kind for r in mem.get(ids)] == list(KINDS)
    with pytest.raises(InvalidArgumentError):
        mem.remember(vector=[1.0, 0.0], agent_id="a", kind="not-a-kind")


def test_retrieval_mode_names_are_the_engines() -> None:
    assert _native.retrieval_mode() == _native.retrieval_mode(None) == _native.DEFAULT_RAG_MODE
    assert {_native.retrieval_mode(m) for m in ("hybrid", "HYBRID")} == {"hybrid"}
    assert {_native.retrieval_mode(m) for m in ("vector", "dense")} == {"vector"}
    assert {_native.retrieval_mode(m) for m in ("text", "bm25", "fts", "keyword")} == {"text"}
    with pytest.raises(InvalidArgumentError, match="retrieval mode"):
        _native.retrieval_mode("nearest")


def test_recall_weight_defaults_are_the_engines() -> None:
    d = _native.recall_weights_default()
    w = RecallWeights()
    assert (w.mode, w.similarity, w.recency, w.importance, w.half_life, w.adjust) == (
        d["mode"], d["similarity"], d["recency"], d["importance"], d["half_life"], d["adjust"]
    )
    assert d["mode"] in RECALL_MODES


# -- None gets exactly the engine's default -----------------------------------------------------


def test_open_without_sync_uses_the_engine_default(db_path: Path) -> None:
    with agentdb.connect(db_path) as db:
        assert db.sync == _native.DEFAULT_SYNC
    with agentdb.open(db_path, sync=None) as db:
        assert db.sync == _native.DEFAULT_SYNC
    other = next(m for m in agentdb.SYNC_MODES if m != _native.DEFAULT_SYNC)
    with agentdb.Database(db_path, sync=other) as db:
        assert db.sync == other


def test_create_index_without_parameters_uses_the_engine_defaults(db: agentdb.Database) -> None:
    c = db.create_collection("c", dim=4, metric="l2")
    c.add([str(i) for i in range(50)], np.random.default_rng(1).random((50, 4), dtype=np.float32))
    c.create_index()
    assert c.index == agentdb.IndexInfo(
        "hnsw",
        m=_native.DEFAULT_HNSW_M,
        ef_construction=_native.DEFAULT_HNSW_EF_CONSTRUCTION,
        quantization=_native.DEFAULT_HNSW_QUANTIZATION,
    )
    # The parameters are really passed: other values show up as they are.
    c.create_index("hnsw", m=_native.DEFAULT_HNSW_M + 2, ef_construction=_native.DEFAULT_HNSW_EF_CONSTRUCTION + 1)
    assert (c.index.m, c.index.ef_construction) == (_native.DEFAULT_HNSW_M + 2, _native.DEFAULT_HNSW_EF_CONSTRUCTION + 1)


def test_remember_without_kind_or_importance_uses_the_engine_defaults(db: agentdb.Database) -> None:
    mem = db.memory("m", dim=2)
    a = mem.remember(vector=[1.0, 0.0], agent_id="x")
    b = mem.remember_many([{"vector": [0.0, 1.0], "agent_id": "x", "kind": None, "importance": None}])[0]
    other_kind = next(k for k in KINDS if k != _native.DEFAULT_MEMORY_KIND)
    c = mem.remember(vector=[1.0, 1.0], agent_id="x", kind=other_kind, importance=0.25)
    got = {r.id: (r.kind, r.importance) for r in mem.get([a, b, c])}
    assert got[a] == got[b] == (_native.DEFAULT_MEMORY_KIND, _native.DEFAULT_IMPORTANCE)
    assert got[c] == (other_kind, 0.25)


def test_recall_without_touch_uses_the_engine_default(db: agentdb.Database) -> None:
    mem = db.memory("m", dim=2)
    i = mem.remember(vector=[1.0, 0.0], agent_id="x")
    mem.recall([1.0, 0.0], k=1)
    expected = 1 if _native.DEFAULT_RECALL_TOUCH else 0
    assert mem.get([i])[0].access_count == expected
    mem.recall([1.0, 0.0], k=1, touch=not _native.DEFAULT_RECALL_TOUCH)
    assert mem.get([i])[0].access_count == expected  # the opposite setting does the opposite
    # exact=None is the engine's setting: the same hits as saying it.
    q, now = [0.6, 0.8], datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert [(h.id, h.score) for h in mem.recall(q, k=1, touch=False, now=now)] == [
        (h.id, h.score) for h in mem.recall(q, k=1, touch=False, now=now, exact=_native.DEFAULT_RECALL_EXACT)
    ]


def test_search_without_k_or_exact_uses_the_engine_defaults(db: agentdb.Database) -> None:
    c = db.create_collection("c", dim=2)  # no metric: the engine's
    assert c.metric == _native.DEFAULT_METRIC
    n = 3 * _native.DEFAULT_SEARCH_K
    vecs = np.random.default_rng(2).random((n, 2), dtype=np.float32)
    c.add([f"r{i}" for i in range(n)], vecs)
    c.create_index(m=4, ef_construction=8)  # no kind: the engine's
    assert c.index is not None and c.index.kind == _native.DEFAULT_INDEX_KIND
    q = np.array([0.5, 0.5], dtype=np.float32)
    default = c.search(q)
    assert len(default.ids) == _native.DEFAULT_SEARCH_K
    explicit = c.search(q, _native.DEFAULT_SEARCH_K, exact=_native.DEFAULT_SEARCH_EXACT)
    assert default.ids == explicit.ids
    assert [len(r.ids) for r in c.search(np.stack([q, q]))] == [_native.DEFAULT_SEARCH_K] * 2
    assert len(c.search(q, k=_native.DEFAULT_SEARCH_K + 1).ids) == _native.DEFAULT_SEARCH_K + 1


def test_recall_and_history_without_k_or_limit_use_the_engine_defaults(db: agentdb.Database) -> None:
    mem = db.memory("m", dim=2)
    mem.remember_many([{"vector": [1.0, float(i)], "agent_id": "a"} for i in range(2 * _native.DEFAULT_RECALL_K)])
    assert len(mem.recall([1.0, 0.0], touch=False)) == _native.DEFAULT_RECALL_K
    st = db.state
    for v in range(_native.DEFAULT_HISTORY_LIMIT + 3):
        st.put("a", "s", "key", v)
    versions = st.history("a", "s", "key")
    assert len(versions) == _native.DEFAULT_HISTORY_LIMIT
    assert len(st.history("a", "s", "key", limit=_native.DEFAULT_HISTORY_LIMIT + 3)) == _native.DEFAULT_HISTORY_LIMIT + 3


LONG = "\n\n".join(
    f"Paragraph {p}. " + " ".join(f"Sentence {p}.{s} talks about topic{p} and item{s} at length." for s in range(12))
    for p in range(30)
)


def test_chunk_text_without_settings_uses_the_engine_defaults() -> None:
    default = chunk_text(LONG)
    explicit = chunk_text(
        LONG,
        format=_native.DEFAULT_TEXT_FORMAT,
        size=_native.DEFAULT_CHUNK_SIZE,
        overlap=_native.DEFAULT_CHUNK_OVERLAP,
        unit=_native.DEFAULT_CHUNK_UNIT,
    )
    assert len(default) > 3 and default == explicit
    assert max(c.tokens for c in default) <= _native.DEFAULT_CHUNK_SIZE
    # The settings matter, so the equality above says something.
    assert chunk_text(LONG, size=_native.DEFAULT_CHUNK_SIZE // 2) != default
    assert chunk_text(LONG, unit="chars" if _native.DEFAULT_CHUNK_UNIT != "chars" else "tokens") != default


@pytest.fixture
def rag(db: agentdb.Database) -> Iterator[Rag]:
    r = db.rag("kb", embedder=HashingEmbedder(64))
    r.ingest_documents(
        [{"id": f"d{i}", "text": f"Document {i} is about topic{i % 3} and shared words like cats and dogs."}
         for i in range(3 * _native.DEFAULT_CONTEXT_K)]
    )
    yield r


def _hits(hits: List[Any]) -> List[Tuple[str, float]]:
    return [(h.id, h.score) for h in hits]


def test_rag_search_without_options_uses_the_engine_defaults(rag: Rag) -> None:
    q = "cats and dogs topic1"
    default = rag.search(q)
    assert len(default) == _native.DEFAULT_RAG_K
    explicit = rag.search(
        q,
        _native.DEFAULT_RAG_K,
        mode=_native.DEFAULT_RAG_MODE,
        vector_weight=_native.DEFAULT_RAG_VECTOR_WEIGHT,
        text_weight=_native.DEFAULT_RAG_TEXT_WEIGHT,
        rrf_k=_native.DEFAULT_RAG_RRF_K,
    )
    assert _hits(default) == _hits(explicit)
    # The fused score is the documented RRF with the engine's defaults.
    for h in default:
        expected = sum(
            w / (_native.DEFAULT_RAG_RRF_K + r)
            for w, r in ((_native.DEFAULT_RAG_VECTOR_WEIGHT, h.vector_rank), (_native.DEFAULT_RAG_TEXT_WEIGHT, h.text_rank))
            if r is not None
        )
        assert h.score == pytest.approx(expected, rel=1e-5)
    assert _hits(rag.search(q, rrf_k=_native.DEFAULT_RAG_RRF_K + 40)) != _hits(default)


def test_rag_text_mode_needs_no_embedding(db: agentdb.Database) -> None:
    calls: List[str] = []

    class Probe(HashingEmbedder):
        def embed_query(self, text: str) -> np.ndarray:
            calls.append(text)
            return self([text])[0]

    r = db.rag("kb2", embedder=Probe(16))
    r.ingest("cats purr and dogs bark", id="a")
    for spelling in ("text", "bm25", "keyword"):
        assert [h.doc_id for h in r.search("cats", mode=spelling)] == ["a"]
    assert calls == []
    r.search("cats")  # the default mode embeds the query unless it is text-only
    assert calls == ([] if _native.DEFAULT_RAG_MODE == "text" else ["cats"])


def test_rag_context_without_options_uses_the_engine_defaults(rag: Rag) -> None:
    q = "shared words cats dogs"
    default = rag.context(q)
    explicit = rag.context(
        q,
        _native.DEFAULT_CONTEXT_MAX_TOKENS,
        k=_native.DEFAULT_CONTEXT_K,
        mode=_native.DEFAULT_RAG_MODE,
        document_order=_native.DEFAULT_CONTEXT_DOCUMENT_ORDER,
    )
    assert default == explicit
    # Every document is one short chunk and all fit the budget: the candidates are the limit.
    assert len(default.citations) == _native.DEFAULT_CONTEXT_K
    assert len(rag.context(q, k=_native.DEFAULT_CONTEXT_K + 5).citations) == _native.DEFAULT_CONTEXT_K + 5


def test_rag_ingest_without_format_uses_the_engine_default(db: agentdb.Database) -> None:
    text = "# Title\n\nSome text under it.\n\n## Part\n\nMore text."
    r = db.rag("kb3", embedder=HashingEmbedder(16))
    r.ingest(text, id="a")
    r.ingest_documents([("b", text), {"id": "c", "text": text}])
    r.ingest(text, id="d", format=_native.DEFAULT_TEXT_FORMAT)
    other = "markdown" if _native.DEFAULT_TEXT_FORMAT != "markdown" else "plain"
    r.ingest(text, id="e", format=other)
    headings: Dict[str, Set[str]] = {}
    for h in r.search("text", k=100, mode="text"):
        headings.setdefault(h.doc_id, set()).add(h.heading)
    assert headings["a"] == headings["b"] == headings["c"] == headings["d"] != headings["e"]


# -- docstrings quote the engine's values --------------------------------------------------------


def _documented() -> Iterator[Tuple[str, Any]]:
    for module in (agentdb, agentdb.database, agentdb.collection, agentdb.memory, agentdb.rag, agentdb.state):
        yield module.__name__, module
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member):
                        yield f"{module.__name__}.{name}.{attr}", member


def test_docstrings_are_filled_with_the_engine_values() -> None:
    for where, obj in _documented():
        assert "{DEFAULT_" not in (obj.__doc__ or ""), where
    assert f"``k`` {_native.DEFAULT_RAG_K}," in (Rag.search.__doc__ or "")
    assert f"``max_tokens``\n        {_native.DEFAULT_CONTEXT_MAX_TOKENS}," in (Rag.context.__doc__ or "")
    assert f"the engine's default, {_native.DEFAULT_HNSW_M})" in (agentdb.Collection.create_index.__doc__ or "")
    assert repr(_native.DEFAULT_MEMORY_KIND) in (agentdb.Memory.remember.__doc__ or "")
    assert f"``rrf_k = {_native.DEFAULT_RAG_RRF_K}``" in (agentdb.rag.__doc__ or "")
    assert f"the engine's default,\n                {_native.DEFAULT_SEARCH_K})" in (agentdb.Collection.search.__doc__ or "")
    assert f"the engine's default, {_native.DEFAULT_RECALL_K})" in (agentdb.Memory.recall.__doc__ or "")
    assert f"the engine's default, {_native.DEFAULT_HISTORY_LIMIT})" in (agentdb.State.history.__doc__ or "")


def test_a_default_the_engine_does_not_export_fails_loudly() -> None:
    from agentdb._args import fill_defaults

    assert fill_defaults("k {DEFAULT_RAG_K}, mode {DEFAULT_RAG_MODE!r}, {other}") == (
        f"k {_native.DEFAULT_RAG_K}, mode {_native.DEFAULT_RAG_MODE!r}, {{other}}"
    )
    with pytest.raises(AttributeError):
        fill_defaults("{DEFAULT_NO_SUCH_THING}")


# -- no public signature writes an engine default out -------------------------------------------

#: Parameters whose default is the engine's to decide.
ENGINE_DECIDED = {
    "sync", "payload_cache_bytes", "metric", "kind", "m", "ef_construction", "quantization", "partitions",
    "sub_vectors", "k", "ef", "nprobes", "refine_factor", "threads", "mode", "vector_weight", "text_weight",
    "rrf_k", "candidates", "mmr", "max_tokens", "document_order", "format", "size", "overlap", "unit",
    "chunk_size", "chunk_overlap", "chunk_unit", "importance", "weights", "touch", "min_score", "capacity",
    "dedup_threshold", "limit", "exact",
}

#: The literal defaults that stay, each with its reason (the engine has no default to read).
KNOWN_LITERALS: Dict[Tuple[str, str], Any] = {}


#: Classes whose defaults are read from the engine at import (checked above).
READ_FROM_ENGINE = ("agentdb.memory.RecallWeights.",)


def _literal_defaults(documented: Iterator[Tuple[str, Any]]) -> Dict[Tuple[str, str], Any]:
    found = {}
    for where, obj in documented:
        if not callable(obj) or inspect.ismodule(obj) or where.startswith(READ_FROM_ENGINE):
            continue
        for p in inspect.signature(obj).parameters.values():
            if p.name in ENGINE_DECIDED and p.default is not inspect.Parameter.empty and p.default is not None:
                found[(where, p.name)] = p.default
    return found


def test_no_signature_writes_an_engine_default() -> None:
    assert _literal_defaults(_documented()) == KNOWN_LITERALS


def test_the_check_above_sees_literal_defaults() -> None:
    # The walk reaches the methods it should, and a literal default would be found (so an empty
    # result means something).
    names = {where for where, _ in _documented()}
    assert {"agentdb.rag.Rag.search", "agentdb.memory.Memory.recall", "agentdb.database.open",
            "agentdb.collection.Collection.search", "agentdb.state.State.history"} <= names

    def search(query: Any, k: int = 10, *, exact: bool = False, ids_only: bool = False) -> None: ...

    assert _literal_defaults(iter([("x.search", search)])) == {("x.search", "k"): 10, ("x.search", "exact"): False}


def test_exported_defaults_are_plain_values() -> None:
    names = [n for n in dir(_native) if re.fullmatch(r"DEFAULT_[A-Z0-9_]+", n)]
    assert len(names) >= 20
    for name in names:
        assert isinstance(getattr(_native, name), (bool, int, float, str)), name
    assert isinstance(_native.DEFAULT_RAG_RRF_K, float) and isinstance(_native.DEFAULT_CHUNK_SIZE, int)
