package agentdb

/*
#include "agentdb.h"
*/
import "C"

import "fmt"

// Code is the kind of a failure: one value per agentdb_status of include/agentdb.h.
type Code int32

// The codes of include/agentdb.h. 1 to 12 and 17 up are the engine's error kinds, 13 to 16
// failures of the C boundary (which the Go layer mostly rules out before calling).
const (
	CodeInvalidArgument   Code = C.AGENTDB_INVALID_ARGUMENT
	CodeInvalidName       Code = C.AGENTDB_INVALID_NAME
	CodeNotFound          Code = C.AGENTDB_COLLECTION_NOT_FOUND
	CodeExists            Code = C.AGENTDB_COLLECTION_EXISTS
	CodeDimensionMismatch Code = C.AGENTDB_DIMENSION_MISMATCH
	CodeDuplicateID       Code = C.AGENTDB_DUPLICATE_ID
	CodeInvalidVector     Code = C.AGENTDB_INVALID_VECTOR
	CodeInvalidMetadata   Code = C.AGENTDB_INVALID_METADATA
	CodeInvalidFilter     Code = C.AGENTDB_INVALID_FILTER
	CodeClosed            Code = C.AGENTDB_CLOSED
	CodeStorage           Code = C.AGENTDB_STORAGE
	CodeInternal          Code = C.AGENTDB_INTERNAL
	CodeNullPointer       Code = C.AGENTDB_NULL_POINTER
	CodeInvalidUTF8       Code = C.AGENTDB_INVALID_UTF8
	CodeInvalidHandle     Code = C.AGENTDB_INVALID_HANDLE
	CodePanic             Code = C.AGENTDB_PANIC
	CodeDatabaseLocked    Code = C.AGENTDB_DATABASE_LOCKED
	CodeReadOnly          Code = C.AGENTDB_READ_ONLY
	CodeCancelled         Code = C.AGENTDB_CANCELLED
)

// String is the status's C name, from the library (agentdb_status_name).
func (c Code) String() string { return C.GoString(C.agentdb_status_name(C.int32_t(c))) }

// Error is every failure the engine reports: its kind and the library's message.
// Match a kind with errors.Is(err, agentdb.ErrNotFound) (the sentinels below), or read both
// fields with errors.As(err, &e) for e of type *agentdb.Error.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "agentdb: " + e.Code.String()
	}
	return fmt.Sprintf("agentdb: %s: %s", e.Code.String(), e.Message)
}

// Is makes errors.Is(err, ErrX) true for every *Error of ErrX's code, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == ""
}

// Sentinels, one per code; compare with errors.Is. Each is an *Error without a message.
var (
	ErrInvalidArgument   = &Error{Code: CodeInvalidArgument}
	ErrInvalidName       = &Error{Code: CodeInvalidName}
	ErrNotFound          = &Error{Code: CodeNotFound} // the collection, memory or RAG store does not exist
	ErrExists            = &Error{Code: CodeExists}
	ErrDimensionMismatch = &Error{Code: CodeDimensionMismatch}
	ErrDuplicateID       = &Error{Code: CodeDuplicateID}
	ErrInvalidVector     = &Error{Code: CodeInvalidVector}
	ErrInvalidMetadata   = &Error{Code: CodeInvalidMetadata}
	ErrInvalidFilter     = &Error{Code: CodeInvalidFilter}
	ErrClosed            = &Error{Code: CodeClosed}
	ErrStorage           = &Error{Code: CodeStorage}
	ErrInternal          = &Error{Code: CodeInternal}
	ErrNullPointer       = &Error{Code: CodeNullPointer}
	ErrInvalidUTF8       = &Error{Code: CodeInvalidUTF8}
	ErrInvalidHandle     = &Error{Code: CodeInvalidHandle}
	ErrPanic             = &Error{Code: CodePanic}
	ErrDatabaseLocked    = &Error{Code: CodeDatabaseLocked}
	ErrReadOnly          = &Error{Code: CodeReadOnly}
	ErrCancelled         = &Error{Code: CodeCancelled} // a long call stopped by its ctx (see cancel.go)
)

// status turns a C status into an error, reading agentdb_errmsg. The message is per OS thread,
// so the caller must hold runtime.LockOSThread from the call to here (every method does: see
// pin).
func status(st C.enum_agentdb_status) error {
	if st == C.AGENTDB_OK {
		return nil
	}
	return &Error{Code: Code(st), Message: C.GoString(C.agentdb_errmsg())}
}

// argError is a failure found in Go before C is called (a slice that cannot be what the C call
// needs): the same kind the C ABI would give.
func argError(code Code, format string, a ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}
