//! Bad lengths through the Zig layer: every length it passes to C is checked against the
//! limits (`agentdb.max_batch`, `max_k`, `max_dim`, `max_id_len`, `max_json_len`) and against the
//! slices it was given, and refused with a Zig error before anything is allocated or C is called
//! (so `lastError()` keeps the message of the last failing C call). The data written before is
//! unchanged after each refusal.
//!
//! Counts above `max_batch` are tested with slices that are longer than the memory behind them:
//! reading one entry past the first would crash, so each such test also proves the length is
//! checked before any entry is read.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;

/// A slice of `len` items over the one item at `one` (only its first entry may be read).
fn overlong(comptime T: type, one: *const T, len: usize) []const T {
    const many: [*]const T = @ptrCast(one);
    return many[0..len];
}

/// Makes a C call fail and returns a copy of its message (the caller frees it).
fn cFailure(db: agentdb.Database) ![]u8 {
    try testing.expectError(error.CollectionNotFound, db.openCollection("no_such_collection"));
    const msg = agentdb.lastError();
    try testing.expect(msg.len > 0);
    return gpa.dupe(u8, msg);
}

/// The message of the last failing C call is still `want`: no call reached C since.
fn expectNoCCall(want: []const u8) !void {
    try testing.expectEqualStrings(want, agentdb.lastError());
}

const two_ids = [_][:0]const u8{ "a", "b" };
const two_vecs = [_]f32{ 1, 0, 0, 0, 1, 0 };

fn expectTwoRecords(col: agentdb.Collection) !void {
    try testing.expectEqual(@as(u64, 2), try col.count(null));
    var got = try col.get(gpa, .{ .ids = &two_ids });
    defer got.deinit();
    try testing.expectEqual(@as(usize, 2), got.len());
    try testing.expectEqualSlices(f32, &two_vecs, got.vectors);
}

test "bounds: collection writes and reads refuse bad lengths before C" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try db.createCollection("docs", .{ .dim = 3, .metric = .l2 });
    defer col.deinit();
    try col.add(gpa, .{ .ids = &two_ids, .vectors = &two_vecs, .dim = 3 });

    const msg = try cFailure(db);
    defer gpa.free(msg);

    // ids.len * dim overflowing usize: an integer-overflow panic before the check existed.
    try testing.expectError(error.DimensionMismatch, col.add(gpa, .{ .ids = &two_ids, .vectors = &two_vecs, .dim = std.math.maxInt(usize) }));
    try testing.expectError(error.DimensionMismatch, col.upsert(gpa, .{ .ids = &two_ids, .vectors = &two_vecs, .dim = agentdb.max_dim + 1 }));
    try testing.expectError(error.InvalidArgument, col.upsert(gpa, .{ .ids = &two_ids, .vectors = &.{}, .dim = 0 }));
    try testing.expectError(error.InvalidArgument, col.upsert(gpa, .{ .ids = &two_ids, .vectors = two_vecs[0..5], .dim = 3 }));
    try testing.expectError(error.InvalidArgument, col.upsert(gpa, .{ .ids = &two_ids, .vectors = &two_vecs, .dim = 3, .documents = &.{"only one"} }));
    // More ids than max_batch, over one real id: refused before any id is read.
    const many_ids = overlong([:0]const u8, &two_ids[0], agentdb.max_batch + 1);
    try testing.expectError(error.InvalidArgument, col.upsert(gpa, .{ .ids = many_ids, .vectors = &.{}, .dim = 3 }));
    try testing.expectError(error.InvalidArgument, col.get(gpa, .{ .ids = many_ids }));
    try testing.expectError(error.InvalidArgument, col.delete(gpa, many_ids, null));
    // An id past max_id_len.
    const long_id = try gpa.allocSentinel(u8, agentdb.max_id_len + 1, 0);
    defer gpa.free(long_id);
    @memset(long_id, 'x');
    try testing.expectError(error.InvalidArgument, col.add(gpa, .{ .ids = &.{long_id}, .vectors = two_vecs[0..3], .dim = 3 }));
    // k and the query dimension.
    try testing.expectError(error.InvalidArgument, col.search(gpa, two_vecs[0..3], .{ .k = 0 }));
    try testing.expectError(error.InvalidArgument, col.search(gpa, two_vecs[0..3], .{ .k = agentdb.max_k + 1 }));
    try testing.expectError(error.InvalidArgument, col.search(gpa, two_vecs[0..3], .{ .k = std.math.maxInt(usize) }));
    const wide = try gpa.alloc(f32, agentdb.max_dim + 1);
    defer gpa.free(wide);
    @memset(wide, 1);
    try testing.expectError(error.DimensionMismatch, col.search(gpa, wide, .{ .k = 1 }));
    try testing.expectError(error.DimensionMismatch, col.searchBatch(gpa, .{ .values = wide, .dim = agentdb.max_dim + 1 }, .{ .k = 1 }));
    try testing.expectError(error.DimensionMismatch, col.searchBatch(gpa, .{ .values = &two_vecs, .dim = std.math.maxInt(usize) }, .{ .k = 1 }));
    try testing.expectError(error.InvalidArgument, col.searchBatch(gpa, .{ .values = &two_vecs, .dim = 0 }, .{ .k = 1 }));
    try testing.expectError(error.InvalidArgument, col.searchBatch(gpa, .{ .values = two_vecs[0..5], .dim = 3 }, .{ .k = 1 }));
    try testing.expectError(error.InvalidArgument, col.searchBatch(gpa, .{ .values = &two_vecs, .dim = 3 }, .{ .k = agentdb.max_k + 1 }));
    try expectNoCCall(msg);

    // The limits themselves pass through to C (which answers for the data).
    var hits = try col.searchBatch(gpa, .{ .values = &two_vecs, .dim = 3 }, .{ .k = agentdb.max_k });
    defer hits.deinit();
    try testing.expectEqual(@as(usize, 2), hits.queries.len);
    try testing.expectEqualStrings("b", hits.queries[1][0].id);
    try expectTwoRecords(col);
}

test "bounds: memory refuses bad lengths and metadata that is not one object" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var m = try agentdb.memory.Memory.openOrCreate(db, "mem", .{ .dim = 2, .metric = .cosine });
    defer m.deinit();
    {
        var ids = try m.remember(gpa, .{ .agent_id = "ann" }, &.{ .{ .id = "m1", .metadata_json = "{\"a\": 1}" }, .{ .id = "m2", .metadata_json = " null " } }, &.{ 1, 0, 0, 1 });
        defer ids.deinit();
        try testing.expectEqual(@as(usize, 2), ids.items.len);
    }
    const msg = try cFailure(db);
    defer gpa.free(msg);

    const B = agentdb.memory.Batch{ .agent_id = "ann" };
    const vec = [_]f32{ 1, 0, 0, 1 };
    try testing.expectError(error.InvalidArgument, m.remember(gpa, B, &.{}, &.{}));
    try testing.expectError(error.InvalidArgument, m.remember(gpa, B, &.{ .{}, .{} }, vec[0..3]));
    try testing.expectError(error.InvalidArgument, m.remember(gpa, B, &.{ .{}, .{} }, &.{}));
    // One item's metadata standing for two entries of the joined array, or not an object.
    for ([_][]const u8{ "{\"a\": 1}, {\"b\": 2}", "{\"a\": 1}]", "[{\"a\": 1}]", "1", "\"text\"", "", "{\"a\": 1} x", "nul" }) |bad| {
        try testing.expectError(error.InvalidMetadata, m.remember(gpa, B, &.{ .{ .metadata_json = bad }, .{} }, &vec));
    }
    const one_item = agentdb.memory.Item{};
    const many_items = overlong(agentdb.memory.Item, &one_item, agentdb.max_batch + 1);
    try testing.expectError(error.InvalidArgument, m.remember(gpa, B, many_items, &vec));
    const one_id: [:0]const u8 = "m1";
    const many_ids = overlong([:0]const u8, &one_id, agentdb.max_batch + 1);
    try testing.expectError(error.InvalidArgument, m.get(gpa, many_ids));
    try testing.expectError(error.InvalidArgument, m.forget(gpa, many_ids, .{}));
    const long_id = try gpa.allocSentinel(u8, agentdb.max_id_len + 1, 0);
    defer gpa.free(long_id);
    @memset(long_id, 'x');
    try testing.expectError(error.InvalidArgument, m.remember(gpa, B, &.{.{ .id = long_id }}, vec[0..2]));
    // k, candidates, dimensions.
    try testing.expectError(error.InvalidArgument, m.recall(gpa, vec[0..2], .{ .k = agentdb.max_k + 1 }));
    try testing.expectError(error.InvalidArgument, m.recall(gpa, vec[0..2], .{ .k = 1, .candidates = agentdb.max_k + 1 }));
    const wide = try gpa.alloc(f32, agentdb.max_dim + 1);
    defer gpa.free(wide);
    @memset(wide, 1);
    try testing.expectError(error.DimensionMismatch, m.recall(gpa, wide, .{ .k = 1 }));
    try testing.expectError(error.DimensionMismatch, m.update("m1", .{ .vector = wide }));
    try testing.expectError(error.DimensionMismatch, m.remember(gpa, B, &.{.{}}, wide));
    try expectNoCCall(msg);

    try testing.expectEqual(@as(u64, 2), try m.count(.{}));
    var got = try m.get(gpa, &.{ "m1", "m2" });
    defer got.deinit();
    try testing.expectEqual(@as(usize, 2), got.items.len);
    try testing.expectEqualStrings("{\"a\":1}", got.items[0].metadata_json);
    try testing.expectEqualStrings("{}", got.items[1].metadata_json);
}

fn embed4(_: ?*anyopaque, texts: [*c]const [*c]const u8, n: usize, dim: usize, out: [*c]f32) callconv(.c) i32 {
    if (dim != 4) return 1;
    for (0..n) |i| {
        const row = out[i * dim .. (i + 1) * dim];
        row[0] = 1;
        row[1] = @floatFromInt(std.mem.len(texts[i]));
        row[2] = 0;
        row[3] = 0;
    }
    return 0;
}

test "bounds: state and RAG refuse bad lengths before C" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    const st = agentdb.state.State.of(db);
    const versions = try st.putMany(gpa, "agent", "s", &.{ "a", "b" }, &.{ "1", "2" }, .{});
    gpa.free(versions);
    var rag = try agentdb.rag.Rag.openOrCreate(db, "kb", .{ .dim = 4, .metric = .cosine });
    defer rag.deinit();
    _ = try rag.ingest(gpa, &.{.{ .id = "d1", .text = "The first document." }}, .{}, embed4, null);
    const msg = try cFailure(db);
    defer gpa.free(msg);

    const one: [:0]const u8 = "a";
    const many = overlong([:0]const u8, &one, agentdb.max_batch + 1);
    try testing.expectError(error.InvalidArgument, st.putMany(gpa, "agent", "s", many, many, .{}));
    try testing.expectError(error.InvalidArgument, st.putMany(gpa, "agent", "s", &.{ "a", "b" }, &.{"1"}, .{}));
    const w = agentdb.state.WriteIn{ .idx = 0, .channel = "c", .value = "v" };
    try testing.expectError(error.InvalidArgument, st.putWrites(gpa, "t", "", "c1", "task", "", overlong(agentdb.state.WriteIn, &w, agentdb.max_batch + 1)));
    const d = agentdb.rag.Document{ .id = "d2", .text = "x" };
    try testing.expectError(error.InvalidArgument, rag.ingest(gpa, overlong(agentdb.rag.Document, &d, agentdb.max_batch + 1), .{}, embed4, null));
    try testing.expectError(error.InvalidArgument, rag.delete(gpa, many));
    const q = [_]f32{ 1, 1, 0, 0 };
    try testing.expectError(error.InvalidArgument, rag.search(gpa, null, &q, .{ .mode = .vector, .k = agentdb.max_k + 1 }));
    try testing.expectError(error.InvalidArgument, rag.context(gpa, null, &q, .{ .max_tokens = 100, .retrieval = .{ .mode = .vector, .k = 0 } }));
    const wide = try gpa.alloc(f32, agentdb.max_dim + 1);
    defer gpa.free(wide);
    @memset(wide, 1);
    try testing.expectError(error.DimensionMismatch, rag.search(gpa, null, wide, .{ .mode = .vector }));
    try expectNoCCall(msg);

    var snap = try st.snapshot(gpa, "agent", "s", null);
    defer snap.deinit();
    try testing.expectEqual(@as(usize, 2), snap.items.len);
    var hits = try rag.search(gpa, null, &q, .{ .mode = .vector });
    defer hits.deinit();
    try testing.expectEqual(@as(usize, 1), hits.items.len);
    try testing.expectEqualStrings("d1", hits.items[0].doc_id);
}
