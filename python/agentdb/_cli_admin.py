"""The ``backup``, ``restore`` and ``verify`` verbs of the ``agentdb`` command line.

``agentdb.cli`` calls :func:`register` with its subparsers; each verb's handler is a function
``(args) -> int`` (stored as ``args.handler``) returning the exit code:

* ``0``: done, nothing wrong;
* ``1``: ``verify`` found problems (that ``--repair`` did not repair);
* ``2``: a usage error (argparse's own) or a failure (the database, backup or target refused,
  damaged, locked...). The message goes to stderr, or with ``--json`` as
  ``{"ok": false, "error": {"type": ..., "message": ...}}`` to stdout.

Human output by default; ``--json`` prints one JSON object. ``python -m agentdb._cli_admin`` runs
these verbs alone (for tests, until the full ``agentdb`` entry point is installed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from typing import Any, Callable, Dict, List, Optional, Sequence

from .errors import AgentDBError, DatabaseLockedError

__all__ = ["register", "cmd_backup", "cmd_restore", "cmd_verify", "main", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_ERROR"]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_ERROR = 2


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover - the loop always returns


def _when(micros: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(micros / 1e6))


def _emit(args: argparse.Namespace, payload: Dict[str, Any], human: Callable[[], None]) -> None:
    if args.json:
        print(json.dumps(payload, indent=2, sort_keys=True))
    else:
        human()


def _fail(args: argparse.Namespace, verb: str, e: BaseException) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": {"type": type(e).__name__, "message": str(e)}}, indent=2))
    else:
        print(f"agentdb {verb}: error: {e}", file=sys.stderr)
    return EXIT_ERROR


def _open(path: str, writable_needed: bool, verb: str, args: argparse.Namespace) -> Any:
    """Opens ``path`` for writing, or read-only when another process is its writer (unless the
    verb must write). The directory must exist: these verbs never create a database."""
    from .database import Database

    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path} is not a database directory")
    try:
        return Database(path)
    except DatabaseLockedError:
        if writable_needed:
            raise
        if not args.json:
            print(
                f"agentdb {verb}: note: another process has {path} open for writing; reading what it has "
                "flushed (it flushes at least every second)",
                file=sys.stderr,
            )
        return Database(path, read_only=True)


def _point_count(text: str) -> int:
    """``--keep``'s type: refused as a usage error before the backup is taken (a refusal after it
    would leave a point the user asked to be pruned away)."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"keep must be at least 1 point, got {text!r}")
    return n


def cmd_backup(args: argparse.Namespace) -> int:
    """``agentdb backup DB DEST [--incremental] [--keep N]``."""
    from .admin import prune_backups

    pruned = None
    try:
        with _open(args.db, False, "backup", args) as db:
            started = time.perf_counter()
            point = db.backup(args.dest, incremental=args.incremental)
            seconds = time.perf_counter() - started
        if args.keep is not None:
            pruned = prune_backups(args.dest, args.keep)
    except (AgentDBError, OSError) as e:
        return _fail(args, "backup", e)
    payload = {"ok": True, "dest": args.dest, "seconds": round(seconds, 3), "point": asdict(point), "pruned": pruned}

    def human() -> None:
        kind = "incremental" if point.incremental else "full"
        print(
            f"backup point {point.seq} ({kind}) of {args.db} in {args.dest}: {point.files} files, "
            f"{_size(point.total_bytes)}; copied {point.copied_files} files, {_size(point.copied_bytes)} "
            f"in {seconds:.2f} s"
        )
        for table, version in sorted(point.tables.items()):
            print(f"  {table}: Lance version {version}")
        if pruned is not None:
            removed = ", ".join(str(s) for s in pruned["removed_points"]) or "none"
            print(
                f"kept the newest {args.keep} points; removed points: {removed} "
                f"({pruned['removed_files']} files, {_size(pruned['freed_bytes'])})"
            )

    _emit(args, payload, human)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """``agentdb restore SRC PATH [--at N]``."""
    from .admin import list_backups, restore

    try:
        if args.list:
            points = list_backups(args.src)
            _emit(
                args,
                {"ok": True, "src": args.src, "points": [asdict(p) for p in points]},
                lambda: [
                    print(
                        f"{p.seq:>4}  {_when(p.time_micros)}  {'incremental' if p.incremental else 'full':<11}  "
                        f"{p.files:>6} files  {_size(p.total_bytes):>10}  (copied {_size(p.copied_bytes)})"
                    )
                    for p in points
                ],
            )
            return EXIT_OK
        if args.path is None:
            raise ValueError("PATH is required (or give --list)")
        started = time.perf_counter()
        point = restore(args.src, args.path, at=args.at)
        seconds = time.perf_counter() - started
    except (AgentDBError, OSError, ValueError) as e:
        return _fail(args, "restore", e)
    payload = {"ok": True, "src": args.src, "path": args.path, "seconds": round(seconds, 3), "point": asdict(point)}
    _emit(
        args,
        payload,
        lambda: print(
            f"restored point {point.seq} (taken {_when(point.time_micros)}) into {args.path}: "
            f"{point.files} files, {_size(point.total_bytes)}, every file checked against its SHA-256, in {seconds:.2f} s"
        ),
    )
    return EXIT_OK


def _verify_backup(args: argparse.Namespace) -> int:
    """``agentdb verify BACKUP_DIR``: every file of every point against its SHA-256."""
    from .admin import list_backups, verify_backup

    try:
        points = list_backups(args.path)
        damaged = {p.seq: verify_backup(args.path, at=p.seq) for p in points}
    except (AgentDBError, OSError) as e:
        return _fail(args, "verify", e)
    bad = {seq: files for seq, files in damaged.items() if files}
    payload = {
        "ok": not bad,
        "path": args.path,
        "backup": True,
        "points": [{"seq": seq, "damaged": [{"file": f, "detail": d} for f, d in files]} for seq, files in damaged.items()],
    }

    def human() -> None:
        print(f"{args.path}: a backup of {len(points)} points, every file checked against its SHA-256")
        for seq, files in bad.items():
            for f, d in files:
                print(f"  point {seq}: damaged_backup_file {f}\n    {d}")
        print("ok: no problems found" if not bad else f"{sum(len(f) for f in bad.values())} damaged files in {len(bad)} points")

    _emit(args, payload, human)
    return EXIT_OK if not bad else EXIT_PROBLEMS


def cmd_verify(args: argparse.Namespace) -> int:
    """``agentdb verify PATH [--repair]`` (PATH a database, or a backup directory)."""
    from .database import Database

    if os.path.exists(os.path.join(args.path, "AGENTDB_BACKUP")):
        if args.repair:
            return _fail(args, "verify", ValueError("--repair does not apply to a backup (restore another point)"))
        return _verify_backup(args)
    try:
        if args.repair:
            db = _open(args.path, True, "verify", args)
        else:
            # Read-only: changes nothing (a writable open would replay the log, and fails on a
            # damaged one, which is what verify is to report), and runs next to a writer.
            if not os.path.isdir(args.path):
                raise FileNotFoundError(f"{args.path} is not a database directory")
            db = Database(args.path, read_only=True)
        with db:
            report = db.verify(repair=args.repair)
    except (AgentDBError, OSError) as e:
        return _fail(args, "verify", e)
    left = [p for p in report.problems if not p.repaired]
    payload = {"ok": report.ok, "path": args.path, "report": asdict(report)}

    def human() -> None:
        print(
            f"{args.path}: {report.tables} tables, {report.versions} versions, {report.files} files, "
            f"{report.rows} rows read, {report.wal_segments} log segments ({report.wal_records} records), "
            f"{report.index_files} index files"
        )
        for p in report.problems:
            state = "repaired" if p.repaired else ("repairable: --repair" if p.repairable else "restore from a backup")
            print(f"  {p.kind:<22} {p.store:<16} {p.file}\n  {'':<22} {p.detail} [{state}]")
        if not report.problems:
            print("ok: no problems found")
        elif not left:
            print(f"ok: {len(report.problems)} problems found, all repaired")
        else:
            print(f"{len(left)} problems")

    _emit(args, payload, human)
    return EXIT_OK if not left else EXIT_PROBLEMS


_EXIT_CODES = "exit codes: 0 ok, 1 problems found (verify), 2 usage error or failure"


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Adds the ``backup``, ``restore`` and ``verify`` verbs to ``subparsers``; each sets
    ``handler`` to its ``(args) -> int`` function."""
    p = subparsers.add_parser(
        "backup",
        help="back a live database up into a backup directory (a new restorable point)",
        description="Copies a consistent snapshot of the database into DEST as a new point while "
        "writers keep writing: every write acknowledged before the backup began is in it, none half in. "
        "When another process has the database open for writing, the backup holds what it had flushed.",
        epilog=_EXIT_CODES,
    )
    p.add_argument("db", metavar="DB", help="the database directory")
    p.add_argument("dest", metavar="DEST", help="the backup directory (created if missing)")
    p.add_argument("--incremental", action="store_true", help="copy only files earlier points of DEST lack")
    p.add_argument(
        "--keep",
        type=_point_count,
        metavar="N",
        help="retention: after the backup, keep only the newest N points of DEST (and the files they name)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_backup)

    p = subparsers.add_parser(
        "restore",
        help="restore a backup point into a new directory",
        description="Restores point N (the latest by default) of the backup SRC into PATH, which must not "
        "exist or be empty. Every file is checked against its recorded SHA-256; a damaged backup is refused "
        "and nothing is left in PATH.",
        epilog=_EXIT_CODES,
    )
    p.add_argument("src", metavar="SRC", help="the backup directory")
    p.add_argument("path", metavar="PATH", nargs="?", help="the new database directory")
    p.add_argument("--at", metavar="N", type=int, default=None, help="the point to restore (default: the latest)")
    p.add_argument("--list", action="store_true", help="list the points of SRC instead of restoring")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_restore)

    p = subparsers.add_parser(
        "verify",
        help="check a database's files, log and indexes (or a backup's files)",
        description="Reads every table's manifests and fragments, the write-ahead log's checksums and the saved "
        "index files, and reports problems by kind without changing anything. --repair rebuilds what can be "
        "rebuilt (index files, leftover backup tags); it needs the database not open elsewhere. Given a backup "
        "directory, checks every file of every point against its recorded SHA-256.",
        epilog=_EXIT_CODES,
    )
    p.add_argument("path", metavar="PATH", help="the database directory, or a backup directory")
    p.add_argument("--repair", action="store_true", help="rebuild what can be rebuilt")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_verify)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs one of these verbs (``python -m agentdb._cli_admin VERB ...``)."""
    parser = argparse.ArgumentParser(prog="agentdb", epilog=_EXIT_CODES)
    sub = parser.add_subparsers(dest="verb", required=True)
    register(sub)
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
