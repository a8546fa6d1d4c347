// The engine's log records reach a JS function at the level asked for (as tests/c/test_ops.c
// and zig/tests/ops_test.zig check for C and Zig).
import { test } from 'node:test'
import assert from 'node:assert/strict'

import * as adb from '../index.mjs'
import { tempDir } from './helpers.mjs'

// Records are queued to the JS thread: give them a turn of the event loop to arrive.
const settle = () => new Promise((resolve) => setTimeout(resolve, 100))

test('the log callback receives the engine records at its level, and null stops it', async () => {
  const dir = tempDir()
  /** @type {{ level: string, target: string, message: string }[]} */
  const got = []
  adb.setLogCallback((level, target, message) => got.push({ level, target, message }), 'info')
  await (await adb.connect(dir)).close()
  await settle()
  assert.ok(got.some((r) => /opened/.test(r.message)), JSON.stringify(got))
  assert.ok(got.every((r) => r.target.startsWith('agentdb') && ['error', 'warn', 'info'].includes(r.level)), JSON.stringify(got))

  /** @type {string[]} */
  const warnings = []
  adb.setLogCallback((level, target, message) => warnings.push(message), 'warn')
  await (await adb.connect(dir)).close()
  await settle()
  assert.ok(!warnings.some((m) => /opened/.test(m)), JSON.stringify(warnings))

  const after = got.length
  adb.setLogCallback(null)
  await (await adb.connect(dir)).close()
  await settle()
  assert.equal(got.length, after)
  assert.throws(() => adb.setLogCallback(() => {}, 'loud'), adb.InvalidArgumentError)
})
