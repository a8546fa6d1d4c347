//! Hand-written SIMD distance kernels: dot, squared L2 and cosine for `f32`, `f16` and `i8`
//! vectors, Hamming distance for packed bits, and the RaBitQ kernels (a 1-bit code against a
//! 4-bit query, see `bits.rs`; a 2-, 4- or 8-bit code against an 8-bit query, see `exbits.rs`).
//!
//! # Shapes
//! Every metric comes in three shapes:
//! - **pair**: one vector against one vector (`l2_f32(a, b)`);
//! - **batch**: one query against `n` rows stored row-major and contiguous
//!   (`l2_f32_batch(q, rows, dim, out)`, `rows.len() == n * dim`, `out.len() == n`);
//! - **many**: `nq` queries against `n` rows, blocked like a small matrix product so that each
//!   loaded row serves several queries and a block of rows stays in cache
//!   (`l2_f32_many(queries, rows, dim, out)`, `out.len() == nq * n`, `out[qi * n + ri]`).
//!
//! # Distances
//! - [`Metric::Dot`]: `1 - a·b` (LanceDB's convention, which the engine follows).
//! - [`Metric::L2`]: squared Euclidean distance `Σ (a_i - b_i)²`.
//! - [`Metric::Cosine`]: `1 - a·b / (|a| |b|)`, clamped to `[0, 2]` (rounding never makes it
//!   negative). **Zero vectors:** if either vector has norm zero the cosine distance is `1.0`
//!   (the similarity is taken as 0, i.e. "unrelated"), never NaN. NaN inputs still give NaN.
//! - Hamming: the number of differing bits, `popcount(a XOR b)`, as a `u32`.
//!
//! All float distances are returned as `f32`. `f16` vectors are IEEE 754 binary16 values passed
//! as their bit patterns (`&[u16]`, no dependency on the `half` crate; see [`f16_to_f32`] and
//! [`f32_to_f16`]); they are widened to `f32` and accumulated in `f32`. `i8` products are
//! accumulated exactly in `i32` lanes (flushed to `i64` often enough that no dimension can
//! overflow), so `i8` results are exact and identical on every backend (up to the final
//! rounding to `f32` of an integer above 2²⁴).
//!
//! `f32` results of different backends differ only by the order of the accumulation: the
//! tests bound that difference by `1e-5 · Σ|a_i b_i|` (dot, cosine) or `1e-5 · l2` (L2).
//!
//! # Dispatch
//! [`Kernels::get`] picks the best backend the CPU actually has (runtime detection, done once and
//! cached): AVX-512 with VNNI/VPOPCNTDQ, AVX-512 (F/BW/VL/DQ), AVX2+FMA+F16C, NEON, or the
//! portable scalar code, which is the reference. The environment variable `AGENTDB_KERNELS`
//! (`scalar`, `avx2`, `avx512`, `avx512vnni`, `neon`), read once, forces a backend for
//! benchmarking or debugging; an unknown or unsupported value is ignored. Tests and benchmarks
//! force a backend explicitly with [`Kernels::with_backend`], which returns `None` when the CPU
//! lacks it. The free functions (`l2_f32`, …) use [`Kernels::get`].
//!
//! # Panics
//! Pair kernels panic if the two slices differ in length; batch and many kernels panic if
//! `dim == 0`, if the query, rows or output lengths do not match `dim`, or if the rows (queries)
//! are not a whole number of vectors. No kernel ever reads or writes out of bounds.
//! The bindings call the checked forms instead ([`Kernels::try_pair`], [`Kernels::try_batch`],
//! [`Kernels::try_many`] over any [`Element`] type, [`Kernels::try_hamming`] …, and
//! [`Kernels::by_name`]), which return an [`Error`] (`DimensionMismatch`, `InvalidArgument`)
//! for a bad shape or backend name.
//!
//! [`mapped`] holds rows the kernels scan in a memory-mapped file instead of anonymous memory
//! (the `f32` rows behind an int8 index), since mapping a file is `unsafe` too.
//!
//! `unsafe` code in the engine lives only in this module; every unsafe block says why it is
//! sound in a `// SAFETY:` comment.

#![deny(unsafe_op_in_unsafe_fn)]

use std::sync::OnceLock;

use crate::error::{Error, ErrorKind, Result};

mod bits;
mod exbits;
mod checked;
pub(crate) mod mapped;
#[cfg(target_arch = "aarch64")]
mod neon;
mod scalar;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod simd;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use checked::Element;

/// A distance metric of the float and `i8` kernels (Hamming has its own functions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// `1 - a·b`.
    Dot = 0,
    /// Squared Euclidean distance.
    L2 = 1,
    /// `1 - a·b / (|a| |b|)`; `1.0` when either vector is zero.
    Cosine = 2,
}

impl Metric {
    /// Every metric, in table order.
    pub const ALL: [Metric; 3] = [Metric::Dot, Metric::L2, Metric::Cosine];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Dot => "dot",
            Metric::L2 => "l2",
            Metric::Cosine => "cosine",
        }
    }
}

// The metric as a const generic parameter of the SIMD drivers (same order as `Metric`).
pub(crate) const DOT: u8 = Metric::Dot as u8;
pub(crate) const L2: u8 = Metric::L2 as u8;
pub(crate) const COS: u8 = Metric::Cosine as u8;

/// An implementation of the kernels for one instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Portable Rust, the reference; available everywhere.
    Scalar,
    /// x86-64 AVX2 + FMA + F16C (Haswell / Zen 1 and later).
    Avx2,
    /// x86-64 AVX-512 F/BW/VL/DQ (Skylake-X and later).
    Avx512,
    /// [`Backend::Avx512`] plus VNNI (`i8` dot products) and VPOPCNTDQ (Hamming):
    /// Ice Lake / Zen 4 and later.
    Avx512Vnni,
    /// AArch64 NEON (every 64-bit ARM CPU).
    Neon,
}

impl Backend {
    /// Every backend, from the most portable to the most specific.
    pub const ALL: [Backend; 5] = [
        Backend::Scalar,
        Backend::Avx2,
        Backend::Avx512,
        Backend::Avx512Vnni,
        Backend::Neon,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
            Backend::Avx512Vnni => "avx512vnni",
            Backend::Neon => "neon",
        }
    }

    /// The backend called `name` (as returned by [`Backend::name`]), if any.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this CPU (and OS) can run the backend.
    pub fn is_supported(self) -> bool {
        table_for(self).is_some()
    }

    /// The backends this CPU supports, in [`Backend::ALL`] order (always includes `Scalar`).
    pub fn supported() -> Vec<Backend> {
        Backend::ALL.into_iter().filter(|b| b.is_supported()).collect()
    }

    /// The fastest backend this CPU supports (ignores `AGENTDB_KERNELS`).
    pub fn best() -> Backend {
        best_table().backend
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------------------------
// Dispatch tables.
//
// Safety contract of every function pointer in a `Table`: it may be called only (1) on a CPU that
// has the table's backend (a `&'static Table` is handed out only by `table_for`, after runtime
// detection), and (2) with slices whose lengths satisfy the shape's relations, which the public
// wrappers check: pair `a.len() == b.len()`; batch `q.len() == dim > 0`,
// `rows.len() == out.len() * dim`; many `queries.len() % dim == 0`,
// `out.len() == (queries.len() / dim) * (rows.len() / dim)`, `rows.len() % dim == 0`.

pub(crate) type PairFn<T> = unsafe fn(&[T], &[T]) -> f32;
pub(crate) type RowsFn<T> = unsafe fn(&[T], &[T], usize, &mut [f32]);

/// The kernels of one element type, indexed by `Metric as usize`.
pub(crate) struct Fns<T: 'static> {
    pub(crate) pair: [PairFn<T>; 3],
    pub(crate) batch: [RowsFn<T>; 3],
    pub(crate) many: [RowsFn<T>; 3],
}

/// Hamming kernels on bytes (`u64` words are passed as their bytes).
pub(crate) struct HammingFns {
    pub(crate) pair: unsafe fn(&[u8], &[u8]) -> u64,
    pub(crate) batch: unsafe fn(&[u8], &[u8], usize, &mut [u32]),
    pub(crate) many: unsafe fn(&[u8], &[u8], usize, &mut [u32]),
}

pub(crate) struct Table {
    pub(crate) backend: Backend,
    pub(crate) f32: Fns<f32>,
    pub(crate) f16: Fns<u16>,
    pub(crate) i8: Fns<i8>,
    pub(crate) hamming: HammingFns,
    pub(crate) bits: bits::BitsFns,
    pub(crate) ex: exbits::ExBitsFns,
}

/// The table of `backend` if this CPU supports it.
fn table_for(backend: Backend) -> Option<&'static Table> {
    match backend {
        Backend::Scalar => Some(&scalar::TABLE),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => x86::has_avx2().then_some(&x86::AVX2),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => x86::has_avx512().then_some(&x86::AVX512),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512Vnni => x86::has_avx512_vnni().then_some(&x86::AVX512_VNNI),
        #[cfg(target_arch = "aarch64")]
        Backend::Neon => neon::has_neon().then_some(&neon::NEON),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

fn best_table() -> &'static Table {
    static BEST: OnceLock<&'static Table> = OnceLock::new();
    BEST.get_or_init(|| {
        [Backend::Avx512Vnni, Backend::Avx512, Backend::Avx2, Backend::Neon]
            .into_iter()
            .find_map(table_for)
            .unwrap_or(&scalar::TABLE)
    })
}

/// A handle on one backend's kernels. Cheap to copy; obtain it once and reuse it.
#[derive(Clone, Copy)]
pub struct Kernels {
    t: &'static Table,
}

impl std::fmt::Debug for Kernels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernels").field("backend", &self.t.backend).finish()
    }
}

impl Default for Kernels {
    fn default() -> Self {
        Kernels::get()
    }
}

// Shape checks shared by every public entry point (see the dispatch tables' safety contract).
#[inline]
fn check_pair(a: usize, b: usize) {
    assert!(a == b, "kernels: vectors of different lengths ({a} and {b})");
}

#[inline]
fn check_batch(q: usize, rows: usize, dim: usize, out: usize) {
    assert!(dim > 0, "kernels: dim must be > 0");
    assert!(q == dim, "kernels: query length {q} is not dim {dim}");
    assert!(
        rows.is_multiple_of(dim),
        "kernels: rows length {rows} is not a multiple of dim {dim}"
    );
    assert!(
        out == rows / dim,
        "kernels: out length {out} is not the number of rows {}",
        rows / dim
    );
}

#[inline]
fn check_many(queries: usize, rows: usize, dim: usize, out: usize) {
    assert!(dim > 0, "kernels: dim must be > 0");
    assert!(
        queries.is_multiple_of(dim),
        "kernels: queries length {queries} is not a multiple of dim {dim}"
    );
    assert!(
        rows.is_multiple_of(dim),
        "kernels: rows length {rows} is not a multiple of dim {dim}"
    );
    let want = (queries / dim)
        .checked_mul(rows / dim)
        .expect("kernels: output size overflows");
    assert!(out == want, "kernels: out length {out} is not queries × rows = {want}");
}

fn u64_bytes(words: &[u64]) -> &[u8] {
    // SAFETY: `u8` has alignment 1 and no invalid bit patterns; the byte slice covers exactly the
    // memory of `words` (len * 8 bytes, which cannot overflow isize for an existing slice) and
    // borrows it for the same lifetime.
    unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), std::mem::size_of_val(words)) }
}

fn hamming_to_u32(bits: u64) -> u32 {
    u32::try_from(bits).expect("kernels: Hamming distance exceeds u32")
}

macro_rules! typed_methods {
    ($T:ty, $field:ident, $pair:ident, $batch:ident, $many:ident, $tname:literal) => {
        #[doc = concat!("Distance between two ", $tname, " vectors of equal length.")]
        #[inline]
        pub fn $pair(self, metric: Metric, a: &[$T], b: &[$T]) -> f32 {
            check_pair(a.len(), b.len());
            // SAFETY: the table's backend was detected on this CPU (see `table_for`) and the
            // shape was checked above.
            unsafe { (self.t.$field.pair[metric as usize])(a, b) }
        }

        #[doc = concat!("Distances from one ", $tname, " query (`dim` long) to every row of `rows` \
            (row-major, `out.len()` rows): `out[i] = d(q, row i)`.")]
        #[inline]
        pub fn $batch(self, metric: Metric, q: &[$T], rows: &[$T], dim: usize, out: &mut [f32]) {
            check_batch(q.len(), rows.len(), dim, out.len());
            // SAFETY: detected backend; shape checked above.
            unsafe { (self.t.$field.batch[metric as usize])(q, rows, dim, out) }
        }

        #[doc = concat!("Distances from every ", $tname, " query to every row (both row-major, \
            `dim` wide): `out[qi * nrows + ri] = d(query qi, row ri)`.")]
        #[inline]
        pub fn $many(self, metric: Metric, queries: &[$T], rows: &[$T], dim: usize, out: &mut [f32]) {
            check_many(queries.len(), rows.len(), dim, out.len());
            // SAFETY: detected backend; shape checked above.
            unsafe { (self.t.$field.many[metric as usize])(queries, rows, dim, out) }
        }
    };
}

impl Kernels {
    /// The best backend for this CPU (or the one forced by `AGENTDB_KERNELS`), detected once.
    #[inline]
    pub fn get() -> Kernels {
        static CHOSEN: OnceLock<&'static Table> = OnceLock::new();
        let t = CHOSEN.get_or_init(|| {
            std::env::var("AGENTDB_KERNELS")
                .ok()
                .and_then(|name| Backend::from_name(&name))
                .and_then(table_for)
                .unwrap_or_else(best_table)
        });
        Kernels { t }
    }

    /// The kernels of `backend`, or `None` if this CPU cannot run it.
    pub fn with_backend(backend: Backend) -> Option<Kernels> {
        table_for(backend).map(|t| Kernels { t })
    }

    /// The backend these kernels run on.
    pub fn backend(self) -> Backend {
        self.t.backend
    }

    typed_methods!(f32, f32, pair_f32, batch_f32, many_f32, "`f32`");
    typed_methods!(u16, f16, pair_f16, batch_f16, many_f16, "`f16` (IEEE binary16 bits)");
    typed_methods!(i8, i8, pair_i8, batch_i8, many_i8, "`i8`");

    /// Hamming distance between two packed bit vectors of equal length (in bytes).
    #[inline]
    pub fn hamming_u8(self, a: &[u8], b: &[u8]) -> u32 {
        check_pair(a.len(), b.len());
        // SAFETY: detected backend; shape checked above.
        hamming_to_u32(unsafe { (self.t.hamming.pair)(a, b) })
    }

    /// Hamming distances from one query of `dim` bytes to every row of `rows`.
    #[inline]
    pub fn hamming_u8_batch(self, q: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
        check_batch(q.len(), rows.len(), dim, out.len());
        // SAFETY: detected backend; shape checked above.
        unsafe { (self.t.hamming.batch)(q, rows, dim, out) }
    }

    /// Hamming distances from every query to every row (`dim` bytes each),
    /// `out[qi * nrows + ri]`.
    #[inline]
    pub fn hamming_u8_many(self, queries: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
        check_many(queries.len(), rows.len(), dim, out.len());
        // SAFETY: detected backend; shape checked above.
        unsafe { (self.t.hamming.many)(queries, rows, dim, out) }
    }

    /// Hamming distance between two packed bit vectors of equal length (in `u64` words).
    #[inline]
    pub fn hamming_u64(self, a: &[u64], b: &[u64]) -> u32 {
        self.hamming_u8(u64_bytes(a), u64_bytes(b))
    }

    /// Like [`Kernels::hamming_u8_batch`], with `dim` counted in `u64` words.
    #[inline]
    pub fn hamming_u64_batch(self, q: &[u64], rows: &[u64], dim: usize, out: &mut [u32]) {
        assert!(dim > 0, "kernels: dim must be > 0");
        self.hamming_u8_batch(u64_bytes(q), u64_bytes(rows), dim * 8, out)
    }

    /// Like [`Kernels::hamming_u8_many`], with `dim` counted in `u64` words.
    #[inline]
    pub fn hamming_u64_many(self, queries: &[u64], rows: &[u64], dim: usize, out: &mut [u32]) {
        assert!(dim > 0, "kernels: dim must be > 0");
        self.hamming_u8_many(u64_bytes(queries), u64_bytes(rows), dim * 8, out)
    }
}

impl Kernels {
    /// RaBitQ inner product of a 1-bit `code` against a 4-bit query given as four bit planes
    /// (`planes.len() == 4 * code.len()`, plane `j` holding bit `j` of every query value):
    /// `(Σ_i b_i qu_i, number of set bits of code)`; the layout is described in `kernels/bits.rs`.
    ///
    /// # Panics
    /// If `planes.len() != 4 * code.len()`.
    #[inline]
    pub fn rabitq_ip(self, code: &[u64], planes: &[u64]) -> (u32, u32) {
        assert!(planes.len() == 4 * code.len(), "kernels: {} planes words for a code of {} words", planes.len(), code.len());
        // SAFETY: detected backend; shape checked above.
        let p = unsafe { (self.t.bits.pair)(code, planes) };
        (p as u32, (p >> 32) as u32)
    }

    /// [`Kernels::rabitq_ip`] for the codes of the records named by `ids`: record `id` is
    /// `records[id * stride ..][.. stride]` with its code in the first `planes.len() / 4` words.
    /// `out[i] = S | ones << 32` for `ids[i]`.
    ///
    /// # Panics
    /// If `planes` is empty or not a multiple of 4 words, `stride` is smaller than the code, an
    /// id's record is past the end of `records`, or `out` and `ids` differ in length.
    #[inline]
    pub fn rabitq_ip_gather(self, planes: &[u64], records: &[u64], stride: usize, ids: &[u32], out: &mut [u64]) {
        let words = planes.len() / 4;
        assert!(words > 0 && planes.len() == 4 * words, "kernels: {} planes words is not 4 planes", planes.len());
        assert!(stride >= words, "kernels: stride {stride} is shorter than the code ({words} words)");
        assert!(out.len() == ids.len(), "kernels: out length {} is not the number of ids {}", out.len(), ids.len());
        let max = ids.iter().copied().max().unwrap_or(0) as usize;
        assert!(ids.is_empty() || max * stride + words <= records.len(), "kernels: record {max} is past the end");
        // SAFETY: detected backend; shape and bounds checked above.
        unsafe { (self.t.bits.gather)(planes, records, stride, ids, out) }
    }

    /// Multi-bit RaBitQ inner product `Σ_i c_i q_i` of a `bits`-bit code (`bits` ∈ {2, 4, 8})
    /// against an `i8` query, both in the block layout of `kernels/exbits.rs`: the query is
    /// `blocks · 256 / bits` values, the code `4 · blocks` words.
    ///
    /// # Panics
    /// As [`Kernels::rabitq_ex_gather`], or if `code` is not `4 · blocks` words.
    #[inline]
    pub fn rabitq_ex_ip(self, bits: u32, code: &[u64], query: &[i8]) -> i32 {
        if exbits::slot(bits).is_some() {
            let w = exbits::block_dims(bits);
            assert!(code.len() * w == 4 * query.len(), "kernels: a code of {} words for a query of {} values", code.len(), query.len());
        }
        let mut out = [0i32];
        self.rabitq_ex_gather(bits, query, code, code.len(), &[0], &mut out);
        out[0]
    }

    /// [`Kernels::rabitq_ex_ip`] for the codes of the records named by `ids`: record `id` is
    /// `records[id * stride ..][.. stride]` with its code in the first `4 · blocks` words.
    ///
    /// # Panics
    /// If `bits` is not 2, 4 or 8; `query` is empty, longer than 65,536 or not a whole number of
    /// blocks (`256 / bits` values); `stride` is shorter than the code; an id's record is past
    /// the end of `records`; or `out` and `ids` differ in length.
    #[inline]
    pub fn rabitq_ex_gather(self, bits: u32, query: &[i8], records: &[u64], stride: usize, ids: &[u32], out: &mut [i32]) {
        let slot = exbits::slot(bits).unwrap_or_else(|| panic!("kernels: {bits}-bit RaBitQ codes are not supported (2, 4 or 8)"));
        let w = exbits::block_dims(bits);
        assert!(!query.is_empty() && query.len() % w == 0, "kernels: a query of {} values is not whole blocks of {w}", query.len());
        assert!(query.len() <= 65_536, "kernels: a query of {} values is longer than 65536", query.len());
        let words = 4 * query.len() / w;
        assert!(stride >= words, "kernels: stride {stride} is shorter than the code ({words} words)");
        assert!(out.len() == ids.len(), "kernels: out length {} is not the number of ids {}", out.len(), ids.len());
        let max = ids.iter().copied().max().unwrap_or(0) as usize;
        assert!(ids.is_empty() || max * stride + words <= records.len(), "kernels: record {max} is past the end");
        // SAFETY: detected backend; shape and bounds checked above.
        unsafe { (self.t.ex.gather[slot])(query, records, stride, ids, out) }
    }
}

// ---------------------------------------------------------------------------------------------
// Free functions on the default backend.

macro_rules! free_fns {
    ($T:ty, $method_pair:ident, $method_batch:ident, $method_many:ident,
     $( $metric:ident => $pair:ident, $batch:ident, $many:ident; )*) => {
        $(
            #[doc = concat!("[`Metric::", stringify!($metric), "`] distance of one pair \
                (see the [module docs](self)).")]
            #[inline]
            pub fn $pair(a: &[$T], b: &[$T]) -> f32 {
                Kernels::get().$method_pair(Metric::$metric, a, b)
            }

            #[doc = concat!("[`Metric::", stringify!($metric), "`] distances from `q` to each \
                row-major row: `out[i] = d(q, rows[i*dim..(i+1)*dim])`.")]
            #[inline]
            pub fn $batch(q: &[$T], rows: &[$T], dim: usize, out: &mut [f32]) {
                Kernels::get().$method_batch(Metric::$metric, q, rows, dim, out)
            }

            #[doc = concat!("[`Metric::", stringify!($metric), "`] distances from every query \
                to every row: `out[qi * nrows + ri]`.")]
            #[inline]
            pub fn $many(queries: &[$T], rows: &[$T], dim: usize, out: &mut [f32]) {
                Kernels::get().$method_many(Metric::$metric, queries, rows, dim, out)
            }
        )*
    };
}

free_fns!(f32, pair_f32, batch_f32, many_f32,
    Dot => dot_f32, dot_f32_batch, dot_f32_many;
    L2 => l2_f32, l2_f32_batch, l2_f32_many;
    Cosine => cosine_f32, cosine_f32_batch, cosine_f32_many;
);
free_fns!(u16, pair_f16, batch_f16, many_f16,
    Dot => dot_f16, dot_f16_batch, dot_f16_many;
    L2 => l2_f16, l2_f16_batch, l2_f16_many;
    Cosine => cosine_f16, cosine_f16_batch, cosine_f16_many;
);
free_fns!(i8, pair_i8, batch_i8, many_i8,
    Dot => dot_i8, dot_i8_batch, dot_i8_many;
    L2 => l2_i8, l2_i8_batch, l2_i8_many;
    Cosine => cosine_i8, cosine_i8_batch, cosine_i8_many;
);

/// Number of differing bits between two packed bit vectors (bytes).
#[inline]
pub fn hamming_u8(a: &[u8], b: &[u8]) -> u32 {
    Kernels::get().hamming_u8(a, b)
}

/// Hamming distances from `q` (`dim` bytes) to each row.
#[inline]
pub fn hamming_u8_batch(q: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
    Kernels::get().hamming_u8_batch(q, rows, dim, out)
}

/// Hamming distances from every query to every row (`dim` bytes), `out[qi * nrows + ri]`.
#[inline]
pub fn hamming_u8_many(queries: &[u8], rows: &[u8], dim: usize, out: &mut [u32]) {
    Kernels::get().hamming_u8_many(queries, rows, dim, out)
}

/// Number of differing bits between two packed bit vectors (`u64` words).
#[inline]
pub fn hamming_u64(a: &[u64], b: &[u64]) -> u32 {
    Kernels::get().hamming_u64(a, b)
}

/// Hamming distances from `q` (`dim` words) to each row.
#[inline]
pub fn hamming_u64_batch(q: &[u64], rows: &[u64], dim: usize, out: &mut [u32]) {
    Kernels::get().hamming_u64_batch(q, rows, dim, out)
}

/// Hamming distances from every query to every row (`dim` words), `out[qi * nrows + ri]`.
#[inline]
pub fn hamming_u64_many(queries: &[u64], rows: &[u64], dim: usize, out: &mut [u32]) {
    Kernels::get().hamming_u64_many(queries, rows, dim, out)
}


// ---------------------------------------------------------------------------------------------
// Shared scalar pieces: sums, the final distance formulas and f16 conversion.

/// A horizontal sum produced by a kernel: `f32` for float kernels, exact `i64` for `i8`.
pub(crate) trait Sum: Copy {
    const ZERO: Self;
    fn plus(self, other: Self) -> Self;
    fn to_f64(self) -> f64;
}

impl Sum for f32 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn plus(self, other: Self) -> Self {
        self + other
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Sum for i64 {
    const ZERO: Self = 0;
    #[inline(always)]
    fn plus(self, other: Self) -> Self {
        self + other
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

/// The cosine distance from `a·b`, `|a|²` and `|b|²`: `1.0` if either norm is zero, otherwise
/// `1 - ab / sqrt(aa bb)` computed in `f64` and clamped to `[0, 2]` (NaN stays NaN).
#[inline(always)]
pub(crate) fn cosine_from(ab: f64, aa: f64, bb: f64) -> f32 {
    if aa == 0.0 || bb == 0.0 {
        return 1.0;
    }
    // `clamp` keeps NaN.
    (1.0 - ab / (aa * bb).sqrt()).clamp(0.0, 2.0) as f32
}

/// The distance of metric `M` from the raw sums of a kernel: `x` is `a·b` (dot, cosine) or
/// `Σ(a-b)²` (L2); `aa`, `bb` the squared norms (cosine only).
#[inline(always)]
pub(crate) fn finish<S: Sum, const M: u8>(x: S, aa: S, bb: S) -> f32 {
    if M == DOT {
        (1.0 - x.to_f64()) as f32
    } else if M == L2 {
        x.to_f64() as f32
    } else {
        cosine_from(x.to_f64(), aa.to_f64(), bb.to_f64())
    }
}

/// Widens an IEEE 754 binary16 value (given as its bits) to `f32`, exactly. NaNs stay NaN (with
/// the quiet bit set, as x86 F16C does). Branch-free, integer-only except for subnormals, which
/// go through an exact integer-to-float conversion (so a flush-to-zero FPU mode cannot affect it).
#[inline]
pub fn f16_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let exp = (h >> 10) & 0x1f;
    let man = h & 0x3ff;
    // Normal: rebias the exponent (127 - 15 = 112) and widen the mantissa.
    let normal = ((h & 0x7fff) << 13) + (112 << 23);
    // Zero or subnormal: man × 2⁻²⁴, exact (and a normal f32 for man > 0).
    let subnormal = (man as f32 * (1.0 / 16_777_216.0)).to_bits();
    // Infinity or NaN (quiet bit set for NaN).
    let special = 0x7f80_0000 | (man << 13) | if man != 0 { 0x0040_0000 } else { 0 };
    let bits = if exp == 0 {
        subnormal
    } else if exp == 0x1f {
        special
    } else {
        normal
    };
    f32::from_bits(sign | bits)
}

/// Narrows an `f32` to IEEE 754 binary16 bits, rounding to nearest, ties to even (like F16C's
/// `vcvtps2ph` with `_MM_FROUND_TO_NEAREST_INT`): overflow gives ±infinity, underflow ±0 or a
/// subnormal, NaN a quiet NaN.
#[inline]
pub fn f32_to_f16(f: f32) -> u16 {
    let x = f.to_bits();
    let sign = ((x >> 16) & 0x8000) as u16;
    let exp = ((x >> 23) & 0xff) as i32;
    let man = x & 0x7f_ffff;
    if exp == 0xff {
        let nan = if man != 0 { 0x200 | (man >> 13) as u16 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let e = exp - 112; // the binary16 exponent field, if representable as a normal
    if e >= 31 {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // Subnormal (or zero) result: the 24-bit significand shifted right by 14 - e.
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        let mut h = m >> shift;
        let rem = m & ((1 << shift) - 1);
        let half = 1 << (shift - 1);
        if rem > half || (rem == half && h & 1 == 1) {
            h += 1; // may carry into the smallest normal, which is the right encoding
        }
        return sign | h as u16;
    }
    let mut h = ((e as u32) << 10) | (man >> 13);
    let rem = man & 0x1fff;
    if rem > 0x1000 || (rem == 0x1000 && h & 1 == 1) {
        h += 1; // may carry into the exponent, up to infinity: the right encoding
    }
    sign | h as u16
}

/// Cache lines [`prefetch`] asks for at most: enough for the start of a long vector, after which
/// the hardware prefetcher follows the stream by itself.
const PREFETCH_LINES: usize = 8;

/// Asks the CPU to start loading `data` (its first few cache lines) into cache, so that a later
/// read does not wait for memory. A hint only: it has no effect on results, and is a no-op on
/// other architectures. Graph searches call it for the vectors they are about to compare.
#[inline(always)]
pub fn prefetch<T>(data: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = data.as_ptr() as usize;
        let end = start + std::mem::size_of_val(data);
        let mut line = start & !63;
        let last = end.min(line + PREFETCH_LINES * 64);
        while line < last {
            // SAFETY: `prefetcht0` never faults and changes no architectural state; the address
            // lies within (or in the cache line containing the start of) `data`. SSE, which the
            // instruction needs, is part of the x86-64 baseline.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line as *const i8) };
            line += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// Scales `v` to unit length (a zero vector stays zero): how cosine collections store vectors,
/// so that a cosine distance is one dot product.
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Asks the OS to back `data` with 2 MiB pages (Linux transparent huge pages), now and as it
/// grows. A graph search reads vectors and link lists at random across arrays of tens of MB;
/// with 4 KiB pages nearly every read also misses the TLB and walks the page tables (the
/// profile of an HNSW search showed more time there than in the distance kernels). A hint only:
/// contents never change, and where huge pages are unavailable nothing happens.
pub fn prefer_huge_pages<T>(data: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = data.as_ptr() as usize;
        let end = start + std::mem::size_of_val(data);
        // Only whole huge pages inside the allocation: the bytes around it belong to others.
        let (lo, hi) = ((start + HUGE - 1) & !(HUGE - 1), end & !(HUGE - 1));
        if hi <= lo {
            return;
        }
        // SAFETY: `[lo, hi)` lies inside `data`'s allocation, which stays mapped while `data`
        // is borrowed. MADV_HUGEPAGE only marks the range, MADV_COLLAPSE copies the pages into
        // huge pages keeping their contents (concurrent readers see the same bytes); neither
        // frees or changes memory. Failures (no THP support, no memory) are ignored: a hint.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_COLLAPSE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = data;
}
