//! The operations of the knowledge graphs as they go through the write-ahead log and into the
//! Lance table. One log record is one batch of operations, applied whole. Every operation carries
//! what the write decided (ids, `recorded_at`, the versions a contradiction closed), so replaying
//! it — after a crash, or when the table is read on open — reproduces exactly what the call did.
//!
//! The encoding is JSON (one array per record, one object per operation and table row): the
//! graph holds text, numbers and JSON metadata only, and a row of the table stays readable by
//! anyone inspecting it with Lance.

use serde_json::{json, Map, Value as Json};

use super::{Entity, Fact, FactObject};
use crate::error::{Error, Result};

/// Leading field of every record, so a record of a future format is refused instead of misread.
const FORMAT: u64 = 1;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Creates the graph `graph` (its embedding dimension is fixed from then on).
    Create { graph: String, dim: Option<usize> },
    /// Declares whether a predicate is single-valued (at most one object per subject at a time).
    Predicate { graph: String, name: String, single_valued: bool },
    /// An entity as of `entity.recorded_at` (replaces the one with its id).
    Entity { graph: String, entity: Entity },
    /// A version of a fact (a new fact is version 1; a closing, invalidation or correction is the
    /// next version, the older ones kept for the transaction-time history).
    Fact { graph: String, fact: Fact },
    /// Removes the graph and everything in it.
    Drop { graph: String },
}

impl Op {
    pub fn graph(&self) -> &str {
        match self {
            Op::Create { graph, .. }
            | Op::Predicate { graph, .. }
            | Op::Entity { graph, .. }
            | Op::Fact { graph, .. }
            | Op::Drop { graph } => graph,
        }
    }
}

fn opt_str(s: &Option<String>) -> Json {
    s.as_ref().map_or(Json::Null, |s| Json::String(s.clone()))
}

pub(crate) fn op_to_json(op: &Op) -> Json {
    match op {
        Op::Create { graph, dim } => json!({"op": "create", "graph": graph, "dim": dim}),
        Op::Predicate { graph, name, single_valued } => {
            json!({"op": "predicate", "graph": graph, "name": name, "single_valued": single_valued})
        }
        Op::Entity { graph, entity: e } => json!({
            "op": "entity",
            "graph": graph,
            "id": e.id,
            "name": e.name,
            "type": opt_str(&e.type_),
            "aliases": e.aliases,
            "embedding": e.embedding.as_ref().map(|v| v.iter().map(|x| *x as f64).collect::<Vec<f64>>()),
            "metadata": Json::Object(e.metadata.clone()),
            "recorded_at": e.recorded_at,
        }),
        Op::Fact { graph, fact: f } => {
            let (kind, object) = match &f.object {
                FactObject::Entity(id) => ("entity", id),
                FactObject::Literal(s) => ("literal", s),
            };
            json!({
                "op": "fact",
                "graph": graph,
                "id": f.id,
                "version": f.version,
                "subject": f.subject,
                "predicate": f.predicate,
                "object_kind": kind,
                "object": object,
                "valid_from": f.valid_from,
                "valid_to": f.valid_to,
                "recorded_at": f.recorded_at,
                "sources": f.sources,
                "confidence": f.confidence,
            })
        }
        Op::Drop { graph } => json!({"op": "drop", "graph": graph}),
    }
}

/// One log record: the batch of operations of one write.
pub(crate) fn encode(ops: &[Op]) -> Vec<u8> {
    let v = json!({"format": FORMAT, "ops": ops.iter().map(op_to_json).collect::<Vec<_>>()});
    v.to_string().into_bytes()
}

pub(crate) fn decode(payload: &[u8]) -> Result<Vec<Op>> {
    let v: Json = serde_json::from_slice(payload).map_err(|e| corrupt(&format!("not JSON: {e}")))?;
    if v.get("format").and_then(Json::as_u64) != Some(FORMAT) {
        return Err(corrupt("unknown format"));
    }
    let ops = v.get("ops").and_then(Json::as_array).ok_or_else(|| corrupt("no operations"))?;
    ops.iter().map(op_from_json).collect()
}

fn corrupt(what: &str) -> Error {
    Error::internal(format!("knowledge graph record is corrupt ({what})"))
}

fn field<'a>(o: &'a Map<String, Json>, k: &str) -> Result<&'a Json> {
    o.get(k).ok_or_else(|| corrupt(&format!("no field '{k}'")))
}

fn string(o: &Map<String, Json>, k: &str) -> Result<String> {
    field(o, k)?.as_str().map(str::to_owned).ok_or_else(|| corrupt(&format!("'{k}' is not a string")))
}

fn opt_string(o: &Map<String, Json>, k: &str) -> Result<Option<String>> {
    match o.get(k) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        _ => Err(corrupt(&format!("'{k}' is not a string"))),
    }
}

fn int(o: &Map<String, Json>, k: &str) -> Result<i64> {
    field(o, k)?.as_i64().ok_or_else(|| corrupt(&format!("'{k}' is not an integer")))
}

fn opt_int(o: &Map<String, Json>, k: &str) -> Result<Option<i64>> {
    match o.get(k) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| corrupt(&format!("'{k}' is not an integer"))),
    }
}

fn strings(o: &Map<String, Json>, k: &str) -> Result<Vec<String>> {
    field(o, k)?
        .as_array()
        .ok_or_else(|| corrupt(&format!("'{k}' is not a list")))?
        .iter()
        .map(|s| s.as_str().map(str::to_owned).ok_or_else(|| corrupt(&format!("'{k}' holds a non-string"))))
        .collect()
}

pub(crate) fn op_from_json(v: &Json) -> Result<Op> {
    let o = v.as_object().ok_or_else(|| corrupt("an operation is not an object"))?;
    let graph = string(o, "graph")?;
    Ok(match string(o, "op")?.as_str() {
        "create" => Op::Create { graph, dim: opt_int(o, "dim")?.map(|d| d as usize) },
        "predicate" => Op::Predicate {
            graph,
            name: string(o, "name")?,
            single_valued: field(o, "single_valued")?.as_bool().ok_or_else(|| corrupt("'single_valued'"))?,
        },
        "entity" => {
            let embedding = match o.get("embedding") {
                None | Some(Json::Null) => None,
                Some(Json::Array(a)) => Some(
                    a.iter()
                        .map(|x| x.as_f64().map(|x| x as f32).ok_or_else(|| corrupt("an embedding value")))
                        .collect::<Result<Vec<f32>>>()?
                        .into(),
                ),
                _ => return Err(corrupt("'embedding' is not a list")),
            };
            let metadata = match o.get("metadata") {
                Some(Json::Object(m)) => m.clone(),
                None | Some(Json::Null) => Map::new(),
                _ => return Err(corrupt("'metadata' is not an object")),
            };
            Op::Entity {
                graph,
                entity: Entity {
                    id: string(o, "id")?,
                    name: string(o, "name")?,
                    type_: opt_string(o, "type")?,
                    aliases: strings(o, "aliases")?,
                    embedding,
                    metadata,
                    recorded_at: int(o, "recorded_at")?,
                },
            }
        }
        "fact" => {
            let object = match string(o, "object_kind")?.as_str() {
                "entity" => FactObject::Entity(string(o, "object")?),
                "literal" => FactObject::Literal(string(o, "object")?),
                _ => return Err(corrupt("unknown object kind")),
            };
            Op::Fact {
                graph,
                fact: Fact {
                    id: string(o, "id")?,
                    version: int(o, "version")? as u32,
                    subject: string(o, "subject")?,
                    predicate: string(o, "predicate")?,
                    object,
                    valid_from: int(o, "valid_from")?,
                    valid_to: opt_int(o, "valid_to")?,
                    recorded_at: int(o, "recorded_at")?,
                    superseded_at: None,
                    sources: strings(o, "sources")?,
                    confidence: field(o, "confidence")?.as_f64().ok_or_else(|| corrupt("'confidence'"))?,
                },
            }
        }
        "drop" => Op::Drop { graph },
        other => return Err(corrupt(&format!("unknown operation '{other}'"))),
    })
}
