//! Facts of a knowledge graph (`agentdb_graph_get_facts`, from `agentdb_graph_get_facts`,
//! `agentdb_graph_fact_history`, `agentdb_graph_shortest_path`, `agentdb_graph_get_facts_for_text`,
//! `agentdb_graph_invalidate`, `agentdb_graph_correct`): `agentdb_graph_facts_count` /
//! `agentdb_graph_facts_get` / `agentdb_graph_facts_source` / `agentdb_graph_facts_free`.

use std::ffi::c_char;

use agentdb_engine::{Fact, FactObject};

use crate::args::{index, out_arg};
use crate::handle::{self, agentdb_graph_facts};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

pub(crate) struct FactItem {
    fact: Fact,
    id: Text,
    subject: Text,
    predicate: Text,
    object: Text,
    sources: Vec<Text>,
}

pub(crate) struct FactsObj {
    pub(crate) items: Vec<FactItem>,
}

impl FactsObj {
    pub(crate) fn new(facts: Vec<Fact>) -> FactsObj {
        FactsObj {
            items: facts
                .into_iter()
                .map(|f| FactItem {
                    id: Text::new(&f.id),
                    subject: Text::new(&f.subject),
                    predicate: Text::new(&f.predicate),
                    object: Text::new(match &f.object {
                        FactObject::Entity(s) | FactObject::Literal(s) => s,
                    }),
                    sources: f.sources.iter().map(|s| Text::new(s)).collect(),
                    fact: f,
                })
                .collect(),
        }
    }
}

/// One version of a fact, as `agentdb_graph_facts_get` hands it out. The strings point into the
/// `agentdb_graph_facts` object and live until its free. Times are microseconds since the epoch.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct agentdb_graph_fact {
    pub id: *const c_char,
    /// 1 for the fact as first recorded, one more per change.
    pub version: u32,
    pub subject: *const c_char,
    pub predicate: *const c_char,
    /// An entity id when `object_is_entity`, else the literal.
    pub object: *const c_char,
    pub object_is_entity: bool,
    /// Valid from `valid_from_us` (inclusive) to `valid_to_us` (exclusive) when `has_valid_to`.
    pub valid_from_us: i64,
    pub valid_to_us: i64,
    pub has_valid_to: bool,
    /// When this version was recorded, and (if `has_superseded_at`) when a later one replaced it.
    pub recorded_at_us: i64,
    pub superseded_at_us: i64,
    pub has_superseded_at: bool,
    pub confidence: f64,
    /// How many source memory ids (`agentdb_graph_facts_source`).
    pub n_sources: usize,
}

/// Writes the number of facts to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_facts_count(facts: *const agentdb_graph_facts, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(facts, "facts", out_count, |o| o.items.len()) }
}

/// Writes fact `i` to `*out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_facts_get(facts: *const agentdb_graph_facts, i: usize, out: *mut agentdb_graph_fact) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(facts, "facts")?;
        let it = &obj.items[index(i, obj.items.len(), "i")?];
        let f = &it.fact;
        *out = agentdb_graph_fact {
            id: it.id.ptr(),
            version: f.version,
            subject: it.subject.ptr(),
            predicate: it.predicate.ptr(),
            object: it.object.ptr(),
            object_is_entity: matches!(f.object, FactObject::Entity(_)),
            valid_from_us: f.valid_from,
            valid_to_us: f.valid_to.unwrap_or(0),
            has_valid_to: f.valid_to.is_some(),
            recorded_at_us: f.recorded_at,
            superseded_at_us: f.superseded_at.unwrap_or(0),
            has_superseded_at: f.superseded_at.is_some(),
            confidence: f.confidence,
            n_sources: it.sources.len(),
        };
        Ok(())
    })
}

/// Writes source memory id `j` of fact `i` to `*out` (it lives until the free).
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_facts_source(
    facts: *const agentdb_graph_facts,
    i: usize,
    j: usize,
    out: *mut *const c_char,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(facts, "facts")?;
        let it = &obj.items[index(i, obj.items.len(), "i")?];
        *out = it.sources[index(j, it.sources.len(), "j")?].ptr();
        Ok(())
    })
}

/// Frees an `agentdb_graph_facts` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_graph_facts_free(facts: *mut agentdb_graph_facts) -> agentdb_status {
    handle::free(facts, "facts")
}
