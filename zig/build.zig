//! Builds the Zig module `agentdb` (a thin layer over libagentdb's C ABI), its tests and example.
//!
//!   zig build test      run the tests against a real database (needs libagentdb.so: `make build`)
//!   zig build example   build zig-out/bin/agentdb-example
//!   -Dlib-dir=DIR       where libagentdb.so is (default: $CARGO_TARGET_DIR/release, else
//!                       ~/.cache/agentdb/target/release, as the Makefile builds it)
//!
//! Written for Zig 0.14.1 (the version pinned in requirements-dev.txt; run it as `python -m ziglang`).
const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const lib_dir = b.option([]const u8, "lib-dir", "Directory holding libagentdb.so") orelse defaultLibDir(b);

    const agentdb = b.addModule("agentdb", .{
        .root_source_file = b.path("src/agentdb.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
    });
    agentdb.addIncludePath(b.path("../include"));
    agentdb.addLibraryPath(.{ .cwd_relative = lib_dir });
    agentdb.addRPath(.{ .cwd_relative = lib_dir });
    agentdb.linkSystemLibrary("agentdb", .{});

    // Every tests/*_test.zig is a test root of its own (one per area of the API).
    const test_step = b.step("test", "Run the Zig tests against a real database");
    var tests_dir = b.build_root.handle.openDir("tests", .{ .iterate = true }) catch @panic("cannot open zig/tests");
    defer tests_dir.close();
    var entries = tests_dir.iterate();
    while (entries.next() catch @panic("cannot list zig/tests")) |entry| {
        if (entry.kind != .file or !std.mem.endsWith(u8, entry.name, "_test.zig")) continue;
        const tests = b.addTest(.{
            .name = b.dupe(entry.name[0 .. entry.name.len - ".zig".len]),
            .root_module = b.createModule(.{
                .root_source_file = b.path(b.fmt("tests/{s}", .{entry.name})),
                .target = target,
                .optimize = optimize,
                .imports = &.{.{ .name = "agentdb", .module = agentdb }},
            }),
        });
        test_step.dependOn(&b.addRunArtifact(tests).step);
    }

    const example = b.addExecutable(.{
        .name = "agentdb-example",
        .root_module = b.createModule(.{
            .root_source_file = b.path("example/main.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "agentdb", .module = agentdb }},
        }),
    });
    b.step("example", "Build the example program").dependOn(&b.addInstallArtifact(example, .{}).step);
    const run_example = b.addRunArtifact(example);
    if (b.args) |args| run_example.addArgs(args);
    b.step("run-example", "Run the example program").dependOn(&run_example.step);
}

fn defaultLibDir(b: *std.Build) []const u8 {
    if (b.graph.env_map.get("CARGO_TARGET_DIR")) |dir| return b.pathJoin(&.{ dir, "release" });
    const home = b.graph.env_map.get("HOME") orelse ".";
    return b.pathJoin(&.{ home, ".cache", "agentdb", "target", "release" });
}
