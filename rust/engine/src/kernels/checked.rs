//! Checked entry points, for the bindings: the shapes come from the caller's arrays and are
//! validated into an [`Error`] instead of a panic; results are returned in fresh vectors.

use super::*;

/// The element types of the float and `i8` kernels: `f32`, `f16` as its bits (`u16`) and `i8`.
/// Sealed: implemented for exactly these three types; used by [`Kernels::try_pair`] and friends.
pub trait Element: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The element type's name, for messages: `"f32"`, `"f16"` or `"i8"`.
    const NAME: &'static str;
    #[doc(hidden)]
    fn pair(k: Kernels, metric: Metric, a: &[Self], b: &[Self]) -> f32;
    #[doc(hidden)]
    fn batch(k: Kernels, metric: Metric, q: &[Self], rows: &[Self], dim: usize, out: &mut [f32]);
    #[doc(hidden)]
    fn many(k: Kernels, metric: Metric, queries: &[Self], rows: &[Self], dim: usize, out: &mut [f32]);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for u16 {}
    impl Sealed for i8 {}
}

macro_rules! element {
    ($T:ty, $name:literal, $pair:ident, $batch:ident, $many:ident) => {
        impl Element for $T {
            const NAME: &'static str = $name;
            #[inline]
            fn pair(k: Kernels, metric: Metric, a: &[$T], b: &[$T]) -> f32 {
                k.$pair(metric, a, b)
            }
            #[inline]
            fn batch(k: Kernels, metric: Metric, q: &[$T], rows: &[$T], dim: usize, out: &mut [f32]) {
                k.$batch(metric, q, rows, dim, out)
            }
            #[inline]
            fn many(k: Kernels, metric: Metric, queries: &[$T], rows: &[$T], dim: usize, out: &mut [f32]) {
                k.$many(metric, queries, rows, dim, out)
            }
        }
    };
}

element!(f32, "f32", pair_f32, batch_f32, many_f32);
element!(u16, "f16", pair_f16, batch_f16, many_f16);
element!(i8, "i8", pair_i8, batch_i8, many_i8);

/// Parses `"cosine"`, `"l2"` or `"dot"` (and the aliases collections accept: `"euclidean"`,
/// `"ip"`, `"inner_product"`; any case). An unknown name is an `InvalidArgument` error. The one
/// parser of metric names: a collection's metric (`types::schema::Metric`) is parsed by it too.
impl std::str::FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Metric> {
        if let Some(m) = Metric::ALL.into_iter().find(|m| m.name() == s) {
            return Ok(m); // the common case, without the allocation of the case-folding parse
        }
        match s.to_ascii_lowercase().as_str() {
            "cosine" => Ok(Metric::Cosine),
            "l2" | "euclidean" => Ok(Metric::L2),
            "dot" | "ip" | "inner_product" => Ok(Metric::Dot),
            _ => Err(Error::invalid_argument(format!("unknown metric {s:?}: expected 'cosine', 'l2' or 'dot'"))),
        }
    }
}

/// `n × dim`-element operands: a query of `qdim` against rows of `dim`, `rows` elements long.
/// Returns the number of rows.
fn check_rows(qdim: usize, rows: usize, dim: usize) -> Result<usize> {
    if qdim != dim {
        return Err(Error::new(
            ErrorKind::DimensionMismatch,
            format!("vectors of different lengths: {qdim} and {dim}"),
        ));
    }
    if dim == 0 {
        return Err(Error::invalid_argument("vectors must have at least one component"));
    }
    if !rows.is_multiple_of(dim) {
        return Err(Error::invalid_argument(format!(
            "{rows} elements are not a whole number of vectors of length {dim}"
        )));
    }
    Ok(rows / dim)
}

/// The number of bytes of a Hamming vector must keep its bit count within `u32`.
fn check_bits(bytes: usize) -> Result<()> {
    if bytes > (u32::MAX / 8) as usize {
        return Err(Error::invalid_argument(format!(
            "bit vectors of {bytes} bytes are too long (at most {} bytes)",
            u32::MAX / 8
        )));
    }
    Ok(())
}

/// `nq × n` results, or an error if that does not fit in memory.
fn output_len(nq: usize, n: usize) -> Result<usize> {
    nq.checked_mul(n)
        .filter(|&len| len <= isize::MAX as usize / 4)
        .ok_or_else(|| Error::invalid_argument(format!("{nq} × {n} distances do not fit in memory")))
}

impl Kernels {
    /// The kernels of the backend called `name` ([`Backend::name`], any case): an
    /// `InvalidArgument` error if no backend has that name or this CPU cannot run it.
    pub fn by_name(name: &str) -> Result<Kernels> {
        let backend = Backend::from_name(name).ok_or_else(|| {
            let names: Vec<_> = Backend::ALL.iter().map(|b| b.name()).collect();
            Error::invalid_argument(format!("unknown kernel backend {name:?}: expected one of {names:?}"))
        })?;
        Kernels::with_backend(backend).ok_or_else(|| {
            let names: Vec<_> = Backend::supported().iter().map(|b| b.name()).collect();
            Error::invalid_argument(format!(
                "kernel backend {name:?} is not supported by this CPU (supported: {names:?})"
            ))
        })
    }

    /// `d(a, b)`: a `DimensionMismatch` error if the lengths differ, `InvalidArgument` if the
    /// vectors are empty.
    pub fn try_pair<T: Element>(self, metric: Metric, a: &[T], b: &[T]) -> Result<f32> {
        check_rows(a.len(), b.len(), b.len())?;
        Ok(T::pair(self, metric, a, b))
    }

    /// Distances from `q` to each row of `rows` (row-major, `dim` wide): `out[i] = d(q, row i)`.
    /// Errors: `DimensionMismatch` if `q.len() != dim`; `InvalidArgument` if `dim == 0` or
    /// `rows` is not a whole number of rows.
    pub fn try_batch<T: Element>(self, metric: Metric, q: &[T], rows: &[T], dim: usize) -> Result<Vec<f32>> {
        let n = check_rows(q.len(), rows.len(), dim)?;
        let mut out = vec![0.0; n];
        T::batch(self, metric, q, rows, dim, &mut out);
        Ok(out)
    }

    /// Distances from each query (`queries` row-major, `qdim` wide) to each row (`dim` wide):
    /// `out[qi * nrows + ri]`. Errors as [`Kernels::try_batch`], with `qdim` for `q.len()`.
    pub fn try_many<T: Element>(
        self,
        metric: Metric,
        queries: &[T],
        qdim: usize,
        rows: &[T],
        dim: usize,
    ) -> Result<Vec<f32>> {
        let n = check_rows(qdim, rows.len(), dim)?;
        let nq = check_rows(qdim, queries.len(), qdim)?;
        let mut out = vec![0.0; output_len(nq, n)?];
        T::many(self, metric, queries, rows, dim, &mut out);
        Ok(out)
    }

    /// Hamming distance of two packed bit vectors (bytes), checked like [`Kernels::try_pair`].
    pub fn try_hamming(self, a: &[u8], b: &[u8]) -> Result<u32> {
        check_rows(a.len(), b.len(), b.len())?;
        check_bits(b.len())?;
        Ok(self.hamming_u8(a, b))
    }

    /// Hamming distances from `q` to each row (`dim` bytes), checked like [`Kernels::try_batch`].
    pub fn try_hamming_batch(self, q: &[u8], rows: &[u8], dim: usize) -> Result<Vec<u32>> {
        let n = check_rows(q.len(), rows.len(), dim)?;
        check_bits(dim)?;
        let mut out = vec![0; n];
        self.hamming_u8_batch(q, rows, dim, &mut out);
        Ok(out)
    }

    /// Hamming distances from each query to each row, checked like [`Kernels::try_many`].
    pub fn try_hamming_many(self, queries: &[u8], qdim: usize, rows: &[u8], dim: usize) -> Result<Vec<u32>> {
        let n = check_rows(qdim, rows.len(), dim)?;
        let nq = check_rows(qdim, queries.len(), qdim)?;
        check_bits(dim)?;
        let mut out = vec![0; output_len(nq, n)?];
        self.hamming_u8_many(queries, rows, dim, &mut out);
        Ok(out)
    }
}
