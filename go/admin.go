package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"time"
)

// BackupPoint is one restorable point of a backup directory.
type BackupPoint struct {
	Seq         uint64
	Time        time.Time
	Incremental bool
	Files       uint64 // what a restore of the point writes
	TotalBytes  uint64
	CopiedFiles uint64 // what this backup copied
	CopiedBytes uint64
}

func backupPoint(p C.agentdb_backup_point) BackupPoint {
	return BackupPoint{Seq: uint64(p.seq), Time: micros(p.time_micros), Incremental: bool(p.incremental),
		Files: uint64(p.files), TotalBytes: uint64(p.total_bytes), CopiedFiles: uint64(p.copied_files), CopiedBytes: uint64(p.copied_bytes)}
}

// Backup writes a new restorable point into directory dest while writes go on (every write
// acknowledged before the call is in it); incremental: files dest's earlier points hold are not
// copied again. Cancelling ctx stops it between files and leaves no point (see cancel.go).
func (db *DB) Backup(ctx context.Context, dest string, incremental bool) (BackupPoint, error) {
	if err := ready(ctx); err != nil {
		return BackupPoint{}, err
	}
	d, err := cstr(dest, "dest")
	if err != nil {
		return BackupPoint{}, err
	}
	defer free(d)
	defer pin()()
	var p C.agentdb_backup_point
	done := watch(ctx)
	if err := done(status(C.agentdb_db_backup(db.h.p, d, cbool(incremental), &p))); err != nil {
		return BackupPoint{}, err
	}
	return backupPoint(p), nil
}

// Restore restores point at (0: the latest) of backup directory src into path (absent or
// empty), checking every file against its recorded SHA-256. Cancelled (ctx) or failed, it leaves
// path as empty as it was.
func Restore(ctx context.Context, src, path string, at uint64) (BackupPoint, error) {
	if err := ready(ctx); err != nil {
		return BackupPoint{}, err
	}
	s, err := cstr(src, "src")
	if err != nil {
		return BackupPoint{}, err
	}
	defer free(s)
	p, err := cstr(path, "path")
	if err != nil {
		return BackupPoint{}, err
	}
	defer free(p)
	defer pin()()
	var out C.agentdb_backup_point
	done := watch(ctx)
	if err := done(status(C.agentdb_restore(s, p, C.uint64_t(at), &out))); err != nil {
		return BackupPoint{}, err
	}
	return backupPoint(out), nil
}

func backupReport(ctx context.Context, dir string, fn func(*C.char, **C.agentdb_report) C.enum_agentdb_status) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	d, err := cstr(dir, "directory")
	if err != nil {
		return "", err
	}
	defer free(d)
	defer pin()()
	var r *C.agentdb_report
	done := watch(ctx)
	st := fn(d, &r)
	rep, err := takeReport(st, r)
	return rep, done(err)
}

// ListBackups is the points of backup directory src as JSON text (an array, oldest first).
func ListBackups(ctx context.Context, src string) (string, error) {
	return backupReport(ctx, src, func(d *C.char, r **C.agentdb_report) C.enum_agentdb_status { return C.agentdb_list_backups(d, r) })
}

// PruneBackups keeps the newest keep points of backup directory dest, deletes the rest, and
// reports what it removed as JSON text.
func PruneBackups(ctx context.Context, dest string, keep uint64) (string, error) {
	return backupReport(ctx, dest, func(d *C.char, r **C.agentdb_report) C.enum_agentdb_status {
		return C.agentdb_prune_backups(d, C.uint64_t(keep), r)
	})
}

// VerifyBackup checks every file of point at (0: the latest) of src, changing nothing; the
// problems come as JSON text (an empty array: sound).
func VerifyBackup(ctx context.Context, src string, at uint64) (string, error) {
	return backupReport(ctx, src, func(d *C.char, r **C.agentdb_report) C.enum_agentdb_status {
		return C.agentdb_verify_backup(d, C.uint64_t(at), r)
	})
}

// Problem is one problem Verify found.
type Problem struct {
	Kind, Store, File, Detail string
	Repairable, Repaired      bool
}

// VerifyReport is what Verify looked at and found (no problems: the database is sound).
type VerifyReport struct {
	Problems            []Problem
	Tables, Files, Rows uint64
}

// Verify checks the database's tables, write-ahead log and index files; repair rebuilds what can
// be rebuilt. Cancelling ctx stops it between tables, versions and files (see cancel.go).
func (db *DB) Verify(ctx context.Context, repair bool) (VerifyReport, error) {
	if err := ready(ctx); err != nil {
		return VerifyReport{}, err
	}
	defer pin()()
	var p *C.agentdb_problems
	done := watch(ctx)
	if err := done(status(C.agentdb_db_verify(db.h.p, cbool(repair), &p))); err != nil {
		return VerifyReport{}, err
	}
	defer C.agentdb_problems_free(p)
	var rep VerifyReport
	var tables, files, rows C.uint64_t
	var count C.size_t
	if err := status(C.agentdb_problems_checked(p, &tables, &files, &rows)); err != nil {
		return VerifyReport{}, err
	}
	rep.Tables, rep.Files, rep.Rows = uint64(tables), uint64(files), uint64(rows)
	if err := status(C.agentdb_problems_count(p, &count)); err != nil {
		return VerifyReport{}, err
	}
	rep.Problems = make([]Problem, count)
	for i := range rep.Problems {
		var c C.agentdb_problem
		if err := status(C.agentdb_problems_get(p, C.size_t(i), &c)); err != nil {
			return VerifyReport{}, err
		}
		rep.Problems[i] = Problem{Kind: goCString(c.kind), Store: goCString(c.store), File: goCString(c.file),
			Detail: goCString(c.detail), Repairable: bool(c.repairable), Repaired: bool(c.repaired)}
	}
	return rep, nil
}

// SetMetricsEnabled turns the engine's call metrics on or off.
func (db *DB) SetMetricsEnabled(enabled bool) error {
	defer pin()()
	return status(C.agentdb_db_set_metrics_enabled(db.h.p, cbool(enabled)))
}
