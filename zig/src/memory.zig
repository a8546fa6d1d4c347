//! Agent memory for Zig, over the C ABI's `agentdb_memory_*` calls: remember (with vectors you
//! computed), recall by the engine's score (similarity, recency with a half-life, importance),
//! get, update, forget, and consolidate (de-duplicate, decay, capacity) on demand or in the
//! background. The score and every rule are the engine's; see `agentdb_memory_recall`.
//!
//! ```zig
//! var mem = try agentdb.memory.Memory.openOrCreate(db, "memory", .{ .dim = 384, .metric = .cosine });
//! defer mem.deinit();
//! var ids = try mem.remember(gpa, .{ .agent_id = "bot" }, &.{.{ .text = "Alice likes tea", .importance = 0.8 }}, vecs);
//! defer ids.deinit();
//! var hits = try mem.recall(gpa, query_vec, .{ .k = 5, .filter = .{ .agent_id = "bot" } });
//! defer hits.deinit();
//! for (hits.items) |h| std.debug.print("{d:.3} {s}\n", .{ h.score, h.text orelse "" });
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");
const graph = @import("graph.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

/// What a memory is about.
pub const Kind = enum(i32) {
    working = c.AGENTDB_MEMORY_WORKING,
    episodic = c.AGENTDB_MEMORY_EPISODIC,
    semantic = c.AGENTDB_MEMORY_SEMANTIC,
    procedural = c.AGENTDB_MEMORY_PROCEDURAL,
};

/// Which memories a call applies to; every condition given must hold.
pub const Filter = struct {
    agent_id: ?[:0]const u8 = null,
    session_id: ?[:0]const u8 = null,
    /// null: every kind.
    kinds: ?[]const Kind = null,
    /// Created at or after (µs since the Unix epoch, UTC).
    since_us: ?i64 = null,
    /// Created before.
    until_us: ?i64 = null,
    /// On metadata and fields, as for collections.
    where: ?agentdb.Filter = null,

    fn toC(self: Filter) c.agentdb_memory_filter {
        var f = c.agentdb_memory_filter_default();
        std.debug.assert(f.struct_size == @sizeOf(c.agentdb_memory_filter));
        f.agent_id = if (self.agent_id) |a| a.ptr else null;
        f.session_id = if (self.session_id) |s| s.ptr else null;
        if (self.kinds) |ks| {
            // An empty list would read as "every kind" in C (mask 0): a bit for no kind makes the
            // call fail with error.InvalidArgument instead, as the engine refuses an empty list.
            if (ks.len == 0) f.kinds = 1 << 31;
            for (ks) |k| f.kinds |= @as(u32, 1) << @intCast(@intFromEnum(k));
        }
        if (self.since_us) |t| {
            f.has_since = true;
            f.since_us = t;
        }
        if (self.until_us) |t| {
            f.has_until = true;
            f.until_us = t;
        }
        f.filter_sql = agentdb.Filter.sqlPtr(self.where);
        f.filter_json = agentdb.Filter.jsonPtr(self.where);
        return f;
    }
};

/// How recall combines similarity with recency and importance (see `agentdb_recall_options`).
pub const Mode = enum(c.agentdb_recall_mode) {
    /// Relevance first: similarity normalised over the candidates × an adjustment in
    /// [1 − adjust, 1] for recency and importance.
    relevance = c.AGENTDB_RECALL_RELEVANCE,
    /// The old additive score `similarity·sim + recency·0.5^(age/half_life_s) + importance·imp`.
    linear = c.AGENTDB_RECALL_LINEAR,
};

/// Which rankings recall uses (see `agentdb_recall_options.search_mode`; null: the engine
/// decides, hybrid with a vector, a query text and stored texts).
pub const SearchMode = enum(c.agentdb_search_mode) {
    vector = c.AGENTDB_SEARCH_VECTOR,
    /// BM25 of `query_text` over the memory texts only.
    text = c.AGENTDB_SEARCH_TEXT,
    /// Both rankings, fused as `Weights.fusion` says.
    hybrid = c.AGENTDB_SEARCH_HYBRID,
};

/// How hybrid recall fuses the rankings (see `agentdb_recall_options.fusion`).
pub const Fusion = enum(c.agentdb_fusion) {
    /// Reciprocal rank fusion: `similarity·(k+1)/(k + rank_vector) + text·(k+1)/(k + rank_text)`.
    rrf = c.AGENTDB_FUSION_RRF,
    /// Weighted normalised scores: `similarity·sim_n + text·bm25 / max bm25`.
    linear = c.AGENTDB_FUSION_LINEAR,
};

/// The recall score's weights (see `agentdb_recall_options` for both modes). A field left
/// `null` takes the engine's default (from `agentdb_recall_options_default()`).
pub const Weights = struct {
    mode: ?Mode = null,
    similarity: ?f64 = null,
    recency: ?f64 = null,
    importance: ?f64 = null,
    /// Seconds after which recency halves.
    half_life_s: ?f64 = null,
    /// Relevance mode: the most recency and importance together take off a score, in [0, 1].
    adjust: ?f64 = null,
    /// The text ranking's weight in text and hybrid recall (`similarity` is the vector one's).
    text: ?f64 = null,
    fusion: ?Fusion = null,
    /// RRF's rank constant (> 0).
    rrf_k: ?f64 = null,

    /// The old default score: linear mode, the engine's weights.
    pub const linear: Weights = .{ .mode = .linear };
};

/// What `recall` returns and how it scores. `k` is required; the other fields left null take the
/// engine's defaults (from `agentdb_recall_options_default`).
pub const RecallOptions = struct {
    /// How many memories: 1 to `agentdb.max_k`.
    k: usize,
    /// Which memories may be recalled (default: all).
    filter: Filter = .{},
    weights: Weights = .{},
    /// Update the access statistics of the memories returned.
    touch: ?bool = null,
    /// Measure recency at this time (µs since the epoch) instead of the clock.
    now_us: ?i64 = null,
    /// Nearest memories re-scored when more than max(4096, 4Mi / dim) match; null: max(10·k, 100).
    candidates: ?usize = null,
    /// Score every matching memory however many.
    exact: ?bool = null,
    /// The query text of text and hybrid recall (BM25 over the memory texts).
    query_text: ?[:0]const u8 = null,
    /// Which rankings (null: the engine decides).
    search: ?SearchMode = null,

    fn toC(self: RecallOptions) Error!c.agentdb_recall_options {
        var o = c.agentdb_recall_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_recall_options));
        const w = self.weights;
        if (w.mode) |m| o.mode = @intFromEnum(m);
        if (w.similarity) |v| o.w_similarity = v;
        if (w.recency) |v| o.w_recency = v;
        if (w.importance) |v| o.w_importance = v;
        if (w.half_life_s) |v| o.half_life_s = v;
        if (w.adjust) |v| o.adjust = v;
        if (w.text) |v| o.w_text = v;
        if (w.fusion) |v| o.fusion = @intFromEnum(v);
        if (w.rrf_k) |v| o.rrf_k = v;
        if (self.query_text) |t| o.query_text = t.ptr;
        if (self.search) |m| o.search_mode = @intFromEnum(m);
        if (self.touch) |v| o.touch = v;
        if (self.exact) |v| o.exact = v;
        if (self.now_us) |t| {
            o.has_now = true;
            o.now_us = t;
        }
        if (self.candidates) |n| {
            // The C struct's 0 means "the default".
            try agentdb.checkK(n);
            o.candidates = n;
        }
        return o;
    }
};

/// What `consolidate` does; each step runs only when set.
pub const ConsolidateOptions = struct {
    agent_id: ?[:0]const u8 = null,
    /// Merge memories of one agent with similarity ≥ this into the strongest.
    dedup_threshold: ?f64 = null,
    /// Delete memories whose strength (recency and importance terms) is below this.
    min_score: ?f64 = null,
    /// Each agent keeps at most this many memories, the weakest go first.
    capacity: ?usize = null,
    weights: Weights = .{},
    now_us: ?i64 = null,

    fn toC(self: ConsolidateOptions) c.agentdb_consolidate_options {
        var o = c.agentdb_consolidate_options_default();
        std.debug.assert(o.struct_size == @sizeOf(c.agentdb_consolidate_options));
        o.agent_id = if (self.agent_id) |a| a.ptr else null;
        if (self.dedup_threshold) |t| {
            o.dedup = true;
            o.dedup_threshold = t;
        }
        if (self.min_score) |m| {
            o.decay = true;
            o.min_score = m;
        }
        if (self.capacity) |n| {
            o.has_capacity = true;
            o.capacity = n;
        }
        if (self.weights.recency) |v| o.w_recency = v;
        if (self.weights.importance) |v| o.w_importance = v;
        if (self.weights.half_life_s) |v| o.half_life_s = v;
        if (self.now_us) |t| {
            o.has_now = true;
            o.now_us = t;
        }
        return o;
    }
};

/// How many memories each consolidation step removed.
pub const Report = struct { merged: u64, pruned: u64, evicted: u64 };

/// Settings shared by every memory of one `remember` batch.
pub const Batch = struct {
    agent_id: [:0]const u8,
    session_id: ?[:0]const u8 = null,
    /// null: the engine's default kind.
    kind: ?Kind = null,
};

/// One memory to store (its vector is in the batch's `vectors`).
pub const Item = struct {
    /// null: a new time-ordered id.
    id: ?[:0]const u8 = null,
    text: ?[:0]const u8 = null,
    /// In [0, 1]; null: the engine's default.
    importance: ?f64 = null,
    /// µs since the epoch; null: now.
    created_at_us: ?i64 = null,
    /// A JSON object, or null.
    metadata_json: ?[]const u8 = null,
};

/// A memory, copied into the caller's allocator.
pub const Record = struct {
    id: []const u8,
    text: ?[]const u8,
    agent_id: []const u8,
    session_id: ?[]const u8,
    kind: Kind,
    importance: f64,
    created_at_us: i64,
    last_accessed_us: i64,
    access_count: u64,
    metadata_json: []const u8,
    /// Recall: the score, the similarity (NaN without a query) and the recency it used; NaN
    /// from `get`.
    score: f64,
    similarity: f64,
    recency: f64,
    /// Text and hybrid recall: the BM25 score of the query text (0: no query word); NaN
    /// otherwise.
    text_score: f64,
    /// `get`: the vector; recall: empty.
    vector: []const f32,
};

/// Memories owned by the caller (`deinit` frees them).
/// What `Memory.recallWithGraph` returns: the hits and the graph's facts about the query.
pub const GraphRecall = struct {
    hits: Records,
    facts: graph.Facts,

    pub fn deinit(self: *GraphRecall) void {
        self.hits.deinit();
        self.facts.deinit();
        self.* = undefined;
    }
};

pub const Records = struct {
    arena: std.heap.ArenaAllocator,
    items: []const Record,

    pub fn deinit(self: *Records) void {
        self.arena.deinit();
        self.* = undefined;
    }

    fn copy(allocator: Allocator, h: ?*c.agentdb_memories) AllocError!Records {
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        var n: usize = 0;
        try check(c.agentdb_memories_count(h, &n));
        const items = try a.alloc(Record, n);
        for (items, 0..) |*r, i| {
            var info: c.agentdb_memory_info = undefined;
            try check(c.agentdb_memories_get(h, i, &info));
            r.* = .{
                .id = try a.dupe(u8, std.mem.span(info.id)),
                .text = if (info.text == null) null else try a.dupe(u8, std.mem.span(info.text)),
                .agent_id = try a.dupe(u8, std.mem.span(info.agent_id)),
                .session_id = if (info.session_id == null) null else try a.dupe(u8, std.mem.span(info.session_id)),
                .kind = std.meta.intToEnum(Kind, info.kind) catch return error.Unknown,
                .importance = info.importance,
                .created_at_us = info.created_at_us,
                .last_accessed_us = info.last_accessed_us,
                .access_count = info.access_count,
                .metadata_json = try a.dupe(u8, std.mem.span(info.metadata_json)),
                .score = info.score,
                .similarity = info.similarity,
                .recency = info.recency,
                .text_score = info.text_score,
                .vector = if (info.vector == null) &.{} else try a.dupe(f32, info.vector[0..info.dim]),
            };
        }
        return .{ .arena = arena, .items = items };
    }
};

/// Ids returned by `remember`, owned by the caller.
pub const Ids = agentdb.Strings;

/// One item's metadata for `remember`: exactly one JSON value, an object or `null`
/// (`error.InvalidMetadata`). `allocator` holds the validating scanner's nesting stack.
fn checkMetadataObject(allocator: Allocator, text: []const u8) AllocError!void {
    if (text.len > agentdb.max_json_len) return error.InvalidArgument;
    if (!try std.json.validate(allocator, text)) return error.InvalidMetadata;
    const t = std.mem.trim(u8, text, " \t\r\n");
    if (!(t.len > 0 and t[0] == '{') and !std.mem.eql(u8, t, "null")) return error.InvalidMetadata;
}

/// A memory store. `deinit` frees the handle (the store stays in the database). After
/// `Database.deinit` (which closes the database) every call fails with `error.Closed`; `deinit`
/// is still needed.
pub const Memory = struct {
    handle: *c.agentdb_memory,

    /// Opens the existing store `name` (`error.CollectionNotFound` if there is none).
    pub fn open(db: agentdb.Database, name: [:0]const u8) Error!Memory {
        var h: ?*c.agentdb_memory = null;
        try check(c.agentdb_memory_open(db.handle, name.ptr, &h));
        return .{ .handle = h.? };
    }

    /// Opens store `name`, creating it with `shape` if it does not exist. An existing store must
    /// have that dimension (`error.DimensionMismatch`) and metric (`error.InvalidArgument`).
    pub fn openOrCreate(db: agentdb.Database, name: [:0]const u8, shape: agentdb.StoreOptions) Error!Memory {
        var h: ?*c.agentdb_memory = null;
        try check(c.agentdb_memory_open_or_create(db.handle, name.ptr, shape.dim, @intFromEnum(shape.metric), &h));
        return .{ .handle = h.? };
    }

    /// Deletes store `name` and all its memories.
    pub fn drop(db: agentdb.Database, name: [:0]const u8) Error!void {
        try check(c.agentdb_memory_drop(db.handle, name.ptr));
    }

    pub fn deinit(self: *Memory) void {
        _ = c.agentdb_memory_close(self.handle);
        self.* = undefined;
    }

    pub fn dim(self: Memory) Error!usize {
        var d: usize = 0;
        try check(c.agentdb_memory_dim(self.handle, &d));
        return d;
    }

    /// Stores `items` (their vectors row-major in `vectors`, `items.len * dim` floats) in one
    /// write; returns their ids. The batch is checked whole: a bad item rejects it.
    ///
    /// Refused here, before anything is allocated or C is called: no items, more than
    /// `agentdb.max_batch`, `vectors` not whole rows of a dimension from 1 to `agentdb.max_dim`
    /// (`error.InvalidArgument`; `error.DimensionMismatch` above `max_dim`), an id longer than
    /// `agentdb.max_id_len` (`error.InvalidArgument`), and an item's `metadata_json` that is not
    /// exactly one JSON object or `null` (`error.InvalidMetadata`: the items' metadata is joined
    /// into one JSON array for C, so one item's text must not be able to stand for several).
    pub fn remember(self: Memory, allocator: Allocator, batch: Batch, items: []const Item, vectors: []const f32) AllocError!Ids {
        const n = items.len;
        if (n == 0) return error.InvalidArgument;
        try agentdb.checkBatch(n);
        if (vectors.len % n != 0) return error.InvalidArgument;
        const d = vectors.len / n;
        if (d == 0) return error.InvalidArgument;
        try agentdb.checkDim(d);
        std.debug.assert(d * n == vectors.len);
        var meta_len: usize = 2; // "[" ... "]"
        for (items) |it| {
            if (it.id) |id| if (id.len > agentdb.max_id_len) return error.InvalidArgument;
            if (it.metadata_json) |m| {
                try checkMetadataObject(allocator, m);
                meta_len += m.len + 1;
            } else meta_len += "null,".len;
        }
        if (meta_len > agentdb.max_json_len) return error.InvalidArgument;
        var arena = std.heap.ArenaAllocator.init(allocator);
        defer arena.deinit();
        const a = arena.allocator();
        const ids = try a.alloc([*c]const u8, n);
        const texts = try a.alloc([*c]const u8, n);
        const imp = try a.alloc(f64, n);
        const created = try a.alloc(i64, n);
        var any_created = false;
        var meta: std.ArrayListUnmanaged(u8) = .empty;
        try meta.ensureTotalCapacity(a, meta_len + 1);
        var any_meta = false;
        try meta.append(a, '[');
        const now: i64 = std.time.microTimestamp();
        for (items, 0..) |it, i| {
            ids[i] = if (it.id) |s| s.ptr else null;
            texts[i] = if (it.text) |s| s.ptr else null;
            imp[i] = it.importance orelse std.math.nan(f64); // NaN: the engine's default
            created[i] = it.created_at_us orelse now;
            if (it.created_at_us != null) any_created = true;
            if (i > 0) try meta.append(a, ',');
            if (it.metadata_json) |m| {
                any_meta = true;
                try meta.appendSlice(a, m);
            } else try meta.appendSlice(a, "null");
        }
        try meta.appendSlice(a, "]\x00");
        const meta_ptr: [*c]const u8 = if (any_meta) meta.items.ptr else null;
        var h: ?*c.agentdb_strings = null;
        try check(c.agentdb_memory_remember(
            self.handle,
            batch.agent_id.ptr,
            if (batch.session_id) |s| s.ptr else null,
            if (batch.kind) |k| @intFromEnum(k) else c.AGENTDB_MEMORY_KIND_DEFAULT,
            n,
            ids.ptr,
            texts.ptr,
            vectors.ptr,
            d,
            imp.ptr,
            if (any_created) created.ptr else null,
            meta_ptr,
            &h,
        ));
        defer _ = c.agentdb_strings_free(h);
        var made: usize = 0;
        try check(c.agentdb_strings_count(h, &made));
        if (made != n) return error.Internal; // one id per memory stored
        var out = std.heap.ArenaAllocator.init(allocator);
        errdefer out.deinit();
        const o = out.allocator();
        const items_out = try o.alloc([]const u8, n);
        for (items_out, 0..) |*s, i| {
            var p: [*c]const u8 = null;
            var len: usize = 0;
            try check(c.agentdb_strings_get(h, i, &p, &len));
            s.* = try o.dupe(u8, p[0..len]);
        }
        return .{ .arena = out, .items = items_out };
    }

    /// The `opts.k` best memories for `query` (null: by strength alone) among those
    /// `opts.filter` lets through, best first.
    pub fn recall(self: Memory, allocator: Allocator, query: ?[]const f32, opts: RecallOptions) AllocError!Records {
        try agentdb.checkK(opts.k);
        if (query) |q| try agentdb.checkDim(q.len);
        const f = opts.filter.toC();
        const o = try opts.toC();
        var h: ?*c.agentdb_memories = null;
        try check(c.agentdb_memory_recall(
            self.handle,
            if (query) |q| q.ptr else null,
            if (query) |q| q.len else 0,
            opts.k,
            &f,
            &o,
            &h,
        ));
        defer _ = c.agentdb_memories_free(h);
        return Records.copy(allocator, h);
    }

    /// `recall` with a knowledge graph: the same hits, and the facts of `g` about the entities
    /// `opts.query_text` (required) names, valid at the recall's time (`opts.now_us`, else now),
    /// at most `facts_limit` (null: the engine's default), each with its source memory ids,
    /// validity and confidence. Free both with `GraphRecall.deinit`.
    pub fn recallWithGraph(self: Memory, allocator: Allocator, g: graph.Graph, query: ?[]const f32, opts: RecallOptions, facts_limit: ?usize) AllocError!GraphRecall {
        try agentdb.checkK(opts.k);
        if (query) |q| try agentdb.checkDim(q.len);
        if (facts_limit) |l| if (l == 0) return error.InvalidArgument;
        const f = opts.filter.toC();
        const o = try opts.toC();
        var h: ?*c.agentdb_memories = null;
        var fh: ?*c.agentdb_graph_facts = null;
        try check(c.agentdb_memory_recall_with_graph(
            self.handle,
            g.handle,
            if (query) |q| q.ptr else null,
            if (query) |q| q.len else 0,
            opts.k,
            &f,
            &o,
            facts_limit orelse 0,
            &h,
            &fh,
        ));
        var facts = graph.Facts.take(allocator, fh) catch |e| {
            _ = c.agentdb_memories_free(h);
            return e;
        };
        errdefer facts.deinit();
        defer _ = c.agentdb_memories_free(h);
        return .{ .hits = try Records.copy(allocator, h), .facts = facts };
    }

    /// The memories with these ids (in that order; missing ones left out), with vectors.
    pub fn get(self: Memory, allocator: Allocator, ids: []const [:0]const u8) AllocError!Records {
        const cids = try agentdb.cStrings(allocator, ids);
        defer allocator.free(cids);
        var h: ?*c.agentdb_memories = null;
        try check(c.agentdb_memory_get(self.handle, cids.ptr, cids.len, &h));
        defer _ = c.agentdb_memories_free(h);
        return Records.copy(allocator, h);
    }

    pub fn count(self: Memory, filter: Filter) Error!u64 {
        const f = filter.toC();
        var n: u64 = 0;
        try check(c.agentdb_memory_count(self.handle, &f, &n));
        return n;
    }

    /// Deletes memories by id and/or filter (both: those matching both); returns how many.
    pub fn forget(self: Memory, allocator: Allocator, ids: ?[]const [:0]const u8, filter: Filter) AllocError!u64 {
        const cids: ?[][*c]const u8 = if (ids) |list| try agentdb.cStrings(allocator, list) else null;
        defer if (cids) |arr| allocator.free(arr);
        const f = filter.toC();
        var n: u64 = 0;
        try check(c.agentdb_memory_forget(
            self.handle,
            if (cids) |arr| arr.ptr else null,
            if (cids) |arr| arr.len else 0,
            &f,
            &n,
        ));
        return n;
    }

    /// Changes one memory; fields left null stay as they are.
    pub const Update = struct {
        /// Set the text (`.{ .value = null }` removes it).
        text: ?struct { value: ?[:0]const u8 } = null,
        importance: ?f64 = null,
        vector: ?[]const f32 = null,
        /// A JSON object replacing the user metadata.
        metadata_json: ?[:0]const u8 = null,
    };

    pub fn update(self: Memory, id: [:0]const u8, change: Update) Error!void {
        if (change.vector) |v| try agentdb.checkDim(v.len);
        if (change.metadata_json) |m| if (m.len > agentdb.max_json_len) return error.InvalidArgument;
        try check(c.agentdb_memory_update(
            self.handle,
            id.ptr,
            change.text != null,
            if (change.text) |t| (if (t.value) |v| v.ptr else null) else null,
            change.importance orelse std.math.nan(f64),
            if (change.vector) |v| v.ptr else null,
            if (change.vector) |v| v.len else 0,
            if (change.metadata_json) |m| m.ptr else null,
        ));
    }

    pub fn consolidate(self: Memory, opts: ConsolidateOptions) Error!Report {
        const o = opts.toC();
        var r: c.agentdb_consolidation_report = undefined;
        try check(c.agentdb_memory_consolidate(self.handle, &o, &r));
        return .{ .merged = r.merged, .pruned = r.pruned, .evicted = r.evicted };
    }

    /// Runs `consolidate(opts)` every `interval_ms` on a library thread until `stopBackground`
    /// or the database closes.
    pub fn startBackground(self: Memory, interval_ms: u64, opts: ConsolidateOptions) Error!void {
        const o = opts.toC();
        try check(c.agentdb_memory_start_background(self.handle, interval_ms, &o));
    }

    pub fn stopBackground(self: Memory) Error!void {
        try check(c.agentdb_memory_stop_background(self.handle));
    }

    /// Writes pending access statistics now.
    pub fn flush(self: Memory) Error!void {
        try check(c.agentdb_memory_flush(self.handle));
    }

    /// Sets the tokenizer of text and hybrid recall (`"simple"`, `"icu"`, `"ngram"`,
    /// `"ngram:N"`, `"ngram:MIN-MAX"`), kept with the store; every text is re-indexed.
    /// `error.InvalidArgument` for another name.
    pub fn setTextTokenizer(self: Memory, tokenizer: [:0]const u8) Error!void {
        try check(c.agentdb_memory_set_text_tokenizer(self.handle, tokenizer.ptr));
    }

    /// The tokenizer's name, written into `buf` (16 bytes always suffice); a slice of `buf`.
    pub fn textTokenizer(self: Memory, buf: []u8) Error![]const u8 {
        var len: usize = 0;
        try check(c.agentdb_memory_text_tokenizer(self.handle, buf.ptr, buf.len, &len));
        return buf[0..len];
    }
};
