//! A small AgentDB program in Zig: store a few vectors with documents and metadata, then search.
//!
//!   cd zig && python -m ziglang build example && ./zig-out/bin/agentdb-example /tmp/zig-demo-db
const std = @import("std");
const agentdb = @import("agentdb");

pub fn main() !void {
    var gpa_state: std.heap.GeneralPurposeAllocator(.{}) = .init;
    defer _ = gpa_state.deinit();
    const gpa = gpa_state.allocator();

    const args = try std.process.argsAlloc(gpa);
    defer std.process.argsFree(gpa, args);
    const path: [:0]const u8 = if (args.len > 1) args[1] else "/tmp/agentdb-zig-example";

    var db = agentdb.Database.open(path) catch |err| {
        std.debug.print("open {s}: {s}: {s}\n", .{ path, @errorName(err), agentdb.lastError() });
        return err;
    };
    defer db.deinit();
    var notes = try db.openOrCreateCollection("notes", .{ .dim = 3, .metric = .cosine });
    defer notes.deinit();

    try notes.upsert(gpa, .{
        .ids = &.{ "n1", "n2", "n3" },
        .vectors = &.{ 0.9, 0.1, 0.0, 0.1, 0.9, 0.0, 0.0, 0.2, 0.9 },
        .dim = 3,
        .documents = &.{ "buy milk", "call the plumber", "book flights" },
        .metadata_json =
        \\[{"topic": "shopping"}, {"topic": "house"}, {"topic": "travel", "year": 2025}]
        ,
    });

    var results = try notes.search(gpa, &.{ 1.0, 0.2, 0.0 }, .{ .k = 2, .filter = .{ .json = "{\"topic\": {\"$ne\": \"travel\"}}" } });
    defer results.deinit();
    const out = std.io.getStdOut().writer();
    try out.print("agentdb {s}: {d} notes; nearest to (1, 0.2, 0) outside travel:\n", .{ agentdb.version(), try notes.count(null) });
    for (results.hits()) |hit| {
        try out.print("  {s}  {d:.4}  {s}  {s}\n", .{ hit.id, hit.distance, hit.document orelse "-", hit.metadata_json });
    }
}
