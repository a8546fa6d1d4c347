//! The agent state as a list of its own operations, for export and import (the engine's
//! `transfer` module writes them to a file: one JSON object per line, or as Parquet one row per
//! operation, each row turned back into the same JSON object on import, so these checks are the
//! only ones).
//!
//! Every stored row becomes the operation that writes it with its exact fields — each version of
//! each key (tombstones included) with its version number, value text, write and expiry times;
//! each session TTL setting; each checkpoint with its payload; each pending write — so applying
//! them to an empty state rebuilds it as it was: the same histories, time travel, TTLs and
//! checkpoints. Applied through [`State::commit`], an import is logged and durable like any write.

use std::cell::RefCell;


use base64::Engine as _;

use super::mem::Mem;
use super::ops::{Op, WriteItem};
use super::State;
use crate::error::{Error, Result};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl State {
    /// Whether the state holds nothing (no key, session setting, checkpoint or pending write).
    pub fn is_empty(&self) -> Result<bool> {
        let mem = self.read()?;
        Ok(mem.agents.values().all(|sessions| sessions.values().all(|s| s.is_empty())) && mem.checkpoints.is_empty() && mem.writes.is_empty())
    }

    /// Every stored row as a JSON operation (see the module comment), read as of one moment (one
    /// pass under the read lock; checkpoint payloads no longer held in memory are then read from
    /// Lance, the pass repeated if one was replaced meanwhile).
    pub fn export_ops(&self) -> Result<Vec<serde_json::Value>> {
        let rows: RefCell<Vec<Op>> = RefCell::new(Vec::new());
        let checkpoints = self.with_payloads(|mem| {
            *rows.borrow_mut() = key_and_write_ops(mem);
            mem.checkpoints.values().flat_map(|per| per.values().cloned()).collect()
        })?;
        let mut ops = rows.into_inner();
        ops.extend(checkpoints.into_iter().map(|cp| Op::Checkpoint {
            thread: cp.thread_id,
            namespace: cp.namespace,
            id: cp.checkpoint_id,
            parent: cp.parent_id,
            type_: cp.type_,
            payload: cp.checkpoint.to_vec(),
            metadata: cp.metadata.to_string(),
            created_at: cp.created_at,
        }));
        Ok(ops.iter().map(op_to_json).collect())
    }

    /// Applies exported operations (one batch, logged as one record: all or none of it). The
    /// caller imports into an empty state; the clock of later writes is moved past every time
    /// the batch carries, so they stay strictly later than what was imported.
    pub fn import_ops(&self, ops: &[serde_json::Value]) -> Result<()> {
        let ops = ops.iter().map(op_from_json).collect::<Result<Vec<Op>>>()?;
        let latest = ops.iter().map(op_time).max().unwrap_or(i64::MIN);
        self.commit(|_, _| Ok((ops, ())))?;
        let mut w = self.inner.lock_writer();
        w.last_time = w.last_time.max(latest);
        Ok(())
    }

    /// Removes what an import of these agents and threads wrote (a failed import's undo).
    pub fn purge_imported(&self, agents: &[String], threads: &[String]) -> Result<()> {
        let mut ops: Vec<Op> =
            agents.iter().map(|a| Op::Drop { agent: a.clone(), session: None, key: None, keys_only: false, upto: None }).collect();
        ops.extend(threads.iter().map(|t| Op::DeleteThread { thread: t.clone() }));
        if ops.is_empty() {
            return Ok(());
        }
        self.commit(|_, _| Ok((ops, ())))
    }
}

/// The agent and thread an exported operation belongs to (for [`State::purge_imported`]).
pub fn op_owner(v: &serde_json::Value) -> (Option<&str>, Option<&str>) {
    (v.get("agent_id").and_then(|a| a.as_str()), v.get("thread_id").and_then(|t| t.as_str()))
}

fn key_and_write_ops(mem: &Mem) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut agents: Vec<&String> = mem.agents.keys().collect();
    agents.sort();
    for agent in agents {
        for (session, s) in &mem.agents[agent] {
            for t in &s.settings {
                ops.push(Op::SessionTtl { agent: agent.clone(), session: session.clone(), version: t.version, ttl: t.ttl, written_at: t.written_at });
            }
            for (key, versions) in &s.keys {
                for r in versions {
                    ops.push(Op::Put {
                        agent: agent.clone(),
                        session: session.clone(),
                        key: key.clone(),
                        version: r.version,
                        value: r.value.as_deref().map(str::to_owned),
                        written_at: r.written_at,
                        expires_at: r.expires_at,
                    });
                }
            }
        }
    }
    for ((thread, namespace, checkpoint), per) in &mem.writes {
        for row in per.values() {
            ops.push(Op::Writes {
                thread: thread.clone(),
                namespace: namespace.clone(),
                checkpoint: checkpoint.clone(),
                task_id: row.w.task_id.clone(),
                task_path: row.w.task_path.clone(),
                items: vec![WriteItem { idx: row.w.idx, channel: row.w.channel.clone(), type_: row.w.type_.clone(), value: row.w.value.to_vec() }],
                written_at: row.written_at,
            });
        }
    }
    ops
}

fn op_time(op: &Op) -> i64 {
    match op {
        Op::Put { written_at, .. } | Op::SessionTtl { written_at, .. } | Op::Writes { written_at, .. } => *written_at,
        Op::Checkpoint { created_at, .. } => *created_at,
        Op::Drop { .. } | Op::DeleteThread { .. } => i64::MIN,
    }
}

fn op_to_json(op: &Op) -> serde_json::Value {
    use serde_json::json;
    match op {
        Op::Put { agent, session, key, version, value, written_at, expires_at } => json!({
            "op": "put", "agent_id": agent, "session_id": session, "key": key, "version": version,
            "value_json": value, "written_at_us": written_at, "expires_at_us": expires_at,
        }),
        Op::SessionTtl { agent, session, version, ttl, written_at } => json!({
            "op": "session_ttl", "agent_id": agent, "session_id": session, "version": version,
            "ttl_us": ttl, "written_at_us": written_at,
        }),
        Op::Checkpoint { thread, namespace, id, parent, type_, payload, metadata, created_at } => json!({
            "op": "checkpoint", "thread_id": thread, "checkpoint_ns": namespace, "checkpoint_id": id,
            "parent_id": parent, "type": type_, "checkpoint_b64": B64.encode(payload),
            "metadata_json": metadata, "created_at_us": created_at,
        }),
        Op::Writes { thread, namespace, checkpoint, task_id, task_path, items, written_at } => {
            let items: Vec<serde_json::Value> = items
                .iter()
                .map(|it| json!({ "idx": it.idx, "channel": it.channel, "type": it.type_, "value_b64": B64.encode(&it.value) }))
                .collect();
            json!({
                "op": "writes", "thread_id": thread, "checkpoint_ns": namespace, "checkpoint_id": checkpoint,
                "task_id": task_id, "task_path": task_path, "items": items, "written_at_us": written_at,
            })
        }
        // Never exported: an export lists rows, and these remove rows.
        Op::Drop { .. } | Op::DeleteThread { .. } => json!({ "op": "unexportable" }),
    }
}

fn op_from_json(v: &serde_json::Value) -> Result<Op> {
    let bad = |what: String| Error::invalid_argument(what);
    let op = v.get("op").and_then(|o| o.as_str()).ok_or_else(|| bad("a state record needs \"op\"".into()))?;
    let s = |k: &str| -> Result<String> {
        v.get(k).and_then(|x| x.as_str()).map(str::to_owned).ok_or_else(|| bad(format!("a \"{op}\" record needs \"{k}\" (a string)")))
    };
    let opt_s = |k: &str| -> Result<Option<String>> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(x)) => Ok(Some(x.clone())),
            Some(_) => Err(bad(format!("\"{k}\" must be a string or null"))),
        }
    };
    let int = |k: &str| -> Result<i64> { v.get(k).and_then(|x| x.as_i64()).ok_or_else(|| bad(format!("a \"{op}\" record needs \"{k}\" (an integer)"))) };
    let opt_int = |k: &str| -> Result<Option<i64>> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(x) => x.as_i64().map(Some).ok_or_else(|| bad(format!("\"{k}\" must be an integer or null"))),
        }
    };
    let version = |k: &str| -> Result<u64> {
        v.get(k).and_then(|x| x.as_u64()).filter(|&n| n >= 1).ok_or_else(|| bad(format!("a \"{op}\" record needs \"{k}\" (a version, from 1)")))
    };
    let bytes = |x: &serde_json::Value, k: &str| -> Result<Vec<u8>> {
        let text = x.get(k).and_then(|t| t.as_str()).ok_or_else(|| bad(format!("a \"{op}\" record needs \"{k}\" (base64)")))?;
        B64.decode(text).map_err(|e| bad(format!("\"{k}\" is not base64 ({e})")))
    };
    let json_text = |k: &str, text: &Option<String>| -> Result<()> {
        match text {
            Some(t) if serde_json::from_str::<serde_json::Value>(t).is_err() => Err(bad(format!("\"{k}\" is not JSON text"))),
            _ => Ok(()),
        }
    };
    Ok(match op {
        "put" => {
            let value = opt_s("value_json")?;
            json_text("value_json", &value)?;
            Op::Put {
                agent: s("agent_id")?,
                session: s("session_id")?,
                key: s("key")?,
                version: version("version")?,
                value,
                written_at: int("written_at_us")?,
                expires_at: opt_int("expires_at_us")?,
            }
        }
        "session_ttl" => Op::SessionTtl {
            agent: s("agent_id")?,
            session: s("session_id")?,
            version: version("version")?,
            ttl: opt_int("ttl_us")?,
            written_at: int("written_at_us")?,
        },
        "checkpoint" => {
            let metadata = s("metadata_json")?;
            json_text("metadata_json", &Some(metadata.clone()))?;
            Op::Checkpoint {
                thread: s("thread_id")?,
                namespace: s("checkpoint_ns")?,
                id: s("checkpoint_id")?,
                parent: opt_s("parent_id")?,
                type_: s("type")?,
                payload: bytes(v, "checkpoint_b64")?,
                metadata,
                created_at: int("created_at_us")?,
            }
        }
        "writes" => {
            let items = v.get("items").and_then(|i| i.as_array()).ok_or_else(|| bad("a \"writes\" record needs \"items\" (a list)".into()))?;
            let items = items
                .iter()
                .map(|it| {
                    Ok(WriteItem {
                        idx: it.get("idx").and_then(|x| x.as_i64()).ok_or_else(|| bad("a pending write needs \"idx\"".into()))?,
                        channel: it.get("channel").and_then(|x| x.as_str()).ok_or_else(|| bad("a pending write needs \"channel\"".into()))?.to_owned(),
                        type_: it.get("type").and_then(|x| x.as_str()).ok_or_else(|| bad("a pending write needs \"type\"".into()))?.to_owned(),
                        value: bytes(it, "value_b64")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Op::Writes {
                thread: s("thread_id")?,
                namespace: s("checkpoint_ns")?,
                checkpoint: s("checkpoint_id")?,
                task_id: s("task_id")?,
                task_path: s("task_path")?,
                items,
                written_at: int("written_at_us")?,
            }
        }
        other => return Err(bad(format!("unknown state record op {other:?}: expected put, session_ttl, checkpoint or writes"))),
    })
}

