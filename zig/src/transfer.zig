//! Export and import of stores for Zig, over `agentdb_db_export_store` / `agentdb_db_import_store`:
//! the engine's JSONL files (one header line, one record per line) and Parquet files (a path
//! ending in `.parquet`), the same files Python and C read and write.
//!
//! ```zig
//! const out = try agentdb.transfer.exportStore(gpa, db, "docs", .any, "/tmp/docs.jsonl");
//! defer gpa.free(out);        // {"kind":"collection","name":"docs","records":2}
//! const in = try agentdb.transfer.importStore(gpa, other, "/tmp/docs.jsonl", "docs2");
//! defer gpa.free(in);
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

pub const Kind = enum(i32) {
    /// The one store of that name, whatever its kind.
    any = c.AGENTDB_STORE_ANY,
    collection = c.AGENTDB_STORE_COLLECTION,
    memory = c.AGENTDB_STORE_MEMORY,
    rag = c.AGENTDB_STORE_RAG,
    /// The database's agent state (name "state"; JSONL, or Parquet for a `.parquet` path: one
    /// row per operation).
    state = c.AGENTDB_STORE_STATE,
};

const take = agentdb.takeReport;

/// Writes store `name` to the file `path` (Parquet if it ends in `.parquet`, else JSONL); returns the report JSON
/// (`{"kind","name","records"}`) in `allocator`'s memory.
pub fn exportStore(allocator: Allocator, db: agentdb.Database, name: [:0]const u8, kind: Kind, path: [:0]const u8) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_db_export_store(db.handle, name.ptr, @intFromEnum(kind), path.ptr, null, null, &r), r);
}

/// Creates a store from the export `path` (JSONL or Parquet), named as in the file or `name`; all or nothing.
pub fn importStore(allocator: Allocator, db: agentdb.Database, path: [:0]const u8, name: ?[:0]const u8) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    const n: [*c]const u8 = if (name) |s| s.ptr else null;
    return take(allocator, c.agentdb_db_import_store(db.handle, path.ptr, n, null, null, &r), r);
}

/// How `importLanceTable` maps a LanceDB table's columns (null: the engine's defaults, `id` and
/// `vector`; no document; every other column as metadata).
pub const LanceColumns = struct {
    name: ?[:0]const u8 = null,
    id_column: ?[:0]const u8 = null,
    vector_column: ?[:0]const u8 = null,
    text_column: ?[:0]const u8 = null,
    metadata_columns: ?[]const [:0]const u8 = null,
    metric: agentdb.Metric = .cosine,
};

fn optPtr(s: ?[:0]const u8) [*c]const u8 {
    return if (s) |v| v.ptr else null;
}

/// Creates a collection from table `table` of the LanceDB database at `uri` (see
/// `agentdb_db_import_lance_table`); returns the report JSON. `allocator` also holds the column
/// list's C pointers during the call.
pub fn importLanceTable(allocator: Allocator, db: agentdb.Database, uri: [:0]const u8, table: [:0]const u8, cols: LanceColumns) AllocError![]u8 {
    const meta: ?[][*c]const u8 = if (cols.metadata_columns) |m| try agentdb.cStrings(allocator, m) else null;
    defer if (meta) |m| allocator.free(m);
    var r: ?*c.agentdb_report = null;
    const status = c.agentdb_db_import_lance_table(
        db.handle,
        uri.ptr,
        table.ptr,
        optPtr(cols.name),
        optPtr(cols.id_column),
        optPtr(cols.vector_column),
        optPtr(cols.text_column),
        if (meta) |m| m.ptr else null,
        if (meta) |m| m.len else 0,
        @intFromEnum(cols.metric),
        null,
        null,
        &r,
    );
    return take(allocator, status, r);
}

/// Creates collection `name` (null: the same name) from collection `collection` of the Chroma
/// `PersistentClient` directory `path`, read by the engine from Chroma's own files (see
/// `agentdb_db_import_chroma`); returns the report JSON. All or nothing: `error.CollectionNotFound`
/// for no such Chroma collection, `error.InvalidArgument` for a directory that is not Chroma's,
/// `error.Storage` for a damaged file.
pub fn importChroma(allocator: Allocator, db: agentdb.Database, path: [:0]const u8, collection: [:0]const u8, name: ?[:0]const u8) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_db_import_chroma(db.handle, path.ptr, collection.ptr, optPtr(name), null, null, &r), r);
}
