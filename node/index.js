'use strict'
// agentdb-embedded: the AgentDB engine for Node.js. Everything is the native addon
// (rust/node, declared in native.d.ts); this file only loads it and adds what napi cannot
// express: the error classes of errors.js and `Symbol.asyncDispose`.
const path = require('node:path')
const errors = require('./errors')

// The addon sits next to this file (copied from the cargo target by `make build-node`, packed
// by `npm pack`); AGENTDB_NODE_ADDON points elsewhere (e.g. a debug build).
const native = require(process.env.AGENTDB_NODE_ADDON || path.join(__dirname, 'agentdb.node'))

native.setErrorFactory(errors.fromEngine)

// A call whose arguments napi cannot convert (a number where a string is expected, …) throws
// before any work starts, with a napi status as `code`. It becomes an InvalidArgumentError like
// every other bad argument, rejected for the Promise methods as their engine errors are.
const NAPI_ARG_CODES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected',
  'ArrayBufferExpected', 'DetachableArraybufferExpected',
])

function argumentError(e) {
  if (e instanceof errors.AgentDBError || !(e && NAPI_ARG_CODES.has(e.code))) return e
  const err = new errors.InvalidArgumentError(e.message)
  err.cause = e
  return err
}

// The `signal` option (an AbortSignal) of a Promise method: taken out of its options object
// (the addon's option types do not know it) and returned with the remaining arguments.
function takeSignal(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    // An AbortSignal only: a filter dict may have a field called "signal".
    if (a && typeof a === 'object' && !Array.isArray(a) && a.signal instanceof AbortSignal) {
      const { signal, ...rest } = a
      const out = args.slice()
      if (i === out.length - 1 && Object.keys(rest).length === 0) out.pop()
      else out[i] = rest
      return [out, signal]
    }
  }
  return [args, undefined]
}

// A call with a signal: a native CancelToken cancelled on `abort`, armed while the method builds
// its task (synchronously, on this thread), so the long call sees it on the worker thread (see
// rust/node/src/cancel.rs). Long calls stop with a CancelledError, their work undone.
function withSignal(self, fn, args, signal) {
  const token = new native.CancelToken()
  const onAbort = () => token.cancel()
  if (signal.aborted) token.cancel()
  else signal.addEventListener('abort', onAbort, { once: true })
  native.armCancel(token)
  let p
  try {
    p = fn.apply(self, args)
  } finally {
    native.disarmCancel()
  }
  return Promise.resolve(p).finally(() => signal.removeEventListener('abort', onAbort))
}

function wrap(owner, name, fn, rejects) {
  owner[name] = {
    [name](...args) {
      try {
        if (rejects) {
          const [rest, signal] = takeSignal(args)
          if (signal !== undefined) return withSignal(this, fn, rest, signal)
        }
        return fn.apply(this, args)
      } catch (e) {
        if (rejects) return Promise.reject(argumentError(e))
        throw argumentError(e)
      }
    },
  }[name]
}

// Which methods return Promises is in the declarations napi generated (native.d.ts); the
// addon's exports are functions either way, so the list is read from there once.
const declared = require('node:fs').readFileSync(path.join(__dirname, 'native.d.ts'), 'utf8')
const promiseMethods = new Set()
for (const m of declared.matchAll(/^\s*(?:export declare function )?(\w+)\([^\n]*\): Promise</gm)) promiseMethods.add(m[1])

for (const cls of [native.Database, native.Collection, native.Memory, native.State, native.Rag, native.Graph]) {
  for (const name of Object.getOwnPropertyNames(cls.prototype)) {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, name)
    if (name !== 'constructor' && typeof d.value === 'function') {
      wrap(cls.prototype, name, d.value, promiseMethods.has(name))
    }
  }
}

// `await using db = await connect(...)` closes the database at the end of the block.
if (Symbol.asyncDispose) {
  native.Database.prototype[Symbol.asyncDispose] = function () {
    return this.close()
  }
}

const api = { ...native }
delete api.setErrorFactory
delete api.armCancel
delete api.disarmCancel
for (const name of Object.keys(api)) {
  if (typeof api[name] === 'function' && !/^[A-Z]/.test(name)) wrap(api, name, native[name], promiseMethods.has(name))
}

module.exports = { ...api, ...errors }
