//! The write-ahead log: how a small write becomes durable without a Lance commit of its own.
//!
//! A Lance commit per single-row write writes a data file and a manifest each time, which is slow
//! and leaves the table in thousands of tiny fragments. So small writes are appended here instead,
//! made durable per the [`SyncMode`], and kept in memory by their owner (a [`LogConsumer`]: a
//! collection, the agent state) where reads see them at once. A background flusher turns what
//! the consumers buffered into one Lance commit each, then the log drops what every consumer has
//! in Lance.
//!
//! # Files
//! `<db>/_agentdb/wal/<first-lsn, 20 digits>.wal` segments, each starting with [`SEGMENT_MAGIC`],
//! then records:
//! ```text
//! u32 LE  length of the body
//! u32 LE  CRC-32C of the body
//! body:   u64 LE lsn | u16 LE stream length | stream (UTF-8) | payload (opaque to the log)
//! ```
//! plus `flushed.json`: for each stream, the highest LSN its consumer has in Lance, so replay
//! skips what is already there.
//!
//! The last segment ends in zeros written ahead of its records (one write in advance, not one
//! per group): overwriting bytes a file already has keeps its size, so an `fdatasync` writes the
//! data and flushes, with no metadata write. Reading stops at the zeros like at a torn tail.
//! Sealed segments are cut to their records.
//!
//! # Recovery
//! On open every segment is read in order. A record damaged at the very end of the last segment
//! (a crash in the middle of an append) is cut off: nothing valid follows it, so it was never
//! acknowledged. Damage anywhere else (a bad record with valid records after it, or in a sealed
//! segment) is an [`ErrorKind::Storage`](crate::ErrorKind::Storage) error naming the file and
//! offset: acknowledged writes would be lost, so the database refuses to open rather than
//! silently dropping them.
//!
//! A record whose checksum matches was written whole, so one whose framing is still impossible
//! (a stream name longer than the record or not UTF-8, an LSN out of order or beyond [`MAX_LSN`])
//! is damage wherever it is, never a torn tail to cut off. Every number read from the log is
//! checked before it sizes anything, and a segment's bytes are allocated fallibly. A record
//! that frames well but whose payload its consumer cannot apply (see
//! [`unusable_record`]) fails that consumer's stream only: the database opens with every other
//! stream recovered, and that collection's open fails with the error naming the file and offset
//! (the agent state's, or a stream no consumer knows, fail the open), the records staying in the
//! log.
//!
//! # Group commit
//! [`Wal::submit`] encodes a record into an in-memory queue and assigns its LSN (cheap, done under
//! the caller's own lock so LSN order matches the caller's order); [`Wal::wait`] then makes it
//! durable. The first waiter becomes the leader: it writes the whole queue with one `write` and,
//! in [`SyncMode::Always`], one `fdatasync`; the others wait for it. So N concurrent writers pay
//! for about one sync, not N. Waiters yield-spin for about one group's I/O time before they
//! sleep, so they are back as soon as it ends (see `wait_for`). A failed write or sync poisons
//! the log: every later call fails,
//! since what reached the disk is no longer known (the database must be reopened, which replays
//! what did).

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// The first bytes of every segment.
pub(crate) const SEGMENT_MAGIC: &[u8; 8] = b"AGDBWAL1";
/// A segment is sealed and a new one started once it is this large.
const SEGMENT_BYTES: u64 = 64 << 20;
/// The largest record body accepted (a batch bigger than this goes straight to Lance).
pub const MAX_RECORD_BYTES: usize = 64 << 20;
/// LSNs above this are never handed out (at a million writes a second it takes 146,000 years to
/// get there): one in a record, a segment name or `flushed.json` is damage, and the log's LSN
/// arithmetic never overflows.
pub(crate) const MAX_LSN: u64 = 1 << 62;
/// `sync="batch"`: how often the log is synced. A write returns once it is in the OS; it is on disk
/// at most this long after.
pub const BATCH_SYNC_INTERVAL: Duration = Duration::from_millis(20);
const HEADER: usize = 8;
/// The longest a writer waiting for a group commit spins before it sleeps.
const MAX_SPIN: Duration = Duration::from_micros(500);
/// Zeros written ahead of the log's end: at least this many bytes, at most
/// [`PREALLOCATE_MAX`] (the file's size so far, in between).
const PREALLOCATE_MIN: u64 = 256 << 10;
const PREALLOCATE_MAX: u64 = 4 << 20;
const FLUSHED_FILE: &str = "flushed.json";

/// When a write counts as durable (the `sync` option of `open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SyncMode {
    /// A write returns after its log record is on disk (`fdatasync`; concurrent writers share one).
    /// Survives a process crash and a power loss.
    #[default]
    Always,
    /// A write returns once its record is written to the OS; the log is synced every
    /// [`BATCH_SYNC_INTERVAL`] (20 ms). Survives a process crash; a power loss can lose the last
    /// 20 ms of writes (never a torn or partial one).
    Batch,
    /// A write returns once its record is written to the OS, which syncs when it likes (flush and
    /// close still sync). Survives a process crash; a power loss can lose recent writes.
    Off,
}

impl SyncMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Always => "always",
            SyncMode::Batch => "batch",
            SyncMode::Off => "off",
        }
    }
}

impl std::str::FromStr for SyncMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Ok(SyncMode::Always),
            "batch" => Ok(SyncMode::Batch),
            "off" => Ok(SyncMode::Off),
            _ => Err(Error::invalid_argument(format!("unknown sync mode {s:?}: expected 'always', 'batch' or 'off'"))),
        }
    }
}

/// A module whose writes go through the log. Registered with the database
/// ([`Database::register_consumer`](crate::Database)), which replays its records and flushes it.
///
/// Rules for implementors:
/// - Call [`Wal::submit`] and put the write into your buffer under one lock that [`flush`]
///   also takes when it takes the buffer; call [`Wal::wait`] after releasing it. Then a flush
///   covers every record submitted before it started, which is what lets the log drop them.
/// - [`replay`] may see a record whose effect already reached Lance (a crash between your Lance
///   commit and the log's note of it): applying it again must not duplicate anything (write rows
///   by primary key, not blindly appended).
///
/// [`flush`]: LogConsumer::flush
/// [`replay`]: LogConsumer::replay
pub(crate) trait LogConsumer: Send + Sync {
    /// The stream name, unique per database, e.g. `"state"`, `"collection:<name>"`.
    fn stream(&self) -> String;
    /// Applies one logged record to the in-memory buffer. Called on registration, in LSN order,
    /// for every record of the stream the log holds past the last flush.
    fn replay(&self, lsn: u64, payload: &[u8]) -> Result<()>;
    /// Writes the buffered rows to Lance (one commit) and returns the highest LSN now in Lance
    /// (`None`: nothing was buffered).
    fn flush(&self) -> Result<Option<u64>>;
}

/// One record read back on open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub lsn: u64,
    pub stream: String,
    pub payload: Vec<u8>,
    /// The segment file and the byte offset the record starts at (for error messages).
    pub segment: Arc<Path>,
    pub offset: u64,
}

/// The error for a record whose framing and checksum are sound but whose payload its consumer
/// cannot apply (`why`): a [`ErrorKind::Storage`] error naming the file and offset. The
/// database keeps the record (and the rest of its stream) in the log, and opens every other
/// stream; see [`is_unusable_record`].
pub(crate) fn unusable_record(r: &Record, why: &Error) -> Error {
    Error::storage(format!(
        "{UNUSABLE_RECORD} {} at byte {} (LSN {}, stream '{}') cannot be applied: {}; the stream's records \
         stay in the log and it is not opened until the record is repaired (or the collection dropped)",
        r.segment.display(),
        r.offset,
        r.lsn,
        r.stream,
        why.message()
    ))
}

const UNUSABLE_RECORD: &str = "the write-ahead log record in";

/// The error for a record of a stream no part of this version reads (written by a newer
/// version, or damaged): the database does not open, rather than drop it or keep the log from
/// ever being trimmed.
pub(crate) fn unknown_stream(r: &Record) -> Error {
    Error::storage(format!(
        "{UNUSABLE_RECORD} {} at byte {} (LSN {}) belongs to the stream '{}', which this version of AgentDB \
         does not know (a newer version's log, or damage); the database does not open",
        r.segment.display(),
        r.offset,
        r.lsn,
        r.stream
    ))
}

/// Whether `e` is an [`unusable_record`] error.
pub(crate) fn is_unusable_record(e: &Error) -> bool {
    e.kind() == ErrorKind::Storage && e.message().starts_with(UNUSABLE_RECORD)
}

/// Per stream: the last LSN appended and the last LSN known to be in Lance.
#[derive(Debug, Clone, Copy, Default)]
struct Marks {
    last: u64,
    flushed: u64,
}

struct Segment {
    start: u64,
    path: PathBuf,
}

struct State {
    /// The segment being written (the last of `segments`).
    file: Arc<File>,
    /// Where the next record goes in `file`, and the file's length: the bytes past
    /// `segment_len` are zeros written ahead (see [`PREALLOCATE_MAX`]).
    segment_len: u64,
    allocated: u64,
    segments: Vec<Segment>,
    /// Encoded records not yet written to the file, and the LSN of the first of them.
    queue: Vec<u8>,
    queue_first: u64,
    next_lsn: u64,
    /// Highest LSN written to the OS, and highest synced to disk.
    written: u64,
    synced: u64,
    /// A leader is writing/syncing outside the lock.
    busy: bool,
    /// Set by a failed write or sync; every later call fails with it.
    failed: Option<Error>,
    streams: HashMap<String, Marks>,
}

/// The log of one writable database. Shared (`Arc`) by everything that writes.
pub struct Wal {
    dir: PathBuf,
    mode: SyncMode,
    /// A segment is sealed once it holds this many bytes ([`SEGMENT_BYTES`]; smaller in tests).
    segment_limit: u64,
    state: Mutex<State>,
    /// Bumped (under `state`) each time a leader finishes: what spinning waiters watch.
    epoch: AtomicU64,
    /// A moving average of a group commit's I/O time, in µs: how long waiters spin.
    io_micros: AtomicU64,
    done: Condvar,
    /// Serialises writers of `flushed.json`.
    marks_file: Mutex<()>,
}

/// The end of the log as a group commit found it.
struct Tail {
    file: Arc<File>,
    /// Where the records go.
    len: u64,
    /// The file's length.
    allocated: u64,
    /// Everything written to `file` is synced.
    synced: bool,
}

fn segment_name(start: u64) -> String {
    format!("{start:020}.wal")
}

fn corrupt(path: &Path, offset: u64, why: &str) -> Error {
    Error::storage(format!(
        "the write-ahead log {} is damaged at byte {offset} ({why}); acknowledged writes may follow it, \
         so the database does not open (restore the file, or move it away to open without its records)",
        path.display()
    ))
}

/// Makes a directory entry (a new or renamed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Writes `bytes` to `path` atomically and durably (temporary file, sync, rename, sync the
/// directory).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

fn encode(out: &mut Vec<u8>, lsn: u64, stream: &str, payload: &[u8]) {
    let body_len = 8 + 2 + stream.len() + payload.len();
    let start = out.len();
    out.reserve(HEADER + body_len);
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&(stream.len() as u16).to_le_bytes());
    out.extend_from_slice(stream.as_bytes());
    out.extend_from_slice(payload);
    let crc = crc32c(&out[start + HEADER..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// A record that parses at `pos` of `data`: its body range, or why not.
fn parse_at(data: &[u8], pos: usize) -> std::result::Result<(u64, std::ops::Range<usize>), &'static str> {
    if data.len() - pos < HEADER {
        return Err("a record header is cut short");
    }
    let len = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap_or_default()) as usize;
    let crc = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap_or_default());
    if !(10..=MAX_RECORD_BYTES + 1024).contains(&len) {
        return Err("a record length is impossible");
    }
    if data.len() - pos - HEADER < len {
        return Err("a record is cut short");
    }
    let body = pos + HEADER..pos + HEADER + len;
    if crc32c(&data[body.clone()]) != crc {
        return Err("a record checksum does not match");
    }
    let lsn = u64::from_le_bytes(data[body.start..body.start + 8].try_into().unwrap_or_default());
    Ok((lsn, body))
}

/// One record of a segment, as [`scan_segment`] finds it.
#[derive(Debug)]
pub(crate) struct Found<'a> {
    /// Where the record starts in the segment.
    pub offset: usize,
    pub lsn: u64,
    pub stream: &'a str,
    pub payload: &'a [u8],
}

/// Reads the records of one segment's bytes (`data`, magic included). `prev` is the LSN of the
/// last record before this segment: LSNs must go up. Returns the records, and for the last
/// segment (`is_last`) where a torn tail or the zeros written ahead begin (`None`: the records
/// run to the end). `Err((offset, why))`: the segment is damaged where acknowledged records may
/// be, or holds a record whose checksum is valid but whose content is impossible (such a record
/// was written whole, so it is never mistaken for a torn tail and cut off).
pub(crate) fn scan_segment(
    data: &[u8],
    is_last: bool,
    mut prev: u64,
) -> std::result::Result<(Vec<Found<'_>>, Option<usize>), (usize, &'static str)> {
    if data.len() < SEGMENT_MAGIC.len() || &data[..SEGMENT_MAGIC.len()] != SEGMENT_MAGIC {
        return Err((0, "it does not start like a log segment"));
    }
    let mut found = Vec::new();
    let mut pos = SEGMENT_MAGIC.len();
    while pos < data.len() {
        match parse_at(data, pos) {
            Ok((lsn, body)) => {
                if lsn <= prev {
                    return Err((pos, "LSNs go backwards"));
                }
                if lsn > MAX_LSN {
                    return Err((pos, "a record's LSN is impossibly large"));
                }
                let slen = u16::from_le_bytes([data[body.start + 8], data[body.start + 9]]) as usize;
                let Some(name) = data.get(body.start + 10..body.start + 10 + slen).filter(|_| 10 + slen <= body.len()) else {
                    return Err((pos, "a record's stream name is longer than the record"));
                };
                let stream = std::str::from_utf8(name).map_err(|_| (pos, "a stream name is not UTF-8"))?;
                if stream.is_empty() {
                    return Err((pos, "a record has an empty stream name"));
                }
                found.push(Found { offset: pos, lsn, stream, payload: &data[body.start + 10 + slen..body.end] });
                prev = lsn;
                pos = body.end;
            }
            Err(why) => {
                if !is_last || valid_record_after(data, pos, prev) {
                    return Err((pos, why));
                }
                // The zeros written ahead of the log's end, or a torn tail (the append that wrote
                // it never returned).
                return Ok((found, Some(pos)));
            }
        }
    }
    Ok((found, None))
}

/// Whether any valid record (with an LSN after `after`) starts after `pos`: tells a torn tail
/// (nothing follows) from damage in the middle of the log (acknowledged records follow).
fn valid_record_after(data: &[u8], pos: usize, after: u64) -> bool {
    (pos + 1..data.len().saturating_sub(HEADER - 1)).any(|p| matches!(parse_at(data, p), Ok((lsn, _)) if lsn > after))
}

impl Wal {
    /// Opens (creating if needed) the log in `dir`, and returns it with every record it holds that
    /// is not yet in Lance per `flushed.json`, in LSN order. A torn record at the tail is cut off.
    pub(crate) fn open(dir: &Path, mode: SyncMode) -> Result<(Wal, Vec<Record>)> {
        fs::create_dir_all(dir)?;
        let flushed = read_marks(&dir.join(FLUSHED_FILE))?;
        let mut starts: Vec<u64> = Vec::new();
        for entry in fs::read_dir(dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(start) = name.strip_suffix(".wal").and_then(|s| s.parse::<u64>().ok()) {
                starts.push(start);
            } else if name.ends_with(".tmp") {
                // A segment or marks file whose creation a crash interrupted: never in use.
                let _ = fs::remove_file(dir.join(name));
            }
        }
        starts.sort_unstable();
        let mut records = Vec::new();
        let mut streams: HashMap<String, Marks> =
            flushed.iter().map(|(s, &f)| (s.clone(), Marks { last: f, flushed: f })).collect();
        // The highest LSN ever handed out: the next one follows it (also when every segment was
        // trimmed away, thanks to the marks and the empty segment named for the next LSN).
        let mut last_lsn = flushed.values().copied().max().unwrap_or(0);
        let mut prev_record = 0u64;
        let mut segments = Vec::new();
        let mut tail_len = SEGMENT_MAGIC.len() as u64;
        for (i, &start) in starts.iter().enumerate() {
            let path = dir.join(segment_name(start));
            let is_last = i + 1 == starts.len();
            if start > MAX_LSN + 1 {
                return Err(corrupt(&path, 0, "its name is an impossibly large LSN"));
            }
            let data = read_segment(&path)?;
            last_lsn = last_lsn.max(start.saturating_sub(1));
            let shared_path: Arc<Path> = Arc::from(path.as_path());
            let (found, cut) = scan_segment(&data, is_last, prev_record).map_err(|(at, why)| corrupt(&path, at as u64, why))?;
            for f in found {
                let marks = streams.entry(f.stream.to_owned()).or_default();
                marks.last = marks.last.max(f.lsn);
                if f.lsn > marks.flushed {
                    records.push(Record {
                        lsn: f.lsn,
                        stream: f.stream.to_owned(),
                        payload: f.payload.to_vec(),
                        segment: shared_path.clone(),
                        offset: f.offset as u64,
                    });
                }
                prev_record = f.lsn;
                last_lsn = last_lsn.max(f.lsn);
            }
            let mut data_len = data.len();
            if let Some(pos) = cut {
                // Cut the torn tail off so new records follow the last good one.
                let f = OpenOptions::new().write(true).open(&path)?;
                f.set_len(pos as u64)?;
                f.sync_all()?;
                data_len = pos;
            }
            if is_last {
                tail_len = data_len as u64;
            }
            segments.push(Segment { start, path });
        }
        let next_lsn = last_lsn + 1;
        let file = match segments.last() {
            Some(seg) => OpenOptions::new().write(true).open(&seg.path)?,
            None => {
                let (seg, file) = create_segment(dir, next_lsn)?;
                segments.push(seg);
                file
            }
        };
        let state = State {
            file: Arc::new(file),
            segment_len: tail_len,
            allocated: tail_len,
            segments,
            queue: Vec::new(),
            queue_first: next_lsn,
            next_lsn,
            written: last_lsn,
            synced: last_lsn,
            busy: false,
            failed: None,
            streams,
        };
        let wal = Wal {
            dir: dir.to_path_buf(),
            mode,
            segment_limit: SEGMENT_BYTES,
            state: Mutex::new(state),
            epoch: AtomicU64::new(0),
            io_micros: AtomicU64::new(0),
            done: Condvar::new(),
            marks_file: Mutex::new(()),
        };
        Ok((wal, records))
    }

    pub fn mode(&self) -> SyncMode {
        self.mode
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues one record of `stream` and returns its LSN. Not durable yet: call [`Wal::wait`]
    /// (after releasing your own locks, so other writers can share the sync).
    pub fn submit(&self, stream: &str, payload: &[u8]) -> Result<u64> {
        if stream.len() > u16::MAX as usize {
            return Err(Error::invalid_argument("a log stream name is longer than 65535 bytes"));
        }
        if payload.len() + stream.len() + 10 > MAX_RECORD_BYTES {
            return Err(Error::invalid_argument(format!(
                "a log record of {} bytes is larger than the {MAX_RECORD_BYTES} allowed",
                payload.len()
            )));
        }
        let mut st = self.lock();
        if let Some(e) = &st.failed {
            return Err(e.clone());
        }
        let lsn = st.next_lsn;
        st.next_lsn += 1;
        if st.queue.is_empty() {
            st.queue_first = lsn;
        }
        encode(&mut st.queue, lsn, stream, payload);
        if let Some(m) = st.streams.get_mut(stream) {
            m.last = lsn;
        } else {
            st.streams.insert(stream.to_owned(), Marks { last: lsn, flushed: 0 });
        }
        Ok(lsn)
    }

    /// Returns once record `lsn` is durable per the sync mode (on disk for `Always`, in the OS
    /// otherwise). Concurrent callers share one write and one sync.
    pub fn wait(&self, lsn: u64) -> Result<()> {
        self.wait_for(lsn, self.mode == SyncMode::Always)
    }

    /// Appends one record and returns its LSN once durable per the sync mode: `submit` + `wait`.
    #[allow(dead_code)] // the simple form of the contract; engine modules use submit + wait
    pub fn append(&self, stream: &str, payload: &[u8]) -> Result<u64> {
        let lsn = self.submit(stream, payload)?;
        self.wait(lsn)?;
        Ok(lsn)
    }

    /// Writes and syncs everything submitted so far, whatever the sync mode.
    pub fn sync(&self) -> Result<()> {
        let last = self.lock().next_lsn - 1;
        self.wait_for(last, true)
    }

    /// How long a waiter spins before it sleeps: twice the usual group-commit I/O time, none
    /// when that is above [`MAX_SPIN`] (a slow disk, where a wake-up costs little in
    /// comparison and spinning would only burn CPU).
    fn spin_limit(&self) -> Duration {
        let io = self.io_micros.load(Ordering::Relaxed);
        if io == 0 || io > MAX_SPIN.as_micros() as u64 {
            return Duration::ZERO;
        }
        Duration::from_micros(2 * io).min(MAX_SPIN)
    }

    /// Folds one group commit's I/O time into the moving average.
    fn note_io_time(&self, took: Duration) {
        let took = (took.as_micros() as u64).max(1);
        let avg = self.io_micros.load(Ordering::Relaxed);
        self.io_micros.store(if avg == 0 { took } else { (7 * avg + took) / 8 }, Ordering::Relaxed);
    }

    fn wait_for(&self, lsn: u64, synced: bool) -> Result<()> {
        let mut st = self.lock();
        loop {
            if let Some(e) = &st.failed {
                return Err(e.clone());
            }
            if (if synced { st.synced } else { st.written }) >= lsn {
                return Ok(());
            }
            if st.busy {
                // Wait for the leader. First yield-spin for about as long as its I/O takes: a
                // thread asleep in a futex on an idle (virtual) CPU takes tens of µs to wake, and
                // with a GIL in between, each writer's wake-up delays the next writer's record,
                // so the groups stay small (measured: 8 Python writer threads, 20k → 23k
                // durable writes/s). Yielding hands the CPU to any thread that has work.
                let seen = self.epoch.load(Ordering::Acquire);
                let spin = self.spin_limit();
                if !spin.is_zero() {
                    drop(st);
                    let began = Instant::now();
                    while self.epoch.load(Ordering::Acquire) == seen && began.elapsed() < spin {
                        std::thread::yield_now();
                    }
                    st = self.lock();
                    if self.epoch.load(Ordering::Acquire) != seen {
                        continue;
                    }
                }
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            // Become the leader: write (and sync) all that is queued, for every waiter.
            st.busy = true;
            let queue = std::mem::take(&mut st.queue);
            let upto = st.next_lsn - 1;
            let rotate_to = (!queue.is_empty() && st.segment_len >= self.segment_limit).then_some(st.queue_first);
            let at = Tail { file: st.file.clone(), len: st.segment_len, allocated: st.allocated, synced: st.synced >= st.written };
            drop(st);
            let began = Instant::now();
            let result = self.write_out(&queue, at, rotate_to, synced);
            self.note_io_time(began.elapsed());
            st = self.lock();
            st.busy = false;
            match result {
                Ok((new, allocated)) => {
                    if let Some((seg, f)) = new {
                        st.file = Arc::new(f);
                        st.segments.push(seg);
                        st.segment_len = SEGMENT_MAGIC.len() as u64;
                    }
                    st.segment_len += queue.len() as u64;
                    st.allocated = allocated;
                    st.written = st.written.max(upto);
                    if synced {
                        st.synced = st.synced.max(upto);
                    }
                }
                Err(e) => {
                    st.failed = Some(Error::storage(format!("the write-ahead log failed, reopen the database: {e}")));
                }
            }
            self.epoch.fetch_add(1, Ordering::Release);
            self.done.notify_all();
        }
    }

    /// The I/O of one group commit, outside the lock: seal the segment if it is full, write the
    /// queued records at the end of the log, sync. Returns the new segment if one was started,
    /// and the length of the file written.
    fn write_out(
        &self,
        queue: &[u8],
        tail: Tail,
        rotate_to: Option<u64>,
        sync: bool,
    ) -> Result<(Option<(Segment, File)>, u64)> {
        let Tail { mut file, len: mut offset, mut allocated, synced } = tail;
        let mut new = None;
        if let Some(start) = rotate_to {
            // Seal the full segment synced and cut to its records, so only the last segment can
            // ever have a torn or zero tail.
            if allocated > offset {
                file.set_len(offset)?;
                file.sync_all()?;
            } else if !synced {
                file.sync_data()?;
            }
            let (seg, f) = create_segment(&self.dir, start)?;
            file = Arc::new(f.try_clone()?);
            new = Some((seg, f));
            offset = SEGMENT_MAGIC.len() as u64;
            allocated = offset;
        }
        if !queue.is_empty() {
            let end = offset + queue.len() as u64;
            file.write_all_at(queue, offset)?;
            if end > allocated {
                // Write zeros ahead, so the next groups overwrite bytes the file already has: an
                // `fdatasync` that does not change the file's size need not write its metadata,
                // which is one disk write fewer per sync (measured: 13k → 22k durable writes/s
                // from 8 threads). The chunk doubles with the segment, so a small log stays small.
                let ahead = allocated.clamp(PREALLOCATE_MIN, PREALLOCATE_MAX);
                file.write_all_at(&vec![0u8; ahead as usize], end)?;
                allocated = end + ahead;
            }
        }
        if sync {
            file.sync_data()?;
        }
        Ok((new, allocated))
    }

    /// The last LSN appended to `stream` (0: none).
    pub fn last_lsn(&self, stream: &str) -> u64 {
        self.lock().streams.get(stream).map_or(0, |m| m.last)
    }

    /// The last LSN of `stream` known to be in Lance (0: none).
    pub fn flushed_lsn(&self, stream: &str) -> u64 {
        self.lock().streams.get(stream).map_or(0, |m| m.flushed)
    }

    /// Notes (durably) that every record of `stream` up to `lsn` is in Lance, so replay skips them
    /// and [`Wal::trim`] may drop them.
    pub fn set_flushed(&self, stream: &str, lsn: u64) -> Result<()> {
        self.set_flushed_many(&[(stream.to_owned(), lsn)])
    }

    /// [`Wal::set_flushed`] for several streams at once: one durable write of the marks file
    /// (a flush round of many collections would otherwise sync it once per collection).
    pub fn set_flushed_many(&self, marks: &[(String, u64)]) -> Result<()> {
        let _file = self.marks_file.lock().unwrap_or_else(|p| p.into_inner());
        let marks: BTreeMap<String, u64> = {
            let mut st = self.lock();
            let mut changed = false;
            for (stream, lsn) in marks {
                let m = st.streams.entry(stream.clone()).or_default();
                if m.flushed < *lsn {
                    m.flushed = *lsn;
                    m.last = m.last.max(*lsn);
                    changed = true;
                }
            }
            if !changed {
                return Ok(());
            }
            st.streams.iter().filter(|(_, m)| m.flushed > 0).map(|(s, m)| (s.clone(), m.flushed)).collect()
        };
        let json = serde_json::to_vec(&marks).map_err(|e| Error::internal(format!("cannot encode log marks: {e}")))?;
        write_atomic(&self.dir.join(FLUSHED_FILE), &json)
    }

    /// Deletes the segments whose records are all in Lance. When every record is, the current
    /// segment is replaced by an empty one too.
    pub fn trim(&self) -> Result<()> {
        let mut st = self.lock();
        if st.failed.is_some() {
            return Ok(());
        }
        let safe = st
            .streams
            .values()
            .filter(|m| m.last > m.flushed)
            .map(|m| m.flushed)
            .min()
            .unwrap_or(st.next_lsn - 1);
        let mut doomed: Vec<PathBuf> = Vec::new();
        let n = st.segments.len();
        // Sealed segment i holds LSNs start_i ..= start_{i+1} - 1.
        let mut keep_from = 0;
        for i in 0..n.saturating_sub(1) {
            if st.segments[i + 1].start - 1 <= safe {
                keep_from = i + 1;
            }
        }
        let everything_flushed = safe >= st.next_lsn - 1 && st.queue.is_empty() && !st.busy;
        if everything_flushed && st.segment_len > SEGMENT_MAGIC.len() as u64 {
            // Start an empty segment named for the next LSN; it also keeps that LSN for the next
            // open once the older segments are gone.
            let (seg, f) = create_segment(&self.dir, st.next_lsn)?;
            st.file = Arc::new(f);
            st.segments.push(seg);
            st.segment_len = SEGMENT_MAGIC.len() as u64;
            st.allocated = st.segment_len;
            keep_from = st.segments.len() - 1;
        }
        for seg in st.segments.drain(..keep_from) {
            doomed.push(seg.path);
        }
        drop(st);
        for p in doomed {
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Bytes in the log not yet trimmed (for the flusher's size trigger).
    pub fn segment_bytes(&self) -> u64 {
        let st = self.lock();
        (st.segments.len() as u64 - 1) * self.segment_limit + st.segment_len
    }
}

fn create_segment(dir: &Path, start: u64) -> Result<(Segment, File)> {
    let path = dir.join(segment_name(start));
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(SEGMENT_MAGIC)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    let file = OpenOptions::new().write(true).open(&path)?;
    Ok((Segment { start, path }, file))
}

/// A segment's bytes, read into memory allocated fallibly (the file's size is untrusted).
fn read_segment(path: &Path) -> Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut data = Vec::new();
    usize::try_from(len)
        .ok()
        .and_then(|n| data.try_reserve_exact(n).ok())
        .ok_or_else(|| Error::storage(format!("the write-ahead log segment {} ({len} bytes) does not fit in memory", path.display())))?;
    file.read_to_end(&mut data)?;
    Ok(data)
}

fn read_marks(path: &Path) -> Result<HashMap<String, u64>> {
    let text = match fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e.into()),
    };
    let marks: HashMap<String, u64> = serde_json::from_slice(&text)
        .map_err(|e| Error::new(ErrorKind::Storage, format!("{} is damaged: {e}", path.display())))?;
    if let Some((stream, lsn)) = marks.iter().find(|(_, &lsn)| lsn > MAX_LSN) {
        return Err(Error::storage(format!("{} is damaged: stream '{stream}' has the impossible LSN {lsn}", path.display())));
    }
    Ok(marks)
}

/// CRC-32C (Castagnoli), table-driven. Written here rather than pulled in as a dependency: it is
/// a few lines, and records are small.
pub(crate) fn crc32c(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0x82F6_3B78 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    fn records(dir: &Path) -> Vec<(u64, String, Vec<u8>)> {
        let (_, recs) = Wal::open(dir, SyncMode::Always).unwrap();
        recs.into_iter().map(|r| (r.lsn, r.stream, r.payload)).collect()
    }

    #[test]
    fn appends_replay_in_order() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (wal, recs) = Wal::open(dir.path(), SyncMode::Always).unwrap();
            assert!(recs.is_empty());
            assert_eq!(wal.append("a", b"one").unwrap(), 1);
            assert_eq!(wal.append("b", b"two").unwrap(), 2);
            assert_eq!(wal.append("a", b"").unwrap(), 3);
        }
        let got = records(dir.path());
        assert_eq!(got, vec![(1, "a".into(), b"one".to_vec()), (2, "b".into(), b"two".to_vec()), (3, "a".into(), vec![])]);
        // LSNs continue after reopening.
        let (wal, _) = Wal::open(dir.path(), SyncMode::Off).unwrap();
        assert_eq!(wal.append("a", b"four").unwrap(), 4);
    }

    #[test]
    fn concurrent_appends_get_distinct_lsns() {
        let dir = tempfile::tempdir().unwrap();
        let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        let wal = Arc::new(wal);
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let wal = wal.clone();
                std::thread::spawn(move || (0..200).map(|i| wal.append("s", format!("{t}:{i}").as_bytes()).unwrap()).collect::<Vec<_>>())
            })
            .collect();
        let mut lsns: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        lsns.sort_unstable();
        assert_eq!(lsns, (1..=1600).collect::<Vec<_>>());
        drop(wal);
        assert_eq!(records(dir.path()).len(), 1600);
    }

    fn only_segment(dir: &Path) -> PathBuf {
        let mut segs: Vec<PathBuf> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "wal")).collect();
        assert_eq!(segs.len(), 1);
        segs.pop().unwrap()
    }

    #[test]
    fn torn_tail_is_dropped_and_writing_continues() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
            for i in 0..10u8 {
                wal.append("s", &[i; 100]).unwrap();
            }
        }
        let seg = only_segment(dir.path());
        let full = fs::read(&seg).unwrap();
        let end = SEGMENT_MAGIC.len() + 10 * (HEADER + 8 + 2 + 1 + 100);
        assert!(full.len() > end && full[end..].iter().all(|&b| b == 0), "zeros are written ahead of the records");
        let full = full[..end].to_vec();
        // Cut the last record at every possible point, with or without the zeros after it: the
        // first nine always survive.
        for cut in [1usize, 7, 8, 9, 50, 118] {
            for zeros in [0usize, 5, 4096] {
                let mut torn = full[..full.len() - cut].to_vec();
                torn.resize(torn.len() + zeros, 0);
                fs::write(&seg, &torn).unwrap();
                let got = records(dir.path());
                assert_eq!(got.len(), 9, "cut {cut}, zeros {zeros}");
                assert_eq!(got[8].2, vec![8u8; 100]);
            }
        }
        // Garbage instead of the last record's end: also a torn tail.
        let mut bad = full.clone();
        let n = bad.len();
        bad[n - 3] ^= 0x55;
        fs::write(&seg, &bad).unwrap();
        let (wal, got) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        assert_eq!(got.len(), 9);
        assert_eq!(wal.append("s", b"after").unwrap(), 10);
        drop(wal);
        let got = records(dir.path());
        assert_eq!(got.len(), 10);
        assert_eq!(got[9], (10, "s".into(), b"after".to_vec()));
    }

    #[test]
    fn segments_rotate_sealed_to_their_records() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
            wal.segment_limit = 1000;
            for i in 0..30u8 {
                wal.append("s", &[i; 100]).unwrap();
            }
        }
        let mut segs: Vec<PathBuf> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "wal"))
            .collect();
        segs.sort();
        assert!(segs.len() >= 3, "{segs:?}");
        for sealed in &segs[..segs.len() - 1] {
            let data = fs::read(sealed).unwrap();
            assert_ne!(*data.last().unwrap(), 0, "a sealed segment ends with its last record");
            assert_eq!((data.len() - SEGMENT_MAGIC.len()) % (HEADER + 111), 0);
        }
        let got = records(dir.path());
        assert_eq!(got.len(), 30);
        assert!(got.iter().enumerate().all(|(i, r)| r.0 == i as u64 + 1 && r.2 == vec![i as u8; 100]));
        // Reopened, the log goes on after the last record, not after the zeros.
        let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        assert_eq!(wal.append("s", b"more").unwrap(), 31);
        drop(wal);
        assert_eq!(records(dir.path()).last().unwrap().2, b"more".to_vec());
    }

    #[test]
    fn damage_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
            for i in 0..10u8 {
                wal.append("s", &[i; 100]).unwrap();
            }
        }
        let seg = only_segment(dir.path());
        let mut data = fs::read(&seg).unwrap();
        data[8 + 3 * 118 + 40] ^= 0xFF; // inside the 4th record
        fs::write(&seg, &data).unwrap();
        let err = Wal::open(dir.path(), SyncMode::Always).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Storage);
        assert!(err.message().contains("damaged"), "{}", err.message());
    }

    #[test]
    fn flushed_records_are_skipped_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (wal, _) = Wal::open(dir.path(), SyncMode::Batch).unwrap();
            for i in 0..5u8 {
                wal.append("a", &[i]).unwrap();
                wal.append("b", &[i]).unwrap();
            }
            wal.set_flushed("a", wal.last_lsn("a")).unwrap();
            wal.sync().unwrap();
            wal.trim().unwrap(); // "b" is not flushed: nothing goes
        }
        let got = records(dir.path());
        assert_eq!(got.iter().filter(|r| r.1 == "a").count(), 0);
        assert_eq!(got.iter().filter(|r| r.1 == "b").count(), 5);
        {
            let (wal, _) = Wal::open(dir.path(), SyncMode::Always).unwrap();
            wal.set_flushed("b", wal.last_lsn("b")).unwrap();
            wal.trim().unwrap();
            assert_eq!(wal.segment_bytes(), SEGMENT_MAGIC.len() as u64);
        }
        let (wal, got) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        assert!(got.is_empty());
        // LSNs never go back, even with the log emptied.
        assert_eq!(wal.append("a", b"x").unwrap(), 11);
    }

    /// A record as [`encode`] writes it, with any LSN and stream bytes (the checksum valid).
    fn raw_record(lsn: u64, stream: &[u8], payload: &[u8]) -> Vec<u8> {
        let body: Vec<u8> = [&lsn.to_le_bytes()[..], &(stream.len() as u16).to_le_bytes(), stream, payload].concat();
        [&(body.len() as u32).to_le_bytes()[..], &crc32c(&body).to_le_bytes(), &body].concat()
    }

    /// A log of three good records, then `bad` (valid checksum), as the last thing in the log.
    fn log_ending_in(dir: &Path, bad: &[u8]) -> PathBuf {
        {
            let (wal, _) = Wal::open(dir, SyncMode::Always).unwrap();
            for i in 0..3u8 {
                wal.append("s", &[i; 10]).unwrap();
            }
        }
        let seg = only_segment(dir);
        let mut data = fs::read(&seg).unwrap();
        let end = SEGMENT_MAGIC.len() + 3 * (HEADER + 8 + 2 + 1 + 10);
        data.truncate(end);
        data.extend_from_slice(bad);
        data.resize(data.len() + 4096, 0);
        fs::write(&seg, &data).unwrap();
        seg
    }

    #[test]
    fn a_sound_checksum_over_impossible_framing_is_damage_not_a_torn_tail() {
        let end = SEGMENT_MAGIC.len() + 3 * (HEADER + 8 + 2 + 1 + 10);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("stream name longer than the record", {
                let mut r = raw_record(4, b"s", b"payload");
                r[HEADER + 8..HEADER + 10].copy_from_slice(&u16::MAX.to_le_bytes());
                let crc = crc32c(&r[HEADER..]);
                r[4..8].copy_from_slice(&crc.to_le_bytes());
                r
            }),
            ("stream name not UTF-8", raw_record(4, &[0xFF, 0xFE], b"payload")),
            ("empty stream name", raw_record(4, b"", b"payload")),
            ("LSN going backwards", raw_record(2, b"s", b"payload")),
            ("LSN impossibly large", raw_record(u64::MAX, b"s", b"payload")),
        ];
        for (what, bad) in cases {
            let dir = tempfile::tempdir().unwrap();
            let seg = log_ending_in(dir.path(), &bad);
            let before = fs::read(&seg).unwrap();
            let err = Wal::open(dir.path(), SyncMode::Always).err().unwrap_or_else(|| panic!("{what}: opened"));
            assert_eq!(err.kind(), ErrorKind::Storage, "{what}");
            let m = err.message();
            assert!(m.contains(&seg.display().to_string()) && m.contains(&format!("at byte {end}")), "{what}: {m}");
            // Not cut off as a torn tail: the file is as it was.
            assert_eq!(fs::read(&seg).unwrap(), before, "{what}");
        }
    }

    #[test]
    fn records_know_their_file_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let seg = log_ending_in(dir.path(), &raw_record(4, b"t", b"four"));
        let (_, recs) = Wal::open(dir.path(), SyncMode::Always).unwrap();
        assert_eq!(recs.len(), 4);
        let last = &recs[3];
        assert_eq!((last.lsn, last.stream.as_str(), last.payload.as_slice()), (4, "t", &b"four"[..]));
        assert_eq!(&*last.segment, seg.as_path());
        assert_eq!(last.offset as usize, SEGMENT_MAGIC.len() + 3 * (HEADER + 11 + 10));
        let err = unusable_record(last, &Error::storage("bad"));
        assert!(is_unusable_record(&err));
        assert!(err.message().contains(&format!("at byte {}", last.offset)), "{}", err.message());
    }

    #[test]
    fn impossible_lsns_in_names_and_marks_are_damage() {
        let dir = tempfile::tempdir().unwrap();
        drop(Wal::open(dir.path(), SyncMode::Always).unwrap());
        fs::write(dir.path().join(FLUSHED_FILE), format!(r#"{{"s": {}}}"#, u64::MAX)).unwrap();
        assert_eq!(Wal::open(dir.path(), SyncMode::Always).err().unwrap().kind(), ErrorKind::Storage);
        fs::remove_file(dir.path().join(FLUSHED_FILE)).unwrap();
        create_segment(dir.path(), u64::MAX).unwrap();
        assert_eq!(Wal::open(dir.path(), SyncMode::Always).err().unwrap().kind(), ErrorKind::Storage);
    }

    /// Random bytes and resealed random edits of a real segment: scanning never panics.
    #[test]
    fn scanning_arbitrary_segments_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        let seg = log_ending_in(dir.path(), &raw_record(4, b"collection:v", &[1, 0xF0, 0xFF, 0xFF, 0xFF]));
        let good = fs::read(seg).unwrap();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..3000 {
            let mut data = good.clone();
            for _ in 0..1 + next() % 3 {
                let at = next() as usize % data.len();
                data[at] = next() as u8;
            }
            if round % 3 == 0 {
                data.truncate(next() as usize % data.len());
            }
            let _ = scan_segment(&data, round % 2 == 0, 0);
            crate::fuzz::wal_decode(&data);
        }
    }

    // ---- records whose content the database cannot apply ---------------------------------

    /// A collection record putting one row, laid out as `buffer.rs` encodes it.
    fn put_payload(id: &str, vector: &[f32], created: i64, meta: &[(&str, u8, &[u8])]) -> Vec<u8> {
        let mut p = vec![1u8];
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&(id.len() as u32).to_le_bytes());
        p.extend_from_slice(id.as_bytes());
        p.extend_from_slice(&created.to_le_bytes());
        p.extend_from_slice(&created.to_le_bytes());
        p.push(0); // no document
        p.extend_from_slice(&(vector.len() as u32).to_le_bytes());
        for x in vector {
            p.extend_from_slice(&x.to_le_bytes());
        }
        p.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        for (k, tag, v) in meta {
            p.extend_from_slice(&(k.len() as u32).to_le_bytes());
            p.extend_from_slice(k.as_bytes());
            p.push(*tag);
            p.extend_from_slice(v);
        }
        p
    }

    const NOW: i64 = 1_700_000_000_000_000;

    /// A database with collections `v` and `w` (dim 3) whose log then holds, as a crashed writer
    /// leaves it: a good row of `w`, `bad` in `stream`, another good row of `w`. Returns the
    /// database directory and the segment the records are in.
    fn database_with_bad_record(stream: &[u8], bad: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = crate::Database::open(dir.path()).unwrap();
            db.create_collection("v", 3, crate::Metric::L2).unwrap();
            let w = db.create_collection("w", 3, crate::Metric::L2).unwrap();
            let ids = vec!["in-lance".to_string()];
            w.add(&crate::Records { ids: &ids, vectors: crate::Vectors::Flat { data: &[0.0, 0.0, 1.0], dim: 3 }, documents: None, metadata: None })
                .unwrap();
            db.close();
        }
        let wal_dir = dir.path().join("_agentdb").join("wal");
        let (wal, _) = Wal::open(&wal_dir, SyncMode::Always).unwrap();
        wal.append("collection:w", &put_payload("w1", &[1.0, 2.0, 3.0], NOW, &[])).unwrap();
        let lsn = wal.append("collection:w", &put_payload("w2", &[4.0, 5.0, 6.0], NOW, &[])).unwrap();
        drop(wal);
        // The bad record goes between the two good ones' LSNs: write it by hand after them.
        let mut segs: Vec<PathBuf> = fs::read_dir(&wal_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "wal"))
            .collect();
        segs.sort();
        let seg = segs.pop().unwrap();
        let mut data = fs::read(&seg).unwrap();
        let (found, _) = scan_segment(&data, true, 0).unwrap();
        let end = found.last().map(|f| f.offset + HEADER + 10 + f.stream.len() + f.payload.len()).unwrap();
        data.truncate(end);
        data.extend_from_slice(&raw_record(lsn + 1, stream, bad));
        data.extend_from_slice(&raw_record(lsn + 2, b"collection:w", &put_payload("w3", &[7.0, 8.0, 9.0], NOW, &[])));
        fs::write(&seg, &data).unwrap();
        (dir, seg)
    }

    #[test]
    fn an_unusable_collection_record_fails_that_collection_and_the_rest_is_recovered() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("garbage", (0..64u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect()),
            ("a huge row count", [&[1u8][..], &0xFFFF_FFF0u32.to_le_bytes()].concat()),
            ("a huge id length", [&[1u8][..], &1u32.to_le_bytes(), &0xFFFF_FFF0u32.to_le_bytes(), b"x"].concat()),
            ("a huge vector length", {
                let mut p = put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[]);
                let at = 1 + 4 + 4 + 2 + 8 + 8 + 1;
                p[at..at + 4].copy_from_slice(&0x4000_0000u32.to_le_bytes());
                p
            }),
            ("an unknown operation", vec![9, 0, 0, 0, 0]),
            ("trailing bytes", [put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[]), vec![0; 3]].concat()),
            ("another dimension", put_payload("v1", &[1.0, 2.0], NOW, &[])),
            ("a NaN", put_payload("v1", &[1.0, f32::NAN, 3.0], NOW, &[])),
            ("an empty id", put_payload("", &[1.0, 2.0, 3.0], NOW, &[])),
            ("a negative creation time", put_payload("v1", &[1.0, 2.0, 3.0], -5, &[])),
            ("a key without a column", put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[("lang", 4, &[2, 0, 0, 0, b'e', b'n'])])),
            ("an invalid key", put_payload("v1", &[1.0, 2.0, 3.0], NOW, &[("no spaces", 1, &[1])])),
            ("an infinity", put_payload("v1", &[1.0, f32::INFINITY, 3.0], NOW, &[])),
        ];
        for (what, bad) in cases {
            let (dir, seg) = database_with_bad_record(b"collection:v", &bad);
            let db = crate::Database::open(dir.path()).unwrap_or_else(|e| panic!("{what}: open failed: {e}"));
            // Everything else in the log is back, also the record after the bad one.
            let w = db.get_collection("w").unwrap();
            assert_eq!(w.count(None).unwrap(), 4, "{what}");
            let ids = ["w1", "w2", "w3"].map(String::from);
            assert_eq!(w.get(Some(&ids), None, None, 0).unwrap().ids.len(), 3, "{what}");
            // The damaged collection fails, naming the file and the offset, every time.
            for _ in 0..2 {
                let err = db.get_collection("v").err().unwrap_or_else(|| panic!("{what}: v opened"));
                assert_eq!(err.kind(), ErrorKind::Storage, "{what}: {err}");
                let m = err.message();
                assert!(m.contains(&seg.display().to_string()) && m.contains("at byte "), "{what}: {m}");
            }
            // State works; the log keeps the bad record (and so opens fail the same way again).
            db.state().unwrap();
            db.close();
            let db = crate::Database::open(dir.path()).unwrap();
            assert_eq!(db.get_collection("v").err().unwrap().kind(), ErrorKind::Storage, "{what}");
            // Dropping the collection discards its records: the database is whole again.
            db.drop_collection("v").unwrap();
            db.close();
            let db = crate::Database::open(dir.path()).unwrap();
            assert_eq!(db.get_collection("w").unwrap().count(None).unwrap(), 4);
            db.close();
        }
    }

    #[test]
    fn unusable_records_of_the_state_or_of_no_known_stream_fail_the_open_naming_them() {
        for (stream, payload) in [(&b"state"[..], vec![0xEEu8; 20]), (&b"bogus"[..], vec![1, 2, 3])] {
            let (dir, seg) = database_with_bad_record(stream, &payload);
            let err = crate::Database::open(dir.path()).err().expect("opened");
            assert_eq!(err.kind(), ErrorKind::Storage);
            let m = err.message();
            assert!(m.contains(&seg.display().to_string()) && m.contains("at byte "), "{m}");
            // Nothing was lost meanwhile: a read-only open sees what Lance has.
            let ro = crate::Database::open_with(dir.path(), crate::OpenOptions { read_only: true, ..Default::default() }).unwrap();
            assert_eq!(ro.get_collection("w").unwrap().count(None).unwrap(), 1);
        }
    }

    #[test]
    fn a_record_of_a_collection_that_does_not_exist_is_discarded() {
        let (dir, _) = database_with_bad_record(b"collection:gone", &put_payload("g", &[1.0, 2.0, 3.0], NOW, &[]));
        let db = crate::Database::open(dir.path()).unwrap();
        assert_eq!(db.get_collection("w").unwrap().count(None).unwrap(), 4);
    }
}
