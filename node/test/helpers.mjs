// Shared by the suite: the package under test and fresh database directories.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { after } from 'node:test'

const require = createRequire(import.meta.url)
/** @type {typeof import('../index.js')} */
export const adb = require('../index.js')

/** @type {string[]} */
const dirs = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A new, empty directory for a database, removed when the test file ends. */
export function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'agentdb-node-'))
  dirs.push(d)
  return join(d, 'db')
}

/**
 * `n` deterministic `dim`-d vectors as one flat Float32Array.
 * @param {number} n
 * @param {number} dim
 */
export function vectors(n, dim, seed = 1) {
  const out = new Float32Array(n * dim)
  let x = seed >>> 0 || 1
  for (let i = 0; i < out.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x / 2 ** 32 - 0.5
  }
  return out
}

/**
 * Asserts the promise rejects with `cls` and its code.
 * @param {Promise<unknown>} p
 * @param {Function & { code?: string }} cls
 * @param {RegExp} [message]
 */
export async function rejects(p, cls, message) {
  let err
  try {
    await p
  } catch (e) {
    err = e
  }
  if (!(err instanceof cls)) {
    const e = /** @type {any} */ (err)
    throw new Error(`expected ${cls.name}, got ${e === undefined ? 'no error' : String(e?.constructor?.name) + ': ' + String(e?.message)}`)
  }
  if (!(err instanceof adb.AgentDBError)) throw new Error('not an AgentDBError')
  if (cls.code && /** @type {any} */ (err).code !== cls.code) throw new Error(`code ${/** @type {any} */ (err).code}, expected ${cls.code}`)
  if (message && !message.test(/** @type {Error} */ (err).message)) throw new Error(`message ${/** @type {Error} */ (err).message} does not match ${message}`)
  return err
}
