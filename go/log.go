package agentdb

/*
#include "agentdb.h"

extern void agentdbGoLog(int32_t level, char *target, char *message);

static void adb_log(int32_t level, const char *target, const char *message, void *user) {
	(void)user;
	agentdbGoLog(level, (char *)target, (char *)message);
}

static enum agentdb_status adb_log_set(int on, int32_t max_level) {
	return agentdb_log_set_callback(on ? adb_log : NULL, max_level, NULL);
}
*/
import "C"

import "sync/atomic"

// LogLevel is a log record's severity; a logger receives records up to its level.
type LogLevel int32

const (
	LogOff   LogLevel = C.AGENTDB_LOG_OFF
	LogError LogLevel = C.AGENTDB_LOG_ERROR
	LogWarn  LogLevel = C.AGENTDB_LOG_WARN
	LogInfo  LogLevel = C.AGENTDB_LOG_INFO
	LogDebug LogLevel = C.AGENTDB_LOG_DEBUG
	LogTrace LogLevel = C.AGENTDB_LOG_TRACE
)

// LogFunc receives one engine log record: its level, the engine module and the message.
type LogFunc func(level LogLevel, target, message string)

var logger atomic.Pointer[LogFunc]

// SetLogger sends the engine's log records of maxLevel and more severe to fn, process-wide
// (one logger at a time; fn nil or LogOff stops logging). fn runs on whichever thread logs, often
// an engine thread, so it must be safe for concurrent use and return quickly.
func SetLogger(maxLevel LogLevel, fn LogFunc) error {
	on := fn != nil && maxLevel != LogOff
	if on {
		logger.Store(&fn)
	}
	defer pin()()
	var err error
	if on {
		err = status(C.adb_log_set(1, C.int32_t(maxLevel)))
	} else {
		err = status(C.adb_log_set(0, C.int32_t(LogOff)))
	}
	if !on || err != nil {
		logger.Store(nil)
	}
	return err
}
