//! The process-wide search counters for Zig, over `agentdb_search_counters_get` / `_reset`: what
//! HNSW searches did since the last reset, summed over every collection in the process (for
//! benchmarks: divide by `searches`). See `agentdb_search_counters` in agentdb.h for each field.
//!
//! ```zig
//! try agentdb.search_counters.reset();
//! // ... searches ...
//! const s = try agentdb.search_counters.get();
//! std.debug.print("{d} distances per search\n", .{s.distances / @max(s.searches, 1)});
//! ```
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;

/// The counters (the C struct; its `struct_size` is set by `get`).
pub const Counters = c.agentdb_search_counters;

/// The counters now.
pub fn get() Error!Counters {
    var out = std.mem.zeroes(Counters);
    out.struct_size = @sizeOf(Counters);
    try check(c.agentdb_search_counters_get(&out));
    return out;
}

/// Sets every counter to zero.
pub fn reset() Error!void {
    try check(c.agentdb_search_counters_reset());
}

const std = @import("std");
