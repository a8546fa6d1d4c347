//! The operations of the knowledge graphs as they go through the write-ahead log and into the
//! Lance table. One log record is one batch of operations, applied whole. Every operation carries
//! what the write decided (ids, `recorded_at`, the versions a contradiction closed), so replaying
//! it — after a crash, or when the table is read on open — reproduces exactly what the call did.
//!
//! The encoding is JSON (one array per record, one object per operation and table row): the
//! graph holds text, numbers and JSON metadata only, and a row of the table stays readable by
//! anyone inspecting it with Lance.

use serde::Deserialize;
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
    ops.iter().map(|o| Wire::deserialize(o).map_err(|e| corrupt(&e.to_string())).and_then(Wire::into_op)).collect()
}

/// One operation from its JSON text (a row of the graph table), parsed straight into its
/// fields: no `serde_json::Value` tree in between, which halved the parse on open (500k
/// rows).
pub(crate) fn op_from_str(text: &str) -> Result<Op> {
    serde_json::from_str::<Wire>(text).map_err(|e| corrupt(&e.to_string()))?.into_op()
}

fn corrupt(what: &str) -> Error {
    Error::internal(format!("knowledge graph record is corrupt ({what})"))
}

/// Every field an operation object can have (`op_to_json` writes them); which are required
/// depends on `op`, checked by [`Wire::into_op`]. A missing or `null` optional field is `None`;
/// unknown fields are ignored.
#[derive(Deserialize)]
struct Wire {
    op: String,
    graph: String,
    dim: Option<usize>,
    name: Option<String>,
    single_valued: Option<bool>,
    id: Option<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
    aliases: Option<Vec<String>>,
    embedding: Option<Vec<f32>>,
    metadata: Option<Map<String, Json>>,
    recorded_at: Option<i64>,
    version: Option<i64>,
    subject: Option<String>,
    predicate: Option<String>,
    object_kind: Option<String>,
    object: Option<String>,
    valid_from: Option<i64>,
    valid_to: Option<i64>,
    sources: Option<Vec<String>>,
    confidence: Option<f64>,
}

fn need<T>(v: Option<T>, k: &str) -> Result<T> {
    v.ok_or_else(|| corrupt(&format!("no field '{k}'")))
}

impl Wire {
    fn into_op(self) -> Result<Op> {
        let graph = self.graph;
        Ok(match self.op.as_str() {
            "create" => Op::Create { graph, dim: self.dim },
            "predicate" => Op::Predicate {
                graph,
                name: need(self.name, "name")?,
                single_valued: need(self.single_valued, "single_valued")?,
            },
            "entity" => Op::Entity {
                graph,
                entity: Entity {
                    id: need(self.id, "id")?,
                    name: need(self.name, "name")?,
                    type_: self.type_,
                    aliases: need(self.aliases, "aliases")?,
                    embedding: self.embedding.map(Into::into),
                    metadata: self.metadata.unwrap_or_default(),
                    recorded_at: need(self.recorded_at, "recorded_at")?,
                },
            },
            "fact" => {
                let object = need(self.object, "object")?;
                let object = match need(self.object_kind, "object_kind")?.as_str() {
                    "entity" => FactObject::Entity(object),
                    "literal" => FactObject::Literal(object),
                    _ => return Err(corrupt("unknown object kind")),
                };
                Op::Fact {
                    graph,
                    fact: Fact {
                        id: need(self.id, "id")?,
                        version: need(self.version, "version")? as u32,
                        subject: need(self.subject, "subject")?,
                        predicate: need(self.predicate, "predicate")?,
                        object,
                        valid_from: need(self.valid_from, "valid_from")?,
                        valid_to: self.valid_to,
                        recorded_at: need(self.recorded_at, "recorded_at")?,
                        superseded_at: None,
                        sources: need(self.sources, "sources")?,
                        confidence: need(self.confidence, "confidence")?,
                    },
                }
            }
            "drop" => Op::Drop { graph },
            other => return Err(corrupt(&format!("unknown operation '{other}'"))),
        })
    }
}
