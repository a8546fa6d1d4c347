/** The base of every AgentDB error; `code` is the engine's error kind ("duplicate_id", …). */
export declare class AgentDBError extends Error {
  constructor(message: string, code?: string)
  readonly code: string
}
type Kind<C extends string> = { new (message: string): AgentDBError & { readonly code: C }; readonly code: C }
export declare class InvalidArgumentError extends AgentDBError {}
export declare class InvalidNameError extends InvalidArgumentError {}
export declare class CollectionNotFoundError extends AgentDBError {}
export declare class CollectionExistsError extends AgentDBError {}
export declare class DimensionMismatchError extends InvalidArgumentError {}
export declare class DuplicateIdError extends InvalidArgumentError {}
export declare class InvalidVectorError extends InvalidArgumentError {}
export declare class InvalidMetadataError extends InvalidArgumentError {}
export declare class InvalidFilterError extends InvalidArgumentError {}
export declare class ClosedError extends AgentDBError {}
export declare class StorageError extends AgentDBError {}
export declare class InternalError extends AgentDBError {}
export declare class DatabaseLockedError extends AgentDBError {}
export declare class ReadOnlyError extends AgentDBError {}
/** A long call stopped by its AbortSignal (the `signal` option), its work undone. */
export declare class CancelledError extends AgentDBError {}
/** Engine code → class. */
export declare const byCode: ReadonlyMap<string, Kind<string>>
/** The error for an engine error of `code`. */
export declare function fromEngine(code: string, message: string): AgentDBError
