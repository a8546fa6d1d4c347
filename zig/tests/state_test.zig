//! Agent state through the Zig layer (as tests/c/test_state.c): versions, history, time travel,
//! snapshots, tombstones, purge, TTL, and errors (of state and checkpoint calls). Checkpoints
//! are checkpoints_test.zig.
//! `std.testing.allocator` fails any test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");
const State = agentdb.state.State;

const testing = std.testing;
const gpa = testing.allocator;

/// A temporary directory holding a database path, removed by `deinit`.
const TempDb = @import("temp_db.zig").TempDb;

test "versions, history, time travel, snapshot, delete, purge" {
    var t = try TempDb.init();
    defer t.deinit();
    var db = try agentdb.Database.open(t.path);
    defer db.deinit();
    const st = State.of(db);

    try testing.expectEqual(@as(u64, 1), try st.put("agent", "s1", "plan", "{\"step\": 1}", .{}));
    try testing.expectEqual(@as(u64, 2), try st.put("agent", "s1", "plan", "{\"step\": 2}", .{}));
    try testing.expectEqual(@as(u64, 3), try st.put("agent", "s1", "plan", "\"three\"", .{}));

    var cur = try st.get(gpa, "agent", "s1", "plan", .latest);
    defer cur.deinit();
    try testing.expectEqual(@as(u64, 3), cur.one().?.version);
    try testing.expectEqualStrings("\"three\"", cur.one().?.value_json.?);

    var v1 = try st.get(gpa, "agent", "s1", "plan", .{ .version = 1 });
    defer v1.deinit();
    try testing.expectEqualStrings("{\"step\":1}", v1.one().?.value_json.?);

    var none = try st.get(gpa, "agent", "s1", "nope", .latest);
    defer none.deinit();
    try testing.expect(none.one() == null);

    var hist = try st.history(gpa, "agent", "s1", "plan", .{ .limit = 10 });
    defer hist.deinit();
    try testing.expectEqual(@as(usize, 3), hist.items.len);
    // The default options: every version (the C call's limit is literal; null is not 0).
    var all = try st.history(gpa, "agent", "s1", "plan", .{});
    defer all.deinit();
    try testing.expectEqual(@as(usize, 3), all.items.len);
    var paged = try st.history(gpa, "agent", "s1", "plan", .{ .offset = 2 });
    defer paged.deinit();
    try testing.expectEqual(@as(u64, 1), paged.items[0].version);
    try testing.expectEqual(@as(u64, 3), hist.items[0].version);
    try testing.expectEqual(@as(u64, 1), hist.items[2].version);
    try testing.expect(hist.items[0].written_at_us > hist.items[1].written_at_us);
    try testing.expect(hist.items[0].expires_at_us == null);

    const t2 = hist.items[1].written_at_us;
    var at = try st.get(gpa, "agent", "s1", "plan", .{ .time_us = t2 });
    defer at.deinit();
    try testing.expectEqual(@as(u64, 2), at.one().?.version);
    var before = try st.get(gpa, "agent", "s1", "plan", .{ .time_us = t2 - 1 });
    defer before.deinit();
    try testing.expectEqual(@as(u64, 1), before.one().?.version);

    try testing.expectEqual(@as(u64, 1), try st.put("agent", "s1", "extra", "[1, 2]", .{}));
    var snap = try st.snapshot(gpa, "agent", "s1", null);
    defer snap.deinit();
    try testing.expectEqual(@as(usize, 2), snap.items.len);
    try testing.expectEqualStrings("extra", snap.items[0].key);
    try testing.expectEqualStrings("[1,2]", snap.items[0].value_json);
    var then = try st.snapshot(gpa, "agent", "s1", t2);
    defer then.deinit();
    try testing.expectEqual(@as(usize, 1), then.items.len);
    try testing.expectEqualStrings("{\"step\":2}", then.items[0].value_json);
    var keys = try st.keys(gpa, "agent", "s1", null);
    defer keys.deinit();
    try testing.expectEqual(@as(usize, 2), keys.items.len);

    try testing.expectEqual(@as(u64, 4), try st.delete("agent", "s1", "plan"));
    try testing.expectEqual(@as(u64, 0), try st.delete("agent", "s1", "plan"));
    var tomb = try st.get(gpa, "agent", "s1", "plan", .latest);
    defer tomb.deinit();
    try testing.expect(tomb.one().?.deleted and tomb.one().?.value_json == null);

    var sessions = try st.sessions(gpa, "agent");
    defer sessions.deinit();
    try testing.expectEqual(@as(usize, 1), sessions.items.len);
    try testing.expectEqualStrings("s1", sessions.items[0]);

    const versions = try st.putMany(gpa, "agent", "s2", &.{ "a", "b" }, &.{ "1", "2" }, .{});
    defer gpa.free(versions);
    try testing.expectEqualSlices(u64, &.{ 1, 1 }, versions);

    try testing.expectEqual(@as(u64, 5), try st.purge("agent", "s1"));
    try testing.expectEqual(@as(u64, 2), try st.purge("agent", null));
}

test "ttl" {
    var t = try TempDb.init();
    defer t.deinit();
    var db = try agentdb.Database.open(t.path);
    defer db.deinit();
    const st = State.of(db);

    _ = try st.put("a", "s", "tmp", "1", .{ .ttl_seconds = 1.0 });
    var v = try st.get(gpa, "a", "s", "tmp", .latest);
    defer v.deinit();
    try testing.expectEqual(v.one().?.written_at_us + 1_000_000, v.one().?.expires_at_us.?);
    std.time.sleep(1200 * std.time.ns_per_ms);
    var gone = try st.get(gpa, "a", "s", "tmp", .latest);
    defer gone.deinit();
    try testing.expect(gone.one() == null);
    _ = try st.sweep();
    try testing.expectEqual(@as(u64, 0), try st.sweep());
    try st.setSessionTtl("a", "s", 60);
    try st.setSessionTtl("a", "s", null);
    try testing.expectError(error.InvalidArgument, st.put("a", "s", "k", "1", .{ .ttl_seconds = 0 }));
    try testing.expectError(error.InvalidArgument, st.setSessionTtl("a", "s", -1));
}

test "errors" {
    var t = try TempDb.init();
    defer t.deinit();
    var db = try agentdb.Database.open(t.path);
    defer db.deinit();
    const st = State.of(db);
    try testing.expectError(error.InvalidArgument, st.put("a", "s", "k", "{bad", .{}));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "value_json") != null);
    try testing.expectError(error.InvalidArgument, st.put("", "s", "k", "1", .{}));
    try testing.expectError(error.InvalidArgument, st.putMany(gpa, "a", "s", &.{"k"}, &.{}, .{}));
    try testing.expectError(error.InvalidArgument, st.putMany(gpa, "a", "s", &.{ "k", "k" }, &.{ "1", "2" }, .{}));
    try testing.expectError(error.InvalidArgument, st.putCheckpoint(.{ .thread_id = "", .checkpoint_id = "1", .data = "" }));
}
