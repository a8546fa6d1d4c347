//! Knowledge graphs through the Zig layer: a single-valued predicate closing the contradicted
//! fact, invalidate and correct with the history kept, as-of and known-at reads before, during
//! and after each change, traversal, entity search, facts for a text, reopen, and errors.
//! `std.testing.allocator` fails any test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");
const Graph = agentdb.graph.Graph;

const testing = std.testing;
const gpa = testing.allocator;
const TempDb = @import("temp_db.zig").TempDb;

fn objectsAt(g: Graph, entity: [:0]const u8, q: agentdb.graph.Query) ![]const u8 {
    var qq = q;
    qq.direction = .out;
    var f = try g.facts(gpa, entity, qq);
    defer f.deinit();
    if (f.items.len == 0) return "";
    try testing.expectEqual(@as(usize, 1), f.items.len);
    // The object ids used here are static strings: map back to them.
    for ([_][]const u8{ "paris", "rome" }) |name| if (std.mem.eql(u8, name, f.items[0].object)) return name;
    return error.TestUnexpectedResult;
}

test "graph: bi-temporal facts, invalidate, correct, reopen" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var f1: [:0]u8 = undefined;
    var t2: i64 = undefined;
    var t4: i64 = undefined;
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var g = try Graph.open(db, "agent-1", null);
        defer g.deinit();
        for ([_][:0]const u8{ "alice", "paris", "rome" }) |id| gpa.free(try g.addEntity(gpa, .{ .id = id, .name = id }));
        try g.declarePredicate("lives_in", true);
        f1 = try g.addFact(gpa, .{ .subject = "alice", .predicate = "lives_in", .object = .{ .entity = "paris" }, .valid_from_us = 100, .sources = &.{"mem-1"} });
        try testing.expectEqualStrings("", try objectsAt(g, "alice", .{ .as_of_us = 99 }));
        try testing.expectEqualStrings("paris", try objectsAt(g, "alice", .{ .as_of_us = 100 }));
        const f2 = try g.addFact(gpa, .{ .subject = "alice", .predicate = "lives_in", .object = .{ .entity = "rome" }, .valid_from_us = 200 });
        defer gpa.free(f2);
        try testing.expectEqualStrings("paris", try objectsAt(g, "alice", .{ .as_of_us = 199 }));
        try testing.expectEqualStrings("rome", try objectsAt(g, "alice", .{ .as_of_us = 200 }));
        var hist = try g.factHistory(gpa, f1);
        defer hist.deinit();
        try testing.expectEqual(@as(usize, 2), hist.items.len);
        try testing.expectEqual(@as(?i64, 200), hist.items[1].valid_to_us);
        try testing.expectEqualStrings("mem-1", hist.items[1].sources[0]);
        t2 = hist.items[1].recorded_at_us;
        try testing.expectEqual(@as(?i64, t2), hist.items[0].superseded_at_us);
        try testing.expectEqualStrings("paris", try objectsAt(g, "alice", .{ .as_of_us = 250, .known_at_us = t2 - 1 }));
        try testing.expectEqualStrings("rome", try objectsAt(g, "alice", .{ .as_of_us = 250, .known_at_us = t2 }));

        var inv = try g.invalidate(gpa, f2, 300);
        defer inv.deinit();
        try testing.expectEqual(@as(u32, 2), inv.items[0].version);
        try testing.expectEqualStrings("", try objectsAt(g, "alice", .{ .as_of_us = 300 }));
        try testing.expectEqualStrings("rome", try objectsAt(g, "alice", .{ .as_of_us = 300, .known_at_us = inv.items[0].recorded_at_us - 1 }));

        var cor = try g.correct(gpa, f1, .{ .valid_from_us = 50 });
        defer cor.deinit();
        t4 = cor.items[0].recorded_at_us;
        try testing.expectEqual(@as(i64, 50), cor.items[0].valid_from_us);
        try testing.expectEqualStrings("paris", try objectsAt(g, "alice", .{ .as_of_us = 60 }));
        try testing.expectEqualStrings("", try objectsAt(g, "alice", .{ .as_of_us = 60, .known_at_us = t4 - 1 }));
        var re = try g.correct(gpa, f2, .{ .valid_to = .reopen });
        defer re.deinit();
        try testing.expectEqual(@as(?i64, null), re.items[0].valid_to_us);

        var during = try g.facts(gpa, "alice", .{ .during = .{ .from_us = 150, .to_us = 250 } });
        defer during.deinit();
        try testing.expectEqual(@as(usize, 2), during.items.len);
    }
    defer gpa.free(f1);
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var names = try Graph.list(gpa, db);
    defer names.deinit();
    try testing.expectEqualStrings("agent-1", names.items[0]);
    var g = try Graph.open(db, "agent-1", null);
    defer g.deinit();
    var hist = try g.factHistory(gpa, f1);
    defer hist.deinit();
    try testing.expectEqual(@as(usize, 3), hist.items.len);
    try testing.expectEqualStrings("", try objectsAt(g, "alice", .{ .as_of_us = 60, .known_at_us = t4 - 1 }));
    try testing.expectEqualStrings("paris", try objectsAt(g, "alice", .{ .as_of_us = 60 }));
}

test "graph: traversal, search, facts for a text" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var g = try Graph.open(db, "g", 2);
    defer g.deinit();
    gpa.free(try g.addEntity(gpa, .{ .id = "a", .name = "Alice Smith", .aliases = &.{"Ali"}, .embedding = &.{ 1, 0 }, .metadata_json = "{\"team\":\"core\"}" }));
    gpa.free(try g.addEntity(gpa, .{ .id = "b", .name = "ACME Corp", .type = "org", .embedding = &.{ 0, 1 } }));
    gpa.free(try g.addEntity(gpa, .{ .id = "c", .name = "Carol" }));
    gpa.free(try g.addFact(gpa, .{ .subject = "a", .predicate = "works_at", .object = .{ .entity = "b" }, .valid_from_us = 0, .sources = &.{ "m-1", "m-2" }, .confidence = 0.9 }));
    gpa.free(try g.addFact(gpa, .{ .subject = "c", .predicate = "works_at", .object = .{ .entity = "b" }, .valid_from_us = 0, .valid_to_us = 10 }));
    gpa.free(try g.addFact(gpa, .{ .subject = "c", .predicate = "age", .object = .{ .literal = "41" }, .valid_from_us = 0 }));
    const counts = try g.count();
    try testing.expectEqual(@as(usize, 3), counts.entities);
    try testing.expectEqual(@as(usize, 3), counts.facts);

    var nb = try g.neighbors(gpa, "a", 2, .{ .as_of_us = 5 });
    defer nb.deinit();
    try testing.expectEqual(@as(usize, 2), nb.items.len);
    try testing.expectEqualStrings("c", nb.items[1].entity_id);
    try testing.expectEqual(@as(usize, 2), nb.items[1].hops);
    var nb2 = try g.neighbors(gpa, "a", 2, .{ .as_of_us = 20 });
    defer nb2.deinit();
    try testing.expectEqual(@as(usize, 1), nb2.items.len);

    var path = (try g.shortestPath(gpa, "a", "c", null, .{ .as_of_us = 5 })).?;
    defer path.deinit();
    try testing.expectEqual(@as(usize, 2), path.items.len);
    try testing.expect((try g.shortestPath(gpa, "a", "c", null, .{ .as_of_us = 20 })) == null);

    var hits = try g.searchEntities(gpa, .{ .vector = &.{ 0.1, 1 } });
    defer hits.deinit();
    try testing.expectEqualStrings("b", hits.items[0].id);
    try testing.expectEqual(@as(usize, 2), hits.items[0].embedding.len);
    var found = try g.findEntities(gpa, "ali");
    defer found.deinit();
    try testing.expectEqualStrings("a", found.items[0].id);
    try testing.expectEqualStrings("{\"team\":\"core\"}", found.items[0].metadata_json);
    try testing.expectEqualStrings("Ali", found.items[0].aliases[0]);
    var one = try g.entity(gpa, "b");
    defer one.deinit();
    try testing.expectEqualStrings("org", one.items[0].type.?);

    var tf = try g.factsForText(gpa, "what does Ali do at acme?", 5, null);
    defer tf.deinit();
    try testing.expectEqual(@as(usize, 1), tf.items.len);
    try testing.expectEqualStrings("works_at", tf.items[0].predicate);
    try testing.expectEqualStrings("m-2", tf.items[0].sources[1]);
    try g.flush();
    try Graph.drop(db, "g");
}

test "graph: errors" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    try testing.expectError(error.InvalidName, Graph.open(db, "bad name", null));
    var g = try Graph.open(db, "g", 2);
    defer g.deinit();
    try testing.expectError(error.DimensionMismatch, Graph.open(db, "g", 3));
    try testing.expectError(error.InvalidArgument, g.addEntity(gpa, .{ .name = "" }));
    try testing.expectError(error.DimensionMismatch, g.addEntity(gpa, .{ .name = "x", .embedding = &.{1} }));
    try testing.expectError(error.InvalidMetadata, g.addEntity(gpa, .{ .name = "x", .metadata_json = "[1]" }));
    gpa.free(try g.addEntity(gpa, .{ .id = "x", .name = "X" }));
    try testing.expectError(error.InvalidArgument, g.addFact(gpa, .{ .subject = "nobody", .predicate = "p", .object = .{ .literal = "v" } }));
    try testing.expectError(error.InvalidArgument, g.addFact(gpa, .{ .subject = "x", .predicate = "p", .object = .{ .literal = "v" }, .confidence = 2 }));
    try testing.expectError(error.InvalidArgument, g.invalidate(gpa, "no-such-fact", null));
    try testing.expectError(error.InvalidArgument, g.neighbors(gpa, "x", 0, .{}));
    try testing.expectError(error.InvalidArgument, g.facts(gpa, "x", .{ .as_of_us = 1, .during = .{ .from_us = 0 } }));
    try testing.expectError(error.InvalidArgument, g.factsForText(gpa, "x", null, 0));
    try testing.expectError(error.InvalidArgument, g.searchEntities(gpa, .{}));
    try testing.expectError(error.CollectionNotFound, Graph.drop(db, "nope"));
}
