"""AgentDB's exceptions: one hierarchy, mapped one-to-one from the engine's error kinds.

Every error AgentDB raises is an :class:`AgentDBError`. The native extension raises these very
classes (it looks them up here), so ``except agentdb.errors.DuplicateIdError`` catches the
engine's error whichever layer noticed the problem.

Errors about bad input also derive from :class:`ValueError` (through
:class:`InvalidArgumentError`), and :class:`CollectionNotFoundError` derives from
:class:`KeyError`, so code written against the standard exceptions keeps working. An argument of the wrong type
(``k="5"``, an int where a name goes) raises :class:`InvalidArgumentTypeError`, which is also a
:class:`TypeError`. Every bad argument of the public API raises one of these classes, never a
bare ``TypeError`` / ``OverflowError`` / ``AttributeError``: an int beyond 64 bits (``k=2**63``)
is an :class:`InvalidArgumentError`, as is a value nested more than ``agentdb.MAX_VALUE_DEPTH``
(100) levels deep or one that contains itself::

    AgentDBError
    ├── InvalidArgumentError (ValueError)     an argument is out of range or malformed
    │   ├── InvalidArgumentTypeError (TypeError)  an argument of the wrong type (a str for k)
    │   ├── InvalidNameError                  a collection name that could escape the directory
    │   ├── DimensionMismatchError            a vector of the wrong length
    │   ├── DuplicateIdError                  an id repeated in a batch, or already present on add
    │   ├── InvalidVectorError                NaN / infinity / not numbers / zero vector (cosine)
    │   ├── InvalidMetadataError              a metadata key or value of an unsupported kind
    │   └── InvalidFilterError                a filter that does not parse or mistypes a field
    ├── CollectionNotFoundError (KeyError)
    ├── CollectionExistsError
    ├── ClosedError                           the database (or the collection) was closed/dropped
    ├── DatabaseLockedError                   another writer has the database open
    ├── ReadOnlyError                         a write on a database opened read-only
    ├── CancelledError                        a long call stopped by its CancelToken, undone
    ├── StorageError                          LanceDB or the file system failed
    └── InternalError                         a bug in AgentDB: please report it
"""

from __future__ import annotations

__all__ = [
    "AgentDBError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "InvalidNameError",
    "CollectionNotFoundError",
    "CollectionExistsError",
    "DimensionMismatchError",
    "DuplicateIdError",
    "InvalidVectorError",
    "InvalidMetadataError",
    "InvalidFilterError",
    "ClosedError",
    "StorageError",
    "InternalError",
    "DatabaseLockedError",
    "ReadOnlyError",
    "CancelledError",
]



class AgentDBError(Exception):
    """Base class of every error AgentDB raises.

    ``kind`` names the engine's error kind (e.g. ``"duplicate_id"``); it is the same for the
    Python, C and Zig bindings.
    """

    kind: str = "error"


class InvalidArgumentError(AgentDBError, ValueError):
    """An argument is out of range or malformed (``k=0``, an unknown metric, a bad shape...)."""

    kind = "invalid_argument"


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument is of the wrong type (``k="5"``, ``mode=3``, an int where a name goes). Also a
    :class:`TypeError` (and, as an :class:`InvalidArgumentError`, a :class:`ValueError`). Its engine
    kind is ``invalid_argument``: the engine, C and Zig see the same error as a plain invalid
    argument."""

    kind = "invalid_argument"


class InvalidNameError(InvalidArgumentError):
    """A collection name is empty, longer than 128 characters, or has characters other than
    ASCII letters, digits, ``_`` and ``-`` (so no ``/``, no ``..``: nothing can be created outside
    the database directory)."""

    kind = "invalid_name"


class CollectionNotFoundError(AgentDBError, KeyError):
    """The collection does not exist. Also a :class:`KeyError` (a lookup by name failed)."""

    kind = "collection_not_found"

    def __str__(self) -> str:
        # KeyError's str() shows the repr of its argument (quotes around the message).
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class CollectionExistsError(AgentDBError):
    """``create_collection`` named a collection that already exists."""

    kind = "collection_exists"


class DimensionMismatchError(InvalidArgumentError):
    """A vector's length differs from the collection's dimension (the message names the row)."""

    kind = "dimension_mismatch"


class DuplicateIdError(InvalidArgumentError):
    """An id repeats within a batch, or ``add`` names an id the collection already holds (use
    ``upsert`` to replace records). Nothing of the batch is written."""

    kind = "duplicate_id"


class InvalidVectorError(InvalidArgumentError):
    """A vector holds NaN or infinity, is not made of numbers, or is all zeros in a cosine
    collection (which has no direction)."""

    kind = "invalid_vector"


class InvalidMetadataError(InvalidArgumentError):
    """A metadata key is not an identifier (or is reserved), or a value is of an unsupported type,
    or of a different type than the key already holds."""

    kind = "invalid_metadata"


class InvalidFilterError(InvalidArgumentError):
    """A ``where`` filter does not parse, uses an unknown operator, or compares a field with a
    value of the wrong type."""

    kind = "invalid_filter"


class ClosedError(AgentDBError):
    """The database was closed, or the collection was dropped."""

    kind = "closed"


class StorageError(AgentDBError):
    """The storage layer (LanceDB, the file system) failed."""

    kind = "storage"


class InternalError(AgentDBError):
    """An invariant of AgentDB did not hold: a bug, please report it."""

    kind = "internal"


class DatabaseLockedError(AgentDBError):
    """Another writer has the database open: another process, or another open handle in this one.

    One process writes a database at a time. Open it with ``read_only=True`` to read what the
    writer has committed, or close the other writer first.
    """

    kind = "database_locked"


class ReadOnlyError(AgentDBError):
    """A write (or ``flush``) on a database opened with ``read_only=True``."""

    kind = "read_only"


class CancelledError(AgentDBError):
    """A long call (an index build, ``optimize``, backup, restore, verify, export or import, RAG
    ingest, a batch search) was cancelled through the :class:`agentdb.cancel.CancelToken` attached
    to its thread, and stopped at a safe point with what it had started undone: no half backup,
    no half import, the old index still serving. The async API raises it when a task awaiting
    such a call is cancelled (the awaiting task itself gets :class:`asyncio.CancelledError`).

    Not :class:`asyncio.CancelledError`: this one is an ordinary error of the call."""

    kind = "cancelled"
