//! One writer per database on an object store, across machines: a lease object,
//! `<uri>/_agentdb/LEASE`, written with conditional puts and renewed while the writer is open.
//!
//! Why not Lance's commits alone: Lance 14 commits to S3 with a conditional put of the next
//! manifest (`ConditionalPutCommitHandler`), so two writers never overwrite each other's
//! version, but it then rebases and retries the loser's commit: two appends both land. That keeps
//! each table sound, not the engine's single-writer state (each writer's buffer, id map, mirror and
//! log would disagree with the other's commits). So the writer holds this lease as well.
//!
//! - **Taking it:** `PutMode::Create` (If-None-Match: *). If the object exists it is taken over
//!   with `PutMode::Update` (If-Match on the e-tag read) when it was released, has expired, or was
//!   held by this machine with this same local directory (whose local lock this opener now holds,
//!   so that holder's process is gone: a killed writer is replaced at once). Otherwise the open
//!   fails with [`ErrorKind::DatabaseLocked`] naming the holder.
//! - **Keeping it:** renewed every third of its time to live with `PutMode::Update` on the e-tag of
//!   the last renewal; a changed e-tag means someone took it over, and the lease is lost for good.
//! - **Using it:** every write and every flush first checks it. The holder counts its lease from the
//!   moment it sent the last successful renewal, and stops a quarter of the time to live before
//!   the expiry it wrote, so that a contender, which compares the expiry to its own clock, cannot
//!   take over while the holder still writes as long as the two clocks differ by less than that
//!   quarter (7.5 s at the default 30 s). Writes refused for a lost or lapsed lease are not
//!   acknowledged; writes acknowledged before stay in the local log and are flushed by the next
//!   writer that opens that log.
//! - **Giving it up:** on close, after the last flush, a conditional update that marks it released.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use object_store::{PutMode, UpdateVersion};
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::storage::remote::{Put, Remote};

/// The lease object's name under `<uri>/_agentdb/`.
pub(crate) const LEASE_OBJECT: &str = "LEASE";
const FORMAT: &str = "agentdb-lease";
/// How long a writer's lease lasts without renewal (see [`crate::db::ObjectStoreOptions::lease_ttl`]).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);
/// The shortest lease accepted: renewals every third of it must fit between store round trips.
pub const MIN_LEASE_TTL: Duration = Duration::from_secs(3);

/// Who holds a lease, as written into it.
#[derive(Debug, Clone, PartialEq)]
struct Holder {
    id: String,
    host: String,
    pid: u32,
    local_dir: String,
}


/// A writer's lease on a database on an object store (see the module comment).
pub(crate) struct Lease {
    remote: Arc<Remote>,
    ttl: Duration,
    me: Holder,
    /// The e-tag (and version) of the last write of the lease object: what a renewal must match.
    /// Locked for the length of a renewal, so two renewals never race.
    version: Mutex<UpdateVersion>,
    /// Past this instant the holder may no longer write (see the module comment). Its own lock,
    /// held only to read or set it: a write's check never waits for a renewal in flight.
    valid_until: Mutex<Instant>,
    lost: AtomicBool,
    released: AtomicBool,
}

fn now_ms() -> i64 {
    crate::util::time::now_micros() / 1000
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

impl Lease {
    /// Takes the lease of the database at `remote` for the writer whose local directory is
    /// `local_dir` (its local lock already held), or fails with [`ErrorKind::DatabaseLocked`].
    pub(crate) fn acquire(remote: Arc<Remote>, ttl: Duration, local_dir: &Path) -> Result<Lease> {
        if ttl < MIN_LEASE_TTL {
            return Err(Error::invalid_argument(format!("lease_ttl must be at least {} s", MIN_LEASE_TTL.as_secs())));
        }
        let me = Holder {
            id: format!("{:x}-{:x}", std::process::id(), crate::util::time::now_micros()),
            host: host_name(),
            pid: std::process::id(),
            local_dir: local_dir.display().to_string(),
        };
        let lease = Lease {
            remote,
            ttl,
            me,
            version: Mutex::new(UpdateVersion { e_tag: None, version: None }),
            valid_until: Mutex::new(Instant::now()),
            lost: AtomicBool::new(false),
            released: AtomicBool::new(false),
        };
        // A lease that vanishes between a failed create and the read is created again.
        for _ in 0..3 {
            let sent = Instant::now();
            match lease.remote.put(LEASE_OBJECT, lease.body(false), PutMode::Create)? {
                Put::Done(v) => return Ok(lease.holding(v, sent)),
                Put::Conflict => {}
            }
            let Some(current) = lease.remote.get(LEASE_OBJECT)? else { continue };
            let (holder, expires_ms, released) = parse(&current.bytes).map_err(|why| {
                Error::storage(format!("{}/_agentdb/{LEASE_OBJECT} is not an AgentDB lease ({why}); remove it if nothing else uses it", lease.remote.uri()))
            })?;
            let expired = expires_ms < now_ms();
            let mine = holder.host == lease.me.host && holder.local_dir == lease.me.local_dir;
            if !(released || expired || mine) {
                return Err(Error::new(
                    ErrorKind::DatabaseLocked,
                    format!(
                        "the database {} is open for writing on {} (process {}, log in {}); its lease runs for {:.1} s more \
                         unless renewed: open it read-only, or close the other writer first",
                        lease.remote.uri(),
                        holder.host,
                        holder.pid,
                        holder.local_dir,
                        (expires_ms - now_ms()) as f64 / 1000.0
                    ),
                ));
            }
            let sent = Instant::now();
            match lease.remote.put(LEASE_OBJECT, lease.body(false), PutMode::Update(current.version))? {
                Put::Done(v) => {
                    if !released && !mine {
                        log::warn!("agentdb: took over the expired writer lease of {} from {} (process {})", lease.remote.uri(), holder.host, holder.pid);
                    }
                    return Ok(lease.holding(v, sent));
                }
                Put::Conflict => {
                    return Err(Error::new(
                        ErrorKind::DatabaseLocked,
                        format!("another writer took the lease of {} while this one was taking it over", lease.remote.uri()),
                    ))
                }
            }
        }
        Err(Error::new(ErrorKind::DatabaseLocked, format!("the lease of {} keeps changing; another writer is opening it", lease.remote.uri())))
    }

    fn holding(self, version: UpdateVersion, sent: Instant) -> Lease {
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = version;
        self.extend(sent);
        self
    }

    fn extend(&self, sent: Instant) {
        *self.valid_until.lock().unwrap_or_else(|p| p.into_inner()) = sent + self.usable();
    }

    /// How long after sending a renewal the holder may write: the time to live less a quarter.
    fn usable(&self) -> Duration {
        self.ttl - self.ttl / 4
    }

    /// How often the writer renews.
    pub(crate) fn renew_interval(&self) -> Duration {
        self.ttl / 3
    }

    fn body(&self, released: bool) -> Vec<u8> {
        let expires = if released { 0 } else { now_ms() + self.ttl.as_millis() as i64 };
        json!({
            "format": FORMAT,
            "holder": self.me.id,
            "host": self.me.host,
            "pid": self.me.pid,
            "local_dir": self.me.local_dir,
            "expires_at_ms": expires,
            "ttl_ms": self.ttl.as_millis() as u64,
            "released": released,
        })
        .to_string()
        .into_bytes()
    }

    /// Renews the lease. A lease taken over by another writer is lost for good
    /// ([`ErrorKind::DatabaseLocked`]); a store that does not answer is a storage error, and the
    /// lease lapses (writes are refused) once [`Lease::check`] finds it past its time.
    pub(crate) fn renew(&self) -> Result<()> {
        if self.lost.load(Ordering::Acquire) || self.released.load(Ordering::Acquire) {
            return self.check();
        }
        let mut version = self.version.lock().unwrap_or_else(|p| p.into_inner());
        let sent = Instant::now();
        match self.remote.put(LEASE_OBJECT, self.body(false), PutMode::Update(version.clone()))? {
            Put::Done(v) => {
                *version = v;
                self.extend(sent);
                Ok(())
            }
            Put::Conflict => {
                // A renewal whose answer was lost may have landed: then the lease is still ours.
                if let Some(current) = self.remote.get(LEASE_OBJECT)? {
                    if let Ok((holder, _, false)) = parse(&current.bytes) {
                        if holder.id == self.me.id {
                            *version = current.version;
                            self.extend(sent);
                            return Ok(());
                        }
                    }
                }
                self.lost.store(true, Ordering::Release);
                log::error!("agentdb: the writer lease of {} was taken over by another writer; writes are refused from now on", self.remote.uri());
                self.check()
            }
        }
    }

    /// Whether another writer took the lease over (this one never gets it back).
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// Whether this writer may write now: [`ErrorKind::DatabaseLocked`] once the lease is lost or
    /// has lapsed without renewal.
    pub(crate) fn check(&self) -> Result<()> {
        if self.lost.load(Ordering::Acquire) {
            return Err(Error::new(
                ErrorKind::DatabaseLocked,
                format!("this writer lost the lease of {} to another writer; close it (its unflushed writes stay in its local log)", self.remote.uri()),
            ));
        }
        if self.released.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, "the database is closed"));
        }
        let valid_until = *self.valid_until.lock().unwrap_or_else(|p| p.into_inner());
        if Instant::now() >= valid_until {
            return Err(Error::new(
                ErrorKind::DatabaseLocked,
                format!(
                    "the writer lease of {} could not be renewed for {:.0} s (the object store does not answer); writes are refused until it is",
                    self.remote.uri(),
                    self.usable().as_secs_f64()
                ),
            ));
        }
        Ok(())
    }

    /// Marks the lease released, if this writer still holds it; the next writer takes it at once.
    pub(crate) fn release(&self) {
        if self.lost.load(Ordering::Acquire) || self.released.swap(true, Ordering::AcqRel) {
            return;
        }
        let version = self.version.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Err(e) = self.remote.put(LEASE_OBJECT, self.body(true), PutMode::Update(version)) {
            log::warn!("agentdb: could not release the writer lease of {} (it expires by itself): {}", self.remote.uri(), e.message());
        }
    }
}

/// The holder, expiry (ms since the epoch) and released flag of a lease object.
fn parse(bytes: &[u8]) -> std::result::Result<(Holder, i64, bool), String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err("no agentdb-lease format".into());
    }
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned).ok_or_else(|| format!("no \"{k}\""));
    let holder = Holder {
        id: s("holder")?,
        host: s("host")?,
        pid: v.get("pid").and_then(|p| p.as_u64()).unwrap_or(0) as u32,
        local_dir: s("local_dir")?,
    };
    let expires = v.get("expires_at_ms").and_then(|e| e.as_i64()).ok_or("no \"expires_at_ms\"")?;
    let released = v.get("released").and_then(|r| r.as_bool()).unwrap_or(false);
    Ok((holder, expires, released))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote() -> Arc<Remote> {
        Arc::new(Remote::over("s3://test/db", Arc::new(object_store::memory::InMemory::new())))
    }

    fn stored(remote: &Remote) -> (Holder, i64, bool) {
        parse(&remote.get(LEASE_OBJECT).unwrap().unwrap().bytes).unwrap()
    }

    #[test]
    fn one_holder_at_a_time_until_released() {
        let r = remote();
        let a = Lease::acquire(r.clone(), DEFAULT_LEASE_TTL, Path::new("/a")).unwrap();
        a.check().unwrap();
        let err = Lease::acquire(r.clone(), DEFAULT_LEASE_TTL, Path::new("/b")).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::DatabaseLocked);
        assert!(err.message().contains("/a"), "{}", err.message());
        a.renew().unwrap();
        a.release();
        assert!(stored(&r).2, "released");
        assert_eq!(a.check().unwrap_err().kind(), ErrorKind::Closed);
        let b = Lease::acquire(r.clone(), DEFAULT_LEASE_TTL, Path::new("/b")).unwrap();
        assert_eq!(stored(&r).0.local_dir, "/b");
        b.check().unwrap();
    }

    #[test]
    fn the_same_directory_takes_over_at_once_and_the_old_holder_loses_it() {
        // A holder killed on this machine: its successor holds the directory's local lock.
        let r = remote();
        let old = Lease::acquire(r.clone(), DEFAULT_LEASE_TTL, Path::new("/a")).unwrap();
        let new = Lease::acquire(r.clone(), DEFAULT_LEASE_TTL, Path::new("/a")).unwrap();
        new.check().unwrap();
        // Had the old one lived on, its next renewal finds another e-tag: lost for good.
        let err = old.renew().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DatabaseLocked);
        assert!(old.is_lost() && old.check().is_err());
        new.renew().unwrap();
        // Its release must not release the new holder's lease.
        old.release();
        assert!(!stored(&r).2);
    }

    #[test]
    fn an_expired_lease_is_taken_over_and_a_lapsed_holder_refuses_writes() {
        let r = remote();
        let a = Lease::acquire(r.clone(), MIN_LEASE_TTL, Path::new("/a")).unwrap();
        assert_eq!(Lease::acquire(r.clone(), MIN_LEASE_TTL, Path::new("/b")).err().unwrap().kind(), ErrorKind::DatabaseLocked);
        // Not renewed: the holder stops a quarter of the time before the expiry it wrote...
        std::thread::sleep(MIN_LEASE_TTL - MIN_LEASE_TTL / 4 + Duration::from_millis(50));
        assert_eq!(a.check().unwrap_err().kind(), ErrorKind::DatabaseLocked);
        // ... and once it has expired, another directory takes it.
        std::thread::sleep(MIN_LEASE_TTL / 4 + Duration::from_millis(100));
        let b = Lease::acquire(r.clone(), MIN_LEASE_TTL, Path::new("/b")).unwrap();
        b.check().unwrap();
        assert!(a.renew().is_err() && a.is_lost());
    }

    #[test]
    fn a_foreign_object_and_a_short_ttl_are_refused() {
        let r = remote();
        r.put(LEASE_OBJECT, b"{}".to_vec(), PutMode::Overwrite).unwrap();
        assert_eq!(Lease::acquire(r.clone(), DEFAULT_LEASE_TTL, Path::new("/a")).err().unwrap().kind(), ErrorKind::Storage);
        assert_eq!(Lease::acquire(r, Duration::from_secs(1), Path::new("/a")).err().unwrap().kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn lease_bodies_parse_back() {
        let h = Holder { id: "a".into(), host: "h".into(), pid: 7, local_dir: "/x".into() };
        let body = json!({"format": FORMAT, "holder": h.id, "host": h.host, "pid": 7, "local_dir": h.local_dir, "expires_at_ms": 5, "released": true});
        assert_eq!(parse(body.to_string().as_bytes()).unwrap(), (h, 5, true));
        assert!(parse(b"{}").is_err());
        assert!(parse(b"not json").is_err());
    }
}
