//! Retrieval: vector similarity, BM25, or both fused by reciprocal rank, with optional MMR
//! diversification.

use super::*;

impl Rag {
    /// Retrieves chunks for a query: `text` for BM25, `vector` (the query's embedding) for
    /// similarity; hybrid needs both.
    pub fn search(&self, text: Option<&str>, vector: Option<&[f32]>, options: &RetrieveOptions) -> Result<Vec<RagHit>> {
        self.collection().metrics().time(crate::util::metrics::Op::Retrieve, false, 1, || self.search_untimed(text, vector, options))
    }

    fn search_untimed(&self, text: Option<&str>, vector: Option<&[f32]>, options: &RetrieveOptions) -> Result<Vec<RagHit>> {
        if options.k == 0 || options.k > MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {MAX_K}, got {}", options.k)));
        }
        options.fusion().validate()?;
        if let Some(l) = options.mmr_lambda {
            if !(0.0..=1.0).contains(&l) {
                return Err(Error::invalid_argument(format!("mmr_lambda must be between 0 and 1, got {l}")));
            }
        }
        let text = text.filter(|t| !t.trim().is_empty());
        let (use_vec, use_text) = match options.mode {
            RetrievalMode::Hybrid => (true, true),
            RetrievalMode::Vector => (true, false),
            RetrievalMode::Text => (false, true),
        };
        if use_vec && vector.is_none() {
            return Err(Error::invalid_argument(format!("{:?} retrieval needs the query's vector", options.mode).to_lowercase()));
        }
        if use_text && text.is_none() {
            return Err(Error::invalid_argument(format!("{:?} retrieval needs the query's text", options.mode).to_lowercase()));
        }
        let n = candidates(options);
        let filter = options.filter.as_ref();
        // Each side's ranks and the RRF formula are the engine's one fusion module's (types/fusion.rs),
        // shared with Collection::hybrid_search.
        let mut payload: HashMap<String, Candidate> = HashMap::new();
        let (mut vl, mut tl) = (Vec::new(), Vec::new());
        if use_vec {
            let r = self.chunks.search(vector.unwrap_or_default(), n, filter)?;
            for (i, id) in r.ids.iter().enumerate() {
                payload.entry(id.clone()).or_insert_with(|| Candidate { id: id.clone(), text: r.documents[i].clone(), metadata: r.metadata[i].clone() });
                vl.push((id.clone(), r.distances[i]));
            }
        }
        if use_text {
            let r = self.chunks.text_search(text.unwrap_or_default(), n, filter)?;
            for (i, id) in r.ids.iter().enumerate() {
                payload.entry(id.clone()).or_insert_with(|| Candidate { id: id.clone(), text: r.documents[i].clone(), metadata: r.metadata[i].clone() });
                tl.push((id.clone(), r.scores[i]));
            }
        }
        let mut hits: Vec<RagHit> = crate::types::fusion::fuse(&vl, &tl, &options.fusion())
            .into_iter()
            .filter_map(|f| {
                let c = payload.remove(&f.id)?;
                let ranks = RagHitRanks { vector_rank: f.vector_rank, distance: f.distance, text_rank: f.text_rank, bm25: f.bm25 };
                Some(to_hit(c, ranks, f.score))
            })
            .collect();
        // Best first; ties by (document, position) so results are deterministic.
        hits.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then_with(|| a.doc_id.cmp(&b.doc_id)).then(a.position.cmp(&b.position))
        });
        match options.mmr_lambda {
            Some(lambda) if hits.len() > 1 => self.mmr(hits, options.k, lambda),
            _ => {
                hits.truncate(options.k);
                Ok(hits)
            }
        }
    }

    /// Re-ranks fused candidates by maximal marginal relevance.
    pub(super) fn mmr(&self, hits: Vec<RagHit>, k: usize, lambda: f32) -> Result<Vec<RagHit>> {
        let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let got = self.chunks.get(Some(&ids), None, None, 0)?;
        let dim = got.dim;
        let mut vecs: HashMap<&str, Vec<f32>> = HashMap::new();
        for (i, id) in got.ids.iter().enumerate() {
            let mut v = got.vectors[i * dim..(i + 1) * dim].to_vec();
            crate::kernels::normalize(&mut v);
            vecs.insert(id.as_str(), v);
        }
        let top = hits.first().map_or(1.0, |h| h.score).max(f32::MIN_POSITIVE);
        let mut rest: Vec<RagHit> = hits.into_iter().filter(|h| vecs.contains_key(h.id.as_str())).collect();
        let mut picked: Vec<RagHit> = Vec::with_capacity(k);
        while picked.len() < k && !rest.is_empty() {
            let mut best = 0;
            let mut best_value = f32::NEG_INFINITY;
            for (i, h) in rest.iter().enumerate() {
                let v = &vecs[h.id.as_str()];
                let redundancy = picked
                    .iter()
                    .map(|p| vecs[p.id.as_str()].iter().zip(v).map(|(a, b)| a * b).sum::<f32>())
                    .fold(0.0f32, f32::max);
                let value = lambda * (h.score / top) - (1.0 - lambda) * redundancy;
                if value > best_value {
                    best_value = value;
                    best = i;
                }
            }
            picked.push(rest.remove(best));
        }
        Ok(picked)
    }
}

/// The candidates each retriever contributes.
pub(super) fn candidates(options: &RetrieveOptions) -> usize {
    options.candidates.unwrap_or_else(|| default_candidates(options.k)).max(options.k).min(MAX_K)
}

impl RetrieveOptions {
    /// The fusion these options ask for (RAG fuses by RRF).
    pub(super) fn fusion(&self) -> crate::types::fusion::FusionOptions {
        crate::types::fusion::FusionOptions {
            method: crate::types::fusion::FusionMethod::Rrf,
            vector_weight: self.vector_weight,
            text_weight: self.text_weight,
            rrf_k: self.rrf_k,
        }
    }
}

/// One chunk as returned by a retriever, before fusion.
pub(super) struct Candidate {
    pub(super) id: String,
    pub(super) text: Option<String>,
    pub(super) metadata: Metadata,
}

/// What each retriever made of a candidate: 1-based rank (0 = not returned) and raw score.
/// Plain fields rather than `Option<(usize, f32)>`, so no copy ever moves an uninitialised
/// payload (valgrind, which the C suite runs under, reports branches on those).
#[derive(Clone, Copy)]
pub(super) struct RagHitRanks {
    pub(super) vector_rank: usize,
    pub(super) distance: f32,
    pub(super) text_rank: usize,
    pub(super) bm25: f32,
}

impl Default for RagHitRanks {
    fn default() -> Self {
        RagHitRanks { vector_rank: 0, distance: f32::NAN, text_rank: 0, bm25: f32::NAN }
    }
}

pub(super) fn to_hit(c: Candidate, ranks: RagHitRanks, score: f32) -> RagHit {
    let m = &c.metadata;
    let doc_id = str_of(m, "doc_id").unwrap_or_default().to_owned();
    let source = str_of(m, "source").map(str::to_owned).unwrap_or_else(|| doc_id.clone());
    let mut metadata = c.metadata.clone();
    metadata.retain(|k, _| !CHUNK_KEYS.contains(&k.as_str()));
    RagHit {
        position: int_of(m, "position").unwrap_or(0).max(0) as usize,
        char_start: int_of(m, "char_start").unwrap_or(0).max(0) as usize,
        char_end: int_of(m, "char_end").unwrap_or(0).max(0) as usize,
        heading: str_of(m, "heading").unwrap_or_default().to_owned(),
        id: c.id,
        doc_id,
        source,
        text: c.text.unwrap_or_default(),
        score,
        vector_rank: (ranks.vector_rank > 0).then_some(ranks.vector_rank),
        distance: (ranks.vector_rank > 0).then_some(ranks.distance),
        text_rank: (ranks.text_rank > 0).then_some(ranks.text_rank),
        bm25: (ranks.text_rank > 0).then_some(ranks.bm25),
        metadata,
    }
}
