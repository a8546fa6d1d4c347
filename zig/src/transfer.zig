//! Export and import of stores for Zig, over `agentdb_db_export_store` / `agentdb_db_import_store`:
//! the engine's JSONL files (one header line, one record per line), the same files Python and C
//! read and write.
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
};

fn take(allocator: Allocator, status: c.agentdb_status, report: ?*c.agentdb_report) AllocError![]u8 {
    defer _ = c.agentdb_report_free(report);
    try check(status);
    std.debug.assert(report != null);
    var p: [*c]const u8 = null;
    var len: usize = 0;
    try check(c.agentdb_report_get_text(report, &p, &len));
    return allocator.dupe(u8, agentdb.text(p, len));
}

/// Writes store `name` to the JSONL file `path`; returns the report JSON
/// (`{"kind","name","records"}`) in `allocator`'s memory.
pub fn exportStore(allocator: Allocator, db: agentdb.Database, name: [:0]const u8, kind: Kind, path: [:0]const u8) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return take(allocator, c.agentdb_db_export_store(db.handle, name.ptr, @intFromEnum(kind), path.ptr, null, null, &r), r);
}

/// Creates a store from the JSONL file `path`, named as in the file or `name`; all or nothing.
pub fn importStore(allocator: Allocator, db: agentdb.Database, path: [:0]const u8, name: ?[:0]const u8) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    const n: [*c]const u8 = if (name) |s| s.ptr else null;
    return take(allocator, c.agentdb_db_import_store(db.handle, path.ptr, n, null, null, &r), r);
}
