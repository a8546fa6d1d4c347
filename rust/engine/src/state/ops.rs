//! The operations of agent state as they go through the write-ahead log: one log record is one
//! batch of operations, applied whole (so a reader never sees half of a batch) and replayed in LSN
//! order after a crash. Every operation carries everything it decided at write time (versions,
//! timestamps), so replaying it reproduces exactly what the original call did.
//!
//! The encoding is a small hand-written binary format (length-prefixed fields): checkpoint payloads
//! are arbitrary bytes, and JSON would need base64 for them.

use crate::util::bytes::ByteReader;
use crate::error::{Error, Result};

/// Leading byte of every record, so a record of a future format is refused instead of misread.
const FORMAT: u8 = 1;

/// One pending write of a LangGraph task: (idx, channel, type tag, value bytes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WriteItem {
    pub idx: i64,
    pub channel: String,
    pub type_: String,
    pub value: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// A new version of a key (`value: None` is a tombstone).
    Put {
        agent: String,
        session: String,
        key: String,
        version: u64,
        value: Option<String>,
        written_at: i64,
        expires_at: Option<i64>,
    },
    /// A new setting of a session's TTL (microseconds; `None` = no TTL).
    SessionTtl { agent: String, session: String, version: u64, ttl: Option<i64>, written_at: i64 },
    /// Removes rows: of one key, of the keys of one session (`keys_only`: the session's TTL setting
    /// stays), of a whole session, or of every session of an agent. Only rows written before this
    /// operation are removed: those with an LSN below the record's (or at most `upto`, when set).
    Drop { agent: String, session: Option<String>, key: Option<String>, keys_only: bool, upto: Option<u64> },
    /// A checkpoint (replaces one with the same thread, namespace and id).
    Checkpoint {
        thread: String,
        namespace: String,
        id: String,
        parent: Option<String>,
        type_: String,
        payload: Vec<u8>,
        metadata: String,
        created_at: i64,
    },
    /// Pending writes of one task against one checkpoint.
    Writes {
        thread: String,
        namespace: String,
        checkpoint: String,
        task_id: String,
        task_path: String,
        items: Vec<WriteItem>,
        written_at: i64,
    },
    /// Removes every checkpoint and pending write of a thread (all namespaces).
    DeleteThread { thread: String },
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.i64(v);
            }
        }
    }
    fn opt_u64(&mut self, v: Option<u64>) {
        self.opt_i64(v.map(|v| v as i64));
    }
}

struct Reader<'a>(ByteReader<'a>);

fn corrupt(what: &str) -> Error {
    Error::internal(format!("agent state log record is corrupt ({what})"))
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        self.0.take(n).ok_or_else(|| corrupt("truncated"))
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| corrupt("u64"))?))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(self.u64()? as i64)
    }
    fn bytes(&mut self) -> Result<Vec<u8>> {
        let n = usize::try_from(self.u64()?).map_err(|_| corrupt("length"))?;
        Ok(self.take(n)?.to_vec())
    }
    fn str(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?).map_err(|_| corrupt("invalid UTF-8"))
    }
    fn flag(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(corrupt("flag")),
        }
    }
    fn opt_str(&mut self) -> Result<Option<String>> {
        if self.flag()? {
            self.str().map(Some)
        } else {
            Ok(None)
        }
    }
    fn opt_i64(&mut self) -> Result<Option<i64>> {
        if self.flag()? {
            self.i64().map(Some)
        } else {
            Ok(None)
        }
    }
    fn opt_u64(&mut self) -> Result<Option<u64>> {
        Ok(self.opt_i64()?.map(|v| v as u64))
    }
}

/// One log record: a batch of operations.
pub(crate) fn encode(ops: &[Op]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(128));
    w.u8(FORMAT);
    w.u64(ops.len() as u64);
    for op in ops {
        match op {
            Op::Put { agent, session, key, version, value, written_at, expires_at } => {
                w.u8(1);
                w.str(agent);
                w.str(session);
                w.str(key);
                w.u64(*version);
                w.opt_str(value.as_deref());
                w.i64(*written_at);
                w.opt_i64(*expires_at);
            }
            Op::SessionTtl { agent, session, version, ttl, written_at } => {
                w.u8(2);
                w.str(agent);
                w.str(session);
                w.u64(*version);
                w.opt_i64(*ttl);
                w.i64(*written_at);
            }
            Op::Drop { agent, session, key, keys_only, upto } => {
                w.u8(3);
                w.str(agent);
                w.opt_str(session.as_deref());
                w.opt_str(key.as_deref());
                w.u8(*keys_only as u8);
                w.opt_u64(*upto);
            }
            Op::Checkpoint { thread, namespace, id, parent, type_, payload, metadata, created_at } => {
                w.u8(4);
                w.str(thread);
                w.str(namespace);
                w.str(id);
                w.opt_str(parent.as_deref());
                w.str(type_);
                w.bytes(payload);
                w.str(metadata);
                w.i64(*created_at);
            }
            Op::Writes { thread, namespace, checkpoint, task_id, task_path, items, written_at } => {
                w.u8(5);
                w.str(thread);
                w.str(namespace);
                w.str(checkpoint);
                w.str(task_id);
                w.str(task_path);
                w.i64(*written_at);
                w.u64(items.len() as u64);
                for it in items {
                    w.i64(it.idx);
                    w.str(&it.channel);
                    w.str(&it.type_);
                    w.bytes(&it.value);
                }
            }
            Op::DeleteThread { thread } => {
                w.u8(6);
                w.str(thread);
            }
        }
    }
    w.0
}

pub(crate) fn decode(data: &[u8]) -> Result<Vec<Op>> {
    let mut r = Reader(ByteReader::new(data));
    if r.u8()? != FORMAT {
        return Err(corrupt("unknown format"));
    }
    let n = r.u64()?;
    let mut ops = Vec::new();
    for _ in 0..n {
        let op = match r.u8()? {
            1 => Op::Put {
                agent: r.str()?,
                session: r.str()?,
                key: r.str()?,
                version: r.u64()?,
                value: r.opt_str()?,
                written_at: r.i64()?,
                expires_at: r.opt_i64()?,
            },
            2 => Op::SessionTtl { agent: r.str()?, session: r.str()?, version: r.u64()?, ttl: r.opt_i64()?, written_at: r.i64()? },
            3 => Op::Drop {
                agent: r.str()?,
                session: r.opt_str()?,
                key: r.opt_str()?,
                keys_only: r.flag()?,
                upto: r.opt_u64()?,
            },
            4 => Op::Checkpoint {
                thread: r.str()?,
                namespace: r.str()?,
                id: r.str()?,
                parent: r.opt_str()?,
                type_: r.str()?,
                payload: r.bytes()?,
                metadata: r.str()?,
                created_at: r.i64()?,
            },
            5 => {
                let (thread, namespace, checkpoint, task_id, task_path) = (r.str()?, r.str()?, r.str()?, r.str()?, r.str()?);
                let written_at = r.i64()?;
                let count = r.u64()?;
                let mut items = Vec::new();
                for _ in 0..count {
                    items.push(WriteItem { idx: r.i64()?, channel: r.str()?, type_: r.str()?, value: r.bytes()? });
                }
                Op::Writes { thread, namespace, checkpoint, task_id, task_path, items, written_at }
            }
            6 => Op::DeleteThread { thread: r.str()? },
            _ => return Err(corrupt("unknown operation")),
        };
        ops.push(op);
    }
    if r.0.remaining() != 0 {
        return Err(corrupt("trailing bytes"));
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let ops = vec![
            Op::Drop { agent: "a".into(), session: Some("s".into()), key: Some("k".into()), keys_only: false, upto: None },
            Op::Put {
                agent: "a".into(),
                session: "s".into(),
                key: "k".into(),
                version: 1,
                value: Some("{\"x\":1}".into()),
                written_at: 5,
                expires_at: Some(9),
            },
            Op::Put { agent: "a".into(), session: "s".into(), key: "k".into(), version: 2, value: None, written_at: 6, expires_at: None },
            Op::SessionTtl { agent: "a".into(), session: "s".into(), version: 1, ttl: Some(3), written_at: 7 },
            Op::Checkpoint {
                thread: "t".into(),
                namespace: "".into(),
                id: "1".into(),
                parent: None,
                type_: "msgpack".into(),
                payload: vec![0, 1, 255],
                metadata: "{}".into(),
                created_at: 8,
            },
            Op::Writes {
                thread: "t".into(),
                namespace: "".into(),
                checkpoint: "1".into(),
                task_id: "task".into(),
                task_path: "p".into(),
                items: vec![WriteItem { idx: -1, channel: "__error__".into(), type_: "json".into(), value: b"x".to_vec() }],
                written_at: 9,
            },
            Op::DeleteThread { thread: "t".into() },
        ];
        let bytes = encode(&ops);
        assert_eq!(decode(&bytes).unwrap(), ops);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).is_err());
        assert!(decode(&[]).is_err());
    }
}
