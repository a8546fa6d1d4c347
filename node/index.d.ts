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
