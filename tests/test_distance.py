"""``agentdb.distance`` / ``cdist`` / ``hamming`` / ``kernel_backends``: the engine's SIMD kernels
on numpy arrays, on every backend this CPU supports, against numpy brute force.

Property tests (hypothesis) draw the shapes, dimensions (1..2049, with extra weight on tiny ones
and on the lane boundaries of the SIMD loops), scales and zero vectors; the vectors themselves come
from a numpy generator seeded by hypothesis, so a failure replays and shrinks. The oracle is numpy
in float64 on the very values the kernel saw (float16 inputs widened exactly).

Tolerances (the kernels' documented contract, ε = float32 epsilon): float32 / float16 inputs,
accumulated in float32 in a backend-specific order —

* dot: ``|got - exact| ≤ 1e-5 · Σ|a_i b_i| + 4 ε · max(|exact|, 1)``;
* l2: ``|got - exact| ≤ 1e-5 · exact + 1e-30``;
* cosine: ``|got - exact| ≤ 1e-5 · (Σ|a_i b_i| / (|a| |b|) + 1) + 4 ε``, exactly 1 for a zero
  vector.

int8 and Hamming results are exact: compared for equality, bit for bit (int8 through the same
final float64 formula as the kernels).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import tracemalloc
from typing import Tuple

import numpy as np
import pytest
from _helpers import raises_exactly
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb
from agentdb import DimensionMismatchError, InvalidArgumentError

BACKENDS = agentdb.kernel_backends().supported
DTYPES = ["float32", "float16", "int8"]
METRICS = ["cosine", "l2", "dot"]
EPS = float(np.finfo(np.float32).eps)

# The loop boundaries of the SIMD kernels (4/8/16/32/64 lanes, unrolled ×4), the largest
# dimension of the brief, and a few common embedding sizes.
EDGE_DIMS = sorted(
    {d + o for d in (4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048) for o in (-1, 0, 1)} | {384, 768, 1536, 2049}
)
DIMS = st.one_of(st.integers(1, 40), st.sampled_from(EDGE_DIMS), st.integers(1, 2049))

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


# ---------------------------------------------------------------------------------------------
# Data and oracle
# ---------------------------------------------------------------------------------------------


def make(dtype: str, rng: np.random.Generator, n: int, dim: int, scale: float, zero_rows: int) -> np.ndarray:
    """``n`` vectors of ``dim`` elements; the first ``zero_rows`` are all zeros, and about one
    element in eight is an exact zero."""
    if dtype == "int8":
        v = rng.integers(-128, 128, size=(n, dim)).astype(np.int8)
    else:
        v = (rng.standard_normal((n, dim)) * scale).astype(dtype)
    v[rng.random((n, dim)) < 0.125] = 0
    v[:zero_rows] = 0
    return v


def oracle(metric: str, a: np.ndarray, b: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Exact ``(m, n)`` distances of the rows of ``a`` and ``b`` (float64) and the tolerance."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ab = a64 @ b64.T
    absum = np.abs(a64) @ np.abs(b64).T
    if metric == "dot":
        exact = 1.0 - ab
        return exact, 1e-5 * absum + 4 * EPS * np.maximum(np.abs(exact), 1.0)
    if metric == "l2":
        exact = ((a64[:, None, :] - b64[None, :, :]) ** 2).sum(axis=-1)
        return exact, 1e-5 * exact + 1e-30
    norms = np.sqrt(np.outer((a64 * a64).sum(axis=1), (b64 * b64).sum(axis=1)))
    zero = norms == 0
    safe = np.where(zero, 1.0, norms)
    exact = np.where(zero, 1.0, np.clip(1.0 - ab / safe, 0.0, 2.0))
    return exact, np.where(zero, 0.0, 1e-5 * (absum / safe + 1.0) + 4 * EPS)


def oracle_i8(metric: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact int8 distances, through the kernels' final float64 formula, rounded to float32."""
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    ab = a64 @ b64.T  # exact: integers
    if metric == "dot":
        out = 1.0 - ab.astype(np.float64)
    elif metric == "l2":
        out = ((a64[:, None, :] - b64[None, :, :]) ** 2).sum(axis=-1).astype(np.float64)
    else:
        aa = (a64 * a64).sum(axis=1).astype(np.float64)
        bb = (b64 * b64).sum(axis=1).astype(np.float64)
        prod = aa[:, None] * bb[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.clip(1.0 - ab.astype(np.float64) / np.sqrt(prod), 0.0, 2.0)
        out = np.where(prod == 0, 1.0, cos)
    return out.astype(np.float32)


def check(got: np.ndarray, metric: str, a: np.ndarray, b: np.ndarray, what: str) -> None:
    """``got`` (the ``(m, n)`` distances of the rows of ``a`` and ``b``) against the oracle."""
    got = np.asarray(got)
    assert got.dtype == np.float32, what
    if a.dtype == np.int8:
        want = oracle_i8(metric, a, b)
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    exact, tol = oracle(metric, a, b)
    err = np.abs(got.astype(np.float64) - exact)
    bad = ~(err <= tol)
    assert not bad.any(), (
        f"{what}: {bad.sum()} of {bad.size} out of tolerance; first at {np.argwhere(bad)[0]}: "
        f"got {got[bad][0]!r}, want {exact[bad][0]!r}, err {err[bad][0]:.3g} > tol {tol[bad][0]:.3g}"
    )


# ---------------------------------------------------------------------------------------------
# Every backend × dtype × metric × shape against numpy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES)
@PROPERTY
@given(
    metric=st.sampled_from(METRICS),
    dim=DIMS,
    m=st.integers(1, 5),
    n=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
    log_scale=st.floats(-3, 2),
    zero_a=st.integers(0, 1),
    zero_b=st.integers(0, 2),
)
def test_kernels_match_numpy(
    backend: str, dtype: str, metric: str, dim: int, m: int, n: int, seed: int, log_scale: float, zero_a: int, zero_b: int
) -> None:
    rng = np.random.default_rng(seed)
    scale = 10.0**log_scale
    a = make(dtype, rng, m, dim, scale, zero_a)
    b = make(dtype, rng, n, dim, scale, zero_b)
    where = f"{backend} {dtype} {metric} dim={dim}"

    pair = agentdb.distance(a[-1], b[-1], metric, backend=backend)
    assert isinstance(pair, float)
    check(np.array([[pair]], dtype=np.float32), metric, a[-1:], b[-1:], f"pair {where}")

    batch = agentdb.distance(a[-1], b, metric=metric, backend=backend)
    assert batch.shape == (n,)
    check(batch[None, :], metric, a[-1:], b, f"batch {where}")

    flipped = agentdb.distance(b, a[-1], metric=metric, backend=backend)  # 2-D × 1-D: b's rows
    np.testing.assert_array_equal(flipped, batch)

    many = agentdb.distance(a, b, metric=metric, backend=backend)
    assert many.shape == (m, n)
    check(many, metric, a, b, f"many {where}")
    np.testing.assert_array_equal(agentdb.cdist(a, b, metric, backend=backend), many)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("metric", METRICS)
def test_every_dimension_1_to_2049(dtype: str, metric: str) -> None:
    """Each dimension 1..2049 once (one query against three rows), on the default backend; every
    backend agrees with it (exactly for int8)."""
    rng = np.random.default_rng(2049)
    for dim in range(1, 2050):
        a = make(dtype, rng, 1, dim, 1.0, 0)
        b = make(dtype, rng, 3, dim, 1.0, 0)
        got = agentdb.distance(a[0], b, metric)
        check(got[None, :], metric, a, b, f"{dtype} {metric} dim={dim}")
        if dim % 97 == 0 or dim < 70:
            for backend in BACKENDS:
                other = agentdb.distance(a[0], b, metric, backend=backend)
                if dtype == "int8":
                    np.testing.assert_array_equal(other, got)
                else:
                    check(other[None, :], metric, a, b, f"{backend} {dtype} {metric} dim={dim}")


@pytest.mark.parametrize("backend", BACKENDS)
@PROPERTY
@given(
    nbytes=st.one_of(st.integers(1, 40), st.integers(1, 300)),
    m=st.integers(1, 4),
    n=st.integers(1, 7),
    seed=st.integers(0, 2**32 - 1),
)
def test_hamming_matches_numpy(backend: str, nbytes: int, m: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, size=(m, nbytes), dtype=np.uint8)
    b = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    b[0] = a[0]  # one identical pair
    want = np.unpackbits(a[:, None, :] ^ b[None, :, :], axis=-1).sum(axis=-1)
    pair = agentdb.hamming(a[0], b[1 % n], backend=backend)
    assert isinstance(pair, int) and pair == want[0, 1 % n]
    batch = agentdb.hamming(a[0], b, backend=backend)
    assert batch.dtype == np.uint32 and batch.shape == (n,)
    np.testing.assert_array_equal(batch, want[0])
    assert batch[0] == 0
    many = agentdb.hamming(a, b, backend=backend)
    assert many.dtype == np.uint32 and many.shape == (m, n)
    np.testing.assert_array_equal(many, want)


def test_hamming_wider_words_and_packbits() -> None:
    rng = np.random.default_rng(3)
    bits = rng.random((5, 256)) < 0.5
    packed = np.packbits(bits, axis=1)
    want = (bits[0] != bits).sum(axis=1)
    np.testing.assert_array_equal(agentdb.hamming(packed[0], packed), want)
    words = packed.view(np.uint64)  # (5, 4) words: the same bits
    np.testing.assert_array_equal(agentdb.hamming(words[0], words), want)
    assert agentdb.hamming(np.array([0b1011], np.uint8), np.array([0b0001], np.uint8)) == 2


# ---------------------------------------------------------------------------------------------
# Shapes, dtypes and layouts
# ---------------------------------------------------------------------------------------------

RNG = np.random.default_rng(11)
A = RNG.standard_normal((4, 33)).astype(np.float32)
B = RNG.standard_normal((6, 33)).astype(np.float32)


def test_result_shapes_and_types() -> None:
    assert isinstance(agentdb.distance(A[0], B[0]), float)
    assert agentdb.distance(A[0], B).shape == (6,)
    assert agentdb.distance(A, B[0]).shape == (4,)
    assert agentdb.distance(A, B).shape == (4, 6)
    assert agentdb.cdist(A[0], B).shape == (1, 6)
    assert agentdb.cdist(A, B[0]).shape == (4, 1)
    assert agentdb.cdist(A[0], B[0]).shape == (1, 1)
    for out in (agentdb.distance(A[0], B), agentdb.distance(A, B)):
        assert out.dtype == np.float32 and out.flags.c_contiguous and out.flags.writeable


def test_default_metric_is_cosine_and_metric_conventions() -> None:
    a = np.array([1.0, 0.0], np.float32)
    b = np.array([0.0, 2.0], np.float32)
    assert agentdb.distance(a, b) == 1.0  # orthogonal
    assert agentdb.distance(a, a) == 0.0
    assert agentdb.distance(a, -a) == 2.0
    assert agentdb.distance(a, b, "l2") == 5.0  # squared
    assert agentdb.distance(a, 3 * a, "dot") == -2.0  # 1 - a·b
    assert agentdb.distance(a, np.zeros(2, np.float32)) == 1.0  # zero vector: unrelated, not NaN
    assert agentdb.distance(a, b, metric="L2") == 5.0  # names are case-insensitive
    assert agentdb.distance(a, b, metric="euclidean") == 5.0  # and accept the collections' aliases


def test_empty_sets_of_rows() -> None:
    none = np.empty((0, 33), np.float32)
    assert agentdb.distance(A[0], none).shape == (0,)
    assert agentdb.distance(none, B).shape == (0, 6)
    assert agentdb.distance(A, none).shape == (4, 0)
    assert agentdb.hamming(np.zeros(3, np.uint8), np.empty((0, 3), np.uint8)).shape == (0,)


@pytest.mark.parametrize(
    "form",
    [
        lambda x: x.astype(np.float64),
        lambda x: x.astype(np.float64).tolist(),
        lambda x: np.asfortranarray(x),
        lambda x: np.ascontiguousarray(x[::-1])[::-1],  # negative strides
        lambda x: np.repeat(x, 2, axis=-1)[..., ::2],  # strided view
        lambda x: x.astype(">f4"),  # big-endian
        lambda x: np.broadcast_to(x, x.shape),  # read-only view
    ],
    ids=["float64", "list", "fortran", "reversed", "strided", "big-endian", "read-only"],
)
def test_other_forms_equal_float32(form) -> None:
    want = agentdb.distance(A, B, "l2")
    np.testing.assert_array_equal(agentdb.distance(form(A), form(B), "l2"), want)
    np.testing.assert_array_equal(agentdb.distance(form(A[1]), form(B), "l2"), want[1])
    assert agentdb.distance(form(A[1]), form(B[2]), "l2") == want[1, 2]


def test_float16_uses_the_float16_kernels() -> None:
    a16, b16 = A.astype(np.float16), B.astype(np.float16)
    got = agentdb.distance(a16, b16, "dot")
    # The same values widened to float32 give the same distances up to the accumulation order.
    want = agentdb.distance(a16.astype(np.float32), b16.astype(np.float32), "dot")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # Any byte order and layout of float16 is accepted.
    np.testing.assert_array_equal(agentdb.distance(a16.astype(">f2"), np.asfortranarray(b16), "dot"), got)


def test_int8_is_exact() -> None:
    a = np.full((1, 2049), -128, np.int8)
    b = np.full((2, 2049), 127, np.int8)
    b[1] = -128
    assert agentdb.distance(a[0], b[1], "l2") == 0.0
    assert agentdb.distance(a[0], b[0], "l2") == np.float32(2049 * 255**2)
    assert agentdb.distance(a[0], b[1], "dot") == np.float32(1 - 2049 * 128**2)
    assert agentdb.distance(a[0], b[1], "cosine") == 0.0


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------


def test_dimension_mismatch() -> None:
    with raises_exactly(DimensionMismatchError, match="33 and 32"):
        agentdb.distance(A[0], B[0, :32])
    with raises_exactly(DimensionMismatchError):
        agentdb.distance(A[0, :5], B)
    with raises_exactly(DimensionMismatchError):
        agentdb.distance(A, B[0, :5])
    with raises_exactly(DimensionMismatchError):
        agentdb.distance(A[:, :5], B)
    with raises_exactly(DimensionMismatchError):
        agentdb.cdist(A, B[:, 1:], "dot")
    with raises_exactly(DimensionMismatchError):
        agentdb.distance(np.empty((0, 3), np.float32), np.empty((0, 4), np.float32))
    with raises_exactly(DimensionMismatchError):
        agentdb.hamming(np.zeros(4, np.uint8), np.zeros((2, 5), np.uint8))


@pytest.mark.parametrize(
    "a, b",
    [
        (np.float32(1.0), np.float32(2.0)),  # 0-d
        (A[None], B),  # 3-D
        (A, B[None]),
        (np.empty(0, np.float32), np.empty(0, np.float32)),  # zero-length vectors
        (np.empty((2, 0), np.float32), np.empty((3, 0), np.float32)),
        (A.astype(np.float16), B),  # different element types
        (A.astype(np.int8), B),
        (A.astype(np.int8), B.astype(np.float64)),
        (A.astype(np.complex64), B),  # not real numbers
        (A > 0, B > 0),
        (np.array(["a", "b"]), np.array(["c", "d"])),
        ([[1.0, 2.0], [3.0]], [1.0, 2.0]),  # ragged
        (None, B),
    ],
    ids=[
        "0-d", "3-d a", "3-d b", "empty", "empty-rows", "f16-f32", "i8-f32", "i8-f64", "complex", "bool",
        "str", "ragged", "none",
    ],
)
def test_bad_arrays(a, b) -> None:
    with raises_exactly(InvalidArgumentError):
        agentdb.distance(a, b)


def test_bad_metric_and_backend() -> None:
    with raises_exactly(InvalidArgumentError, match="unknown metric"):
        agentdb.distance(A, B, "manhattan")
    with raises_exactly(InvalidArgumentError, match="unknown kernel backend"):
        agentdb.distance(A, B, backend="sse9")
    with raises_exactly(InvalidArgumentError, match="unknown kernel backend"):
        agentdb.hamming(np.zeros(2, np.uint8), np.zeros(2, np.uint8), backend="gpu")
    unsupported = [b for b in ("scalar", "avx2", "avx512", "avx512vnni", "neon") if b not in BACKENDS]
    assert unsupported  # x86 lacks neon, ARM lacks the x86 ones
    with raises_exactly(InvalidArgumentError, match="not supported by this CPU"):
        agentdb.distance(A, B, backend=unsupported[0])


@pytest.mark.parametrize(
    "a",
    [np.zeros(4, np.int8), np.zeros(4, bool), np.zeros(4, np.float32), [1, 2, 3, 4], np.uint8(3)],
    ids=["int8", "bool", "float32", "list", "0-d"],
)
def test_hamming_bad_input(a) -> None:
    with raises_exactly(InvalidArgumentError):
        agentdb.hamming(a, np.zeros(4, np.uint8))


# ---------------------------------------------------------------------------------------------
# Backends, copies, GIL
# ---------------------------------------------------------------------------------------------


def test_kernel_backends() -> None:
    info = agentdb.kernel_backends()
    assert isinstance(info, agentdb.KernelBackends)
    supported, active = info
    assert supported[0] == "scalar"
    assert active in supported
    for b in supported:  # every listed name is accepted
        agentdb.distance(A[0], B, backend=b)


def test_agentdb_kernels_environment_variable_forces_a_backend() -> None:
    code = "import agentdb; print(agentdb.kernel_backends().active)"
    env = dict(os.environ, AGENTDB_KERNELS="scalar")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "scalar"


def _peak_traced(fn) -> int:
    """Peak bytes allocated through numpy / Python (tracemalloc) while ``fn`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_float32_float16_and_int8_are_read_in_place() -> None:
    """numpy reports its data allocations to tracemalloc: a converted 8 MB operand would show up,
    a borrowed one does not (the result vector is allocated by Rust, outside tracemalloc)."""
    rows = np.ones((16_384, 128), np.float32)  # 8 MB
    q = rows[0].copy()
    for cast in (np.float32, np.float16, np.int8):
        r, x = rows.astype(cast), q.astype(cast)
        assert _peak_traced(lambda: agentdb.distance(x, r, "l2")) < 64_000, cast
        assert _peak_traced(lambda: agentdb.distance(r[:2], r, "l2")) < 64_000, cast
    r64 = rows.astype(np.float64)  # converted: the copy is visible, so the test can see copies
    assert _peak_traced(lambda: agentdb.distance(q, r64, "l2")) > 8_000_000


def test_gil_is_released_during_the_kernel() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1500, 384)).astype(np.float32)
    started, done = threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        agentdb.distance(a, a, "l2")  # ~1e9 multiply-adds: well over 0.1 s single-threaded
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    spins = 0
    while not done.is_set():
        spins += 1
    t.join()
    # With the GIL held by the kernel this thread could not run until it returned.
    assert spins > 1000


# ---------------------------------------------------------------------------------------------
# The RaBitQ kernel (a 1-bit code against a 4-bit query as four bit planes)
# ---------------------------------------------------------------------------------------------


def _planes(qu: np.ndarray, words: int) -> np.ndarray:
    """The four bit planes of 4-bit values ``qu``: plane ``j`` holds bit ``j`` of every value."""
    out = np.zeros(4 * words, dtype=np.uint64)
    for j in range(4):
        bits = np.zeros(words * 64, dtype=np.uint8)
        bits[: len(qu)] = (qu >> j) & 1
        out[j * words : (j + 1) * words] = np.packbits(bits, bitorder="little").view(np.uint64)
    return out


@PROPERTY
@given(dim=DIMS, seed=st.integers(0, 2**32 - 1), backend=st.sampled_from(BACKENDS))
def test_rabitq_kernel_matches_the_coordinate_sum(dim: int, seed: int, backend: str) -> None:
    rng = np.random.default_rng(seed)
    words = -(-dim // 64)
    bits = np.zeros(words * 64, dtype=np.uint8)
    bits[:dim] = rng.integers(0, 2, dim)
    code = np.packbits(bits, bitorder="little").view(np.uint64)
    qu = rng.integers(0, 16, dim).astype(np.uint8)
    want = (int((bits[:dim].astype(np.int64) * qu).sum()), int(bits.sum()))
    assert agentdb._native.rabitq_ip(code, _planes(qu, words), backend) == want


def test_rabitq_kernel_refuses_wrong_plane_counts() -> None:
    code = np.zeros(3, dtype=np.uint64)
    with raises_exactly(InvalidArgumentError, "planes must hold"):
        agentdb._native.rabitq_ip(code, np.zeros(11, dtype=np.uint64))
    with raises_exactly(InvalidArgumentError):
        agentdb._native.rabitq_ip(code, np.zeros(12, dtype=np.uint64), "no-such-backend")
