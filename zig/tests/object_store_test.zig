//! A database on an object store through the Zig layer: `Database.openUri` with
//! `ObjectStoreOptions`, a write flushed to the store and read back by a read-only handle
//! (`refresh`), and the writer lease (`error.DatabaseLocked` for a second writer from another
//! local directory). Runs against the S3 server `make test-zig` starts
//! (`tests/object_store_server.py run`, which sets `AGENTDB_TEST_S3_ENDPOINT` and
//! `AGENTDB_TEST_S3_BUCKET`); without them it fails and says so.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

const keys = [_][*:0]const u8{ "endpoint", "region", "access_key_id", "secret_access_key", "allow_http" };

test "openUri: write, flush, read back read-only; a second writer is locked out" {
    const endpoint = std.process.getEnvVarOwned(gpa, "AGENTDB_TEST_S3_ENDPOINT") catch {
        std.debug.print("no S3 server: run under tests/object_store_server.py run (make test-zig does)\n", .{});
        return error.NoS3Server;
    };
    defer gpa.free(endpoint);
    const bucket = try std.process.getEnvVarOwned(gpa, "AGENTDB_TEST_S3_BUCKET");
    defer gpa.free(bucket);
    const endpoint_z = try gpa.dupeZ(u8, endpoint);
    defer gpa.free(endpoint_z);
    const values = [_][*:0]const u8{ endpoint_z, "us-east-1", "testing", "testing", "true" };

    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    const base = try tmp.dir.realpathAlloc(gpa, ".");
    defer gpa.free(base);
    const wal_a = try std.fs.path.joinZ(gpa, &.{ base, "a" });
    defer gpa.free(wal_a);
    const wal_b = try std.fs.path.joinZ(gpa, &.{ base, "b" });
    defer gpa.free(wal_b);
    const uri = try std.fmt.allocPrintZ(gpa, "s3://{s}/zig-{d}", .{ bucket, std.time.nanoTimestamp() });
    defer gpa.free(uri);

    var db = try agentdb.Database.openUri(uri, .{}, .{ .keys = &keys, .values = &values, .wal_dir = wal_a });
    defer db.deinit();
    var col = try db.createCollection("c", .{ .dim = 2, .metric = .l2 });
    defer col.deinit();
    try col.add(gpa, .{ .ids = &.{ "a", "b" }, .vectors = &.{ 1, 0, 0, 1 }, .dim = 2 });
    try db.flush();

    // Another local directory is another machine to the lease.
    try testing.expectError(error.DatabaseLocked, agentdb.Database.openUri(uri, .{}, .{ .keys = &keys, .values = &values, .wal_dir = wal_b }));
    // Unequal option arrays are refused before the call.
    try testing.expectError(error.InvalidArgument, agentdb.Database.openUri(uri, .{}, .{ .keys = &keys, .values = values[0..2] }));

    var ro = try agentdb.Database.openUri(uri, .{ .read_only = true }, .{ .keys = &keys, .values = &values, .read_consistency_interval_ms = 60_000 });
    defer ro.deinit();
    var rc = try ro.openCollection("c");
    defer rc.deinit();
    try testing.expectEqual(@as(u64, 2), try rc.count(null));
    try col.add(gpa, .{ .ids = &.{"c"}, .vectors = &.{ 1, 1 }, .dim = 2 });
    try db.flush();
    try ro.refresh();
    try testing.expectEqual(@as(u64, 3), try rc.count(null));
    var r = try rc.search(gpa, &.{ 1, 1 }, .{ .k = 1 });
    defer r.deinit();
    try testing.expectEqualStrings("c", r.hits()[0].id);
    try testing.expectError(error.ReadOnly, rc.add(gpa, .{ .ids = &.{"d"}, .vectors = &.{ 0, 0 }, .dim = 2 }));
}
