// The error classes against the engine's kinds: one class per code, the same hierarchy as
// Python's agentdb.errors, and the module's surface.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb } from './helpers.mjs'

test('every engine error code has its class, and each class its code', () => {
  const codes = adb.errorCodes()
  assert.equal(codes.length, 14)
  for (const code of codes) {
    const cls = adb.byCode.get(code)
    assert.ok(cls, `no class for ${code}`)
    const err = adb.fromEngine(code, 'm')
    assert.ok(err instanceof adb.AgentDBError && err instanceof Error)
    assert.equal(err.code, code)
    assert.equal(err.message, 'm')
    assert.equal(err.name, cls.name)
  }
  assert.deepEqual([...adb.byCode.keys()].sort(), [...codes].sort())
})

test('hierarchy as in Python: argument errors are InvalidArgumentErrors', () => {
  for (const cls of [adb.InvalidNameError, adb.DimensionMismatchError, adb.DuplicateIdError, adb.InvalidVectorError, adb.InvalidMetadataError, adb.InvalidFilterError]) {
    assert.ok(new cls('x') instanceof adb.InvalidArgumentError, cls.name)
  }
  for (const cls of [adb.CollectionNotFoundError, adb.ClosedError, adb.StorageError, adb.ReadOnlyError, adb.DatabaseLockedError]) {
    assert.ok(!(new cls('x') instanceof adb.InvalidArgumentError), cls.name)
  }
})

test('module surface: version, limits, sync functions stay sync', () => {
  assert.match(adb.engineVersion(), /^\d+\.\d+\.\d+/)
  const l = adb.limits()
  assert.ok(l.maxDim > 0 && l.maxK > 0 && l.maxValueDepth === 100)
  assert.ok(!('setErrorFactory' in adb))
  assert.throws(() => /** @type {any} */ (adb.limits)(1, 2, 3).nope.nope, TypeError)
})

test('the ES module entry names every export of the CommonJS one', async () => {
  const esm = await import('../index.mjs')
  assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(adb).sort())
  assert.equal(esm.default, adb)
  assert.equal(esm.connect, adb.connect)
})
