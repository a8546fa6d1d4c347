//! Checkpoints and their pending writes (the LangGraph checkpointer's model), by thread,
//! namespace and id.

use super::*;

impl State {
    /// Stores a checkpoint (replacing one with the same thread, namespace and id).
    #[allow(clippy::too_many_arguments)]
    pub fn put_checkpoint(
        &self,
        thread_id: &str,
        namespace: &str,
        checkpoint_id: &str,
        checkpoint: &[u8],
        parent_id: Option<&str>,
        metadata: Option<&serde_json::Value>,
        type_: &str,
    ) -> Result<()> {
        check_name("thread_id", thread_id)?;
        check_len("namespace", namespace)?;
        check_name("checkpoint_id", checkpoint_id)?;
        if let Some(p) = parent_id {
            check_name("parent_id", p)?;
        }
        check_len("type", type_)?;
        let metadata = metadata_text(metadata)?;
        self.commit(|_, now| {
            let op = Op::Checkpoint {
                thread: thread_id.into(),
                namespace: namespace.into(),
                id: checkpoint_id.into(),
                parent: parent_id.map(Into::into),
                type_: type_.into(),
                payload: checkpoint.to_vec(),
                metadata,
                created_at: now,
            };
            Ok((vec![op], ()))
        })
    }

    /// The checkpoint `checkpoint_id` of (thread, namespace), or with `None` the latest one (the
    /// greatest id).
    pub fn get_checkpoint(&self, thread_id: &str, namespace: &str, checkpoint_id: Option<&str>) -> Result<Option<Checkpoint>> {
        let found = self.with_payloads(|mem| {
            let Some(per) = mem.checkpoints.get(&(thread_id.to_owned(), namespace.to_owned())) else { return Vec::new() };
            match checkpoint_id {
                Some(id) => per.get(id).cloned().into_iter().collect(),
                None => per.values().next_back().cloned().into_iter().collect(),
            }
        })?;
        Ok(found.into_iter().next())
    }

    /// The checkpoints `select` picks from memory, with their payloads: those not held in memory
    /// are read from Lance. A row replaced (and flushed) between the two steps is picked again.
    pub(super) fn with_payloads(&self, select: impl Fn(&Mem) -> Vec<Arc<mem::CkRow>>) -> Result<Vec<Checkpoint>> {
        for _ in 0..8 {
            let rows = {
                let mem = self.read()?;
                select(&mem)
            };
            let stubs: Vec<mem::CkKey> = rows
                .iter()
                .filter(|r| r.stub)
                .map(|r| (r.cp.thread_id.clone(), r.cp.namespace.clone(), r.cp.checkpoint_id.clone(), r.lsn))
                .collect();
            let payloads = if stubs.is_empty() { Default::default() } else { block_on(self.inner.store.payloads(&stubs))? };
            if payloads.len() < stubs.len() {
                continue;
            }
            if !payloads.is_empty() {
                let mut mem = self.inner.mem.write().unwrap_or_else(|p| p.into_inner());
                for (key, payload) in &payloads {
                    mem.cache_latest(key, payload);
                }
            }
            return Ok(rows
                .into_iter()
                .map(|r| {
                    let mut cp = r.cp.clone();
                    if r.stub {
                        let key = (cp.thread_id.clone(), cp.namespace.clone(), cp.checkpoint_id.clone(), r.lsn);
                        cp.checkpoint = payloads[&key].clone();
                    }
                    cp
                })
                .collect());
        }
        Err(Error::storage("checkpoints kept changing while being read; try again"))
    }

    /// Checkpoints matching `filter`, newest (greatest id) first.
    pub fn list_checkpoints(&self, filter: &CheckpointFilter) -> Result<Vec<Checkpoint>> {
        self.with_payloads(|mem| list_rows(mem, filter))
    }

    /// Stores the pending writes of task `task_id` against a checkpoint, as one atomic batch.
    /// LangGraph's rules: a write whose (task_id, idx) is already stored is ignored when
    /// `idx >= 0` (a retried task writes the same thing) and replaces the stored one when
    /// `idx < 0` (the special channels: error, scheduled, interrupt, resume); within one call,
    /// likewise the first regular and the last special write of an idx count.
    pub fn put_writes(
        &self,
        thread_id: &str,
        namespace: &str,
        checkpoint_id: &str,
        task_id: &str,
        writes: &[WriteInput],
        task_path: &str,
    ) -> Result<()> {
        check_name("thread_id", thread_id)?;
        check_len("namespace", namespace)?;
        check_name("checkpoint_id", checkpoint_id)?;
        check_len("task_id", task_id)?;
        check_len("task_path", task_path)?;
        for w in writes {
            check_len("channel", &w.channel)?;
            check_len("type", &w.type_)?;
        }
        // The same rules within one call, as LangGraph's in-memory saver applies them: of writes
        // sharing an idx, the first regular one counts and the last special one.
        let mut items: Vec<&WriteInput> = Vec::with_capacity(writes.len());
        for w in writes {
            match items.iter().position(|x| x.idx == w.idx) {
                Some(i) if w.idx < 0 => items[i] = w,
                Some(_) => {}
                None => items.push(w),
            }
        }
        if items.is_empty() {
            self.ensure_open()?;
            return Ok(());
        }
        self.commit(|_, now| {
            let op = Op::Writes {
                thread: thread_id.into(),
                namespace: namespace.into(),
                checkpoint: checkpoint_id.into(),
                task_id: task_id.into(),
                task_path: task_path.into(),
                items: items
                    .iter()
                    .map(|w| WriteItem { idx: w.idx, channel: w.channel.clone(), type_: w.type_.clone(), value: w.value.clone() })
                    .collect(),
                written_at: now,
            };
            Ok((vec![op], ()))
        })
    }

    /// The pending writes stored against a checkpoint, in LangGraph's order: by task path, task
    /// id, then idx.
    pub fn get_writes(&self, thread_id: &str, namespace: &str, checkpoint_id: &str) -> Result<Vec<PendingWrite>> {
        let mem = self.read()?;
        let key = (thread_id.to_owned(), namespace.to_owned(), checkpoint_id.to_owned());
        let mut out: Vec<PendingWrite> =
            mem.writes.get(&key).map(|per| per.values().map(|w| w.w.clone()).collect()).unwrap_or_default();
        out.sort_by(|a, b| (&a.task_path, &a.task_id, a.idx).cmp(&(&b.task_path, &b.task_id, b.idx)));
        Ok(out)
    }

    /// Removes every checkpoint and pending write of a thread (all namespaces).
    pub fn delete_thread(&self, thread_id: &str) -> Result<()> {
        check_name("thread_id", thread_id)?;
        self.commit(|mem, _| {
            let any = mem.checkpoints.keys().any(|(t, _)| t == thread_id) || mem.writes.keys().any(|(t, _, _)| t == thread_id);
            let ops = if any { vec![Op::DeleteThread { thread: thread_id.into() }] } else { Vec::new() };
            Ok((ops, ()))
        })
    }
}

/// The checkpoint rows matching `filter`, newest first.
pub(super) fn list_rows(mem: &Mem, filter: &CheckpointFilter) -> Vec<Arc<mem::CkRow>> {
    let mut found: Vec<&Arc<mem::CkRow>> = Vec::new();
    for ((thread, ns), per) in &mem.checkpoints {
        if filter.thread_id.as_ref().is_some_and(|t| t != thread) || filter.namespace.as_ref().is_some_and(|n| n != ns) {
            continue;
        }
        for (id, c) in per.iter().rev() {
            if filter.before.as_ref().is_some_and(|b| id.as_str() >= b.as_str()) {
                continue;
            }
            if let Some(want) = &filter.metadata {
                let meta = crate::types::value::parse_json(&c.cp.metadata).unwrap_or_default();
                if !want.iter().all(|(k, v)| meta.get(k) == Some(v)) {
                    continue;
                }
            }
            found.push(c);
        }
    }
    found.sort_by(|a, b| {
        let (a, b) = (&a.cp, &b.cp);
        b.checkpoint_id
            .cmp(&a.checkpoint_id)
            .then_with(|| a.thread_id.cmp(&b.thread_id))
            .then_with(|| a.namespace.cmp(&b.namespace))
    });
    let limit = filter.limit.unwrap_or(usize::MAX);
    found.into_iter().take(limit).cloned().collect()
}
