//! Checkpoints through the Zig layer (as tests/c/test_checkpoints.c): a branch, pending writes,
//! persistence. `std.testing.allocator` fails any test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");
const State = agentdb.state.State;

const testing = std.testing;
const gpa = testing.allocator;

/// A temporary directory holding a database path, removed by `deinit`.
const TempDb = @import("temp_db.zig").TempDb;

test "checkpoints, branches, pending writes, persistence" {
    var t = try TempDb.init();
    defer t.deinit();
    {
        var db = try agentdb.Database.open(t.path);
        defer db.deinit();
        const st = State.of(db);
        try st.putCheckpoint(.{ .thread_id = "t1", .checkpoint_id = "0001", .data = "root", .metadata_json = "{\"source\": \"input\"}", .type_tag = "msgpack" });
        try st.putCheckpoint(.{ .thread_id = "t1", .checkpoint_id = "0002", .data = "a", .parent_id = "0001", .metadata_json = "{\"source\": \"loop\"}" });
        try st.putCheckpoint(.{ .thread_id = "t1", .checkpoint_id = "0003", .data = "b", .parent_id = "0002" });
        try st.putCheckpoint(.{ .thread_id = "t1", .checkpoint_id = "0004", .data = "fork", .parent_id = "0002", .metadata_json = "{\"source\": \"loop\"}" });
        try st.putCheckpoint(.{ .thread_id = "t2", .checkpoint_id = "0005", .data = "" });

        var latest = try st.getCheckpoint(gpa, "t1", "", null);
        defer latest.deinit();
        try testing.expectEqual(@as(usize, 1), latest.items.len);
        try testing.expectEqualStrings("0004", latest.items[0].checkpoint_id);
        try testing.expectEqualStrings("0002", latest.items[0].parent_id.?);
        try testing.expectEqualStrings("fork", latest.items[0].data);

        var root = try st.getCheckpoint(gpa, "t1", "", "0001");
        defer root.deinit();
        try testing.expect(root.items[0].parent_id == null);
        try testing.expectEqualStrings("msgpack", root.items[0].type_tag);
        try testing.expectEqualStrings("{\"source\":\"input\"}", root.items[0].metadata_json);

        var all = try st.listCheckpoints(gpa, .{ .thread_id = "t1" });
        defer all.deinit();
        try testing.expectEqual(@as(usize, 4), all.items.len);
        try testing.expectEqualStrings("0001", all.items[3].checkpoint_id);
        var loop = try st.listCheckpoints(gpa, .{ .metadata_json = "{\"source\": \"loop\"}", .before = "0004", .limit = 5 });
        defer loop.deinit();
        try testing.expectEqual(@as(usize, 1), loop.items.len);
        try testing.expectEqualStrings("0002", loop.items[0].checkpoint_id);
        try testing.expectError(error.InvalidArgument, st.listCheckpoints(gpa, .{ .metadata_json = "[1]" }));

        try st.putWrites(gpa, "t1", "", "0004", "task", "p", &.{
            .{ .idx = 0, .channel = "messages", .type_tag = "json", .value = "a0" },
            .{ .idx = -1, .channel = "__error__", .value = "boom" },
        });
        try st.putWrites(gpa, "t1", "", "0004", "task", "p", &.{
            .{ .idx = 0, .channel = "messages", .value = "retry" },
            .{ .idx = -1, .channel = "__error__", .value = "boom2" },
        });
    }
    var db = try agentdb.Database.open(t.path);
    defer db.deinit();
    const st = State.of(db);
    var writes = try st.getWrites(gpa, "t1", "", "0004");
    defer writes.deinit();
    try testing.expectEqual(@as(usize, 2), writes.items.len);
    try testing.expectEqual(@as(i64, -1), writes.items[0].idx);
    try testing.expectEqualStrings("boom2", writes.items[0].value);
    try testing.expectEqualStrings("a0", writes.items[1].value);
    try testing.expectEqualStrings("json", writes.items[1].type_tag);
    try testing.expectEqualStrings("p", writes.items[1].task_path);

    try st.deleteThread("t1");
    var left = try st.listCheckpoints(gpa, .{});
    defer left.deinit();
    try testing.expectEqual(@as(usize, 1), left.items.len);
    try testing.expectEqualStrings("t2", left.items[0].thread_id);
}
