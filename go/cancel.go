package agentdb

/*
#include "agentdb.h"
*/
import "C"

import (
	"context"
	"errors"
)

// Cancellation during long calls. ctx is checked before every call (ready); for the long ones
// (CreateIndex, Optimize, SearchBatch, Backup, Restore, Verify, VerifyBackup, ExportStore,
// ImportStore, Ingest) it also reaches the engine while the call runs: an agentdb_cancel_token
// is attached to the OS thread making the call, and a goroutine cancels it when ctx is done.
// The engine then stops at its next safe point (between files, batches, documents, chunks of
// queries; never inside a commit) with what it had started undone, and the call returns an
// error for which both errors.Is(err, ErrCancelled) and errors.Is(err, ctx.Err()) hold.

// watch attaches a cancel token for ctx to the calling OS thread (the caller holds pin for the
// whole call) and returns the function to call with the long call's error once it returned:
// it stops the watcher, detaches and frees the token, and ties a Cancelled error to ctx.Err().
// A context that can never be done costs nothing.
func watch(ctx context.Context) func(error) error {
	if ctx == nil || ctx.Done() == nil {
		return func(err error) error { return err }
	}
	var tok *C.agentdb_cancel_token
	if C.agentdb_cancel_token_new(&tok) != C.AGENTDB_OK {
		// Only on a broken library; the call then runs without in-call cancellation.
		return func(err error) error { return err }
	}
	C.agentdb_cancel_token_attach(tok)
	stop := func() {}
	select {
	case <-ctx.Done():
		// Done already: cancelled before the call, so its first safe point stops it for certain.
		C.agentdb_cancel_token_cancel(tok)
	default:
		// context.AfterFunc starts a goroutine only once ctx is done, so a call whose ctx stays
		// live pays for the token alone (about 1 µs: bench/results/go.md). fired is closed
		// when the cancel has run, so the token is never freed under it.
		fired := make(chan struct{})
		stopFunc := context.AfterFunc(ctx, func() {
			defer close(fired)
			// From another goroutine's thread: the token is thread-safe.
			C.agentdb_cancel_token_cancel(tok)
		})
		stop = func() {
			if !stopFunc() {
				<-fired
			}
		}
	}
	return func(err error) error {
		stop()
		C.agentdb_cancel_token_detach()
		C.agentdb_cancel_token_free(tok)
		if cause := ctx.Err(); cause != nil && errors.Is(err, ErrCancelled) {
			return &cancelledError{err: err, cause: cause}
		}
		return err
	}
}

// cancelledError is the engine's Cancelled error together with the context error that caused it.
type cancelledError struct {
	err   error
	cause error
}

func (e *cancelledError) Error() string   { return e.err.Error() + " (" + e.cause.Error() + ")" }
func (e *cancelledError) Unwrap() []error { return []error{e.err, e.cause} }
