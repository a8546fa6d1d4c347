//! Hybrid search: the vector ranking and the BM25 ranking of one query, fused (see `types/fusion.rs`).

use std::collections::HashMap;

use crate::types::fusion::{self, FusionOptions};
use crate::collection::{Collection, MAX_K};
use crate::error::{Error, Result};
use crate::types::filter::Filter;
use crate::types::value::Metadata;

/// How a hybrid search runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HybridOptions {
    pub fusion: FusionOptions,
    /// Records each side contributes before fusion; `None`: [`fusion::default_candidates`] of
    /// `k`. At least `k` either way.
    pub candidates: Option<usize>,
}

/// The best records of a hybrid search, best first. Each side's rank (1-based) and raw score are
/// `None` where that side did not return the record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HybridSearchResult {
    pub ids: Vec<String>,
    /// Fused scores, larger is better.
    pub scores: Vec<f32>,
    pub documents: Vec<Option<String>>,
    pub metadata: Vec<Metadata>,
    pub vector_ranks: Vec<Option<usize>>,
    pub distances: Vec<Option<f32>>,
    pub text_ranks: Vec<Option<usize>>,
    pub bm25_scores: Vec<Option<f32>>,
}

impl HybridSearchResult {
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl Collection {
    /// The `k` records best by both `vector` (nearest-neighbour search) and `text` (BM25 over
    /// the documents), fused as `options` say, among those matching `filter` (applied to both
    /// searches before ranking).
    pub fn hybrid_search(
        &self,
        vector: &[f32],
        text: &str,
        k: usize,
        filter: Option<&Filter>,
        options: &HybridOptions,
    ) -> Result<HybridSearchResult> {
        self.ensure_open()?;
        if k == 0 || k > MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {MAX_K}, got {k}")));
        }
        if options.candidates == Some(0) {
            return Err(Error::invalid_argument("candidates must be at least 1"));
        }
        options.fusion.validate()?;
        if text.trim().is_empty() {
            return Err(Error::invalid_argument("the text query is empty"));
        }
        let n = options.candidates.unwrap_or_else(|| fusion::default_candidates(k)).max(k).min(MAX_K);
        let v = self.search(vector, n, filter)?;
        let t = self.text_search(text, n, filter)?;
        let mut payload: HashMap<&str, (&Option<String>, &Metadata)> = HashMap::with_capacity(v.len() + t.len());
        for (i, id) in v.ids.iter().enumerate() {
            payload.insert(id.as_str(), (&v.documents[i], &v.metadata[i]));
        }
        for (i, id) in t.ids.iter().enumerate() {
            payload.entry(id.as_str()).or_insert((&t.documents[i], &t.metadata[i]));
        }
        let vl: Vec<(String, f32)> = v.ids.iter().cloned().zip(v.distances.iter().copied()).collect();
        let tl: Vec<(String, f32)> = t.ids.iter().cloned().zip(t.scores.iter().copied()).collect();
        let mut out = HybridSearchResult::default();
        for f in fusion::fuse(&vl, &tl, &options.fusion).into_iter().take(k) {
            let (document, metadata) = payload.get(f.id.as_str()).copied().unwrap_or((&None, &EMPTY));
            out.documents.push(document.clone());
            out.metadata.push(metadata.clone());
            out.scores.push(f.score);
            out.vector_ranks.push((f.vector_rank > 0).then_some(f.vector_rank));
            out.distances.push((f.vector_rank > 0).then_some(f.distance));
            out.text_ranks.push((f.text_rank > 0).then_some(f.text_rank));
            out.bm25_scores.push((f.text_rank > 0).then_some(f.bm25));
            out.ids.push(f.id);
        }
        Ok(out)
    }
}

static EMPTY: Metadata = Metadata::new();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::fusion::FusionMethod;
    use crate::types::records::{Records, Vectors};
    use crate::types::schema::Metric;
    use crate::types::value::Value;
    use crate::Database;

    /// Five 2-d points; "banana" is in the documents of a, c and e; d has no document.
    fn fixture(db: &Database) -> Collection {
        let c = db.create_collection("fruit", 2, Metric::L2).unwrap();
        let ids: Vec<String> = ["a", "b", "c", "d", "e"].iter().map(|s| s.to_string()).collect();
        let vectors = [0.0, 0.0, 1.0, 0.0, 5.0, 5.0, 0.5, 0.0, 9.0, 9.0];
        let docs = vec![
            Some("apple banana".to_string()),
            Some("cherry".into()),
            Some("banana split with more banana".into()),
            None,
            Some("banana".into()),
        ];
        let metadata: Vec<Metadata> = ["x", "y", "x", "y", "y"]
            .iter()
            .map(|c| [("cat".to_string(), Value::Str(c.to_string()))].into_iter().collect())
            .collect();
        c.add(&Records { ids: &ids, vectors: Vectors::Flat { data: &vectors, dim: 2 }, documents: Some(&docs), metadata: Some(&metadata) })
            .unwrap();
        c
    }

    #[test]
    fn hybrid_fuses_both_rankings_by_rrf() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = fixture(&db);
        let q = [0.0, 0.0];
        let v = c.search(&q, 10, None).unwrap();
        let t = c.text_search("banana", 10, None).unwrap();
        assert_eq!(v.ids, ["a", "d", "b", "c", "e"]);
        assert_eq!(t.len(), 3);
        let got = c.hybrid_search(&q, "banana", 3, None, &HybridOptions::default()).unwrap();
        assert_eq!(got.len(), 3);
        // a is first by both.
        assert_eq!(got.ids[0], "a");
        assert_eq!((got.vector_ranks[0], got.text_ranks[0]), (Some(1), t.ids.iter().position(|i| i == "a").map(|p| p + 1)));
        assert_eq!(got.documents[0].as_deref(), Some("apple banana"));
        assert_eq!(got.metadata[0].get("cat"), Some(&Value::Str("x".into())));
        for (i, id) in got.ids.iter().enumerate() {
            let rv = v.ids.iter().position(|x| x == id).map(|p| p + 1);
            let rt = t.ids.iter().position(|x| x == id).map(|p| p + 1);
            assert_eq!((got.vector_ranks[i], got.text_ranks[i]), (rv, rt));
            let want = rv.map_or(0.0, |r| 1.0 / (60.0 + r as f32)) + rt.map_or(0.0, |r| 1.0 / (60.0 + r as f32));
            assert_eq!(got.scores[i], want);
            assert_eq!(got.distances[i], rv.map(|r| v.distances[r - 1]));
            assert_eq!(got.bm25_scores[i], rt.map(|r| t.scores[r - 1]));
        }
        assert!(got.scores.windows(2).all(|w| w[0] >= w[1]));
        // Only the text side counts with a zero vector weight: the BM25 order comes back.
        let text_only = HybridOptions { fusion: FusionOptions { vector_weight: 0.0, ..Default::default() }, candidates: None };
        let got = c.hybrid_search(&q, "banana", 3, None, &text_only).unwrap();
        assert_eq!(got.ids, t.ids);
        // Linear fusion: a is the closest and has BM25 > 0.
        let linear = HybridOptions { fusion: FusionOptions { method: FusionMethod::Linear, ..Default::default() }, candidates: Some(5) };
        let got = c.hybrid_search(&q, "banana", 5, None, &linear).unwrap();
        let (dmax, smin, smax) = (v.distances[4], t.scores[2], t.scores[0]);
        for (i, id) in got.ids.iter().enumerate() {
            let vn = v.ids.iter().position(|x| x == id).map_or(0.0, |r| (dmax - v.distances[r]) / dmax);
            let tn = t.ids.iter().position(|x| x == id).map_or(0.0, |r| (t.scores[r] - smin) / (smax - smin));
            assert!((got.scores[i] - (vn + tn)).abs() < 1e-6, "{id}: {} vs {}", got.scores[i], vn + tn);
        }
        assert!(got.scores.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn hybrid_filters_both_sides() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = fixture(&db);
        let only_y = Filter::from_json(r#"{"cat": "y"}"#).unwrap();
        let got = c.hybrid_search(&[0.0, 0.0], "banana", 10, Some(&only_y), &HybridOptions::default()).unwrap();
        let mut ids = got.ids.clone();
        ids.sort();
        assert_eq!(ids, ["b", "d", "e"]);
        assert!(got.metadata.iter().all(|m| m.get("cat") == Some(&Value::Str("y".into()))));
        let e = got.ids.iter().position(|i| i == "e").unwrap();
        // e is third of the y's by distance and the only y with "banana".
        assert_eq!((got.vector_ranks[e], got.text_ranks[e]), (Some(3), Some(1)));
        let d = got.ids.iter().position(|i| i == "d").unwrap();
        assert_eq!((got.vector_ranks[d], got.text_ranks[d], got.bm25_scores[d]), (Some(1), None, None));
    }

    #[test]
    fn hybrid_rejects_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path()).unwrap();
        let c = fixture(&db);
        let o = HybridOptions::default();
        let kind = |r: Result<HybridSearchResult>| r.unwrap_err().kind();
        use crate::error::ErrorKind;
        assert_eq!(kind(c.hybrid_search(&[0.0, 0.0], "banana", 0, None, &o)), ErrorKind::InvalidArgument);
        assert_eq!(kind(c.hybrid_search(&[0.0, 0.0], "  ", 3, None, &o)), ErrorKind::InvalidArgument);
        assert_eq!(kind(c.hybrid_search(&[0.0], "banana", 3, None, &o)), ErrorKind::DimensionMismatch);
        let bad = HybridOptions { fusion: FusionOptions { rrf_k: -1.0, ..Default::default() }, candidates: None };
        assert_eq!(kind(c.hybrid_search(&[0.0, 0.0], "banana", 3, None, &bad)), ErrorKind::InvalidArgument);
        let bad = HybridOptions { candidates: Some(0), ..Default::default() };
        assert_eq!(kind(c.hybrid_search(&[0.0, 0.0], "banana", 3, None, &bad)), ErrorKind::InvalidArgument);
        let bad_filter = Filter::Sql("nope ((".into());
        assert!(c.hybrid_search(&[0.0, 0.0], "banana", 3, Some(&bad_filter), &o).is_err());
    }
}
