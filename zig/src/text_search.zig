//! Full-text (BM25) and hybrid search of a collection for Zig, over the C ABI's
//! `agentdb_collection_text_search` and `agentdb_collection_hybrid_search`. Ranking and fusion
//! are the engine's. Reached as `Collection.textSearch` / `Collection.hybridSearch`; the
//! tokenizer both use as `Collection.setTextTokenizer` / `Collection.textTokenizer`.
//!
//! ```zig
//! var hits = try col.hybridSearch(gpa, query_vec, "reset password", .{ .k = 5 });
//! defer hits.deinit();
//! for (hits.items) |h| std.debug.print("{s} {d} (vector #{?d}, bm25 #{?d})\n", .{ h.id, h.score, h.vector_rank, h.text_rank });
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

/// How `hybridSearch` fuses the vector ranking and the BM25 ranking.
pub const Method = enum(i32) {
    /// Reciprocal-rank fusion: `vector_weight / (rrf_k + vector_rank) + text_weight / (rrf_k +
    /// text_rank)`, a side that did not return the record adding 0.
    rrf = c.AGENTDB_FUSION_RRF,
    /// `vector_weight · v + text_weight · t`, each side's scores min-max normalised to [0, 1]
    /// over its candidates.
    linear = c.AGENTDB_FUSION_LINEAR,
};

/// What `textSearch` returns: the `k` best (1 to `max_k`) among the records matching `filter`.
pub const TextSearchOptions = struct {
    k: usize,
    filter: ?agentdb.Filter = null,
};

/// How `hybridSearch` runs; null fields take the engine's defaults (`agentdb_hybrid_options_default`).
pub const HybridOptions = struct {
    /// Hits to return, 1 to `max_k`.
    k: usize,
    /// Applied to both sides before ranking.
    filter: ?agentdb.Filter = null,
    method: ?Method = null,
    /// Must be > 0 (to rank by one side only, use `search` or `textSearch`).
    vector_weight: ?f32 = null,
    /// Must be > 0.
    text_weight: ?f32 = null,
    /// RRF's rank constant, > 0.
    rrf_k: ?f32 = null,
    /// Records each side contributes before fusion (null: the engine decides from `k`).
    candidates: ?usize = null,

    fn toC(self: HybridOptions) Error!c.agentdb_hybrid_options {
        var o = c.agentdb_hybrid_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_hybrid_options));
        // The C struct's 0 means "default": values that would read as 0 are refused here.
        if (self.candidates) |n| if (n == 0) return error.InvalidArgument;
        for ([_]?f32{ self.vector_weight, self.text_weight, self.rrf_k }) |w| {
            if (w) |v| if (!(v > 0)) return error.InvalidArgument;
        }
        if (self.method) |m| o.method = @intFromEnum(m);
        if (self.vector_weight) |v| o.vector_weight = v;
        if (self.text_weight) |v| o.text_weight = v;
        if (self.rrf_k) |v| o.rrf_k = v;
        if (self.candidates) |n| o.candidates = n;
        return o;
    }
};

/// One hit (strings owned by the `ScoredHits` it came from). `score`: BM25 for a text search,
/// the fused score for a hybrid one (larger is better). Each side's 1-based rank and raw score
/// are null where that side did not return the record.
pub const ScoredHit = struct {
    id: []const u8,
    /// Null when the record has no document.
    document: ?[]const u8,
    metadata_json: []const u8,
    score: f32,
    vector_rank: ?usize,
    distance: ?f32,
    text_rank: ?usize,
    bm25: ?f32,
};

/// Hits copied into the caller's allocator; `deinit` frees them.
pub const ScoredHits = agentdb.Owned(ScoredHit);

pub fn textSearch(col: agentdb.Collection, allocator: Allocator, query: [:0]const u8, opts: TextSearchOptions) AllocError!ScoredHits {
    try agentdb.checkK(opts.k);
    var h: ?*c.agentdb_scored_hits = null;
    try check(c.agentdb_collection_text_search(col.handle, query.ptr, opts.k, agentdb.Filter.sqlPtr(opts.filter), agentdb.Filter.jsonPtr(opts.filter), &h));
    defer _ = c.agentdb_scored_hits_free(h);
    return copy(allocator, h);
}

pub fn hybridSearch(col: agentdb.Collection, allocator: Allocator, vector: []const f32, query_text: [:0]const u8, opts: HybridOptions) AllocError!ScoredHits {
    try agentdb.checkK(opts.k);
    try agentdb.checkDim(vector.len);
    const o = try opts.toC();
    var h: ?*c.agentdb_scored_hits = null;
    try check(c.agentdb_collection_hybrid_search(col.handle, vector.ptr, vector.len, query_text.ptr, opts.k, agentdb.Filter.sqlPtr(opts.filter), agentdb.Filter.jsonPtr(opts.filter), &o, &h));
    defer _ = c.agentdb_scored_hits_free(h);
    return copy(allocator, h);
}

pub fn setTextTokenizer(col: agentdb.Collection, tokenizer: [:0]const u8) Error!void {
    try check(c.agentdb_collection_set_text_tokenizer(col.handle, tokenizer.ptr));
}

pub fn textTokenizer(col: agentdb.Collection, buf: []u8) Error![]const u8 {
    var len: usize = 0;
    try check(c.agentdb_collection_text_tokenizer(col.handle, buf.ptr, buf.len, &len));
    return buf[0..len];
}

fn copy(allocator: Allocator, h: ?*c.agentdb_scored_hits) AllocError!ScoredHits {
    var n: usize = 0;
    try check(c.agentdb_scored_hits_count(h, &n));
    var arena = std.heap.ArenaAllocator.init(allocator);
    errdefer arena.deinit();
    const a = arena.allocator();
    const items = try a.alloc(ScoredHit, n);
    for (items, 0..) |*item, i| {
        var x: c.agentdb_scored_hit = undefined;
        try check(c.agentdb_scored_hits_get(h, i, &x));
        item.* = .{
            .id = try a.dupe(u8, std.mem.span(x.id)),
            .document = if (x.document == null) null else try a.dupe(u8, std.mem.span(x.document)),
            .metadata_json = try a.dupe(u8, std.mem.span(x.metadata_json)),
            .score = x.score,
            .vector_rank = if (x.vector_rank == 0) null else x.vector_rank,
            .distance = if (x.vector_rank == 0) null else x.distance,
            .text_rank = if (x.text_rank == 0) null else x.text_rank,
            .bm25 = if (x.text_rank == 0) null else x.bm25,
        };
    }
    return .{ .arena = arena, .items = items };
}
