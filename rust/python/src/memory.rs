//! `agentdb._native.Memory`: the binding of [`agentdb_engine::Memory`] that `agentdb/memory.py`
//! wraps. Arguments arrive as plain lists and keywords (the Python layer embeds texts and builds
//! them); every engine call runs with the GIL released; records come back as tuples.
//!
//! A record tuple is `(id, text, agent_id, session_id, kind, importance, created_at,
//! last_accessed, access_count, metadata, vector)` with datetimes in UTC and `vector` a float32
//! array, or `None` in recall hits.

use std::time::Duration;

use agentdb_engine::{
    ConsolidateOptions, ConsolidationReport, ErrorKind, Memory, MemoryFilter, MemoryKind, MemoryRecord, MemoryUpdate,
    NewMemory, RecallMode, RecallOptions, RecallWeights, SearchMode, TextTokenizer,
};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDict, PyList, PyString, PyTuple};

use crate::args::{opt_f64, opt_i64, opt_string, Flag, Float, Int, Text};
use crate::conversion::{
    datetime_to_micros, extract_filter, extract_ids, extract_metadata, extract_query, extract_vectors, metadata_to_dict,
    micros_to_datetime, non_negative,
};
use crate::errors::{new_err, OrRaise};

/// A memory store (see `agentdb.memory.Memory`).
#[pyclass(frozen, name = "Memory", module = "agentdb._native")]
pub struct PyMemory {
    inner: Memory,
}

impl PyMemory {
    pub fn new(inner: Memory) -> Self {
        PyMemory { inner }
    }

    /// The engine's handle, for the other binding files (stats).
    pub(crate) fn engine(&self) -> &Memory {
        &self.inner
    }
}

fn invalid(message: String) -> PyErr {
    new_err(ErrorKind::InvalidArgument, message)
}

fn micros(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<i64>> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(None),
        Some(o) => {
            let dt = o.cast::<PyDateTime>().map_err(|_| invalid(format!("{what} must be a datetime")))?;
            datetime_to_micros(dt).map(Some)
        }
    }
}

fn parse_kind(s: &str) -> PyResult<MemoryKind> {
    s.parse::<MemoryKind>().or_raise()
}

fn kinds_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<MemoryKind>>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(None) };
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Some(vec![parse_kind(&s.to_cow()?)?]));
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| invalid("kinds must be a str or a list of str".into()))? {
        let item = item?;
        let s: String = item.extract().map_err(|_| invalid("kinds must be a str or a list of str".into()))?;
        out.push(parse_kind(&s)?);
    }
    Ok(Some(out))
}

/// `(mode, similarity, recency, importance, half_life_secs, adjust, text, fusion, rrf_k)`, as
/// `RecallWeights._native()`
/// builds it from the fields of `agentdb.RecallWeights` (whose defaults come from
/// [`recall_weights_default`]); `None` for the defaults of the engine's options
/// (`RecallOptions`, `ConsolidateOptions`).
type WeightsArg = (String, f64, f64, f64, f64, f64, f64, String, f64);

fn weights_arg(w: WeightsArg) -> PyResult<RecallWeights> {
    let (mode, similarity, recency, importance, half_life_secs, adjust, text, fusion, rrf_k) = w;
    Ok(RecallWeights {
        mode: mode.parse::<RecallMode>().or_raise()?,
        similarity,
        recency,
        importance,
        half_life_secs,
        adjust,
        text,
        fusion: fusion.parse::<agentdb_engine::Fusion>().or_raise()?,
        rrf_k,
    })
}

/// A tokenizer name (`"simple"`, `"icu"`, `"ngram"`, `"ngram:2-3"`) to the engine's.
pub(crate) fn tokenizer_arg(name: &str) -> PyResult<TextTokenizer> {
    TextTokenizer::parse(name).or_raise()
}

/// The given weights, else `default` (the engine's for the call).
fn weights_or(w: Option<WeightsArg>, default: RecallWeights) -> PyResult<RecallWeights> {
    w.map_or(Ok(default), weights_arg)
}

/// The engine's memory kinds, recall modes and defaults of a new memory and of recall, as
/// attributes of `agentdb._native` (`agentdb/memory.py` reads them instead of keeping copies).
pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MEMORY_KINDS", PyTuple::new(py, MemoryKind::ALL.iter().map(|k| k.as_str()))?)?;
    m.add("RECALL_MODES", PyTuple::new(py, RecallMode::ALL.iter().map(|k| k.as_str()))?)?;
    m.add("SEARCH_MODES", PyTuple::new(py, SearchMode::ALL.iter().map(|k| k.as_str()))?)?;
    m.add("FUSIONS", PyTuple::new(py, agentdb_engine::Fusion::ALL.iter().map(|k| k.as_str()))?)?;
    m.add("DEFAULT_TEXT_TOKENIZER", TextTokenizer::default().name())?;
    // A memory given without kind or importance (`remember` fills them from `NewMemory::new`).
    let new = NewMemory::new(String::new());
    m.add("DEFAULT_MEMORY_KIND", new.kind.as_str())?;
    m.add("DEFAULT_IMPORTANCE", new.importance)?;
    // Recall's defaults besides `k` (which `RecallOptions::new` takes, so any k shows them).
    m.add("DEFAULT_RECALL_K", agentdb_engine::DEFAULT_RECALL_K)?;
    let recall = RecallOptions::new(1);
    m.add("DEFAULT_RECALL_TOUCH", recall.touch)?;
    m.add("DEFAULT_RECALL_EXACT", recall.exact)?;
    Ok(())
}

fn weights_dict(py: Python<'_>, w: RecallWeights) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("mode", w.mode.as_str())?;
    d.set_item("similarity", w.similarity)?;
    d.set_item("recency", w.recency)?;
    d.set_item("importance", w.importance)?;
    d.set_item("half_life", w.half_life_secs)?;
    d.set_item("adjust", w.adjust)?;
    d.set_item("text", w.text)?;
    d.set_item("fusion", w.fusion.as_str())?;
    d.set_item("rrf_k", w.rrf_k)?;
    Ok(d)
}

/// The engine's recall weights: `{"mode", "similarity", "recency", "importance", "half_life"
/// (seconds), "adjust", "text", "fusion", "rrf_k"}`; `linear=True`: the old linear default ([`RecallWeights::LINEAR`]).
#[pyfunction]
#[pyo3(signature = (linear=false))]
pub fn recall_weights_default(py: Python<'_>, linear: bool) -> PyResult<Bound<'_, PyDict>> {
    weights_dict(py, if linear { RecallWeights::LINEAR } else { RecallWeights::DEFAULT })
}

/// The engine's score for one memory ([`RecallWeights::score`]: in relevance mode `similarity`
/// is the normalised one), its recency for `age_seconds`, and its strength, as
/// `(score, recency, strength)`. Validates the weights as recall does.
#[pyfunction]
pub fn recall_score(weights: WeightsArg, similarity: Option<f64>, age_seconds: f64, importance: f64) -> PyResult<(f64, f64, f64)> {
    let w = weights_arg(weights)?;
    if !age_seconds.is_finite() {
        return Err(invalid(format!("age_seconds must be a finite number, got {age_seconds}")));
    }
    w.validate().or_raise()?;
    let recency = w.recency((age_seconds * 1e6) as i64);
    Ok((w.score(similarity, recency, importance), recency, w.strength(recency, importance)))
}

#[allow(clippy::too_many_arguments)]
fn filter_arg(
    agent_id: Option<String>,
    session_id: Option<String>,
    kinds: Option<&Bound<'_, PyAny>>,
    since: Option<&Bound<'_, PyAny>>,
    until: Option<&Bound<'_, PyAny>>,
    filter: Option<&Bound<'_, PyAny>>,
) -> PyResult<MemoryFilter> {
    Ok(MemoryFilter {
        agent_id,
        session_id,
        kinds: kinds_arg(kinds)?,
        since: micros(since, "since")?,
        until: micros(until, "until")?,
        where_: extract_filter(filter)?,
    })
}

fn record_tuple<'py>(py: Python<'py>, r: MemoryRecord, with_vector: bool) -> PyResult<Bound<'py, PyTuple>> {
    let vector: Bound<'py, PyAny> =
        if with_vector { PyArray1::from_vec(py, r.vector).into_any() } else { py.None().into_bound(py) };
    let items: Vec<Bound<'py, PyAny>> = vec![
        r.id.into_pyobject(py)?.into_any(),
        r.text.into_pyobject(py)?.into_any(),
        r.agent_id.into_pyobject(py)?.into_any(),
        r.session_id.into_pyobject(py)?.into_any(),
        r.kind.as_str().into_pyobject(py)?.into_any(),
        r.importance.into_pyobject(py)?.into_any(),
        micros_to_datetime(py, r.created_at)?,
        micros_to_datetime(py, r.last_accessed)?,
        r.access_count.into_pyobject(py)?.into_any(),
        metadata_to_dict(py, &r.metadata)?.into_any(),
        vector,
    ];
    PyTuple::new(py, items)
}

fn report_tuple<'py>(py: Python<'py>, r: ConsolidationReport) -> PyResult<Bound<'py, PyTuple>> {
    (r.merged, r.pruned, r.evicted).into_pyobject(py)
}

/// The consolidation settings given, the rest from `ConsolidateOptions::default()` (where each
/// step is off and the weights are the recall defaults).
#[allow(clippy::too_many_arguments)]
fn consolidate_options(
    agent_id: Option<String>,
    min_score: Option<f64>,
    capacity: Option<i64>,
    dedup_threshold: Option<f64>,
    weights: Option<WeightsArg>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<ConsolidateOptions> {
    let d = ConsolidateOptions::default();
    Ok(ConsolidateOptions {
        agent_id: agent_id.or(d.agent_id),
        min_score: min_score.or(d.min_score),
        capacity: match capacity {
            Some(c) => Some(non_negative("capacity", c)?),
            None => d.capacity,
        },
        dedup_threshold: dedup_threshold.or(d.dedup_threshold),
        weights: weights_or(weights, d.weights)?,
        now: micros(now, "now")?.or(d.now),
    })
}

/// One optional entry of a per-item list argument.
fn opt_str(list: &Bound<'_, PyList>, i: usize, what: &str) -> PyResult<Option<String>> {
    let item = list.get_item(i)?;
    if item.is_none() {
        return Ok(None);
    }
    item.extract::<String>().map(Some).map_err(|_| invalid(format!("memory {i}: {what} must be a str or None")))
}

#[pymethods]
impl PyMemory {
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    #[getter]
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    #[getter]
    fn metric(&self) -> &'static str {
        self.inner.metric().as_str()
    }

    /// Stores memories. Every list argument has one entry per memory (vectors: a 2-D array or a
    /// sequence of vectors). Returns the ids. A `None` kind or importance is the engine's default
    /// (`NewMemory::new`), decided there only.
    #[allow(clippy::too_many_arguments)]
    fn remember(
        &self,
        py: Python<'_>,
        vectors: &Bound<'_, PyAny>,
        ids: &Bound<'_, PyList>,
        texts: &Bound<'_, PyList>,
        agent_ids: &Bound<'_, PyList>,
        session_ids: &Bound<'_, PyList>,
        kinds: &Bound<'_, PyList>,
        importances: &Bound<'_, PyList>,
        metadata: &Bound<'_, PyList>,
        created_at: &Bound<'_, PyList>,
    ) -> PyResult<Vec<String>> {
        let n = agent_ids.len();
        for (what, l) in [
            ("ids", ids),
            ("texts", texts),
            ("session_ids", session_ids),
            ("kinds", kinds),
            ("importances", importances),
            ("metadata", metadata),
            ("created_at", created_at),
        ] {
            if l.len() != n {
                return Err(invalid(format!("{n} agent ids but {} {what}", l.len())));
            }
        }
        let labels: Vec<String> = (0..n).map(|i| format!("memory {i}")).collect();
        let meta = extract_metadata(metadata.as_any(), &labels)?;
        let mut items = Vec::with_capacity(n);
        for (i, meta) in meta.into_iter().enumerate() {
            let agent_id: String =
                agent_ids.get_item(i)?.extract().map_err(|_| invalid(format!("memory {i}: agent_id must be a str")))?;
            let defaults = NewMemory::new(agent_id);
            let kind = match opt_str(kinds, i, "kind")? {
                Some(k) => parse_kind(&k)?,
                None => defaults.kind,
            };
            let importance = importances.get_item(i)?;
            let importance: f64 = if importance.is_none() {
                defaults.importance
            } else {
                importance.extract().map_err(|_| invalid(format!("memory {i}: importance must be a number")))?
            };
            items.push(NewMemory {
                id: opt_str(ids, i, "id")?,
                text: opt_str(texts, i, "text")?,
                session_id: opt_str(session_ids, i, "session_id")?,
                kind,
                importance,
                metadata: meta,
                created_at: micros(Some(&created_at.get_item(i)?), "created_at")?,
                ..defaults
            });
        }
        let vectors = extract_vectors(vectors, "vectors")?;
        let v = vectors.as_vectors()?;
        let m = &self.inner;
        py.detach(|| m.remember(&items, v)).or_raise()
    }

    /// `[(record, score, similarity or None, recency, text score or None), …]`, best first.
    /// Options left `None` take the engine's defaults (`RecallOptions::new(k)`); `text` is the
    /// query text of text and hybrid recall, `mode` `"vector"`, `"text"` or `"hybrid"`.
    #[pyo3(signature = (query, k=None, agent_id=None, session_id=None, kinds=None, since=None, until=None, filter=None,
                        weights=None, touch=None, now=None, candidates=None, exact=None, text=None, mode=None))]
    #[allow(clippy::too_many_arguments)]
    fn recall<'py>(
        &self,
        py: Python<'py>,
        query: Option<&Bound<'py, PyAny>>,
        k: Option<Int>,
        agent_id: Option<Text>,
        session_id: Option<Text>,
        kinds: Option<&Bound<'py, PyAny>>,
        since: Option<&Bound<'py, PyAny>>,
        until: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        weights: Option<WeightsArg>,
        touch: Option<Flag>,
        now: Option<&Bound<'py, PyAny>>,
        candidates: Option<Int>,
        exact: Option<Flag>,
        text: Option<Text>,
        mode: Option<Text>,
    ) -> PyResult<Bound<'py, PyList>> {
        let query = query.filter(|q| !q.is_none()).map(extract_query).transpose()?;
        let q = query.as_ref().map(|q| q.as_slice()).transpose()?;
        let opts = recall_options(k, agent_id, session_id, kinds, since, until, filter, weights, touch, now, candidates, exact, text, mode)?;
        let m = &self.inner;
        let hits = py.detach(|| m.recall(q, &opts)).or_raise()?;
        hits_list(py, hits)
    }

    /// `(hits, facts)`: the hits of `recall` (same arguments) and the fact tuples of `graph`
    /// (as `Graph.facts_for_text` gives them) about the entities the query text mentions, valid
    /// at `now`, at most `graph_facts` (`None`: the engine's default).
    #[pyo3(signature = (graph, query, k=None, agent_id=None, session_id=None, kinds=None, since=None, until=None, filter=None,
                        weights=None, touch=None, now=None, candidates=None, exact=None, text=None, mode=None, graph_facts=None))]
    #[allow(clippy::too_many_arguments)]
    fn recall_with_graph<'py>(
        &self,
        py: Python<'py>,
        graph: PyRef<'py, crate::graph::PyGraph>,
        query: Option<&Bound<'py, PyAny>>,
        k: Option<Int>,
        agent_id: Option<Text>,
        session_id: Option<Text>,
        kinds: Option<&Bound<'py, PyAny>>,
        since: Option<&Bound<'py, PyAny>>,
        until: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        weights: Option<WeightsArg>,
        touch: Option<Flag>,
        now: Option<&Bound<'py, PyAny>>,
        candidates: Option<Int>,
        exact: Option<Flag>,
        text: Option<Text>,
        mode: Option<Text>,
        graph_facts: Option<Int>,
    ) -> PyResult<(Bound<'py, PyList>, Vec<Bound<'py, PyTuple>>)> {
        let query = query.filter(|q| !q.is_none()).map(extract_query).transpose()?;
        let q = query.as_ref().map(|q| q.as_slice()).transpose()?;
        let opts = recall_options(k, agent_id, session_id, kinds, since, until, filter, weights, touch, now, candidates, exact, text, mode)?;
        let limit = opt_i64(graph_facts).map(|l| non_negative("graph_facts", l)).transpose()?;
        let (m, g) = (&self.inner, graph.engine());
        let got = py.detach(|| m.recall_with_graph(q, &opts, g, limit)).or_raise()?;
        Ok((hits_list(py, got.hits)?, crate::graph::facts_list(py, &got.facts)?))
    }

    /// Record tuples (with vectors) of the ids found, in the order given.
    fn get<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let ids = extract_ids(ids)?;
        let m = &self.inner;
        let records = py.detach(|| m.get(&ids)).or_raise()?;
        PyList::new(py, records.into_iter().map(|r| record_tuple(py, r, true)).collect::<PyResult<Vec<_>>>()?)
    }

    #[pyo3(signature = (agent_id=None, session_id=None, kinds=None, since=None, until=None, filter=None))]
    #[allow(clippy::too_many_arguments)]
    fn count(
        &self,
        py: Python<'_>,
        agent_id: Option<Text>,
        session_id: Option<Text>,
        kinds: Option<&Bound<'_, PyAny>>,
        since: Option<&Bound<'_, PyAny>>,
        until: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let f = filter_arg(opt_string(agent_id), opt_string(session_id), kinds, since, until, filter)?;
        let m = &self.inner;
        py.detach(|| m.count(&f)).or_raise()
    }

    /// `set_text`: whether `text` is a change (then `None` removes the text).
    #[pyo3(signature = (id, set_text=Flag(false), text=None, importance=None, metadata=None, vector=None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        id: Text,
        set_text: Flag,
        text: Option<Text>,
        importance: Option<Float>,
        metadata: Option<&Bound<'_, PyAny>>,
        vector: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let (text, importance) = (opt_string(text), opt_f64(importance));
        let metadata = match metadata.filter(|m| !m.is_none()) {
            Some(m) => {
                let list = PyList::new(py, [m])?;
                extract_metadata(list.as_any(), &[id.0.clone()])?.pop()
            }
            None => None,
        };
        let vector = match vector.filter(|v| !v.is_none()) {
            Some(v) => Some(extract_query(v)?.as_slice()?.to_vec()),
            None => None,
        };
        let change = MemoryUpdate { text: set_text.then_some(text), importance, metadata, vector };
        let m = &self.inner;
        py.detach(|| m.update(&id, &change)).or_raise()
    }

    #[pyo3(signature = (ids=None, agent_id=None, session_id=None, kinds=None, since=None, until=None, filter=None))]
    #[allow(clippy::too_many_arguments)]
    fn forget(
        &self,
        py: Python<'_>,
        ids: Option<&Bound<'_, PyAny>>,
        agent_id: Option<Text>,
        session_id: Option<Text>,
        kinds: Option<&Bound<'_, PyAny>>,
        since: Option<&Bound<'_, PyAny>>,
        until: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let ids = ids.filter(|i| !i.is_none()).map(extract_ids).transpose()?;
        let f = filter_arg(opt_string(agent_id), opt_string(session_id), kinds, since, until, filter)?;
        let m = &self.inner;
        py.detach(|| m.forget(ids.as_deref(), &f)).or_raise()
    }

    /// `(merged [(kept, removed)], pruned, evicted)`.
    #[pyo3(signature = (agent_id=None, min_score=None, capacity=None, dedup_threshold=None, weights=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn consolidate<'py>(
        &self,
        py: Python<'py>,
        agent_id: Option<Text>,
        min_score: Option<Float>,
        capacity: Option<Int>,
        dedup_threshold: Option<Float>,
        weights: Option<WeightsArg>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let (agent_id, min_score, capacity) = (opt_string(agent_id), opt_f64(min_score), opt_i64(capacity));
        let dedup_threshold = opt_f64(dedup_threshold);
        let opts = consolidate_options(agent_id, min_score, capacity, dedup_threshold, weights, now)?;
        let m = &self.inner;
        let r = py.detach(|| m.consolidate(&opts)).or_raise()?;
        report_tuple(py, r)
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let m = &self.inner;
        py.detach(|| m.flush()).or_raise()
    }

    /// The text tokenizer's name (`TextTokenizer::name`).
    #[getter]
    fn text_tokenizer(&self) -> String {
        self.inner.text_tokenizer().name()
    }

    fn set_text_tokenizer(&self, py: Python<'_>, tokenizer: Text) -> PyResult<()> {
        let t = tokenizer_arg(&tokenizer)?;
        let m = &self.inner;
        py.detach(|| m.set_text_tokenizer(t)).or_raise()
    }

    #[getter]
    fn pending_writes(&self) -> usize {
        self.inner.pending_writes()
    }

    #[pyo3(signature = (every, agent_id=None, min_score=None, capacity=None, dedup_threshold=None, weights=None))]
    #[allow(clippy::too_many_arguments)]
    fn start_background(
        &self,
        py: Python<'_>,
        every: Float,
        agent_id: Option<Text>,
        min_score: Option<Float>,
        capacity: Option<Int>,
        dedup_threshold: Option<Float>,
        weights: Option<WeightsArg>,
    ) -> PyResult<()> {
        let every = *every;
        let (agent_id, min_score, capacity) = (opt_string(agent_id), opt_f64(min_score), opt_i64(capacity));
        let dedup_threshold = opt_f64(dedup_threshold);
        if !every.is_finite() || every <= 0.0 || every > 1e9 {
            return Err(invalid(format!("every must be a positive number of seconds, got {every}")));
        }
        let opts = consolidate_options(agent_id, min_score, capacity, dedup_threshold, weights, None)?;
        let m = &self.inner;
        py.detach(|| m.start_background(Duration::from_secs_f64(every), opts)).or_raise()
    }

    fn stop_background(&self, py: Python<'_>) {
        let m = &self.inner;
        py.detach(|| m.stop_background())
    }

    #[getter]
    fn background_running(&self) -> bool {
        self.inner.background_running()
    }

    /// The report of the last background run, `None` before the first; raises its error if it
    /// failed.
    fn last_background_run<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        match self.inner.last_background_run() {
            None => Ok(None),
            Some(r) => report_tuple(py, r.or_raise()?).map(Some),
        }
    }

    fn __repr__(&self) -> String {
        format!("_native.Memory(name={:?}, dim={})", self.inner.name(), self.inner.dim())
    }
}

/// Opens (creating when `dim` is given) the memory store `name` of a database.
#[pyfunction]
#[pyo3(signature = (db, name, dim=None, metric=None))]
pub fn open_memory(
    py: Python<'_>,
    db: &crate::database::PyDatabase,
    name: Text,
    dim: Option<Int>,
    metric: Option<Text>,
) -> PyResult<PyMemory> {
    let dim = opt_i64(dim).map(|d| non_negative("dim", d)).transpose()?;
    let metric = metric.map(|m| m.parse::<agentdb_engine::Metric>()).transpose().or_raise()?;
    let db = db.engine();
    let m = py.detach(|| db.memory(&name, dim, metric)).or_raise()?;
    Ok(PyMemory::new(m))
}

/// The names of a database's memory stores, sorted.
#[pyfunction]
pub fn list_memories(py: Python<'_>, db: &crate::database::PyDatabase) -> PyResult<Vec<String>> {
    let db = db.engine();
    py.detach(|| db.list_memories()).or_raise()
}

/// Deletes a memory store and all its memories.
#[pyfunction]
pub fn drop_memory(py: Python<'_>, db: &crate::database::PyDatabase, name: Text) -> PyResult<()> {
    let db = db.engine();
    py.detach(|| db.drop_memory(&name)).or_raise()
}

/// The engine's recall options from `recall`'s arguments (`None`: `RecallOptions::new(k)`'s).
#[allow(clippy::too_many_arguments)]
fn recall_options(
    k: Option<Int>,
    agent_id: Option<Text>,
    session_id: Option<Text>,
    kinds: Option<&Bound<'_, PyAny>>,
    since: Option<&Bound<'_, PyAny>>,
    until: Option<&Bound<'_, PyAny>>,
    filter: Option<&Bound<'_, PyAny>>,
    weights: Option<WeightsArg>,
    touch: Option<Flag>,
    now: Option<&Bound<'_, PyAny>>,
    candidates: Option<Int>,
    exact: Option<Flag>,
    text: Option<Text>,
    mode: Option<Text>,
) -> PyResult<RecallOptions> {
    let search = opt_string(mode).map(|m| m.parse::<SearchMode>()).transpose().or_raise()?;
    let k = k.map_or(Ok(agentdb_engine::DEFAULT_RECALL_K), |k| non_negative("k", *k))?;
    let d = RecallOptions::new(k);
    Ok(RecallOptions {
        filter: filter_arg(opt_string(agent_id), opt_string(session_id), kinds, since, until, filter)?,
        weights: weights_or(weights, d.weights)?,
        touch: touch.map_or(d.touch, |t| *t),
        now: micros(now, "now")?.or(d.now),
        candidates: match opt_i64(candidates) {
            Some(c) => Some(non_negative("candidates", c)?),
            None => d.candidates,
        },
        exact: exact.map_or(d.exact, |e| *e),
        query_text: opt_string(text),
        search,
        ..d
    })
}

/// Hits as `recall` returns them.
fn hits_list(py: Python<'_>, hits: Vec<agentdb_engine::MemoryHit>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for h in hits {
        out.append((record_tuple(py, h.record, false)?, h.score, h.similarity, h.recency, h.text_score))?;
    }
    Ok(out)
}
