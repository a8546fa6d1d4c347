//! The Zig tests: the C suite's scenarios through the Zig layer, against a real database in a
//! temporary directory. `std.testing.allocator` fails any test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

/// A temporary directory holding a database path, removed by `deinit`.
const TempDb = @import("temp_db.zig").TempDb;

// The fixture of the C suite: four records in 3-D, l2 (squared Euclidean) distance.
//   a = (1,0,0) en 2020   b = (0,1,0) fr 2021   c = (0,0,1) en 2022 tags   d = (1,1,0) en 2019
const ids = [_][:0]const u8{ "a", "b", "c", "d" };
const vecs = [_]f32{ 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0 };
const docs = [_]?[:0]const u8{ "alpha", "beta", null, "delta" };
const meta =
    \\[{"lang": "en", "year": 2020}, {"lang": "fr", "year": 2021},
    \\ {"lang": "en", "year": 2022, "tags": ["x", "y"]},
    \\ {"lang": "en", "year": 2019, "when": {"$datetime": "2024-05-01T12:00:00Z"}}]
;

fn fixture(db: agentdb.Database) !agentdb.Collection {
    var col = try db.createCollection("docs", .{ .dim = 3, .metric = .l2 });
    errdefer col.deinit();
    try col.add(gpa, .{ .ids = &ids, .vectors = &vecs, .dim = 3, .documents = &docs, .metadata_json = meta });
    return col;
}

fn expectHit(hit: agentdb.Hit, id: []const u8, distance: f32) !void {
    try testing.expectEqualStrings(id, hit.id);
    try testing.expectApproxEqAbs(distance, hit.distance, 1e-5);
}

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

// The HNSW index: 300 deterministic pseudo-random vectors in [-1, 1)^8, l2, ids "v0" .. "v299".
const idx_n = 300;
const idx_dim = 8;

const IndexData = struct {
    vecs: [idx_n * idx_dim]f32,
    bufs: [idx_n][8:0]u8,
    ids: [idx_n][:0]const u8,

    fn init(self: *IndexData) void {
        var state: u32 = 12345;
        for (&self.vecs) |*x| {
            state = state *% 1664525 +% 1013904223;
            x.* = @as(f32, @floatFromInt(state >> 8)) / @as(f32, 1 << 24) * 2 - 1;
        }
        for (&self.bufs, &self.ids, 0..) |*b, *id, i| id.* = std.fmt.bufPrintZ(b, "v{d}", .{i}) catch unreachable;
    }

    fn row(self: *const IndexData, i: usize) []const f32 {
        return self.vecs[i * idx_dim .. (i + 1) * idx_dim];
    }
};

fn indexFixture(db: agentdb.Database, data: *IndexData) !agentdb.Collection {
    data.init();
    var col = try db.createCollection("vecs", .{ .dim = idx_dim, .metric = .l2 });
    errdefer col.deinit();
    try col.add(gpa, .{ .ids = &data.ids, .vectors = &data.vecs, .dim = idx_dim });
    return col;
}

test "index: create, search with options, follow writes, reopen, drop" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var data: IndexData = undefined;
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var col = try indexFixture(db, &data);
        defer col.deinit();

        try testing.expectEqual(@as(?agentdb.HnswInfo, null), try col.indexParams());
        try col.createIndex(.{});
        try testing.expectEqual(agentdb.HnswInfo{ .m = 16, .ef_construction = 200, .quantization = .none }, (try col.indexParams()).?);

        // A stored vector finds itself first, at distance 0: default, small and large ef, exact.
        var i: usize = 0;
        while (i < idx_n) : (i += 37) {
            const opts = [_]agentdb.SearchOptions{ .{ .k = 5 }, .{ .k = 5, .ef = 8 }, .{ .k = 5, .ef = 500 }, .{ .k = 5, .exact = true } };
            for (opts) |o| {
                var r = try col.search(gpa, data.row(i), o);
                defer r.deinit();
                try testing.expectEqual(@as(usize, 5), r.hits().len);
                try expectHit(r.hits()[0], data.ids[i], 0);
            }
            var plain = try col.search(gpa, data.row(i), .{ .k = 1 });
            defer plain.deinit();
            try expectHit(plain.hits()[0], data.ids[i], 0);
        }

        // A batch through the index with a wide ef against the exact batch: recall@10 >= 0.9.
        const rows = [_]usize{ 3, 50, 120, 299 };
        var queries: [rows.len * idx_dim]f32 = undefined;
        for (rows, 0..) |r, q| @memcpy(queries[q * idx_dim .. (q + 1) * idx_dim], data.row(r));
        var approx = try col.searchBatch(gpa, .{ .values = &queries, .dim = idx_dim }, .{ .k = 10, .ef = 300 });
        defer approx.deinit();
        var exact = try col.searchBatch(gpa, .{ .values = &queries, .dim = idx_dim }, .{ .k = 10, .exact = true });
        defer exact.deinit();
        try testing.expectEqual(rows.len, approx.queries.len);
        var same: usize = 0;
        for (rows, approx.queries, exact.queries) |r, a, e| {
            try expectHit(a[0], data.ids[r], 0);
            try expectHit(e[0], data.ids[r], 0);
            for (a) |x| for (e) |y| {
                if (std.mem.eql(u8, x.id, y.id)) same += 1;
            };
        }
        try testing.expect(same >= 36);

        // The index follows writes: a new vector is found, a deleted one is never returned.
        const far = [_]f32{5} ** idx_dim;
        try col.add(gpa, .{ .ids = &.{"new"}, .vectors = &far, .dim = idx_dim });
        {
            var r = try col.search(gpa, &far, .{ .k = 1 });
            defer r.deinit();
            try expectHit(r.hits()[0], "new", 0);
        }
        try testing.expectEqual(@as(u64, 1), try col.delete(gpa, &.{"v7"}, null));
        {
            var r = try col.search(gpa, data.row(7), .{ .k = 3 });
            defer r.deinit();
            for (r.hits()) |h| try testing.expect(!std.mem.eql(u8, h.id, "v7"));
        }
        // Filters apply to indexed search.
        {
            var r = try col.search(gpa, data.row(0), .{ .k = 3, .filter = .{ .sql = "id = 'v200'" }, .ef = 64 });
            defer r.deinit();
            try testing.expectEqual(@as(usize, 1), r.hits().len);
            try testing.expectEqualStrings("v200", r.hits()[0].id);
        }
        // Replaced with other parameters.
        try col.createIndex(.{ .m = 8, .ef_construction = 64 });
    }
    {
        // The index survives reopening.
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var col = try db.openCollection("vecs");
        defer col.deinit();
        try testing.expectEqual(agentdb.HnswInfo{ .m = 8, .ef_construction = 64, .quantization = .none }, (try col.indexParams()).?);
        {
            var r = try col.search(gpa, data.row(42), .{ .k = 1, .ef = 32 });
            defer r.deinit();
            try expectHit(r.hits()[0], "v42", 0);
        }
        // Dropped: search is exact again; dropping twice is fine.
        try col.dropIndex();
        try testing.expectEqual(@as(?agentdb.HnswInfo, null), try col.indexParams());
        try col.dropIndex();
        var r = try col.search(gpa, data.row(42), .{ .k = 1, .ef = 16 });
        defer r.deinit();
        try expectHit(r.hits()[0], "v42", 0);
        try testing.expectEqual(@as(u64, idx_n), try col.count(null));
    }
}

test "index: bad parameters" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    var col = try fixture(db);
    defer col.deinit();

    try testing.expectError(error.InvalidArgument, col.createIndex(.{ .m = 1 }));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "m must be between 2 and 128") != null);
    try testing.expectError(error.InvalidArgument, col.createIndex(.{ .m = 129 }));
    try testing.expectError(error.InvalidArgument, col.createIndex(.{ .ef_construction = 10001 }));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "ef_construction must be") != null);
    // 0 is out of range here (in C it means "the default").
    try testing.expectError(error.InvalidArgument, col.createIndex(.{ .m = 0 }));
    try testing.expectError(error.InvalidArgument, col.createIndex(.{ .ef_construction = 0 }));
    try testing.expectEqual(@as(?agentdb.HnswInfo, null), try col.indexParams());
    // A failed rebuild keeps the index that exists.
    try col.createIndex(.{ .m = 4, .ef_construction = 10 });
    try testing.expectError(error.InvalidArgument, col.createIndex(.{ .m = 1 }));
    try testing.expectEqual(agentdb.HnswInfo{ .m = 4, .ef_construction = 10, .quantization = .none }, (try col.indexParams()).?);
    // Search options out of range.
    try testing.expectError(error.InvalidArgument, col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 1, .ef = 100001 }));
    try testing.expect(std.mem.indexOf(u8, agentdb.lastError(), "ef must be") != null);
    try testing.expectError(error.InvalidArgument, col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 1, .ef = 0 }));
    try testing.expectError(error.InvalidArgument, col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 1, .threads = 0 }));
    try testing.expectError(error.InvalidArgument, col.searchBatch(gpa, .{ .values = &.{ 1, 0, 0 }, .dim = 3 }, .{ .k = 1, .exact = true, .threads = 0 }));
    try testing.expectError(error.InvalidArgument, col.searchBatch(gpa, .{ .values = &.{ 1, 0, 0 }, .dim = 3 }, .{ .k = 0 }));
    try testing.expectError(error.DimensionMismatch, col.search(gpa, &.{ 1, 0 }, .{ .k = 1, .exact = true }));
    // After the database is closed: Closed.
    db.deinit();
    try testing.expectError(error.Closed, col.createIndex(.{}));
    try testing.expectError(error.Closed, col.dropIndex());
    try testing.expectError(error.Closed, col.indexParams());
    try testing.expectError(error.Closed, col.search(gpa, &.{ 1, 0, 0 }, .{ .k = 1 }));
}

fn expectSameHits(a: agentdb.SearchResults, b: agentdb.SearchResults) !void {
    try testing.expectEqual(a.queries.len, b.queries.len);
    for (a.queries, b.queries) |qa, qb| {
        try testing.expectEqual(qa.len, qb.len);
        for (qa, qb) |x, y| {
            try testing.expectEqualStrings(x.id, y.id);
            try testing.expectEqual(x.distance, y.distance);
        }
    }
}

test "search options: threads, ids_only, omit_documents, omit_metadata" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var col = try fixture(db);
    defer col.deinit();
    const q = [_]f32{ 1, 0, 0 };

    var plain = try col.search(gpa, &q, .{ .k = 4 });
    defer plain.deinit();
    try testing.expectEqualStrings("alpha", plain.hits()[0].document.?);
    // The defaults, and an exact scan on one thread: the same hits.
    for ([_]agentdb.SearchOptions{ .{ .k = 4 }, .{ .k = 4, .exact = true, .threads = 1 }, .{ .k = 4, .exact = true, .threads = 3 } }) |o| {
        var r = try col.search(gpa, &q, o);
        defer r.deinit();
        try expectSameHits(plain, r);
    }
    // ids_only: the same ids and distances, no documents, `{}` metadata; with or without an index.
    for ([_]bool{ false, true }) |indexed| {
        if (indexed) try col.createIndex(.{});
        var r = try col.search(gpa, &q, .{ .k = 4, .ids_only = true });
        defer r.deinit();
        try expectSameHits(plain, r);
        for (r.hits()) |h| {
            try testing.expectEqual(@as(?[]const u8, null), h.document);
            try testing.expectEqualStrings("{}", h.metadata_json);
        }
        // In a batch, with a filter.
        var b = try col.searchBatch(gpa, .{ .values = &.{ 1, 0, 0, 0, 1, 0 }, .dim = 3 }, .{ .k = 2, .filter = .{ .sql = "lang = 'en'" }, .ids_only = true });
        defer b.deinit();
        try testing.expectEqual(@as(usize, 2), b.queries.len);
        try expectHit(b.queries[0][0], "a", 0);
        try expectHit(b.queries[1][0], "d", 1);
        for (b.queries) |qh| for (qh) |h| try testing.expect(h.document == null);
    }
    // omit_documents / omit_metadata: each part of the payload left out alone.
    {
        var r = try col.search(gpa, &q, .{ .k = 4, .omit_documents = true });
        defer r.deinit();
        try expectSameHits(plain, r);
        try testing.expectEqual(@as(?[]const u8, null), r.hits()[0].document);
        try testing.expectEqualStrings(plain.hits()[0].metadata_json, r.hits()[0].metadata_json);
        var m = try col.search(gpa, &q, .{ .k = 4, .omit_metadata = true });
        defer m.deinit();
        try testing.expectEqualStrings("alpha", m.hits()[0].document.?);
        try testing.expectEqualStrings("{}", m.hits()[0].metadata_json);
    }
}
