//! The collection tests (as the C suite's tests/c/test_collection.c): a database, its collections,
//! writes, reads and bad input, through the Zig layer against a real database in a temporary
//! directory. `std.testing.allocator` fails any test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

/// A temporary directory holding a database path, removed by `deinit`.
const TempDb = @import("temp_db.zig").TempDb;

const fx = @import("collection_fixture.zig");
const ids = fx.ids;
const vecs = fx.vecs;
const docs = fx.docs;
const meta = fx.meta;
const fixture = fx.fixture;
const expectHit = fx.expectHit;

test "version" {
    try testing.expect(agentdb.version().len >= 5);
    try testing.expect(std.ascii.isDigit(agentdb.version()[0]));
}

test "write, search, reopen" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var col = try fixture(db);
        defer col.deinit();

        try testing.expectEqualStrings("docs", try col.name());
        try testing.expectEqual(@as(usize, 3), try col.dim());
        try testing.expectEqual(agentdb.Metric.l2, try col.metric());
        try testing.expectEqual(@as(u64, 4), try col.count(null));
        try testing.expectEqual(@as(u64, 3), try col.count(.{ .sql = "lang = 'en'" }));
        try testing.expectEqual(@as(u64, 2), try col.count(.{ .json = "{\"year\": {\"$gte\": 2021}}" }));

        {
            var r = try col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 2 });
            defer r.deinit();
            try testing.expectEqual(@as(usize, 2), r.hits().len);
            try expectHit(r.hits()[0], "a", 0);
            try expectHit(r.hits()[1], "d", 1);
            try testing.expectEqualStrings("alpha", r.hits()[0].document.?);
            try testing.expect(std.mem.indexOf(u8, r.hits()[1].metadata_json, "\"year\":2019") != null);
            try testing.expect(std.mem.indexOf(u8, r.hits()[1].metadata_json, "{\"$datetime\":\"2024-05-01T12:00:00") != null);
        }
        {
            var r = try col.search(gpa, &.{ 0, 0, 1 }, .{ .k = 10 });
            defer r.deinit();
            try testing.expectEqual(@as(usize, 4), r.hits().len);
            try expectHit(r.hits()[0], "c", 0);
            try testing.expect(r.hits()[0].document == null);
        }
        {
            var r = try col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 10, .filter = .{ .json = "{\"lang\": \"en\", \"year\": {\"$lt\": 2021}}" } });
            defer r.deinit();
            try testing.expectEqual(@as(usize, 2), r.hits().len);
            try expectHit(r.hits()[0], "a", 0);
            try expectHit(r.hits()[1], "d", 1);
        }
        {
            var r = try col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 10, .filter = .{ .json = "{\"lang\": \"x' OR 1=1 --\"}" } });
            defer r.deinit();
            try testing.expectEqual(@as(usize, 0), r.hits().len);
        }
        {
            var r = try col.searchBatch(gpa, .{ .values = &.{ 1, 0, 0, 0, 0.9, 0.1 }, .dim = 3 }, .{ .k = 1 });
            defer r.deinit();
            try testing.expectEqual(@as(usize, 2), r.queries.len);
            try expectHit(r.queries[0][0], "a", 0);
            try expectHit(r.queries[1][0], "b", 0.02);
        }
        {
            var got = try col.get(gpa, .{ .ids = &.{ "c", "zz", "a" } });
            defer got.deinit();
            try testing.expectEqual(@as(usize, 2), got.len());
            try testing.expectEqualStrings("c", got.ids[0]);
            try testing.expectEqualStrings("a", got.ids[1]);
            try testing.expectEqualSlices(f32, &.{ 0, 0, 1 }, got.vector(0));
            try testing.expectEqualStrings("alpha", got.documents[1].?);
            try testing.expect(std.mem.indexOf(u8, got.metadata_json[0], "\"tags\":[\"x\",\"y\"]") != null);
            try testing.expect(got.updated_at[0] >= got.created_at[0]);
        }
        {
            var got = try col.get(gpa, .{ .filter = .{ .sql = "lang = 'en'" }, .limit = 2 });
            defer got.deinit();
            try testing.expectEqual(@as(usize, 2), got.len());
        }
        // Upsert replaces a and adds e.
        try col.upsert(gpa, .{
            .ids = &.{ "a", "e" },
            .vectors = &.{ 0, 1, 1, 1.5, 0, 0 },
            .dim = 3,
            .documents = &.{ "alpha v2", "echo" },
            .metadata_json = "[{\"lang\": \"de\"}, null]",
        });
        try testing.expectEqual(@as(u64, 5), try col.count(null));
        {
            var r = try col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 2 });
            defer r.deinit();
            try expectHit(r.hits()[0], "e", 0.25);
            try expectHit(r.hits()[1], "d", 1);
        }
        try testing.expectEqual(@as(u64, 1), try col.delete(gpa, &.{ "b", "nope" }, null));
        try testing.expectEqual(@as(u64, 1), try col.delete(gpa, null, .{ .sql = "year < 2020" }));
        try testing.expectEqual(@as(u64, 3), try col.count(null));
    }
    // Reopen: exactly what was committed.
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    {
        var names = try db.listCollections(gpa);
        defer names.deinit();
        try testing.expectEqual(@as(usize, 1), names.items.len);
        try testing.expectEqualStrings("docs", names.items[0]);
    }
    {
        var col = try db.openCollection("docs");
        defer col.deinit();
        var r = try col.search(gpa, &.{ 0, 1, 1 }, .{ .k = 3 });
        defer r.deinit();
        try expectHit(r.hits()[0], "a", 0);
        try expectHit(r.hits()[1], "c", 1);
        try expectHit(r.hits()[2], "e", 4.25);
    }
    {
        var col = try db.openOrCreateCollection("docs", .{ .dim = 3, .metric = .l2 });
        defer col.deinit();
        try testing.expectEqual(@as(u64, 3), try col.count(null));
    }
    try testing.expectError(error.InvalidArgument, db.openOrCreateCollection("docs", .{ .dim = 4, .metric = .l2 }));
    try db.dropCollection("docs");
    try testing.expectError(error.CollectionNotFound, db.openCollection("docs"));
}

test "cosine and dot" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var cos = try db.createCollection("cos", .{ .dim = 2, .metric = .cosine });
    defer cos.deinit();
    try cos.add(gpa, .{ .ids = &.{ "x", "y" }, .vectors = &.{ 1, 0, 0, 2 }, .dim = 2 });
    var r = try cos.search(gpa, &.{ 3, 0 }, .{ .k = 2 });
    defer r.deinit();
    try expectHit(r.hits()[0], "x", 0);
    try expectHit(r.hits()[1], "y", 1);
    var dot = try db.createCollection("dot", .{ .dim = 2, .metric = .dot });
    defer dot.deinit();
    try dot.add(gpa, .{ .ids = &.{ "x", "y" }, .vectors = &.{ 1, 0, 0, 2 }, .dim = 2 });
    var r2 = try dot.search(gpa, &.{ 0, 1 }, .{ .k = 2 });
    defer r2.deinit();
    try expectHit(r2.hits()[0], "y", -1);
    try expectHit(r2.hits()[1], "x", 1);
}

test "bad input: wrong dimension" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try fixture(db);
    defer col.deinit();
    try testing.expectError(error.DimensionMismatch, col.add(gpa, .{ .ids = &.{ "p", "q" }, .vectors = &.{ 1, 0, 0, 1 }, .dim = 2 }));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "dimension") != null);
    try testing.expectError(error.DimensionMismatch, col.search(gpa, &.{ 1, 0, 0, 0 }, .{ .k = 1 }));
    try testing.expectError(error.DimensionMismatch, col.searchBatch(gpa, .{ .values = &.{ 1, 0, 0, 0 }, .dim = 2 }, .{ .k = 1 }));
    // A slice that is not ids.len * dim values is refused before the C call reads it.
    try testing.expectError(error.InvalidArgument, col.add(gpa, .{ .ids = &.{ "p", "q" }, .vectors = &.{ 1, 0, 0 }, .dim = 3 }));
    try testing.expectError(error.InvalidArgument, db.createCollection("zero", .{ .dim = 0, .metric = .l2 }));
    try testing.expectEqual(@as(u64, 4), try col.count(null));
}

test "bad input: invalid vectors and duplicate ids" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try fixture(db);
    defer col.deinit();
    const nan = std.math.nan(f32);
    try testing.expectError(error.InvalidVector, col.add(gpa, .{ .ids = &.{ "n1", "n2" }, .vectors = &.{ 1, 0, 0, 0, nan, 0 }, .dim = 3 }));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "row 1") != null);
    try testing.expectError(error.DuplicateId, col.add(gpa, .{ .ids = &.{ "new", "a" }, .vectors = &.{ 1, 1, 1, 2, 2, 2 }, .dim = 3 }));
    try testing.expectError(error.DuplicateId, col.upsert(gpa, .{ .ids = &.{ "z", "z" }, .vectors = &.{ 1, 1, 1, 2, 2, 2 }, .dim = 3 }));
    try testing.expectEqual(@as(u64, 4), try col.count(null));
}

test "bad input: filters" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try fixture(db);
    defer col.deinit();
    try testing.expectError(error.InvalidFilter, col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 2, .filter = .{ .sql = "lang = = 'en'" } }));
    try testing.expectError(error.InvalidFilter, col.count(.{ .sql = "no_such_column > 3" }));
    try testing.expectError(error.InvalidFilter, col.count(.{ .json = "{not json" }));
    try testing.expectError(error.InvalidFilter, col.count(.{ .json = "{\"year\": {\"$like\": 1}}" }));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "$like") != null);
    try testing.expectError(error.InvalidFilter, col.delete(gpa, null, .{ .sql = "lang = " }));
    try testing.expectError(error.InvalidArgument, col.delete(gpa, null, null));
    try testing.expectEqual(@as(u64, 4), try col.count(null));
}

test "bad input: names" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    for ([_][:0]const u8{ "../escape", "..", "a/b", "/abs", "", ".hidden", "sp ace" }) |bad| {
        try testing.expectError(error.InvalidName, db.createCollection(bad, .{ .dim = 3, .metric = .l2 }));
        try testing.expectError(error.InvalidName, db.openCollection(bad));
        try testing.expectError(error.InvalidName, db.dropCollection(bad));
    }
    try testing.expectError(error.FileNotFound, tmp.tmp.dir.access("escape", .{}));
    try testing.expectError(error.CollectionNotFound, db.openCollection("missing"));
    var col = try db.createCollection("dup", .{ .dim = 3, .metric = .l2 });
    defer col.deinit();
    try testing.expectError(error.CollectionExists, db.createCollection("dup", .{ .dim = 3, .metric = .l2 }));
}

test "bad input: invalid UTF-8 and metadata" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try fixture(db);
    defer col.deinit();
    try testing.expectError(error.InvalidUtf8, db.createCollection("na\xffme", .{ .dim = 3, .metric = .l2 }));
    try testing.expectError(error.InvalidUtf8, col.add(gpa, .{ .ids = &.{"bad\xff"}, .vectors = &.{ 1, 1, 1 }, .dim = 3 }));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "ids[0]") != null);
    try testing.expectError(error.InvalidMetadata, col.add(gpa, .{ .ids = &.{"m"}, .vectors = &.{ 1, 1, 1 }, .dim = 3, .metadata_json = "not json" }));
    try testing.expectError(error.InvalidMetadata, col.add(gpa, .{ .ids = &.{"m"}, .vectors = &.{ 1, 1, 1 }, .dim = 3, .metadata_json = "[{\"bad key\": 1}]" }));
    try testing.expectError(error.InvalidMetadata, col.add(gpa, .{ .ids = &.{"m"}, .vectors = &.{ 1, 1, 1 }, .dim = 3, .metadata_json = "[{\"year\": \"text\"}]" }));
    try testing.expectEqual(@as(u64, 4), try col.count(null));
}

test "bad input: NULL pointers reach the C layer as errors" {
    var db: ?*agentdb.c.agentdb_db = null;
    try testing.expectError(error.NullPointer, agentdb.check(agentdb.c.agentdb_db_open(null, &db)));
    try testing.expectEqualStrings("path is NULL", agentdb.lastError());
    try testing.expectError(error.NullPointer, agentdb.check(agentdb.c.agentdb_db_open("x", null)));
    try testing.expectError(error.NullPointer, agentdb.check(agentdb.c.agentdb_collection_create(null, "x", 3, 9, null)));
    try testing.expectError(error.InvalidHandle, agentdb.check(agentdb.c.agentdb_results_free(@ptrFromInt(0x1230))));
}

test "closed and freed handles" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    var col = try fixture(db);
    defer col.deinit();
    // A copy of a handle outlives the one that was freed: using it is detected.
    var other = try db.openCollection("docs");
    const stale = other;
    other.deinit();
    try testing.expectError(error.InvalidHandle, stale.count(null));
    // A dropped collection reports Closed.
    var tmpc = try db.createCollection("tmp", .{ .dim = 3, .metric = .l2 });
    defer tmpc.deinit();
    try db.dropCollection("tmp");
    try testing.expectError(error.Closed, tmpc.count(null));
    // After the database is closed, its collections report Closed.
    const stale_db = db;
    db.deinit();
    try testing.expectError(error.Closed, col.count(null));
    try testing.expectError(error.Closed, col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 1 }));
    try testing.expectError(error.InvalidHandle, stale_db.openCollection("docs"));
    // The data is intact.
    var db2 = try agentdb.Database.open(tmp.path);
    defer db2.deinit();
    var again = try db2.openCollection("docs");
    defer again.deinit();
    try testing.expectEqual(@as(u64, 4), try again.count(null));
}

test "threads share handles" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try fixture(db);
    defer col.deinit();

    const Worker = struct {
        fn run(c: agentdb.Collection, index: usize, ok: *bool) void {
            var bufs: [8][16:0]u8 = undefined;
            var ids_: [8][:0]const u8 = undefined;
            var v: [8 * 3]f32 = undefined;
            for (0..8) |i| {
                ids_[i] = std.fmt.bufPrintZ(&bufs[i], "t{d}-{d}", .{ index, i }) catch return;
                v[3 * i] = @floatFromInt(index + 1);
                v[3 * i + 1] = @floatFromInt(i);
                v[3 * i + 2] = 1;
            }
            c.add(std.heap.page_allocator, .{ .ids = &ids_, .vectors = &v, .dim = 3 }) catch return;
            var r = c.search(std.heap.page_allocator, v[0..3], .{ .k = 1 }) catch return;
            defer r.deinit();
            if (!std.mem.eql(u8, r.hits()[0].id, ids_[0])) return;
            ok.* = true;
        }
    };
    var ok = [_]bool{false} ** 4;
    var threads: [4]std.Thread = undefined;
    for (&threads, 0..) |*t, i| t.* = try std.Thread.spawn(.{}, Worker.run, .{ col, i, &ok[i] });
    for (threads) |t| t.join();
    for (ok) |o| try testing.expect(o);
    try testing.expectEqual(@as(u64, 4 + 4 * 8), try col.count(null));
}

test "staged writes: a read-only handle stages, the writer commits once" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try fixture(db);
    defer col.deinit();
    try db.flush();
    var ro = try agentdb.Database.openWith(tmp.path, .{ .read_only = true });
    defer ro.deinit();
    var rc = try ro.openCollection("docs");
    defer rc.deinit();

    const part = try rc.stage(gpa, .{ .ids = &.{ "e", "f" }, .vectors = &.{ 5, 5, 5, 6, 6, 6 }, .dim = 3, .metadata_json = "[{\"lang\": \"de\"}, null]" });
    defer gpa.free(part);
    try testing.expectEqual(@as(u64, 4), try col.count(null));
    try testing.expectError(error.ReadOnly, rc.commitStaged(gpa, &.{part}));
    try testing.expectEqual(@as(u64, 2), try col.commitStaged(gpa, &.{part}));
    try testing.expectEqual(@as(u64, 6), try col.count(null));
    try testing.expectEqual(@as(u64, 1), try col.count(.{ .sql = "lang = 'de'" }));
    {
        var r = try col.search(gpa, &.{ 6, 6, 6 }, .{ .k = 1 });
        defer r.deinit();
        try expectHit(r.hits()[0], "f", 0);
    }
    // The same part again: its ids exist now; nothing is committed.
    try testing.expectError(error.DuplicateId, col.commitStaged(gpa, &.{part}));
    try testing.expectError(error.InvalidArgument, col.commitStaged(gpa, &.{"{}"}));
    try testing.expectEqual(@as(u64, 0), try col.commitStaged(gpa, &.{}));
    try testing.expectError(error.InvalidMetadata, rc.stage(gpa, .{ .ids = &.{"g"}, .vectors = &.{ 1, 1, 1 }, .dim = 3, .metadata_json = "[{\"brand_new\": 1}]" }));
    try testing.expectEqual(@as(u64, 6), try col.count(null));
}
