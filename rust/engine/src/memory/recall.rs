//! Recall: the best memories for a query by the score of the module docs of `memory`.

use super::*;

impl Memory {
    /// The `opts.k` best memories for `query` (or, without a query, the strongest), best first,
    /// among those passing `opts.filter`. See the module docs for the score.
    pub fn recall(&self, query: Option<&[f32]>, opts: &RecallOptions) -> Result<Vec<MemoryHit>> {
        self.shared.collection.metrics().time(crate::util::metrics::Op::Recall, false, 1, || self.recall_untimed(query, opts))
    }

    fn recall_untimed(&self, query: Option<&[f32]>, opts: &RecallOptions) -> Result<Vec<MemoryHit>> {
        self.ensure_open()?;
        if opts.k == 0 || opts.k > MAX_K {
            return Err(Error::invalid_argument(format!("k must be between 1 and {MAX_K}, got {}", opts.k)));
        }
        opts.weights.validate()?;
        if let Some(c) = opts.candidates {
            if c == 0 || c > MAX_K {
                return Err(Error::invalid_argument(format!("candidates must be between 1 and {MAX_K}, got {c}")));
            }
        }
        let metric = self.metric();
        if let Some(q) = query {
            records::check_vector(q, self.dim(), metric, &|| "the query".to_string())?;
        }
        let compiled = self.compile(&opts.filter)?;
        let now = opts.now.unwrap_or_else(now_micros);
        let w = &opts.weights;
        // (score, similarity, recency, id) of the best k. Scoring works on slots; only the best
        // k are ranked fully and have their ids copied.
        let scored: Vec<(f64, Option<f64>, f64, String)> = {
            let t = self.table();
            let allowed = t.count_matching(&compiled);
            let n = opts.candidates.unwrap_or_else(|| default_recall_candidates(opts.k)).max(opts.k);
            // (slot, raw similarity) of every memory that may be returned.
            let mut cands: Vec<(usize, Option<f64>)> = match query {
                None => t.matching(&compiled).into_iter().map(|s| (s, None)).collect(),
                // Few enough to score them all; or so few of the store that a graph walk
                // filtered down to them would miss many (as the collection's own search does
                // below 5%).
                Some(q) if allowed <= exact_max(t.dim) || allowed * 20 < t.len() || opts.exact => {
                    t.distances(q, &compiled).into_iter().map(|(s, d)| (s, Some(similarity(metric, d)))).collect()
                }
                Some(q) => {
                    let accept = |id: &str| t.get(id).is_some_and(|r| compiled.matches(r));
                    let hits = self.shared.collection.with_mirror(|m| m.search_where(q, n, n.max(64), &accept))?;
                    hits.into_iter()
                        .filter_map(|(id, d)| t.slot.get(&id).map(|&s| (s, Some(similarity(metric, d)))))
                        .collect()
                }
            };
            // Relevance mode with a similarity term: the candidates are the `n` most similar
            // (as the graph walk gives them; an exact scan keeps its best `n` too, so both paths
            // rank the same set), and similarity is normalised over them.
            let relevance = w.mode == RecallMode::Relevance && query.is_some() && w.similarity > 0.0;
            let mut range = (0.0, 0.0);
            if relevance && !cands.is_empty() {
                if cands.len() > n {
                    let most_similar = |a: &(usize, Option<f64>), b: &(usize, Option<f64>)| {
                        b.1.partial_cmp(&a.1).unwrap_or(CmpOrdering::Equal).then_with(|| t.row(a.0).id.cmp(&t.row(b.0).id))
                    };
                    cands.select_nth_unstable_by(n - 1, most_similar);
                    cands.truncate(n);
                }
                let sims = cands.iter().filter_map(|c| c.1);
                range = sims.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| (lo.min(s), hi.max(s)));
            }
            let mut all: Vec<(f64, Option<f64>, f64, usize)> = cands
                .into_iter()
                .map(|(s, sim)| {
                    let r = t.row(s);
                    let rec = w.recency(now.saturating_sub(r.last_accessed));
                    let term = if relevance { sim.map(|x| RecallWeights::normalized(x, range.0, range.1)) } else { sim };
                    (w.score(term, rec, r.importance), sim, rec, s)
                })
                .collect();
            let best_first = |a: &(f64, Option<f64>, f64, usize), b: &(f64, Option<f64>, f64, usize)| {
                b.0.partial_cmp(&a.0).unwrap_or(CmpOrdering::Equal).then_with(|| t.row(a.3).id.cmp(&t.row(b.3).id))
            };
            if all.len() > opts.k {
                all.select_nth_unstable_by(opts.k - 1, best_first);
                all.truncate(opts.k);
            }
            all.sort_by(best_first);
            all.into_iter().map(|(score, sim, rec, s)| (score, sim, rec, t.row(s).id.clone())).collect()
        };
        let hits: Vec<MemoryHit> = if opts.touch && !self.shared.read_only && !scored.is_empty() {
            let mut t = self.table_mut();
            if t.pending.is_empty() {
                t.pending_since = Some(Instant::now());
            }
            let mut out = Vec::with_capacity(scored.len());
            for (score, similarity, recency, id) in scored {
                // A memory forgotten since it was scored is left out.
                let Some(r) = t.get_mut(&id) else { continue };
                r.last_accessed = now;
                r.access_count += 1;
                let record = r.record();
                t.pending.insert(id);
                out.push(MemoryHit { record, score, similarity, recency });
            }
            out
        } else {
            let t = self.table();
            scored
                .into_iter()
                .filter_map(|(score, similarity, recency, id)| {
                    t.get(&id).map(|r| MemoryHit { record: r.record(), score, similarity, recency })
                })
                .collect()
        };
        let due = {
            let t = self.table();
            t.pending.len() >= PENDING_FLUSH_ROWS || t.pending_since.is_some_and(|s| s.elapsed() >= PENDING_FLUSH_AFTER)
        };
        if due {
            self.flush()?;
        }
        Ok(hits)
    }
}
