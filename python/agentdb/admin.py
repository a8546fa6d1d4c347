"""Backup, restore and verify: keeping a database safe while it runs.

* :meth:`Database.backup` (or :func:`backup`) copies a consistent snapshot of a live database into a
  backup directory as a new *point*, while other threads keep writing: every write acknowledged
  before the call is in the point, and no write is half in. ``incremental=True`` copies only the
  files that earlier points of the same directory do not already hold (Lance data files never
  change once written, so after a 1% change a point costs about 1% of the database).
* :func:`restore` writes point ``at`` (the latest by default) into a new, empty directory, checking
  every file against the SHA-256 its point recorded: a damaged backup is refused, and nothing is
  left behind.
* :meth:`Database.verify` (or :func:`verify`) reads every table's manifests and fragments, the
  write-ahead log's checksums and the saved index files, and reports problems by kind without
  changing anything; ``repair=True`` rebuilds what can be rebuilt (index files, leftover backup
  tags, orphan index and cache files). Damaged data or log records cannot be rebuilt: restore them.

Layout of a backup directory: ``AGENTDB_BACKUP`` (the marker), ``points/<seq>.json`` (one per
point: time, each table's Lance version, every file with its size and SHA-256) and
``files/<seq>/…`` (the files a point copied). A point is written last, so an interrupted backup
leaves no point. Points are kept until removed by hand.

Retention in the database: a backup pins the Lance versions it copies with a Lance tag
(``agentdb-backup-<pid>-<time>``) for as long as its copy runs, so the engine's version cleanup
(versions replaced more than 10 s ago) cannot remove a file it still needs; once the point is
written the tag goes, and the point's own copies are what restore it. No extra old versions stay
in the database. A tag left by a killed backup is reported by :func:`verify` as
``leftover_backup_tag`` and removed by ``repair=True``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, TypedDict, Union, cast

from . import _native

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .database import Database

__all__ = [
    "BackupPoint",
    "Problem",
    "VerifyReport",
    "PROBLEM_KINDS",
    "backup",
    "restore",
    "list_backups",
    "prune_backups",
    "PruneReport",
    "verify",
    "verify_backup",
]

PathLike = Union[str, "os.PathLike[str]"]

#: The kinds of problem :func:`verify` reports, and what each means.
PROBLEM_KINDS: Dict[str, str] = dict(_native.PROBLEM_KINDS)


@dataclass(frozen=True)
class BackupPoint:
    """One restorable point of a backup directory."""

    #: 1, 2, 3… in the order taken: what ``restore(at=…)`` names.
    seq: int
    #: When the backup began (its consistency point), microseconds since the Unix epoch.
    time_micros: int
    incremental: bool
    #: Each Lance table's version in the point.
    tables: Dict[str, int]
    #: How many files the point holds, and their bytes (what a restore writes).
    files: int
    total_bytes: int
    #: What this point copied itself (the rest it shares with earlier points).
    copied_files: int
    copied_bytes: int

    @classmethod
    def _from_native(cls, d: Dict[str, Any]) -> "BackupPoint":
        return cls(**d)


@dataclass(frozen=True)
class Problem:
    """One problem :func:`verify` found."""

    #: One of :data:`PROBLEM_KINDS`.
    kind: str
    #: The table (collection or engine table), or ``"wal"``.
    store: str
    #: The file, relative to the database directory.
    file: str
    detail: str
    #: Whether ``repair=True`` can rebuild it, and whether it did.
    repairable: bool
    repaired: bool


@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify` looked at and found."""

    problems: List[Problem] = field(default_factory=list)
    tables: int = 0
    versions: int = 0
    files: int = 0
    rows: int = 0
    wal_segments: int = 0
    wal_records: int = 0
    index_files: int = 0

    @property
    def ok(self) -> bool:
        """No problem left (none found, or every one repaired)."""
        return all(p.repaired for p in self.problems)

    @classmethod
    def _from_native(cls, d: Dict[str, Any]) -> "VerifyReport":
        d = dict(d)
        problems = [Problem(**p) for p in d.pop("problems")]
        return cls(problems=problems, **d)


def backup(db: "Database", dest: PathLike, incremental: bool = False) -> BackupPoint:
    """Backs ``db`` up into directory ``dest`` (created if missing) as a new point; see the module
    documentation. With ``incremental``, files already in an earlier point are not copied again.

    Raises:
        InvalidArgumentError: ``dest`` exists, is not empty and is not a backup directory.
        StorageError: a file cannot be read or written.
        ClosedError: the database is closed.
    """
    return BackupPoint._from_native(_native.backup(db._native, dest, incremental))


def restore(src: PathLike, path: PathLike, at: Optional[int] = None) -> BackupPoint:
    """Restores point ``at`` (the latest when ``None``) of the backup directory ``src`` into
    ``path``, which must not exist or be empty. Returns the point restored; open the result with
    :func:`agentdb.connect`.

    Raises:
        InvalidArgumentError: ``src`` is not a backup, has no point ``at``, or ``path`` is not empty.
        StorageError: a file of the point is missing or fails its SHA-256 (nothing is left in
            ``path``).
    """
    return BackupPoint._from_native(_native.restore(src, path, at))


def list_backups(src: PathLike) -> List[BackupPoint]:
    """The points of the backup directory ``src``, oldest first.

    Raises:
        InvalidArgumentError: ``src`` is not a backup directory.
        StorageError: a point's record is damaged.
    """
    return [BackupPoint._from_native(p) for p in _native.list_backups(src)]


class PruneReport(TypedDict):
    """What :func:`prune_backups` removed."""

    removed_points: List[int]
    """The sequence numbers of the points removed, oldest first."""
    removed_files: int
    """Copied files no remaining point names, deleted."""
    freed_bytes: int


def prune_backups(dest: PathLike, keep: int) -> PruneReport:
    """The backup retention setting: keeps the newest ``keep`` points of the backup directory
    ``dest`` and removes the older ones, then deletes every copied file no remaining point names.

    Files an older point copied that a kept incremental point shares stay, so every kept point
    still restores exactly. Crash-safe: point records are removed before any file, so no point
    ever names a missing file. ``agentdb backup --keep N`` prunes after each backup.

    Raises:
        InvalidArgumentError: ``keep`` is less than 1, or ``dest`` is not a backup directory.
        DatabaseLockedError: a backup or another prune is writing into ``dest`` now.
    """
    return cast(PruneReport, _native.prune_backups(dest, keep))


def verify_backup(src: PathLike, at: Optional[int] = None) -> List[Tuple[str, str]]:
    """Checks every file of point ``at`` (the latest when ``None``) of the backup ``src`` against
    its recorded size and SHA-256 without restoring it. Returns the damaged files as
    ``(stored path, what is wrong)``; empty when the point is sound.

    Raises:
        InvalidArgumentError: ``src`` is not a backup or has no point ``at``.
    """
    return _native.verify_backup(src, at)


def verify(db: "Database", repair: bool = False) -> VerifyReport:
    """Verifies ``db``: every table's manifests, files and fragments (each fragment of the current
    version is read whole), the write-ahead log's checksums, and the saved index files against
    their tables' Lance versions. Nothing is changed unless ``repair``, which rebuilds what can be
    rebuilt and marks those problems ``repaired``.

    Lance data files carry no checksums of their own: the engine sums each data file once it is
    committed (after each background flush and at close) and verify sums it again, so a flipped
    bit inside a column's values that still decodes is a ``damaged_file`` problem. A file
    committed since the last such upkeep is checked by its size only.

    Raises:
        ReadOnlyError: ``repair`` on a database opened read-only.
        ClosedError: the database is closed.
    """
    return VerifyReport._from_native(_native.verify(db._native, repair))
