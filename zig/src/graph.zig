//! Temporal knowledge graphs for Zig, over the C ABI's `agentdb_graph_*` calls: entities and the
//! facts between them with valid time (`valid_from`/`valid_to`) and transaction time
//! (`recorded_at`); single-valued predicates, invalidation and correction keep the old versions;
//! reads as of a time, over an interval or as believed at a time; neighbours, shortest paths,
//! entity search and the facts of the entities a text mentions. Every rule is the engine's.
//!
//! ```zig
//! var g = try agentdb.graph.Graph.open(db, "agent-1", null);
//! defer g.deinit();
//! const a = try g.addEntity(gpa, .{ .id = "alice", .name = "Alice" });
//! defer gpa.free(a);
//! // ... add "paris", then:
//! const f = try g.addFact(gpa, .{ .subject = "alice", .predicate = "lives_in", .object = .{ .entity = "paris" } });
//! defer gpa.free(f);
//! var facts = try g.facts(gpa, "alice", .{ .as_of_us = some_time });
//! defer facts.deinit();
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

/// Which way traversals follow facts (subject → object is `out`).
pub const Direction = enum(i32) {
    both = c.AGENTDB_GRAPH_BOTH,
    out = c.AGENTDB_GRAPH_OUT,
    in = c.AGENTDB_GRAPH_IN,
};

/// `[from_us, to_us)`; `to_us` null: unbounded.
pub const Interval = struct { from_us: i64, to_us: ?i64 = null };

/// Which facts a read selects; unset fields: valid now, as currently believed, every predicate.
pub const Query = struct {
    as_of_us: ?i64 = null,
    /// Valid at some instant of the interval (excludes `as_of_us`).
    during: ?Interval = null,
    /// As believed at this transaction time.
    known_at_us: ?i64 = null,
    predicates: ?[]const [:0]const u8 = null,
    direction: Direction = .both,

    /// The C query; `ptrs` holds the predicate pointers for the call.
    fn toC(self: Query, ptrs: [][*c]const u8) c.agentdb_graph_query {
        var q = c.agentdb_graph_query_default();
        std.debug.assert(q.struct_size == @sizeOf(c.agentdb_graph_query));
        if (self.as_of_us) |t| {
            q.has_as_of = true;
            q.as_of_us = t;
        }
        if (self.during) |d| {
            q.has_during = true;
            q.during_from_us = d.from_us;
            q.during_open_end = d.to_us == null;
            q.during_to_us = d.to_us orelse 0;
        }
        if (self.known_at_us) |t| {
            q.has_known_at = true;
            q.known_at_us = t;
        }
        q.predicates = if (ptrs.len == 0) null else ptrs.ptr;
        q.n_predicates = ptrs.len;
        q.direction = @intFromEnum(self.direction);
        return q;
    }
};

/// The object of a fact.
pub const Object = union(enum) {
    entity: [:0]const u8,
    literal: [:0]const u8,

    fn value(self: Object) [:0]const u8 {
        return switch (self) {
            .entity, .literal => |v| v,
        };
    }
};

pub const NewEntity = struct {
    /// null: a new id.
    id: ?[:0]const u8 = null,
    name: [:0]const u8,
    type: ?[:0]const u8 = null,
    aliases: []const [:0]const u8 = &.{},
    /// Of the graph's dimension.
    embedding: ?[]const f32 = null,
    /// A JSON object.
    metadata_json: ?[:0]const u8 = null,
};

pub const NewFact = struct {
    subject: [:0]const u8,
    predicate: [:0]const u8,
    object: Object,
    /// null: from the moment it is recorded.
    valid_from_us: ?i64 = null,
    valid_to_us: ?i64 = null,
    /// Ids of the memories it was taken from.
    sources: []const [:0]const u8 = &.{},
    /// In [0, 1]; null: 1.
    confidence: ?f64 = null,
};

/// What `correct` changes (null fields stay).
pub const Correction = struct {
    object: ?Object = null,
    valid_from_us: ?i64 = null,
    valid_to: union(enum) { keep, set: i64, reopen } = .keep,
    sources: ?[]const [:0]const u8 = null,
    confidence: ?f64 = null,
};

/// One version of a fact, copied into the caller's allocator.
pub const Fact = struct {
    id: []const u8,
    version: u32,
    subject: []const u8,
    predicate: []const u8,
    /// An entity id when `object_is_entity`, else the literal.
    object: []const u8,
    object_is_entity: bool,
    valid_from_us: i64,
    valid_to_us: ?i64,
    recorded_at_us: i64,
    superseded_at_us: ?i64,
    confidence: f64,
    sources: []const []const u8,
};

/// Facts owned by the caller (`deinit` frees them).
pub const Facts = struct {
    arena: std.heap.ArenaAllocator,
    items: []const Fact,

    pub fn deinit(self: *Facts) void {
        self.arena.deinit();
        self.* = undefined;
    }

    /// Copies a C fact list and frees it (also on error).
    pub fn take(allocator: Allocator, h: ?*c.agentdb_graph_facts) AllocError!Facts {
        defer _ = c.agentdb_graph_facts_free(h);
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        var n: usize = 0;
        try check(c.agentdb_graph_facts_count(h, &n));
        const items = try a.alloc(Fact, n);
        for (items, 0..) |*f, i| {
            var x: c.agentdb_graph_fact = undefined;
            try check(c.agentdb_graph_facts_get(h, i, &x));
            const sources = try a.alloc([]const u8, x.n_sources);
            for (sources, 0..) |*s, j| {
                var p: [*c]const u8 = null;
                try check(c.agentdb_graph_facts_source(h, i, j, &p));
                s.* = try a.dupe(u8, std.mem.span(p));
            }
            f.* = .{
                .id = try a.dupe(u8, std.mem.span(x.id)),
                .version = x.version,
                .subject = try a.dupe(u8, std.mem.span(x.subject)),
                .predicate = try a.dupe(u8, std.mem.span(x.predicate)),
                .object = try a.dupe(u8, std.mem.span(x.object)),
                .object_is_entity = x.object_is_entity,
                .valid_from_us = x.valid_from_us,
                .valid_to_us = if (x.has_valid_to) x.valid_to_us else null,
                .recorded_at_us = x.recorded_at_us,
                .superseded_at_us = if (x.has_superseded_at) x.superseded_at_us else null,
                .confidence = x.confidence,
                .sources = sources,
            };
        }
        return .{ .arena = arena, .items = items };
    }
};

/// An entity, copied into the caller's allocator.
pub const Entity = struct {
    id: []const u8,
    name: []const u8,
    type: ?[]const u8,
    aliases: []const []const u8,
    metadata_json: []const u8,
    /// Empty without an embedding.
    embedding: []const f32,
    recorded_at_us: i64,
    /// The search score (`searchEntities`); 1 otherwise.
    score: f64,
};

pub const Entities = struct {
    arena: std.heap.ArenaAllocator,
    items: []const Entity,

    pub fn deinit(self: *Entities) void {
        self.arena.deinit();
        self.* = undefined;
    }

    fn take(allocator: Allocator, h: ?*c.agentdb_graph_entities) AllocError!Entities {
        defer _ = c.agentdb_graph_entities_free(h);
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        var n: usize = 0;
        try check(c.agentdb_graph_entities_count(h, &n));
        const items = try a.alloc(Entity, n);
        for (items, 0..) |*e, i| {
            var x: c.agentdb_graph_entity = undefined;
            try check(c.agentdb_graph_entities_get(h, i, &x));
            const aliases = try a.alloc([]const u8, x.n_aliases);
            for (aliases, 0..) |*s, j| {
                var p: [*c]const u8 = null;
                try check(c.agentdb_graph_entities_alias(h, i, j, &p));
                s.* = try a.dupe(u8, std.mem.span(p));
            }
            e.* = .{
                .id = try a.dupe(u8, std.mem.span(x.id)),
                .name = try a.dupe(u8, std.mem.span(x.name)),
                .type = if (x.type_ == null) null else try a.dupe(u8, std.mem.span(x.type_)),
                .aliases = aliases,
                .metadata_json = try a.dupe(u8, std.mem.span(x.metadata_json)),
                .embedding = if (x.embedding == null) &.{} else try a.dupe(f32, x.embedding[0..x.dim]),
                .recorded_at_us = x.recorded_at_us,
                .score = x.score,
            };
        }
        return .{ .arena = arena, .items = items };
    }
};

/// An entity `hops` facts away.
pub const Neighbor = struct { entity_id: []const u8, hops: usize };

pub const Neighbors = agentdb.Owned(Neighbor);

/// What `searchEntities` looks for: a text, an embedding, or both.
pub const SearchOptions = struct {
    text: ?[:0]const u8 = null,
    vector: ?[]const f32 = null,
    /// null: the engine's default.
    k: ?usize = null,
    type: ?[:0]const u8 = null,
};

fn optPtr(s: ?[:0]const u8) [*c]const u8 {
    return if (s) |v| v.ptr else null;
}

/// Copies the one id of a C string list into `allocator` and frees the list.
fn takeId(allocator: Allocator, h: ?*c.agentdb_strings) AllocError![:0]u8 {
    var ids = try agentdb.copyStrings(allocator, h);
    defer ids.deinit();
    std.debug.assert(ids.items.len == 1);
    return allocator.dupeZ(u8, ids.items[0]);
}

/// A knowledge graph. `deinit` frees the handle (the graph stays in the database).
pub const Graph = struct {
    handle: *c.agentdb_graph,

    /// Opens graph `name`, creating it if needed; `dim` fixes the embedding dimension of a new
    /// graph (null: no embeddings; an existing graph with another is `error.DimensionMismatch`).
    pub fn open(db: agentdb.Database, name: [:0]const u8, dim: ?usize) Error!Graph {
        var h: ?*c.agentdb_graph = null;
        try check(c.agentdb_graph_open(db.handle, name.ptr, dim orelse 0, &h));
        return .{ .handle = h.? };
    }

    /// Deletes graph `name` and everything in it.
    pub fn drop(db: agentdb.Database, name: [:0]const u8) Error!void {
        try check(c.agentdb_graph_drop(db.handle, name.ptr));
    }

    /// The names of the graphs of `db`, sorted.
    pub fn list(allocator: Allocator, db: agentdb.Database) AllocError!agentdb.Strings {
        var h: ?*c.agentdb_strings = null;
        try check(c.agentdb_graph_list(db.handle, &h));
        return agentdb.copyStrings(allocator, h);
    }

    pub fn deinit(self: *Graph) void {
        _ = c.agentdb_graph_close(self.handle);
        self.* = undefined;
    }

    /// Adds an entity (or replaces the one with its id); returns its id, NUL-terminated (`allocator.free` it).
    pub fn addEntity(self: Graph, allocator: Allocator, e: NewEntity) AllocError![:0]u8 {
        const aliases = try agentdb.cStrings(allocator, e.aliases);
        defer allocator.free(aliases);
        const emb = e.embedding orelse &.{};
        if (emb.len > 0) try agentdb.checkDim(emb.len);
        var h: ?*c.agentdb_strings = null;
        try check(c.agentdb_graph_add_entity(self.handle, optPtr(e.id), e.name.ptr, optPtr(e.type), if (aliases.len == 0) null else aliases.ptr, aliases.len, if (emb.len == 0) null else emb.ptr, emb.len, optPtr(e.metadata_json), &h));
        return takeId(allocator, h);
    }

    /// Declares whether `predicate` is single-valued.
    pub fn declarePredicate(self: Graph, predicate: [:0]const u8, single_valued: bool) Error!void {
        try check(c.agentdb_graph_declare_predicate(self.handle, predicate.ptr, single_valued));
    }

    /// Adds a fact; returns its id, NUL-terminated (`allocator.free` it). On a single-valued predicate it closes
    /// the facts it contradicts (see `agentdb_graph_add_fact`).
    pub fn addFact(self: Graph, allocator: Allocator, f: NewFact) AllocError![:0]u8 {
        const sources = try agentdb.cStrings(allocator, f.sources);
        defer allocator.free(sources);
        var h: ?*c.agentdb_strings = null;
        try check(c.agentdb_graph_add_fact(
            self.handle,
            f.subject.ptr,
            f.predicate.ptr,
            f.object.value().ptr,
            f.object == .entity,
            f.valid_from_us != null,
            f.valid_from_us orelse 0,
            f.valid_to_us != null,
            f.valid_to_us orelse 0,
            if (sources.len == 0) null else sources.ptr,
            sources.len,
            f.confidence orelse -1,
            &h,
        ));
        return takeId(allocator, h);
    }

    /// Ends a fact's validity at `at_us` (null: now) as a new version; returns that version.
    pub fn invalidate(self: Graph, allocator: Allocator, fact_id: [:0]const u8, at_us: ?i64) AllocError!Facts {
        var h: ?*c.agentdb_graph_facts = null;
        try check(c.agentdb_graph_invalidate(self.handle, fact_id.ptr, at_us != null, at_us orelse 0, &h));
        return Facts.take(allocator, h);
    }

    /// Corrects a fact (a new version, the old one kept); returns the new version.
    pub fn correct(self: Graph, allocator: Allocator, fact_id: [:0]const u8, change: Correction) AllocError!Facts {
        const sources = try agentdb.cStrings(allocator, change.sources orelse &.{});
        defer allocator.free(sources);
        const mode: i32, const to: i64 = switch (change.valid_to) {
            .keep => .{ c.AGENTDB_GRAPH_KEEP, 0 },
            .set => |t| .{ c.AGENTDB_GRAPH_SET, t },
            .reopen => .{ c.AGENTDB_GRAPH_REOPEN, 0 },
        };
        var h: ?*c.agentdb_graph_facts = null;
        // An empty sources list is still "set to none": a non-NULL pointer says so.
        const empty: [1][*c]const u8 = .{null};
        const src_ptr: [*c]const [*c]const u8 = if (change.sources == null) null else if (sources.len == 0) &empty else sources.ptr;
        try check(c.agentdb_graph_correct(
            self.handle,
            fact_id.ptr,
            if (change.object) |o| o.value().ptr else null,
            if (change.object) |o| o == .entity else false,
            change.valid_from_us != null,
            change.valid_from_us orelse 0,
            mode,
            to,
            src_ptr,
            sources.len,
            change.confidence orelse -1,
            &h,
        ));
        return Facts.take(allocator, h);
    }

    /// The facts about `entity_id` that `q` selects, by valid_from.
    pub fn facts(self: Graph, allocator: Allocator, entity_id: [:0]const u8, q: Query) AllocError!Facts {
        const ptrs = try agentdb.cStrings(allocator, q.predicates orelse &.{});
        defer allocator.free(ptrs);
        const cq = q.toC(ptrs);
        var h: ?*c.agentdb_graph_facts = null;
        try check(c.agentdb_graph_get_facts(self.handle, entity_id.ptr, &cq, &h));
        return Facts.take(allocator, h);
    }

    /// Every version of a fact, oldest first.
    pub fn factHistory(self: Graph, allocator: Allocator, fact_id: [:0]const u8) AllocError!Facts {
        var h: ?*c.agentdb_graph_facts = null;
        try check(c.agentdb_graph_fact_history(self.handle, fact_id.ptr, &h));
        return Facts.take(allocator, h);
    }

    /// The entities within `hops` facts of `entity_id`, nearest first.
    pub fn neighbors(self: Graph, allocator: Allocator, entity_id: [:0]const u8, hops: usize, q: Query) AllocError!Neighbors {
        const ptrs = try agentdb.cStrings(allocator, q.predicates orelse &.{});
        defer allocator.free(ptrs);
        const cq = q.toC(ptrs);
        var h: ?*c.agentdb_graph_neighbors = null;
        try check(c.agentdb_graph_get_neighbors(self.handle, entity_id.ptr, hops, &cq, &h));
        defer _ = c.agentdb_graph_neighbors_free(h);
        var arena = std.heap.ArenaAllocator.init(allocator);
        errdefer arena.deinit();
        const a = arena.allocator();
        var n: usize = 0;
        try check(c.agentdb_graph_neighbors_count(h, &n));
        const items = try a.alloc(Neighbor, n);
        for (items, 0..) |*it, i| {
            var x: c.agentdb_graph_neighbor = undefined;
            try check(c.agentdb_graph_neighbors_get(h, i, &x));
            it.* = .{ .entity_id = try a.dupe(u8, std.mem.span(x.entity_id)), .hops = x.hops };
        }
        return .{ .arena = arena, .items = items };
    }

    /// A shortest chain of facts from `from_id` to `to_id` (at most `max_hops`; null: the
    /// engine's limit), or null when there is none.
    pub fn shortestPath(self: Graph, allocator: Allocator, from_id: [:0]const u8, to_id: [:0]const u8, max_hops: ?usize, q: Query) AllocError!?Facts {
        const ptrs = try agentdb.cStrings(allocator, q.predicates orelse &.{});
        defer allocator.free(ptrs);
        const cq = q.toC(ptrs);
        if (max_hops) |m| if (m == 0) return error.InvalidArgument;
        var found = false;
        var h: ?*c.agentdb_graph_facts = null;
        try check(c.agentdb_graph_shortest_path(self.handle, from_id.ptr, to_id.ptr, max_hops orelse 0, &cq, &found, &h));
        const out = try Facts.take(allocator, h);
        if (!found) {
            var o = out;
            o.deinit();
            return null;
        }
        return out;
    }

    /// The facts about the entities `text` mentions, valid at `as_of_us` (null: now), at most
    /// `limit` (null: the engine's default), with their source memory ids.
    pub fn factsForText(self: Graph, allocator: Allocator, text: [:0]const u8, as_of_us: ?i64, limit: ?usize) AllocError!Facts {
        if (limit) |l| if (l == 0) return error.InvalidArgument;
        var h: ?*c.agentdb_graph_facts = null;
        try check(c.agentdb_graph_get_facts_for_text(self.handle, text.ptr, as_of_us != null, as_of_us orelse 0, limit orelse 0, &h));
        return Facts.take(allocator, h);
    }

    /// The entity `entity_id` (a list of one), or an empty list.
    pub fn entity(self: Graph, allocator: Allocator, entity_id: [:0]const u8) AllocError!Entities {
        var h: ?*c.agentdb_graph_entities = null;
        try check(c.agentdb_graph_get_entity(self.handle, entity_id.ptr, &h));
        return Entities.take(allocator, h);
    }

    /// The entities whose name or an alias is `name`, ignoring case.
    pub fn findEntities(self: Graph, allocator: Allocator, name: [:0]const u8) AllocError!Entities {
        var h: ?*c.agentdb_graph_entities = null;
        try check(c.agentdb_graph_find_entities(self.handle, name.ptr, &h));
        return Entities.take(allocator, h);
    }

    /// Entities by text and/or embedding, best first (see `agentdb_graph_search_entities`).
    pub fn searchEntities(self: Graph, allocator: Allocator, o: SearchOptions) AllocError!Entities {
        if (o.k) |k| try agentdb.checkK(k);
        const v = o.vector orelse &.{};
        if (v.len > 0) try agentdb.checkDim(v.len);
        var h: ?*c.agentdb_graph_entities = null;
        try check(c.agentdb_graph_search_entities(self.handle, optPtr(o.text), if (v.len == 0) null else v.ptr, v.len, o.k orelse 0, optPtr(o.type), &h));
        return Entities.take(allocator, h);
    }

    /// How many entities and facts (each fact once) the graph holds.
    pub fn count(self: Graph) Error!struct { entities: usize, facts: usize } {
        var e: usize = 0;
        var f: usize = 0;
        try check(c.agentdb_graph_count(self.handle, &e, &f));
        return .{ .entities = e, .facts = f };
    }

    /// Writes what is buffered to Lance now.
    pub fn flush(self: Graph) Error!void {
        try check(c.agentdb_graph_flush(self.handle));
    }
};
