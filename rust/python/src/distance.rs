//! `agentdb._native.distance` / `hamming` / `kernel_backends`: the engine's SIMD kernels
//! ([`agentdb_engine::kernels`]) on numpy arrays, the binding side of `agentdb/distance.py`.
//!
//! The Python layer normalises dtypes and memory layout; this module only borrows the arrays
//! (C-contiguous, read in place: no copy), picks the pair / batch / many kernel from the number
//! of dimensions, releases the GIL for the kernel call, and moves the engine's result vector
//! into a numpy array (no copy either). Shapes are validated by the engine's checked entry
//! points (`Kernels::try_*`), whose errors become `agentdb.errors` exceptions.

use agentdb_engine::kernels::{Backend, Element, Kernels, Metric};
use agentdb_engine::{ErrorKind, Result};
use numpy::ndarray::Array2;
use numpy::prelude::*;
use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArray};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use crate::args::Text;
use crate::errors::{new_err, OrRaise};

/// The kernels of `backend` (a name), or the default ones (best for this CPU, or
/// `AGENTDB_KERNELS`).
fn kernels(backend: Option<&str>) -> PyResult<Kernels> {
    match backend {
        None => Ok(Kernels::get()),
        Some(name) => Kernels::by_name(name).or_raise(),
    }
}

/// The elements of a C-contiguous array, borrowed. (`as_slice` alone also accepts Fortran
/// order, whose memory is column-major.)
fn c_slice<'a, T: numpy::Element>(a: &'a PyReadonlyArrayDyn<'_, T>, name: &str) -> PyResult<&'a [T]> {
    if !a.is_c_contiguous() {
        return Err(new_err(ErrorKind::InvalidArgument, format!("{name} must be C-contiguous")));
    }
    Ok(a.as_slice()?)
}

/// Calls `pair`, `batch` or `many` according to the shapes of `a` and `b`, with the GIL
/// released, and converts the result: a scalar for 1-D × 1-D, an `(n,)` array when one side is
/// 2-D `(n, d)` (the 1-D side is the query), an `(m, n)` array for 2-D × 2-D.
fn by_shape<'py, T, S, R>(
    py: Python<'py>,
    a: &PyReadonlyArrayDyn<'py, T>,
    b: &PyReadonlyArrayDyn<'py, T>,
    pair: impl FnOnce(&[T], &[T]) -> Result<S> + Send,
    batch: impl FnOnce(&[T], &[T], usize) -> Result<Vec<R>> + Send,
    many: impl FnOnce(&[T], usize, &[T], usize) -> Result<Vec<R>> + Send,
) -> PyResult<Bound<'py, PyAny>>
where
    T: numpy::Element + Sync,
    S: IntoPyObject<'py> + Send,
    R: numpy::Element + Send,
{
    let (sa, sb) = (c_slice(a, "a")?, c_slice(b, "b")?);
    match (a.shape(), b.shape()) {
        ([_], [_]) => py.detach(|| pair(sa, sb)).or_raise()?.into_bound_py_any(py),
        ([_], &[_, dim]) => Ok(py.detach(|| batch(sa, sb, dim)).or_raise()?.into_pyarray(py).into_any()),
        (&[_, dim], [_]) => Ok(py.detach(|| batch(sb, sa, dim)).or_raise()?.into_pyarray(py).into_any()),
        (&[m, qdim], &[n, dim]) => {
            let out = py.detach(|| many(sa, qdim, sb, dim)).or_raise()?;
            let out = Array2::from_shape_vec((m, n), out)
                .map_err(|e| new_err(ErrorKind::Internal, format!("distance matrix shape: {e}")))?;
            Ok(out.into_pyarray(py).into_any())
        }
        (sa, sb) => Err(new_err(
            ErrorKind::InvalidArgument,
            format!("a and b must be 1-D or 2-D arrays, got shapes {sa:?} and {sb:?}"),
        )),
    }
}

/// `distance` for one element type, if both arrays are of it.
fn typed<'py, T: Element + numpy::Element>(
    py: Python<'py>,
    k: Kernels,
    metric: Metric,
    a: &Bound<'py, PyUntypedArray>,
    b: &Bound<'py, PyUntypedArray>,
) -> Option<PyResult<Bound<'py, PyAny>>> {
    let (a, b) = (a.cast::<PyArrayDyn<T>>().ok()?, b.cast::<PyArrayDyn<T>>().ok()?);
    Some((|| {
        let (a, b) = (a.try_readonly()?, b.try_readonly()?);
        by_shape(
            py,
            &a,
            &b,
            |a, b| k.try_pair(metric, a, b),
            |q, rows, dim| k.try_batch(metric, q, rows, dim),
            |qs, qdim, rows, dim| k.try_many(metric, qs, qdim, rows, dim),
        )
    })())
}

fn dtype_name(a: &Bound<'_, PyUntypedArray>) -> String {
    a.dtype().to_string()
}

/// Distances between `a` and `b`, both float32, uint16 (float16 bits) or int8 arrays, 1-D or
/// 2-D, C-contiguous (see `agentdb.distance`).
#[pyfunction]
#[pyo3(signature = (a, b, metric, backend = None))]
pub fn distance<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyUntypedArray>,
    b: &Bound<'py, PyUntypedArray>,
    metric: Text,
    backend: Option<Text>,
) -> PyResult<Bound<'py, PyAny>> {
    let metric: Metric = metric.parse().or_raise()?;
    let k = kernels(backend.as_deref())?;
    // One cast attempt, chosen by the dtype of `a` (failed casts are not free).
    let dtype = a.dtype();
    let result = match (dtype.kind(), dtype.itemsize()) {
        (b'f', 4) => typed::<f32>(py, k, metric, a, b),
        (b'u', 2) => typed::<u16>(py, k, metric, a, b),
        (b'i', 1) => typed::<i8>(py, k, metric, a, b),
        _ => None,
    };
    result.unwrap_or_else(|| {
        Err(new_err(
            ErrorKind::InvalidArgument,
            format!(
                "a and b must both be float32, float16 (as uint16 bits) or int8 arrays, got {} and {}",
                dtype_name(a),
                dtype_name(b)
            ),
        ))
    })
}

/// Hamming distances between packed bit vectors: `a` and `b` uint8 arrays, 1-D or 2-D,
/// C-contiguous (see `agentdb.hamming`).
#[pyfunction]
#[pyo3(signature = (a, b, backend = None))]
pub fn hamming<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyUntypedArray>,
    b: &Bound<'py, PyUntypedArray>,
    backend: Option<Text>,
) -> PyResult<Bound<'py, PyAny>> {
    let k = kernels(backend.as_deref())?;
    let (Ok(ta), Ok(tb)) = (a.cast::<PyArrayDyn<u8>>(), b.cast::<PyArrayDyn<u8>>()) else {
        return Err(new_err(
            ErrorKind::InvalidArgument,
            format!("a and b must both be uint8 arrays (packed bits), got {} and {}", dtype_name(a), dtype_name(b)),
        ));
    };
    let (ra, rb) = (ta.try_readonly()?, tb.try_readonly()?);
    by_shape(
        py,
        &ra,
        &rb,
        |a, b| k.try_hamming(a, b),
        |q, rows, dim| k.try_hamming_batch(q, rows, dim),
        |qs, qdim, rows, dim| k.try_hamming_many(qs, qdim, rows, dim),
    )
}

/// `(supported backend names, the active backend's name)`: the backends this CPU can run, in
/// the engine's order, and the one used when no backend is named.
#[pyfunction]
pub fn kernel_backends() -> (Vec<&'static str>, &'static str) {
    (
        Backend::supported().into_iter().map(Backend::name).collect(),
        Kernels::get().backend().name(),
    )
}

/// `(Σ b_i qu_i, set bits of code)`: the RaBitQ kernel on a 1-bit `code` (uint64 words) and the
/// four bit planes of a 4-bit query (`4 × len(code)` uint64 words), on `backend` (the test hook
/// that checks each backend against a Python reference).
#[pyfunction]
#[pyo3(signature = (code, planes, backend=None))]
pub fn rabitq_ip(
    code: PyReadonlyArrayDyn<'_, u64>,
    planes: PyReadonlyArrayDyn<'_, u64>,
    backend: Option<&str>,
) -> PyResult<(u32, u32)> {
    let k = kernels(backend)?;
    let (code, planes) = (c_slice(&code, "code")?, c_slice(&planes, "planes")?);
    if planes.len() != 4 * code.len() {
        return Err(new_err(
            ErrorKind::InvalidArgument,
            format!("planes must hold 4 × {} words (one plane per query bit), got {}", code.len(), planes.len()),
        ));
    }
    Ok(k.rabitq_ip(code, planes))
}
