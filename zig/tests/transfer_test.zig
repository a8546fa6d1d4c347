//! Export and import through the Zig layer: a collection round-trips into another database, an
//! existing store is refused, a missing store is not found. `std.testing.allocator` fails any
//! test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");
const transfer = agentdb.transfer;

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;

test "transfer: a collection round-trips through a JSONL file" {
    try roundTrip("docs.jsonl");
}

test "transfer: a collection round-trips through a Parquet file" {
    try roundTrip("docs.parquet");
}

/// Export to `name` (its extension picks the encoding), import into another database, search.
fn roundTrip(name: []const u8) !void {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    const base = std.fs.path.dirname(tmp.path).?;
    const file = try std.fs.path.joinZ(gpa, &.{ base, name });
    defer gpa.free(file);
    const other_path = try std.fs.path.joinZ(gpa, &.{ base, "other" });
    defer gpa.free(other_path);

    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var coll = try db.openOrCreateCollection("docs", .{ .dim = 2, .metric = .l2 });
    defer coll.deinit();
    try coll.add(gpa, .{ .ids = &.{ "a", "b" }, .vectors = &.{ 0.1, 0.2, 1.0 / 3.0, -4 }, .dim = 2 });
    const out = try transfer.exportStore(gpa, db, "docs", .any, file);
    defer gpa.free(out);
    try testing.expect(std.mem.indexOf(u8, out, "\"records\":2") != null);
    try testing.expectError(error.CollectionNotFound, transfer.exportStore(gpa, db, "nope", .collection, file));

    var other = try agentdb.Database.open(other_path);
    defer other.deinit();
    const in = try transfer.importStore(gpa, other, file, "copy");
    defer gpa.free(in);
    try testing.expect(std.mem.indexOf(u8, in, "\"name\":\"copy\"") != null);
    try testing.expectError(error.CollectionExists, transfer.importStore(gpa, other, file, "copy"));
    var copy = try other.openCollection("copy");
    defer copy.deinit();
    var hits = try copy.search(gpa, &.{ 0.1, 0.2 }, .{ .k = 1 });
    defer hits.deinit();
    try testing.expectEqualStrings("a", hits.hits()[0].id);
    try testing.expectEqual(@as(f32, 0), hits.hits()[0].distance);
}

test "transfer: a LanceDB table (an AgentDB collection's) becomes a collection" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    const base = std.fs.path.dirname(tmp.path).?;
    const other_path = try std.fs.path.joinZ(gpa, &.{ base, "other" });
    defer gpa.free(other_path);
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var coll = try db.openOrCreateCollection("docs", .{ .dim = 2, .metric = .l2 });
        defer coll.deinit();
        try coll.add(gpa, .{ .ids = &.{ "a", "b" }, .vectors = &.{ 1, 0, 0, 1 }, .dim = 2, .metadata_json = "[{\"k\": 1}, {\"k\": 2}]" });
    }
    var other = try agentdb.Database.open(other_path);
    defer other.deinit();
    const r = try transfer.importLanceTable(gpa, other, tmp.path, "docs", .{ .text_column = "document", .metadata_columns = &.{"k"}, .metric = .l2 });
    defer gpa.free(r);
    try testing.expect(std.mem.indexOf(u8, r, "\"records\":2") != null);
    try testing.expectError(error.CollectionNotFound, transfer.importLanceTable(gpa, other, tmp.path, "nope", .{}));
}

test "transfer: the agent state round-trips through a JSONL file" {
    try stateRoundTrip("state.jsonl");
}

test "transfer: the agent state round-trips through a Parquet file" {
    try stateRoundTrip("state.parquet");
}

/// The agent state (two versions of a key, a checkpoint with a binary payload) exported to `name`
/// (its extension picks the encoding) and imported into an empty database.
fn stateRoundTrip(name: []const u8) !void {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    const base = std.fs.path.dirname(tmp.path).?;
    const file = try std.fs.path.joinZ(gpa, &.{ base, name });
    defer gpa.free(file);
    const other_path = try std.fs.path.joinZ(gpa, &.{ base, "state-other" });
    defer gpa.free(other_path);
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    const st = agentdb.state.State.of(db);
    _ = try st.put("ann", "s1", "plan", "{\"step\":1}", .{});
    _ = try st.put("ann", "s1", "plan", "{\"step\":2}", .{});
    const payload = "\x00\x01\xff binary \x00";
    try st.putCheckpoint(.{ .thread_id = "t1", .checkpoint_id = "c1", .data = payload, .type_tag = "msgpack" });
    const out = try transfer.exportStore(gpa, db, "state", .state, file);
    defer gpa.free(out);
    try testing.expect(std.mem.indexOf(u8, out, "\"records\":3") != null);

    var other = try agentdb.Database.open(other_path);
    defer other.deinit();
    const in = try transfer.importStore(gpa, other, file, null);
    defer gpa.free(in);
    try testing.expect(std.mem.indexOf(u8, in, "\"kind\":\"state\"") != null);
    try testing.expectError(error.CollectionExists, transfer.importStore(gpa, other, file, null));
    var hist = try agentdb.state.State.of(other).history(gpa, "ann", "s1", "plan", .{});
    defer hist.deinit();
    try testing.expectEqual(@as(usize, 2), hist.items.len);
    var cp = try agentdb.state.State.of(other).getCheckpoint(gpa, "t1", "", "c1");
    defer cp.deinit();
    try testing.expectEqual(@as(usize, 1), cp.items.len);
    try testing.expectEqualStrings(payload, cp.items[0].data);
    try testing.expectEqualStrings("msgpack", cp.items[0].type_tag);
}

test "transfer: a Chroma directory becomes a collection, read without Python" {
    // tests/fixtures/chroma (made by tests/fixtures/make_chroma_fixture.py), from zig/ where
    // `zig build test` runs: 149 records, r0..r99's vectors in Chroma's HNSW segment files,
    // r100..r149's only in its log, r3 deleted, r4 updated.
    const fixture = "../tests/fixtures/chroma";
    try std.fs.cwd().access(fixture ++ "/chroma.sqlite3", .{});
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    const r = try transfer.importChroma(gpa, db, fixture, "fixture", null);
    defer gpa.free(r);
    try testing.expect(std.mem.indexOf(u8, r, "\"records\":149") != null);
    try testing.expectError(error.CollectionExists, transfer.importChroma(gpa, db, fixture, "fixture", null));
    try testing.expectError(error.CollectionNotFound, transfer.importChroma(gpa, db, fixture, "nope", "x"));
    try testing.expectError(error.InvalidArgument, transfer.importChroma(gpa, db, tmp.path, "fixture", "y"));
    var coll = try db.openCollection("fixture");
    defer coll.deinit();
    var got = try coll.get(gpa, .{ .ids = &.{ "r4", "r3", "r120" } });
    defer got.deinit();
    try testing.expectEqual(@as(usize, 2), got.len());
    try testing.expectEqualSlices(f32, &.{ 4, 4, 4 }, got.vector(0));
    try testing.expectEqualSlices(f32, &.{ 120, 60, -120 }, got.vector(1));
    try testing.expectEqualStrings("doc 120", got.documents[1].?);
    try testing.expectEqualStrings("{\"even\":true,\"i\":4,\"tag\":\"u\"}", got.metadata_json[0]);
}
