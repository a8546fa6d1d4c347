package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import "context"

// StoreKind names which kind of store an export reads.
type StoreKind int32

const (
	AnyStore        StoreKind = C.AGENTDB_STORE_ANY // the one store of that name
	CollectionStore StoreKind = C.AGENTDB_STORE_COLLECTION
	MemoryStore     StoreKind = C.AGENTDB_STORE_MEMORY
	RagStore        StoreKind = C.AGENTDB_STORE_RAG
	StateStore      StoreKind = C.AGENTDB_STORE_STATE // the agent state, name "state" (JSONL, or Parquet for a .parquet path)
)

// ExportStore writes store name to the JSONL file path (replaced whole once complete), every
// record as of one version, and returns the report {"kind", "name", "records"} as JSON text.
// Cancelled (ctx) or failed, it leaves the old file, if any, as it was.
func (db *DB) ExportStore(ctx context.Context, name string, kind StoreKind, path string) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	n, err := cstr(name, "name")
	if err != nil {
		return "", err
	}
	defer free(n)
	p, err := cstr(path, "path")
	if err != nil {
		return "", err
	}
	defer free(p)
	defer pin()()
	var r *C.agentdb_report
	done := watch(ctx)
	rep, err := takeReport(C.agentdb_db_export_store(db.h.p, n, C.int32_t(kind), p, nil, nil, &r), r)
	return rep, done(err)
}

// ImportStore creates a store from an export file, named as in the file (name "") or name; a
// failed or cancelled (ctx) import leaves nothing. Returns the report as JSON text.
func (db *DB) ImportStore(ctx context.Context, path, name string) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	p, err := cstr(path, "path")
	if err != nil {
		return "", err
	}
	defer free(p)
	n, err := optCstr(name, "name")
	if err != nil {
		return "", err
	}
	defer free(n)
	defer pin()()
	var r *C.agentdb_report
	done := watch(ctx)
	rep, err := takeReport(C.agentdb_db_import_store(db.h.p, p, n, nil, nil, &r), r)
	return rep, done(err)
}

// ImportChroma creates collection name ("" for the same name) from collection collection of the
// Chroma PersistentClient directory dir, read by the engine from Chroma's own files (the
// directory is not changed; chromadb is not needed): ids, vectors as Chroma's get returns them,
// documents, metadata, creation times. All or nothing. Returns the report as JSON text;
// ErrNotFound for no such Chroma collection.
func (db *DB) ImportChroma(ctx context.Context, dir, collection, name string) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	p, err := cstr(dir, "dir")
	if err != nil {
		return "", err
	}
	defer free(p)
	c, err := cstr(collection, "collection")
	if err != nil {
		return "", err
	}
	defer free(c)
	n, err := optCstr(name, "name")
	if err != nil {
		return "", err
	}
	defer free(n)
	defer pin()()
	var r *C.agentdb_report
	return takeReport(C.agentdb_db_import_chroma(db.h.p, p, c, n, nil, nil, &r), r)
}
