package agentdb_test

import (
	"context"
	"sync/atomic"
)

// cancelAfter is a context whose Err is nil for its first `after` checks and Canceled after, so
// a test can cancel in the middle of a call deterministically.
type cancelAfter struct {
	context.Context
	after int64
	calls atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) > c.after {
		return context.Canceled
	}
	return nil
}
