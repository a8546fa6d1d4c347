//! The collection fixture shared by collection_test.zig and collection_search_test.zig (the C
//! suite's, tests/c/collection_fixture.h): four records in 3-D with documents and metadata.
const std = @import("std");
const agentdb = @import("agentdb");

const testing = std.testing;
const gpa = testing.allocator;

// The fixture of the C suite: four records in 3-D, l2 (squared Euclidean) distance.
//   a = (1,0,0) en 2020   b = (0,1,0) fr 2021   c = (0,0,1) en 2022 tags   d = (1,1,0) en 2019
pub const ids = [_][:0]const u8{ "a", "b", "c", "d" };
pub const vecs = [_]f32{ 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0 };
pub const docs = [_]?[:0]const u8{ "alpha", "beta", null, "delta" };
pub const meta =
    \\[{"lang": "en", "year": 2020}, {"lang": "fr", "year": 2021},
    \\ {"lang": "en", "year": 2022, "tags": ["x", "y"]},
    \\ {"lang": "en", "year": 2019, "when": {"$datetime": "2024-05-01T12:00:00Z"}}]
;

pub fn fixture(db: agentdb.Database) !agentdb.Collection {
    var col = try db.createCollection("docs", .{ .dim = 3, .metric = .l2 });
    errdefer col.deinit();
    try col.add(gpa, .{ .ids = &ids, .vectors = &vecs, .dim = 3, .documents = &docs, .metadata_json = meta });
    return col;
}

pub fn expectHit(hit: agentdb.Hit, id: []const u8, distance: f32) !void {
    try testing.expectEqualStrings(id, hit.id);
    try testing.expectApproxEqAbs(distance, hit.distance, 1e-5);
}

