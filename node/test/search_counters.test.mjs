// The process-wide search counters from Node (Python's agentdb.search_counters(), the C suite's
// tests/c/test_search_counters.c): a graph walk and its work are counted, a repeated filter is
// evaluated once and then reused until a write, reset zeroes them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb, tempDir, vectors } from './helpers.mjs'

const DIM = 4

test('search counters: walks, filter evaluations and reuse, reset', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('sc', DIM, 'l2')
  const n = 200
  const ids = Array.from({ length: n }, (_, i) => `r${i}`)
  const v = vectors(n, DIM, 3)
  await c.add(ids, v, null, ids.map((_, i) => ({ tag: i % 10 })))
  await c.createIndex({ kind: 'hnsw', m: 8, efConstruction: 64 })

  adb.resetSearchCounters()
  const zero = adb.searchCounters()
  assert.equal(zero.searches, 0)
  assert.equal(zero.filtersReused, 0)
  await c.search(v.subarray(0, DIM), { k: 5 })
  const walked = adb.searchCounters()
  assert.equal(walked.searches, 1)
  assert.ok(walked.expansions > 0 && walked.distances > 0 && walked.bytes > 0)

  for (let i = 0; i < 2; i++) {
    const hits = await c.search(v.subarray(0, DIM), { k: 5, filter: { tag: { $ne: 3 } } })
    assert.ok(hits.metadata.every((m) => m.tag !== 3))
  }
  const filtered = adb.searchCounters()
  assert.equal(filtered.filtersEvaluated, walked.filtersEvaluated + 1)
  assert.equal(filtered.filtersReused, walked.filtersReused + 1)
  // A write: the next search evaluates the filter again.
  await c.delete({ ids: ['r0'] })
  await c.search(v.subarray(0, DIM), { k: 5, filter: { tag: { $ne: 3 } } })
  assert.equal(adb.searchCounters().filtersEvaluated, filtered.filtersEvaluated + 1)

  adb.resetSearchCounters()
  assert.equal(adb.searchCounters().bytes, 0)
  await db.close()
})
