package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"runtime"
	"time"
)

// Collection is one collection of vectors with ids, documents and metadata. Its methods may run
// from many goroutines at once.
type Collection struct {
	h handle[*C.agentdb_collection]
	// Keeps the DB reachable while the store is: the DB's leak net must not close it under a
	// store still in use.
	db *DB
}

func newCollection(db *DB, p *C.agentdb_collection) *Collection {
	c := &Collection{db: db}
	c.h.p = p
	c.h.cleanup = runtime.AddCleanup(c, func(p *C.agentdb_collection) { C.agentdb_collection_close(p) }, p)
	return c
}

// Close frees the handle (agentdb_collection_close); the data stays. Closing twice is a no-op.
func (c *Collection) Close() error {
	return c.h.close(func(p *C.agentdb_collection) C.enum_agentdb_status { return C.agentdb_collection_close(p) })
}

func (db *DB) openCollection(ctx context.Context, name string, fn func(*C.char, **C.agentdb_collection) C.enum_agentdb_status) (*Collection, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	cname, err := cstr(name, "name")
	if err != nil {
		return nil, err
	}
	defer free(cname)
	defer pin()()
	var p *C.agentdb_collection
	if err := status(fn(cname, &p)); err != nil {
		return nil, err
	}
	return newCollection(db, p), nil
}

// CreateCollection creates a collection of vectors of dim values; ErrExists if there is one.
func (db *DB) CreateCollection(ctx context.Context, name string, dim int, metric Metric) (*Collection, error) {
	return db.openCollection(ctx, name, func(n *C.char, out **C.agentdb_collection) C.enum_agentdb_status {
		return C.agentdb_collection_create(db.h.p, n, C.size_t(dim), C.agentdb_metric(metric), out)
	})
}

// OpenCollection opens an existing collection (its dimension and metric are stored);
// ErrNotFound if there is none.
func (db *DB) OpenCollection(ctx context.Context, name string) (*Collection, error) {
	return db.openCollection(ctx, name, func(n *C.char, out **C.agentdb_collection) C.enum_agentdb_status {
		return C.agentdb_collection_open(db.h.p, n, out)
	})
}

// OpenOrCreateCollection opens the collection, creating it when absent.
func (db *DB) OpenOrCreateCollection(ctx context.Context, name string, dim int, metric Metric) (*Collection, error) {
	return db.openCollection(ctx, name, func(n *C.char, out **C.agentdb_collection) C.enum_agentdb_status {
		return C.agentdb_collection_open_or_create(db.h.p, n, C.size_t(dim), C.agentdb_metric(metric), out)
	})
}

// DropCollection deletes a collection and its data.
func (db *DB) DropCollection(ctx context.Context, name string) error {
	if err := ready(ctx); err != nil {
		return err
	}
	cname, err := cstr(name, "name")
	if err != nil {
		return err
	}
	defer free(cname)
	defer pin()()
	return status(C.agentdb_collection_drop(db.h.p, cname))
}

// ListCollections names the collections.
func (db *DB) ListCollections(ctx context.Context) ([]string, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	defer pin()()
	var s *C.agentdb_strings
	if err := status(C.agentdb_collection_list(db.h.p, &s)); err != nil {
		return nil, err
	}
	return takeStrings(s)
}

// Name is the collection's name.
func (c *Collection) Name() (string, error) {
	defer pin()()
	var p *C.char
	var n C.size_t
	if err := status(C.agentdb_collection_name(c.h.p, &p, &n)); err != nil {
		return "", err
	}
	return goString(p, n), nil
}

// Dim is the collection's vector dimension.
func (c *Collection) Dim() (int, error) {
	defer pin()()
	var d C.size_t
	err := status(C.agentdb_collection_dim(c.h.p, &d))
	return int(d), err
}

// Metric is the collection's metric.
func (c *Collection) Metric() (Metric, error) {
	defer pin()()
	var m C.agentdb_metric
	err := status(C.agentdb_collection_metric(c.h.p, &m))
	return Metric(m), err
}

// Record is one record: written by Add/Upsert, read by Get. Document "" is "no document";
// Metadata nil is "none" (values: strings, integers, floats, booleans, lists of strings, or
// datetimes written {"$datetime": "2024-05-01T12:00:00Z"}).
type Record struct {
	ID       string
	Vector   []float32
	Document string
	Metadata map[string]any
	// Set by Get: when the record was created and last updated.
	CreatedAt, UpdatedAt time.Time
}

// The three writes that take records: add, upsert, and stage (no commit).
type writeMode int

const (
	modeAdd writeMode = iota
	modeUpsert
	modeStage
)

func (c *Collection) write(ctx context.Context, records []Record, upsert bool) error {
	mode := modeAdd
	if upsert {
		mode = modeUpsert
	}
	return c.writeRecords(ctx, records, mode, nil)
}

// writeRecords converts records for C and makes the call of mode; modeStage writes the staged
// part to *part.
func (c *Collection) writeRecords(ctx context.Context, records []Record, mode writeMode, part **C.agentdb_strings) error {
	if err := ready(ctx); err != nil {
		return err
	}
	n := len(records)
	ids := make([]string, n)
	docs := make([]string, n)
	vecs := make([][]float32, n)
	hasDocs := false
	for i, r := range records {
		ids[i], docs[i], vecs[i] = r.ID, r.Document, r.Vector
		hasDocs = hasDocs || r.Document != ""
	}
	flat, dim, err := flatten(vecs, "vectors")
	if err != nil {
		return err
	}
	cids, pids, err := newCStrings(ids, "ids", false)
	if err != nil {
		return err
	}
	defer cids.free()
	var cdocs cstrings
	var pdocs **C.char
	if hasDocs {
		if cdocs, pdocs, err = newCStrings(docs, "documents", true); err != nil {
			return err
		}
		defer cdocs.free()
	}
	meta, err := metadataArray(n, func(i int) map[string]any { return records[i].Metadata })
	if err != nil {
		return err
	}
	defer free(meta)
	defer pin()()
	switch mode {
	case modeUpsert:
		return status(C.agentdb_collection_upsert(c.h.p, pids, C.size_t(n), vecPtr(flat), C.size_t(dim), pdocs, meta))
	case modeStage:
		return status(C.agentdb_collection_stage(c.h.p, pids, C.size_t(n), vecPtr(flat), C.size_t(dim), pdocs, meta, part))
	}
	return status(C.agentdb_collection_add(c.h.p, pids, C.size_t(n), vecPtr(flat), C.size_t(dim), pdocs, meta))
}

// Stage writes records as Lance data files of the collection without committing them
// (agentdb_collection_stage) and returns the part for CommitStaged, which may run in another
// process: any number of processes stage parts, on databases opened ReadOnly, and the writer
// commits them all at once. Nothing is visible before the commit.
func (c *Collection) Stage(ctx context.Context, records []Record) (string, error) {
	var h *C.agentdb_strings
	if err := c.writeRecords(ctx, records, modeStage, &h); err != nil {
		return "", err
	}
	parts, err := takeStrings(h)
	if err != nil {
		return "", err
	}
	return parts[0], nil
}

// CommitStaged commits parts from Stage as one Lance commit (all their records visible at once,
// or none) and returns how many records were added. ErrDuplicateID: an id repeats or exists;
// ErrInvalidArgument: not a staged part of this collection; nothing is committed then.
func (c *Collection) CommitStaged(ctx context.Context, parts []string) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	cparts, pparts, err := newCStrings(parts, "parts", false)
	if err != nil {
		return 0, err
	}
	defer cparts.free()
	var added C.uint64_t
	defer pin()()
	if err := status(C.agentdb_collection_commit_staged(c.h.p, pparts, C.size_t(len(parts)), &added)); err != nil {
		return 0, err
	}
	return uint64(added), nil
}

// Add writes new records, validated whole: a bad row (wrong dimension, NaN, an id that exists:
// ErrDuplicateID) rejects the batch and nothing is written. On success they are on disk.
func (c *Collection) Add(ctx context.Context, records []Record) error {
	return c.write(ctx, records, false)
}

// Upsert writes records, replacing those whose ids exist.
func (c *Collection) Upsert(ctx context.Context, records []Record) error {
	return c.write(ctx, records, true)
}

// GetOptions selects the records Get reads: by ids (nil: all, in storage order) and/or filter,
// at most Limit (0: no limit) after skipping Offset.
type GetOptions struct {
	IDs    []string
	Filter Filter
	Limit  int
	Offset int
}

// Get reads records (ids not found are left out).
func (c *Collection) Get(ctx context.Context, opts GetOptions) ([]Record, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	cids, pids, err := newCStrings(opts.IDs, "ids", false)
	if err != nil {
		return nil, err
	}
	defer cids.free()
	sql, js, err := opts.Filter.cFilter()
	defer free(sql)
	defer free(js)
	if err != nil {
		return nil, err
	}
	if opts.Limit < 0 || opts.Offset < 0 {
		return nil, argError(CodeInvalidArgument, "limit and offset must not be negative")
	}
	defer pin()()
	var r *C.agentdb_records
	if err := status(C.agentdb_collection_get(c.h.p, pids, C.size_t(len(opts.IDs)), sql, js, C.size_t(opts.Limit), C.size_t(opts.Offset), &r)); err != nil {
		return nil, err
	}
	defer C.agentdb_records_free(r)
	var n C.size_t
	if err := status(C.agentdb_records_count(r, &n)); err != nil {
		return nil, err
	}
	out := make([]Record, n)
	for i := range out {
		row := C.size_t(i)
		var p *C.char
		var l C.size_t
		if err := status(C.agentdb_records_get_id(r, row, &p, &l)); err != nil {
			return nil, err
		}
		out[i].ID = goString(p, l)
		var v *C.float
		var dim C.size_t
		if err := status(C.agentdb_records_get_vector(r, row, &v, &dim)); err != nil {
			return nil, err
		}
		out[i].Vector = append([]float32(nil), unsafeFloats(v, int(dim))...)
		if err := status(C.agentdb_records_get_document(r, row, &p, &l)); err != nil {
			return nil, err
		}
		out[i].Document = goString(p, l)
		if err := status(C.agentdb_records_get_metadata(r, row, &p, &l)); err != nil {
			return nil, err
		}
		if out[i].Metadata, err = metadataMap(p, l); err != nil {
			return nil, err
		}
		var created, updated C.int64_t
		if err := status(C.agentdb_records_get_timestamps(r, row, &created, &updated)); err != nil {
			return nil, err
		}
		out[i].CreatedAt, out[i].UpdatedAt = micros(created), micros(updated)
	}
	return out, nil
}

// Delete deletes the records with these ids and/or matching the filter (both: those matching
// both; neither is ErrInvalidArgument, SQL("TRUE") clears the collection). It returns how many.
func (c *Collection) Delete(ctx context.Context, ids []string, filter Filter) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	cids, pids, err := newCStrings(ids, "ids", false)
	if err != nil {
		return 0, err
	}
	defer cids.free()
	sql, js, err := filter.cFilter()
	defer free(sql)
	defer free(js)
	if err != nil {
		return 0, err
	}
	defer pin()()
	var n C.uint64_t
	err = status(C.agentdb_collection_delete(c.h.p, pids, C.size_t(len(ids)), sql, js, &n))
	return uint64(n), err
}

// Count counts the records matching filter (the zero Filter: all).
func (c *Collection) Count(ctx context.Context, filter Filter) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	sql, js, err := filter.cFilter()
	defer free(sql)
	defer free(js)
	if err != nil {
		return 0, err
	}
	defer pin()()
	var n C.uint64_t
	err = status(C.agentdb_collection_count(c.h.p, sql, js, &n))
	return uint64(n), err
}

// Optimize compacts the collection's files (agentdb_collection_optimize).
func (c *Collection) Optimize(ctx context.Context) error {
	if err := ready(ctx); err != nil {
		return err
	}
	defer pin()()
	done := watch(ctx)
	return done(status(C.agentdb_collection_optimize(c.h.p)))
}

// Stats is the collection's statistics as JSON text.
func (c *Collection) Stats(ctx context.Context) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	defer pin()()
	var r *C.agentdb_report
	return takeReport(C.agentdb_collection_stats(c.h.p, &r), r)
}

func micros(us C.int64_t) time.Time { return time.UnixMicro(int64(us)).UTC() }

func unsafeFloats(p *C.float, n int) []float32 {
	if p == nil || n == 0 {
		return nil
	}
	return unsafeSliceF32(p, n)
}
