//! The in-memory table of a store's memories: their rows, grouped by agent, each group's vectors
//! in one contiguous block for SIMD scans; filters compiled against it.

use super::*;
use super::text::TextIndex;

#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) id: String,
    pub(super) text: Option<String>,
    pub(super) agent_id: String,
    pub(super) session_id: Option<String>,
    pub(super) kind: MemoryKind,
    pub(super) importance: f64,
    pub(super) created: i64,
    pub(super) last_accessed: i64,
    pub(super) access_count: u64,
    pub(super) metadata: Metadata,
}

impl Row {
    pub(super) fn record(&self) -> MemoryRecord {
        MemoryRecord {
            id: self.id.clone(),
            text: self.text.clone(),
            agent_id: self.agent_id.clone(),
            session_id: self.session_id.clone(),
            kind: self.kind,
            importance: self.importance,
            created_at: self.created,
            last_accessed: self.last_accessed,
            access_count: self.access_count,
            metadata: self.metadata.clone(),
            vector: Vec::new(),
        }
    }

    pub(super) fn strength(&self, w: &RecallWeights, now: i64) -> f64 {
        w.strength(w.recency(now.saturating_sub(self.last_accessed)), self.importance)
    }

    /// The system fields and the user metadata, as stored in the collection.
    pub(super) fn stored_metadata(&self) -> Metadata {
        let mut m = self.metadata.clone();
        m.insert("agent_id".into(), Value::Str(self.agent_id.clone()));
        if let Some(s) = &self.session_id {
            m.insert("session_id".into(), Value::Str(s.clone()));
        }
        m.insert("kind".into(), Value::Str(self.kind.as_str().into()));
        m.insert("importance".into(), Value::Float(self.importance));
        m.insert("created".into(), Value::Datetime(self.created));
        m.insert("last_accessed".into(), Value::Datetime(self.last_accessed));
        m.insert("access_count".into(), Value::Int(self.access_count.min(i64::MAX as u64) as i64));
        m
    }

    /// Reads a stored record back (the inverse of [`Row::stored_metadata`]).
    pub(super) fn from_stored(id: String, text: Option<String>, mut meta: Metadata, fallback_time: i64) -> Result<Row> {
        let bad = |what: &str| Error::storage(format!("memory {id:?}: {what}"));
        let agent_id = match meta.remove("agent_id") {
            Some(Value::Str(s)) => s,
            _ => return Err(bad("no agent_id")),
        };
        let session_id = match meta.remove("session_id") {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        };
        let kind = match meta.remove("kind") {
            Some(Value::Str(s)) => s.parse::<MemoryKind>().map_err(|_| bad("unknown kind"))?,
            _ => return Err(bad("no kind")),
        };
        let importance = match meta.remove("importance") {
            Some(Value::Float(f)) => f,
            Some(Value::Int(i)) => i as f64,
            _ => return Err(bad("no importance")),
        };
        let created = match meta.remove("created") {
            Some(Value::Datetime(t)) => t,
            _ => fallback_time,
        };
        let last_accessed = match meta.remove("last_accessed") {
            Some(Value::Datetime(t)) => t,
            _ => created,
        };
        let access_count = match meta.remove("access_count") {
            Some(Value::Int(n)) => n.max(0) as u64,
            _ => 0,
        };
        Ok(Row { id, text, agent_id, session_id, kind, importance, created, last_accessed, access_count, metadata: meta })
    }
}

/// The filter with its `where` part resolved to ids.
pub(super) struct Compiled<'a> {
    pub(super) f: &'a MemoryFilter,
    pub(super) where_ids: Option<HashSet<String>>,
}

impl Compiled<'_> {
    pub(super) fn matches(&self, r: &Row) -> bool {
        let f = self.f;
        f.agent_id.as_ref().is_none_or(|a| *a == r.agent_id)
            && f.session_id.as_ref().is_none_or(|s| r.session_id.as_ref() == Some(s))
            && f.kinds.as_ref().is_none_or(|k| k.contains(&r.kind))
            && f.since.is_none_or(|t| r.created >= t)
            && f.until.is_none_or(|t| r.created < t)
            && self.where_ids.as_ref().is_none_or(|ids| ids.contains(&r.id))
    }

    /// Whether only the agent condition is set (then the agent's group is the answer).
    pub(super) fn agent_only(&self) -> bool {
        let f = self.f;
        f.session_id.is_none() && f.kinds.is_none() && f.since.is_none() && f.until.is_none() && self.where_ids.is_none()
    }
}

/// One agent's memories: their slots and, in the same order, their vectors in one contiguous
/// block (normalised for cosine), so a recall filtered to an agent is one SIMD scan of that block
/// rather than a lookup per memory.
#[derive(Default)]
pub(super) struct Group {
    pub(super) slots: Vec<usize>,
    pub(super) vectors: Vec<f32>,
}

pub(super) struct Table {
    pub(super) dim: usize,
    pub(super) metric: Metric,
    /// Slots; a freed slot is `None` until reused.
    pub(super) rows: Vec<Option<Row>>,
    /// The position of each slot's memory in its agent's group.
    pub(super) pos: Vec<usize>,
    pub(super) free: Vec<usize>,
    pub(super) slot: HashMap<String, usize>,
    pub(super) groups: HashMap<String, Group>,
    /// Ids whose access statistics changed since they were last written.
    pub(super) pending: HashSet<String>,
    pub(super) pending_since: Option<Instant>,
    /// BM25 over the texts, by slot (see `text.rs`).
    pub(super) text: TextIndex,
}

impl Table {
    pub(super) fn new(dim: usize, metric: Metric, tokenizer: TextTokenizer) -> Result<Table> {
        Ok(Table {
            dim,
            metric,
            rows: Vec::new(),
            pos: Vec::new(),
            free: Vec::new(),
            slot: HashMap::new(),
            groups: HashMap::new(),
            pending: HashSet::new(),
            pending_since: None,
            text: TextIndex::new(tokenizer)?,
        })
    }

    /// Re-indexes every text with another tokenizer.
    pub(super) fn set_tokenizer(&mut self, tokenizer: TextTokenizer) -> Result<()> {
        let mut text = TextIndex::new(tokenizer)?;
        for (s, r) in self.rows.iter().enumerate() {
            if let Some(r) = r {
                text.insert(s, r.text.as_deref());
            }
        }
        self.text = text;
        Ok(())
    }

    pub(super) fn len(&self) -> usize {
        self.slot.len()
    }

    pub(super) fn get(&self, id: &str) -> Option<&Row> {
        self.slot.get(id).and_then(|&s| self.rows[s].as_ref())
    }

    pub(super) fn get_mut(&mut self, id: &str) -> Option<&mut Row> {
        let s = *self.slot.get(id)?;
        self.rows[s].as_mut()
    }

    /// Appends the vector as the group keeps it (normalised for cosine).
    pub(super) fn push_vector(&self, out: &mut Vec<f32>, v: &[f32]) {
        let start = out.len();
        out.extend_from_slice(v);
        if self.metric == Metric::Cosine {
            crate::kernels::normalize(&mut out[start..]);
        }
    }

    /// Inserts a memory with its vector (replacing one of the same id).
    pub(super) fn insert(&mut self, row: Row, vector: &[f32]) {
        if let Some(&s) = self.slot.get(&row.id) {
            self.remove_slot(s);
        }
        let s = match self.free.pop() {
            Some(s) => s,
            None => {
                self.rows.push(None);
                self.pos.push(0);
                self.rows.len() - 1
            }
        };
        let mut block = std::mem::take(&mut self.groups.entry(row.agent_id.clone()).or_default().vectors);
        self.push_vector(&mut block, vector);
        let g = self.groups.get_mut(&row.agent_id).expect("the group was just made");
        g.vectors = block;
        g.slots.push(s);
        self.pos[s] = g.slots.len() - 1;
        self.slot.insert(row.id.clone(), s);
        self.text.insert(s, row.text.as_deref());
        self.rows[s] = Some(row);
    }

    /// Replaces the fields of a stored memory of the same agent, keeping its vector.
    pub(super) fn replace(&mut self, row: Row) {
        match self.slot.get(&row.id) {
            Some(&s) if self.rows[s].as_ref().is_some_and(|r| r.agent_id == row.agent_id) => {
                if self.rows[s].as_ref().is_some_and(|r| r.text != row.text) {
                    self.text.insert(s, row.text.as_deref());
                }
                self.rows[s] = Some(row)
            }
            _ => debug_assert!(false, "replace of a memory that is not stored under that agent"),
        }
    }

    /// Replaces the vector of a stored memory.
    pub(super) fn set_vector(&mut self, id: &str, vector: &[f32]) {
        let Some(&s) = self.slot.get(id) else { return };
        let Some(agent) = self.rows[s].as_ref().map(|r| r.agent_id.clone()) else { return };
        let mut v = Vec::with_capacity(self.dim);
        self.push_vector(&mut v, vector);
        let (dim, p) = (self.dim, self.pos[s]);
        if let Some(g) = self.groups.get_mut(&agent) {
            g.vectors[p * dim..(p + 1) * dim].copy_from_slice(&v);
        }
    }

    pub(super) fn remove(&mut self, id: &str) -> bool {
        match self.slot.get(id) {
            Some(&s) => {
                self.remove_slot(s);
                true
            }
            None => false,
        }
    }

    pub(super) fn remove_slot(&mut self, s: usize) {
        let Some(row) = self.rows[s].take() else { return };
        self.text.remove(s);
        self.slot.remove(&row.id);
        self.pending.remove(&row.id);
        let dim = self.dim;
        if let Some(g) = self.groups.get_mut(&row.agent_id) {
            // Swap-remove: the group's last memory takes the freed position.
            let p = self.pos[s];
            let last = g.slots.len() - 1;
            if p != last {
                let moved = g.slots[last];
                g.slots[p] = moved;
                g.vectors.copy_within(last * dim..(last + 1) * dim, p * dim);
                self.pos[moved] = p;
            }
            g.slots.pop();
            g.vectors.truncate(last * dim);
            if g.slots.is_empty() {
                self.groups.remove(&row.agent_id);
            }
        }
        self.free.push(s);
    }

    /// The slots passing the filter, in no particular order.
    pub(super) fn matching(&self, c: &Compiled<'_>) -> Vec<usize> {
        match &c.f.agent_id {
            Some(a) => {
                let Some(group) = self.groups.get(a) else { return Vec::new() };
                if c.agent_only() {
                    group.slots.clone()
                } else {
                    group.slots.iter().copied().filter(|&s| self.rows[s].as_ref().is_some_and(|r| c.matches(r))).collect()
                }
            }
            None => (0..self.rows.len()).filter(|&s| self.rows[s].as_ref().is_some_and(|r| c.matches(r))).collect(),
        }
    }

    /// How many memories pass the filter, without listing them when the answer is a group size.
    pub(super) fn count_matching(&self, c: &Compiled<'_>) -> usize {
        match (&c.f.agent_id, c.agent_only()) {
            (Some(a), true) => self.groups.get(a).map_or(0, |g| g.slots.len()),
            (None, _) if c.f.is_empty() => self.len(),
            _ => self.matching(c).len(),
        }
    }

    /// `(slot, distance to query)` of every memory passing the filter: one SIMD scan of each
    /// group in scope (the agent's, or all).
    pub(super) fn distances(&self, query: &[f32], c: &Compiled<'_>) -> Vec<(usize, f32)> {
        let kern = Kernels::get();
        let metric = match self.metric {
            Metric::L2 => KernelMetric::L2,
            // Both sides normalised: cosine distance is 1 - q̂·v̂.
            Metric::Cosine | Metric::Dot => KernelMetric::Dot,
        };
        let mut q = Vec::with_capacity(self.dim);
        self.push_vector(&mut q, query);
        let groups: Vec<&Group> = match &c.f.agent_id {
            Some(a) => self.groups.get(a).into_iter().collect(),
            None => self.groups.values().collect(),
        };
        let every = c.agent_only() || c.f.is_empty();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        for g in groups {
            buf.resize(g.slots.len(), 0f32);
            if g.slots.is_empty() {
                continue;
            }
            kern.batch_f32(metric, &q, &g.vectors, self.dim, &mut buf);
            for (&s, &d) in g.slots.iter().zip(&buf) {
                if every || self.rows[s].as_ref().is_some_and(|r| c.matches(r)) {
                    let d = if self.metric == Metric::Cosine { d.max(0.0) } else { d };
                    out.push((s, d));
                }
            }
        }
        out
    }

    /// The distance to `query` of the memories in `slots`, in that order.
    pub(super) fn distances_of(&self, query: &[f32], slots: &[usize]) -> Vec<f32> {
        let kern = Kernels::get();
        let metric = match self.metric {
            Metric::L2 => KernelMetric::L2,
            Metric::Cosine | Metric::Dot => KernelMetric::Dot,
        };
        let mut q = Vec::with_capacity(self.dim);
        self.push_vector(&mut q, query);
        let dim = self.dim;
        let mut d = [0f32];
        slots
            .iter()
            .map(|&s| {
                let r = self.row(s);
                let g = &self.groups[&r.agent_id];
                let p = self.pos[s];
                kern.batch_f32(metric, &q, &g.vectors[p * dim..(p + 1) * dim], dim, &mut d);
                if self.metric == Metric::Cosine { d[0].max(0.0) } else { d[0] }
            })
            .collect()
    }

    pub(super) fn row(&self, s: usize) -> &Row {
        self.rows[s].as_ref().expect("a listed slot holds a row")
    }
}
