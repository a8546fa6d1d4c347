//! Agent memory through the Zig layer: the recall score on a hand-built case (each number checked
//! against the documented formula), access statistics, filters, forget and update,
//! consolidation, background runs and errors. `std.testing.allocator` fails any test that leaks.
const std = @import("std");
const agentdb = @import("agentdb");
const Memory = agentdb.memory.Memory;

const testing = std.testing;
const gpa = testing.allocator;

const SEC: i64 = 1_000_000;
const T0: i64 = 1_700_000_000 * SEC;

const TempDb = @import("temp_db.zig").TempDb;

/// Four memories of agent "ann" in 2-d (cosine), created 0, 0, 100 and 200 s before T0:
///   a (1,0) imp 0.2   b (0,1) imp 1.0   c (1,1) imp 0.5   d (1,0) imp 0.0
fn fixture(db: agentdb.Database) !Memory {
    var m = try Memory.openOrCreate(db, "mem", .{ .dim = 2, .metric = .cosine });
    errdefer m.deinit();
    var ids = try m.remember(gpa, .{ .agent_id = "ann" }, &.{
        .{ .id = "a", .text = "text of a", .importance = 0.2, .created_at_us = T0, .metadata_json = "{\"topic\": \"x\"}" },
        .{ .id = "b", .text = "text of b", .importance = 1.0, .created_at_us = T0 },
        .{ .id = "c", .text = "text of c", .importance = 0.5, .created_at_us = T0 - 100 * SEC },
        .{ .id = "d", .importance = 0.0, .created_at_us = T0 - 200 * SEC },
    }, &.{ 1, 0, 0, 1, 1, 1, 1, 0 });
    defer ids.deinit();
    try testing.expectEqual(@as(usize, 4), ids.items.len);
    try testing.expectEqualStrings("a", ids.items[0]);
    return m;
}

const W = agentdb.memory.Weights{ .mode = .linear, .similarity = 1, .recency = 1, .importance = 1, .half_life_s = 100 };

test "memory: default recall ranks by relevance first" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var m = try fixture(db);
    defer m.deinit();
    // The engine's defaults (relevance, w_rec = w_imp = 0.5, adjust 0.1), half-life 100 s.
    // sim_n = similarity here (lo 0, hi 1); score = sim_n · (1 − 0.1 · (1 − (rec + imp) / 2)).
    var hits = try m.recall(gpa, &.{ 1, 0 }, .{ .k = 4, .weights = .{ .half_life_s = 100 }, .now_us = T0, .touch = false });
    defer hits.deinit();
    const want_ids = [_][]const u8{ "a", "d", "c", "b" };
    const want = [_]f64{ 0.96, 0.9125, std.math.sqrt1_2 * 0.95, 0.0 };
    try testing.expectEqual(@as(usize, 4), hits.items.len);
    for (hits.items, want_ids, want) |h, id, score| {
        try testing.expectEqualStrings(id, h.id);
        try testing.expectApproxEqAbs(score, h.score, 1e-6);
    }
    // The old score is reachable: linear mode with the engine's weights ranks c above d.
    var old = try m.recall(gpa, &.{ 1, 0 }, .{ .k = 4, .weights = .{ .mode = .linear, .half_life_s = 100 }, .now_us = T0, .touch = false });
    defer old.deinit();
    const old_ids = [_][]const u8{ "a", "c", "d", "b" };
    const old_want = [_]f64{ 1.6, std.math.sqrt1_2 + 0.5, 1.125, 1.0 };
    for (old.items, old_ids, old_want) |h, id, score| {
        try testing.expectEqualStrings(id, h.id);
        try testing.expectApproxEqAbs(score, h.score, 1e-6);
    }
    try testing.expectError(error.InvalidArgument, m.recall(gpa, null, .{ .k = 1, .weights = .{ .adjust = 2 } }));
}

test "memory: recall ranks by the documented score" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var m = try fixture(db);
    defer m.deinit();
    try testing.expectEqual(@as(usize, 2), try m.dim());

    {
        var hits = try m.recall(gpa, &.{ 1, 0 }, .{ .k = 4, .weights = W, .now_us = T0 });
        defer hits.deinit();
        const want_ids = [_][]const u8{ "a", "b", "c", "d" };
        const want = [_]f64{ 2.2, 2.0, std.math.sqrt1_2 + 1.0, 1.25 };
        try testing.expectEqual(@as(usize, 4), hits.items.len);
        for (hits.items, want_ids, want) |h, id, score| {
            try testing.expectEqualStrings(id, h.id);
            try testing.expectApproxEqAbs(score, h.score, 1e-6);
            try testing.expectEqual(T0, h.last_accessed_us);
            try testing.expectEqual(@as(u64, 1), h.access_count);
            try testing.expectEqual(@as(usize, 0), h.vector.len);
        }
        try testing.expectApproxEqAbs(@as(f64, std.math.sqrt1_2), hits.items[2].similarity, 1e-6);
        try testing.expectApproxEqAbs(@as(f64, 0.5), hits.items[2].recency, 1e-9);
        try testing.expectEqualStrings("text of c", hits.items[2].text.?);
        try testing.expect(hits.items[3].text == null);
        try testing.expectEqualStrings("{\"topic\":\"x\"}", hits.items[0].metadata_json);
        try testing.expectEqual(agentdb.memory.Kind.episodic, hits.items[0].kind);
    }
    {
        // No query, 100 s later, all accessed at T0: b 1.5, c 1.0, a 0.7, d 0.5.
        var hits = try m.recall(gpa, null, .{ .k = 4, .weights = W, .now_us = T0 + 100 * SEC, .touch = false });
        defer hits.deinit();
        const want_ids = [_][]const u8{ "b", "c", "a", "d" };
        const want = [_]f64{ 1.5, 1.0, 0.7, 0.5 };
        for (hits.items, want_ids, want) |h, id, score| {
            try testing.expectEqualStrings(id, h.id);
            try testing.expectApproxEqAbs(score, h.score, 1e-9);
            try testing.expect(std.math.isNan(h.similarity));
        }
    }
    {
        var got = try m.get(gpa, &.{ "b", "zzz", "a" });
        defer got.deinit();
        try testing.expectEqual(@as(usize, 2), got.items.len);
        try testing.expectEqualStrings("b", got.items[0].id);
        try testing.expectEqualSlices(f32, &.{ 0, 1 }, got.items[0].vector);
        try testing.expectEqual(T0, got.items[0].created_at_us);
    }
}

test "memory: filters, forget, update" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var m = try fixture(db);
    defer m.deinit();
    var bob = try m.remember(gpa, .{ .agent_id = "bob", .session_id = "s1", .kind = .semantic }, &.{ .{}, .{ .importance = 0.9 } }, &.{ 1, 0.5, 1, 0.25 });
    defer bob.deinit();
    try testing.expectEqual(@as(usize, 36), bob.items[0].len);

    try testing.expectEqual(@as(u64, 4), try m.count(.{ .agent_id = "ann" }));
    try testing.expectEqual(@as(u64, 2), try m.count(.{ .kinds = &.{.semantic} }));
    try testing.expectEqual(@as(u64, 6), try m.count(.{ .kinds = &.{ .semantic, .episodic } }));
    try testing.expectEqual(@as(u64, 1), try m.count(.{ .since_us = T0 - 150 * SEC, .until_us = T0 }));
    try testing.expectEqual(@as(u64, 1), try m.count(.{ .where = .{ .json = "{\"topic\": \"x\"}" } }));
    try testing.expectEqual(@as(u64, 2), try m.count(.{ .where = .{ .sql = "importance > 0.5" } }));
    try testing.expectError(error.InvalidArgument, m.count(.{ .kinds = &.{} }));
    try testing.expectError(error.InvalidFilter, m.count(.{ .where = .{ .json = "{\"topic\": {\"$bogus\": 1}}" } }));
    {
        var hits = try m.recall(gpa, &.{ 1, 0 }, .{ .k = 10, .filter = .{ .session_id = "s1" }, .touch = false });
        defer hits.deinit();
        try testing.expectEqual(@as(usize, 2), hits.items.len);
        for (hits.items) |h| try testing.expectEqualStrings("bob", h.agent_id);
        try testing.expectEqualStrings("s1", hits.items[0].session_id.?);
    }
    try testing.expectEqual(@as(u64, 2), try m.forget(gpa, null, .{ .agent_id = "bob" }));
    try testing.expectEqual(@as(u64, 1), try m.forget(gpa, &.{ "d", "nope" }, .{}));
    try testing.expectError(error.InvalidArgument, m.forget(gpa, null, .{}));

    try m.update("c", .{ .text = .{ .value = null }, .importance = 0.75, .vector = &.{ -2, 0 }, .metadata_json = "{\"note\": \"moved\"}" });
    {
        var got = try m.get(gpa, &.{"c"});
        defer got.deinit();
        const c = got.items[0];
        try testing.expect(c.text == null);
        try testing.expectEqual(@as(f64, 0.75), c.importance);
        try testing.expectEqualSlices(f32, &.{ -2, 0 }, c.vector);
        try testing.expectEqualStrings("{\"note\":\"moved\"}", c.metadata_json);
    }
    try testing.expectError(error.InvalidArgument, m.update("zzz", .{ .importance = 0.5 }));
    try testing.expectError(error.InvalidArgument, m.update("c", .{ .importance = 2 }));
    try testing.expectEqual(@as(u64, 3), try m.count(.{}));
}

test "memory: consolidation and background runs" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var m = try fixture(db);
    defer m.deinit();
    const base = agentdb.memory.ConsolidateOptions{ .weights = W, .now_us = T0 };
    var o = base;
    try testing.expectEqual(agentdb.memory.Report{ .merged = 0, .pruned = 0, .evicted = 0 }, try m.consolidate(o));
    // d points like a and is weaker (0.25 < 1.2): merged into a.
    o.dedup_threshold = 0.999;
    try testing.expectEqual(agentdb.memory.Report{ .merged = 1, .pruned = 0, .evicted = 0 }, try m.consolidate(o));
    // Strengths a 1.2, b 2, c 1.0: decay under 1.1 prunes c.
    o = base;
    o.min_score = 1.1;
    try testing.expectEqual(agentdb.memory.Report{ .merged = 0, .pruned = 1, .evicted = 0 }, try m.consolidate(o));
    o = base;
    o.capacity = 1;
    try testing.expectEqual(agentdb.memory.Report{ .merged = 0, .pruned = 0, .evicted = 1 }, try m.consolidate(o));
    {
        var left = try m.recall(gpa, null, .{ .k = 10, .touch = false });
        defer left.deinit();
        try testing.expectEqual(@as(usize, 1), left.items.len);
        try testing.expectEqualStrings("b", left.items[0].id);
    }
    o = base;
    o.dedup_threshold = 1.5;
    try testing.expectError(error.InvalidArgument, m.consolidate(o));

    // A background schedule: capacity 0 empties the store within a few runs.
    var ids = try m.remember(gpa, .{ .agent_id = "ann" }, &.{ .{}, .{} }, &.{ 1, 0, 0, 1 });
    ids.deinit();
    try m.startBackground(10, .{ .capacity = 0 });
    var tries: usize = 0;
    while (tries < 2000 and try m.count(.{}) > 0) : (tries += 1) std.time.sleep(10 * std.time.ns_per_ms);
    try testing.expectEqual(@as(u64, 0), try m.count(.{}));
    try m.stopBackground();
    try m.flush();
}

test "memory: errors and persistence" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        try testing.expectError(error.CollectionNotFound, Memory.open(db, "mem"));
        try testing.expectError(error.InvalidName, Memory.openOrCreate(db, "../x", .{ .dim = 2, .metric = .cosine }));
        try testing.expectError(error.InvalidArgument, Memory.openOrCreate(db, "mem", .{ .dim = 0, .metric = .cosine }));
        var m = try fixture(db);
        defer m.deinit();
        try testing.expectError(error.DimensionMismatch, Memory.openOrCreate(db, "mem", .{ .dim = 3, .metric = .cosine }));
        try testing.expectError(error.InvalidArgument, Memory.openOrCreate(db, "mem", .{ .dim = 2, .metric = .l2 }));
        try testing.expectError(error.DuplicateId, m.remember(gpa, .{ .agent_id = "ann" }, &.{.{ .id = "a" }}, &.{ 1, 0 }));
        try testing.expectError(error.DimensionMismatch, m.remember(gpa, .{ .agent_id = "ann" }, &.{.{}}, &.{ 1, 0, 0 }));
        try testing.expectError(error.InvalidArgument, m.remember(gpa, .{ .agent_id = "ann" }, &.{.{ .importance = 1.5 }}, &.{ 1, 0 }));
        try testing.expectError(error.InvalidMetadata, m.remember(gpa, .{ .agent_id = "ann" }, &.{.{ .metadata_json = "{\"kind\": 1}" }}, &.{ 1, 0 }));
        try testing.expectError(error.DimensionMismatch, m.recall(gpa, &.{ 1, 0, 0 }, .{ .k = 1 }));
        try testing.expectError(error.InvalidArgument, m.recall(gpa, null, .{ .k = 0 }));
        try testing.expectError(error.InvalidArgument, m.recall(gpa, null, .{ .k = 1, .weights = .{ .half_life_s = 0 } }));
        try testing.expectError(error.InvalidName, db.openCollection("_agentdb_memory_mem"));
        // One access of b, written when the database closes.
        var hits = try m.recall(gpa, &.{ 0, 1 }, .{ .k = 1, .now_us = T0 + 5 * SEC });
        hits.deinit();
    }
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var m = try Memory.open(db, "mem");
        defer m.deinit();
        var got = try m.get(gpa, &.{"b"});
        defer got.deinit();
        try testing.expectEqual(@as(u64, 1), got.items[0].access_count);
        try testing.expectEqual(T0 + 5 * SEC, got.items[0].last_accessed_us);
        try Memory.drop(db, "mem");
        try testing.expectError(error.CollectionNotFound, Memory.drop(db, "mem"));
    }
}

test "memory: text and hybrid recall on Chinese texts, tokenizer kept across reopening" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var buf: [16]u8 = undefined;
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var m = try Memory.openOrCreate(db, "zh", .{ .dim = 2, .metric = .cosine });
        defer m.deinit();
        try testing.expectEqualStrings("simple", try m.textTokenizer(&buf));
        try testing.expectError(error.InvalidArgument, m.setTextTokenizer("jieba"));
        try m.setTextTokenizer("icu");
        var ids = try m.remember(gpa, .{ .agent_id = "ann" }, &.{
            .{ .id = "d0", .text = "北京是中华人民共和国的首都。" },
            .{ .id = "d1", .text = "熊猫主要生活在四川的山区，以竹子为食。" },
            .{ .id = "d2", .text = "深度学习使用多层神经网络。" },
        }, &.{ 1, 0, 0, 1, 1, 1 });
        defer ids.deinit();
        // Just remembered: found by its words at once (text only, no vector).
        var hits = try m.recall(gpa, null, .{ .k = 3, .query_text = "熊猫吃什么", .touch = false });
        defer hits.deinit();
        try testing.expectEqual(@as(usize, 1), hits.items.len);
        try testing.expectEqualStrings("d1", hits.items[0].id);
        try testing.expect(hits.items[0].text_score > 0 and std.math.isNan(hits.items[0].similarity));
        // Vector and text: hybrid, both signals; vector only: no text score.
        var both = try m.recall(gpa, &.{ 1, 0 }, .{ .k = 3, .query_text = "神经网络", .touch = false, .weights = .{ .fusion = .linear, .text = 2 } });
        defer both.deinit();
        try testing.expectEqual(@as(usize, 3), both.items.len);
        for (both.items) |h| try testing.expect(!std.math.isNan(h.similarity) and !std.math.isNan(h.text_score));
        var vec = try m.recall(gpa, &.{ 1, 0 }, .{ .k = 1, .query_text = "神经网络", .search = .vector, .touch = false });
        defer vec.deinit();
        try testing.expectEqualStrings("d0", vec.items[0].id);
        try testing.expect(std.math.isNan(vec.items[0].text_score));
        try testing.expectError(error.InvalidArgument, m.recall(gpa, null, .{ .k = 1, .query_text = "x", .search = .hybrid }));
        try testing.expectError(error.InvalidArgument, m.recall(gpa, null, .{ .k = 1, .search = .text }));
        try testing.expectError(error.InvalidArgument, m.recall(gpa, null, .{ .k = 1, .query_text = "x", .weights = .{ .rrf_k = 0 } }));
        var small: [2]u8 = undefined;
        try testing.expectError(error.InvalidArgument, m.textTokenizer(&small));
    }
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var m = try Memory.open(db, "zh");
    defer m.deinit();
    try testing.expectEqualStrings("icu", try m.textTokenizer(&buf));
    var hits = try m.recall(gpa, null, .{ .k = 1, .query_text = "首都", .touch = false });
    defer hits.deinit();
    try testing.expectEqualStrings("d0", hits.items[0].id);
}

test "memory: recall with a graph adds the facts of the entities the query names" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var m = try fixture(db);
    defer m.deinit();
    var g = try agentdb.graph.Graph.open(db, "people", null);
    defer g.deinit();
    const id = try g.addEntity(gpa, .{ .id = "alice", .name = "Alice", .aliases = &.{"Ali"} });
    gpa.free(id);
    try g.declarePredicate("drinks", true);
    const f1 = try g.addFact(gpa, .{ .subject = "alice", .predicate = "drinks", .object = .{ .literal = "tea" }, .valid_from_us = 100, .sources = &.{"a"}, .confidence = 0.5 });
    gpa.free(f1);
    const f2 = try g.addFact(gpa, .{ .subject = "alice", .predicate = "drinks", .object = .{ .literal = "coffee" }, .valid_from_us = 200, .sources = &.{"b"} });
    gpa.free(f2);
    const opts = agentdb.memory.RecallOptions{ .k = 3, .query_text = "what does ali drink", .now_us = 150, .touch = false };
    var got = try m.recallWithGraph(gpa, g, &.{ 1, 0 }, opts, null);
    defer got.deinit();
    var plain = try m.recall(gpa, &.{ 1, 0 }, opts);
    defer plain.deinit();
    try testing.expectEqual(plain.items.len, got.hits.items.len);
    for (plain.items, got.hits.items) |p, h| try testing.expectEqualStrings(p.id, h.id);
    try testing.expectEqual(@as(usize, 1), got.facts.items.len);
    const f = got.facts.items[0];
    try testing.expectEqualStrings("tea", f.object);
    try testing.expectEqual(@as(i64, 100), f.valid_from_us);
    try testing.expectEqual(@as(?i64, 200), f.valid_to_us);
    try testing.expectEqual(@as(f64, 0.5), f.confidence);
    try testing.expectEqualStrings("a", f.sources[0]);
    var later = opts;
    later.now_us = 250;
    var now = try m.recallWithGraph(gpa, g, &.{ 1, 0 }, later, 5);
    defer now.deinit();
    try testing.expectEqual(@as(usize, 1), now.facts.items.len);
    try testing.expectEqualStrings("coffee", now.facts.items[0].object);
    var no_text = opts;
    no_text.query_text = null;
    try testing.expectError(error.InvalidArgument, m.recallWithGraph(gpa, g, &.{ 1, 0 }, no_text, null));
    try testing.expectError(error.InvalidArgument, m.recallWithGraph(gpa, g, &.{ 1, 0 }, opts, 0));
}
