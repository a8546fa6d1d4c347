"""Distances on numpy arrays with AgentDB's SIMD kernels (the ones its search runs on).

::

    import numpy as np
    import agentdb

    a = np.random.rand(768).astype(np.float32)
    rows = np.random.rand(10_000, 768).astype(np.float32)
    agentdb.distance(a, rows[0], metric="cosine")   # one pair → float
    agentdb.distance(a, rows, metric="l2")          # one query against every row → (10000,)
    agentdb.distance(rows[:8], rows, metric="dot")  # many against many → (8, 10000)
    agentdb.cdist(rows[:8], rows)                   # the same matrix (always 2-D)
    agentdb.hamming(np.packbits(a > 0.5), np.packbits(rows > 0.5, axis=1))

Distances (smaller is closer; the same conventions as collections and LanceDB):

=========  =============================  ==========================================
metric     distance                       notes
=========  =============================  ==========================================
cosine     ``1 - a·b / (|a| |b|)``        in ``[0, 2]``; ``1.0`` if either vector is 0
l2         ``Σ (a_i - b_i)²``             squared Euclidean distance
dot        ``1 - a·b``                    not the plain dot product
=========  =============================  ==========================================

Element types: ``float32`` arrays that are C-contiguous are read in place, without a copy;
``float16`` arrays are passed to the float16 kernels as their bits (``.view(np.uint16)``, no
copy either) and widened to float32 inside the kernel; ``int8`` arrays use the int8 kernels,
which are exact (products summed in integers). Other real dtypes (``float64``, other integers,
Python lists) are converted to ``float32`` once; non-contiguous arrays are copied to contiguous
ones. Both arguments must end up with the same element type: mixing, say, ``float16`` with
``float32`` or ``int8`` with ``float64`` raises :class:`~agentdb.errors.InvalidArgumentError`
(convert one side yourself, so the precision you get is the one you chose). Results are
``float32`` (a Python ``float`` for a single pair).

Backends: the kernels are compiled for several instruction sets and the best one the CPU has is
picked at run time (``AGENTDB_KERNELS=scalar|avx2|avx512|avx512vnni|neon`` in the environment
forces one for the whole process). :func:`kernel_backends` lists them; ``backend=`` picks one for
a single call (for tests and benchmarks). The GIL is released while a kernel runs; calls use one
thread.
"""

from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _native
from .errors import InvalidArgumentError

__all__ = ["distance", "cdist", "hamming", "kernel_backends", "KernelBackends"]

ArrayLike = Any  # anything numpy.asarray accepts: ndarray, list, tuple …
Distances = Union[float, npt.NDArray[np.float32]]
HammingDistances = Union[int, npt.NDArray[np.uint32]]

_ndarray = np.ndarray
_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)
_U16 = np.dtype(np.uint16)
_I8 = np.dtype(np.int8)
_U8 = np.dtype(np.uint8)
_KERNEL_NAMES = {_F32: "float32", _U16: "float16", _I8: "int8"}


def _asarray(x: ArrayLike, name: str) -> np.ndarray:
    try:
        return np.asarray(x)
    except (ValueError, TypeError) as e:  # ragged lists, objects numpy cannot read
        raise InvalidArgumentError(f"{name} is not an array of numbers: {e}") from None


def _operand(x: ArrayLike, name: str) -> np.ndarray:
    """``x`` as an array the kernels read in place: C-contiguous float32, int8, or float16 bits
    (uint16). Arrays already in that form are returned as they are (no copy)."""
    arr = x if type(x) is np.ndarray else _asarray(x, name)
    dt = arr.dtype
    if dt is _F32 or dt is _I8 or dt == _F32 or dt == _I8:
        return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
    if dt.kind == "f" and dt.itemsize == 2:  # float16, in any byte order
        return np.ascontiguousarray(arr, dtype=_F16).view(_U16)
    if dt.kind in "fiu":  # other real numbers: float32
        return np.ascontiguousarray(arr, dtype=_F32)
    raise InvalidArgumentError(
        f"{name} must be an array of real numbers (float32, float16, int8, or convertible to float32), "
        f"got dtype {dt}"
    )


def _operands(a: ArrayLike, b: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
    """Both operands for the kernels, checked to have the same element type."""
    x, y = _operand(a, "a"), _operand(b, "b")
    if x.dtype != y.dtype:
        da, db = np.asarray(a).dtype, np.asarray(b).dtype
        raise InvalidArgumentError(
            f"a and b must have the same element type for the kernels, got {da} ({_KERNEL_NAMES[x.dtype]}) "
            f"and {db} ({_KERNEL_NAMES[y.dtype]}): convert one of them (e.g. .astype(np.float32))"
        )
    return x, y


def distance(a: ArrayLike, b: ArrayLike, metric: str = "cosine", *, backend: Optional[str] = None) -> Distances:
    """Distances between vectors, computed by AgentDB's SIMD kernels.

    Shapes (``d`` is the vector length):

    * ``a`` and ``b`` 1-D, both ``(d,)`` → one ``float`` (the *pair* kernel);
    * ``a`` 1-D ``(d,)`` and ``b`` 2-D ``(n, d)`` → ``(n,)`` float32 array, ``out[i] = d(a, b[i])``
      (the *batch* kernel: one query against every row). ``a`` 2-D and ``b`` 1-D works too, with
      ``b`` as the query (every metric is symmetric);
    * ``a`` 2-D ``(m, d)`` and ``b`` 2-D ``(n, d)`` → ``(m, n)`` float32 array,
      ``out[i, j] = d(a[i], b[j])`` (the *many* kernel, blocked like a matrix product).

    Args:
        a, b: vectors, as numpy arrays (or anything :func:`numpy.asarray` accepts). float32
            (C-contiguous: read in place, no copy), float16 and int8 use their own kernels; other
            real dtypes are converted to float32. Both must have the same element type.
        metric: ``"cosine"`` (``1 - cos``), ``"l2"`` (squared Euclidean) or ``"dot"``
            (``1 - a·b``); see :mod:`agentdb.distance`.
        backend: run on this kernel backend (one of :func:`kernel_backends`'s ``supported``
            names) instead of the best one for this CPU.

    Raises:
        DimensionMismatchError: ``a`` and ``b`` have vectors of different lengths.
        InvalidArgumentError: an unknown metric or backend (or one this CPU cannot run), arrays
            that are not 1-D or 2-D, of zero-length vectors, of different element types, or not
            of real numbers.
    """
    # Fast path (a few attribute reads): two C-contiguous arrays of the same kernel dtype.
    if type(a) is _ndarray and type(b) is _ndarray:
        dt = a.dtype
        if dt is b.dtype and a.flags.c_contiguous and b.flags.c_contiguous:
            if dt is _F32 or dt is _I8:
                return _native.distance(a, b, metric, backend)
            if dt is _F16:
                return _native.distance(a.view(_U16), b.view(_U16), metric, backend)
    x, y = _operands(a, b)
    return _native.distance(x, y, metric, backend)


def cdist(a: ArrayLike, b: ArrayLike, metric: str = "cosine", *, backend: Optional[str] = None) -> npt.NDArray[np.float32]:
    """The ``(m, n)`` matrix of distances between the rows of ``a`` ``(m, d)`` and the rows of
    ``b`` ``(n, d)`` (the *many* kernel), like :func:`scipy.spatial.distance.cdist` with AgentDB's
    metrics. A 1-D argument counts as one row. Otherwise exactly :func:`distance`."""
    x, y = _operands(a, b)
    out: npt.NDArray[np.float32] = _native.distance(
        x.reshape(1, -1) if x.ndim == 1 else x, y.reshape(1, -1) if y.ndim == 1 else y, metric, backend
    )
    return out


def _bits(x: ArrayLike, name: str) -> np.ndarray:
    arr = x if type(x) is np.ndarray else _asarray(x, name)
    dt = arr.dtype
    if dt == _U8:
        return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
    if dt.kind == "u" and arr.ndim >= 1:  # wider words: the same bits, seen as bytes
        return np.ascontiguousarray(arr).view(np.uint8)  # last axis × itemsize
    hint = " (pack booleans with numpy.packbits)" if dt.kind == "b" else ""
    raise InvalidArgumentError(f"{name} must be packed bits in an unsigned integer array (uint8), got dtype {dt}{hint}")


def hamming(a: ArrayLike, b: ArrayLike, *, backend: Optional[str] = None) -> HammingDistances:
    """Hamming distances (number of differing bits) between packed bit vectors.

    ``a`` and ``b`` are uint8 arrays of packed bits (e.g. from :func:`numpy.packbits`; wider
    unsigned integers are read as their bytes), with the shapes of :func:`distance`: 1-D × 1-D →
    ``int``; 1-D × 2-D ``(n, nbytes)`` → ``(n,)`` uint32; 2-D × 2-D → ``(m, n)`` uint32.

    Raises:
        DimensionMismatchError: the bit vectors have different lengths.
        InvalidArgumentError: not unsigned integer arrays, not 1-D or 2-D, zero-length vectors, or
            an unknown / unsupported backend.
    """
    return _native.hamming(_bits(a, "a"), _bits(b, "b"), backend)


class KernelBackends(NamedTuple):
    """The kernel backends this CPU can run, and the one in use."""

    #: backend names this CPU supports, from the most portable (``"scalar"``) to the most specific
    supported: List[str]
    #: the backend used when no ``backend=`` is given (the best supported one, unless the
    #: ``AGENTDB_KERNELS`` environment variable forced another)
    active: str


def kernel_backends() -> KernelBackends:
    """The kernel backends this CPU supports and the active one, e.g.
    ``KernelBackends(supported=['scalar', 'avx2', 'avx512', 'avx512vnni'], active='avx512vnni')``.
    Every name in ``supported`` is valid as ``backend=`` of :func:`distance` and :func:`hamming`."""
    supported, active = _native.kernel_backends()
    return KernelBackends(list(supported), active)
