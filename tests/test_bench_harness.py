"""Smoke test of the ANN peer harness (bench/ann_peers.py) and the data set builder
(bench/ann_datasets.py): the pieces that decide what the results files say — recall, Pareto fronts,
the issue's target verdicts, the data parsers and exact ground truth — on tiny data, in seconds.
No timing is asserted (speed is measured in bench/, not here)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("psutil")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import ann_peers as ap  # noqa: E402
import ann_datasets as ds  # noqa: E402


def P(param, recall, qps):
    return ap.Point(str(param), recall, qps, 1.0)


def test_front_and_qps_at():
    pts = [P(1, 0.80, 900), P(2, 0.90, 1000), P(3, 0.95, 500), P(4, 0.99, 100), P(5, 0.97, 50)]
    f = ap.front(pts)
    # (0.80, 900) is beaten by (0.90, 1000); (0.97, 50) by (0.99, 100).
    assert [(p.recall, p.qps) for p in f] == [(0.90, 1000), (0.95, 500), (0.99, 100)]
    assert ap.qps_at(pts, 0.95).param == "3"
    assert ap.qps_at(pts, 0.999) is None
    assert ap.recall_at([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], np.array([[1, 2, 3, 4, 5, 6, 7, 8, 9, 99]])) == 0.9


def _bench(system, family, pts, build_s=1.0, rss=100.0):
    b = ap.Bench(system, family, [p.param for p in pts], lambda _: (lambda q: []), build_s, rss)
    b.points = pts
    return b


def test_targets_verdicts():
    ours = _bench("AgentDB HNSW none M=16", "AgentDB none", [P(16, 0.95, 3000), P(32, 0.99, 1000)], 2.0, 100)
    q8 = _bench("AgentDB HNSW int8 M=16", "AgentDB int8", [P(16, 0.945, 4000), P(32, 0.99, 1500)], 2.0, 25)
    h = _bench("hnswlib M=16", "hnswlib", [P(16, 0.96, 1000), P(32, 0.995, 900)], 5.0)
    g = _bench("glass x", "glass", [P(16, 0.96, 1500), P(32, 0.98, 1200)])
    ap.N_BASE = 1000
    rows = "\n".join(ap.targets([ours, q8, h, g], [("AgentDB HNSW none M=16", "1%", "64", 0.99, 2000)], 384))
    # 4000 (int8 reaches 0.95? no: 0.945) -> AgentDB's best at 0.95 is 3000 (none @16) or int8 @32 1500.
    assert "QPS at recall@10 ≥ 0.95 ≥ 1.5× best peer | AgentDB HNSW none M=16 @ 16: 3,000" in rows
    assert "| 2.00× | **met** |" in rows  # 3000 / glass 1500
    assert "| 3.00× | **missed** |" in rows  # vs hnswlib, needs 4×
    assert "memory: AgentDB int8" in rows and "0.25×" in rows  # 25 / 100 MB, recall gap 0.005
    assert "build time ≤ 0.5× hnswlib at M=16" in rows and "| 0.40× | **met** |" in rows
    assert "filtered 1%" in rows and "0.67×" in rows and "filtered 99%" in rows


def test_agentdb_modes_and_search(tmp_path):
    modes = ap.agentdb_modes(tmp_path)
    assert "none" in modes and "int8" in modes
    rng = np.random.default_rng(0)
    base = rng.standard_normal((400, 16)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    tags = rng.integers(0, 100, size=400)
    queries = list(base[:20] + 0.01)
    truth = np.argsort(-(np.stack(queries) @ base.T), axis=1)[:, :10]
    [b] = ap.agentdb_benches(base, tags, tmp_path, ["none"], [8])
    p = ap.timed(b, 64, queries, truth, repeats=1)
    assert p.recall >= 0.9 and p.qps > 0
    # The filtered call returns only passing rows.
    ids = b.make(64, {"tag": 0})(queries[0])
    assert all(tags[int(i)] == 0 for i in ids)


def test_peer_adapter_and_write(tmp_path, monkeypatch):
    pytest.importorskip("hnswlib")
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(1)
    base = rng.standard_normal((300, 8)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries = base[:10]
    truth = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    [b] = ap.hnswlib_benches(base, [8], 1)
    p = ap.timed(b, 32, list(queries), truth, repeats=1)
    assert p.recall >= 0.9
    monkeypatch.setattr(ap, "RESULTS", tmp_path)
    data = {"n": len(base), "dim": base.shape[1], "nq": len(queries), "desc": "random"}
    ap.write("ann-test", data, [b], [], None, "", " --quick", 1.0, "", "1.0")
    text = (tmp_path / "ann-test.md").read_text()
    assert "## Targets (issue 20)" in text and "| hnswlib |" in text
    assert (tmp_path / "ann-test.png").stat().st_size > 0


def test_dataset_parsers_and_ground_truth(tmp_path):
    wn = tmp_path / "usr/share/wordnet"
    wn.mkdir(parents=True)
    (wn / "data.noun").write_text(
        "  1 This software and database is being provided\n"
        "00001740 03 n 02 entity 0 thing 0 000 | that which is perceived; \"the entity stood there\"  \n")
    for pos in ("verb", "adj", "adv"):
        (wn / f"data.{pos}").write_text("")
    assert ds.wordnet_texts(tmp_path) == ["entity, thing: that which is perceived", "the entity stood there"]

    import gzip

    dd = tmp_path / "usr/share/dictd"
    dd.mkdir(parents=True)
    with gzip.open(dd / "gcide.dict.dz", "wt") as f:
        f.write("Affear \\Af*fear\"\\, v. t. [OE. aferen.]\n   To frighten a person badly. [Obs.] --Spenser.\n"
                "   [1913 Webster]\n\n            As might affect the earth with cold heat. --Milton.\n"
                "      [1913 Webster]\n\n   n[u^]s) pronunciation residue here\n")
    assert ds.gcide_texts(tmp_path) == ["To frighten a person badly. [Obs.]",
                                        "As might affect the earth with cold heat."]

    rng = np.random.default_rng(2)
    base = rng.standard_normal((500, 12)).astype(np.float32)
    q = rng.standard_normal((7, 12)).astype(np.float32)
    mask = rng.integers(0, 2, size=500).astype(bool)
    bn, qn = base / np.linalg.norm(base, axis=1, keepdims=True), q / np.linalg.norm(q, axis=1, keepdims=True)
    ref = np.argsort(-(qn @ bn.T), axis=1, kind="stable")[:, :20]
    assert (ds.exact_top(base, q, 20) == ref).all()
    got = ds.exact_top(base, q, 20, mask)
    assert mask[got].all()
    sims = np.where(mask, qn @ bn.T, -np.inf)
    assert (got == np.argsort(-sims, axis=1, kind="stable")[:, :20]).all()


def test_render_from_json(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(ap, "RESULTS", tmp_path)
    b = _bench("hnswlib M=8", "hnswlib", [P(16, 0.96, 1000)])
    ap.write("ann-r", {"n": 10, "dim": 4, "nq": 1, "desc": "x"}, [b], [], P("-", 1.0, 50), "k", "", 1.0, "", "1.0",
             engine="e")
    first = (tmp_path / "ann-r.md").read_text()
    ap.render(tmp_path / "ann-r.json")
    assert (tmp_path / "ann-r.md").read_text() == first
