//! `Memory`: the binding of [`agentdb_engine::Memory`], an agent's long-term memories (remember,
//! recall ranked by similarity, recency and importance, forget, consolidate).

use agentdb_engine::serde_json::Value as J;
use agentdb_engine::{
    ConsolidateOptions, ConsolidationReport, Memory as EngineMemory, MemoryFilter, MemoryKind, MemoryRecord as EngineRecord,
    MemoryUpdate, NewMemory, RecallMode, RecallOptions, RecallWeights, Result,
};
use napi::bindgen_prelude::{Either, Float32Array, Unknown};
use napi_derive::napi;

use crate::conversion::{filter_arg, metadata_out, micros_to_ms, ms_to_micros, one_metadata, opt_usize, VectorsArg};
use crate::task::{self, Promise};

/// A memory to store. Left out: the engine's defaults (a generated id, kind "episodic",
/// importance 0.5, formed now).
#[napi(object)]
pub struct NewMemoryArg<'a> {
    pub agent_id: String,
    pub id: Option<String>,
    pub text: Option<String>,
    pub session_id: Option<String>,
    pub kind: Option<String>,
    pub importance: Option<f64>,
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub metadata: Option<Unknown<'a>>,
    /// When the memory was formed, ms since the epoch.
    pub created_at: Option<f64>,
}

/// Recall weights; each left out takes the engine's default.
#[napi(object)]
pub struct RecallWeightsArg {
    /// "relevance" or "linear".
    pub mode: Option<String>,
    pub similarity: Option<f64>,
    pub recency: Option<f64>,
    pub importance: Option<f64>,
    pub half_life_secs: Option<f64>,
    pub adjust: Option<f64>,
    /// The text (BM25) ranking's weight in text and hybrid recall.
    pub text: Option<f64>,
    /// How hybrid recall fuses the rankings: "linear" or "rrf".
    pub fusion: Option<String>,
    /// RRF's rank constant.
    pub rrf_k: Option<f64>,
}

/// Which memories: every condition given must hold.
#[napi(object)]
pub struct MemoryQuery<'a> {
    pub ids: Option<Vec<String>>,
    pub agent_id: Option<String>,
    pub session_id: Option<String>,
    pub kinds: Option<Vec<String>>,
    /// Formed at or after (ms since the epoch).
    pub since: Option<f64>,
    /// Formed before (ms since the epoch).
    pub until: Option<f64>,
    /// A collection filter over the memory columns (SQL text or a dict).
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
}

#[napi(object)]
pub struct RecallOptionsArg<'a> {
    pub k: Option<f64>,
    pub agent_id: Option<String>,
    pub session_id: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub since: Option<f64>,
    pub until: Option<f64>,
    #[napi(ts_type = "string | Record<string, unknown> | null")]
    pub filter: Option<Unknown<'a>>,
    pub weights: Option<RecallWeightsArg>,
    /// Update the access statistics of the memories returned.
    pub touch: Option<bool>,
    /// The time recency is measured at (ms since the epoch).
    pub now: Option<f64>,
    pub candidates: Option<f64>,
    pub exact: Option<bool>,
    /// The query's text, for text and hybrid recall (BM25 over the memory texts).
    pub query_text: Option<String>,
    /// "vector", "text" or "hybrid" (default: hybrid with a vector, a text and stored texts).
    pub search: Option<String>,
}

#[napi(object)]
pub struct ConsolidateOptionsArg {
    pub agent_id: Option<String>,
    pub min_score: Option<f64>,
    pub capacity: Option<f64>,
    pub dedup_threshold: Option<f64>,
    pub weights: Option<RecallWeightsArg>,
    pub now: Option<f64>,
}

/// A change to one memory; fields left out stay as they are.
#[napi(object)]
pub struct MemoryChange<'a> {
    pub text: Option<String>,
    /// Remove the text.
    pub clear_text: Option<bool>,
    pub importance: Option<f64>,
    #[napi(ts_type = "Record<string, unknown> | null")]
    pub metadata: Option<Unknown<'a>>,
    pub vector: Option<Float32Array>,
}

#[napi(object, object_from_js = false)]
pub struct MemoryRecord {
    pub id: String,
    pub text: Option<String>,
    pub agent_id: String,
    pub session_id: Option<String>,
    pub kind: String,
    pub importance: f64,
    /// Milliseconds since the epoch.
    pub created_at: f64,
    pub last_accessed: f64,
    pub access_count: f64,
    #[napi(ts_type = "Record<string, unknown>")]
    pub metadata: J,
    /// Set by `get`; null in recall hits.
    pub vector: Option<Float32Array>,
}

#[napi(object, object_from_js = false)]
pub struct MemoryHit {
    pub record: MemoryRecord,
    pub score: f64,
    pub similarity: Option<f64>,
    /// The BM25 score, when the text ranking found this memory.
    pub text_score: Option<f64>,
    pub recency: f64,
}

/// What `recallWithGraph` resolves to: the hits and the graph's facts about the query.
#[napi(object, object_from_js = false)]
pub struct GraphRecall {
    pub hits: Vec<MemoryHit>,
    pub facts: Vec<crate::graph::Fact>,
}

#[napi(object, object_from_js = false)]
pub struct Consolidation {
    /// `[kept, removed]` pairs: `removed` was merged into `kept`.
    pub merged: Vec<Vec<String>>,
    pub pruned: Vec<String>,
    pub evicted: Vec<String>,
}

fn record_out(r: EngineRecord, with_vector: bool) -> MemoryRecord {
    MemoryRecord {
        metadata: metadata_out(&r.metadata),
        vector: with_vector.then(|| Float32Array::new(r.vector)),
        id: r.id,
        text: r.text,
        agent_id: r.agent_id,
        session_id: r.session_id,
        kind: r.kind.as_str().to_owned(),
        importance: r.importance,
        created_at: micros_to_ms(r.created_at),
        last_accessed: micros_to_ms(r.last_accessed),
        access_count: r.access_count as f64,
    }
}

fn recall_options(opts: Option<RecallOptionsArg<'_>>) -> Result<RecallOptions> {
    let Some(o) = opts else { return Ok(RecallOptions::new(agentdb_engine::DEFAULT_RECALL_K)) };
    let d = RecallOptions::new(opt_usize("k", o.k)?.unwrap_or(agentdb_engine::DEFAULT_RECALL_K));
    Ok(RecallOptions {
        filter: memory_filter(o.agent_id, o.session_id, o.kinds, o.since, o.until, o.filter)?,
        weights: weights(o.weights, d.weights)?,
        touch: o.touch.unwrap_or(d.touch),
        now: time(o.now, "now")?.or(d.now),
        candidates: opt_usize("candidates", o.candidates)?.or(d.candidates),
        exact: o.exact.unwrap_or(d.exact),
        query_text: o.query_text,
        search: o.search.as_deref().map(|m| m.parse()).transpose()?,
        ..d
    })
}

fn hit_out(h: agentdb_engine::MemoryHit) -> MemoryHit {
    MemoryHit { record: record_out(h.record, false), score: h.score, similarity: h.similarity, text_score: h.text_score, recency: h.recency }
}

fn report_out(r: ConsolidationReport) -> Consolidation {
    Consolidation { merged: r.merged.into_iter().map(|(a, b)| vec![a, b]).collect(), pruned: r.pruned, evicted: r.evicted }
}

fn time(v: Option<f64>, what: &str) -> Result<Option<i64>> {
    v.map(|ms| ms_to_micros(ms, what)).transpose()
}

fn kinds(v: Option<Vec<String>>) -> Result<Option<Vec<MemoryKind>>> {
    v.map(|ks| ks.iter().map(|k| k.parse::<MemoryKind>()).collect()).transpose()
}

fn weights(w: Option<RecallWeightsArg>, d: RecallWeights) -> Result<RecallWeights> {
    let Some(w) = w else { return Ok(d) };
    Ok(RecallWeights {
        mode: w.mode.as_deref().map_or(Ok(d.mode), |m| m.parse::<RecallMode>())?,
        similarity: w.similarity.unwrap_or(d.similarity),
        recency: w.recency.unwrap_or(d.recency),
        importance: w.importance.unwrap_or(d.importance),
        half_life_secs: w.half_life_secs.unwrap_or(d.half_life_secs),
        adjust: w.adjust.unwrap_or(d.adjust),
        text: w.text.unwrap_or(d.text),
        fusion: w.fusion.as_deref().map_or(Ok(d.fusion), |f| f.parse())?,
        rrf_k: w.rrf_k.unwrap_or(d.rrf_k),
    })
}

#[allow(clippy::too_many_arguments)]
fn memory_filter(
    agent_id: Option<String>,
    session_id: Option<String>,
    ks: Option<Vec<String>>,
    since: Option<f64>,
    until: Option<f64>,
    filter: Option<Unknown<'_>>,
) -> Result<MemoryFilter> {
    Ok(MemoryFilter {
        agent_id,
        session_id,
        kinds: kinds(ks)?,
        since: time(since, "since")?,
        until: time(until, "until")?,
        where_: filter_arg(filter)?,
    })
}

fn query_arg(q: Option<MemoryQuery<'_>>) -> Result<(Option<Vec<String>>, MemoryFilter)> {
    let Some(q) = q else { return Ok((None, MemoryFilter::default())) };
    Ok((q.ids, memory_filter(q.agent_id, q.session_id, q.kinds, q.since, q.until, q.filter)?))
}

/// A memory store (`db.memory(name, { dim })`).
#[napi]
pub struct Memory {
    pub(crate) inner: EngineMemory,
}

impl Memory {
    pub fn new(inner: EngineMemory) -> Self {
        Memory { inner }
    }
}

#[napi]
impl Memory {
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    #[napi(getter)]
    pub fn dim(&self) -> u32 {
        u32::try_from(self.inner.dim()).unwrap_or(u32::MAX)
    }

    #[napi(getter)]
    pub fn metric(&self) -> &'static str {
        self.inner.metric().as_str()
    }

    /// Stores memories with their embeddings (`vectors`: one flat `Float32Array` of
    /// `items.length × dim` values, or one per item); resolves to their ids.
    #[napi(strict, ts_return_type = "Promise<string[]>")]
    pub fn remember(&self, items: Vec<NewMemoryArg<'_>>, vectors: Either<Float32Array, Vec<Float32Array>>) -> Promise<Vec<String>> {
        let m = self.inner.clone();
        let vectors = VectorsArg::new(vectors);
        let args = items
            .into_iter()
            .enumerate()
            .map(|(i, it)| {
                let d = NewMemory::new(it.agent_id);
                Ok(NewMemory {
                    id: it.id,
                    text: it.text,
                    session_id: it.session_id,
                    kind: it.kind.as_deref().map_or(Ok(d.kind), |k| k.parse::<MemoryKind>())?,
                    importance: it.importance.unwrap_or(d.importance),
                    metadata: match it.metadata {
                        Some(v) => one_metadata(v, &format!("items[{i}].metadata"))?,
                        None => d.metadata.clone(),
                    },
                    created_at: time(it.created_at, "createdAt")?,
                    ..d
                })
            })
            .collect::<Result<Vec<_>>>();
        task::with(args, move |items| m.remember(&items, vectors.as_vectors(m.dim())?))
    }

    /// The best memories for `query` (or, with null, by recency and importance alone), best
    /// first.
    #[napi(strict, ts_return_type = "Promise<MemoryHit[]>")]
    pub fn recall(&self, query: Option<Float32Array>, opts: Option<RecallOptionsArg<'_>>) -> Promise<Vec<MemoryHit>> {
        let m = self.inner.clone();
        task::with(recall_options(opts), move |opts| Ok(m.recall(query.as_deref(), &opts)?.into_iter().map(hit_out).collect()))
    }

    /// `recall` with a knowledge graph: the same hits, and `graph`'s facts about the entities
    /// the query text (`queryText`, required) names, valid at the recall's time (`now`, default
    /// now), at most `factsLimit` (default the engine's), each with its provenance (`sources`:
    /// the memories it was taken from; validity; confidence).
    #[napi(strict, ts_return_type = "Promise<GraphRecall>")]
    pub fn recall_with_graph(
        &self,
        graph: &crate::graph::Graph,
        query: Option<Float32Array>,
        opts: Option<RecallOptionsArg<'_>>,
        facts_limit: Option<f64>,
    ) -> Promise<GraphRecall> {
        let (m, g) = (self.inner.clone(), graph.inner.clone());
        let args = recall_options(opts).and_then(|o| Ok((o, opt_usize("factsLimit", facts_limit)?)));
        task::with(args, move |(opts, limit)| {
            let got = m.recall_with_graph(query.as_deref(), &opts, &g, limit)?;
            Ok(GraphRecall { hits: got.hits.into_iter().map(hit_out).collect(), facts: crate::graph::facts_out(got.facts) })
        })
    }

    /// The memories of `ids` found (with their vectors), in the order given.
    #[napi(strict, ts_return_type = "Promise<MemoryRecord[]>")]
    pub fn get(&self, ids: Vec<String>) -> Promise<Vec<MemoryRecord>> {
        let m = self.inner.clone();
        task::run(move || Ok(m.get(&ids)?.into_iter().map(|r| record_out(r, true)).collect()))
    }

    /// How many memories match (`ids` is not used here).
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn count(&self, query: Option<MemoryQuery<'_>>) -> Promise<f64> {
        let m = self.inner.clone();
        task::with(query_arg(query), move |(_, filter)| Ok(m.count(&filter)? as f64))
    }

    /// Changes one memory.
    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn update(&self, id: String, change: MemoryChange<'_>) -> Promise<()> {
        let m = self.inner.clone();
        let args = (|| {
            let text = if change.clear_text.unwrap_or(false) { Some(None) } else { change.text.map(Some) };
            Ok(MemoryUpdate {
                text,
                importance: change.importance,
                metadata: change.metadata.map(|v| one_metadata(v, "metadata")).transpose()?,
                vector: change.vector.map(|v| v.to_vec()),
            })
        })();
        task::with(args, move |change| m.update(&id, &change))
    }

    /// Deletes the memories matching `query` (ids and/or filters); resolves to how many.
    #[napi(strict, ts_return_type = "Promise<number>")]
    pub fn forget(&self, query: MemoryQuery<'_>) -> Promise<f64> {
        let m = self.inner.clone();
        task::with(query_arg(Some(query)), move |(ids, filter)| Ok(m.forget(ids.as_deref(), &filter)? as f64))
    }

    /// Merges near-duplicates, prunes decayed memories and enforces a capacity (each step only
    /// when its option is given).
    #[napi(strict, ts_return_type = "Promise<Consolidation>")]
    pub fn consolidate(&self, opts: Option<ConsolidateOptionsArg>) -> Promise<Consolidation> {
        let m = self.inner.clone();
        let args = (|| {
            let d = ConsolidateOptions::default();
            let Some(o) = opts else { return Ok(d) };
            Ok(ConsolidateOptions {
                agent_id: o.agent_id.or(d.agent_id),
                min_score: o.min_score.or(d.min_score),
                capacity: opt_usize("capacity", o.capacity)?.or(d.capacity),
                dedup_threshold: o.dedup_threshold.or(d.dedup_threshold),
                weights: weights(o.weights, d.weights)?,
                now: time(o.now, "now")?.or(d.now),
            })
        })();
        task::with(args, move |opts| Ok(report_out(m.consolidate(&opts)?)))
    }

    #[napi(strict, ts_return_type = "Promise<void>")]
    pub fn flush(&self) -> Promise<()> {
        let m = self.inner.clone();
        task::run(move || m.flush())
    }
}
