//! Fusing a vector ranking and a BM25 ranking into one: reciprocal-rank fusion (RRF) or a
//! weighted sum of normalised scores. The formulas live here once, for every caller:
//!
//! - collection hybrid search (`collection/hybrid.rs`) and RAG retrieval (`rag/retrieve.rs`) call
//!   [`fuse`] on two lists of `(id, score)`;
//! - memory recall (`memory/recall.rs`) scores its candidates with [`fuse_scores`] directly, as
//!   it already holds both signals of every candidate (it computes the similarity of a text-only
//!   candidate and the BM25 of a vector-only one exactly, see `memory`'s module docs).
//!
//! Both go through [`fuse_scores`], which takes a [`FusionParams`]. The two callers differ in two
//! parameters, each a deliberate choice and not a second formula:
//!
//! ```text
//!                         collections, RAG ([`FusionParams::lists`])   memory ([`FusionParams::memory`])
//! RRF term                w / (k + rank)            (Plain)             w · (k+1) / (k + rank)   (Unit)
//! linear, vector side     min-max over the side's candidates            min-max over the candidates
//! linear, text side       min-max                   (MinMax)            bm25 / max bm25          (ByMax)
//! ```
//! - `Unit` RRF scores rank 1 as `w`, like a normalised score, because memory recall in linear
//!   mode adds the fused relevance to recency and importance (`fused + strength`), whose terms are
//!   in [0, 1]: the plain `1/61` would vanish next to them.
//! - `ByMax` keeps "no query word" at 0: memory scores every candidate's BM25, so the weakest
//!   candidate is often one without any query word, and min-max would give the weakest *match* 0
//!   as well. Collection candidates all come from the text search, so every one matched a word.
//!
//! Ranks are taken after ordering each list by (score, id): equal scores (the same text twice)
//! come back from the searches in any order, and their ranks must not change from one call to the
//! next, or neither would the fused order.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// How the two rankings are combined. (Memory recall names it `Fusion`; it is this one type.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FusionMethod {
    /// Reciprocal-rank fusion: `Σ weight / (rrf_k + rank)` over the rankings that returned the
    /// record (1-based ranks; memory recall scales each term by `k+1`, see the module docs).
    /// Needs no score calibration between BM25 and distances.
    #[default]
    Rrf,
    /// `vector_weight · v + text_weight · t`, where `v` and `t` are each side's score normalised
    /// to [0, 1] over the candidates (closest → 1, best BM25 → 1; a side whose candidates all
    /// score alike gives them all 1). A record without a side's score gets 0 from it. Keeps how
    /// far apart the scores are, which RRF drops.
    Linear,
}

impl FusionMethod {
    /// Every method, in the order of their C constants (`AGENTDB_FUSION_RRF` = 0, `_LINEAR` = 1).
    pub const ALL: [FusionMethod; 2] = [FusionMethod::Rrf, FusionMethod::Linear];

    pub fn as_str(self) -> &'static str {
        match self {
            FusionMethod::Rrf => "rrf",
            FusionMethod::Linear => "linear",
        }
    }
}

impl std::str::FromStr for FusionMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "rrf" | "reciprocal_rank" => Ok(FusionMethod::Rrf),
            "linear" | "weighted" => Ok(FusionMethod::Linear),
            _ => Err(Error::invalid_argument(format!("unknown fusion {s:?}: expected 'rrf' or 'linear'"))),
        }
    }
}

/// RRF's rank constant when none is given (the value of the original paper, Cormack et al. 2009).
pub const DEFAULT_RRF_K: f32 = 60.0;

/// The parameters of [`fuse`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionOptions {
    pub method: FusionMethod,
    /// Weight of the vector ranking.
    pub vector_weight: f32,
    /// Weight of the BM25 ranking.
    pub text_weight: f32,
    /// RRF's rank constant (ignored by [`FusionMethod::Linear`]).
    pub rrf_k: f32,
}

impl Default for FusionOptions {
    fn default() -> Self {
        FusionOptions { method: FusionMethod::Rrf, vector_weight: 1.0, text_weight: 1.0, rrf_k: DEFAULT_RRF_K }
    }
}

impl FusionOptions {
    pub fn validate(&self) -> Result<()> {
        for (what, w) in [("vector_weight", self.vector_weight), ("text_weight", self.text_weight)] {
            if !w.is_finite() || w < 0.0 {
                return Err(Error::invalid_argument(format!("{what} must be a finite number ≥ 0, got {w}")));
            }
        }
        if !self.rrf_k.is_finite() || self.rrf_k < 0.0 {
            return Err(Error::invalid_argument(format!("rrf_k must be a finite number ≥ 0, got {}", self.rrf_k)));
        }
        Ok(())
    }
}

/// The candidates each side contributes when none is given: `max(4·k, 20)`, enough for fusion
/// to lift a record one side ranks low.
pub fn default_candidates(k: usize) -> usize {
    (k * 4).max(20)
}

/// The scale of an RRF term (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RrfScale {
    /// `w / (k + rank)`.
    Plain,
    /// `w · (k+1) / (k + rank)`: rank 1 scores `w`.
    Unit,
}

/// How the text side's scores are normalised by linear fusion (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextNorm {
    /// `(s − lo) / (hi − lo)` over the candidates with a text score.
    MinMax,
    /// `s / hi` (0 when `hi` is 0): no query word stays 0.
    ByMax,
}

/// The float type scores are fused in: `f32` for result lists (what their scores are reported
/// in, so a list's fused score is exactly the f32 arithmetic of the formula, as the bindings'
/// tests pin it), `f64` for memory recall (whose scores are f64 throughout).
pub trait Score:
    Copy + PartialOrd + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self> + std::ops::Div<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    /// A span at or below this is no span: its candidates all score alike (f32: exactly 0, as
    /// list fusion always had it; f64: 1e-12, as memory recall's similarity band always had it).
    const TINY: Self;
    const INFINITY: Self;
    fn of_rank(rank: usize) -> Self;
    fn is_finite(self) -> bool;
    fn min(self, other: Self) -> Self;
    fn max(self, other: Self) -> Self;
    fn clamp01(self) -> Self;
}

macro_rules! score_impl {
    ($t:ty, $tiny:expr) => {
        impl Score for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const TINY: Self = $tiny;
            const INFINITY: Self = <$t>::INFINITY;
            fn of_rank(rank: usize) -> Self {
                rank as $t
            }
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            fn clamp01(self) -> Self {
                self.clamp(0.0, 1.0)
            }
        }
    };
}
score_impl!(f32, 0.0);
score_impl!(f64, 1e-12);

/// Everything [`fuse_scores`] needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionParams<F> {
    pub method: FusionMethod,
    pub vector_weight: F,
    pub text_weight: F,
    pub rrf_k: F,
    pub rrf_scale: RrfScale,
    pub text_norm: TextNorm,
}

impl FusionParams<f32> {
    /// The fusion of two result lists ([`fuse`]: collection hybrid search and RAG).
    pub fn lists(o: &FusionOptions) -> FusionParams<f32> {
        FusionParams {
            method: o.method,
            vector_weight: o.vector_weight,
            text_weight: o.text_weight,
            rrf_k: o.rrf_k,
            rrf_scale: RrfScale::Plain,
            text_norm: TextNorm::MinMax,
        }
    }
}

impl FusionParams<f64> {
    /// The fusion of memory recall (its weights are `RecallWeights::similarity` and `text`).
    pub fn memory(method: FusionMethod, vector_weight: f64, text_weight: f64, rrf_k: f64) -> FusionParams<f64> {
        FusionParams { method, vector_weight, text_weight, rrf_k, rrf_scale: RrfScale::Unit, text_norm: TextNorm::ByMax }
    }
}

/// One candidate's two signals. A rank is 1-based, 0 when that side's ranking did not return the
/// candidate (RRF gives it 0 from that side); a score is oriented so larger is better (a
/// distance enters negated) and `None` when unknown (linear fusion gives it 0 from that side).
/// A caller may know a score without a rank: memory recall computes both signals of every
/// candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signals<F> {
    pub vector_rank: usize,
    pub vector: Option<F>,
    pub text_rank: usize,
    pub text: Option<F>,
}

/// The fused score of each candidate, in the order given.
pub fn fuse_scores<F: Score>(cands: &[Signals<F>], p: &FusionParams<F>) -> Vec<F> {
    match p.method {
        FusionMethod::Rrf => cands
            .iter()
            .map(|c| rrf(p.vector_weight, c.vector_rank, p.rrf_k, p.rrf_scale) + rrf(p.text_weight, c.text_rank, p.rrf_k, p.rrf_scale))
            .collect(),
        FusionMethod::Linear => {
            let (vlo, vhi) = range(cands.iter().filter_map(|c| c.vector));
            let (tlo, thi) = range(cands.iter().filter_map(|c| c.text));
            cands
                .iter()
                .map(|c| {
                    let v = c.vector.map_or(F::ZERO, |x| min_max(x, vlo, vhi));
                    let t = c.text.map_or(F::ZERO, |x| match p.text_norm {
                        TextNorm::MinMax => min_max(x, tlo, thi),
                        TextNorm::ByMax if thi > F::ZERO => x / thi,
                        TextNorm::ByMax => F::ZERO,
                    });
                    p.vector_weight * v + p.text_weight * t
                })
                .collect()
        }
    }
}

/// One ranking's RRF term, 0 for a record the ranking did not return (`rank` 0).
pub fn rrf<F: Score>(weight: F, rank: usize, k: F, scale: RrfScale) -> F {
    if rank == 0 {
        return F::ZERO;
    }
    match scale {
        RrfScale::Plain => weight / (k + F::of_rank(rank)),
        RrfScale::Unit => weight * ((k + F::ONE) / (k + F::of_rank(rank))),
    }
}

/// `(x − lo) / (hi − lo)` clamped to [0, 1]; 1 when the span is (nearly) 0 or not finite, so
/// candidates that all score alike all get the full weight.
pub fn min_max<F: Score>(x: F, lo: F, hi: F) -> F {
    let span = hi - lo;
    if span > F::TINY && span.is_finite() {
        ((x - lo) / span).clamp01()
    } else {
        F::ONE
    }
}

/// The lowest and highest of `xs` (`(∞, −∞)` when empty).
pub fn range<F: Score>(xs: impl Iterator<Item = F>) -> (F, F) {
    xs.fold((F::INFINITY, F::ZERO - F::INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// One record after fusion. Ranks are 1-based, 0 when that side did not return the record (its
/// raw score is then NaN). Plain fields rather than `Option<(usize, f32)>`, so no copy ever moves
/// an uninitialised payload (valgrind, which the C suite runs under, reports branches on those).
#[derive(Debug, Clone, PartialEq)]
pub struct Fused {
    pub id: String,
    pub score: f32,
    pub vector_rank: usize,
    pub distance: f32,
    pub text_rank: usize,
    pub bm25: f32,
}

/// Fuses `vector` (`(id, distance)`, smaller is closer) and `text` (`(id, BM25 score)`, larger is
/// better) into one list, best first, ties by id. Either list may be empty; an id repeated in a
/// list keeps its best entry.
pub fn fuse(vector: &[(String, f32)], text: &[(String, f32)], options: &FusionOptions) -> Vec<Fused> {
    let mut pool: HashMap<&str, Fused> = HashMap::with_capacity(vector.len() + text.len());
    let blank = |id: &str| Fused { id: id.to_owned(), score: 0.0, vector_rank: 0, distance: f32::NAN, text_rank: 0, bm25: f32::NAN };
    let mut v: Vec<&(String, f32)> = vector.iter().collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let mut rank = 0;
    for (id, d) in v {
        let e = pool.entry(id.as_str()).or_insert_with(|| blank(id));
        if e.vector_rank == 0 {
            rank += 1;
            e.vector_rank = rank;
            e.distance = *d;
        }
    }
    let mut t: Vec<&(String, f32)> = text.iter().collect();
    t.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut rank = 0;
    for (id, s) in t {
        let e = pool.entry(id.as_str()).or_insert_with(|| blank(id));
        if e.text_rank == 0 {
            rank += 1;
            e.text_rank = rank;
            e.bm25 = *s;
        }
    }
    let mut out: Vec<Fused> = pool.into_values().collect();
    let signals: Vec<Signals<f32>> = out
        .iter()
        .map(|f| Signals {
            vector_rank: f.vector_rank,
            vector: (f.vector_rank > 0).then_some(-f.distance),
            text_rank: f.text_rank,
            text: (f.text_rank > 0).then_some(f.bm25),
        })
        .collect();
    for (f, s) in out.iter_mut().zip(fuse_scores(&signals, &FusionParams::lists(options))) {
        f.score = s;
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// List scores are the formula's f32 arithmetic, exactly.
    fn f(x: f32) -> f32 {
        x
    }

    fn list(xs: &[(&str, f32)]) -> Vec<(String, f32)> {
        xs.iter().map(|(i, s)| (i.to_string(), *s)).collect()
    }

    #[test]
    fn rrf_is_exact_on_a_small_case() {
        // vector: a (0.1), b (0.2), c (0.3); text: c (9), d (5), a (1).
        let v = list(&[("b", 0.2), ("a", 0.1), ("c", 0.3)]);
        let t = list(&[("a", 1.0), ("c", 9.0), ("d", 5.0)]);
        let got = fuse(&v, &t, &FusionOptions::default());
        let score = |id: &str| got.iter().find(|f| f.id == id).unwrap().clone();
        assert_eq!(score("a").score, f(1.0 / 61.0 + 1.0 / 63.0));
        assert_eq!(score("b").score, f(1.0 / 62.0));
        assert_eq!(score("c").score, f(1.0 / 63.0 + 1.0 / 61.0));
        assert_eq!(score("d").score, f(1.0 / 62.0));
        assert_eq!((score("a").vector_rank, score("a").text_rank), (1, 3));
        assert_eq!((score("d").vector_rank, score("d").text_rank), (0, 2));
        assert!(score("d").distance.is_nan() && score("b").bm25.is_nan());
        assert_eq!(score("c").bm25, 9.0);
        assert_eq!(score("c").distance, 0.3);
        // a and c tie exactly (same two terms, summed in a different order) → by id.
        let ids: Vec<&str> = got.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b", "d"]);
    }

    #[test]
    fn weights_and_k_shift_rrf() {
        let v = list(&[("a", 0.1), ("b", 0.2)]);
        let t = list(&[("b", 3.0), ("a", 1.0)]);
        let o = FusionOptions { vector_weight: 2.0, text_weight: 0.5, rrf_k: 1.0, ..Default::default() };
        let got = fuse(&v, &t, &o);
        assert_eq!(got[0].id, "a");
        assert_eq!(got[0].score, f(2.0 / 2.0 + 0.5 / 3.0));
        assert_eq!(got[1].score, f(2.0 / 3.0 + 0.5 / 2.0));
        let text_only = fuse(&v, &t, &FusionOptions { vector_weight: 0.0, ..Default::default() });
        assert_eq!(text_only[0].id, "b");
    }

    #[test]
    fn linear_normalises_each_side() {
        let v = list(&[("a", 0.0), ("b", 0.5), ("c", 1.0)]);
        let t = list(&[("c", 10.0), ("b", 6.0), ("d", 2.0)]);
        let o = FusionOptions { method: FusionMethod::Linear, vector_weight: 1.0, text_weight: 1.0, rrf_k: 60.0 };
        let got = fuse(&v, &t, &o);
        let s = |id: &str| got.iter().find(|f| f.id == id).unwrap().score;
        assert_eq!(s("a"), 1.0); // closest, no text
        assert_eq!(s("b"), 0.5 + 0.5);
        assert_eq!(s("c"), 0.0 + 1.0);
        assert_eq!(s("d"), 0.0);
        let ids: Vec<&str> = got.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        // One candidate per side: each gets the full weight.
        let one = fuse(&list(&[("x", 0.7)]), &list(&[("y", 3.0)]), &FusionOptions { text_weight: 2.0, ..o });
        assert_eq!((one[0].id.as_str(), one[0].score, one[1].score), ("y", 2.0, 1.0));
    }

    #[test]
    fn ties_rank_by_id_and_duplicates_keep_the_best() {
        let v = list(&[("b", 0.5), ("a", 0.5), ("a", 0.9)]);
        let got = fuse(&v, &[], &FusionOptions::default());
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].id.as_str(), got[0].vector_rank, got[0].distance), ("a", 1, 0.5));
        assert_eq!((got[1].id.as_str(), got[1].vector_rank), ("b", 2));
        assert!(fuse(&[], &[], &FusionOptions::default()).is_empty());
    }

    #[test]
    fn bad_options_are_rejected() {
        for o in [
            FusionOptions { vector_weight: -1.0, ..Default::default() },
            FusionOptions { text_weight: f32::NAN, ..Default::default() },
            FusionOptions { rrf_k: f32::INFINITY, ..Default::default() },
        ] {
            assert!(o.validate().is_err());
        }
        assert!(FusionOptions::default().validate().is_ok());
        assert_eq!("RRF".parse::<FusionMethod>().unwrap(), FusionMethod::Rrf);
        assert_eq!("linear".parse::<FusionMethod>().unwrap(), FusionMethod::Linear);
        assert!("max".parse::<FusionMethod>().is_err());
    }

    #[test]
    fn memory_params_scale_rrf_to_one_and_keep_no_word_at_zero() {
        let c = |vr, v, tr, t| Signals { vector_rank: vr, vector: v, text_rank: tr, text: t };
        // Scores known on both sides for every candidate (as memory recall computes them), ranks
        // only where that side's ranking returned it.
        let cands = [c(1, Some(0.9), 2, Some(4.0)), c(2, Some(0.8), 0, Some(0.0)), c(0, Some(0.5), 1, Some(8.0))];
        let rrf = fuse_scores(&cands, &FusionParams::memory(FusionMethod::Rrf, 1.0, 0.5, 60.0));
        assert_eq!(rrf, vec![1.0 + 0.5 * (61.0 / 62.0), 61.0 / 62.0, 0.5]);
        let lin = fuse_scores(&cands, &FusionParams::memory(FusionMethod::Linear, 1.0, 0.5, 60.0));
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} != {b}");
        // similarity min-max over 0.5..0.9; BM25 divided by the best (8): no word stays 0.
        close(lin[0], 1.0 + 0.5 * 0.5);
        close(lin[1], 0.75 + 0.0);
        close(lin[2], 0.0 + 0.5);
        // Min-max (the lists' choice) against by-max on BM25 8, 4, 2: the middle one is 1/3
        // of the span 2..8, but half the best.
        let lists: FusionParams<f64> = FusionParams { text_norm: TextNorm::MinMax, ..FusionParams::memory(FusionMethod::Linear, 0.0, 1.0, 60.0) };
        let m = fuse_scores(&[c(0, None, 1, Some(8.0)), c(0, None, 2, Some(4.0)), c(0, None, 3, Some(2.0))], &lists);
        close(m[1], 1.0 / 3.0);
        let b = fuse_scores(&[c(0, None, 1, Some(8.0)), c(0, None, 2, Some(4.0)), c(0, None, 3, Some(2.0))], &FusionParams { text_norm: TextNorm::ByMax, ..lists });
        close(b[1], 0.5);
        // Nothing known: nothing fused, and a text side all zeros gives 0 by max.
        assert!(fuse_scores::<f64>(&[], &lists).is_empty());
        assert_eq!(fuse_scores(&[c(0, None, 1, Some(0.0))], &FusionParams { text_norm: TextNorm::ByMax, ..lists }), vec![0.0]);
    }

    #[test]
    fn one_method_type_parses_and_orders_as_the_c_constants() {
        assert_eq!(FusionMethod::ALL, [FusionMethod::Rrf, FusionMethod::Linear]);
        for m in FusionMethod::ALL {
            assert_eq!(m.as_str().parse::<FusionMethod>().unwrap(), m);
        }
        assert!(min_max(3.0f64, 1.0, 1.0) == 1.0 && min_max(0.0f64, 1.0, 2.0) == 0.0 && min_max(1.5f64, 1.0, 2.0) == 0.5);
        // f32 (lists) counts any positive span; f64 (memory) needs more than 1e-12.
        let (half, span) = (2f32.powi(-45), 2f32.powi(-44));
        assert_eq!(min_max(half, 0.0, span), 0.5);
        assert_eq!(min_max(half as f64, 0.0, span as f64), 1.0);
    }
}
