"""Hybrid recall and text tokenizers through the Python API: text-only recall finds every memory
holding a unique word, buffered or flushed (hypothesis); modes and their defaults; RRF fusion
checked against its formula; weights validation; Chinese memories and RAG documents with known
answers, with the tokenizer kept across reopening."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import List

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb
from agentdb import RecallWeights
from agentdb.embed import HashingEmbedder
from agentdb.errors import InvalidArgumentError

T0 = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)

ZH_DOCS = [
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "上海是中国最大的经济中心城市，位于长江入海口。",
    "熊猫主要生活在四川的山区，以竹子为食。",
    "长城是古代中国为抵御北方游牧民族而修建的军事工程。",
    "杭州西湖以美丽的风景闻名，每年吸引大量游客。",
    "人工智能正在改变医疗、金融和教育等行业。",
    "深度学习是机器学习的一个分支，使用多层神经网络。",
    "茶起源于中国，绿茶和红茶是最常见的种类。",
]
ZH_QUERIES = [("首都", 0), ("长江", 1), ("熊猫吃什么", 2), ("长城", 3), ("西湖的风景", 4), ("神经网络", 6), ("绿茶", 7)]


def ids(hits) -> List[str]:
    return [h.id for h in hits]


def test_text_recall_without_an_embedder(db: agentdb.Database) -> None:
    m = db.memory("m", dim=2)
    m.remember("the invoice number is 4711", vector=[1, 0], agent_id="ann", id="a")
    m.remember("lunch at noon", vector=[0, 1], agent_id="ann", id="b")
    # No embedder: a text query is a text-only recall.
    hits = m.recall("4711", touch=False)
    assert ids(hits) == ["a"]
    assert hits[0].similarity is None and hits[0].text_score is not None and hits[0].text_score > 0
    # A vector with the query text beside it: hybrid by default (both signals reported).
    hits = m.recall([0, 1], text="invoice", touch=False)
    assert {h.id for h in hits} == {"a", "b"}
    assert all(h.similarity is not None and h.text_score is not None for h in hits)
    assert ids(m.recall([0, 1], text="invoice", mode="vector", touch=False)) == ["b", "a"]
    assert ids(m.recall([0, 1], text="invoice", mode="text", touch=False)) == ["a"]
    with pytest.raises(InvalidArgumentError):
        m.recall("invoice", mode="hybrid")  # hybrid needs a vector: no embedder
    with pytest.raises(InvalidArgumentError):
        m.recall("invoice", mode="both")
    with pytest.raises(InvalidArgumentError):
        m.recall("invoice", text="again")
    with pytest.raises(InvalidArgumentError):
        m.recall([1, 0], mode="text")
    with pytest.raises(InvalidArgumentError):
        m.recall("invoice", weights=RecallWeights(rrf_k=0.0))
    with pytest.raises(InvalidArgumentError):
        m.recall("invoice", weights=RecallWeights(fusion="max"))
    with pytest.raises(InvalidArgumentError):
        m.recall("invoice", weights=RecallWeights(text=-1.0))


def test_hybrid_with_an_embedder_finds_rare_words(db: agentdb.Database) -> None:
    m = db.memory("m", embedder=HashingEmbedder(64))
    m.remember_many([{"text": f"note {i} about the weather today"} for i in range(30)], agent_id="ann")
    m.remember("the account id is ZX-99812", agent_id="ann", id="acct")
    hits = m.recall("ZX-99812", k=3, touch=False)
    assert hits[0].id == "acct"
    assert hits[0].text_score is not None and hits[0].similarity is not None


def test_rrf_scores_match_the_formula(db: agentdb.Database) -> None:
    m = db.memory("f", dim=2)
    m.remember_many(
        [
            {"id": "a", "text": "red apple", "vector": [1, 0], "created_at": T0},
            {"id": "b", "text": "green pear kiwi", "vector": [0.8, 0.6], "created_at": T0},
            {"id": "c", "text": "kiwi kiwi", "vector": [0, 1], "created_at": T0},
        ],
        agent_id="ann",
    )
    w = RecallWeights(adjust=0.0, fusion="rrf", text=1.0)
    hits = m.recall([1, 0], text="kiwi", weights=w, touch=False, now=T0)
    k = w.rrf_k
    r = lambda rank: (k + 1) / (k + rank)  # noqa: E731
    fused = {"a": r(1), "b": r(2) + r(2), "c": r(3) + r(1)}
    lo, hi = min(fused.values()), max(fused.values())
    want = sorted(fused, key=lambda i: -fused[i])
    assert ids(hits) == want
    for h in hits:
        assert h.score == pytest.approx((fused[h.id] - lo) / (hi - lo), abs=1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 25),
    flush_at=st.integers(0, 25),
    tokenizer=st.sampled_from(["simple", "icu", "ngram"]),
    agents=st.lists(st.sampled_from(["ann", "bob"]), min_size=25, max_size=25),
)
def test_text_recall_finds_every_memory_by_its_unique_word(tmp_path_factory, n, flush_at, tokenizer, agents) -> None:
    path = tmp_path_factory.mktemp("db")
    db = agentdb.connect(path)
    try:
        m = db.memory("m", dim=4)
        m.set_text_tokenizer(tokenizer)
        rng = np.random.default_rng(n)
        words = [f"zq{i}x{'k' * (i % 3)}" for i in range(n)]
        for i, w in enumerate(words):
            m.remember(f"common filler {w} more filler", vector=rng.normal(size=4), agent_id=agents[i], id=f"m{i}")
            if i == flush_at:
                db.close()
                db = agentdb.connect(path)
                m = db.memory("m")
                assert m.text_tokenizer == ("ngram:2-3" if tokenizer == "ngram" else tokenizer)
        for i, w in enumerate(words):
            hits = m.recall(w, k=1, mode="text", touch=False)
            assert ids(hits) == [f"m{i}"], (w, tokenizer)
            # The same filter on the text side: the other agent's memory is never returned.
            other = "bob" if agents[i] == "ann" else "ann"
            assert all(h.record.agent_id == other for h in m.recall(w, k=5, mode="text", agent_id=other, touch=False))
            assert ids(m.recall(w, k=1, mode="text", agent_id=agents[i], touch=False)) == [f"m{i}"]
    finally:
        db.close()


def test_chinese_memories_with_a_persisted_tokenizer(tmp_path: Path) -> None:
    db = agentdb.connect(tmp_path / "db")
    m = db.memory("zh", dim=2)
    assert m.text_tokenizer == "simple"
    m.remember_many([{"id": f"d{i}", "text": t, "vector": [1, i]} for i, t in enumerate(ZH_DOCS)], agent_id="ann")
    found = lambda: sum(ids(m.recall(q, k=1, mode="text", touch=False)) == [f"d{a}"] for q, a in ZH_QUERIES)  # noqa: E731
    assert found() <= 1  # the English tokenizer makes a clause one word
    m.set_text_tokenizer("icu")
    assert found() == len(ZH_QUERIES)
    with pytest.raises(InvalidArgumentError):
        m.set_text_tokenizer("jieba")
    db.close()
    db = agentdb.connect(tmp_path / "db")
    m = db.memory("zh")
    assert m.text_tokenizer == "icu"
    assert found() == len(ZH_QUERIES)
    m.set_text_tokenizer("ngram:2")
    assert m.text_tokenizer == "ngram:2-2"
    assert found() == len(ZH_QUERIES)
    db.close()


def test_chinese_rag_documents(tmp_path: Path) -> None:
    db = agentdb.connect(tmp_path / "db")
    rag = db.rag("kb", embedder=HashingEmbedder(32), chunk_size=30, chunk_overlap=0)
    rag.set_text_tokenizer("icu")
    rag.ingest("".join(ZH_DOCS), id="zh")
    db.close()
    db = agentdb.connect(tmp_path / "db")
    rag = db.rag("kb", embedder=HashingEmbedder(32))
    assert rag.text_tokenizer == "icu"
    for q, a in ZH_QUERIES:
        hits = rag.search(q, k=1, mode="text")
        assert ZH_DOCS[a][:9] in hits[0].text, q
    with pytest.raises(InvalidArgumentError):
        rag.set_text_tokenizer("ngram:0")
    db.close()
