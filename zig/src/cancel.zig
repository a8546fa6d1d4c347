//! Cancelling long calls from another thread, over the C ABI's `agentdb_cancel_token_*`.
//!
//! A `CancelToken` is attached to the thread that makes a long call (`attach` / `detach`, or
//! `run` for both around one function); `cancel` from any other thread makes that call stop at
//! its next safe point with `error.Cancelled`, what it had started undone (no half backup or
//! import, the old index still serving). Long calls: index builds and `optimize`, backup,
//! restore, verify, export and import, RAG ingest, batch search; other calls ignore the token.
//!
//! ```zig
//! var token = try agentdb.cancel.CancelToken.init();
//! defer token.deinit();
//! // on another thread, later: token.cancel();
//! token.run(agentdb.Collection.createIndex, .{ col, .{ .hnsw = .{} } }) catch |e| switch (e) {
//!     error.Cancelled => {}, // the old index still serves
//!     else => return e,
//! };
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;

pub const CancelToken = struct {
    handle: *c.agentdb_cancel_token,

    /// A new token, not cancelled. `deinit` frees it.
    pub fn init() Error!CancelToken {
        var h: ?*c.agentdb_cancel_token = null;
        try check(c.agentdb_cancel_token_new(&h));
        return .{ .handle = h orelse return error.Internal };
    }

    pub fn deinit(self: CancelToken) void {
        _ = c.agentdb_cancel_token_free(self.handle);
    }

    /// Asks the calls on threads this token is attached to to stop. Thread-safe; idempotent.
    pub fn cancel(self: CancelToken) Error!void {
        try check(c.agentdb_cancel_token_cancel(self.handle));
    }

    /// Clears the flag, so the token can serve another call.
    pub fn reset(self: CancelToken) Error!void {
        try check(c.agentdb_cancel_token_reset(self.handle));
    }

    pub fn isCancelled(self: CancelToken) Error!bool {
        var out: i32 = 0;
        try check(c.agentdb_cancel_token_is_cancelled(self.handle, &out));
        return out != 0;
    }

    /// Attaches the token to the calling thread (replacing any) until `detach`.
    pub fn attach(self: CancelToken) Error!void {
        try check(c.agentdb_cancel_token_attach(self.handle));
    }

    /// Detaches whatever token is attached to the calling thread.
    pub fn detach() void {
        _ = c.agentdb_cancel_token_detach();
    }

    /// `@call(f, args)` with the token attached to this thread, detached afterwards.
    pub fn run(self: CancelToken, comptime f: anytype, args: anytype) @typeInfo(@TypeOf(f)).@"fn".return_type.? {
        try self.attach();
        defer detach();
        return @call(.auto, f, args);
    }
};
