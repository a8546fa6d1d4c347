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

// State is the database's agent state: versioned JSON values per (agent, session, key), with
// history, time travel and TTLs, and LangGraph-style checkpoints. It has no handle of its own:
// it reaches the state through the DB, and fails with ErrInvalidHandle once the DB is closed.
type State struct{ db *DB }

// State is the database's agent state.
func (db *DB) State() State { return State{db} }

// StateVersion is one version of a key. Value is nil for a tombstone (a delete).
type StateVersion struct {
	Version   uint64
	Value     json.RawMessage
	WrittenAt time.Time
	ExpiresAt time.Time // zero: never
	Deleted   bool
}

type stateKey struct{ agent, session, key *C.char }

func newStateKey(agent, session, key string) (stateKey, error) {
	var k stateKey
	var err error
	if k.agent, err = cstr(agent, "agent_id"); err != nil {
		return k, err
	}
	if k.session, err = cstr(session, "session_id"); err != nil {
		k.free()
		return k, err
	}
	if k.key, err = cstr(key, "key"); err != nil {
		k.free()
		return k, err
	}
	return k, nil
}

func (k stateKey) free() { free(k.agent); free(k.session); free(k.key) }

// Put writes value (marshalled by encoding/json; give a json.RawMessage for JSON text) as a new
// version of key and returns its number (1 for a new key). ttl 0: it never expires.
func (s State) Put(ctx context.Context, agent, session, key string, value any, ttl time.Duration) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	k, err := newStateKey(agent, session, key)
	if err != nil {
		return 0, err
	}
	defer k.free()
	v, err := jsonText(value, "value")
	if err != nil {
		return 0, err
	}
	defer free(v)
	defer pin()()
	var version C.uint64_t
	err = status(C.agentdb_state_put(s.db.h.p, k.agent, k.session, k.key, v, C.double(ttl.Seconds()), &version))
	return uint64(version), err
}

// PutMany writes several keys of one session in one commit and returns their version numbers.
func (s State) PutMany(ctx context.Context, agent, session string, values map[string]any, ttl time.Duration) (map[string]uint64, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	k, err := newStateKey(agent, session, "")
	if err != nil {
		return nil, err
	}
	defer k.free()
	names := make([]string, 0, len(values))
	texts := make([]string, 0, len(values))
	for name, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, argError(CodeInvalidArgument, "value of %q: %v", name, err)
		}
		names = append(names, name)
		texts = append(texts, string(b))
	}
	cn, pn, err := newCStrings(names, "keys", false)
	if err != nil {
		return nil, err
	}
	defer cn.free()
	cv, pv, err := newCStrings(texts, "values", false)
	if err != nil {
		return nil, err
	}
	defer cv.free()
	versions := make([]C.uint64_t, len(names)+1)
	defer pin()()
	if err := status(C.agentdb_state_put_many(s.db.h.p, k.agent, k.session, pn, pv, C.size_t(len(names)), C.double(ttl.Seconds()), &versions[0])); err != nil {
		return nil, err
	}
	out := make(map[string]uint64, len(names))
	for i, name := range names {
		out[name] = uint64(versions[i])
	}
	return out, nil
}

func takeVersions(p *C.agentdb_state_versions) ([]StateVersion, error) {
	defer C.agentdb_state_versions_free(p)
	var n C.size_t
	if err := status(C.agentdb_state_versions_count(p, &n)); err != nil {
		return nil, err
	}
	out := make([]StateVersion, n)
	for i := range out {
		var v C.agentdb_state_version
		if err := status(C.agentdb_state_versions_get(p, C.size_t(i), &v)); err != nil {
			return nil, err
		}
		out[i] = StateVersion{Version: uint64(v.version), WrittenAt: micros(v.written_at_us), Deleted: bool(v.deleted)}
		if v.value_json != nil {
			out[i].Value = json.RawMessage(C.GoBytes(unsafe.Pointer(v.value_json), C.int(v.value_len)))
		}
		if v.has_expiry {
			out[i].ExpiresAt = micros(v.expires_at_us)
		}
	}
	return out, nil
}

func (s State) versions(ctx context.Context, agent, session, key string, fn func(k stateKey, out **C.agentdb_state_versions) C.enum_agentdb_status) ([]StateVersion, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	k, err := newStateKey(agent, session, key)
	if err != nil {
		return nil, err
	}
	defer k.free()
	defer pin()()
	var p *C.agentdb_state_versions
	if err := status(fn(k, &p)); err != nil {
		return nil, err
	}
	return takeVersions(p)
}

func one(vs []StateVersion, err error) (*StateVersion, error) {
	if err != nil || len(vs) == 0 {
		return nil, err
	}
	return &vs[0], nil
}

// Get reads the current version of key; nil when it has no value (never written, deleted, or
// expired).
func (s State) Get(ctx context.Context, agent, session, key string) (*StateVersion, error) {
	return one(s.versions(ctx, agent, session, key, func(k stateKey, out **C.agentdb_state_versions) C.enum_agentdb_status {
		return C.agentdb_state_get(s.db.h.p, k.agent, k.session, k.key, out)
	}))
}

// GetVersion reads version number version of key (nil: no such version).
func (s State) GetVersion(ctx context.Context, agent, session, key string, version uint64) (*StateVersion, error) {
	return one(s.versions(ctx, agent, session, key, func(k stateKey, out **C.agentdb_state_versions) C.enum_agentdb_status {
		return C.agentdb_state_get_version(s.db.h.p, k.agent, k.session, k.key, C.uint64_t(version), out)
	}))
}

// GetAt reads the version of key in force at t (nil: it had no value then).
func (s State) GetAt(ctx context.Context, agent, session, key string, t time.Time) (*StateVersion, error) {
	return one(s.versions(ctx, agent, session, key, func(k stateKey, out **C.agentdb_state_versions) C.enum_agentdb_status {
		return C.agentdb_state_get_at(s.db.h.p, k.agent, k.session, k.key, C.int64_t(t.UnixMicro()), out)
	}))
}

// History is key's versions, newest first, tombstones included: at most limit after skipping
// offset. limit 0 is "all" (as for Get and ListCheckpoints); the C call takes 0 literally, so it
// is passed as the largest size.
func (s State) History(ctx context.Context, agent, session, key string, limit, offset int) ([]StateVersion, error) {
	if limit < 0 || offset < 0 {
		return nil, argError(CodeInvalidArgument, "limit and offset must not be negative")
	}
	climit := C.size_t(limit)
	if limit == 0 {
		climit = ^C.size_t(0)
	}
	return s.versions(ctx, agent, session, key, func(k stateKey, out **C.agentdb_state_versions) C.enum_agentdb_status {
		return C.agentdb_state_history(s.db.h.p, k.agent, k.session, k.key, climit, C.size_t(offset), out)
	})
}

// Delete writes a tombstone for key and returns its version number.
func (s State) Delete(ctx context.Context, agent, session, key string) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	k, err := newStateKey(agent, session, key)
	if err != nil {
		return 0, err
	}
	defer k.free()
	defer pin()()
	var v C.uint64_t
	err = status(C.agentdb_state_delete(s.db.h.p, k.agent, k.session, k.key, &v))
	return uint64(v), err
}

func atPtr(at time.Time) *C.int64_t {
	if at.IsZero() {
		return nil
	}
	v := (*C.int64_t)(C.malloc(C.sizeof_int64_t))
	*v = C.int64_t(at.UnixMicro())
	return v
}

// Snapshot is every key of the session with its value, now (at zero) or as of at.
func (s State) Snapshot(ctx context.Context, agent, session string, at time.Time) (map[string]json.RawMessage, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	k, err := newStateKey(agent, session, "")
	if err != nil {
		return nil, err
	}
	defer k.free()
	pat := atPtr(at)
	defer C.free(unsafe.Pointer(pat))
	defer pin()()
	var e *C.agentdb_state_entries
	if err := status(C.agentdb_state_snapshot(s.db.h.p, k.agent, k.session, pat, &e)); err != nil {
		return nil, err
	}
	defer C.agentdb_state_entries_free(e)
	var n C.size_t
	if err := status(C.agentdb_state_entries_count(e, &n)); err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, n)
	for i := C.size_t(0); i < n; i++ {
		var kp, vp *C.char
		var kl, vl C.size_t
		if err := status(C.agentdb_state_entries_get(e, i, &kp, &kl, &vp, &vl)); err != nil {
			return nil, err
		}
		out[goString(kp, kl)] = json.RawMessage(C.GoBytes(unsafe.Pointer(vp), C.int(vl)))
	}
	return out, nil
}

// Keys names the session's keys with a value, now (at zero) or as of at.
func (s State) Keys(ctx context.Context, agent, session string, at time.Time) ([]string, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	k, err := newStateKey(agent, session, "")
	if err != nil {
		return nil, err
	}
	defer k.free()
	pat := atPtr(at)
	defer C.free(unsafe.Pointer(pat))
	defer pin()()
	var p *C.agentdb_strings
	if err := status(C.agentdb_state_keys(s.db.h.p, k.agent, k.session, pat, &p)); err != nil {
		return nil, err
	}
	return takeStrings(p)
}

// Sessions names the agent's sessions.
func (s State) Sessions(ctx context.Context, agent string) ([]string, error) {
	if err := ready(ctx); err != nil {
		return nil, err
	}
	a, err := cstr(agent, "agent_id")
	if err != nil {
		return nil, err
	}
	defer free(a)
	defer pin()()
	var p *C.agentdb_strings
	if err := status(C.agentdb_state_sessions(s.db.h.p, a, &p)); err != nil {
		return nil, err
	}
	return takeStrings(p)
}

// Purge deletes a session's history outright (session "": every session of the agent) and
// returns how many versions went.
func (s State) Purge(ctx context.Context, agent, session string) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	a, err := cstr(agent, "agent_id")
	if err != nil {
		return 0, err
	}
	defer free(a)
	sess, err := optCstr(session, "session_id")
	if err != nil {
		return 0, err
	}
	defer free(sess)
	defer pin()()
	var n C.uint64_t
	err = status(C.agentdb_state_purge(s.db.h.p, a, sess, &n))
	return uint64(n), err
}

// SetSessionTTL makes a session expire ttl after its last write (0: never).
func (s State) SetSessionTTL(ctx context.Context, agent, session string, ttl time.Duration) error {
	if err := ready(ctx); err != nil {
		return err
	}
	k, err := newStateKey(agent, session, "")
	if err != nil {
		return err
	}
	defer k.free()
	defer pin()()
	return status(C.agentdb_state_set_session_ttl(s.db.h.p, k.agent, k.session, C.double(ttl.Seconds())))
}

// Sweep removes expired versions and sessions now and returns how many.
func (s State) Sweep(ctx context.Context) (uint64, error) {
	if err := ready(ctx); err != nil {
		return 0, err
	}
	defer pin()()
	var n C.uint64_t
	err := status(C.agentdb_state_sweep(s.db.h.p, &n))
	return uint64(n), err
}

// Stats is the agent state's statistics as JSON text.
func (s State) Stats(ctx context.Context) (string, error) {
	if err := ready(ctx); err != nil {
		return "", err
	}
	defer pin()()
	var r *C.agentdb_report
	return takeReport(C.agentdb_state_stats(s.db.h.p, &r), r)
}
