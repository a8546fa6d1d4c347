//! Fusing a vector ranking and a BM25 ranking into one: reciprocal-rank fusion (RRF) or a
//! weighted sum of min-max normalised scores.
//!
//! The formula lives here once: collection hybrid search (`hybrid.rs`) and RAG retrieval
//! (`rag/retrieve.rs`) both call [`fuse`].
//!
//! Ranks are taken after ordering each list by (score, id): equal scores (the same text twice)
//! come back from the searches in any order, and their ranks must not change from one call to the
//! next, or neither would the fused order.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// How the two rankings are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FusionMethod {
    /// Reciprocal-rank fusion: `Σ weight / (rrf_k + rank)` over the rankings that returned the
    /// record (1-based ranks). Needs no score calibration between BM25 and distances.
    #[default]
    Rrf,
    /// `vector_weight · v + text_weight · t`, where `v` and `t` are each side's score min-max
    /// normalised to [0, 1] over the candidates that side returned (closest distance → 1,
    /// best BM25 → 1; a side whose candidates all score alike gives them all 1). A record a side
    /// did not return gets 0 from it. Keeps how far apart the scores are, which RRF drops.
    Linear,
}

impl FusionMethod {
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
            _ => Err(Error::invalid_argument(format!("unknown fusion method {s:?}: expected 'rrf' or 'linear'"))),
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
    match options.method {
        FusionMethod::Rrf => {
            for f in &mut out {
                f.score = rrf(options.vector_weight, f.vector_rank, options.rrf_k) + rrf(options.text_weight, f.text_rank, options.rrf_k);
            }
        }
        FusionMethod::Linear => {
            let (dmin, dmax) = range(out.iter().filter(|f| f.vector_rank > 0).map(|f| f.distance));
            let (smin, smax) = range(out.iter().filter(|f| f.text_rank > 0).map(|f| f.bm25));
            for f in &mut out {
                let v = if f.vector_rank > 0 { normalised(dmax - f.distance, dmax - dmin) } else { 0.0 };
                let t = if f.text_rank > 0 { normalised(f.bm25 - smin, smax - smin) } else { 0.0 };
                f.score = options.vector_weight * v + options.text_weight * t;
            }
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out
}

/// One ranking's RRF term: `weight / (k + rank)`, 0 for a record the ranking did not return.
pub fn rrf(weight: f32, rank: usize, k: f32) -> f32 {
    if rank == 0 {
        0.0
    } else {
        weight / (k + rank as f32)
    }
}

fn range(xs: impl Iterator<Item = f32>) -> (f32, f32) {
    xs.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

fn normalised(x: f32, span: f32) -> f32 {
    if span > 0.0 && span.is_finite() {
        (x / span).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(score("a").score, 1.0 / 61.0 + 1.0 / 63.0);
        assert_eq!(score("b").score, 1.0 / 62.0);
        assert_eq!(score("c").score, 1.0 / 63.0 + 1.0 / 61.0);
        assert_eq!(score("d").score, 1.0 / 62.0);
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
        assert_eq!(got[0].score, 2.0 / 2.0 + 0.5 / 3.0);
        assert_eq!(got[1].score, 2.0 / 3.0 + 0.5 / 2.0);
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
}
