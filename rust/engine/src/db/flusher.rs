//! The database's background threads: the flusher, which turns buffered writes into Lance commits
//! and runs maintenance, and under `sync="batch"` the log syncer.

use std::sync::Weak;
use std::time::Instant;

use super::{DbShared, FLUSH_INTERVAL, FLUSH_LOG_BYTES};
use crate::storage::wal;

/// The background flusher: flushes every `FLUSH_INTERVAL`, or when asked, until the database
/// closes. Holds only a weak reference, so it never keeps a database alive.
pub(super) fn flusher(db: Weak<DbShared>) {
    let mut last = Instant::now();
    loop {
        let Some(shared) = db.upgrade() else { return };
        {
            let store = &shared.store;
            let mut wake = store.wake_lock();
            let deadline = last + FLUSH_INTERVAL;
            while !wake.stop && !wake.flush && Instant::now() < deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                wake = store.wait_wake(wake, left);
            }
            if wake.stop {
                return;
            }
            wake.flush = false;
        }
        last = Instant::now();
        let big = shared.store.wal().is_some_and(|w| w.segment_bytes() > FLUSH_LOG_BYTES);
        // A failed flush keeps the records in the log (durable, replayed on the next open) and
        // is retried next round.
        let _ = shared.flush_all();
        if !big {
            shared.maintain_all();
        }
        shared.store.metrics().flusher_heartbeat.store(crate::util::time::now_micros().max(0) as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `sync="batch"`: syncs the log every `BATCH_SYNC_INTERVAL`.
pub(super) fn batch_syncer(db: Weak<DbShared>) {
    loop {
        let Some(shared) = db.upgrade() else { return };
        {
            let wake = shared.store.wake_lock();
            if wake.stop {
                return;
            }
            let wake = shared.store.wait_wake(wake, wal::BATCH_SYNC_INTERVAL);
            if wake.stop {
                return;
            }
        }
        if let Some(w) = shared.store.wal() {
            let _ = shared.store.metrics().time(crate::util::metrics::Op::WalSync, false, 0, || w.sync());
        }
    }
}


/// A database on an object store: renews the writer's lease every third of its time to live
/// until the database closes (a failed renewal is retried at the next turn; the lease lapses,
/// and writes are refused, if none succeeds in time). Holds the store context, not the database,
/// so it never keeps the database open.
pub(super) fn lease_renewer(store: std::sync::Arc<crate::storage::context::StoreContext>, lease: std::sync::Arc<crate::storage::lease::Lease>) {
    let mut next = Instant::now() + lease.renew_interval();
    loop {
        {
            let mut wake = store.wake_lock();
            while !wake.stop && Instant::now() < next {
                let left = next.saturating_duration_since(Instant::now());
                wake = store.wait_wake(wake, left);
            }
            if wake.stop {
                return;
            }
        }
        let start = Instant::now();
        let renewed = lease.renew();
        if let Err(e) = &renewed {
            log::warn!("agentdb: cannot renew the writer lease: {}", e.message());
        }
        if lease.is_lost() {
            return; // for good: another writer holds it
        }
        // After a failure, try again sooner: the lease has about two more turns before it lapses.
        next = start + if renewed.is_ok() { lease.renew_interval() } else { lease.renew_interval() / 4 };
    }
}
