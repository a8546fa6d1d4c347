package agentdb

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// agentdbGoEmbed is the agentdb_embed_fn of every Rag.Ingest (through adb_embed in rag.go):
// user is the cgo.Handle of the call's *ingestCall. It runs on the goroutine that called Ingest,
// during the call. Any failure is kept in the ingestCall and reported as a non-zero return,
// which aborts the ingest with nothing written.
//
//export agentdbGoEmbed
func agentdbGoEmbed(user unsafe.Pointer, texts **C.char, n C.size_t, dim C.size_t, out *C.float) (ret C.int32_t) {
	call := cgo.Handle(uintptr(user)).Value().(*ingestCall)
	defer func() {
		// A panic must not unwind through the engine's frames: keep it as the call's error.
		if r := recover(); r != nil {
			call.err = fmt.Errorf("agentdb: embedder panicked: %v", r)
			ret = 1
		}
	}()
	if err := call.ctx.Err(); err != nil {
		call.err = err
		return 1
	}
	ptrs := unsafe.Slice(texts, int(n))
	in := make([]string, n)
	for i, p := range ptrs {
		in[i] = C.GoString(p)
	}
	vecs, err := call.embed(call.ctx, in)
	if err != nil {
		call.err = err
		return 1
	}
	if len(vecs) != int(n) {
		call.err = argError(CodeInvalidArgument, "embedder returned %d vectors for %d texts", len(vecs), n)
		return 1
	}
	dst := unsafe.Slice((*float32)(unsafe.Pointer(out)), int(n)*int(dim))
	for i, v := range vecs {
		if len(v) != int(dim) {
			call.err = argError(CodeDimensionMismatch, "embedder returned %d values for text %d, the store has dimension %d", len(v), i, dim)
			return 1
		}
		copy(dst[i*int(dim):], v)
	}
	// A context cancelled while the embedder ran (and it did not notice) still stops the ingest.
	if err := call.ctx.Err(); err != nil {
		call.err = err
		return 1
	}
	return 0
}
