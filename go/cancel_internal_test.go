package agentdb

import (
	"context"
	"testing"
)

// BenchmarkWatch is the fixed cost in-call cancellation adds to each long call with a
// cancellable ctx (a C token made, attached, detached and freed; a goroutine started and
// stopped), without the call itself.
func BenchmarkWatch(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for b.Loop() {
		unpin := pin()
		done := watch(ctx)
		_ = done(nil)
		unpin()
	}
}
