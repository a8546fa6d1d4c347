//! A database path in a fresh temporary directory, for the tests (`<tmp>/db`, NUL-terminated).
const std = @import("std");

const testing = std.testing;
const gpa = testing.allocator;

pub const TempDb = struct {
    tmp: testing.TmpDir,
    path: [:0]u8,

    pub fn init() !TempDb {
        var tmp = testing.tmpDir(.{});
        errdefer tmp.cleanup();
        const base = try tmp.dir.realpathAlloc(gpa, ".");
        defer gpa.free(base);
        return .{ .tmp = tmp, .path = try std.fs.path.joinZ(gpa, &.{ base, "db" }) };
    }

    pub fn deinit(self: *TempDb) void {
        gpa.free(self.path);
        self.tmp.cleanup();
    }
};
