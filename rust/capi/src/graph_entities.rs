//! Entities of a knowledge graph (`agentdb_graph_entities`, from `agentdb_graph_get_entity`,
//! `agentdb_graph_find_entities`, `agentdb_graph_search_entities`) and the neighbours of one
//! (`agentdb_graph_neighbors`), each with `_count` / `_get` / `_free`.

use std::ffi::c_char;

use agentdb_engine::{Entity, Neighbor};

use crate::args::{index, out_arg};
use crate::handle::{self, agentdb_graph_entities, agentdb_graph_neighbors};
use crate::status::{agentdb_status, guard};
use crate::text::Text;

pub(crate) struct EntityItem {
    entity: Entity,
    score: f64,
    id: Text,
    name: Text,
    type_: Option<Text>,
    aliases: Vec<Text>,
    metadata: Text,
}

pub(crate) struct EntitiesObj {
    pub(crate) items: Vec<EntityItem>,
}

impl EntitiesObj {
    pub(crate) fn new(entities: Vec<(Entity, f64)>) -> EntitiesObj {
        EntitiesObj {
            items: entities
                .into_iter()
                .map(|(e, score)| EntityItem {
                    id: Text::new(&e.id),
                    name: Text::new(&e.name),
                    type_: e.type_.as_deref().map(Text::new),
                    aliases: e.aliases.iter().map(|s| Text::new(s)).collect(),
                    metadata: Text::new(&agentdb_engine::serde_json::Value::Object(e.metadata.clone()).to_string()),
                    entity: e,
                    score,
                })
                .collect(),
        }
    }
}

/// One entity, as `agentdb_graph_entities_get` hands it out (pointers live until the free).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct agentdb_graph_entity {
    pub id: *const c_char,
    pub name: *const c_char,
    /// NULL when it has no type.
    pub type_: *const c_char,
    /// How many aliases (`agentdb_graph_entities_alias`).
    pub n_aliases: usize,
    /// A JSON object.
    pub metadata_json: *const c_char,
    /// `dim` floats, or NULL (and 0) without an embedding.
    pub embedding: *const f32,
    pub dim: usize,
    /// When this version of the entity was recorded (microseconds since the epoch).
    pub recorded_at_us: i64,
    /// The search score (`agentdb_graph_search_entities`); 1 for the other calls.
    pub score: f64,
}

/// Writes the number of entities to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_entities_count(entities: *const agentdb_graph_entities, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(entities, "entities", out_count, |o| o.items.len()) }
}

/// Writes entity `i` to `*out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_entities_get(
    entities: *const agentdb_graph_entities,
    i: usize,
    out: *mut agentdb_graph_entity,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(entities, "entities")?;
        let it = &obj.items[index(i, obj.items.len(), "i")?];
        let emb = it.entity.embedding.as_deref();
        *out = agentdb_graph_entity {
            id: it.id.ptr(),
            name: it.name.ptr(),
            type_: it.type_.as_ref().map_or(std::ptr::null(), Text::ptr),
            n_aliases: it.aliases.len(),
            metadata_json: it.metadata.ptr(),
            embedding: emb.map_or(std::ptr::null(), <[f32]>::as_ptr),
            dim: emb.map_or(0, <[f32]>::len),
            recorded_at_us: it.entity.recorded_at,
            score: it.score,
        };
        Ok(())
    })
}

/// Writes alias `j` of entity `i` to `*out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_entities_alias(
    entities: *const agentdb_graph_entities,
    i: usize,
    j: usize,
    out: *mut *const c_char,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(entities, "entities")?;
        let it = &obj.items[index(i, obj.items.len(), "i")?];
        *out = it.aliases[index(j, it.aliases.len(), "j")?].ptr();
        Ok(())
    })
}

/// Frees an `agentdb_graph_entities` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_graph_entities_free(entities: *mut agentdb_graph_entities) -> agentdb_status {
    handle::free(entities, "entities")
}

pub(crate) struct NeighborsObj {
    items: Vec<(Text, usize)>,
}

impl NeighborsObj {
    pub(crate) fn new(n: Vec<Neighbor>) -> NeighborsObj {
        NeighborsObj { items: n.into_iter().map(|n| (Text::new(&n.entity), n.hops)).collect() }
    }
}

/// An entity reached by `agentdb_graph_get_neighbors`, `hops` facts away.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct agentdb_graph_neighbor {
    pub entity_id: *const c_char,
    pub hops: usize,
}

/// Writes the number of neighbours to `*out_count`.
///
/// # Safety
/// `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_neighbors_count(neighbors: *const agentdb_graph_neighbors, out_count: *mut usize) -> agentdb_status {
    // SAFETY: contract of this function.
    unsafe { handle::count(neighbors, "neighbors", out_count, |o| o.items.len()) }
}

/// Writes neighbour `i` to `*out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn agentdb_graph_neighbors_get(
    neighbors: *const agentdb_graph_neighbors,
    i: usize,
    out: *mut agentdb_graph_neighbor,
) -> agentdb_status {
    guard(|| {
        // SAFETY: contract of this function.
        let out = unsafe { out_arg(out, "out") }?;
        let obj = handle::get(neighbors, "neighbors")?;
        let (id, hops) = &obj.items[index(i, obj.items.len(), "i")?];
        *out = agentdb_graph_neighbor { entity_id: id.ptr(), hops: *hops };
        Ok(())
    })
}

/// Frees an `agentdb_graph_neighbors` (NULL: nothing).
#[no_mangle]
pub extern "C" fn agentdb_graph_neighbors_free(neighbors: *mut agentdb_graph_neighbors) -> agentdb_status {
    handle::free(neighbors, "neighbors")
}
