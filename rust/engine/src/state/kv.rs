//! Key/value state: versioned keys per agent and session, their history and snapshots at a time,
//! TTLs and the sweep that expires them.

use super::*;

impl State {
    /// Writes a new version of `key` and returns its number (1 for a new key, or for a key whose
    /// earlier life expired). With `ttl`, this version expires that long after now.
    pub fn put(&self, agent: &str, session: &str, key: &str, value: &serde_json::Value, ttl: Option<Duration>) -> Result<u64> {
        let versions = self.put_many(agent, session, &[(key.to_owned(), value.clone())], ttl)?;
        versions.into_iter().next().ok_or_else(|| Error::internal("put wrote no version"))
    }

    /// Writes several keys of one session as one atomic batch (readers see all of it or none) and
    /// returns the new version of each, in order. Keys must not repeat.
    pub fn put_many(
        &self,
        agent: &str,
        session: &str,
        items: &[(String, serde_json::Value)],
        ttl: Option<Duration>,
    ) -> Result<Vec<u64>> {
        self.timed(crate::util::metrics::Op::StatePut, items.len(), || self.put_many_untimed(agent, session, items, ttl))
    }

    fn put_many_untimed(
        &self,
        agent: &str,
        session: &str,
        items: &[(String, serde_json::Value)],
        ttl: Option<Duration>,
    ) -> Result<Vec<u64>> {
        check_name("agent_id", agent)?;
        check_name("session_id", session)?;
        let mut seen = std::collections::HashSet::new();
        for (k, v) in items {
            check_name("key", k)?;
            check_depth(&format!("the value of {k:?}"), v)?;
            if !seen.insert(k.as_str()) {
                return Err(Error::invalid_argument(format!("key {k:?} appears twice in one batch")));
            }
        }
        let ttl = ttl.map(ttl_micros).transpose()?;
        let values: Vec<(String, Option<String>)> = items.iter().map(|(k, v)| (k.clone(), Some(v.to_string()))).collect();
        self.commit(|mem, now| Ok(write_ops(mem, now, agent, session, values, ttl)))
    }

    /// Deletes `key`: writes a tombstone version (the history keeps it) and returns its number;
    /// 0 when the key has no current value (nothing is written then).
    pub fn delete(&self, agent: &str, session: &str, key: &str) -> Result<u64> {
        check_name("agent_id", agent)?;
        check_name("session_id", session)?;
        check_name("key", key)?;
        self.commit(|mem, now| {
            let live = current(mem, agent, session, key, now).is_some_and(|r| r.value.is_some());
            if !live {
                return Ok((Vec::new(), vec![0]));
            }
            Ok(write_ops(mem, now, agent, session, vec![(key.to_owned(), None)], None))
        })
        .map(|v| v[0])
    }

    /// The version of `key` selected by `at` (see [`StateAt`]), or `None` if there is none: the
    /// key never existed, expired, or (for [`StateAt::Time`]) had no version yet or was deleted
    /// or expired at that time. A tombstone is returned as such for [`StateAt::Latest`] and
    /// [`StateAt::Version`] (check [`StateVersion::deleted`]).
    pub fn get(&self, agent: &str, session: &str, key: &str, at: StateAt) -> Result<Option<StateVersion>> {
        self.timed(crate::util::metrics::Op::StateGet, 1, || self.get_untimed(agent, session, key, at))
    }

    fn get_untimed(&self, agent: &str, session: &str, key: &str, at: StateAt) -> Result<Option<StateVersion>> {
        let mem = self.read()?;
        let now = now_micros();
        let Some(rows) = live_rows(&mem, agent, session, key, now) else { return Ok(None) };
        Ok(match at {
            StateAt::Latest => rows.last().map(mem::Row::to_version),
            StateAt::Version(v) => rows.iter().find(|r| r.version == v).map(mem::Row::to_version),
            StateAt::Time(t) => at_time(rows, t).map(mem::Row::to_version),
        })
    }

    /// The versions of `key`, newest first, tombstones included: at most `limit` after skipping
    /// `offset`. Empty for a key that never existed or expired.
    pub fn history(&self, agent: &str, session: &str, key: &str, limit: usize, offset: usize) -> Result<Vec<StateVersion>> {
        let mem = self.read()?;
        let Some(rows) = live_rows(&mem, agent, session, key, now_micros()) else { return Ok(Vec::new()) };
        Ok(rows.iter().rev().skip(offset).take(limit).map(mem::Row::to_version).collect())
    }

    /// Every key of a session with its value (JSON text), now or at time `at` (microseconds since
    /// the epoch), sorted by key. Deleted and expired keys are left out.
    pub fn snapshot(&self, agent: &str, session: &str, at: Option<i64>) -> Result<BTreeMap<String, Arc<str>>> {
        let mem = self.read()?;
        let now = now_micros();
        let mut out = BTreeMap::new();
        let Some(s) = mem.session(agent, session) else { return Ok(out) };
        if s.expired(now) {
            return Ok(out);
        }
        for (key, rows) in &s.keys {
            if key_expired(rows, now) {
                continue;
            }
            let row = match at {
                None => rows.last(),
                Some(t) => at_time(rows, t),
            };
            if let Some(v) = row.and_then(|r| r.value.clone()) {
                out.insert(key.clone(), v);
            }
        }
        Ok(out)
    }

    /// The keys [`State::snapshot`] would return.
    pub fn keys(&self, agent: &str, session: &str, at: Option<i64>) -> Result<Vec<String>> {
        Ok(self.snapshot(agent, session, at)?.into_keys().collect())
    }

    /// The sessions of `agent` that hold anything (a key, even deleted, or a TTL setting) and have
    /// not expired, sorted.
    pub fn sessions(&self, agent: &str) -> Result<Vec<String>> {
        let mem = self.read()?;
        let now = now_micros();
        let Some(sessions) = mem.agents.get(agent) else { return Ok(Vec::new()) };
        Ok(sessions
            .iter()
            .filter(|(_, s)| !s.expired(now) && (!s.settings.is_empty() || s.keys.values().any(|r| !key_expired(r, now))))
            .map(|(name, _)| name.clone())
            .collect())
    }

    /// Removes a session (or, with `session = None`, every session of the agent) for good: every
    /// version of every key and the TTL setting. Returns how many key versions were removed.
    pub fn purge(&self, agent: &str, session: Option<&str>) -> Result<u64> {
        check_name("agent_id", agent)?;
        if let Some(s) = session {
            check_name("session_id", s)?;
        }
        self.commit(|mem, _| {
            let n = mem.count_rows(agent, session);
            let exists = match session {
                Some(s) => mem.session(agent, s).is_some(),
                None => mem.agents.contains_key(agent),
            };
            if !exists {
                return Ok((Vec::new(), 0));
            }
            let op = Op::Drop { agent: agent.into(), session: session.map(Into::into), key: None, keys_only: false, upto: None };
            Ok((vec![op], n))
        })
    }

    /// Sets (or with `None` removes) the session's TTL: the session expires `ttl` after its last
    /// write. Setting it counts as a write.
    pub fn set_session_ttl(&self, agent: &str, session: &str, ttl: Option<Duration>) -> Result<()> {
        check_name("agent_id", agent)?;
        check_name("session_id", session)?;
        let ttl = ttl.map(ttl_micros).transpose()?;
        self.commit(|mem, now| {
            let mut ops = Vec::new();
            let s = mem.session(agent, session);
            if s.is_some_and(|s| s.expired(now) && !s.keys.is_empty()) {
                ops.push(Op::Drop { agent: agent.into(), session: Some(session.into()), key: None, keys_only: true, upto: None });
            }
            let version = s.and_then(|s| s.settings.last()).map_or(1, |r| r.version + 1);
            ops.push(Op::SessionTtl { agent: agent.into(), session: session.into(), version, ttl, written_at: now });
            Ok((ops, ()))
        })
    }

    /// The session's TTL, if it has one.
    pub fn session_ttl(&self, agent: &str, session: &str) -> Result<Option<Duration>> {
        let mem = self.read()?;
        Ok(mem.session(agent, session).and_then(|s| s.ttl()).map(|us| Duration::from_micros(us as u64)))
    }

    /// Removes the rows of expired keys and sessions now (the background sweep does this every
    /// second). Returns how many key versions were removed.
    pub fn sweep(&self) -> Result<u64> {
        if matches!(self.inner.log, Log::ReadOnly) {
            return Ok(0);
        }
        if self.mem().ttl_rows == 0 {
            return Ok(0);
        }
        self.commit(|mem, now| {
            let ops = mem.expired(now);
            let mut n = 0;
            for op in &ops {
                if let Op::Drop { agent, session: Some(s), key, .. } = op {
                    let sess = mem.session(agent, s);
                    n += match key {
                        Some(k) => sess.and_then(|x| x.keys.get(k)).map_or(0, |r| r.len() as u64),
                        None => sess.map_or(0, |x| x.keys.values().map(|r| r.len() as u64).sum()),
                    };
                }
            }
            Ok((ops, n))
        })
    }
}

/// The rows of a key, unless it, or its session, expired.
pub(super) fn live_rows<'m>(mem: &'m Mem, agent: &str, session: &str, key: &str, now: i64) -> Option<&'m [mem::Row]> {
    let s = mem.session(agent, session)?;
    if s.expired(now) {
        return None;
    }
    let rows = s.keys.get(key)?;
    if key_expired(rows, now) {
        return None;
    }
    Some(rows)
}

pub(super) fn current<'m>(mem: &'m Mem, agent: &str, session: &str, key: &str, now: i64) -> Option<&'m mem::Row> {
    live_rows(mem, agent, session, key, now)?.last()
}

/// The version in force at `t`: the last written at or before `t`, unless it is a tombstone or
/// had expired by `t`.
pub(super) fn at_time(rows: &[mem::Row], t: i64) -> Option<&mem::Row> {
    let r = rows.iter().rev().find(|r| r.written_at <= t)?;
    if r.value.is_none() || r.expires_at.is_some_and(|e| e <= t) {
        return None;
    }
    Some(r)
}
