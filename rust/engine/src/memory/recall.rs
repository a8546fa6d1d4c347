//! Recall: the best memories for a query by the score of the module docs of `memory`.

use super::*;
use crate::graph::{Fact, Graph, DEFAULT_FACTS_LIMIT};
use crate::types::fusion::{fuse_scores, FusionParams, Signals};

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
        let text = match opts.query_text.as_deref() {
            Some(s) if s.trim().is_empty() => return Err(Error::invalid_argument("the query text is empty")),
            other => other,
        };
        let compiled = self.compile(&opts.filter)?;
        let now = opts.now.unwrap_or_else(now_micros);
        let w = &opts.weights;
        // (score, similarity, text score, recency, id) of the best k. Scoring works on slots;
        // only the best k are ranked fully and have their ids copied.
        let scored: Vec<(f64, Option<f64>, Option<f64>, f64, String)> = {
            let t = self.table();
            let n = opts.candidates.unwrap_or_else(|| default_recall_candidates(opts.k)).max(opts.k);
            let mode = match (opts.search, query, text) {
                (Some(SearchMode::Vector), None, _) => {
                    return Err(Error::invalid_argument("search mode 'vector' needs a query vector"))
                }
                (Some(SearchMode::Text), _, None) => return Err(Error::invalid_argument("search mode 'text' needs a query text")),
                (Some(SearchMode::Hybrid), q, x) if q.is_none() || x.is_none() => {
                    return Err(Error::invalid_argument("search mode 'hybrid' needs a query vector and a query text"))
                }
                (Some(m), _, _) => Some(m),
                (None, Some(_), Some(_)) if t.text.len() > 0 => Some(SearchMode::Hybrid),
                (None, None, Some(_)) => Some(SearchMode::Text),
                (None, Some(_), _) => Some(SearchMode::Vector),
                (None, None, None) => None,
            };
            if matches!(mode, Some(SearchMode::Text | SearchMode::Hybrid)) {
                let text = text.expect("text and hybrid modes have a query text");
                let q = if mode == Some(SearchMode::Hybrid) { query } else { None };
                let mut all = self.fused(&t, q, text, &compiled, n, now, w, opts.exact)?;
                let best_first = |a: &(f64, Option<f64>, Option<f64>, f64, usize), b: &(f64, Option<f64>, Option<f64>, f64, usize)| {
                    b.0.partial_cmp(&a.0).unwrap_or(CmpOrdering::Equal).then_with(|| t.row(a.4).id.cmp(&t.row(b.4).id))
                };
                if all.len() > opts.k {
                    all.select_nth_unstable_by(opts.k - 1, best_first);
                    all.truncate(opts.k);
                }
                all.sort_by(best_first);
                all.into_iter().map(|(score, sim, bm, rec, s)| (score, sim, bm, rec, t.row(s).id.clone())).collect()
            } else {
                let query = if mode == Some(SearchMode::Vector) { query } else { None };
                // (slot, raw similarity) of every memory that may be returned.
                let mut cands: Vec<(usize, Option<f64>)> = match query {
                    None => t.matching(&compiled).into_iter().map(|s| (s, None)).collect(),
                    Some(q) => self.vector_candidates(&t, q, &compiled, n, opts.exact)?.into_iter().map(|(s, x)| (s, Some(x))).collect(),
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
                all.into_iter().map(|(score, sim, rec, s)| (score, sim, None, rec, t.row(s).id.clone())).collect()
            }
        };
        let hits: Vec<MemoryHit> = if opts.touch && !self.shared.read_only && !scored.is_empty() {
            let mut t = self.table_mut();
            if t.pending.is_empty() {
                t.pending_since = Some(Instant::now());
            }
            let mut out = Vec::with_capacity(scored.len());
            for (score, similarity, text_score, recency, id) in scored {
                // A memory forgotten since it was scored is left out.
                let Some(r) = t.get_mut(&id) else { continue };
                r.last_accessed = now;
                r.access_count += 1;
                let record = r.record();
                t.pending.insert(id);
                out.push(MemoryHit { record, score, similarity, text_score, recency });
            }
            out
        } else {
            let t = self.table();
            scored
                .into_iter()
                .filter_map(|(score, similarity, text_score, recency, id)| {
                    t.get(&id).map(|r| MemoryHit { record: r.record(), score, similarity, text_score, recency })
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

/// A candidate of text or hybrid recall: (score, similarity, BM25, recency, slot).
type Fused = (f64, Option<f64>, Option<f64>, f64, usize);

impl Memory {
    /// `(slot, similarity)` of the memories passing the filter that may be the `n` most similar
    /// to `q`: every one when few enough to scan (then possibly more than `n`), else the `n`
    /// nearest by the HNSW graph.
    fn vector_candidates(&self, t: &Table, q: &[f32], compiled: &Compiled<'_>, n: usize, exact: bool) -> Result<Vec<(usize, f64)>> {
        let metric = self.metric();
        let allowed = t.count_matching(compiled);
        // Few enough to score them all; or so few of the store that a graph walk filtered down
        // to them would miss many (as the collection's own search does below 5%).
        if allowed <= exact_max(t.dim) || allowed * 20 < t.len() || exact {
            return Ok(t.distances(q, compiled).into_iter().map(|(s, d)| (s, similarity(metric, d))).collect());
        }
        let accept = |id: &str| t.get(id).is_some_and(|r| compiled.matches(r));
        let hits = self.shared.collection.with_mirror(|m| m.search_where(q, n, n.max(64), &accept))?;
        Ok(hits.into_iter().filter_map(|(id, d)| t.slot.get(&id).map(|&s| (s, similarity(metric, d)))).collect())
    }

    /// Text recall (`q = None`) and hybrid recall: the candidates and their scores.
    ///
    /// The text side is the `n` memories passing the filter with the highest BM25 (every memory
    /// is in the one in-memory index, written to Lance yet or not, so they are all ranked by the
    /// same statistics: see `text.rs`); the vector side the `n` most similar ones, found as
    /// vector recall finds them. Hybrid scores the union of both on both signals exactly (the
    /// similarity of a text-only candidate and the BM25 of a vector-only one are computed), then:
    ///
    /// ```text
    /// rrf:    x_v = (k+1) / (k + rank_v)      x_t = (k+1) / (k + rank_t)     (0 outside that side's n)
    /// linear: x_v = min-max(similarity)       x_t = bm25 / max bm25          (over the candidates)
    /// text mode: x_v = 0,  x_t = bm25 / max bm25
    /// fused = w_sim · x_v + w_text · x_t
    /// relevance mode: score = min-max(fused) · adjustment      linear mode: score = fused + strength
    /// ```
    /// so recency and importance apply exactly as in vector recall, with the fused relevance in
    /// the place of the similarity.
    #[allow(clippy::too_many_arguments)]
    fn fused(
        &self,
        t: &Table,
        q: Option<&[f32]>,
        text: &str,
        compiled: &Compiled<'_>,
        n: usize,
        now: i64,
        w: &RecallWeights,
        exact: bool,
    ) -> Result<Vec<Fused>> {
        let metric = self.metric();
        let by_id = |a: usize, b: usize| t.row(a).id.cmp(&t.row(b).id);
        let terms = t.text.query_terms(text);
        let accept = |s: usize| t.rows[s].as_ref().is_some_and(|r| compiled.matches(r));
        // BM25's statistics count the memories passing the filter (see `text.rs`).
        let (mut text_side, bm25) = if compiled.f.is_empty() {
            t.text.scores(&terms, None, t.text.corpus())
        } else {
            t.text.scores(&terms, Some(&accept), t.text.corpus_of(t.matching(compiled).into_iter()))
        };
        let best = |a: &(usize, f64), b: &(usize, f64)| b.1.partial_cmp(&a.1).unwrap_or(CmpOrdering::Equal).then_with(|| by_id(a.0, b.0));
        if text_side.len() > n {
            text_side.select_nth_unstable_by(n - 1, best);
            text_side.truncate(n);
        }
        text_side.sort_by(best);
        let mut vector_side = match q {
            Some(q) => self.vector_candidates(t, q, compiled, n, exact)?,
            None => Vec::new(),
        };
        if vector_side.len() > n {
            vector_side.select_nth_unstable_by(n - 1, best);
            vector_side.truncate(n);
        }
        vector_side.sort_by(best);
        // slot → (similarity, bm25, vector rank, text rank); ranks from 1.
        let mut cands: HashMap<usize, (Option<f64>, f64, Option<usize>, Option<usize>)> = HashMap::new();
        for (i, &(s, sim)) in vector_side.iter().enumerate() {
            cands.insert(s, (Some(sim), 0.0, Some(i + 1), None));
        }
        for (i, &(s, bm)) in text_side.iter().enumerate() {
            let e = cands.entry(s).or_insert((None, 0.0, None, None));
            e.1 = bm;
            e.3 = Some(i + 1);
        }
        if let Some(q) = q {
            let missing: Vec<usize> = cands.iter().filter(|(_, c)| c.0.is_none()).map(|(&s, _)| s).collect();
            for (s, d) in missing.iter().zip(t.distances_of(q, &missing)) {
                if let Some(c) = cands.get_mut(s) {
                    c.0 = Some(similarity(metric, d));
                }
            }
            for (&s, c) in cands.iter_mut() {
                if c.3.is_none() {
                    c.1 = t.text.score_of(s, &bm25);
                }
            }
        }
        // The fusion formula is the engine's one (`types/fusion.rs`), with memory's parameters;
        // text mode is linear fusion with no vector side.
        let (method, w_sim) = match q {
            None => (Fusion::Linear, 0.0),
            Some(_) => (w.fusion, w.similarity),
        };
        let params = FusionParams::memory(method, w_sim, w.text, w.rrf_k);
        let cands: Vec<(usize, Option<f64>, f64, Signals<f64>)> = cands
            .into_iter()
            .map(|(s, (sim, bm, rv, rt))| {
                (s, sim, bm, Signals::<f64> { vector_rank: rv.unwrap_or(0), vector: sim, text_rank: rt.unwrap_or(0), text: Some(bm) })
            })
            .collect();
        let signals: Vec<Signals<f64>> = cands.iter().map(|c| c.3).collect();
        let mut out: Vec<(f64, Option<f64>, f64, f64, usize)> = cands
            .into_iter()
            .zip(fuse_scores(&signals, &params))
            .map(|((s, sim, bm, _), fused)| (fused, sim, bm, w.recency(now.saturating_sub(t.row(s).last_accessed)), s))
            .collect();
        let (flo, fhi) = out.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.0), hi.max(c.0)));
        Ok(out
            .drain(..)
            .map(|(fused, sim, bm, rec, s)| {
                let imp = t.row(s).importance;
                let score = match w.mode {
                    RecallMode::Relevance => RecallWeights::normalized(fused, flo, fhi) * w.adjustment(rec, imp),
                    RecallMode::Linear => fused + w.strength(rec, imp),
                };
                (score, sim, Some(bm), rec, s)
            })
            .collect())
    }
}

/// What [`Memory::recall_with_graph`] returns: the memory hits and the graph's facts about what
/// the query mentions.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphRecall {
    pub hits: Vec<MemoryHit>,
    /// The facts of the entities the query text names, valid at the recall's time, each with its
    /// provenance: `sources` (the ids of the memories it was taken from), `valid_from`/`valid_to`
    /// and `confidence`. Per entity in order of first mention, by confidence then most recent
    /// validity (see [`Graph::facts_for_text`]).
    pub facts: Vec<Fact>,
}

impl GraphRecall {
    /// The facts taken from memory `id` (one of the hits or not).
    pub fn facts_from<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Fact> + 'a {
        self.facts.iter().filter(move |f| f.sources.iter().any(|s| s == id))
    }
}

impl Memory {
    /// [`Memory::recall`] with a knowledge graph: the same hits, plus the facts about the
    /// entities `opts.query_text` mentions (names and aliases as whole words, ignoring case; CJK
    /// by character), valid at the recall's time (`opts.now`, default now), at most
    /// `facts_limit` (`None`: [`DEFAULT_FACTS_LIMIT`]).
    ///
    /// The graph is a handle the caller passes, not one the store owns: which graph holds an
    /// agent's facts (one per agent, one per application, the store's own name) is the
    /// application's choice, and a memory store has no graph of its own on disk. Facts are
    /// looked up before the recall, so a bad graph argument fails without touching any memory.
    pub fn recall_with_graph(
        &self,
        query: Option<&[f32]>,
        opts: &RecallOptions,
        graph: &Graph,
        facts_limit: Option<usize>,
    ) -> Result<GraphRecall> {
        let Some(text) = opts.query_text.as_deref() else {
            return Err(Error::invalid_argument("recall with a graph needs a query text (its entities are looked up in the graph)"));
        };
        if text.trim().is_empty() {
            return Err(Error::invalid_argument("the query text is empty"));
        }
        let facts = graph.facts_for_text(text, opts.now, facts_limit.unwrap_or(DEFAULT_FACTS_LIMIT))?;
        let hits = self.recall(query, opts)?;
        Ok(GraphRecall { hits, facts })
    }
}
