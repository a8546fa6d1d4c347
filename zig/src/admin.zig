//! Backup, restore and verify for Zig, over the C ABI's `agentdb_db_backup`, `agentdb_restore`
//! and `agentdb_db_verify` (see `include/agentdb.h`). What is copied, checked and refused is the
//! engine's; problems are copied into the caller's allocator (one arena, freed by `deinit`).
//!
//! ```zig
//! const p1 = try db.backup("/backups/db", .{});                       // a full point
//! const p2 = try db.backup("/backups/db", .{ .incremental = true });  // only what changed
//! _ = try agentdb.admin.restore("/backups/db", "/restored", .{ .at = p1.seq });
//! var report = try db.verify(gpa, .{});
//! defer report.deinit();
//! for (report.problems) |p| std.debug.print("{s} {s}: {s}\n", .{ p.kind, p.file, p.detail });
//! ```
const std = @import("std");
const agentdb = @import("agentdb.zig");

const c = agentdb.c;
const check = agentdb.check;
const Error = agentdb.Error;
const AllocError = agentdb.AllocError;
const Allocator = std.mem.Allocator;

/// A restorable point of a backup directory.
pub const BackupPoint = struct {
    /// 1, 2, 3… in the order taken: what `RestoreOptions.at` names.
    seq: u64,
    /// When the backup began (its consistency point), microseconds since the Unix epoch.
    time_us: i64,
    incremental: bool,
    /// The point's files and their bytes (what a restore writes).
    files: u64,
    total_bytes: u64,
    /// What this point copied itself (the rest it shares with earlier points).
    copied_files: u64,
    copied_bytes: u64,

    fn fromC(p: c.agentdb_backup_point) BackupPoint {
        return .{
            .seq = p.seq,
            .time_us = p.time_micros,
            .incremental = p.incremental,
            .files = p.files,
            .total_bytes = p.total_bytes,
            .copied_files = p.copied_files,
            .copied_bytes = p.copied_bytes,
        };
    }
};

pub const BackupOptions = struct {
    /// Copy only the files that earlier points of the backup directory do not hold.
    incremental: bool = false,
};

pub const RestoreOptions = struct {
    /// The point to restore (`BackupPoint.seq`); null: the latest.
    at: ?u64 = null,
};

pub const VerifyOptions = struct {
    /// Rebuild what can be rebuilt (index files, leftover backup tags); needs a writable database.
    repair: bool = false,
};

/// Backs `db` up into directory `dest` as a new point, while writers keep writing (every write
/// acknowledged before the call is in it, none half in). `error.InvalidArgument` when `dest` is
/// not empty and not a backup directory. `Database.backup` calls this.
pub fn backup(db: agentdb.Database, dest: [:0]const u8, options: BackupOptions) Error!BackupPoint {
    var p: c.agentdb_backup_point = undefined;
    try check(c.agentdb_db_backup(db.handle, dest.ptr, options.incremental, &p));
    return BackupPoint.fromC(p);
}

/// Restores a point of the backup directory `src` into `path`, which must not exist or be empty
/// (`error.InvalidArgument`); a missing or damaged file of the point is `error.Storage`, and
/// nothing is left in `path`.
pub fn restore(src: [:0]const u8, path: [:0]const u8, options: RestoreOptions) Error!BackupPoint {
    // 0 means "the latest" in C; a point numbered 0 does not exist.
    const at = options.at orelse 0;
    if (options.at != null and at == 0) return error.InvalidArgument;
    var p: c.agentdb_backup_point = undefined;
    try check(c.agentdb_restore(src.ptr, path.ptr, at, &p));
    return BackupPoint.fromC(p);
}

/// One problem found by `verify`.
pub const Problem = struct {
    /// "missing_file", "damaged_data", "damaged_wal", "stale_index", … (see `agentdb_problem`).
    kind: []const u8,
    /// The table, or "wal".
    store: []const u8,
    /// Relative to the database directory.
    file: []const u8,
    detail: []const u8,
    repairable: bool,
    repaired: bool,
};

/// What `verify` looked at and found, owned by the caller (`deinit` frees it).
pub const Report = struct {
    arena: std.heap.ArenaAllocator,
    problems: []const Problem,
    tables: u64,
    files: u64,
    rows: u64,

    /// No problem left (none found, or every one repaired).
    pub fn ok(self: Report) bool {
        for (self.problems) |p| if (!p.repaired) return false;
        return true;
    }

    pub fn deinit(self: *Report) void {
        self.arena.deinit();
        self.* = undefined;
    }
};

/// Verifies `db` (manifests, fragments read whole, the log's checksums, index files against their
/// Lance versions) without changing anything, unless `options.repair`. `Database.verify` calls
/// this.
pub fn verify(allocator: Allocator, db: agentdb.Database, options: VerifyOptions) AllocError!Report {
    var h: ?*c.agentdb_problems = null;
    try check(c.agentdb_db_verify(db.handle, options.repair, &h));
    defer _ = c.agentdb_problems_free(h);
    var n: usize = 0;
    try check(c.agentdb_problems_count(h, &n));
    var report = Report{ .arena = std.heap.ArenaAllocator.init(allocator), .problems = &.{}, .tables = 0, .files = 0, .rows = 0 };
    errdefer report.arena.deinit();
    const a = report.arena.allocator();
    const problems = try a.alloc(Problem, n);
    for (problems, 0..) |*out, i| {
        var p: c.agentdb_problem = undefined;
        try check(c.agentdb_problems_get(h, i, &p));
        out.* = .{
            .kind = try a.dupe(u8, std.mem.span(p.kind)),
            .store = try a.dupe(u8, std.mem.span(p.store)),
            .file = try a.dupe(u8, std.mem.span(p.file)),
            .detail = try a.dupe(u8, std.mem.span(p.detail)),
            .repairable = p.repairable,
            .repaired = p.repaired,
        };
    }
    report.problems = problems;
    try check(c.agentdb_problems_checked(h, &report.tables, &report.files, &report.rows));
    return report;
}

/// The points of the backup directory `src` as JSON (see `agentdb_list_backups`), in
/// `allocator`'s memory.
pub fn listBackups(allocator: Allocator, src: [:0]const u8) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return agentdb.takeReport(allocator, c.agentdb_list_backups(src.ptr, &r), r);
}

/// The backup retention setting: keeps the newest `keep` points (at least 1) of the backup
/// directory `dest` and removes the older ones and the files only they named (see
/// `agentdb_prune_backups`). Returns `{"removed_points", "removed_files", "freed_bytes"}` as JSON
/// in `allocator`'s memory.
pub fn pruneBackups(allocator: Allocator, dest: [:0]const u8, keep: u64) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return agentdb.takeReport(allocator, c.agentdb_prune_backups(dest.ptr, keep, &r), r);
}

/// The files of point `at` (null: the latest) of `src` that fail their recorded size or SHA-256,
/// as a JSON array of `{"path", "problem"}` (`[]`: sound). Changes nothing.
pub fn verifyBackup(allocator: Allocator, src: [:0]const u8, at: ?u64) AllocError![]u8 {
    var r: ?*c.agentdb_report = null;
    return agentdb.takeReport(allocator, c.agentdb_verify_backup(src.ptr, at orelse 0, &r), r);
}
