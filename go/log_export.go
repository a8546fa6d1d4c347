package agentdb

/*
#include <stdint.h>
*/
import "C"

// agentdbGoLog is the agentdb_log_fn SetLogger installs (through adb_log in log.go). It may run
// on any thread, often one of the engine's.
//
//export agentdbGoLog
func agentdbGoLog(level C.int32_t, target, message *C.char) {
	if fn := logger.Load(); fn != nil {
		(*fn)(LogLevel(level), C.GoString(target), C.GoString(message))
	}
}
