package agentdb

import "unsafe"

// RawCollection is the C handle of c, for the benchmark's C loop (internal/cbench) to run the
// same searches on the same handle without the Go layer.
func RawCollection(c *Collection) unsafe.Pointer { return unsafe.Pointer(c.h.p) }
