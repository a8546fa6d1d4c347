// The `signal` option (an AbortSignal) of long calls: aborted while an index build runs, the
// build stops with a CancelledError and the old index still serves; an already aborted signal
// stops a backup (no point left) and an export (no file left); the next calls work. A filter
// dict with a field named "signal" is not taken for one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { adb, rejects, tempDir, vectors } from './helpers.mjs'

const DIM = 16

test('aborting an index build keeps the old index', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('big', DIM, 'l2')
  const n = 20000
  const v = vectors(n, DIM)
  const ids = Array.from({ length: n }, (_, i) => `r${i}`)
  for (let i = 0; i < n; i += 5000) await c.add(ids.slice(i, i + 5000), v.subarray(i * DIM, (i + 5000) * DIM))
  await c.createIndex({ kind: 'hnsw', m: 4, efConstruction: 8 })
  const ac = new AbortController()
  const started = Date.now()
  setTimeout(() => ac.abort(), 100)
  await rejects(c.createIndex({ kind: 'hnsw', m: 48, efConstruction: 2000, signal: ac.signal }), adb.CancelledError)
  assert.ok(Date.now() - started < 30000)
  const p = /** @type {any} */ (await c.indexParams())
  assert.equal(p.kind, 'hnsw')
  assert.equal(p.m, 4)
  const hits = await c.search(v.subarray(0, DIM), { k: 3 })
  assert.equal(hits.ids[0], 'r0')
  assert.equal(await c.count(), n)
  // A signal that is never aborted changes nothing.
  await c.createIndex({ kind: 'hnsw', m: 8, efConstruction: 16, signal: new AbortController().signal })
  assert.equal(/** @type {any} */ (await c.indexParams()).m, 8)
  await db.close()
})

test('an aborted signal stops backup, export and batch search with nothing left', async () => {
  const dir = tempDir()
  const db = await adb.connect(dir)
  const c = await db.createCollection('docs', DIM, 'l2')
  await c.add(['a', 'b', 'c'], vectors(3, DIM), null, [{ signal: 1 }, { signal: 2 }, { signal: 3 }])
  const aborted = AbortSignal.abort()
  const dest = join(dirname(dir), 'bk')
  await rejects(db.backup(dest, { signal: aborted }), adb.CancelledError)
  assert.deepEqual(await adb.listBackups(dest), [])
  const file = join(dirname(dir), 'docs.jsonl')
  await rejects(db.exportStore('docs', file, { signal: aborted }), adb.CancelledError)
  assert.equal(existsSync(file), false)
  await rejects(c.searchBatch(vectors(4, DIM), { k: 1, signal: aborted }), adb.CancelledError)
  await rejects(c.optimize({ signal: aborted }), adb.CancelledError)
  // The next calls work; a filter field named "signal" is a filter.
  assert.equal((await db.backup(dest)).seq, 1)
  assert.equal((await db.exportStore('docs', file)).records, 3)
  assert.equal(await c.count({ signal: 2 }), 1)
  assert.equal((await c.searchBatch(vectors(4, DIM), { k: 1 })).length, 4)
  await db.close()
})
