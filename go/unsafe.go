package agentdb

/*
#include "agentdb.h"
*/
import "C"

import "unsafe"

// unsafeSliceF32 views n floats the library owns; callers copy before the owner is freed.
func unsafeSliceF32(p *C.float, n int) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(p)), n)
}

func unsafeP[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }
