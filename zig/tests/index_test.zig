//! Index kinds through the Zig layer: HNSW with int8 quantization and Lance's IVF_PQ with
//! `nprobes` / `refine_factor`, against exact search on the same data.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

const n = 1000;
const dim = 16;

/// 1000 deterministic vectors around 20 centres (a clustered set, like real embeddings).
const Data = struct {
    vecs: [n * dim]f32,
    bufs: [n][8:0]u8,
    ids: [n][:0]const u8,

    fn init(self: *Data) void {
        var state: u32 = 777;
        var centres: [20 * dim]f32 = undefined;
        for (&centres) |*x| x.* = next(&state) * 4;
        for (0..n) |i| {
            for (0..dim) |d| self.vecs[i * dim + d] = centres[(i % 20) * dim + d] + next(&state) * 0.5;
        }
        for (&self.bufs, &self.ids, 0..) |*b, *id, i| id.* = std.fmt.bufPrintZ(b, "v{d}", .{i}) catch unreachable;
    }

    fn next(state: *u32) f32 {
        state.* = state.* *% 1664525 +% 1013904223;
        return @as(f32, @floatFromInt(state.* >> 8)) / @as(f32, 1 << 24) * 2 - 1;
    }

    fn row(self: *const Data, i: usize) []const f32 {
        return self.vecs[i * dim .. (i + 1) * dim];
    }
};

/// Share of the exact 10 nearest that `opts` finds, over 20 stored vectors as queries.
fn recall(col: agentdb.Collection, data: *const Data, opts: agentdb.SearchOptions) !f64 {
    std.debug.assert(opts.k == 10); // compared with the exact 10 nearest
    var same: usize = 0;
    var i: usize = 0;
    while (i < n) : (i += 50) {
        var got = try col.search(gpa, data.row(i), opts);
        defer got.deinit();
        var want = try col.search(gpa, data.row(i), .{ .k = 10, .exact = true });
        defer want.deinit();
        for (got.hits()) |g| for (want.hits()) |w| {
            if (std.mem.eql(u8, g.id, w.id)) same += 1;
        };
    }
    return @as(f64, @floatFromInt(same)) / 200.0;
}

test "index kinds: hnsw int8 and ivf_pq, options, describe, drop" {
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    const base = try tmp.dir.realpathAlloc(gpa, ".");
    defer gpa.free(base);
    const path = try std.fs.path.joinZ(gpa, &.{ base, "db" });
    defer gpa.free(path);

    var data: Data = undefined;
    data.init();
    var db = try agentdb.Database.open(path);
    defer db.deinit();
    var col = try db.createCollection("vecs", .{ .dim = dim, .metric = .l2 });
    defer col.deinit();
    try col.add(gpa, .{ .ids = &data.ids, .vectors = &data.vecs, .dim = dim });

    // HNSW on int8 codes: described as such, recall high, distances re-ranked exactly.
    try col.createIndexWith(.{ .hnsw = .{ .m = 12, .ef_construction = 100, .quantization = .int8 } });
    try testing.expectEqualDeep(agentdb.IndexInfo{ .hnsw = .{ .m = 12, .ef_construction = 100, .quantization = .int8 } }, (try col.indexConfig()).?);
    try testing.expect(try recall(col, &data, .{ .k = 10, .ef = 64 }) >= 0.9);
    {
        var r = try col.search(gpa, data.row(5), .{ .k = 1 });
        defer r.deinit();
        try testing.expectEqualStrings("v5", r.hits()[0].id);
        try testing.expectEqual(@as(f32, 0), r.hits()[0].distance);
    }

    // HNSW on RaBitQ codes: the same, candidates re-ranked exactly.
    try col.createIndexWith(.{ .hnsw = .{ .quantization = .rabitq } });
    try testing.expectEqualDeep(agentdb.IndexInfo{ .hnsw = .{ .m = 16, .ef_construction = 200, .quantization = .rabitq } }, (try col.indexConfig()).?);
    try testing.expect(try recall(col, &data, .{ .k = 10, .ef = 128 }) >= 0.8);
    {
        var r = try col.search(gpa, data.row(7), .{ .k = 1 });
        defer r.deinit();
        try testing.expectEqualStrings("v7", r.hits()[0].id);
        try testing.expectEqual(@as(f32, 0), r.hits()[0].distance);
    }

    // The multi-bit RaBitQ modes: named by the enum, tighter estimates, the same exact re-rank.
    for ([_]agentdb.Quantization{ .rabitq2, .rabitq4, .rabitq8 }) |q| {
        try col.createIndexWith(.{ .hnsw = .{ .quantization = q } });
        try testing.expectEqualDeep(agentdb.IndexInfo{ .hnsw = .{ .m = 16, .ef_construction = 200, .quantization = q } }, (try col.indexConfig()).?);
        try testing.expect(try recall(col, &data, .{ .k = 10, .ef = 128 }) >= 0.9);
        var r = try col.search(gpa, data.row(9), .{ .k = 1 });
        defer r.deinit();
        try testing.expectEqualStrings("v9", r.hits()[0].id);
        try testing.expectEqual(@as(f32, 0), r.hits()[0].distance);
    }

    // IVF_PQ: a parameter of another kind, or a bad one, is refused; every partition probed and
    // a wide re-rank give the exact neighbours.
    try testing.expectError(error.InvalidArgument, col.createIndexWith(.{ .ivf_pq = .{ .sub_vectors = 5 } }));
    try col.createIndexWith(.{ .ivf_pq = .{ .partitions = 8, .sub_vectors = 4 } });
    try testing.expectEqualDeep(agentdb.IndexInfo{ .ivf_pq = .{ .partitions = 8, .sub_vectors = 4 } }, (try col.indexConfig()).?);
    try testing.expectEqual(@as(?agentdb.HnswInfo, null), try col.indexParams());
    try testing.expect(try recall(col, &data, .{ .k = 10, .nprobes = 8, .refine_factor = 50 }) >= 0.99);
    try testing.expectError(error.InvalidArgument, col.search(gpa, data.row(0), .{ .k = 3, .nprobes = 0 }));
    try testing.expectError(error.InvalidArgument, col.search(gpa, data.row(0), .{ .k = 3, .refine_factor = 0 }));

    try col.dropIndex();
    try testing.expectEqual(@as(?agentdb.IndexInfo, null), try col.indexConfig());
}
