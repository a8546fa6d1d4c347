//! `agentdb._native.Graph`: the binding of [`agentdb_engine::Graph`] that `agentdb/graph.py`
//! wraps. Arguments arrive as plain tuples and keywords (the Python layer builds them); every
//! engine call runs with the GIL released; results come back as tuples:
//!
//! * an entity: `(id, name, type, aliases, embedding (float32 array) or None, metadata, recorded_at)`;
//! * a fact: `(id, version, subject, predicate, object, object_is_entity, valid_from, valid_to,
//!   recorded_at, superseded_at, sources, confidence)`,
//!
//! with times as UTC datetimes.

use agentdb_engine::{
    Entity, ErrorKind, Fact, FactCorrection, FactObject, FactQuery, Graph, GraphDirection, NewEntity, NewFact,
};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyTuple};

use crate::args::{opt_f64, opt_i64, opt_string, Flag, Float, Int, Text};
use crate::conversion::{datetime_to_micros, extract_query, micros_to_datetime, non_negative};
use crate::errors::{new_err, OrRaise};

/// A knowledge graph (see `agentdb.graph.Graph`).
#[pyclass(frozen, name = "Graph", module = "agentdb._native")]
pub struct PyGraph {
    inner: Graph,
}

impl PyGraph {
    /// The engine's graph (for memory recall with a graph).
    pub(crate) fn engine(&self) -> &Graph {
        &self.inner
    }
}

fn invalid(message: impl Into<String>) -> PyErr {
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

fn opt_dt<'py>(py: Python<'py>, us: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
    match us {
        None => Ok(py.None().into_bound(py)),
        Some(us) => micros_to_datetime(py, us),
    }
}

fn object(value: String, is_entity: bool) -> FactObject {
    if is_entity {
        FactObject::Entity(value)
    } else {
        FactObject::Literal(value)
    }
}

fn entity_tuple<'py>(py: Python<'py>, e: &Entity) -> PyResult<Bound<'py, PyTuple>> {
    let embedding = match &e.embedding {
        None => py.None().into_bound(py),
        Some(v) => PyArray1::from_slice(py, v).into_any(),
    };
    let metadata = crate::state::from_json(py, &agentdb_engine::serde_json::Value::Object(e.metadata.clone()))?;
    PyTuple::new(
        py,
        [
            e.id.clone().into_pyobject(py)?.into_any(),
            e.name.clone().into_pyobject(py)?.into_any(),
            e.type_.clone().into_pyobject(py)?.into_any(),
            e.aliases.clone().into_pyobject(py)?.into_any(),
            embedding,
            metadata,
            micros_to_datetime(py, e.recorded_at)?,
        ],
    )
}

fn fact_tuple<'py>(py: Python<'py>, f: &Fact) -> PyResult<Bound<'py, PyTuple>> {
    let (value, is_entity) = match &f.object {
        FactObject::Entity(id) => (id.clone(), true),
        FactObject::Literal(s) => (s.clone(), false),
    };
    PyTuple::new(
        py,
        [
            f.id.clone().into_pyobject(py)?.into_any(),
            f.version.into_pyobject(py)?.into_any(),
            f.subject.clone().into_pyobject(py)?.into_any(),
            f.predicate.clone().into_pyobject(py)?.into_any(),
            value.into_pyobject(py)?.into_any(),
            is_entity.into_pyobject(py)?.to_owned().into_any(),
            micros_to_datetime(py, f.valid_from)?,
            opt_dt(py, f.valid_to)?,
            micros_to_datetime(py, f.recorded_at)?,
            opt_dt(py, f.superseded_at)?,
            f.sources.clone().into_pyobject(py)?.into_any(),
            f.confidence.into_pyobject(py)?.into_any(),
        ],
    )
}

pub(crate) fn facts_list<'py>(py: Python<'py>, facts: &[Fact]) -> PyResult<Vec<Bound<'py, PyTuple>>> {
    facts.iter().map(|f| fact_tuple(py, f)).collect()
}

fn strings(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<String>> {
    if obj.is_instance_of::<pyo3::types::PyString>() {
        return Err(invalid(format!("{what} must be a list of str, not a str")));
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| invalid(format!("{what} must be a list of str")))? {
        out.push(item?.extract::<Text>()?.0);
    }
    Ok(out)
}

/// The query of a read: `during` is `None` or `(start, end or None)`.
fn query(
    as_of: Option<&Bound<'_, PyAny>>,
    during: Option<&Bound<'_, PyAny>>,
    known_at: Option<&Bound<'_, PyAny>>,
    predicates: Option<&Bound<'_, PyAny>>,
) -> PyResult<FactQuery> {
    let during = match during.filter(|d| !d.is_none()) {
        None => None,
        Some(d) => {
            let (start, end): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                d.extract().map_err(|_| invalid("during must be a (start, end) pair of datetimes (end may be None)"))?;
            let start = micros(Some(&start), "during's start")?.ok_or_else(|| invalid("during's start is None"))?;
            Some((start, micros(Some(&end), "during's end")?))
        }
    };
    let predicates = predicates.filter(|p| !p.is_none()).map(|p| strings(p, "predicates")).transpose()?;
    Ok(FactQuery { as_of: micros(as_of, "as_of")?, during, known_at: micros(known_at, "known_at")?, predicates })
}

fn direction(d: Option<Text>) -> PyResult<GraphDirection> {
    match d {
        None => Ok(GraphDirection::default()),
        Some(d) => GraphDirection::parse(&d).or_raise(),
    }
}

/// Defaults the Python layer and its docstrings read.
pub fn add_defaults(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("GRAPH_DEFAULT_FACTS_LIMIT", agentdb_engine::GRAPH_DEFAULT_FACTS_LIMIT)?;
    m.add("GRAPH_DEFAULT_ENTITY_K", agentdb_engine::GRAPH_DEFAULT_ENTITY_K)?;
    m.add("GRAPH_MAX_HOPS", agentdb_engine::GRAPH_MAX_HOPS)?;
    Ok(())
}

type EntityArg<'py> =
    (Option<Text>, Text, Option<Text>, Bound<'py, PyAny>, Option<Bound<'py, PyAny>>, Option<Bound<'py, PyAny>>);
type FactArg<'py> = (
    Text,
    Text,
    Text,
    Flag,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Bound<'py, PyAny>,
    Option<Float>,
);

#[pymethods]
impl PyGraph {
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    #[getter]
    fn dim(&self, py: Python<'_>) -> PyResult<Option<usize>> {
        let g = &self.inner;
        py.detach(|| g.dim()).or_raise()
    }

    /// `items`: `[(id or None, name, type or None, aliases, embedding or None, metadata or None)]`.
    fn add_entities(&self, py: Python<'_>, items: Vec<EntityArg<'_>>) -> PyResult<Vec<String>> {
        let mut out = Vec::with_capacity(items.len());
        for (id, name, type_, aliases, embedding, metadata) in items {
            let embedding = match embedding.filter(|e| !e.is_none()) {
                None => None,
                Some(e) => Some(extract_query(&e)?.as_slice()?.to_vec()),
            };
            let metadata = match metadata.filter(|m| !m.is_none()) {
                None => None,
                Some(m) => Some(crate::state::to_json(&m)?),
            };
            out.push(NewEntity {
                id: opt_string(id),
                name: name.0,
                type_: opt_string(type_),
                aliases: strings(&aliases, "aliases")?,
                embedding,
                metadata,
            });
        }
        let g = &self.inner;
        py.detach(|| g.add_entities(&out)).or_raise()
    }

    fn entity<'py>(&self, py: Python<'py>, entity_id: Text) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let g = &self.inner;
        let e = py.detach(|| g.entity(&entity_id)).or_raise()?;
        e.map(|e| entity_tuple(py, &e)).transpose()
    }

    fn counts(&self, py: Python<'_>) -> PyResult<(usize, usize)> {
        let g = &self.inner;
        py.detach(|| g.counts()).or_raise()
    }

    fn declare_predicate(&self, py: Python<'_>, predicate: Text, single_valued: Flag) -> PyResult<()> {
        let g = &self.inner;
        py.detach(|| g.declare_predicate(&predicate, *single_valued)).or_raise()
    }

    fn predicates(&self, py: Python<'_>) -> PyResult<Vec<(String, bool)>> {
        let g = &self.inner;
        py.detach(|| g.predicates()).or_raise()
    }

    /// `items`: `[(subject, predicate, object, object_is_entity, valid_from, valid_to, sources,
    /// confidence)]`.
    fn add_facts(&self, py: Python<'_>, items: Vec<FactArg<'_>>) -> PyResult<Vec<String>> {
        let mut out = Vec::with_capacity(items.len());
        for (subject, predicate, obj, is_entity, from, to, sources, confidence) in items {
            out.push(NewFact {
                subject: subject.0,
                predicate: predicate.0,
                object: object(obj.0, *is_entity),
                valid_from: micros(from.as_ref(), "valid_from")?,
                valid_to: micros(to.as_ref(), "valid_to")?,
                sources: strings(&sources, "sources")?,
                confidence: opt_f64(confidence),
            });
        }
        let g = &self.inner;
        py.detach(|| g.add_facts(&out)).or_raise()
    }

    #[pyo3(signature = (fact_id, at=None))]
    fn invalidate<'py>(&self, py: Python<'py>, fact_id: Text, at: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyTuple>> {
        let at = micros(at, "at")?;
        let g = &self.inner;
        let f = py.detach(|| g.invalidate(&fact_id, at)).or_raise()?;
        fact_tuple(py, &f)
    }

    /// `valid_to`: a datetime, `None` (unchanged) — and `reopen=True` clears it.
    #[pyo3(signature = (fact_id, object=None, object_is_entity=None, valid_from=None, valid_to=None, reopen=None, sources=None, confidence=None))]
    #[allow(clippy::too_many_arguments)]
    fn correct<'py>(
        &self,
        py: Python<'py>,
        fact_id: Text,
        object: Option<Text>,
        object_is_entity: Option<Flag>,
        valid_from: Option<&Bound<'py, PyAny>>,
        valid_to: Option<&Bound<'py, PyAny>>,
        reopen: Option<Flag>,
        sources: Option<&Bound<'py, PyAny>>,
        confidence: Option<Float>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let reopen = reopen.is_some_and(|r| *r);
        let to = micros(valid_to, "valid_to")?;
        if reopen && to.is_some() {
            return Err(invalid("give valid_to or reopen=True, not both"));
        }
        let change = FactCorrection {
            object: object.map(|o| self::object(o.0, object_is_entity.is_some_and(|e| *e))),
            valid_from: micros(valid_from, "valid_from")?,
            valid_to: if reopen { Some(None) } else { to.map(Some) },
            sources: sources.filter(|s| !s.is_none()).map(|s| strings(s, "sources")).transpose()?,
            confidence: opt_f64(confidence),
        };
        let g = &self.inner;
        let f = py.detach(|| g.correct(&fact_id, &change)).or_raise()?;
        fact_tuple(py, &f)
    }

    #[pyo3(signature = (fact_id, known_at=None))]
    fn fact<'py>(&self, py: Python<'py>, fact_id: Text, known_at: Option<&Bound<'py, PyAny>>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let known_at = micros(known_at, "known_at")?;
        let g = &self.inner;
        let f = py.detach(|| g.fact(&fact_id, known_at)).or_raise()?;
        f.map(|f| fact_tuple(py, &f)).transpose()
    }

    fn fact_history<'py>(&self, py: Python<'py>, fact_id: Text) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let g = &self.inner;
        let v = py.detach(|| g.fact_history(&fact_id)).or_raise()?;
        facts_list(py, &v)
    }

    #[pyo3(signature = (entity_id, as_of=None, during=None, known_at=None, predicates=None, direction=None))]
    #[allow(clippy::too_many_arguments)]
    fn facts<'py>(
        &self,
        py: Python<'py>,
        entity_id: Text,
        as_of: Option<&Bound<'py, PyAny>>,
        during: Option<&Bound<'py, PyAny>>,
        known_at: Option<&Bound<'py, PyAny>>,
        predicates: Option<&Bound<'py, PyAny>>,
        direction: Option<Text>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let q = query(as_of, during, known_at, predicates)?;
        let d = self::direction(direction)?;
        let g = &self.inner;
        let v = py.detach(|| g.facts(&entity_id, &q, d)).or_raise()?;
        facts_list(py, &v)
    }

    #[pyo3(signature = (entity_id, hops, as_of=None, during=None, known_at=None, predicates=None, direction=None))]
    #[allow(clippy::too_many_arguments)]
    fn neighbors<'py>(
        &self,
        py: Python<'py>,
        entity_id: Text,
        hops: Int,
        as_of: Option<&Bound<'py, PyAny>>,
        during: Option<&Bound<'py, PyAny>>,
        known_at: Option<&Bound<'py, PyAny>>,
        predicates: Option<&Bound<'py, PyAny>>,
        direction: Option<Text>,
    ) -> PyResult<Vec<(String, usize)>> {
        let hops = non_negative("hops", *hops)?;
        let q = query(as_of, during, known_at, predicates)?;
        let d = self::direction(direction)?;
        let g = &self.inner;
        let v = py.detach(|| g.neighbors(&entity_id, hops, &q, d)).or_raise()?;
        Ok(v.into_iter().map(|n| (n.entity, n.hops)).collect())
    }

    #[pyo3(signature = (from_id, to_id, max_hops=None, as_of=None, during=None, known_at=None, predicates=None, direction=None))]
    #[allow(clippy::too_many_arguments)]
    fn shortest_path<'py>(
        &self,
        py: Python<'py>,
        from_id: Text,
        to_id: Text,
        max_hops: Option<Int>,
        as_of: Option<&Bound<'py, PyAny>>,
        during: Option<&Bound<'py, PyAny>>,
        known_at: Option<&Bound<'py, PyAny>>,
        predicates: Option<&Bound<'py, PyAny>>,
        direction: Option<Text>,
    ) -> PyResult<Option<Vec<Bound<'py, PyTuple>>>> {
        let max_hops = opt_i64(max_hops).map(|h| non_negative("max_hops", h)).transpose()?.unwrap_or(agentdb_engine::GRAPH_MAX_HOPS);
        let q = query(as_of, during, known_at, predicates)?;
        let d = self::direction(direction)?;
        let g = &self.inner;
        let v = py.detach(|| g.shortest_path(&from_id, &to_id, max_hops, &q, d)).or_raise()?;
        v.map(|p| facts_list(py, &p)).transpose()
    }

    fn find_entities<'py>(&self, py: Python<'py>, name: Text) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let g = &self.inner;
        let v = py.detach(|| g.find_entities(&name)).or_raise()?;
        v.iter().map(|e| entity_tuple(py, e)).collect()
    }

    /// `[(entity, score)]`, best first.
    #[pyo3(signature = (text=None, vector=None, k=None, type_=None))]
    fn search_entities<'py>(
        &self,
        py: Python<'py>,
        text: Option<Text>,
        vector: Option<&Bound<'py, PyAny>>,
        k: Option<Int>,
        type_: Option<Text>,
    ) -> PyResult<Vec<(Bound<'py, PyTuple>, f64)>> {
        let k = opt_i64(k).map(|k| non_negative("k", k)).transpose()?.unwrap_or(agentdb_engine::GRAPH_DEFAULT_ENTITY_K);
        let q = vector.filter(|v| !v.is_none()).map(extract_query).transpose()?;
        let v = q.as_ref().map(|q| q.as_slice()).transpose()?;
        let g = &self.inner;
        let hits = py.detach(|| g.search_entities(text.as_deref(), v, k, type_.as_deref())).or_raise()?;
        hits.iter().map(|h| Ok((entity_tuple(py, &h.entity)?, h.score))).collect()
    }

    #[pyo3(signature = (text, as_of=None, limit=None))]
    fn facts_for_text<'py>(
        &self,
        py: Python<'py>,
        text: Text,
        as_of: Option<&Bound<'py, PyAny>>,
        limit: Option<Int>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let as_of = micros(as_of, "as_of")?;
        let limit = opt_i64(limit).map(|l| non_negative("limit", l)).transpose()?.unwrap_or(agentdb_engine::GRAPH_DEFAULT_FACTS_LIMIT);
        let g = &self.inner;
        let v = py.detach(|| g.facts_for_text(&text, as_of, limit)).or_raise()?;
        facts_list(py, &v)
    }

    fn mentioned_entities<'py>(&self, py: Python<'py>, text: Text) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let g = &self.inner;
        let v = py.detach(|| g.mentioned_entities(&text)).or_raise()?;
        v.iter().map(|e| entity_tuple(py, e)).collect()
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let g = &self.inner;
        py.detach(|| g.flush()).or_raise()
    }
}

/// Opens (creating if needed) knowledge graph `name`.
#[pyfunction]
#[pyo3(signature = (db, name, dim=None))]
pub fn open_graph(py: Python<'_>, db: &crate::database::PyDatabase, name: Text, dim: Option<Int>) -> PyResult<PyGraph> {
    let dim = opt_i64(dim).map(|d| non_negative("dim", d)).transpose()?;
    let db = db.engine();
    let g = py.detach(|| db.graph(&name, dim)).or_raise()?;
    Ok(PyGraph { inner: g })
}

/// The names of a database's knowledge graphs, sorted.
#[pyfunction]
pub fn list_graphs(py: Python<'_>, db: &crate::database::PyDatabase) -> PyResult<Vec<String>> {
    let db = db.engine();
    py.detach(|| db.list_graphs()).or_raise()
}

/// Deletes a knowledge graph.
#[pyfunction]
pub fn drop_graph(py: Python<'_>, db: &crate::database::PyDatabase, name: Text) -> PyResult<()> {
    let db = db.engine();
    py.detach(|| db.drop_graph(&name)).or_raise()
}
