//! `agentdb._native.Rag` and the chunking functions: the binding of [`agentdb_engine::rag`] and
//! [`agentdb_engine::chunk`] that `agentdb/rag.py` wraps. Engine calls run with the GIL released;
//! the embedder and an optional tokenizer are Python callables the engine calls back (re-taking
//! the GIL for each call). An exception raised by a callback is re-raised as it is. An option
//! left `None` takes the engine's default (`ChunkOptions`, `RetrieveOptions`, `ContextOptions`).

use std::sync::Mutex;

use agentdb_engine::chunk::{self, ApproxTokens, ChunkOptions, SizeUnit, TextFormat, TokenCounter};
use agentdb_engine::rag::{Citation, ContextOptions, Document, RagHit, RetrievalMode, RetrieveOptions};
use agentdb_engine::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::args::{opt_f64, opt_i64, Flag, Float, Int, Text};
use crate::conversion::{
    extract_filter, extract_ids, extract_query, extract_vectors, metadata_to_dict, non_negative, to_value,
};
use crate::database::PyDatabase;
use crate::errors::{new_err, OrRaise};

/// A Python exception from a callback, kept until the engine call returns.
#[derive(Default)]
struct Raised(Mutex<Option<PyErr>>);

impl Raised {
    /// Records `e` (the first one wins) and returns the engine error that unwinds the call.
    fn keep(&self, e: PyErr, what: &str) -> Error {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(e);
        Error::new(ErrorKind::InvalidArgument, format!("the {what} raised an exception"))
    }

    /// The callback's exception if there was one, else the engine's error.
    fn or(self, e: Error) -> PyErr {
        match self.0.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(py_err) => py_err,
            None => crate::errors::to_py(e),
        }
    }
}

/// A Python callable `str -> int` as the engine's token counter.
struct PyTokenizer<'a> {
    f: &'a Py<PyAny>,
    raised: &'a Raised,
}

impl TokenCounter for PyTokenizer<'_> {
    fn count(&self, text: &str) -> usize {
        Python::attach(|py| {
            let r = self.f.call1(py, (text,)).and_then(|n| n.extract::<usize>(py));
            match r {
                Ok(n) => n,
                Err(e) => {
                    let _ = self.raised.keep(e, "tokenizer");
                    // Counting everything as over budget ends the engine's loops quickly; the
                    // exception is raised when the call returns.
                    usize::MAX / 4
                }
            }
        })
    }
}

/// Runs `f` with the token counter chosen from Python (`None`: the engine's approximation).
fn with_counter<T>(tokenizer: Option<&Py<PyAny>>, raised: &Raised, f: impl FnOnce(&dyn TokenCounter) -> T) -> T {
    match tokenizer {
        Some(t) => f(&PyTokenizer { f: t, raised }),
        None => f(&ApproxTokens),
    }
}

/// Fails if a callback raised, even when the engine call itself went through.
fn check_raised<T>(r: Result<T, Error>, raised: Raised) -> PyResult<T> {
    match r {
        Ok(v) => match raised.0.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e),
            None => Ok(v),
        },
        Err(e) => Err(raised.or(e)),
    }
}

/// `format` parsed by the engine; `None`: `TextFormat::default()`.
fn text_format(format: Option<&str>) -> PyResult<TextFormat> {
    format.map_or(Ok(TextFormat::default()), str::parse::<TextFormat>).or_raise()
}

/// The engine's RAG retrieval, context and chunking defaults, as attributes of
/// `agentdb._native` (`agentdb/rag.py` and its docstrings read them instead of keeping copies).
pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let r = RetrieveOptions::default();
    m.add("DEFAULT_RAG_K", r.k)?;
    m.add("DEFAULT_RAG_MODE", r.mode.as_str())?;
    m.add("DEFAULT_RAG_VECTOR_WEIGHT", f64::from(r.vector_weight))?;
    m.add("DEFAULT_RAG_TEXT_WEIGHT", f64::from(r.text_weight))?;
    m.add("DEFAULT_RAG_RRF_K", f64::from(r.rrf_k))?;
    let c = ContextOptions::default();
    m.add("DEFAULT_CONTEXT_MAX_TOKENS", c.max_tokens)?;
    m.add("DEFAULT_CONTEXT_K", c.retrieve.k)?;
    m.add("DEFAULT_CONTEXT_DOCUMENT_ORDER", c.document_order)?;
    let ch = ChunkOptions::default();
    m.add("DEFAULT_CHUNK_SIZE", ch.size)?;
    m.add("DEFAULT_CHUNK_OVERLAP", ch.overlap)?;
    m.add("DEFAULT_CHUNK_UNIT", ch.unit.as_str())?;
    m.add("DEFAULT_TEXT_FORMAT", TextFormat::default().as_str())?;
    Ok(())
}

/// The retrieval mode `mode` names (any spelling the engine accepts, e.g. `"bm25"`) as its
/// canonical name, `"hybrid"`, `"vector"` or `"text"`; `None`: the engine's default mode.
#[pyfunction]
#[pyo3(signature = (mode=None))]
pub fn retrieval_mode(mode: Option<Text>) -> PyResult<&'static str> {
    let m = mode.map_or(Ok(RetrieveOptions::default().mode), |m| m.parse::<RetrievalMode>()).or_raise()?;
    Ok(m.as_str())
}

fn chunk_options(size: Option<Int>, overlap: Option<Int>, unit: Option<Text>) -> PyResult<ChunkOptions> {
    let d = ChunkOptions::default();
    Ok(ChunkOptions {
        size: opt_i64(size).map_or(Ok(d.size), |s| non_negative("size", s))?,
        overlap: opt_i64(overlap).map_or(Ok(d.overlap), |o| non_negative("overlap", o))?,
        unit: unit.map_or(Ok(d.unit), |u| u.parse::<SizeUnit>()).or_raise()?,
    })
}

/// `[(text, char_start, char_end, headings, tokens), …]`: `text` cut into chunks.
#[pyfunction]
#[pyo3(signature = (text, format=None, size=None, overlap=None, unit=None, tokenizer=None))]
pub fn chunk_text(
    py: Python<'_>,
    text: Text,
    format: Option<Text>,
    size: Option<Int>,
    overlap: Option<Int>,
    unit: Option<Text>,
    tokenizer: Option<Py<PyAny>>,
) -> PyResult<Vec<(String, usize, usize, Vec<String>, usize)>> {
    let options = chunk_options(size, overlap, unit)?;
    let format = text_format(format.as_deref())?;
    let raised = Raised::default();
    let r = py.detach(|| with_counter(tokenizer.as_ref(), &raised, |c| chunk::chunk(&text, format, &options, c)));
    let chunks = check_raised(r, raised)?;
    Ok(chunks.into_iter().map(|c| (c.text, c.char_start, c.char_end, c.headings, c.tokens)).collect())
}

/// The engine's token approximation of `text`.
#[pyfunction]
pub fn count_tokens(text: Text) -> usize {
    chunk::approx_tokens(&text)
}

/// Names of the RAG stores of a database.
#[pyfunction]
pub fn list_rags(py: Python<'_>, db: &PyDatabase) -> PyResult<Vec<String>> {
    let db = db.engine();
    py.detach(|| db.list_rags()).or_raise()
}

/// Deletes a RAG store and its chunks.
#[pyfunction]
pub fn drop_rag(py: Python<'_>, db: &PyDatabase, name: Text) -> PyResult<()> {
    let db = db.engine();
    py.detach(|| db.drop_rag(&name)).or_raise()
}

/// A RAG store (see `agentdb.rag.Rag`).
#[pyclass(frozen, name = "Rag", module = "agentdb._native")]
pub struct PyRag {
    inner: agentdb_engine::rag::Rag,
}

impl PyRag {
    /// The engine's RAG store, for the other binding files (stats).
    pub(crate) fn engine(&self) -> &agentdb_engine::rag::Rag {
        &self.inner
    }
}

type HitTuple<'py> = Bound<'py, PyTuple>;

fn hit_tuple<'py>(py: Python<'py>, h: RagHit) -> PyResult<HitTuple<'py>> {
    let meta = metadata_to_dict(py, &h.metadata)?;
    let items: Vec<Bound<'py, PyAny>> = vec![
        h.id.into_pyobject(py)?.into_any(),
        h.doc_id.into_pyobject(py)?.into_any(),
        h.source.into_pyobject(py)?.into_any(),
        h.position.into_pyobject(py)?.into_any(),
        h.char_start.into_pyobject(py)?.into_any(),
        h.char_end.into_pyobject(py)?.into_any(),
        h.heading.into_pyobject(py)?.into_any(),
        h.text.into_pyobject(py)?.into_any(),
        h.score.into_pyobject(py)?.into_any(),
        h.vector_rank.into_pyobject(py)?.into_any(),
        h.distance.into_pyobject(py)?.into_any(),
        h.text_rank.into_pyobject(py)?.into_any(),
        h.bm25.into_pyobject(py)?.into_any(),
        meta.into_any(),
    ];
    PyTuple::new(py, items)
}

fn citation_tuple<'py>(py: Python<'py>, c: Citation) -> PyResult<Bound<'py, PyTuple>> {
    (c.number, c.doc_id, c.source, c.heading, c.positions, c.char_start, c.char_end).into_pyobject(py)
}

/// The retrieval options given, the rest from `defaults` (the engine's for the call).
#[allow(clippy::too_many_arguments)]
fn retrieve_options(
    defaults: RetrieveOptions,
    k: Option<Int>,
    mode: Option<Text>,
    vector_weight: Option<Float>,
    text_weight: Option<Float>,
    rrf_k: Option<Float>,
    candidates: Option<Int>,
    mmr_lambda: Option<Float>,
    filter: Option<&Bound<'_, PyAny>>,
) -> PyResult<RetrieveOptions> {
    let d = defaults;
    let f32_or = |v: Option<Float>, default: f32| opt_f64(v).map_or(default, |x| x as f32);
    Ok(RetrieveOptions {
        k: opt_i64(k).map_or(Ok(d.k), |k| non_negative("k", k))?,
        mode: mode.map_or(Ok(d.mode), |m| m.parse::<RetrievalMode>()).or_raise()?,
        vector_weight: f32_or(vector_weight, d.vector_weight),
        text_weight: f32_or(text_weight, d.text_weight),
        rrf_k: f32_or(rrf_k, d.rrf_k),
        candidates: match opt_i64(candidates) {
            Some(c) => Some(non_negative("candidates", c)?),
            None => d.candidates,
        },
        mmr_lambda: opt_f64(mmr_lambda).map(|m| m as f32).or(d.mmr_lambda),
        filter: extract_filter(filter)?,
    })
}

#[pymethods]
impl PyRag {
    /// Opens RAG `name` of `db`, creating it for `dim`-dimensional embeddings if needed.
    #[new]
    #[pyo3(signature = (db, name, dim, metric=None))]
    fn new(py: Python<'_>, db: &PyDatabase, name: Text, dim: Int, metric: Option<Text>) -> PyResult<Self> {
        let dim = non_negative("dim", *dim)?;
        let metric = crate::database::parse_metric(metric)?;
        let db = db.engine();
        let inner = py.detach(|| db.rag(&name, dim, metric)).or_raise()?;
        Ok(PyRag { inner })
    }

    /// Opens an existing RAG (its dimension and metric are stored).
    #[staticmethod]
    fn open(py: Python<'_>, db: &PyDatabase, name: Text) -> PyResult<Self> {
        let db = db.engine();
        let inner = py.detach(|| db.open_rag(&name)).or_raise()?;
        Ok(PyRag { inner })
    }

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

    /// `docs`: `[(id, text, source | None, format | None, metadata | None), …]` (a `None` format:
    /// the engine's default); `embed(list[str])` returns
    /// an `(n, dim)` array. Returns `[(doc_id, status, chunks), …]`.
    #[pyo3(signature = (docs, embed, size=None, overlap=None, unit=None, force=Flag(false), tokenizer=None))]
    #[allow(clippy::too_many_arguments)]
    fn ingest(
        &self,
        py: Python<'_>,
        docs: &Bound<'_, PyList>,
        embed: Py<PyAny>,
        size: Option<Int>,
        overlap: Option<Int>,
        unit: Option<Text>,
        force: Flag,
        tokenizer: Option<Py<PyAny>>,
    ) -> PyResult<Vec<(String, &'static str, usize)>> {
        let force = *force;
        let options = chunk_options(size, overlap, unit)?;
        let mut documents = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            let (id, text, source, format, metadata): (String, String, Option<String>, Option<String>, Option<Bound<'_, PyAny>>) =
                d.extract().map_err(|_| {
                    new_err(ErrorKind::InvalidArgument, format!("document {i}: expected (id, text, source, format, metadata)"))
                })?;
            let metadata = match metadata.filter(|m| !m.is_none()) {
                None => Default::default(),
                Some(m) => match to_value(&m) {
                    Ok(agentdb_engine::Value::Map(m)) => m,
                    Ok(_) => return Err(new_err(ErrorKind::InvalidMetadata, format!("document {i} (id {id:?}): metadata must be a dict"))),
                    Err(e) => return Err(e.into_err(ErrorKind::InvalidMetadata, &format!("document {i} (id {id:?})"))),
                },
            };
            let format = text_format(format.as_deref())?;
            documents.push(Document { id, text, source, format, metadata });
        }
        let raised = Raised::default();
        let rag = &self.inner;
        let r = py.detach(|| {
            let mut embed_fn = |texts: &[String]| -> Result<Vec<f32>, Error> {
                Python::attach(|py| {
                    let out = embed.call1(py, (texts.to_vec(),)).map_err(|e| raised.keep(e, "embedder"))?;
                    let vectors = extract_vectors(out.bind(py), "embeddings").map_err(|e| raised.keep(e, "embedder"))?;
                    let v = vectors.as_vectors().map_err(|e| raised.keep(e, "embedder"))?;
                    if v.len() != texts.len() {
                        return Err(Error::new(
                            ErrorKind::DimensionMismatch,
                            format!("the embedder returned {} vectors for {} texts", v.len(), texts.len()),
                        ));
                    }
                    let mut flat = Vec::new();
                    for i in 0..v.len() {
                        let row = v.row(i);
                        if row.len() != rag.dim() {
                            return Err(Error::new(
                                ErrorKind::DimensionMismatch,
                                format!("the embedder returned vectors of dimension {}, the RAG has dimension {}", row.len(), rag.dim()),
                            ));
                        }
                        flat.extend_from_slice(row);
                    }
                    Ok(flat)
                })
            };
            with_counter(tokenizer.as_ref(), &raised, |c| rag.ingest(&documents, &options, c, force, &mut embed_fn))
        });
        let reports = check_raised(r, raised)?;
        Ok(reports.into_iter().map(|r| (r.doc_id, r.status.as_str(), r.chunks)).collect())
    }

    /// Hits as tuples `(id, doc_id, source, position, char_start, char_end, heading, text, score,
    /// vector_rank, distance, text_rank, bm25, metadata)`.
    #[pyo3(signature = (text=None, vector=None, k=None, mode=None, vector_weight=None, text_weight=None, rrf_k=None, candidates=None, mmr_lambda=None, filter=None))]
    #[allow(clippy::too_many_arguments)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        text: Option<Text>,
        vector: Option<&Bound<'py, PyAny>>,
        k: Option<Int>,
        mode: Option<Text>,
        vector_weight: Option<Float>,
        text_weight: Option<Float>,
        rrf_k: Option<Float>,
        candidates: Option<Int>,
        mmr_lambda: Option<Float>,
        filter: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Vec<HitTuple<'py>>> {
        let text = text.as_deref();
        let options = retrieve_options(
            RetrieveOptions::default(),
            k,
            mode,
            vector_weight,
            text_weight,
            rrf_k,
            candidates,
            mmr_lambda,
            filter,
        )?;
        let query = vector.filter(|v| !v.is_none()).map(extract_query).transpose()?;
        let q = query.as_ref().map(|q| q.as_slice()).transpose()?;
        let rag = &self.inner;
        let hits = py.detach(|| rag.search(text, q, &options)).or_raise()?;
        hits.into_iter().map(|h| hit_tuple(py, h)).collect()
    }

    /// `(text, tokens, [(number, doc_id, source, heading, positions, char_start, char_end), …])`.
    #[pyo3(signature = (text=None, vector=None, max_tokens=None, k=None, mode=None, vector_weight=None, text_weight=None, rrf_k=None, candidates=None, mmr_lambda=None, filter=None, document_order=None, tokenizer=None))]
    #[allow(clippy::too_many_arguments)]
    fn context<'py>(
        &self,
        py: Python<'py>,
        text: Option<Text>,
        vector: Option<&Bound<'py, PyAny>>,
        max_tokens: Option<Int>,
        k: Option<Int>,
        mode: Option<Text>,
        vector_weight: Option<Float>,
        text_weight: Option<Float>,
        rrf_k: Option<Float>,
        candidates: Option<Int>,
        mmr_lambda: Option<Float>,
        filter: Option<&Bound<'py, PyAny>>,
        document_order: Option<Flag>,
        tokenizer: Option<Py<PyAny>>,
    ) -> PyResult<(String, usize, Vec<Bound<'py, PyTuple>>)> {
        let text = text.as_deref();
        let d = ContextOptions::default();
        let retrieve =
            retrieve_options(d.retrieve, k, mode, vector_weight, text_weight, rrf_k, candidates, mmr_lambda, filter)?;
        let options = ContextOptions {
            max_tokens: opt_i64(max_tokens).map_or(Ok(d.max_tokens), |m| non_negative("max_tokens", m))?,
            retrieve,
            document_order: document_order.map_or(d.document_order, |f| *f),
        };
        let query = vector.filter(|v| !v.is_none()).map(extract_query).transpose()?;
        let q = query.as_ref().map(|q| q.as_slice()).transpose()?;
        let rag = &self.inner;
        let raised = Raised::default();
        let r = py.detach(|| with_counter(tokenizer.as_ref(), &raised, |c| rag.context(text, q, &options, c)));
        let ctx = check_raised(r, raised)?;
        let cites = ctx.citations.into_iter().map(|c| citation_tuple(py, c)).collect::<PyResult<Vec<_>>>()?;
        Ok((ctx.text, ctx.tokens, cites))
    }

    /// Deletes documents by id; returns the number of chunks deleted.
    fn delete(&self, py: Python<'_>, doc_ids: &Bound<'_, PyAny>) -> PyResult<u64> {
        let doc_ids = extract_ids(doc_ids)?;
        let rag = &self.inner;
        py.detach(|| rag.delete(&doc_ids)).or_raise()
    }

    /// The number of chunks (matching `filter`).
    #[pyo3(signature = (filter=None))]
    fn count(&self, py: Python<'_>, filter: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
        let filter = extract_filter(filter)?;
        let rag = &self.inner;
        py.detach(|| rag.count_chunks(filter.as_ref())).or_raise()
    }

    /// `[(doc_id, source, chunks, content_hash), …]` sorted by id.
    fn documents(&self, py: Python<'_>) -> PyResult<Vec<(String, String, usize, String)>> {
        let rag = &self.inner;
        py.detach(|| rag.documents()).or_raise()
    }

    /// Builds or refreshes the full-text index.
    fn update_text_index(&self, py: Python<'_>) -> PyResult<()> {
        let rag = &self.inner;
        py.detach(|| rag.update_text_index()).or_raise()
    }

    /// The text tokenizer's name (`TextTokenizer::name`).
    #[getter]
    fn text_tokenizer(&self) -> String {
        self.inner.text_tokenizer().name()
    }

    fn set_text_tokenizer(&self, py: Python<'_>, tokenizer: crate::args::Text) -> PyResult<()> {
        let t = crate::memory::tokenizer_arg(&tokenizer)?;
        let rag = &self.inner;
        py.detach(|| rag.set_text_tokenizer(t)).or_raise()
    }
}
