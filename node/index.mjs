// The ES module entry: index.js's exports by name (Node cannot name the exports of a CommonJS
// module built at run time; test/errors.test.mjs checks this list against index.js).
import cjs from './index.js'

export default cjs
export const {
  connect, engineVersion, errorCodes, limits,
  restore, listBackups, pruneBackups, verifyBackup, problemKinds, storeKinds, setLogCallback,
  searchCounters, resetSearchCounters,
  Database, Collection, Memory, State, Rag, Graph, CancelToken,
  AgentDBError, InvalidArgumentError, InvalidNameError, CollectionNotFoundError, CollectionExistsError,
  DimensionMismatchError, DuplicateIdError, InvalidVectorError, InvalidMetadataError, InvalidFilterError,
  ClosedError, StorageError, InternalError, DatabaseLockedError, ReadOnlyError, CancelledError, byCode, fromEngine,
} = cjs
