//! Status codes, the thread-local last error message, and the guard every call runs in (it turns
//! engine errors into a status plus a message, and stops panics at the boundary).

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use agentdb_engine::{Error, ErrorKind};

/// What a call returns: `AGENTDB_OK` (0) on success, otherwise the kind of failure.
/// `agentdb_errmsg()` then gives a message for people.
///
/// Codes 1 to 12 are the engine's error kinds, 13 to 16 failures of the C boundary itself, and
/// 17 and up engine error kinds added later.
/// New codes may be added at the end in later versions; treat an unknown non-zero code as a failure.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum agentdb_status {
    /// Success.
    AGENTDB_OK = 0,
    /// An argument is out of range or malformed (e.g. `k = 0`, an unknown metric, an index past
    /// the end of a result, a filter given both as SQL and as JSON).
    AGENTDB_INVALID_ARGUMENT = 1,
    /// A collection name is empty, too long, or has characters that could escape the database
    /// directory (such as `/` or `..`).
    AGENTDB_INVALID_NAME = 2,
    /// The collection does not exist.
    AGENTDB_COLLECTION_NOT_FOUND = 3,
    /// A collection of that name already exists.
    AGENTDB_COLLECTION_EXISTS = 4,
    /// A vector's length differs from the collection's dimension.
    AGENTDB_DIMENSION_MISMATCH = 5,
    /// An id repeats within a batch, or `agentdb_collection_add` names an id the collection already holds.
    AGENTDB_DUPLICATE_ID = 6,
    /// A vector holds NaN or infinity (or is all zeros in a cosine collection).
    AGENTDB_INVALID_VECTOR = 7,
    /// Metadata is not valid JSON, not an array of objects, or holds a key or value of an
    /// unsupported shape or type.
    AGENTDB_INVALID_METADATA = 8,
    /// A filter does not parse, names an unknown column, or compares values of the wrong type.
    AGENTDB_INVALID_FILTER = 9,
    /// The database was closed (`agentdb_db_close`) or the collection was dropped.
    AGENTDB_CLOSED = 10,
    /// The storage layer (LanceDB, the file system) failed.
    AGENTDB_STORAGE = 11,
    /// A bug in AgentDB: an internal invariant did not hold.
    AGENTDB_INTERNAL = 12,
    /// A required pointer argument is NULL.
    AGENTDB_NULL_POINTER = 13,
    /// A string argument is not valid UTF-8.
    AGENTDB_INVALID_UTF8 = 14,
    /// A handle argument is not a live handle of the expected type: it was already freed or
    /// closed, or it is not an AgentDB handle at all.
    AGENTDB_INVALID_HANDLE = 15,
    /// A bug in AgentDB: the call panicked. The panic was caught; the library stays usable.
    AGENTDB_PANIC = 16,
    /// Another writer (another process, or another open handle) has the database open for
    /// writing. Open it read-only (`agentdb_db_open_with`, `read_only = 1`) or close the other writer.
    AGENTDB_DATABASE_LOCKED = 17,
    /// A write on a database opened read-only.
    AGENTDB_READ_ONLY = 18,
    /// The call was cancelled through the `agentdb_cancel_token` attached to its thread and
    /// stopped at a safe point, undoing what it had started (no half backup, import or index).
    AGENTDB_CANCELLED = 19,
}

use agentdb_status::*;

impl agentdb_status {
    /// Every status, in code order (the code of `ALL[i]` is `i`).
    #[cfg(test)]
    pub(crate) const ALL: [agentdb_status; 20] = [
        AGENTDB_OK,
        AGENTDB_INVALID_ARGUMENT,
        AGENTDB_INVALID_NAME,
        AGENTDB_COLLECTION_NOT_FOUND,
        AGENTDB_COLLECTION_EXISTS,
        AGENTDB_DIMENSION_MISMATCH,
        AGENTDB_DUPLICATE_ID,
        AGENTDB_INVALID_VECTOR,
        AGENTDB_INVALID_METADATA,
        AGENTDB_INVALID_FILTER,
        AGENTDB_CLOSED,
        AGENTDB_STORAGE,
        AGENTDB_INTERNAL,
        AGENTDB_NULL_POINTER,
        AGENTDB_INVALID_UTF8,
        AGENTDB_INVALID_HANDLE,
        AGENTDB_PANIC,
        AGENTDB_DATABASE_LOCKED,
        AGENTDB_READ_ONLY,
        AGENTDB_CANCELLED,
    ];
}

/// One engine error kind ↔ one status code.
fn status_of(kind: ErrorKind) -> agentdb_status {
    match kind {
        ErrorKind::InvalidArgument => AGENTDB_INVALID_ARGUMENT,
        ErrorKind::InvalidName => AGENTDB_INVALID_NAME,
        ErrorKind::CollectionNotFound => AGENTDB_COLLECTION_NOT_FOUND,
        ErrorKind::CollectionExists => AGENTDB_COLLECTION_EXISTS,
        ErrorKind::DimensionMismatch => AGENTDB_DIMENSION_MISMATCH,
        ErrorKind::DuplicateId => AGENTDB_DUPLICATE_ID,
        ErrorKind::InvalidVector => AGENTDB_INVALID_VECTOR,
        ErrorKind::InvalidMetadata => AGENTDB_INVALID_METADATA,
        ErrorKind::InvalidFilter => AGENTDB_INVALID_FILTER,
        ErrorKind::Closed => AGENTDB_CLOSED,
        ErrorKind::Storage => AGENTDB_STORAGE,
        ErrorKind::Internal => AGENTDB_INTERNAL,
        ErrorKind::DatabaseLocked => AGENTDB_DATABASE_LOCKED,
        ErrorKind::ReadOnly => AGENTDB_READ_ONLY,
        ErrorKind::Cancelled => AGENTDB_CANCELLED,
    }
}

/// A failed call: the status to return and the message `agentdb_errmsg()` will give.
#[derive(Debug)]
pub(crate) struct Fail {
    pub status: agentdb_status,
    pub message: String,
}

impl Fail {
    pub fn new(status: agentdb_status, message: impl Into<String>) -> Fail {
        Fail { status, message: message.into() }
    }
    pub fn null(what: &str) -> Fail {
        Fail::new(AGENTDB_NULL_POINTER, format!("{what} is NULL"))
    }
    pub fn invalid(message: impl Into<String>) -> Fail {
        Fail::new(AGENTDB_INVALID_ARGUMENT, message)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::new(status_of(e.kind()), e.message())
    }
}

pub(crate) type Res<T = ()> = Result<T, Fail>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// The last message of calls made on threads whose thread-locals are gone (from an `atexit`
/// handler), which `LAST_ERROR` cannot hold any more.
static EXIT_ERROR: Mutex<Option<CString>> = Mutex::new(None);

fn set_last_error(message: &str) {
    // A message cannot hold NUL bytes as a C string; show them instead of cutting the text.
    let mut text = Some(CString::new(message.replace('\0', "\\0")).unwrap_or_default());
    if LAST_ERROR.try_with(|last| *last.borrow_mut() = text.take().unwrap_or_default()).is_err() {
        *EXIT_ERROR.lock().unwrap_or_else(|p| p.into_inner()) = text;
    }
}

/// A call's body, which `on_live_thread` moves to a helper thread when the calling thread's
/// thread-locals are gone (the engine's async runtime needs its own on the thread that runs it).
struct Body<F>(F);

// SAFETY: the body runs on exactly one thread. When that is the helper, the calling thread waits
// in the scoped join for the helper's whole life, so what the body captures (the C arguments, raw
// pointers and scalars, and borrows of the C function's frame) is never used by two threads at
// once; everything not `Send` that the body makes (lock guards) is made and dropped on the
// helper. What C can tell apart is only that a callback it gave (a RAG embedder) runs on the
// helper thread during such a call.
unsafe impl<F> Send for Body<F> {}

impl<F: FnOnce() -> Res> Body<F> {
    // A method, so that a closure calling it captures the whole `Body` and not its field.
    fn run(self) -> Res {
        (self.0)()
    }
}

/// Runs the body of one C call: returns `AGENTDB_OK`, or records the failure's message for this
/// thread and returns its status. A panic is caught here and becomes `AGENTDB_PANIC`.
pub(crate) fn guard(body: impl FnOnce() -> Res) -> agentdb_status {
    let body = Body(body);
    match catch_unwind(AssertUnwindSafe(move || agentdb_engine::on_live_thread(move || body.run()))) {
        Ok(Ok(())) => AGENTDB_OK,
        Ok(Err(fail)) => {
            set_last_error(&fail.message);
            fail.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("internal error (panic): {what}"));
            // Dropping the payload runs foreign code too: keep that from unwinding into C.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            AGENTDB_PANIC
        }
    }
}

/// The message of the last call that failed on the calling thread, as a NUL-terminated UTF-8
/// string; `""` if no call has failed on this thread yet. Calls that succeed leave it as it is.
///
/// The pointer stays valid until the next failing AgentDB call on the same thread (or until the
/// thread exits). Never NULL; do not free it. Calls made after the thread's thread-locals are
/// destroyed (from an `atexit` handler) share one message for all such threads instead.
#[no_mangle]
pub extern "C" fn agentdb_errmsg() -> *const c_char {
    LAST_ERROR.try_with(|last| last.borrow().as_ptr()).unwrap_or_else(|_| {
        let exit = EXIT_ERROR.lock().unwrap_or_else(|p| p.into_inner());
        // The `CString`'s buffer stays where it is until the next failure at exit replaces it.
        exit.as_ref().map_or(c"".as_ptr(), |m| m.as_ptr())
    })
}

/// The name of a status code as a static NUL-terminated string (e.g. `"AGENTDB_DIMENSION_MISMATCH"`),
/// or `"AGENTDB_UNKNOWN_STATUS"` for a value that is not a status. Never NULL; do not free it.
#[no_mangle]
pub extern "C" fn agentdb_status_name(status: i32) -> *const c_char {
    usize::try_from(status)
        .ok()
        .and_then(|i| STATUS_NAMES.get(i))
        .map_or(c"AGENTDB_UNKNOWN_STATUS".as_ptr(), |name| name.as_ptr())
}

/// The name of each status, indexed by its code.
const STATUS_NAMES: [&std::ffi::CStr; 20] = [
    c"AGENTDB_OK",
    c"AGENTDB_INVALID_ARGUMENT",
    c"AGENTDB_INVALID_NAME",
    c"AGENTDB_COLLECTION_NOT_FOUND",
    c"AGENTDB_COLLECTION_EXISTS",
    c"AGENTDB_DIMENSION_MISMATCH",
    c"AGENTDB_DUPLICATE_ID",
    c"AGENTDB_INVALID_VECTOR",
    c"AGENTDB_INVALID_METADATA",
    c"AGENTDB_INVALID_FILTER",
    c"AGENTDB_CLOSED",
    c"AGENTDB_STORAGE",
    c"AGENTDB_INTERNAL",
    c"AGENTDB_NULL_POINTER",
    c"AGENTDB_INVALID_UTF8",
    c"AGENTDB_INVALID_HANDLE",
    c"AGENTDB_PANIC",
    c"AGENTDB_DATABASE_LOCKED",
    c"AGENTDB_READ_ONLY",
    c"AGENTDB_CANCELLED",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_name() {
        for (i, s) in agentdb_status::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i);
            assert_eq!(STATUS_NAMES[i].to_str().unwrap(), format!("{s:?}"));
        }
    }

    fn last_error() -> String {
        // SAFETY: agentdb_errmsg always returns a valid NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(agentdb_errmsg()) }.to_str().unwrap().to_owned()
    }

    #[test]
    fn panics_stop_at_the_boundary() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let status = guard(|| panic!("boom {}", 42));
        std::panic::set_hook(prev);
        assert_eq!(status, AGENTDB_PANIC);
        assert_eq!(last_error(), "internal error (panic): boom 42");
        // The library stays usable, and a success leaves the message as it was.
        assert_eq!(guard(|| Ok(())), AGENTDB_OK);
        assert_eq!(last_error(), "internal error (panic): boom 42");
    }

    #[test]
    fn engine_errors_keep_their_kind_and_message() {
        let status = guard(|| Err(Error::new(ErrorKind::InvalidFilter, "bad \0 filter\0").into()));
        assert_eq!(status, AGENTDB_INVALID_FILTER);
        assert_eq!(last_error(), "bad \\0 filter\\0");
    }
}
