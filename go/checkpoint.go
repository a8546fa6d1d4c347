package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"time"
	"unsafe"
)

// Checkpoint is one checkpoint of a thread (LangGraph's model). Metadata is a JSON object.
type Checkpoint struct {
	ThreadID     string
	Namespace    string
	CheckpointID string
	ParentID     string // "": none
	TypeTag      string // the serializer's type tag of Data
	Data         []byte
	Metadata     json.RawMessage // nil on Put: {}
	CreatedAt    time.Time       // set by the engine
}

// PutCheckpoint stores a checkpoint (replacing one of the same ids).
func (s State) PutCheckpoint(ctx context.Context, cp Checkpoint) error {
	if err := ready(ctx); err != nil {
		return err
	}
	var strs [6]*C.char
	defer func() {
		for _, p := range strs {
			free(p)
		}
	}()
	var err error
	for i, f := range []struct {
		v, what string
		opt     bool
	}{{cp.ThreadID, "thread_id", false}, {cp.Namespace, "namespace", false}, {cp.CheckpointID, "checkpoint_id", false},
		{cp.ParentID, "parent_id", true}, {string(cp.Metadata), "metadata", true}, {cp.TypeTag, "type_tag", true}} {
		if f.opt {
			strs[i], err = optCstr(f.v, f.what)
		} else {
			strs[i], err = cstr(f.v, f.what)
		}
		if err != nil {
			return err
		}
	}
	var data *C.uint8_t
	if len(cp.Data) > 0 {
		data = (*C.uint8_t)(unsafe.Pointer(&cp.Data[0]))
	}
	defer pin()()
	return status(C.agentdb_checkpoint_put(s.db.h.p, strs[0], strs[1], strs[2], data, C.size_t(len(cp.Data)), strs[3], strs[4], strs[5]))
}

func takeCheckpoints(p *C.agentdb_checkpoints) ([]Checkpoint, error) {
	defer C.agentdb_checkpoints_free(p)
	var n C.size_t
	if err := status(C.agentdb_checkpoints_count(p, &n)); err != nil {
		return nil, err
	}
	out := make([]Checkpoint, n)
	for i := range out {
		var c C.agentdb_checkpoint
		if err := status(C.agentdb_checkpoints_get(p, C.size_t(i), &c)); err != nil {
			return nil, err
		}
		out[i] = Checkpoint{
			ThreadID: goCString(c.thread_id), Namespace: goCString(c.namespace_), CheckpointID: goCString(c.checkpoint_id),
			ParentID: goCString(c.parent_id), TypeTag: goCString(c.type_tag), Metadata: json.RawMessage(goCString(c.metadata_json)),
			CreatedAt: micros(c.created_at_us),
		}
		if c.data != nil {
			out[i].Data = C.GoBytes(unsafe.Pointer(c.data), C.int(c.data_len))
		}
	}
	return out, nil
}

// GetCheckpoint reads checkpoint id of (thread, namespace), or with id "" the latest; nil when
// there is none.
func (s State) GetCheckpoint(ctx context.Context, thread, namespace, id string) (*Checkpoint, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	t, err := cstr(thread, "thread_id")
	if err != nil {
		return nil, err
	}
	defer free(t)
	ns, err := cstr(namespace, "namespace")
	if err != nil {
		return nil, err
	}
	defer free(ns)
	cid, err := optCstr(id, "checkpoint_id")
	if err != nil {
		return nil, err
	}
	defer free(cid)
	defer pin()()
	var p *C.agentdb_checkpoints
	if err := status(C.agentdb_checkpoint_get(s.db.h.p, t, ns, cid, &p)); err != nil {
		return nil, err
	}
	cps, err := takeCheckpoints(p)
	if err != nil || len(cps) == 0 {
		return nil, err
	}
	return &cps[0], nil
}

// CheckpointFilter selects ListCheckpoints' checkpoints; "" / 0 / nil fields do not filter.
type CheckpointFilter struct {
	ThreadID  string
	Namespace string
	Before    string          // ids sorting before this one
	Limit     int             // 0: no limit
	Metadata  json.RawMessage // a JSON object: metadata with each key equal
}

// ListCheckpoints lists checkpoints, newest first.
func (s State) ListCheckpoints(ctx context.Context, f CheckpointFilter) ([]Checkpoint, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	if f.Limit < 0 {
		return nil, argError(CodeInvalidArgument, "limit must not be negative")
	}
	var strs [4]*C.char
	defer func() {
		for _, p := range strs {
			free(p)
		}
	}()
	var err error
	for i, v := range []string{f.ThreadID, f.Namespace, f.Before, string(f.Metadata)} {
		if strs[i], err = optCstr(v, "filter"); err != nil {
			return nil, err
		}
	}
	defer pin()()
	var p *C.agentdb_checkpoints
	if err := status(C.agentdb_checkpoint_list(s.db.h.p, strs[0], strs[1], strs[2], C.size_t(f.Limit), strs[3], &p)); err != nil {
		return nil, err
	}
	return takeCheckpoints(p)
}

// DeleteThread deletes a thread's checkpoints and pending writes.
func (s State) DeleteThread(ctx context.Context, thread string) error {
	if err := ready(ctx); err != nil {
		return err
	}
	t, err := cstr(thread, "thread_id")
	if err != nil {
		return err
	}
	defer free(t)
	defer pin()()
	return status(C.agentdb_checkpoint_delete_thread(s.db.h.p, t))
}
