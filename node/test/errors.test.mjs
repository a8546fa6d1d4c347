// The error classes against the engine's kinds: one class per code, the same hierarchy as
// Python's agentdb.errors, and the module's surface.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb } from './helpers.mjs'

test('every engine error code has its class, and each class its code', () => {
  const codes = adb.errorCodes()
  assert.equal(codes.length, 15)
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

test('no Promise method throws: any bad call rejects with an AgentDBError', async () => {
  const { readFileSync } = await import('node:fs')
  const { tempDir } = await import('./helpers.mjs')
  const dts = readFileSync(new URL('../native.d.ts', import.meta.url), 'utf8')
  const db = await adb.connect(tempDir())
  /** @type {Record<string, any>} */
  const objects = {
    Database: db,
    Collection: await db.createCollection('c', 2),
    Memory: await db.memory('m', { dim: 2 }),
    State: await db.state(),
    Rag: await db.rag('r', 2),
  }
  let checked = 0
  for (const [cls, obj] of Object.entries(objects)) {
    const body = dts.split(`export declare class ${cls} {`)[1].split('\n}\n')[0]
    for (const m of body.matchAll(/^ {2}(\w+)\(([^\n]*)\): Promise</gm)) {
      if (m[1] === 'close' || m[2] === '') continue // takes no arguments: nothing to get wrong
      const bad = [Symbol('x'), Symbol('y'), Symbol('z'), Symbol('w'), Symbol('v'), Symbol('u')]
      /** @type {any} */
      let p
      assert.doesNotThrow(() => { p = obj[m[1]](...bad) }, `${cls}.${m[1]} threw`)
      assert.ok(p instanceof Promise, `${cls}.${m[1]} returned no Promise`)
      await assert.rejects(p, (/** @type {any} */ e) => e instanceof adb.AgentDBError && typeof e.code === 'string', `${cls}.${m[1]}`)
      checked++
    }
  }
  assert.ok(checked >= 40, `${checked} methods checked`)
  await assert.rejects(/** @type {any} */ (adb.connect)(Symbol('p')), adb.InvalidArgumentError)
  await db.close()
})
