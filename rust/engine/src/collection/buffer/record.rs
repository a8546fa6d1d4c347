//! How a collection's buffered writes are encoded in the write-ahead log: one record per put or
//! delete batch, decoded again on replay. The format is private to the engine but must read every
//! record an earlier session of this version wrote.

use super::*;

pub(super) const OP_PUT: u8 = 1;
pub(super) const OP_DELETE: u8 = 2;

pub(super) fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

pub(super) fn put_value(out: &mut Vec<u8>, v: &Value) -> Result<()> {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, *b as u8]),
        Value::Int(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(3);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Str(s) => {
            out.push(4);
            put_str(out, s);
        }
        Value::Datetime(us) => {
            out.push(5);
            out.extend_from_slice(&us.to_le_bytes());
        }
        Value::List(items) => {
            out.push(6);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for it in items {
                put_value(out, it)?;
            }
        }
        Value::Map(_) => return Err(Error::invalid_metadata("nested maps are not supported as metadata")),
    }
    Ok(())
}

pub(super) fn encode_puts(ids: &[String], rows: &[Row]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + rows.iter().map(|r| r.vector.len() * 4 + 64).sum::<usize>());
    out.push(OP_PUT);
    out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for (id, row) in ids.iter().zip(rows) {
        put_str(&mut out, id);
        out.extend_from_slice(&row.created.to_le_bytes());
        out.extend_from_slice(&row.updated.to_le_bytes());
        match &row.document {
            Some(d) => {
                out.push(1);
                put_str(&mut out, d);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&(row.vector.len() as u32).to_le_bytes());
        for x in &row.vector {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&(row.metadata.len() as u32).to_le_bytes());
        for (k, v) in &row.metadata {
            put_str(&mut out, k);
            put_value(&mut out, v)?;
        }
    }
    Ok(out)
}

pub(super) fn encode_deletes(ids: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + ids.iter().map(|i| i.len() + 4).sum::<usize>());
    out.push(OP_DELETE);
    out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for id in ids {
        put_str(&mut out, id);
    }
    out
}

/// Reads a payload back; any inconsistency is a damaged record.
pub(super) struct Reader<'a>(ByteReader<'a>);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        self.0.take(n).ok_or_else(|| Error::storage("a log record of a collection is cut short"))
    }
    pub(super) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap_or_default()))
    }
    pub(super) fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default()))
    }
    pub(super) fn str(&mut self) -> Result<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| Error::storage("a log record holds invalid UTF-8"))
    }
    pub(super) fn value(&mut self, depth: usize) -> Result<Value> {
        Ok(match self.u8()? {
            0 => Value::Null,
            1 => Value::Bool(self.u8()? != 0),
            2 => Value::Int(self.i64()?),
            3 => Value::Float(f64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default())),
            4 => Value::Str(self.str()?),
            5 => Value::Datetime(self.i64()?),
            6 if depth < 4 => {
                let n = self.u32()? as usize;
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::List(items)
            }
            t => return Err(Error::storage(format!("a log record holds an unknown value tag {t}"))),
        })
    }
}

/// A decoded collection record.
pub(crate) enum Logged {
    Puts(Vec<(String, Row)>),
    Deletes(Vec<String>),
}

pub(crate) fn decode(payload: &[u8]) -> Result<Logged> {
    let mut r = Reader(ByteReader::new(payload));
    let op = r.u8()?;
    let n = r.u32()? as usize;
    let out = match op {
        OP_PUT => {
            let mut rows = Vec::with_capacity(n.min(LOGGED_MAX_ROWS));
            for _ in 0..n {
                let id = r.str()?;
                let created = r.i64()?;
                let updated = r.i64()?;
                let document = if r.u8()? != 0 { Some(r.str()?) } else { None };
                let dim = r.u32()? as usize;
                let raw = r.take(dim.checked_mul(4).ok_or_else(|| Error::storage("a log record is damaged"))?)?;
                let vector = raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
                let nmeta = r.u32()? as usize;
                let mut metadata = Metadata::new();
                for _ in 0..nmeta {
                    let k = r.str()?;
                    let v = r.value(0)?;
                    metadata.insert(k, v);
                }
                rows.push((id, Row { vector, document, metadata, created, updated }));
            }
            Logged::Puts(rows)
        }
        OP_DELETE => Logged::Deletes((0..n).map(|_| r.str()).collect::<Result<_>>()?),
        other => return Err(Error::storage(format!("a log record of a collection has an unknown operation {other}"))),
    };
    if r.0.remaining() != 0 {
        return Err(Error::storage("a log record of a collection has trailing bytes"));
    }
    Ok(out)
}

/// Metadata as it reads back from Lance: nulls dropped, ints in float columns widened.
pub(crate) fn normalise(meta: &Metadata, layout: &Layout) -> Metadata {
    meta.iter()
        .filter(|(_, v)| !matches!(v, Value::Null))
        .map(|(k, v)| {
            let v = match (layout.meta_type(k), v) {
                (Some(MetaType::Float), Value::Int(i)) => Value::Float(*i as f64),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}
