//! Consolidation: de-duplication, decay and capacity, run on demand or by a background thread.

use super::*;

impl Memory {
    /// De-duplicates, decays and enforces the capacity limit (each when its option is given, in
    /// that order), agent by agent. Deleted memories leave storage in one commit; merged
    /// survivors are written in one commit before that.
    ///
    /// De-duplication visits memories strongest first (ties: older first, then id); each one
    /// not yet merged absorbs every other memory of its agent with similarity ≥ the threshold:
    /// the survivor takes the highest importance, the latest `last_accessed`, the earliest
    /// creation time and the sum of the access counts; its text and metadata stay its own. Groups
    /// above 1024 memories find near-duplicates through the vector index (its 32 nearest), smaller
    /// ones compare every pair.
    pub fn consolidate(&self, opts: &ConsolidateOptions) -> Result<ConsolidationReport> {
        self.ensure_open()?;
        opts.weights.validate()?;
        if let Some(t) = opts.dedup_threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(Error::invalid_argument(format!("dedup_threshold must be between 0 and 1, got {t}")));
            }
        }
        if let Some(m) = opts.min_score {
            if !m.is_finite() {
                return Err(Error::invalid_argument(format!("min_score must be finite, got {m}")));
            }
        }
        let now = opts.now.unwrap_or_else(now_micros);
        let w = &opts.weights;
        let metric = self.metric();
        let _w = self.write_lock();
        let mut report = ConsolidationReport::default();
        // Working copies of the rows in scope, per agent; survivors changed by merging.
        let mut groups: Vec<Vec<Row>> = {
            let t = self.table();
            let mut agents: Vec<&String> = match &opts.agent_id {
                Some(a) => t.groups.keys().filter(|k| *k == a).collect(),
                None => t.groups.keys().collect(),
            };
            agents.sort();
            agents
                .into_iter()
                .map(|a| {
                    let mut g: Vec<Row> = t.groups[a].slots.iter().map(|&s| t.row(s).clone()).collect();
                    g.sort_by(|a, b| a.id.cmp(&b.id));
                    g
                })
                .collect()
        };
        let mut changed: HashSet<String> = HashSet::new();
        let strongest_first = |a: &Row, b: &Row| {
            b.strength(w, now)
                .partial_cmp(&a.strength(w, now))
                .unwrap_or(CmpOrdering::Equal)
                .then(a.created.cmp(&b.created))
                .then_with(|| a.id.cmp(&b.id))
        };
        if let Some(threshold) = opts.dedup_threshold {
            for g in groups.iter_mut() {
                g.sort_by(strongest_first);
                let removed = self.dedup_group(g, threshold, metric)?;
                let mut gone: HashSet<usize> = HashSet::new();
                for (keeper, victim) in removed {
                    let v = g[victim].clone();
                    let k = &mut g[keeper];
                    k.importance = k.importance.max(v.importance);
                    k.last_accessed = k.last_accessed.max(v.last_accessed);
                    k.created = k.created.min(v.created);
                    k.access_count = k.access_count.saturating_add(v.access_count);
                    changed.insert(k.id.clone());
                    report.merged.push((k.id.clone(), v.id.clone()));
                    gone.insert(victim);
                }
                let mut i = 0;
                g.retain(|_| {
                    i += 1;
                    !gone.contains(&(i - 1))
                });
            }
        }
        if let Some(min) = opts.min_score {
            for g in groups.iter_mut() {
                g.retain(|r| {
                    let keep = r.strength(w, now) >= min;
                    if !keep {
                        report.pruned.push(r.id.clone());
                    }
                    keep
                });
            }
        }
        if let Some(cap) = opts.capacity {
            for g in groups.iter_mut() {
                if g.len() <= cap {
                    continue;
                }
                // Weakest first: lowest strength, then least recently accessed, then id.
                g.sort_by(|a, b| {
                    a.strength(w, now)
                        .partial_cmp(&b.strength(w, now))
                        .unwrap_or(CmpOrdering::Equal)
                        .then(a.last_accessed.cmp(&b.last_accessed))
                        .then_with(|| a.id.cmp(&b.id))
                });
                let n = g.len() - cap;
                report.evicted.extend(g.drain(..n).map(|r| r.id));
            }
        }
        let deleted: Vec<String> = report
            .merged
            .iter()
            .map(|(_, r)| r.clone())
            .chain(report.pruned.iter().cloned())
            .chain(report.evicted.iter().cloned())
            .collect();
        let survivors: Vec<Row> = groups.into_iter().flatten().filter(|r| changed.contains(&r.id)).collect();
        if !survivors.is_empty() {
            Self::write_rows(&self.shared, &survivors)?;
            let mut t = self.table_mut();
            for r in survivors {
                t.pending.remove(&r.id);
                t.replace(r);
            }
        }
        self.delete_locked(&deleted)?;
        Ok(report)
    }

    /// The `(keeper, removed)` index pairs of one agent's group sorted strongest first.
    pub(super) fn dedup_group(&self, g: &[Row], threshold: f64, metric: Metric) -> Result<Vec<(usize, usize)>> {
        let mut merged_into: Vec<Option<usize>> = vec![None; g.len()];
        let mut out = Vec::new();
        let ids: Vec<&str> = g.iter().map(|r| r.id.as_str()).collect();
        let pos: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        self.shared.collection.with_mirror(|m| {
            for i in 0..g.len() {
                if merged_into[i].is_some() {
                    continue;
                }
                let Some(v) = m.vector_of(ids[i]) else { continue };
                let near: Vec<(usize, f32)> = if g.len() <= DEDUP_EXACT_MAX {
                    let later = &ids[i + 1..];
                    m.distances_of(&v, later)
                        .into_iter()
                        .enumerate()
                        .filter_map(|(j, d)| d.map(|d| (i + 1 + j, d)))
                        .collect()
                } else {
                    let accept = |id: &str| pos.get(id).is_some_and(|&j| j != i && merged_into[j].is_none());
                    m.search_where(&v, DEDUP_NEIGHBOURS, DEDUP_NEIGHBOURS.max(64), &accept)
                        .into_iter()
                        .filter_map(|(id, d)| pos.get(id.as_str()).map(|&j| (j, d)))
                        .collect()
                };
                let mut victims: Vec<usize> = near
                    .into_iter()
                    .filter(|&(j, d)| j != i && merged_into[j].is_none() && similarity(metric, d) >= threshold)
                    .map(|(j, _)| j)
                    .collect();
                victims.sort_unstable();
                for j in victims {
                    merged_into[j] = Some(i);
                    out.push((i, j));
                }
            }
        })?;
        Ok(out)
    }

    /// Runs [`Memory::consolidate`] with `opts` every `every`, on a thread of its own, and writes
    /// the pending access statistics each time; replaces a schedule already running. The thread
    /// stops with [`Memory::stop_background`], when the database closes, or when the store is
    /// dropped. The outcome of the last run is [`Memory::last_background_run`].
    pub fn start_background(&self, every: Duration, opts: ConsolidateOptions) -> Result<()> {
        self.ensure_open()?;
        if every.is_zero() {
            return Err(Error::invalid_argument("the background interval must be greater than zero"));
        }
        opts.weights.validate()?;
        stop_background(&self.shared.background);
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let weak: Weak<MemoryShared> = Arc::downgrade(&self.shared);
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("agentdb-memory-{}", self.shared.name))
            .spawn(move || loop {
                IN_BACKGROUND.with(|b| b.set(true));
                {
                    let (lock, cv) = &*stop2;
                    let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                    let (guard, _) = cv.wait_timeout_while(guard, every, |stopped| !*stopped).unwrap_or_else(|p| p.into_inner());
                    if *guard {
                        return;
                    }
                }
                let Some(shared) = weak.upgrade() else { return };
                let m = Memory { shared, _keep: None };
                if m.ensure_open().is_err() {
                    return;
                }
                let result = m.consolidate(&opts).and_then(|r| m.flush().map(|_| r));
                *m.shared.last_background.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            })
            .map_err(|e| Error::internal(format!("cannot start the background thread: {e}")))?;
        *self.shared.background.lock().unwrap_or_else(|p| p.into_inner()) = Some(Background { stop, thread });
        Ok(())
    }

    /// Stops the background consolidation, waiting for a run in progress. Not running is fine.
    pub fn stop_background(&self) {
        stop_background(&self.shared.background);
    }

    /// Whether a background consolidation is scheduled.
    pub fn background_running(&self) -> bool {
        self.shared.background.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The outcome of the last background run (`None` before the first).
    pub fn last_background_run(&self) -> Option<Result<ConsolidationReport>> {
        self.shared.last_background.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
