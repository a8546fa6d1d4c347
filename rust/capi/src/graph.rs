//! The knowledge graph object (`agentdb_graph`): open, add entities and facts, declare
//! single-valued predicates, invalidate and correct facts, and the reads (facts as of a time or
//! over an interval, neighbours, shortest path, entity search, facts for a text). Every rule is
//! the engine's (`agentdb_engine::Graph`); this layer only translates. The read filter is
//! `agentdb_graph_query`; the results handed out: `graph_facts.rs` (facts) and
//! `graph_entities.rs` (entities, neighbours).

use std::ffi::c_char;

use agentdb_engine::{FactCorrection, FactObject, FactQuery, GraphDirection, NewEntity, NewFact};

use crate::args::{field, flag, opt_str_arg, out_arg, read_opts, slice_arg, str_arg, str_array};
use crate::graph_entities::{EntitiesObj, NeighborsObj};
use crate::graph_facts::FactsObj;
use crate::handle::{self, agentdb_db, agentdb_graph, agentdb_graph_entities, agentdb_graph_facts, agentdb_graph_neighbors, agentdb_strings};
use crate::status::{agentdb_status, guard, Fail, Res};
use crate::strings::StringsObj;
use crate::text::Text;

pub(crate) struct GraphObj {
    pub graph: agentdb_engine::Graph,
}

pub(crate) fn get_graph(g: *const agentdb_graph) -> Res<std::sync::Arc<GraphObj>> {
    handle::get(g, "graph")
}

/// Traversals follow facts both ways (the default).
pub const AGENTDB_GRAPH_BOTH: i32 = 0;
/// Only from subject to object.
pub const AGENTDB_GRAPH_OUT: i32 = 1;
/// Only from object to subject.
pub const AGENTDB_GRAPH_IN: i32 = 2;

/// Which facts a read selects. Start from `agentdb_graph_query_default()` (valid now, as
/// currently believed, every predicate, both directions) and set what you need.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub struct agentdb_graph_query {
    /// `sizeof(agentdb_graph_query)`, set by `agentdb_graph_query_default()`.
    pub struct_size: u32,
    /// Valid at `as_of_us` (microseconds since the epoch) if `has_as_of`, else now.
    pub has_as_of: bool,
    pub as_of_us: i64,
    /// Valid at some instant of [`during_from_us`, `during_to_us`) if `has_during` (the end is
    /// unbounded when `during_open_end`); excludes `has_as_of`.
    pub has_during: bool,
    pub during_open_end: bool,
    pub during_from_us: i64,
    pub during_to_us: i64,
    /// As believed at transaction time `known_at_us` if `has_known_at`, else the latest versions.
    pub has_known_at: bool,
    pub known_at_us: i64,
    /// Only these `n_predicates` predicates (NULL / 0: every predicate).
    pub predicates: *const *const c_char,
    pub n_predicates: usize,
    /// `AGENTDB_GRAPH_BOTH`, `AGENTDB_GRAPH_OUT` or `AGENTDB_GRAPH_IN`.
    pub direction: i32,
}

/// The default query (see `agentdb_graph_query`).
#[no_mangle]
pub extern "C" fn agentdb_graph_query_default() -> agentdb_graph_query {
    agentdb_graph_query {
        struct_size: std::mem::size_of::<agentdb_graph_query>() as u32,
        has_as_of: false,
        as_of_us: 0,
        has_during: false,
        during_open_end: false,
        during_from_us: 0,
        during_to_us: 0,
        has_known_at: false,
        known_at_us: 0,
        predicates: std::ptr::null(),
        n_predicates: 0,
        direction: AGENTDB_GRAPH_BOTH,
    }
}

/// # Safety
/// `q` is NULL or points to an `agentdb_graph_query` whose predicates are valid strings.
unsafe fn query_from_c(q: *const agentdb_graph_query) -> Res<(FactQuery, GraphDirection)> {
    if q.is_null() {
        return Ok((FactQuery::default(), GraphDirection::default()));
    }
    read_opts!(q, agentdb_graph_query, "query", "agentdb_graph_query_default", |r| {
        let (ptr, n) = (field!(r, predicates), field!(r, n_predicates));
        let predicates = if n == 0 {
            None
        } else {
            // SAFETY: the predicates of the caller's query are valid strings (contract).
            Some(unsafe { str_array(ptr, n, "query->predicates") }?)
        };
        let direction = match field!(r, direction) {
            AGENTDB_GRAPH_BOTH => GraphDirection::Both,
            AGENTDB_GRAPH_OUT => GraphDirection::Out,
            AGENTDB_GRAPH_IN => GraphDirection::In,
            d => return Err(Fail::invalid(format!("unknown direction {d}: expected AGENTDB_GRAPH_BOTH, _OUT or _IN"))),
        };
        let q = FactQuery {
            as_of: flag!(r, has_as_of).then(|| field!(r, as_of_us)),
            during: flag!(r, has_during).then(|| (field!(r, during_from_us), (!flag!(r, during_open_end)).then(|| field!(r, during_to_us)))),
            known_at: flag!(r, has_known_at).then(|| field!(r, known_at_us)),
            predicates,
        };
        Ok((q, direction))
    })
}

/// Opens knowledge graph `name` of `db`, creating it if it does not exist, and writes its handle
/// to `*out_graph` (free it with `agentdb_graph_close`; NULL on failure). `dim` is the dimension
/// of entity embeddings, fixed when the graph is created (0: no embeddings for a new graph, any
/// for an existing one; an existing graph with another is `AGENTDB_DIMENSION_MISMATCH`).
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_graph` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_open(
    db: *const agentdb_db,
    name: *const c_char,
    dim: usize,
    out_graph: *mut *mut agentdb_graph,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_graph, "out_graph") }?;
        *out = std::ptr::null_mut();
        let d = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        let graph = d.db.graph(name, (dim != 0).then_some(dim))?;
        *out = handle::new_handle(GraphObj { graph });
        Ok(())
    })
}

/// Frees a graph handle (the graph stays in the database). NULL does nothing.
#[no_mangle]
pub extern "C" fn agentdb_graph_close(graph: *mut agentdb_graph) -> agentdb_status {
    handle::free(graph, "graph")
}

/// Deletes knowledge graph `name` and everything in it (`AGENTDB_COLLECTION_NOT_FOUND` if absent).
///
/// # Safety
/// `name` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_drop(db: *const agentdb_db, name: *const c_char) -> agentdb_status {
    guard(|| {
        let d = handle::get(db, "db")?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        Ok(d.db.drop_graph(name)?)
    })
}

/// Writes the names of the knowledge graphs of `db`, sorted, to `*out_names` (free with
/// `agentdb_strings_free`).
///
/// # Safety
/// `out_names` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_list(db: *const agentdb_db, out_names: *mut *mut agentdb_strings) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out_names, "out_names") }?;
        *out = std::ptr::null_mut();
        let d = handle::get(db, "db")?;
        let names = d.db.list_graphs()?;
        *out = handle::new_handle(StringsObj { items: names.iter().map(|s| Text::new(s)).collect() });
        Ok(())
    })
}

/// Adds an entity, or replaces the one with id `id` (NULL: a new id), and writes its id to
/// `*out_id` as a one-string `agentdb_strings` (NULL `out_id`: not returned). `type_` and
/// `metadata_json` (a JSON object) may be NULL; `aliases` holds `n_aliases` strings; `embedding`
/// holds `dim` floats (NULL / 0: none).
///
/// # Safety
/// Strings NULL or NUL-terminated; `aliases` NULL or `n_aliases` strings; `embedding` NULL or
/// `dim` floats; `out_id` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_add_entity(
    graph: *const agentdb_graph,
    id: *const c_char,
    name: *const c_char,
    type_: *const c_char,
    aliases: *const *const c_char,
    n_aliases: usize,
    embedding: *const f32,
    dim: usize,
    metadata_json: *const c_char,
    out_id: *mut *mut agentdb_strings,
) -> agentdb_status {
    guard(|| {
        let out = if out_id.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            let o = unsafe { out_arg(out_id, "out_id") }?;
            *o = std::ptr::null_mut();
            Some(o)
        };
        let g = get_graph(graph)?;
        // SAFETY: contract of this function (every pointer argument).
        let (id, name, type_, aliases, embedding, metadata) = unsafe {
            (
                opt_str_arg(id, "id")?,
                str_arg(name, "name")?,
                opt_str_arg(type_, "type_")?,
                if n_aliases == 0 { Vec::new() } else { str_array(aliases, n_aliases, "aliases")? },
                if dim == 0 { None } else { Some(slice_arg(embedding, dim, "embedding")?.to_vec()) },
                opt_str_arg(metadata_json, "metadata_json")?,
            )
        };
        let metadata = match metadata {
            None => None,
            Some(m) => Some(
                agentdb_engine::parse_json(m)
                    .map_err(|e| Fail::new(agentdb_status::AGENTDB_INVALID_METADATA, format!("metadata_json: {}", e.message())))?,
            ),
        };
        let e = NewEntity { id: id.map(str::to_owned), name: name.to_owned(), type_: type_.map(str::to_owned), aliases, embedding, metadata };
        let ids = g.graph.add_entities(&[e])?;
        if let Some(o) = out {
            *o = handle::new_handle(StringsObj { items: ids.iter().map(|s| Text::new(s)).collect() });
        }
        Ok(())
    })
}

/// Declares whether `predicate` is single-valued (a new fact on it closes the one it contradicts).
///
/// # Safety
/// `predicate` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_declare_predicate(graph: *const agentdb_graph, predicate: *const c_char, single_valued: bool) -> agentdb_status {
    guard(|| {
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let p = unsafe { str_arg(predicate, "predicate") }?;
        Ok(g.graph.declare_predicate(p, single_valued)?)
    })
}

/// Adds a fact `subject predicate object` (the object an entity id when `object_is_entity`, else
/// a literal), valid from `valid_from_us` (if `has_valid_from`, else from now) to `valid_to_us`
/// (if `has_valid_to`), taken from the memories `sources` (`n_sources`), with `confidence` (a
/// negative value: the default, 1). Writes its id to `*out_id` (as for `agentdb_graph_add_entity`).
///
/// # Safety
/// Strings NUL-terminated; `sources` NULL or `n_sources` strings; `out_id` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_add_fact(
    graph: *const agentdb_graph,
    subject: *const c_char,
    predicate: *const c_char,
    object: *const c_char,
    object_is_entity: bool,
    has_valid_from: bool,
    valid_from_us: i64,
    has_valid_to: bool,
    valid_to_us: i64,
    sources: *const *const c_char,
    n_sources: usize,
    confidence: f64,
    out_id: *mut *mut agentdb_strings,
) -> agentdb_status {
    guard(|| {
        let out = if out_id.is_null() {
            None
        } else {
            // SAFETY: contract of this function.
            let o = unsafe { out_arg(out_id, "out_id") }?;
            *o = std::ptr::null_mut();
            Some(o)
        };
        let g = get_graph(graph)?;
        // SAFETY: contract of this function (every pointer argument).
        let (subject, predicate, object, sources) = unsafe {
            (
                str_arg(subject, "subject")?,
                str_arg(predicate, "predicate")?,
                str_arg(object, "object")?,
                if n_sources == 0 { Vec::new() } else { str_array(sources, n_sources, "sources")? },
            )
        };
        let f = NewFact {
            subject: subject.to_owned(),
            predicate: predicate.to_owned(),
            object: if object_is_entity { FactObject::Entity(object.to_owned()) } else { FactObject::Literal(object.to_owned()) },
            valid_from: has_valid_from.then_some(valid_from_us),
            valid_to: has_valid_to.then_some(valid_to_us),
            sources,
            confidence: (!(confidence < 0.0)).then_some(confidence),
        };
        let ids = g.graph.add_facts(&[f])?;
        if let Some(o) = out {
            *o = handle::new_handle(StringsObj { items: ids.iter().map(|s| Text::new(s)).collect() });
        }
        Ok(())
    })
}

/// Ends fact `fact_id`'s validity at `at_us` (if `has_at`, else now), as a new version; writes
/// that version to `*out_facts` (one fact; NULL: not returned).
///
/// # Safety
/// `fact_id` NUL-terminated; `out_facts` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_invalidate(
    graph: *const agentdb_graph,
    fact_id: *const c_char,
    has_at: bool,
    at_us: i64,
    out_facts: *mut *mut agentdb_graph_facts,
) -> agentdb_status {
    guard(|| {
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let id = unsafe { str_arg(fact_id, "fact_id") }?;
        let f = g.graph.invalidate(id, has_at.then_some(at_us))?;
        // SAFETY: contract of this function.
        unsafe { put_facts(out_facts, vec![f], true) }
    })
}

/// Keeps a fact's `valid_to` in `agentdb_graph_correct`.
pub const AGENTDB_GRAPH_KEEP: i32 = 0;
/// Sets it to `valid_to_us`.
pub const AGENTDB_GRAPH_SET: i32 = 1;
/// Clears it (the fact is valid from `valid_from` on).
pub const AGENTDB_GRAPH_REOPEN: i32 = 2;

/// Corrects fact `fact_id` (it was recorded wrong): a new version with the object (if `object`
/// is not NULL), `valid_from` (if `has_valid_from`), `valid_to` (per `valid_to_mode`:
/// `AGENTDB_GRAPH_KEEP`, `_SET` or `_REOPEN`), sources (if `sources` is not NULL) and confidence
/// (if not negative) changed; the old version stays. Writes the new version to `*out_facts`.
///
/// # Safety
/// Strings NULL or NUL-terminated; `sources` NULL or `n_sources` strings; `out_facts` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_correct(
    graph: *const agentdb_graph,
    fact_id: *const c_char,
    object: *const c_char,
    object_is_entity: bool,
    has_valid_from: bool,
    valid_from_us: i64,
    valid_to_mode: i32,
    valid_to_us: i64,
    sources: *const *const c_char,
    n_sources: usize,
    confidence: f64,
    out_facts: *mut *mut agentdb_graph_facts,
) -> agentdb_status {
    guard(|| {
        let g = get_graph(graph)?;
        // SAFETY: contract of this function (every pointer argument).
        let (id, object, sources) = unsafe {
            (
                str_arg(fact_id, "fact_id")?,
                opt_str_arg(object, "object")?,
                if sources.is_null() { None } else { Some(str_array(sources, n_sources, "sources")?) },
            )
        };
        let valid_to = match valid_to_mode {
            AGENTDB_GRAPH_KEEP => None,
            AGENTDB_GRAPH_SET => Some(Some(valid_to_us)),
            AGENTDB_GRAPH_REOPEN => Some(None),
            m => return Err(Fail::invalid(format!("unknown valid_to_mode {m}: expected AGENTDB_GRAPH_KEEP, _SET or _REOPEN"))),
        };
        let change = FactCorrection {
            object: object.map(|o| if object_is_entity { FactObject::Entity(o.to_owned()) } else { FactObject::Literal(o.to_owned()) }),
            valid_from: has_valid_from.then_some(valid_from_us),
            valid_to,
            sources,
            confidence: (!(confidence < 0.0)).then_some(confidence),
        };
        let f = g.graph.correct(id, &change)?;
        // SAFETY: contract of this function.
        unsafe { put_facts(out_facts, vec![f], true) }
    })
}

/// # Safety
/// `out` is NULL or writable.
unsafe fn put_facts(out: *mut *mut agentdb_graph_facts, facts: Vec<agentdb_engine::Fact>, optional: bool) -> Res {
    if out.is_null() && optional {
        return Ok(());
    }
    // SAFETY: contract of this function.
    let o = unsafe { out_arg(out, "out_facts") }?;
    *o = handle::new_handle(FactsObj::new(facts));
    Ok(())
}

/// # Safety
/// `out` is NULL or writable.
unsafe fn facts_out<'a>(out: *mut *mut agentdb_graph_facts) -> Res<&'a mut *mut agentdb_graph_facts> {
    // SAFETY: contract of this function.
    let o = unsafe { out_arg(out, "out_facts") }?;
    *o = std::ptr::null_mut();
    Ok(o)
}

/// The facts about entity `entity_id` that `query` selects (NULL: the default query), ordered by
/// valid_from, to `*out_facts` (free with `agentdb_graph_facts_free`).
///
/// # Safety
/// `entity_id` NUL-terminated; `query` NULL or a query from `agentdb_graph_query_default()`;
/// `out_facts` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_get_facts(
    graph: *const agentdb_graph,
    entity_id: *const c_char,
    query: *const agentdb_graph_query,
    out_facts: *mut *mut agentdb_graph_facts,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let o = unsafe { facts_out(out_facts) }?;
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let (id, (q, d)) = unsafe { (str_arg(entity_id, "entity_id")?, query_from_c(query)?) };
        *o = handle::new_handle(FactsObj::new(g.graph.facts(id, &q, d)?));
        Ok(())
    })
}

/// Every version of fact `fact_id`, oldest first (none: no such fact), to `*out_facts`.
///
/// # Safety
/// `fact_id` NUL-terminated; `out_facts` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_fact_history(
    graph: *const agentdb_graph,
    fact_id: *const c_char,
    out_facts: *mut *mut agentdb_graph_facts,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let o = unsafe { facts_out(out_facts) }?;
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let id = unsafe { str_arg(fact_id, "fact_id") }?;
        *o = handle::new_handle(FactsObj::new(g.graph.fact_history(id)?));
        Ok(())
    })
}

/// The entities within `hops` facts of `entity_id` (following facts between entities that
/// `query` selects), nearest first, to `*out_neighbors` (free with `agentdb_graph_neighbors_free`).
///
/// # Safety
/// As for `agentdb_graph_get_facts`.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_get_neighbors(
    graph: *const agentdb_graph,
    entity_id: *const c_char,
    hops: usize,
    query: *const agentdb_graph_query,
    out_neighbors: *mut *mut agentdb_graph_neighbors,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let o = unsafe { out_arg(out_neighbors, "out_neighbors") }?;
        *o = std::ptr::null_mut();
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let (id, (q, d)) = unsafe { (str_arg(entity_id, "entity_id")?, query_from_c(query)?) };
        *o = handle::new_handle(NeighborsObj::new(g.graph.neighbors(id, hops, &q, d)?));
        Ok(())
    })
}

/// A shortest chain of facts from `from_id` to `to_id` in at most `max_hops` (0: the most the
/// engine allows), to `*out_facts`; `*out_found` says whether there is one (false: `*out_facts`
/// is an empty list). From an entity to itself: found, no facts.
///
/// # Safety
/// As for `agentdb_graph_get_facts`; `out_found` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_shortest_path(
    graph: *const agentdb_graph,
    from_id: *const c_char,
    to_id: *const c_char,
    max_hops: usize,
    query: *const agentdb_graph_query,
    out_found: *mut bool,
    out_facts: *mut *mut agentdb_graph_facts,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (o, found) = unsafe { (facts_out(out_facts)?, out_arg(out_found, "out_found")?) };
        *found = false;
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let (from, to, (q, d)) = unsafe { (str_arg(from_id, "from_id")?, str_arg(to_id, "to_id")?, query_from_c(query)?) };
        let hops = if max_hops == 0 { agentdb_engine::GRAPH_MAX_HOPS } else { max_hops };
        let path = g.graph.shortest_path(from, to, hops, &q, d)?;
        *found = path.is_some();
        *o = handle::new_handle(FactsObj::new(path.unwrap_or_default()));
        Ok(())
    })
}

/// The facts about the entities `text` mentions (names or aliases as whole words, ignoring
/// case), valid at `as_of_us` (if `has_as_of`, else now), at most `limit` (0: the engine's
/// default), each with its source memory ids, to `*out_facts`.
///
/// # Safety
/// `text` NUL-terminated; `out_facts` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_get_facts_for_text(
    graph: *const agentdb_graph,
    text: *const c_char,
    has_as_of: bool,
    as_of_us: i64,
    limit: usize,
    out_facts: *mut *mut agentdb_graph_facts,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let o = unsafe { facts_out(out_facts) }?;
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let text = unsafe { str_arg(text, "text") }?;
        let limit = if limit == 0 { agentdb_engine::GRAPH_DEFAULT_FACTS_LIMIT } else { limit };
        *o = handle::new_handle(FactsObj::new(g.graph.facts_for_text(text, has_as_of.then_some(as_of_us), limit)?));
        Ok(())
    })
}

/// The entity `entity_id` (a list of one, or none) to `*out_entities`.
///
/// # Safety
/// `entity_id` NUL-terminated; `out_entities` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_get_entity(
    graph: *const agentdb_graph,
    entity_id: *const c_char,
    out_entities: *mut *mut agentdb_graph_entities,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let o = unsafe { out_arg(out_entities, "out_entities") }?;
        *o = std::ptr::null_mut();
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let id = unsafe { str_arg(entity_id, "entity_id") }?;
        let e = g.graph.entity(id)?;
        *o = handle::new_handle(EntitiesObj::new(e.into_iter().map(|e| (e, 1.0)).collect()));
        Ok(())
    })
}

/// Entities by `text` (NULL: none), by `vector` (`dim` floats; NULL / 0: none) or both, best
/// first, at most `k` (0: the engine's default), of type `type_` only (NULL: any), with their
/// scores, to `*out_entities`. Exact names and aliases: `agentdb_graph_find_entities`.
///
/// # Safety
/// Strings NULL or NUL-terminated; `vector` NULL or `dim` floats; `out_entities` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_search_entities(
    graph: *const agentdb_graph,
    text: *const c_char,
    vector: *const f32,
    dim: usize,
    k: usize,
    type_: *const c_char,
    out_entities: *mut *mut agentdb_graph_entities,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let o = unsafe { out_arg(out_entities, "out_entities") }?;
        *o = std::ptr::null_mut();
        let g = get_graph(graph)?;
        // SAFETY: contract of this function (every pointer argument).
        let (text, vector, type_) = unsafe {
            (
                opt_str_arg(text, "text")?,
                if dim == 0 { None } else { Some(slice_arg(vector, dim, "vector")?) },
                opt_str_arg(type_, "type_")?,
            )
        };
        let k = if k == 0 { agentdb_engine::GRAPH_DEFAULT_ENTITY_K } else { k };
        let hits = g.graph.search_entities(text, vector, k, type_)?;
        *o = handle::new_handle(EntitiesObj::new(hits.into_iter().map(|h| (h.entity, h.score)).collect()));
        Ok(())
    })
}

/// The entities whose name or an alias is `name` (ignoring case), to `*out_entities` (score 1).
///
/// # Safety
/// `name` NUL-terminated; `out_entities` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_find_entities(
    graph: *const agentdb_graph,
    name: *const c_char,
    out_entities: *mut *mut agentdb_graph_entities,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let o = unsafe { out_arg(out_entities, "out_entities") }?;
        *o = std::ptr::null_mut();
        let g = get_graph(graph)?;
        // SAFETY: contract of this function.
        let name = unsafe { str_arg(name, "name") }?;
        let found = g.graph.find_entities(name)?;
        *o = handle::new_handle(EntitiesObj::new(found.into_iter().map(|e| (e, 1.0)).collect()));
        Ok(())
    })
}

/// Writes how many entities and facts (each fact once) the graph holds.
///
/// # Safety
/// `out_entities` and `out_facts` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_count(graph: *const agentdb_graph, out_entities: *mut usize, out_facts: *mut usize) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let (e, f) = unsafe { (out_arg(out_entities, "out_entities")?, out_arg(out_facts, "out_facts")?) };
        let g = get_graph(graph)?;
        (*e, *f) = g.graph.counts()?;
        Ok(())
    })
}

/// Writes what is buffered to Lance now (the database does this about every second).
#[no_mangle]
pub extern "C" fn agentdb_graph_flush(graph: *const agentdb_graph) -> agentdb_status {
    guard(|| Ok(get_graph(graph)?.graph.flush()?))
}
