//! `agentdb._native.Collection`: the binding of [`agentdb_engine::Collection`] that
//! `agentdb/collection.py` wraps. Arguments are converted (see `conversion.rs`), then every engine
//! call runs with the GIL released; results come back as plain tuples, lists and numpy arrays that
//! the Python layer wraps in `GetResult` / `SearchResult`.

use agentdb_engine::arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use agentdb_engine::{
    Collection, Error, ErrorKind, HnswParams, Include, IndexKind, IndexOptions, IndexParams, IvfPqParams, OwnedRecords,
    Quantization, Records, SearchOptions, SearchResult,
};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyBytesMethods, PyCapsule, PyCapsuleMethods, PyDict, PyList, PyTuple};

use crate::args::{opt_f64, opt_i64, Flag, Float, Int, Text};
use crate::conversion::{
    extract_documents, extract_filter, extract_ids, extract_metadata, extract_query, extract_vectors,
    metadata_to_list, non_negative,
};
use crate::errors::{new_err, OrRaise};

/// The engine's index kinds, quantizations and index parameter defaults, as attributes of
/// `agentdb._native` (`agentdb/collection.py` reads them instead of keeping copies).
pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("INDEX_KINDS", PyTuple::new(py, IndexKind::ALL.iter().map(|k| k.as_str()))?)?;
    m.add("QUANTIZATIONS", PyTuple::new(py, Quantization::ALL.iter().map(|q| q.as_str()))?)?;
    m.add("DEFAULT_INDEX_KIND", IndexKind::default().as_str())?;
    m.add("DEFAULT_SEARCH_K", agentdb_engine::DEFAULT_SEARCH_K)?;
    m.add("DEFAULT_SEARCH_EXACT", SearchOptions::default().exact)?;
    let hnsw = HnswParams::default();
    m.add("DEFAULT_HNSW_M", hnsw.m)?;
    m.add("DEFAULT_HNSW_EF_CONSTRUCTION", hnsw.ef_construction)?;
    m.add("DEFAULT_HNSW_QUANTIZATION", hnsw.quantization.as_str())?;
    // 0: chosen from the data (partitions) / by Lance (sub-vectors).
    let ivf_pq = IvfPqParams::default();
    m.add("DEFAULT_IVF_PQ_PARTITIONS", ivf_pq.partitions)?;
    m.add("DEFAULT_IVF_PQ_SUB_VECTORS", ivf_pq.sub_vectors)?;
    let fusion = agentdb_engine::FusionOptions::default();
    m.add("DEFAULT_FUSION_METHOD", fusion.method.as_str())?;
    m.add("DEFAULT_FUSION_RRF_K", f64::from(fusion.rrf_k))?;
    m.add("DEFAULT_FUSION_VECTOR_WEIGHT", f64::from(fusion.vector_weight))?;
    m.add("DEFAULT_FUSION_TEXT_WEIGHT", f64::from(fusion.text_weight))?;
    Ok(())
}

/// A collection handle (see `agentdb.Collection`).
#[pyclass(frozen, name = "Collection", module = "agentdb._native")]
pub struct PyCollection {
    inner: Collection,
}

impl PyCollection {
    pub fn new(inner: Collection) -> Self {
        PyCollection { inner }
    }

    /// The engine's handle, for the other binding files (stats).
    pub(crate) fn engine(&self) -> &Collection {
        &self.inner
    }

    fn write(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        vectors: &Bound<'_, PyAny>,
        documents: Option<&Bound<'_, PyAny>>,
        metadata: Option<&Bound<'_, PyAny>>,
        upsert: bool,
    ) -> PyResult<()> {
        let c = &self.inner;
        self.with_records(py, ids, vectors, documents, metadata, |records| if upsert { c.upsert(records) } else { c.add(records) })
    }

    /// Converts the arguments of a write to the engine's records and runs `f` on them with the
    /// GIL released.
    fn with_records<T: Send>(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        vectors: &Bound<'_, PyAny>,
        documents: Option<&Bound<'_, PyAny>>,
        metadata: Option<&Bound<'_, PyAny>>,
        f: impl FnOnce(&Records<'_>) -> agentdb_engine::Result<T> + Send,
    ) -> PyResult<T> {
        let ids = extract_ids(ids)?;
        let vectors = extract_vectors(vectors, "vectors")?;
        // Counts first, before documents and metadata are converted (the engine checks again).
        let n = vectors.as_vectors()?.len();
        if n != ids.len() {
            return Err(new_err(ErrorKind::InvalidArgument, format!("{} ids but {n} vectors", ids.len())));
        }
        let documents = documents.filter(|d| !d.is_none()).map(extract_documents).transpose()?;
        let metadata = metadata.filter(|m| !m.is_none()).map(|m| extract_metadata(m, &ids)).transpose()?;
        let records = Records {
            ids: &ids,
            vectors: vectors.as_vectors()?,
            documents: documents.as_deref(),
            metadata: metadata.as_deref(),
        };
        py.detach(|| f(&records)).or_raise()
    }
}


/// The engine's [`SearchOptions`] from the keyword arguments of `search` / `search_batch`.
#[allow(clippy::too_many_arguments)]
fn search_options(
    ef: Option<i64>,
    exact: Option<bool>,
    threads: Option<i64>,
    ids_only: bool,
    include: Option<Vec<String>>,
    nprobes: Option<i64>,
    refine_factor: Option<i64>,
) -> PyResult<SearchOptions> {
    Ok(SearchOptions {
        ef: ef.map(|e| non_negative("ef", e)).transpose()?,
        nprobes: nprobes.map(|n| non_negative("nprobes", n)).transpose()?,
        refine_factor: refine_factor
            // Too large for u32 is out of range anyway; the engine says so.
            .map(|r| non_negative("refine_factor", r).map(|r| u32::try_from(r).unwrap_or(u32::MAX)))
            .transpose()?,
        exact: exact.unwrap_or(SearchOptions::default().exact),
        threads: threads.map(|t| non_negative("threads", t)).transpose()?,
        include: Include::resolve(ids_only, include.as_deref()).or_raise()?,
    })
}

/// `k` of a search; `None`: the engine's [`DEFAULT_SEARCH_K`](agentdb_engine::DEFAULT_SEARCH_K).
fn search_k(k: Option<Int>) -> PyResult<usize> {
    k.map_or(Ok(agentdb_engine::DEFAULT_SEARCH_K), |k| non_negative("k", *k))
}

/// The engine's [`HybridOptions`](agentdb_engine::HybridOptions) from `hybrid_search`'s keyword
/// arguments; `None` takes the engine's default.
fn hybrid_options(
    method: Option<Text>,
    vector_weight: Option<Float>,
    text_weight: Option<Float>,
    rrf_k: Option<Float>,
    candidates: Option<Int>,
) -> PyResult<agentdb_engine::HybridOptions> {
    let d = agentdb_engine::FusionOptions::default();
    let f32_or = |v: Option<Float>, default: f32| opt_f64(v).map_or(default, |x| x as f32);
    Ok(agentdb_engine::HybridOptions {
        fusion: agentdb_engine::FusionOptions {
            method: method.map_or(Ok(d.method), |m| m.parse::<agentdb_engine::FusionMethod>()).or_raise()?,
            vector_weight: f32_or(vector_weight, d.vector_weight),
            text_weight: f32_or(text_weight, d.text_weight),
            rrf_k: f32_or(rrf_k, d.rrf_k),
        },
        candidates: opt_i64(candidates).map(|c| non_negative("candidates", c)).transpose()?,
    })
}

/// `(ids, distances, documents, metadata)` of one search.
fn search_tuple<'py>(py: Python<'py>, r: SearchResult) -> PyResult<Bound<'py, PyTuple>> {
    let metadata = metadata_to_list(py, &r.metadata)?;
    let distances = PyArray1::from_vec(py, r.distances);
    (r.ids, distances, r.documents, metadata).into_pyobject(py)
}

#[pymethods]
impl PyCollection {
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

    /// `[(key, type name), …]` for every metadata key seen so far.
    fn metadata_schema(&self) -> Vec<(String, &'static str)> {
        self.inner.metadata_schema().into_iter().map(|(k, t)| (k, t.name())).collect()
    }

    #[pyo3(signature = (ids, vectors, documents=None, metadata=None))]
    fn add(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        vectors: &Bound<'_, PyAny>,
        documents: Option<&Bound<'_, PyAny>>,
        metadata: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.write(py, ids, vectors, documents, metadata, false)
    }

    #[pyo3(signature = (ids, vectors, documents=None, metadata=None))]
    fn upsert(
        &self,
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        vectors: &Bound<'_, PyAny>,
        documents: Option<&Bound<'_, PyAny>>,
        metadata: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.write(py, ids, vectors, documents, metadata, true)
    }

    /// Writes the records as Lance data files without committing them (see the engine's
    /// `Collection::stage`); the bytes go to `commit_staged` in the writer process.
    #[pyo3(signature = (ids, vectors, documents=None, metadata=None))]
    fn stage<'py>(
        &self,
        py: Python<'py>,
        ids: &Bound<'py, PyAny>,
        vectors: &Bound<'py, PyAny>,
        documents: Option<&Bound<'py, PyAny>>,
        metadata: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let c = &self.inner;
        let bytes = self.with_records(py, ids, vectors, documents, metadata, |records| c.stage(records))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Commits staged parts (bytes from `stage`) as one Lance commit; returns the records added.
    fn commit_staged(&self, py: Python<'_>, parts: Vec<Bound<'_, PyBytes>>) -> PyResult<u64> {
        let owned: Vec<Vec<u8>> = parts.iter().map(|p| p.as_bytes().to_vec()).collect();
        let c = &self.inner;
        py.detach(|| {
            let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
            c.commit_staged(&refs)
        })
        .or_raise()
    }

    /// Adds (or upserts) the rows of any object with `__arrow_c_stream__` (a pyarrow Table or
    /// RecordBatchReader, …): columns `id`, `vector`, optional `document`, metadata columns.
    /// The stream is read and written with the GIL released; no Python object per row.
    fn add_arrow(&self, py: Python<'_>, data: &Bound<'_, PyAny>, upsert: bool) -> PyResult<()> {
        if !data.hasattr("__arrow_c_stream__")? {
            return Err(new_err(
                ErrorKind::InvalidArgument,
                "Arrow input must implement __arrow_c_stream__ (e.g. a pyarrow Table)",
            ));
        }
        let capsule = data.call_method0("__arrow_c_stream__")?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let ptr = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
        // SAFETY: the capsule holds an `ArrowArrayStream` (checked by its name); `from_raw` moves
        // the stream out and leaves a released one behind, so the capsule's destructor does not
        // release it a second time.
        let reader = unsafe { ArrowArrayStreamReader::from_raw(ptr.as_ptr() as *mut FFI_ArrowArrayStream) }
            .map_err(|e| new_err(ErrorKind::InvalidArgument, format!("Arrow input: {e}")))?;
        let c = &self.inner;
        py.detach(move || {
            let mut records = OwnedRecords::default();
            for batch in reader {
                let batch = batch.map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("Arrow input: {e}")))?;
                records.extend_from_arrow(&batch)?;
            }
            let records = records.as_records();
            if upsert {
                c.upsert(&records)
            } else {
                c.add(&records)
            }
        })
        .or_raise()
    }

    /// `(ids, vectors (n, dim) float32, documents, metadata)`.
    #[pyo3(signature = (ids=None, filter=None, limit=None, offset=Int(0)))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        ids: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        limit: Option<Int>,
        offset: Int,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let ids = ids.filter(|i| !i.is_none()).map(extract_ids).transpose()?;
        let filter = extract_filter(filter)?;
        let limit = opt_i64(limit).map(|l| non_negative("limit", l)).transpose()?;
        let offset = non_negative("offset", *offset)?;
        let c = &self.inner;
        let r = py.detach(|| c.get(ids.as_deref(), filter.as_ref(), limit, offset)).or_raise()?;
        let n = r.ids.len();
        let vectors = Array2::from_shape_vec((n, r.dim), r.vectors)
            .map_err(|e| new_err(ErrorKind::Internal, format!("get returned a malformed vector block: {e}")))?
            .into_pyarray(py);
        let metadata = metadata_to_list(py, &r.metadata)?;
        (r.ids, vectors, r.documents, metadata).into_pyobject(py)
    }

    /// The number of records deleted.
    #[pyo3(signature = (ids=None, filter=None))]
    fn delete(&self, py: Python<'_>, ids: Option<&Bound<'_, PyAny>>, filter: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
        let ids = ids.filter(|i| !i.is_none()).map(extract_ids).transpose()?;
        let filter = extract_filter(filter)?;
        let c = &self.inner;
        py.detach(|| c.delete(ids.as_deref(), filter.as_ref())).or_raise()
    }

    /// Compacts the collection now.
    fn optimize(&self, py: Python<'_>) -> PyResult<()> {
        let c = &self.inner;
        py.detach(|| c.optimize()).or_raise()
    }

    #[pyo3(signature = (filter=None))]
    fn count(&self, py: Python<'_>, filter: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
        let filter = extract_filter(filter)?;
        let c = &self.inner;
        py.detach(|| c.count(filter.as_ref())).or_raise()
    }

    /// One query → `(ids, distances float32, documents, metadata)`.
    #[pyo3(signature = (query, k=None, filter=None, ef=None, exact=None, threads=None, ids_only=Flag(false), include=None, nprobes=None, refine_factor=None))]
    #[allow(clippy::too_many_arguments)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        query: &Bound<'py, PyAny>,
        k: Option<Int>,
        filter: Option<&Bound<'py, PyAny>>,
        ef: Option<Int>,
        exact: Option<Flag>,
        threads: Option<Int>,
        ids_only: Flag,
        include: Option<Vec<String>>,
        nprobes: Option<Int>,
        refine_factor: Option<Int>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let query = extract_query(query)?;
        let q = query.as_slice()?;
        let k = search_k(k)?;
        let filter = extract_filter(filter)?;
        let options = search_options(
            opt_i64(ef),
            exact.map(|e| *e),
            opt_i64(threads),
            *ids_only,
            include,
            opt_i64(nprobes),
            opt_i64(refine_factor),
        )?;
        let c = &self.inner;
        let r = py.detach(|| c.search_with(q, k, filter.as_ref(), &options)).or_raise()?;
        search_tuple(py, r)
    }

    /// Many queries (one engine batch) → a list of `(ids, distances, documents, metadata)`.
    #[pyo3(signature = (queries, k=None, filter=None, ef=None, exact=None, threads=None, ids_only=Flag(false), include=None, nprobes=None, refine_factor=None))]
    #[allow(clippy::too_many_arguments)]
    fn search_batch<'py>(
        &self,
        py: Python<'py>,
        queries: &Bound<'py, PyAny>,
        k: Option<Int>,
        filter: Option<&Bound<'py, PyAny>>,
        ef: Option<Int>,
        exact: Option<Flag>,
        threads: Option<Int>,
        ids_only: Flag,
        include: Option<Vec<String>>,
        nprobes: Option<Int>,
        refine_factor: Option<Int>,
    ) -> PyResult<Bound<'py, PyList>> {
        let queries = extract_vectors(queries, "queries")?;
        let q = queries.as_vectors()?;
        let k = search_k(k)?;
        let filter = extract_filter(filter)?;
        let options = search_options(
            opt_i64(ef),
            exact.map(|e| *e),
            opt_i64(threads),
            *ids_only,
            include,
            opt_i64(nprobes),
            opt_i64(refine_factor),
        )?;
        let c = &self.inner;
        let results = py.detach(|| c.search_batch_with(q, k, filter.as_ref(), &options)).or_raise()?;
        PyList::new(py, results.into_iter().map(|r| search_tuple(py, r)).collect::<PyResult<Vec<_>>>()?)
    }

    /// BM25 over the documents → `(ids, scores float32, documents, metadata)`, best first.
    #[pyo3(signature = (query, k=None, filter=None))]
    fn text_search<'py>(
        &self,
        py: Python<'py>,
        query: Text,
        k: Option<Int>,
        filter: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let k = search_k(k)?;
        let filter = extract_filter(filter)?;
        let c = &self.inner;
        let r = py.detach(|| c.text_search(&query, k, filter.as_ref())).or_raise()?;
        let metadata = metadata_to_list(py, &r.metadata)?;
        (r.ids, PyArray1::from_vec(py, r.scores), r.documents, metadata).into_pyobject(py)
    }

    /// Vector + BM25 fused → `(ids, scores float32, documents, metadata, vector_ranks, distances,
    /// text_ranks, bm25_scores)`, best first; a side's rank and score are `None` where it did not
    /// return the record.
    #[pyo3(signature = (vector, text, k=None, filter=None, method=None, vector_weight=None, text_weight=None, rrf_k=None, candidates=None))]
    #[allow(clippy::too_many_arguments)]
    fn hybrid_search<'py>(
        &self,
        py: Python<'py>,
        vector: &Bound<'py, PyAny>,
        text: Text,
        k: Option<Int>,
        filter: Option<&Bound<'py, PyAny>>,
        method: Option<Text>,
        vector_weight: Option<Float>,
        text_weight: Option<Float>,
        rrf_k: Option<Float>,
        candidates: Option<Int>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let query = extract_query(vector)?;
        let q = query.as_slice()?;
        let k = search_k(k)?;
        let filter = extract_filter(filter)?;
        let options = hybrid_options(method, vector_weight, text_weight, rrf_k, candidates)?;
        let c = &self.inner;
        let r = py.detach(|| c.hybrid_search(q, &text, k, filter.as_ref(), &options)).or_raise()?;
        let metadata = metadata_to_list(py, &r.metadata)?;
        let items: Vec<Bound<'py, PyAny>> = vec![
            r.ids.into_pyobject(py)?.into_any(),
            PyArray1::from_vec(py, r.scores).into_any(),
            r.documents.into_pyobject(py)?.into_any(),
            metadata.into_any(),
            r.vector_ranks.into_pyobject(py)?.into_any(),
            r.distances.into_pyobject(py)?.into_any(),
            r.text_ranks.into_pyobject(py)?.into_any(),
            r.bm25_scores.into_pyobject(py)?.into_any(),
        ];
        PyTuple::new(py, items)
    }

    /// The full-text tokenizer's name (`TextTokenizer::name`).
    #[getter]
    fn text_tokenizer(&self) -> String {
        self.inner.text_tokenizer().name()
    }

    fn set_text_tokenizer(&self, py: Python<'_>, tokenizer: Text) -> PyResult<()> {
        let t = crate::memory::tokenizer_arg(&tokenizer)?;
        let c = &self.inner;
        py.detach(|| c.set_text_tokenizer(t)).or_raise()
    }

    /// Builds an index of `kind` (`"hnsw"` or `"ivf_pq"`, always given: the engine has no default
    /// kind), replacing any index; options that are `None` take the kind's defaults
    /// (`IndexParams::from_options`). The build runs with the GIL released.
    #[pyo3(signature = (kind=None, m=None, ef_construction=None, quantization=None, partitions=None, sub_vectors=None))]
    #[allow(clippy::too_many_arguments)]
    fn create_index(
        &self,
        py: Python<'_>,
        kind: Option<Text>,
        m: Option<Int>,
        ef_construction: Option<Int>,
        quantization: Option<Text>,
        partitions: Option<Int>,
        sub_vectors: Option<Int>,
    ) -> PyResult<()> {
        let options = IndexOptions {
            m: opt_i64(m).map(|v| non_negative("m", v)).transpose()?,
            ef_construction: opt_i64(ef_construction).map(|v| non_negative("ef_construction", v)).transpose()?,
            quantization: quantization.as_deref(),
            partitions: opt_i64(partitions).map(|v| non_negative("partitions", v)).transpose()?,
            sub_vectors: opt_i64(sub_vectors).map(|v| non_negative("sub_vectors", v)).transpose()?,
        };
        let kind = kind.as_deref().unwrap_or(IndexKind::default().as_str());
        let params = IndexParams::from_options(kind, &options).or_raise()?;
        let c = &self.inner;
        py.detach(|| c.create_index(params)).or_raise()
    }

    /// Removes the index, if any.
    fn drop_index(&self, py: Python<'_>) -> PyResult<()> {
        let c = &self.inner;
        py.detach(|| c.drop_index()).or_raise()
    }

    /// The index's kind and parameters as a dict (`kind` plus the kind's own keys), or `None`
    /// without one.
    fn index_params<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let c = &self.inner;
        let Some(params) = py.detach(|| c.index_params()).or_raise()? else { return Ok(None) };
        let d = PyDict::new(py);
        d.set_item("kind", params.kind().as_str())?;
        match params {
            IndexParams::Hnsw(p) => {
                d.set_item("m", p.m)?;
                d.set_item("ef_construction", p.ef_construction)?;
                d.set_item("quantization", p.quantization.as_str())?;
            }
            IndexParams::IvfPq(p) => {
                d.set_item("partitions", p.partitions)?;
                d.set_item("sub_vectors", p.sub_vectors)?;
            }
        }
        Ok(Some(d))
    }

    fn __repr__(&self) -> String {
        format!(
            "_native.Collection(name={:?}, dim={}, metric={:?})",
            self.inner.name(),
            self.inner.dim(),
            self.inner.metric().as_str()
        )
    }
}

/// The process-wide HNSW search counters (`agentdb_engine::search_counters`) as a dict of
/// name → count.
#[pyfunction]
pub fn search_counters(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let c = agentdb_engine::search_counters();
    let d = PyDict::new(py);
    for (name, v) in [
        ("searches", c.searches),
        ("expansions", c.expansions),
        ("distances", c.distances),
        ("codes_scored", c.codes_scored),
        ("reranks", c.reranks),
        ("rerank_skipped", c.rerank_skipped),
        ("bytes", c.bytes),
        ("filters_evaluated", c.filters_evaluated),
        ("filters_reused", c.filters_reused),
    ] {
        d.set_item(name, v)?;
    }
    Ok(d)
}

/// Sets the process-wide HNSW search counters to zero.
#[pyfunction]
pub fn reset_search_counters() {
    agentdb_engine::reset_search_counters()
}
