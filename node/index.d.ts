// agentdb-embedded's public types: the addon's (generated from rust/node into native.d.ts) and
// the error classes.
export * from './native'
export * from './errors'

declare module './native' {
  interface Database {
    /** Closes the database (`await using db = await connect(path)`). */
    [Symbol.asyncDispose](): Promise<void>
  }
}

/** The `signal` option of the long calls: aborting it stops the call at its next safe point
 * (the Promise rejects with a `CancelledError`; no half backup, import or index is left). */
interface Cancellable {
  signal?: AbortSignal
}

declare module './native' {
  interface IndexOptionsArg extends Cancellable {}
  interface SearchOptions extends Cancellable {}
  interface BackupOptions extends Cancellable {}
  interface VerifyOptions extends Cancellable {}
  interface RestoreOptions extends Cancellable {}
  interface ExportOptions extends Cancellable {}
  interface ImportOptions extends Cancellable {}
  interface LanceImportOptions extends Cancellable {}
  interface IngestOptions extends Cancellable {}
  interface Collection {
    /** `optimize({ signal })`: stops before the compaction once aborted. */
    optimize(opts?: Cancellable): Promise<void>
  }
  interface Database {
    optimize(opts?: Cancellable): Promise<void>
  }
}
