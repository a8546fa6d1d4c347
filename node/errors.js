'use strict'
// AgentDB's errors: one hierarchy, mapped one-to-one from the engine's error kinds (the same
// classes as Python's agentdb.errors). `code` is the engine's kind name ("duplicate_id", …), the
// same for Python, C and Zig. The addon builds them through `fromEngine` (see rust/node/src/errors.rs).

class AgentDBError extends Error {
  constructor(message, code = 'error') {
    super(message)
    this.name = new.target.name
    this.code = code
  }
}

function kind(name, code, base) {
  const cls = {
    [name]: class extends base {
      // A subclass passes its own code up; this class's is the default.
      constructor(message, ownCode = code) {
        super(message, ownCode)
      }
    },
  }[name]
  cls.code = code
  return cls
}

const InvalidArgumentError = kind('InvalidArgumentError', 'invalid_argument', AgentDBError)
const classes = {
  AgentDBError,
  InvalidArgumentError,
  InvalidNameError: kind('InvalidNameError', 'invalid_name', InvalidArgumentError),
  CollectionNotFoundError: kind('CollectionNotFoundError', 'collection_not_found', AgentDBError),
  CollectionExistsError: kind('CollectionExistsError', 'collection_exists', AgentDBError),
  DimensionMismatchError: kind('DimensionMismatchError', 'dimension_mismatch', InvalidArgumentError),
  DuplicateIdError: kind('DuplicateIdError', 'duplicate_id', InvalidArgumentError),
  InvalidVectorError: kind('InvalidVectorError', 'invalid_vector', InvalidArgumentError),
  InvalidMetadataError: kind('InvalidMetadataError', 'invalid_metadata', InvalidArgumentError),
  InvalidFilterError: kind('InvalidFilterError', 'invalid_filter', InvalidArgumentError),
  ClosedError: kind('ClosedError', 'closed', AgentDBError),
  StorageError: kind('StorageError', 'storage', AgentDBError),
  InternalError: kind('InternalError', 'internal', AgentDBError),
  DatabaseLockedError: kind('DatabaseLockedError', 'database_locked', AgentDBError),
  ReadOnlyError: kind('ReadOnlyError', 'read_only', AgentDBError),
  // A long call stopped by its AbortSignal (the `signal` option), its work undone.
  CancelledError: kind('CancelledError', 'cancelled', AgentDBError),
}

/** Engine code → class. */
const byCode = new Map(Object.values(classes).filter((c) => c.code).map((c) => [c.code, c]))

/** The error for an engine error of `code` (an unknown code: a plain AgentDBError). */
function fromEngine(code, message) {
  const cls = byCode.get(code)
  return cls ? new cls(message) : new AgentDBError(message, code)
}

module.exports = { ...classes, byCode, fromEngine }
