//! RAG through the Zig layer: ingest with an embedding callback (a bag-of-words hashing embedder,
//! so the test needs no model), skip of unchanged documents, replacement, hybrid / vector / text
//! search, filters, contexts with citations, and errors.
const std = @import("std");
const agentdb = @import("agentdb");
const Rag = agentdb.rag.Rag;

const testing = std.testing;
const gpa = testing.allocator;

const DIM = 64;
const TempDb = @import("temp_db.zig").TempDb;

/// Words (ASCII letters/digits, lower-cased) hashed into DIM buckets with a sign, L2-normalised.
fn embedOne(text: []const u8, out: []f32) void {
    @memset(out, 0);
    var i: usize = 0;
    while (i < text.len) {
        while (i < text.len and !std.ascii.isAlphanumeric(text[i])) i += 1;
        var h: u32 = 2166136261;
        var n: usize = 0;
        while (i < text.len and std.ascii.isAlphanumeric(text[i])) : (i += 1) {
            h = (h ^ std.ascii.toLower(text[i])) *% 16777619;
            n += 1;
        }
        if (n == 0) continue;
        const sign: f32 = if (h & 0x80000000 != 0) -1 else 1;
        out[h % out.len] += sign;
    }
    var norm: f32 = 0;
    for (out) |x| norm += x * x;
    if (norm == 0) {
        out[0] = 1;
        return;
    }
    norm = @sqrt(norm);
    for (out) |*x| x.* /= norm;
}

var calls: usize = 0;

fn embed(user: ?*anyopaque, texts: [*c]const [*c]const u8, n: usize, dim: usize, out: [*c]f32) callconv(.c) i32 {
    _ = user;
    if (dim != DIM) return 1;
    calls += 1;
    for (0..n) |i| embedOne(std.mem.span(texts[i]), out[i * dim .. (i + 1) * dim]);
    return 0;
}

fn failingEmbed(_: ?*anyopaque, _: [*c]const [*c]const u8, _: usize, _: usize, _: [*c]f32) callconv(.c) i32 {
    return 7;
}

fn query(q: []const u8) [DIM]f32 {
    var v: [DIM]f32 = undefined;
    embedOne(q, &v);
    return v;
}

const docs = [_]agentdb.rag.Document{
    .{ .id = "auth", .source = "handbook/auth.md", .format = .markdown, .metadata_json = "{\"lang\": \"en\"}", .text =
    \\# Accounts
    \\
    \\## Password reset
    \\
    \\To reset a forgotten password, open the login page and choose "forgot password". A reset link arrives by email.
    },
    .{ .id = "billing", .source = "handbook/billing.md", .metadata_json = "{\"lang\": \"en\"}", .text = "Invoices are sent monthly. Refunds for annual plans are prorated and paid within ten days." },
    .{ .id = "fr", .source = "fr.txt", .metadata_json = "{\"lang\": \"fr\"}", .text = "Les factures sont envoyées chaque mois par courrier électronique." },
};

test "rag: ingest, skip unchanged, search, context" {
    var tmp = testing.tmpDir(.{});
    defer tmp.cleanup();
    const base = try tmp.dir.realpathAlloc(gpa, ".");
    defer gpa.free(base);
    const path = try std.fs.path.joinZ(gpa, &.{ base, "db" });
    defer gpa.free(path);

    var db = try agentdb.Database.open(path);
    defer db.deinit();
    var rag = try Rag.openOrCreate(db, "kb", .{ .dim = DIM, .metric = .cosine });
    defer rag.deinit();
    try testing.expectEqual(@as(usize, DIM), try rag.dim());

    calls = 0;
    const first = try rag.ingest(gpa, &docs, .{}, &embed, null);
    try testing.expectEqual(@as(usize, 3), first.added);
    try testing.expectEqual(@as(usize, 3), first.chunks);
    try testing.expectEqual(@as(usize, 1), calls);

    // Same documents again: all skipped, the embedder is not called.
    const again = try rag.ingest(gpa, &docs, .{}, &embed, null);
    try testing.expectEqual(@as(usize, 3), again.unchanged);
    try testing.expectEqual(@as(usize, 0), again.chunks);
    try testing.expectEqual(@as(usize, 1), calls);

    const q = query("how to reset a forgotten password");
    {
        var hits = try rag.search(gpa, "reset forgotten password", &q, .{ .k = 2 });
        defer hits.deinit();
        try testing.expect(hits.items.len >= 1);
        const top = hits.items[0];
        try testing.expectEqualStrings("auth", top.doc_id);
        try testing.expectEqualStrings("handbook/auth.md", top.source);
        try testing.expectEqualStrings("Accounts > Password reset", top.heading);
        try testing.expectEqual(@as(?usize, 1), top.vector_rank);
        try testing.expectEqual(@as(?usize, 1), top.text_rank);
        try testing.expectApproxEqAbs(@as(f32, 2.0 / 61.0), top.score, 1e-6);
    }
    {
        // Text only (no vector), with a filter on the documents' metadata.
        var hits = try rag.search(gpa, "factures", null, .{ .mode = .text, .filter = .{ .json = "{\"lang\": \"fr\"}" } });
        defer hits.deinit();
        try testing.expectEqual(@as(usize, 1), hits.items.len);
        try testing.expectEqualStrings("fr", hits.items[0].doc_id);
        try testing.expect(hits.items[0].vector_rank == null);
    }
    {
        var ctx = try rag.context(gpa, "reset forgotten password", &q, .{ .max_tokens = 80 });
        defer ctx.deinit();
        try testing.expect(ctx.tokens <= 80);
        try testing.expect(std.mem.startsWith(u8, ctx.text, "[1] handbook/auth.md"));
        try testing.expect(ctx.citations.len >= 1);
        try testing.expectEqualStrings("auth", ctx.citations[0].doc_id);
    }

    // Replacing a document: its old chunks go.
    const changed = [_]agentdb.rag.Document{.{ .id = "billing", .text = "Payment is due on receipt." }};
    const rep = try rag.ingest(gpa, &changed, .{}, &embed, null);
    try testing.expectEqual(@as(usize, 1), rep.replaced);
    {
        var hits = try rag.search(gpa, "refunds prorated", null, .{ .mode = .text });
        defer hits.deinit();
        try testing.expectEqual(@as(usize, 0), hits.items.len);
    }
    try testing.expectEqual(@as(u64, 1), try rag.delete(gpa, &.{"billing"}));

    // Errors.
    try testing.expectError(error.InvalidArgument, rag.search(gpa, "x", null, .{}));
    try testing.expectError(error.InvalidArgument, rag.ingest(gpa, &changed, .{ .force = true }, &failingEmbed, null));
    try testing.expectError(error.InvalidFilter, rag.search(gpa, "x", null, .{ .mode = .text, .filter = .{ .json = "{\"lang\": {\"$bad\": 1}}" } }));
    try testing.expectError(error.DimensionMismatch, Rag.openOrCreate(db, "kb", .{ .dim = DIM + 1, .metric = .cosine }));
    try testing.expectError(error.CollectionNotFound, Rag.open(db, "nope"));
}

test "rag: Chinese documents with the ICU tokenizer, kept across reopening" {
    var tmp = try TempDb.init();
    defer tmp.deinit();
    var buf: [16]u8 = undefined;
    const zh = [_]agentdb.rag.Document{
        .{ .id = "capital", .text = "北京是中华人民共和国的首都，也是全国的政治和文化中心。" },
        .{ .id = "tea", .text = "茶起源于中国，绿茶和红茶是最常见的种类。" },
    };
    {
        var db = try agentdb.Database.open(tmp.path);
        defer db.deinit();
        var rag = try Rag.openOrCreate(db, "zh", .{ .dim = DIM, .metric = .cosine });
        defer rag.deinit();
        try testing.expectError(error.InvalidArgument, rag.setTextTokenizer("ngram:9-2"));
        try rag.setTextTokenizer("icu");
        _ = try rag.ingest(gpa, &zh, .{}, &embed, null);
    }
    var db = try agentdb.Database.open(tmp.path);
    defer db.deinit();
    var rag = try Rag.open(db, "zh");
    defer rag.deinit();
    try testing.expectEqualStrings("icu", try rag.textTokenizer(&buf));
    var hits = try rag.search(gpa, "绿茶", null, .{ .mode = .text, .k = 1 });
    defer hits.deinit();
    try testing.expectEqualStrings("tea", hits.items[0].doc_id);
}
