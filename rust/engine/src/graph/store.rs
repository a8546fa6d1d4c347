//! The Lance side of the knowledge graphs: one hidden table, `_agentdb_graph`, holding every
//! operation ever applied (one row each: graph, LSN, position in its record, the operation as
//! JSON). It is append-only but for dropping a graph, which deletes that graph's rows.
//!
//! Why an operation log and not a table of entities and one of facts: the graph is bi-temporal,
//! so no version of a fact is ever overwritten — every write appends — and the in-memory graph
//! (adjacency, name index) is rebuilt from the rows on open anyway, as the agent state is.

use std::sync::{Arc, Mutex};

use arrow_array::builder::{LargeStringBuilder, StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::cast::AsArray;
use arrow_array::types::{UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use futures::TryStreamExt;
use lancedb::query::ExecutableQuery;

use super::ops::{op_from_str, op_to_json, Op};
use crate::error::{Error, Result};
use crate::types::filter::{CmpOp, Expr};

pub(crate) const TABLE: &str = "_agentdb_graph";
/// The table is compacted after this many commits (every flush adds a fragment).
const COMPACT_EVERY: usize = 64;

/// One operation as stored.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub lsn: u64,
    pub seq: u32,
    pub op: Op,
}

/// What a flush writes.
#[derive(Debug, Clone)]
pub(crate) enum Pending {
    Append(Row),
    /// Deletes the rows of `graph` with an LSN of at most `upto` (a dropped graph).
    Delete { graph: String, upto: u64 },
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("graph", DataType::Utf8, false),
        Field::new("lsn", DataType::UInt64, false),
        Field::new("seq", DataType::UInt32, false),
        Field::new("op_json", DataType::LargeUtf8, false),
    ]))
}

pub(crate) struct Store {
    conn: lancedb::Connection,
    table: Mutex<Option<lancedb::Table>>,
    /// The table version last read (a read-only database reloads when it changes).
    version: Mutex<Option<u64>>,
    commits: Mutex<usize>,
}

impl Store {
    pub fn new(conn: lancedb::Connection) -> Store {
        Store { conn, table: Mutex::new(None), version: Mutex::new(None), commits: Mutex::new(0) }
    }

    /// Every stored operation in the order it was applied, and the highest LSN among them.
    pub async fn load(&self) -> Result<(Vec<Row>, u64)> {
        let names = self.conn.table_names().execute().await?;
        if !names.iter().any(|n| n == TABLE) {
            return Ok((Vec::new(), 0));
        }
        let table = self.conn.open_table(TABLE).execute().await?;
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = Some(table.version().await?);
        let batches: Vec<RecordBatch> = table.query().execute().await?.try_collect().await?;
        let mut rows = Vec::new();
        for b in &batches {
            let graph = col(b, "graph", &DataType::Utf8)?;
            let lsn = col(b, "lsn", &DataType::UInt64)?;
            let seq = col(b, "seq", &DataType::UInt32)?;
            let op = col(b, "op_json", &DataType::LargeUtf8)?;
            let (lsn, seq, op, graph) = (
                lsn.as_primitive::<UInt64Type>(),
                seq.as_primitive::<UInt32Type>(),
                op.as_string::<i64>(),
                graph.as_string::<i32>(),
            );
            for i in 0..b.num_rows() {
                let parsed = op_from_str(op.value(i)).map_err(|e| Error::storage(format!("a row of {TABLE}: {}", e.message())))?;
                if parsed.graph() != graph.value(i) {
                    return Err(Error::storage(format!("a row of {TABLE} names two graphs")));
                }
                rows.push(Row { lsn: lsn.value(i), seq: seq.value(i), op: parsed });
            }
        }
        // (lsn, seq) is unique per row, so the unstable sort is as good and moves less.
        rows.sort_unstable_by_key(|r| (r.lsn, r.seq));
        let max = rows.last().map_or(0, |r| r.lsn);
        *self.table.lock().unwrap_or_else(|p| p.into_inner()) = Some(table);
        Ok((rows, max))
    }

    /// Whether another process committed to the table since it was last read.
    pub async fn changed(&self) -> Result<bool> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let seen = *self.version.lock().unwrap_or_else(|p| p.into_inner());
        match table {
            Some(t) => Ok(Some(t.version().await?) != seen),
            None => Ok(self.conn.table_names().execute().await?.iter().any(|n| n == TABLE)),
        }
    }

    async fn table(&self, create: bool) -> Result<Option<lancedb::Table>> {
        if let Some(t) = self.table.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(Some(t));
        }
        let names = self.conn.table_names().execute().await?;
        let table = if names.iter().any(|n| n == TABLE) {
            self.conn.open_table(TABLE).execute().await?
        } else if create {
            match self.conn.create_empty_table(TABLE, schema()).execute().await {
                Ok(t) => t,
                Err(lancedb::Error::TableAlreadyExists { .. }) => self.conn.open_table(TABLE).execute().await?,
                Err(e) => return Err(e.into()),
            }
        } else {
            return Ok(None);
        };
        *self.table.lock().unwrap_or_else(|p| p.into_inner()) = Some(table.clone());
        Ok(Some(table))
    }

    /// Writes the effects: the deletions in one commit, then the rows in one append. On failure
    /// the effects are handed back (the next flush retries them).
    pub async fn write(&self, pending: Vec<Pending>) -> std::result::Result<(), (Error, Vec<Pending>)> {
        let mut rows: Vec<Row> = Vec::new();
        let mut deletes: Vec<(String, u64)> = Vec::new();
        for p in pending {
            match p {
                Pending::Append(r) => rows.push(r),
                Pending::Delete { graph, upto } => {
                    // Rows the drop removes never reach Lance.
                    rows.retain(|r| !(r.op.graph() == graph && r.lsn <= upto));
                    deletes.push((graph, upto));
                }
            }
        }
        let give_back = |rows: Vec<Row>, deletes: Vec<(String, u64)>| {
            let mut rest: Vec<Pending> =
                deletes.into_iter().map(|(graph, upto)| Pending::Delete { graph, upto }).collect();
            rest.extend(rows.into_iter().map(Pending::Append));
            rest
        };
        let mut commits = 0;
        if !deletes.is_empty() {
            let result = async {
                if let Some(table) = self.table(false).await? {
                    let pred = Expr::any(
                        deletes
                            .iter()
                            .map(|(g, upto)| {
                                Expr::all(vec![
                                    Expr::column_eq("graph", Expr::str(g)),
                                    Expr::cmp(Expr::column("lsn"), CmpOp::LtEq, Expr::int(i64::try_from(*upto).unwrap_or(i64::MAX))),
                                ])
                            })
                            .collect(),
                    )
                    .to_sql();
                    if table.count_rows(Some(pred.clone())).await? > 0 {
                        table.delete(pred.as_str()).await?;
                        return Ok::<usize, Error>(1);
                    }
                }
                Ok(0)
            }
            .await;
            match result {
                Ok(n) => commits += n,
                Err(e) => return Err((e, give_back(rows, deletes))),
            }
        }
        if !rows.is_empty() {
            let result = async {
                let table = self.table(true).await?.ok_or_else(|| Error::internal("graph table not created"))?;
                table.add(to_batch(&rows)?).execute().await?;
                Ok::<(), Error>(())
            }
            .await;
            if let Err(e) = result {
                return Err((e, give_back(rows, Vec::new())));
            }
            commits += 1;
        }
        let due = {
            let mut c = self.commits.lock().unwrap_or_else(|p| p.into_inner());
            *c += commits;
            let due = *c >= COMPACT_EVERY;
            if due {
                *c = 0;
            }
            due
        };
        if due {
            if let Ok(Some(table)) = self.table(false).await {
                // The rows are committed already: a failed compaction is retried later.
                let _ = crate::storage::lance::compact_table(&table).await;
            }
        }
        Ok(())
    }
}

fn to_batch(rows: &[Row]) -> Result<RecordBatch> {
    let n = rows.len();
    let (mut graph, mut lsn, mut seq, mut op) =
        (StringBuilder::new(), UInt64Builder::with_capacity(n), UInt32Builder::with_capacity(n), LargeStringBuilder::new());
    for r in rows {
        graph.append_value(r.op.graph());
        lsn.append_value(r.lsn);
        seq.append_value(r.seq);
        op.append_value(op_to_json(&r.op).to_string());
    }
    let cols: Vec<ArrayRef> =
        vec![Arc::new(graph.finish()), Arc::new(lsn.finish()), Arc::new(seq.finish()), Arc::new(op.finish())];
    Ok(RecordBatch::try_new(schema(), cols)?)
}

/// A column cast to the type the engine wrote (Lance may hand back an equivalent encoding).
fn col(b: &RecordBatch, name: &str, dt: &DataType) -> Result<ArrayRef> {
    let c = b.column_by_name(name).ok_or_else(|| Error::storage(format!("{TABLE} has no column '{name}'")))?;
    if c.data_type() == dt {
        Ok(c.clone())
    } else {
        Ok(arrow::compute::cast(c, dt)?)
    }
}
