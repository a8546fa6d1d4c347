package agentdb

/*
#include <stdlib.h>
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
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

// Write is one pending write of a task (input of PutWrites).
type Write struct {
	Idx     int64 // position in the task's writes; negative for LangGraph's special channels
	Channel string
	TypeTag string // the serializer's type tag of Value
	Value   []byte
}

// PendingWrite is a stored pending write (from GetWrites).
type PendingWrite struct {
	TaskID   string
	TaskPath string
	Write
}

// PutWrites stores pending writes of task taskID against a checkpoint, atomically (LangGraph's
// rules: a stored (task, idx) is kept when idx >= 0 and replaced when idx < 0).
func (s State) PutWrites(ctx context.Context, thread, namespace, checkpointID, taskID, taskPath string, writes []Write) error {
	if err := ready(ctx); err != nil {
		return err
	}
	var strs []*C.char
	var blobs []unsafe.Pointer
	defer func() {
		for _, p := range strs {
			free(p)
		}
		for _, b := range blobs {
			C.free(b)
		}
	}()
	arg := func(v, what string, opt bool) *C.char {
		var p *C.char
		var err error
		if opt {
			p, err = optCstr(v, what)
		} else {
			p, err = cstr(v, what)
		}
		if err != nil {
			panic(err)
		}
		strs = append(strs, p)
		return p
	}
	var err error
	var t, ns, cp, task, path *C.char
	var cw []C.agentdb_write
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = r.(error)
			}
		}()
		t, ns, cp = arg(thread, "thread_id", false), arg(namespace, "namespace", false), arg(checkpointID, "checkpoint_id", false)
		task, path = arg(taskID, "task_id", false), arg(taskPath, "task_path", true)
		// The write structs are Go memory, so what they point to must be C memory (cgo's rule).
		cw = make([]C.agentdb_write, len(writes))
		for i, w := range writes {
			cw[i].idx = C.int64_t(w.Idx)
			cw[i].channel = arg(w.Channel, fmt.Sprintf("writes[%d].channel", i), false)
			cw[i].type_tag = arg(w.TypeTag, fmt.Sprintf("writes[%d].type_tag", i), true)
			if len(w.Value) > 0 {
				b := C.CBytes(w.Value)
				blobs = append(blobs, b)
				cw[i].value, cw[i].value_len = (*C.uint8_t)(b), C.size_t(len(w.Value))
			}
		}
	}()
	if err != nil {
		return err
	}
	var pw *C.agentdb_write
	if len(cw) > 0 {
		pw = &cw[0]
	}
	defer pin()()
	return status(C.agentdb_checkpoint_put_writes(s.db.h.p, t, ns, cp, task, path, pw, C.size_t(len(cw))))
}

// GetWrites reads a checkpoint's pending writes, ordered by (task path, task id, idx).
func (s State) GetWrites(ctx context.Context, thread, namespace, checkpointID string) ([]PendingWrite, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	k, err := newStateKey(thread, namespace, checkpointID)
	if err != nil {
		return nil, err
	}
	defer k.free()
	defer pin()()
	var p *C.agentdb_pending_writes
	if err := status(C.agentdb_checkpoint_get_writes(s.db.h.p, k.agent, k.session, k.key, &p)); err != nil {
		return nil, err
	}
	defer C.agentdb_pending_writes_free(p)
	var n C.size_t
	if err := status(C.agentdb_pending_writes_count(p, &n)); err != nil {
		return nil, err
	}
	out := make([]PendingWrite, n)
	for i := range out {
		var w C.agentdb_pending_write
		if err := status(C.agentdb_pending_writes_get(p, C.size_t(i), &w)); err != nil {
			return nil, err
		}
		out[i] = PendingWrite{TaskID: goCString(w.task_id), TaskPath: goCString(w.task_path),
			Write: Write{Idx: int64(w.idx), Channel: goCString(w.channel), TypeTag: goCString(w.type_tag)}}
		if w.value != nil {
			out[i].Value = C.GoBytes(unsafe.Pointer(w.value), C.int(w.value_len))
		}
	}
	return out, nil
}
