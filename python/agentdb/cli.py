"""``agentdb``: the command line of AgentDB (the ``[project.scripts]`` entry point).

Every verb takes the database directory first and prints for people by default (aligned tables;
a progress bar on long work when ``tqdm`` is installed); ``--json`` prints one JSON document for
scripts instead. Verbs that only read open the database read-only, so they work while an
application holds it open for writing.

Exit codes:
    0  done (``health``: the database is ``ok``)
    1  done, and it found a problem (``health``: ``degraded``; ``verify``: damage found)
    2  the command failed: bad arguments, no database there, an AgentDB error
    130 interrupted (Ctrl-C)

Verbs: ``info``, ``ls``, ``inspect``, ``stats``, ``health``, ``search``, ``compact``,
``export``, ``import``, ``metrics``, ``mcp``, plus those registered by :mod:`agentdb._cli_admin` (``backup``, ``restore``,
``verify``) when present. ``agentdb VERB --help`` describes each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np

from . import __version__
from .database import Database, connect
from .errors import AgentDBError, InvalidArgumentError

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


# -- output ------------------------------------------------------------------------------------

def human_bytes(n: Optional[float]) -> str:
    """``1536`` → ``"1.5 KiB"``."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover - the loop returns


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """Rows as left-aligned text columns (numbers right-aligned) under a header."""
    cells = [[str(h) for h in header]] + [["-" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(isinstance(r[i], (int, float)) for r in rows) and bool(rows) for i in range(len(header))]
    lines = []
    for j, r in enumerate(cells):
        parts = [c.rjust(w) if numeric[i] and j > 0 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def emit(args: argparse.Namespace, data: Any, human: Callable[[], str]) -> None:
    """Prints ``data`` as JSON with ``--json``, else what ``human()`` renders."""
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        print(human())


def progress(items: List[Any], desc: str, args: argparse.Namespace) -> Iterable[Any]:
    """``items`` with a progress bar on stderr for people (never with ``--json``)."""
    if args.json or len(items) < 2 or not sys.stderr.isatty():
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc, unit="store", file=sys.stderr)


# -- opening -------------------------------------------------------------------------------------

def open_db(path: str, *, write: bool = False, create: bool = False) -> Database:
    """Opens an existing database (read-only unless ``write``); a missing directory is an error
    here rather than a new, empty database, unless ``create``."""
    p = Path(path)
    if create:
        return connect(p)
    if not p.is_dir():
        raise InvalidArgumentError(f"no database at {path!r} (not a directory)")
    return connect(p, read_only=not write)


def find_store(db: Database, name: str) -> Dict[str, Any]:
    """The stats entry of the store the user named (the engine decides which store that is:
    :meth:`Database.store_kind`)."""
    kind = db.store_kind(name)
    return next(s for s in db.stats()["stores"] if s["name"] == name and s["kind"] == kind)


# -- verbs ---------------------------------------------------------------------------------------

def cmd_info(args: argparse.Namespace) -> int:
    with open_db(args.db) as db:
        s, h = db.stats(), db.health()
        by_kind: Dict[str, int] = {}
        for st in s["stores"]:
            by_kind[st["kind"]] = by_kind.get(st["kind"], 0) + 1
        data = {
            "agentdb_version": __version__,
            "path": s["path"],
            "stores": by_kind,
            "rows": s["rows"],
            "disk_bytes": s["disk_bytes"],
            "total_disk_bytes": s["total_disk_bytes"],
            "health": h["status"],
        }

        def human() -> str:
            kinds = ", ".join(f"{n} {k}" for k, n in by_kind.items()) or "none"
            return "\n".join([
                f"AgentDB {__version__} database at {s['path']}",
                f"  stores:     {kinds}",
                f"  rows:       {s['rows']}",
                f"  tables:     {human_bytes(s['disk_bytes'])}",
                f"  on disk:    {human_bytes(s['total_disk_bytes'])} (log and engine files included)",
                f"  health:     {h['status']}",
            ])

        emit(args, data, human)
    return EXIT_OK


def cmd_ls(args: argparse.Namespace) -> int:
    with open_db(args.db) as db:
        stores = db.stats()["stores"]
        if not args.all:
            stores = [s for s in stores if s["kind"] in ("collection", "memory", "rag")]
        rows = [
            [s["name"], s["kind"], s["table"]["rows"], s["table"]["fragments"], s["table"]["versions"], human_bytes(s["table"]["disk_bytes"])]
            for s in stores
        ]
        emit(args, stores, lambda: table(rows, ["name", "kind", "rows", "fragments", "versions", "size"]) if rows else "(no stores)")
    return EXIT_OK


def _collection_of(db: Database, store: Dict[str, Any]) -> Any:
    """The public collection of a user collection; for memory and RAG stores, their own object."""
    if store["kind"] == "collection":
        return db.get_collection(store["name"])
    if store["kind"] == "memory":
        return db.memory(store["name"])
    return db.get_rag(store["name"])


def cmd_inspect(args: argparse.Namespace) -> int:
    with open_db(args.db) as db:
        store = find_store(db, args.store)
        obj = _collection_of(db, store)
        data: Dict[str, Any] = {"name": store["name"], "kind": store["kind"], "table": store["table"]}
        sample: List[Dict[str, Any]] = []
        if store["kind"] == "collection":
            data.update(dim=obj.dim, metric=obj.metric, metadata_schema=obj.metadata_schema)
            data["index"] = None if obj.index is None else obj.index.to_dict()
            got = obj.get(limit=args.rows)
            for rid, vec, doc, meta in got:
                sample.append({"id": rid, "vector": [round(float(x), 4) for x in vec[:8]], "document": doc, "metadata": meta})
        elif store["kind"] == "memory":
            data.update(dim=obj.dim, metric=obj.metric, memories=obj.count())
        else:
            data.update(dim=obj.dim, metric=obj.metric, chunks=obj.count())
            for d in obj.documents()[: args.rows]:
                sample.append(dataclasses.asdict(d))
        data["sample"] = sample

        def human() -> str:
            lines = [f"{data['kind']} {data['name']!r}: dim {data['dim']}, metric {data['metric']}"]
            t = data["table"]
            lines.append(f"  rows {t['rows']}, fragments {t['fragments']}, version {t['version']} "
                         f"({t['versions']} kept), {human_bytes(t['disk_bytes'])}")
            if "metadata_schema" in data:
                schema = ", ".join(f"{k}: {v}" for k, v in data["metadata_schema"].items()) or "none"
                lines.append(f"  metadata: {schema}")
                lines.append(f"  index: {data['index'] or 'none (searches scan every row)'}")
            if sample:
                lines.append(f"  first {len(sample)}:")
                for row in sample:
                    text = json.dumps(row, default=str, ensure_ascii=False)
                    lines.append("    " + (text if len(text) <= 160 else text[:157] + "..."))
            return "\n".join(lines)

        emit(args, data, human)
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    with open_db(args.db) as db:
        if args.store:
            store = find_store(db, args.store)
            obj = _collection_of(db, store)
            data: Any = obj.stats()
            emit(args, data, lambda: json.dumps(data, indent=2, default=str))
            return EXIT_OK
        s = db.stats()

        def human() -> str:
            rows = [
                [st["name"], st["kind"], st["table"]["rows"], st["table"]["deleted_rows"], st["table"]["fragments"],
                 st["table"]["small_fragments"], st["table"]["versions"], human_bytes(st["table"]["disk_bytes"])]
                for st in s["stores"]
            ]
            head = [
                f"{s['path']}: {s['rows']} rows in {len(s['stores'])} tables, "
                f"{human_bytes(s['disk_bytes'])} ({human_bytes(s['total_disk_bytes'])} with the log and engine files)",
            ]
            return "\n".join(head + [table(rows, ["name", "kind", "rows", "deleted", "fragments", "small", "versions", "size"])])

        emit(args, s, human)
    return EXIT_OK


def cmd_health(args: argparse.Namespace) -> int:
    with open_db(args.db, write=args.write) as db:
        h = db.health()

        def human() -> str:
            lines = [f"{h['status']}: open {h['open']}, writable {h['writable']}, log replay {h['wal_replay']} "
                     f"({h['replayed_records']} records, {h['open_seconds']:.3f} s)"]
            if h["flusher_alive"] is not None:
                lines.append(f"  flusher alive: {h['flusher_alive']}")
            if h["consolidation_alive"] is not None:
                lines.append(f"  consolidation alive: {h['consolidation_alive']}")
            if h["last_error"]:
                e = h["last_error"]
                lines.append(f"  last error: {e['kind']} in {e['operation']}: {e['message']}")
            return "\n".join(lines)

        emit(args, h, human)
        return EXIT_OK if h["status"] == "ok" else EXIT_PROBLEM


def _parse_vector(text: str) -> np.ndarray:
    try:
        values = json.loads(text) if text.strip().startswith("[") else [float(x) for x in text.split(",") if x.strip()]
        return np.asarray(values, dtype=np.float32)
    except (ValueError, TypeError) as e:
        raise InvalidArgumentError(f"--vector: expected numbers separated by commas or a JSON list ({e})") from None


def cmd_search(args: argparse.Namespace) -> int:
    if (args.vector is None) == (args.text is None):
        raise InvalidArgumentError("give exactly one of --vector and --text")
    where = json.loads(args.where) if args.where else None
    with open_db(args.db) as db:
        store = find_store(db, args.store)
        embedder = None
        if args.text is not None and (args.embed or store["kind"] != "rag"):
            from .embed import default_embedder

            try:
                embedder = default_embedder()
            except ImportError as e:
                raise InvalidArgumentError(f"--text on a {store['kind']} needs an embedder: {e}") from None
        results: List[Dict[str, Any]] = []
        if store["kind"] == "collection":
            c = db.get_collection(store["name"])
            q = _parse_vector(args.vector) if args.vector is not None else embedder.embed_query(args.text)
            for hid, dist, doc, meta in c.search(q, k=args.k, where=where):
                results.append({"id": hid, "distance": float(dist), "document": doc, "metadata": meta})
        elif store["kind"] == "memory":
            m = db.memory(store["name"], embedder=embedder)
            q: Any = _parse_vector(args.vector) if args.vector is not None else args.text
            for hit in m.recall(q, k=args.k, where=where, touch=False):
                rec = hit.record
                results.append({"id": rec.id, "score": float(hit.score), "text": rec.text, "agent_id": rec.agent_id, "kind": rec.kind})
        else:
            r = db.get_rag(store["name"], embedder=embedder)
            if args.vector is not None:
                hits = r.search(None, k=args.k, mode="vector", query_vector=_parse_vector(args.vector), where=where)
            else:
                hits = r.search(args.text, k=args.k, mode=None if embedder else "text", where=where)
            for hit in hits:
                results.append({"id": hit.id, "score": float(hit.score), "doc_id": hit.doc_id, "text": hit.text})

        def human() -> str:
            if not results:
                return "(no hits)"
            cols = list(results[0].keys())
            rows = []
            for h in results:
                row = []
                for k in cols:
                    v = h[k]
                    if isinstance(v, float):
                        v = round(v, 4)
                    elif isinstance(v, (dict, list)):
                        v = json.dumps(v, default=str)
                    if isinstance(v, str) and len(v) > 60:
                        v = v[:57] + "..."
                    row.append(v)
                rows.append(row)
            return table(rows, cols)

        emit(args, results, human)
    return EXIT_OK


def cmd_compact(args: argparse.Namespace) -> int:
    with open_db(args.db, write=True) as db:
        before = {(s["kind"], s["name"]): s["table"] for s in db.stats()["stores"]}
        names = db.list_collections()
        for name in progress(names, "compacting", args):
            db.get_collection(name).optimize()
        db.optimize()  # the memory, RAG and state tables, and anything still open
        after = {(s["kind"], s["name"]): s["table"] for s in db.stats()["stores"]}
        data = [
            {"name": n, "kind": k, "fragments_before": before[(k, n)]["fragments"], "fragments_after": t["fragments"],
             "bytes_before": before[(k, n)]["disk_bytes"], "bytes_after": t["disk_bytes"]}
            for (k, n), t in after.items() if (k, n) in before
        ]
        rows = [[d["name"], d["kind"], f"{d['fragments_before']} -> {d['fragments_after']}",
                 f"{human_bytes(d['bytes_before'])} -> {human_bytes(d['bytes_after'])}"] for d in data]
        emit(args, data, lambda: table(rows, ["name", "kind", "fragments", "size"]) if rows else "(no stores)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    with open_db(args.db) as db:
        r = db.export_store(args.store, args.file, kind=args.kind, progress=not args.json)
        emit(args, r, lambda: f"exported {r['kind']} {r['name']!r}: {r['records']} records to {args.file}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    sources = [s for s in (args.file, args.lancedb, args.chroma) if s is not None]
    if len(sources) != 1:
        raise InvalidArgumentError("give one source: an export FILE, --lancedb URI --table TABLE, or --chroma DIR --collection NAME")
    if args.lancedb is not None and not args.table:
        raise InvalidArgumentError("--lancedb needs --table")
    if args.chroma is not None and not args.collection:
        raise InvalidArgumentError("--chroma needs --collection")
    with open_db(args.db, write=True, create=True) as db:
        if args.chroma is not None:
            r = db.import_chroma(args.chroma, args.collection, name=args.name, progress=not args.json)
            source = f"{args.chroma} collection {args.collection}"
        elif args.lancedb is not None:
            r = db.import_lancedb(
                args.lancedb, args.table, name=args.name, id_column=args.id_column, vector_column=args.vector_column,
                text_column=args.text_column, metadata_columns=args.metadata_columns, metric=args.metric,
                progress=not args.json,
            )
            source = f"{args.lancedb} table {args.table}"
        else:
            r = db.import_store(args.file, name=args.name, progress=not args.json)
            source = args.file
        emit(args, r, lambda: f"imported {r['kind']} {r['name']!r}: {r['records']} records from {source}")
    return EXIT_OK


def cmd_metrics(args: argparse.Namespace) -> int:
    from .ops import serve_metrics

    with open_db(args.db, write=args.write) as db:
        if args.port is None:
            text = db.metrics_text()
            if args.json:
                print(json.dumps({"metrics_text": text}))
            else:
                sys.stdout.write(text)
            return EXIT_OK
        server = serve_metrics(db, port=args.port, host=args.host)
        print(f"serving http://{server.host}:{server.port}/metrics (Ctrl-C stops)", file=sys.stderr, flush=True)
        try:
            server.wait()
        finally:
            server.close()
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from .integrations.mcp import serve
    except ImportError as e:
        raise InvalidArgumentError(f"{e} (the MCP server is the extra agentdb-embedded[mcp])") from None
    serve(args.db, read_only=args.read_only, embedder=args.embedder, http=args.http, host=args.host, port=args.port)
    return EXIT_OK


# -- the parser ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    parser = argparse.ArgumentParser(
        prog="agentdb",
        description="Inspect, search and maintain an AgentDB database.",
        epilog="Exit codes: 0 done, 1 a problem was found (health, verify), 2 the command failed, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"agentdb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="VERB", required=True)

    def verb(name: str, fn: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(handler=fn)
        return p

    p = verb("info", cmd_info, "What a database holds, in a few lines.")
    p.add_argument("db", metavar="PATH", help="the database directory")
    p = verb("ls", cmd_ls, "List the collections, memory stores and RAG stores.")
    p.add_argument("db", metavar="PATH")
    p.add_argument("--all", action="store_true", help="the agent state's and the engine's own tables too")
    p = verb("inspect", cmd_inspect, "A store's schema, index, figures and first rows.")
    p.add_argument("db", metavar="PATH")
    p.add_argument("store", metavar="STORE")
    p.add_argument("--rows", type=int, default=5, help="rows to show (default 5)")
    p = verb("stats", cmd_stats, "Rows, fragments, versions and bytes of every table (or of one store).")
    p.add_argument("db", metavar="PATH")
    p.add_argument("store", metavar="STORE", nargs="?")
    p = verb("health", cmd_health, "Whether the database can serve; exit code 1 when degraded.")
    p.add_argument("db", metavar="PATH")
    p.add_argument("--write", action="store_true", help="open for writing (checks the log replay and the flusher)")
    p = verb("search", cmd_search, "Search a collection, recall from a memory store, or retrieve from a RAG store.")
    p.add_argument("db", metavar="PATH")
    p.add_argument("store", metavar="STORE")
    p.add_argument("--vector", help="the query vector: numbers separated by commas, or a JSON list")
    p.add_argument("--text", help="the query text (RAG: full-text search unless --embed)")
    p.add_argument("--embed", action="store_true", help="embed --text with the default embedder (agentdb-embedded[embed])")
    p.add_argument("-k", "--k", type=int, default=None, help="how many hits (default: the engine's)")
    p.add_argument("--where", help="a metadata filter as JSON, e.g. '{\"lang\": \"en\"}'")
    p = verb("compact", cmd_compact, "Compact every store now (merge small fragments, drop deleted rows, prune old versions).")
    p.add_argument("db", metavar="PATH")
    p = verb("export", cmd_export, "Write a collection, memory store or RAG store to a JSONL or Parquet file (see agentdb.transfer).")
    p.add_argument("db", metavar="PATH")
    p.add_argument("store", metavar="STORE")
    p.add_argument("file", metavar="FILE", help="the file to write: Parquet if it ends in .parquet, else JSONL (replaced whole when complete)")
    p.add_argument("--kind", choices=["collection", "memory", "rag"], help="when stores of several kinds share the name")
    p = verb("import", cmd_import, "Create a store from an export (JSONL or Parquet), or a collection from a LanceDB table (the database is created if needed).")
    p.add_argument("db", metavar="PATH")
    p.add_argument("file", metavar="FILE", nargs="?", help="an export (JSONL or Parquet)")
    p.add_argument("--name", help="create the store under this name instead of the file's (or the table's)")
    p.add_argument("--lancedb", metavar="URI", help="import table --table of the LanceDB database at URI instead")
    p.add_argument("--table", help="the LanceDB table")
    p.add_argument("--chroma", metavar="DIR", help="import collection --collection of the Chroma PersistentClient directory DIR instead")
    p.add_argument("--collection", help="the Chroma collection")
    p.add_argument("--id-column", help="LanceDB: the id column (default id)")
    p.add_argument("--vector-column", help="LanceDB: the vector column (default vector)")
    p.add_argument("--text-column", help="LanceDB: the document column (default none)")
    p.add_argument("--metadata-column", dest="metadata_columns", action="append",
                   help="LanceDB: a column to keep as metadata (repeat; default every other column)")
    p.add_argument("--metric", help="LanceDB: the new collection's metric (default: the engine's)")
    p = verb("metrics", cmd_metrics, "Print the Prometheus metrics, or serve them on a loopback port.")
    p.add_argument("db", metavar="PATH", nargs="?")
    p.add_argument("--db", dest="db_opt", metavar="PATH", help="the database directory (instead of PATH)")
    p.add_argument("--port", type=int, help="serve http://HOST:PORT/metrics until interrupted (0: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1, loopback only)")
    p.add_argument("--write", action="store_true", help="open for writing (default read-only)")
    p = verb("mcp", cmd_mcp, "Serve the database to agents over MCP (stdio; --http for a loopback port). Needs agentdb-embedded[mcp].")
    p.add_argument("db", metavar="PATH", nargs="?")
    p.add_argument("--db", dest="db_opt", metavar="PATH", help="the database directory (instead of PATH; created if missing)")
    p.add_argument("--read-only", action="store_true", help="open read-only and expose only the read tools")
    p.add_argument("--embedder", choices=["auto", "default", "none"], default="auto",
                   help="for texts: auto (the default embedder when agentdb-embedded[embed] is installed), default, none")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="with --http: a loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="with --http: the port (default 8765)")

    try:
        from . import _cli_admin
    except ImportError:
        pass
    else:
        _cli_admin.register(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "db_opt", None):
        if args.db:
            parser.error("give the database once: PATH or --db PATH")
        args.db = args.db_opt
    if hasattr(args, "db_opt") and not args.db:
        parser.error("the database directory is required (PATH or --db PATH)")
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (AgentDBError, ValueError, OSError) as e:
        name = type(e).__name__
        if getattr(args, "json", False):
            print(json.dumps({"error": name, "message": str(e)}), file=sys.stderr)
        else:
            print(f"agentdb {args.command}: {name}: {e}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover - `python -m agentdb.cli`
    sys.exit(main())
