//! Reading a collection: records by id or filter, counts, and the filters compiled for Lance.

use super::*;

impl Collection {
    /// The creation time of each of `ids` that the collection holds.
    pub(crate) async fn existing(&self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let table = &self.inner.table;
        let mut found = HashMap::new();
        if table.count_rows(None).await? == 0 {
            return Ok(found);
        }
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        let predicates: Vec<Option<String>> = if ids.len() > SCAN_ABOVE {
            vec![None]
        } else {
            ids.chunks(IDS_PER_LOOKUP).map(|c| Some(filter::ids_predicate(c))).collect()
        };
        for pred in predicates {
            let mut q = table.query().select(Select::columns(&[schema::ID, schema::CREATED_AT]));
            if let Some(p) = pred {
                q = q.only_if(p);
            }
            let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
            for b in &batches {
                let (Some(id), Some(ts)) = (b.column_by_name(schema::ID), b.column_by_name(schema::CREATED_AT)) else {
                    return Err(Error::internal("id lookup returned no id column"));
                };
                let id = arrow::compute::cast(id, &arrow_schema::DataType::Utf8)?;
                let (id, ts) = (id.as_string::<i32>(), ts.as_primitive::<TimestampMicrosecondType>());
                for i in 0..b.num_rows() {
                    let v = id.value(i);
                    if wanted.contains(v) {
                        found.insert(v.to_owned(), ts.value(i));
                    }
                }
            }
        }
        Ok(found)
    }

    /// Compiles and checks a filter, so a bad one is an [`ErrorKind::InvalidFilter`] before
    /// anything runs.
    pub(crate) async fn predicate(&self, filter: Option<&Filter>, layout: &Layout) -> Result<Option<String>> {
        Ok(self.predicate_tree(filter, layout).await?.map(|t| t.to_sql()))
    }

    /// Like [`Collection::predicate`], as a tree, for combining with the engine's own conditions.
    pub(crate) async fn predicate_tree(&self, filter: Option<&Filter>, layout: &Layout) -> Result<Option<filter::Expr>> {
        let Some(filter) = filter else { return Ok(None) };
        let Some(tree) = filter::compile(filter, layout)? else { return Ok(None) };
        self.check_predicate(&tree.to_sql()).await?;
        Ok(Some(tree))
    }

    /// Plans a compiled filter in Lance: the tree is checked already, and this catches what only
    /// Lance knows (its coercions between the column and value types).
    pub(crate) async fn check_predicate(&self, sql: &str) -> Result<()> {
        self.inner
            .table
            .query()
            .only_if(sql)
            .select(Select::columns(&[schema::ID]))
            .limit(1)
            .explain_plan(false)
            .await
            .map_err(|e| Error::invalid_filter(format!("invalid filter {sql:?}: {}", lance_message(&e))))?;
        Ok(())
    }

    /// Reads records by id (in the order given; ids not found are left out), or all records that
    /// match `filter`, at most `limit` after skipping `offset`.
    pub fn get(&self, ids: Option<&[String]>, filter: Option<&Filter>, limit: Option<usize>, offset: usize) -> Result<GetResult> {
        self.timed(Op::Get, ids.map_or(0, <[String]>::len), || self.get_untimed(ids, filter, limit, offset))
    }

    fn get_untimed(&self, ids: Option<&[String]>, filter: Option<&Filter>, limit: Option<usize>, offset: usize) -> Result<GetResult> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate_tree(filter, &layout).await?;
            // By ids alone: buffered writes are merged in memory; anything Lance must evaluate
            // is read after flushing them.
            let by_ids = ids.is_some() && pred.is_none();
            let _view = if by_ids { self.read_gate() } else { self.lance_view().await? };
            let (mut out, lookup) = match ids {
                Some(ids) if by_ids => {
                    let (found, rest) = self.overlay_split(ids, &layout);
                    (found, Some(rest))
                }
                other => (GetResult { dim: layout.dim, ..Default::default() }, other.map(<[String]>::to_vec)),
            };
            let chunks: Vec<Option<String>> = match &lookup {
                Some(ids) if ids.is_empty() => Vec::new(),
                Some(ids) => ids
                    .chunks(IDS_PER_LOOKUP)
                    .map(|c| {
                        let by_id = filter::Expr::ids(c);
                        Some(match &pred {
                            Some(p) => by_id.and(p.clone()).to_sql(),
                            None => by_id.to_sql(),
                        })
                    })
                    .collect(),
                None => vec![pred.map(|p| p.to_sql())],
            };
            for p in chunks {
                let mut q = self.inner.table.query();
                if let Some(p) = p {
                    q = q.only_if(p);
                }
                if ids.is_none() {
                    if let Some(limit) = limit {
                        q = q.limit(limit);
                    }
                    if offset > 0 {
                        q = q.offset(offset);
                    }
                }
                let batches: Vec<RecordBatch> = q.execute().await?.try_collect().await?;
                for b in &batches {
                    out.append(b, &layout)?;
                }
            }
            Ok(match ids {
                Some(ids) => {
                    let mut out = out.reorder(ids);
                    let end = limit.map_or(out.len(), |l| (offset + l).min(out.len()));
                    if offset > 0 || end < out.len() {
                        let keep = out.ids[offset.min(end)..end].to_vec();
                        out = out.reorder(&keep);
                    }
                    out
                }
                None => out,
            })
        })
    }

    /// The number of records, or of those matching `filter`.
    pub fn count(&self, filter: Option<&Filter>) -> Result<u64> {
        self.ensure_open()?;
        let layout = self.layout();
        block_on(async {
            let pred = self.predicate(filter, &layout).await?;
            let _view = self.lance_view().await?;
            Ok(self.inner.table.count_rows(pred).await? as u64)
        })
    }
}
