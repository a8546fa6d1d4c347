//! The engine's one error type. Every binding maps [`ErrorKind`] to its own vocabulary (a Python
//! exception class, a C status code, a Zig error), so the kinds are stable and few.

use std::fmt;

/// What went wrong, independent of the message. Bindings switch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorKind {
    /// An argument is out of range or malformed (e.g. `k = 0`, an unknown metric).
    InvalidArgument = 1,
    /// A collection name is empty, too long, or has characters that could escape the directory.
    InvalidName = 2,
    CollectionNotFound = 3,
    CollectionExists = 4,
    /// A vector's length differs from the collection's dimension.
    DimensionMismatch = 5,
    /// An id repeats within a batch, or `add` names an id the collection already holds.
    DuplicateId = 6,
    /// A vector holds NaN or infinity.
    InvalidVector = 7,
    /// A metadata key or value is not of a supported shape or type.
    InvalidMetadata = 8,
    /// A filter does not parse, names an unknown column, or compares values of the wrong type.
    InvalidFilter = 9,
    /// The database or collection handle was closed or dropped.
    Closed = 10,
    /// The storage layer (LanceDB, the file system) failed.
    Storage = 11,
    /// A bug: an invariant of the engine did not hold.
    Internal = 12,
    /// Another writer (process, or open handle) has the database open for writing.
    DatabaseLocked = 13,
    /// A write on a database opened read-only.
    ReadOnly = 14,
    /// The call was cancelled through its [`CancelToken`](crate::CancelToken) and stopped at a
    /// safe point, undoing what it had started (see `util::cancel`).
    Cancelled = 15,
}

impl ErrorKind {
    /// Every kind, in the order of their numeric codes.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidName,
        ErrorKind::CollectionNotFound,
        ErrorKind::CollectionExists,
        ErrorKind::DimensionMismatch,
        ErrorKind::DuplicateId,
        ErrorKind::InvalidVector,
        ErrorKind::InvalidMetadata,
        ErrorKind::InvalidFilter,
        ErrorKind::Closed,
        ErrorKind::Storage,
        ErrorKind::Internal,
        ErrorKind::DatabaseLocked,
        ErrorKind::ReadOnly,
        ErrorKind::Cancelled,
    ];

    /// The kind as an identifier (`invalid_argument`, `dimension_mismatch`, …): metric labels,
    /// error codes in bindings.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidName => "invalid_name",
            ErrorKind::CollectionNotFound => "collection_not_found",
            ErrorKind::CollectionExists => "collection_exists",
            ErrorKind::DimensionMismatch => "dimension_mismatch",
            ErrorKind::DuplicateId => "duplicate_id",
            ErrorKind::InvalidVector => "invalid_vector",
            ErrorKind::InvalidMetadata => "invalid_metadata",
            ErrorKind::InvalidFilter => "invalid_filter",
            ErrorKind::Closed => "closed",
            ErrorKind::Storage => "storage",
            ErrorKind::Internal => "internal",
            ErrorKind::DatabaseLocked => "database_locked",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::Cancelled => "cancelled",
        }
    }

    /// For people, in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::InvalidName => "invalid name",
            ErrorKind::CollectionNotFound => "collection not found",
            ErrorKind::CollectionExists => "collection exists",
            ErrorKind::DimensionMismatch => "dimension mismatch",
            ErrorKind::DuplicateId => "duplicate id",
            ErrorKind::InvalidVector => "invalid vector",
            ErrorKind::InvalidMetadata => "invalid metadata",
            ErrorKind::InvalidFilter => "invalid filter",
            ErrorKind::Closed => "closed",
            ErrorKind::Storage => "storage error",
            ErrorKind::Internal => "internal error",
            ErrorKind::DatabaseLocked => "database locked",
            ErrorKind::ReadOnly => "read-only",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

/// An engine error: a kind to branch on and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    pub(crate) fn invalid_metadata(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidMetadata, message)
    }
    pub(crate) fn invalid_filter(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidFilter, message)
    }
    pub(crate) fn storage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Storage, message)
    }
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<lancedb::Error> for Error {
    fn from(e: lancedb::Error) -> Self {
        match e {
            lancedb::Error::TableNotFound { name, .. } => {
                Error::new(ErrorKind::CollectionNotFound, format!("collection '{name}' does not exist"))
            }
            lancedb::Error::TableAlreadyExists { name } => {
                Error::new(ErrorKind::CollectionExists, format!("collection '{name}' already exists"))
            }
            lancedb::Error::InvalidTableName { name, reason } => {
                Error::new(ErrorKind::InvalidName, format!("invalid collection name '{name}': {reason}"))
            }
            other => Error::storage(other.to_string()),
        }
    }
}

impl From<arrow_schema::ArrowError> for Error {
    fn from(e: arrow_schema::ArrowError) -> Self {
        Error::internal(format!("arrow: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::storage(e.to_string())
    }
}
