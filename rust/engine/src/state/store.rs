//! The Lance side of agent state: three hidden tables in the database directory, append-only
//! except for deletions (purges, expiry, replaced checkpoints and pending writes).
//!
//! * `_agentdb_state`: one row per version of a key, and one per session TTL setting
//!   (`state_key` NULL);
//! * `_agentdb_checkpoints`: one row per checkpoint;
//! * `_agentdb_writes`: one row per pending write.
//!
//! Every row carries the LSN of the log record that made it: replay skips appending rows whose LSN
//! a table already holds, and deletions only touch rows older than the operation.

use std::sync::{Arc, Mutex};

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, LargeBinaryBuilder, LargeStringBuilder, StringBuilder, TimestampMicrosecondBuilder,
    UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};
use futures::TryStreamExt;
use lancedb::query::{ExecutableQuery, QueryBase, Select};

use super::mem::{CkKey, CkRow, Delete, Field, Pending, StoreRow, Target, WriteRow};
use super::{Checkpoint, PendingWrite};
use crate::error::{Error, Result};
use crate::types::filter::{CmpOp, Expr};
use crate::types::schema::timestamp_type;

pub(crate) const TABLES: [&str; 3] = ["_agentdb_state", "_agentdb_checkpoints", "_agentdb_writes"];
/// The columns of a checkpoint row but its payload.
const CHECKPOINT_HEADER: [&str; 8] =
    ["thread_id", "checkpoint_ns", "checkpoint_id", "parent_id", "type_tag", "metadata_json", "created_at", "lsn"];
/// Checkpoint rows read per query when payloads are fetched (their keys OR-ed).
const KEYS_PER_READ: usize = 64;
/// A table is compacted (its small fragments merged, deleted rows dropped, old versions pruned)
/// after this many commits: every flush adds a fragment.
const COMPACT_EVERY: usize = 64;

fn schema(target: Target) -> SchemaRef {
    let ts = timestamp_type;
    let f = ArrowField::new;
    let fields = match target {
        Target::State => vec![
            f("agent_id", DataType::Utf8, false),
            f("session_id", DataType::Utf8, false),
            f("state_key", DataType::Utf8, true),
            f("version", DataType::UInt64, false),
            f("value_json", DataType::LargeUtf8, true),
            f("written_at", ts(), false),
            f("tombstone", DataType::Boolean, false),
            f("expires_at", ts(), true),
            f("session_ttl_us", DataType::Int64, true),
            f("lsn", DataType::UInt64, false),
        ],
        Target::Checkpoints => vec![
            f("thread_id", DataType::Utf8, false),
            f("checkpoint_ns", DataType::Utf8, false),
            f("checkpoint_id", DataType::Utf8, false),
            f("parent_id", DataType::Utf8, true),
            f("type_tag", DataType::Utf8, false),
            f("checkpoint", DataType::LargeBinary, false),
            f("metadata_json", DataType::LargeUtf8, false),
            f("created_at", ts(), false),
            f("lsn", DataType::UInt64, false),
        ],
        Target::Writes => vec![
            f("thread_id", DataType::Utf8, false),
            f("checkpoint_ns", DataType::Utf8, false),
            f("checkpoint_id", DataType::Utf8, false),
            f("task_id", DataType::Utf8, false),
            f("idx", DataType::Int64, false),
            f("channel", DataType::Utf8, false),
            f("type_tag", DataType::Utf8, false),
            f("value", DataType::LargeBinary, false),
            f("task_path", DataType::Utf8, false),
            f("written_at", ts(), false),
            f("lsn", DataType::UInt64, false),
        ],
    };
    Arc::new(Schema::new(fields))
}

fn target_of(i: usize) -> Target {
    [Target::State, Target::Checkpoints, Target::Writes][i]
}

/// The Lance tables (opened or created on first use).
pub(crate) struct Store {
    conn: lancedb::Connection,
    tables: Mutex<[Option<lancedb::Table>; 3]>,
    /// The table versions last read (a read-only database reloads when they change).
    versions: Mutex<[Option<u64>; 3]>,
    /// Commits per table since its last compaction.
    commits: Mutex<[usize; 3]>,
}

/// What was read from Lance on open.
pub(crate) struct Loaded {
    pub rows: Vec<StoreRow>,
    /// Per table, the highest LSN among its rows (0: none).
    pub max_lsn: [u64; 3],
}

impl Store {
    pub async fn open(conn: lancedb::Connection) -> Result<(Store, Loaded)> {
        let store = Store {
            conn,
            tables: Mutex::new([None, None, None]),
            versions: Mutex::new([None; 3]),
            commits: Mutex::new([0; 3]),
        };
        let loaded = store.load().await?;
        Ok((store, loaded))
    }

    /// Reads every row of the tables that exist.
    pub async fn load(&self) -> Result<Loaded> {
        let names = self.conn.table_names().execute().await?;
        let mut tables: [Option<lancedb::Table>; 3] = [None, None, None];
        let mut versions = [None; 3];
        let mut loaded = Loaded { rows: Vec::new(), max_lsn: [0; 3] };
        for (i, name) in TABLES.iter().enumerate() {
            if !names.iter().any(|n| n == name) {
                continue;
            }
            let table = self.conn.open_table(*name).execute().await?;
            versions[i] = Some(table.version().await?);
            let mut query = table.query();
            if target_of(i) == Target::Checkpoints {
                // Payloads stay on disk until asked for (see `CkRow::stub`).
                query = query.select(Select::columns(&CHECKPOINT_HEADER));
            }
            let batches: Vec<RecordBatch> = query.execute().await?.try_collect().await?;
            for b in &batches {
                read_batch(target_of(i), b, &mut loaded.rows)?;
            }
            tables[i] = Some(table);
        }
        for r in &loaded.rows {
            let t = r.target() as usize;
            loaded.max_lsn[t] = loaded.max_lsn[t].max(r.lsn());
        }
        *self.tables.lock().unwrap_or_else(|p| p.into_inner()) = tables;
        *self.versions.lock().unwrap_or_else(|p| p.into_inner()) = versions;
        Ok(loaded)
    }

    /// Whether another process committed to the tables since they were last read (a table
    /// appeared, or its version moved).
    pub async fn changed(&self) -> Result<bool> {
        let tables = self.tables.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let versions = *self.versions.lock().unwrap_or_else(|p| p.into_inner());
        let mut names = None;
        for i in 0..3 {
            match &tables[i] {
                Some(t) => {
                    if Some(t.version().await?) != versions[i] {
                        return Ok(true);
                    }
                }
                None => {
                    if names.is_none() {
                        names = Some(self.conn.table_names().execute().await?);
                    }
                    if names.as_ref().is_some_and(|n| n.iter().any(|n| n == TABLES[i])) {
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    async fn table(&self, target: Target, create: bool) -> Result<Option<lancedb::Table>> {
        let i = target as usize;
        if let Some(t) = self.tables.lock().unwrap_or_else(|p| p.into_inner())[i].clone() {
            return Ok(Some(t));
        }
        if !create {
            return Ok(None);
        }
        let table = match self.conn.create_empty_table(TABLES[i], schema(target)).execute().await {
            Ok(t) => t,
            Err(lancedb::Error::TableAlreadyExists { .. }) => self.conn.open_table(TABLES[i]).execute().await?,
            Err(e) => return Err(e.into()),
        };
        self.tables.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(table.clone());
        Ok(Some(table))
    }

    /// The payloads of the given checkpoint rows (those found: a row replaced and flushed since
    /// is not).
    pub async fn payloads(&self, keys: &[CkKey]) -> Result<std::collections::HashMap<CkKey, Arc<[u8]>>> {
        let mut out = std::collections::HashMap::new();
        let Some(table) = self.table(Target::Checkpoints, false).await? else { return Ok(out) };
        for chunk in keys.chunks(KEYS_PER_READ) {
            let pred = Expr::any(
                chunk
                    .iter()
                    .map(|(t, ns, id, lsn)| {
                        Expr::all(vec![
                            Expr::column_eq("thread_id", Expr::str(t)),
                            Expr::column_eq("checkpoint_ns", Expr::str(ns)),
                            Expr::column_eq("checkpoint_id", Expr::str(id)),
                            Expr::column_eq("lsn", lsn_lit(*lsn)),
                        ])
                    })
                    .collect(),
            );
            let batches: Vec<RecordBatch> = table.query().only_if(pred.to_sql()).execute().await?.try_collect().await?;
            let mut rows = Vec::new();
            for b in &batches {
                read_batch(Target::Checkpoints, b, &mut rows)?;
            }
            for r in rows {
                if let StoreRow::Checkpoint(c) = r {
                    let key = (c.cp.thread_id.clone(), c.cp.namespace.clone(), c.cp.checkpoint_id.clone(), c.lsn);
                    out.insert(key, c.cp.checkpoint.clone());
                }
            }
        }
        Ok(out)
    }

    /// Writes the effects, per table: its deletions, then one append of its rows. Returns the
    /// checkpoint rows written. On failure, returns the effects not yet in Lance (to be retried
    /// by the next flush).
    pub async fn write(&self, pending: Vec<Pending>) -> std::result::Result<Vec<CkKey>, (Error, Vec<Pending>)> {
        // Rows a later deletion of the same batch removes never reach Lance.
        let mut per: [(Vec<Delete>, Vec<StoreRow>); 3] = Default::default();
        for p in pending {
            match p {
                Pending::Append(r) => per[r.target() as usize].1.push(r),
                Pending::Delete(d) => {
                    let slot = &mut per[d.target as usize];
                    slot.1.retain(|r| !r.deleted_by(&d));
                    slot.0.push(d);
                }
            }
        }
        let written: Vec<CkKey> = per[Target::Checkpoints as usize]
            .1
            .iter()
            .filter_map(|r| match r {
                StoreRow::Checkpoint(c) => {
                    Some((c.cp.thread_id.clone(), c.cp.namespace.clone(), c.cp.checkpoint_id.clone(), c.lsn))
                }
                _ => None,
            })
            .collect();
        for i in 0..3 {
            let (deletes, rows) = std::mem::take(&mut per[i]);
            if let Err(e) = self.write_table(target_of(i), &deletes, &rows).await {
                let mut rest = Vec::new();
                for (d, r) in std::iter::once((deletes, rows)).chain(per.into_iter().skip(i + 1)) {
                    rest.extend(d.into_iter().map(Pending::Delete));
                    rest.extend(r.into_iter().map(Pending::Append));
                }
                return Err((e, rest));
            }
        }
        Ok(written)
    }

    async fn write_table(&self, target: Target, deletes: &[Delete], rows: &[StoreRow]) -> Result<()> {
        let mut commits = 0;
        if !deletes.is_empty() {
            if let Some(table) = self.table(target, false).await? {
                // Every deletion of the flush in one predicate: one commit.
                let pred = deletes_predicate(deletes).to_sql();
                // A delete is a commit even when nothing matches: skip that.
                if table.count_rows(Some(pred.clone())).await? > 0 {
                    table.delete(pred.as_str()).await?;
                    commits += 1;
                }
            }
        }
        if !rows.is_empty() {
            let table = self.table(target, true).await?.ok_or_else(|| Error::internal("state table not created"))?;
            table.add(to_batch(target, rows)?).execute().await?;
            commits += 1;
        }
        let due = {
            let mut c = self.commits.lock().unwrap_or_else(|p| p.into_inner());
            c[target as usize] += commits;
            let due = c[target as usize] >= COMPACT_EVERY;
            if due {
                c[target as usize] = 0;
            }
            due
        };
        if due {
            if let Some(table) = self.table(target, false).await? {
                // The data is committed already: a failed compaction leaves the table as it was
                // and is tried again after the next COMPACT_EVERY commits.
                let _ = crate::storage::lance::compact_table(&table).await;
            }
        }
        Ok(())
    }
}

/// An LSN as a literal. LSNs count log records from 1, so they stay far below `i64::MAX`; a
/// larger value (never written) would be clamped, which only matters for LSNs nobody reaches.
fn lsn_lit(lsn: u64) -> Expr {
    Expr::int(i64::try_from(lsn).unwrap_or(i64::MAX))
}

fn field_lit(v: &Field) -> Expr {
    match v {
        Field::Str(s) => Expr::str(s),
        Field::Int(i) => Expr::int(*i),
    }
}

/// A column value as a grouping key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum FieldKey<'a> {
    Str(&'a str),
    Int(i64),
}

impl<'a> From<&'a Field> for FieldKey<'a> {
    fn from(v: &'a Field) -> Self {
        match v {
            Field::Str(s) => FieldKey::Str(s),
            Field::Int(i) => FieldKey::Int(*i),
        }
    }
}

/// Deletions that differ only in the value of their last equality (the keys of one session that
/// expired together, the replaced pending writes of one task): one group, one `IN` list.
type GroupKey<'a> = (Vec<(&'static str, FieldKey<'a>)>, Option<&'static str>, bool, u64);

/// The rows any of `deletes` removes, as one predicate (one Lance commit however many there
/// are): `(prefix equalities AND last IN (values…) [AND state_key IS NOT NULL] AND lsn <= upto)
/// OR …`, one term per group of deletions that share all but their last value. The `IN` list
/// keeps the predicate linear in the number of deletions and cheap to evaluate per row, where
/// one term per deletion would make every row compare against all of them.
fn deletes_predicate(deletes: &[Delete]) -> Expr {
    let mut index: std::collections::HashMap<GroupKey<'_>, usize> = std::collections::HashMap::new();
    let mut groups: Vec<(&Delete, Vec<Expr>, std::collections::HashSet<FieldKey<'_>>)> = Vec::new();
    for d in deletes {
        let (prefix, last) = match d.eq.split_last() {
            Some((last, prefix)) => (prefix, Some(last)),
            None => (&d.eq[..], None),
        };
        let key: GroupKey<'_> =
            (prefix.iter().map(|(c, v)| (*c, v.into())).collect(), last.map(|(c, _)| *c), d.keys_only, d.upto);
        let g = *index.entry(key).or_insert_with(|| {
            groups.push((d, Vec::new(), Default::default()));
            groups.len() - 1
        });
        if let Some((_, v)) = last {
            let (_, values, seen) = &mut groups[g];
            if seen.insert(v.into()) {
                values.push(field_lit(v));
            }
        }
    }
    Expr::any(
        groups
            .into_iter()
            .map(|(d, values, _)| {
                let mut parts: Vec<Expr> = Vec::with_capacity(d.eq.len() + 2);
                if let Some(((last, _), prefix)) = d.eq.split_last() {
                    parts.extend(prefix.iter().map(|(c, v)| Expr::column_eq(c, field_lit(v))));
                    parts.push(Expr::column_in(last, values));
                }
                if d.keys_only {
                    parts.push(Expr::is_null(Expr::column("state_key"), true));
                }
                parts.push(Expr::cmp(Expr::column("lsn"), CmpOp::LtEq, lsn_lit(d.upto)));
                Expr::all(parts)
            })
            .collect(),
    )
}

fn to_batch(target: Target, rows: &[StoreRow]) -> Result<RecordBatch> {
    let n = rows.len();
    let cols: Vec<ArrayRef> = match target {
        Target::State => {
            let (mut agent, mut session, mut key) = (StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
            let (mut version, mut value, mut written) =
                (UInt64Builder::with_capacity(n), LargeStringBuilder::new(), TimestampMicrosecondBuilder::with_capacity(n));
            let (mut tomb, mut expires, mut ttl_col, mut lsn_col) = (
                BooleanBuilder::with_capacity(n),
                TimestampMicrosecondBuilder::with_capacity(n),
                Int64Builder::with_capacity(n),
                UInt64Builder::with_capacity(n),
            );
            for r in rows {
                let StoreRow::State { agent: a, session: s, key: k, version: v, value: val, written_at, expires_at, ttl, lsn } = r
                else {
                    return Err(Error::internal("a non-state row in the state batch"));
                };
                agent.append_value(a);
                session.append_value(s);
                key.append_option(k.as_deref());
                version.append_value(*v);
                value.append_option(val.as_deref());
                written.append_value(*written_at);
                tomb.append_value(k.is_some() && val.is_none());
                expires.append_option(*expires_at);
                ttl_col.append_option(*ttl);
                lsn_col.append_value(*lsn);
            }
            vec![
                Arc::new(agent.finish()),
                Arc::new(session.finish()),
                Arc::new(key.finish()),
                Arc::new(version.finish()),
                Arc::new(value.finish()),
                Arc::new(written.finish().with_timezone("UTC")),
                Arc::new(tomb.finish()),
                Arc::new(expires.finish().with_timezone("UTC")),
                Arc::new(ttl_col.finish()),
                Arc::new(lsn_col.finish()),
            ]
        }
        Target::Checkpoints => {
            let (mut thread, mut ns, mut id, mut parent, mut type_) =
                (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
            let (mut payload, mut meta, mut created, mut lsn_col) = (
                LargeBinaryBuilder::new(),
                LargeStringBuilder::new(),
                TimestampMicrosecondBuilder::with_capacity(n),
                UInt64Builder::with_capacity(n),
            );
            for r in rows {
                let StoreRow::Checkpoint(c) = r else {
                    return Err(Error::internal("a non-checkpoint row in the checkpoint batch"));
                };
                thread.append_value(&c.cp.thread_id);
                ns.append_value(&c.cp.namespace);
                id.append_value(&c.cp.checkpoint_id);
                parent.append_option(c.cp.parent_id.as_deref());
                type_.append_value(&c.cp.type_);
                payload.append_value(&c.cp.checkpoint[..]);
                meta.append_value(&*c.cp.metadata);
                created.append_value(c.cp.created_at);
                lsn_col.append_value(c.lsn);
            }
            vec![
                Arc::new(thread.finish()),
                Arc::new(ns.finish()),
                Arc::new(id.finish()),
                Arc::new(parent.finish()),
                Arc::new(type_.finish()),
                Arc::new(payload.finish()),
                Arc::new(meta.finish()),
                Arc::new(created.finish().with_timezone("UTC")),
                Arc::new(lsn_col.finish()),
            ]
        }
        Target::Writes => {
            let (mut thread, mut ns, mut cp, mut task) =
                (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
            let (mut idx, mut channel, mut type_, mut value, mut path) = (
                Int64Builder::with_capacity(n),
                StringBuilder::new(),
                StringBuilder::new(),
                LargeBinaryBuilder::new(),
                StringBuilder::new(),
            );
            let (mut written, mut lsn_col) = (TimestampMicrosecondBuilder::with_capacity(n), UInt64Builder::with_capacity(n));
            for r in rows {
                let StoreRow::Write { thread: t, namespace, checkpoint, row } = r else {
                    return Err(Error::internal("a non-write row in the pending-writes batch"));
                };
                thread.append_value(t);
                ns.append_value(namespace);
                cp.append_value(checkpoint);
                task.append_value(&row.w.task_id);
                idx.append_value(row.w.idx);
                channel.append_value(&row.w.channel);
                type_.append_value(&row.w.type_);
                value.append_value(&row.w.value[..]);
                path.append_value(&row.w.task_path);
                written.append_value(row.written_at);
                lsn_col.append_value(row.lsn);
            }
            vec![
                Arc::new(thread.finish()),
                Arc::new(ns.finish()),
                Arc::new(cp.finish()),
                Arc::new(task.finish()),
                Arc::new(idx.finish()),
                Arc::new(channel.finish()),
                Arc::new(type_.finish()),
                Arc::new(value.finish()),
                Arc::new(path.finish()),
                Arc::new(written.finish().with_timezone("UTC")),
                Arc::new(lsn_col.finish()),
            ]
        }
    };
    Ok(RecordBatch::try_new(schema(target), cols)?)
}

/// A column of a batch read back, cast to the type the engine wrote (Lance may hand back a
/// different but equivalent encoding).
fn col(b: &RecordBatch, name: &str, dt: &DataType) -> Result<ArrayRef> {
    let c = b
        .column_by_name(name)
        .ok_or_else(|| Error::storage(format!("agent state table has no column '{name}'")))?;
    if c.data_type() == dt {
        Ok(c.clone())
    } else {
        Ok(arrow::compute::cast(c, dt)?)
    }
}

fn read_batch(target: Target, b: &RecordBatch, out: &mut Vec<StoreRow>) -> Result<()> {
    let utf8 = |name: &str| col(b, name, &DataType::Utf8);
    let large = |name: &str| col(b, name, &DataType::LargeUtf8);
    let bin = |name: &str| col(b, name, &DataType::LargeBinary);
    let ts = |name: &str| col(b, name, &timestamp_type());
    let u64c = |name: &str| col(b, name, &DataType::UInt64);
    let i64c = |name: &str| col(b, name, &DataType::Int64);
    let opt_str = |a: &ArrayRef, i: usize| (!a.is_null(i)).then(|| a.as_string::<i32>().value(i).to_owned());
    let n = b.num_rows();
    match target {
        Target::State => {
            let (agent, session, key) = (utf8("agent_id")?, utf8("session_id")?, utf8("state_key")?);
            let (version, value, written) = (u64c("version")?, large("value_json")?, ts("written_at")?);
            let (expires, ttl, lsn) = (ts("expires_at")?, i64c("session_ttl_us")?, u64c("lsn")?);
            let (agent, session) = (agent.as_string::<i32>(), session.as_string::<i32>());
            let (version, value) = (version.as_primitive::<UInt64Type>(), value.as_string::<i64>());
            let (written_p, expires_p) =
                (written.as_primitive::<TimestampMicrosecondType>(), expires.as_primitive::<TimestampMicrosecondType>());
            let (ttl_p, lsn_p) = (ttl.as_primitive::<Int64Type>(), lsn.as_primitive::<UInt64Type>());
            for i in 0..n {
                out.push(StoreRow::State {
                    agent: agent.value(i).to_owned(),
                    session: session.value(i).to_owned(),
                    key: opt_str(&key, i),
                    version: version.value(i),
                    value: (!value.is_null(i)).then(|| Arc::from(value.value(i))),
                    written_at: written_p.value(i),
                    expires_at: (!expires_p.is_null(i)).then(|| expires_p.value(i)),
                    ttl: (!ttl_p.is_null(i)).then(|| ttl_p.value(i)),
                    lsn: lsn_p.value(i),
                });
            }
        }
        Target::Checkpoints => {
            let (thread, ns, id, parent, type_) =
                (utf8("thread_id")?, utf8("checkpoint_ns")?, utf8("checkpoint_id")?, utf8("parent_id")?, utf8("type_tag")?);
            let (meta, created, lsn) = (large("metadata_json")?, ts("created_at")?, u64c("lsn")?);
            // Without the payload column (read on open): rows are stubs.
            let payload = b.column_by_name("checkpoint").map(|_| bin("checkpoint")).transpose()?;
            let s = |a: &ArrayRef, i: usize| a.as_string::<i32>().value(i).to_owned();
            let (payload, meta) = (payload.as_ref().map(|p| p.as_binary::<i64>()), meta.as_string::<i64>());
            let (created, lsn) = (created.as_primitive::<TimestampMicrosecondType>(), lsn.as_primitive::<UInt64Type>());
            for i in 0..n {
                out.push(StoreRow::Checkpoint(Arc::new(CkRow {
                    cp: Checkpoint {
                        thread_id: s(&thread, i),
                        namespace: s(&ns, i),
                        checkpoint_id: s(&id, i),
                        parent_id: opt_str(&parent, i),
                        type_: s(&type_, i),
                        checkpoint: Arc::from(payload.map_or(&[][..], |p| p.value(i))),
                        metadata: Arc::from(meta.value(i)),
                        created_at: created.value(i),
                    },
                    lsn: lsn.value(i),
                    stub: payload.is_none(),
                    flushed: true,
                })));
            }
        }
        Target::Writes => {
            let (thread, ns, cp, task) = (utf8("thread_id")?, utf8("checkpoint_ns")?, utf8("checkpoint_id")?, utf8("task_id")?);
            let (idx, channel, type_, value) = (i64c("idx")?, utf8("channel")?, utf8("type_tag")?, bin("value")?);
            let (path, written, lsn) = (utf8("task_path")?, ts("written_at")?, u64c("lsn")?);
            let s = |a: &ArrayRef, i: usize| a.as_string::<i32>().value(i).to_owned();
            let (idx, value) = (idx.as_primitive::<Int64Type>(), value.as_binary::<i64>());
            let (written, lsn) = (written.as_primitive::<TimestampMicrosecondType>(), lsn.as_primitive::<UInt64Type>());
            for i in 0..n {
                out.push(StoreRow::Write {
                    thread: s(&thread, i),
                    namespace: s(&ns, i),
                    checkpoint: s(&cp, i),
                    row: Arc::new(WriteRow {
                        w: PendingWrite {
                            task_id: s(&task, i),
                            idx: idx.value(i),
                            channel: s(&channel, i),
                            type_: s(&type_, i),
                            value: Arc::from(value.value(i)),
                            task_path: s(&path, i),
                        },
                        written_at: written.value(i),
                        lsn: lsn.value(i),
                    }),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
