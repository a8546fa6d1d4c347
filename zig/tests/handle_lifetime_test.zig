//! Handle lifetimes through the Zig layer. `Database.deinit` closes the database (as
//! `agentdb_db_close` does in C): a memory store or RAG opened from it then fails with
//! `error.Closed`, is still freed by its own `deinit`, and the database is closed for real (a new
//! writer opens it and finds everything written). Also: what `remember` is not given (kind,
//! importance) is the engine's default.
const std = @import("std");
const agentdb = @import("agentdb");
const Memory = agentdb.memory.Memory;
const Rag = agentdb.rag.Rag;
const State = agentdb.state.State;

const testing = std.testing;
const gpa = testing.allocator;

const TempDb = @import("temp_db.zig").TempDb;

const DIM = 4;

fn embed(_: ?*anyopaque, _: [*c]const [*c]const u8, n: usize, dim: usize, out: [*c]f32) callconv(.c) i32 {
    for (0..n * dim) |i| out[i] = if (i % dim == 0) 1 else 0;
    return 0;
}

const docs = [_]agentdb.rag.Document{.{ .id = "doc", .text = "One short paragraph about refunds." }};

test "handles: memory and RAG report error.Closed after Database.deinit, and the database is closed" {
    var t = try TempDb.init();
    defer t.deinit();

    var db = try agentdb.Database.open(t.path);
    var m = try Memory.openOrCreate(db, "mem", .{ .dim = DIM, .metric = .cosine });
    var rag = try Rag.openOrCreate(db, "kb", .{ .dim = DIM, .metric = .cosine });
    var ids = try m.remember(gpa, .{ .agent_id = "ann" }, &.{.{ .id = "m1" }}, &.{ 1, 0, 0, 0 });
    ids.deinit();
    _ = try rag.ingest(gpa, &docs, .{}, &embed, null);
    const st = State.of(db);
    _ = try st.put("ann", "s", "k", "1", .{});

    db.deinit();
    try testing.expectError(error.Closed, m.count(.{}));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "closed") != null);
    try testing.expectError(error.Closed, m.remember(gpa, .{ .agent_id = "ann" }, &.{.{}}, &.{ 1, 0, 0, 0 }));
    try testing.expectError(error.Closed, rag.ingest(gpa, &docs, .{ .force = true }, &embed, null));
    try testing.expectError(error.InvalidHandle, st.put("ann", "s", "k", "2", .{}));

    // Closed for real: a new writer opens it and finds the memory and the state.
    var again = try agentdb.Database.open(t.path);
    defer again.deinit();
    var m2 = try Memory.open(again, "mem");
    defer m2.deinit();
    try testing.expectEqual(@as(u64, 1), try m2.count(.{}));
    var v = try State.of(again).get(gpa, "ann", "s", "k", .latest);
    defer v.deinit();
    try testing.expectEqual(@as(u64, 1), v.one().?.version);

    // The old handles are freed after their database, as usual.
    m.deinit();
    rag.deinit();
}

test "handles: remember leaves kind and importance not given to the engine" {
    var t = try TempDb.init();
    defer t.deinit();
    var db = try agentdb.Database.open(t.path);
    defer db.deinit();
    var m = try Memory.openOrCreate(db, "mem", .{ .dim = DIM, .metric = .cosine });
    defer m.deinit();
    var ids = try m.remember(gpa, .{ .agent_id = "ann" }, &.{ .{ .id = "a" }, .{ .id = "b", .importance = 0.9 } }, &.{ 1, 0, 0, 0, 0, 1, 0, 0 });
    ids.deinit();
    var got = try m.get(gpa, &.{ "a", "b" });
    defer got.deinit();
    try testing.expectEqual(@as(usize, 2), got.items.len);
    try testing.expectEqual(agentdb.memory.Kind.episodic, got.items[0].kind);
    try testing.expectEqual(@as(f64, 0.5), got.items[0].importance);
    try testing.expectEqual(@as(f64, 0.9), got.items[1].importance);
}
