//! Searching a collection (as tests/c/test_collection_search.c): the HNSW index, search options,
//! bad index and search arguments. Index kinds are index_test.zig.
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
