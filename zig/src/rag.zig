//! RAG stores for Zig, over the C ABI's `agentdb_rag_*` calls: ingest documents with an embedding
//! callback, retrieve chunks (vector, BM25, or both fused by reciprocal-rank fusion), and pack a
//! prompt context with citations. Chunking, hashing, fusion and packing are the engine's.
//!
//! ```zig
//! var rag = try agentdb.rag.Rag.openOrCreate(db, "docs", .{ .dim = 384, .metric = .cosine });
//! defer rag.deinit();
//! _ = try rag.ingest(gpa, &.{.{ .id = "guide", .text = md, .format = .markdown }}, .{}, myEmbed, null);
//! var hits = try rag.search(gpa, "reset password", query_vec, .{ .k = 3 });
//! defer hits.deinit();
//! var ctx = try rag.context(gpa, "reset password", query_vec, .{ .max_tokens = 800 });
//! defer ctx.deinit();
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

/// Which retrievers a search uses.
pub const Mode = enum(i32) {
    /// Vector similarity and BM25 fused by RRF (needs the query text and vector).
    hybrid = c.AGENTDB_RAG_HYBRID,
    /// Vector similarity only (needs the query vector).
    vector = c.AGENTDB_RAG_VECTOR,
    /// BM25 only (needs the query text).
    text = c.AGENTDB_RAG_TEXT,
};

/// How a document's text is structured.
pub const TextFormat = enum(i32) {
    plain = c.AGENTDB_TEXT_PLAIN,
    /// `#` headings open sections, which chunks never span.
    markdown = c.AGENTDB_TEXT_MARKDOWN,
};

/// How `search` and `context` retrieve. RRF score: `vector_weight / (rrf_k + rank_vector) +
/// text_weight / (rrf_k + rank_bm25)`. Fields left null take the engine's defaults for the call
/// (from `agentdb_rag_search_options_default` or `agentdb_rag_context_options_default`: they
/// differ, e.g. in `k`).
pub const Options = struct {
    mode: ?Mode = null,
    /// Chunks to return (search) or to pack from (context), 1 to `agentdb.max_k`.
    k: ?usize = null,
    /// Must be > 0 (use `mode` to leave a side out).
    vector_weight: ?f32 = null,
    /// Must be > 0.
    text_weight: ?f32 = null,
    /// The RRF rank constant, > 0.
    rrf_k: ?f32 = null,
    /// Chunks each retriever contributes (null: the engine decides from `k`).
    candidates: ?usize = null,
    /// Maximal marginal relevance λ in (0, 1] (lower: more diverse); null: off.
    mmr_lambda: ?f32 = null,
    /// Over chunk metadata (the document's metadata plus `doc_id`, `source`, `position`, …).
    filter: ?agentdb.Filter = null,
    /// Context only: passages in score order, unmerged, instead of by document in reading order.
    score_order: ?bool = null,

    /// The C struct: `base` (the engine's defaults for the call), then the fields set here.
    fn toC(self: Options, base: c.agentdb_rag_options) Error!c.agentdb_rag_options {
        std.debug.assert(base.struct_size == @sizeOf(c.agentdb_rag_options));
        // The C struct's 0 means "default": values that would read as 0 are refused here.
        if (self.k) |k| try agentdb.checkK(k);
        if (self.candidates) |n| if (n == 0) return error.InvalidArgument;
        for ([_]?f32{ self.vector_weight, self.text_weight, self.rrf_k }) |w| {
            if (w) |v| if (!(v > 0)) return error.InvalidArgument;
        }
        var o = base;
        if (self.mode) |m| o.mode = @intFromEnum(m);
        if (self.k) |k| o.k = k;
        if (self.vector_weight) |v| o.vector_weight = v;
        if (self.text_weight) |v| o.text_weight = v;
        if (self.rrf_k) |v| o.rrf_k = v;
        if (self.candidates) |n| o.candidates = n;
        if (self.mmr_lambda) |l| {
            if (!(l > 0 and l <= 1)) return error.InvalidArgument;
            o.mmr = true;
            o.mmr_lambda = l;
        }
        if (self.score_order) |s| o.score_order = s;
        return o;
    }
};

/// What `context` packs: at most `max_tokens` tokens (required: the budget is the caller's),
/// from chunks retrieved as `retrieval` says.
pub const ContextOptions = struct {
    max_tokens: usize,
    retrieval: Options = .{},
};

/// A document to ingest.
pub const Document = struct {
    id: [:0]const u8,
    text: [:0]const u8,
    /// Cited by contexts; null: the id.
    source: ?[:0]const u8 = null,
    format: TextFormat = .plain,
    /// A JSON object copied onto every chunk.
    metadata_json: ?[:0]const u8 = null,
};

/// Chunking and ingest settings; null fields take the engine's defaults (from
/// `agentdb_ingest_options_default`).
pub const IngestOptions = struct {
    /// The most a chunk holds (tokens by the engine's approximation, or characters).
    chunk_size: ?usize = null,
    /// How much of a chunk the next one repeats, below `chunk_size`.
    chunk_overlap: ?usize = null,
    /// Sizes in characters instead of tokens.
    chunk_chars: ?bool = null,
    /// Re-chunk and re-embed even documents stored unchanged.
    force: ?bool = null,

    /// The C struct: the engine's defaults, then the fields set here.
    fn toC(self: IngestOptions) c.agentdb_ingest_options {
        var o = c.agentdb_ingest_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_ingest_options));
        if (self.chunk_size) |v| o.chunk_size = v;
        if (self.chunk_overlap) |v| o.chunk_overlap = v;
        if (self.chunk_chars) |v| o.chunk_chars = v;
        if (self.force) |v| o.force = v;
        return o;
    }
};

/// What `ingest` did.
pub const IngestStats = c.agentdb_ingest_stats;

/// Writes `n * dim` floats (one row per text) to `out` and returns 0; anything else aborts the
/// ingest. Called during `ingest`, on its thread.
pub const EmbedFn = *const fn (user: ?*anyopaque, texts: [*c]const [*c]const u8, n: usize, dim: usize, out: [*c]f32) callconv(.c) i32;

/// One retrieved chunk (strings owned by the `Hits` it came from).
pub const Hit = struct {
    id: []const u8,
    doc_id: []const u8,
    source: []const u8,
    heading: []const u8,
    text: []const u8,
    metadata_json: []const u8,
    position: usize,
    char_start: usize,
    char_end: usize,
    score: f32,
    /// 1-based ranks and raw scores per retriever; null when it did not return the chunk.
    vector_rank: ?usize,
    distance: ?f32,
    text_rank: ?usize,
    bm25: ?f32,
};

/// Hits copied into the caller's allocator; `deinit` frees them.
pub const Hits = agentdb.Owned(Hit);

/// Where passage `[number]` of a context comes from.
pub const Citation = struct {
    number: usize,
    doc_id: []const u8,
    source: []const u8,
    heading: []const u8,
    first_position: usize,
    last_position: usize,
    char_start: usize,
    char_end: usize,
};

/// A packed context copied into the caller's allocator; `deinit` frees it.
pub const Context = struct {
    arena: std.heap.ArenaAllocator,
    text: []const u8,
    tokens: usize,
    citations: []const Citation,

    pub fn deinit(self: *Context) void {
        self.arena.deinit();
        self.* = undefined;
    }
};

fn span(p: [*c]const u8) []const u8 {
    return if (p == null) "" else std.mem.span(p);
}

/// A RAG store. `deinit` frees the handle (the store stays in the database). After
/// `Database.deinit` (which closes the database) every call fails with `error.Closed`; `deinit`
/// is still needed.
pub const Rag = struct {
    handle: *c.agentdb_rag,

    /// Opens store `name`, creating it with `shape` (the embeddings' dimension and metric) if
    /// needed; an existing store must have that shape.
    pub fn openOrCreate(db: agentdb.Database, name: [:0]const u8, shape: agentdb.StoreOptions) Error!Rag {
        var h: ?*c.agentdb_rag = null;
        try check(c.agentdb_rag_open_or_create(db.handle, name.ptr, shape.dim, @intFromEnum(shape.metric), &h));
        return .{ .handle = h.? };
    }

    /// Opens an existing store (`error.CollectionNotFound` if there is none).
    pub fn open(db: agentdb.Database, name: [:0]const u8) Error!Rag {
        var h: ?*c.agentdb_rag = null;
        try check(c.agentdb_rag_open(db.handle, name.ptr, &h));
        return .{ .handle = h.? };
    }

    pub fn deinit(self: *Rag) void {
        _ = c.agentdb_rag_close(self.handle);
        self.* = undefined;
    }

    pub fn dim(self: Rag) Error!usize {
        var d: usize = 0;
        try check(c.agentdb_rag_dim(self.handle, &d, null));
        return d;
    }

    /// Ingests documents (unchanged ones are skipped; changed ones replaced in one commit).
    pub fn ingest(self: Rag, allocator: Allocator, docs: []const Document, opts: IngestOptions, embed: EmbedFn, user: ?*anyopaque) AllocError!IngestStats {
        try agentdb.checkBatch(docs.len);
        for (docs) |d| if (d.metadata_json) |m| if (m.len > agentdb.max_json_len) return error.InvalidArgument;
        const cdocs = try allocator.alloc(c.agentdb_rag_document, docs.len);
        defer allocator.free(cdocs);
        for (docs, cdocs) |d, *cd| cd.* = .{
            .id = d.id.ptr,
            .text = d.text.ptr,
            .source = if (d.source) |s| s.ptr else null,
            .format = @intFromEnum(d.format),
            .metadata_json = if (d.metadata_json) |m| m.ptr else null,
        };
        const o = opts.toC();
        var stats: IngestStats = undefined;
        try check(c.agentdb_rag_ingest(self.handle, cdocs.ptr, cdocs.len, &o, embed, user, &stats));
        return stats;
    }

    /// Deletes documents by id; returns the number of chunks deleted.
    /// Sets the tokenizer of text and hybrid search (as `Memory.setTextTokenizer`); kept with
    /// the store, the chunks' text index rebuilt with it on the next search.
    pub fn setTextTokenizer(self: Rag, tokenizer: [:0]const u8) Error!void {
        try check(c.agentdb_rag_set_text_tokenizer(self.handle, tokenizer.ptr));
    }

    /// The tokenizer's name, written into `buf` (16 bytes always suffice); a slice of `buf`.
    pub fn textTokenizer(self: Rag, buf: []u8) Error![]const u8 {
        var len: usize = 0;
        try check(c.agentdb_rag_text_tokenizer(self.handle, buf.ptr, buf.len, &len));
        return buf[0..len];
    }

    pub fn delete(self: Rag, allocator: Allocator, doc_ids: []const [:0]const u8) AllocError!u64 {
        const ptrs = try agentdb.cStrings(allocator, doc_ids);
        defer allocator.free(ptrs);
        var n: u64 = 0;
        try check(c.agentdb_rag_delete(self.handle, ptrs.ptr, ptrs.len, &n));
        return n;
    }

    /// The best chunks for a query, best first: `query_text` for BM25, `query_vector` (the
    /// query's embedding) for similarity; hybrid needs both.
    pub fn search(self: Rag, allocator: Allocator, query_text: ?[:0]const u8, query_vector: ?[]const f32, opts: Options) AllocError!Hits {
        if (query_vector) |v| try agentdb.checkDim(v.len);
        const o = try opts.toC(c.agentdb_rag_search_options_default());
        var h: ?*c.agentdb_rag_hits = null;
        try check(c.agentdb_rag_search(
            self.handle,
            if (query_text) |t| t.ptr else null,
            if (query_vector) |v| v.ptr else null,
            if (query_vector) |v| v.len else 0,
            &o,
            agentdb.Filter.sqlPtr(opts.filter),
            agentdb.Filter.jsonPtr(opts.filter),
            &h,
        ));
        defer _ = c.agentdb_rag_hits_free(h);
        var n: usize = 0;
        try check(c.agentdb_rag_hits_count(h, &n));
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        const items = try a.alloc(Hit, n);
        for (items, 0..) |*item, i| {
            var x: c.agentdb_rag_hit = undefined;
            try check(c.agentdb_rag_hits_get(h, i, &x));
            item.* = .{
                .id = try a.dupe(u8, span(x.id)),
                .doc_id = try a.dupe(u8, span(x.doc_id)),
                .source = try a.dupe(u8, span(x.source)),
                .heading = try a.dupe(u8, span(x.heading)),
                .text = try a.dupe(u8, span(x.text)),
                .metadata_json = try a.dupe(u8, span(x.metadata_json)),
                .position = x.position,
                .char_start = x.char_start,
                .char_end = x.char_end,
                .score = x.score,
                .vector_rank = if (x.vector_rank == 0) null else x.vector_rank,
                .distance = if (x.vector_rank == 0) null else x.distance,
                .text_rank = if (x.text_rank == 0) null else x.text_rank,
                .bm25 = if (x.text_rank == 0) null else x.bm25,
            };
        }
        return .{ .arena = arena, .items = items };
    }

    /// The best chunks packed into `opts.max_tokens` tokens with `[n]` citation headers.
    pub fn context(self: Rag, allocator: Allocator, query_text: ?[:0]const u8, query_vector: ?[]const f32, opts: ContextOptions) AllocError!Context {
        if (query_vector) |v| try agentdb.checkDim(v.len);
        const o = try opts.retrieval.toC(c.agentdb_rag_context_options_default());
        var h: ?*c.agentdb_context = null;
        try check(c.agentdb_rag_context(
            self.handle,
            if (query_text) |t| t.ptr else null,
            if (query_vector) |v| v.ptr else null,
            if (query_vector) |v| v.len else 0,
            opts.max_tokens,
            &o,
            agentdb.Filter.sqlPtr(opts.retrieval.filter),
            agentdb.Filter.jsonPtr(opts.retrieval.filter),
            &h,
        ));
        defer _ = c.agentdb_context_free(h);
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        var p: [*c]const u8 = null;
        var len: usize = 0;
        var tokens: usize = 0;
        try check(c.agentdb_context_get_text(h, &p, &len, &tokens));
        const body = try a.dupe(u8, if (p == null) "" else p[0..len]);
        var n: usize = 0;
        try check(c.agentdb_context_count(h, &n));
        const cites = try a.alloc(Citation, n);
        for (cites, 0..) |*ct, i| {
            var x: c.agentdb_rag_citation = undefined;
            try check(c.agentdb_context_get(h, i, &x));
            ct.* = .{
                .number = x.number,
                .doc_id = try a.dupe(u8, span(x.doc_id)),
                .source = try a.dupe(u8, span(x.source)),
                .heading = try a.dupe(u8, span(x.heading)),
                .first_position = x.first_position,
                .last_position = x.last_position,
                .char_start = x.char_start,
                .char_end = x.char_end,
            };
        }
        return .{ .arena = arena, .text = body, .tokens = tokens, .citations = cites };
    }
};
