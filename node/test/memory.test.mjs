// The C suite's memory scenarios (tests/c/test_memory.c): remember, recall, filters, forget,
// update, consolidate, statistics across a reopen, bad input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb, rejects, tempDir } from './helpers.mjs'

const e = (/** @type {number[]} */ ...xs) => new Float32Array(xs)

test('remember, recall, count, update, forget, and reopen', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  await rejects(db.memory('m'), adb.CollectionNotFoundError, /give its dimension/)
  const m = await db.memory('m', { dim: 3 })
  assert.equal(m.dim, 3)
  const day = 86_400_000
  const now = Date.now()
  const ids = await m.remember(
    [
      { agentId: 'u1', text: 'likes green tea', kind: 'semantic', importance: 0.9, metadata: { topic: 'drinks' } },
      { agentId: 'u1', text: 'met Bob on Monday', sessionId: 's1', createdAt: now - 30 * day },
      { agentId: 'u2', text: 'prefers coffee', id: 'fixed-id' },
    ],
    [e(1, 0, 0), e(0, 1, 0), e(0.9, 0.1, 0)],
  )
  assert.equal(ids.length, 3)
  assert.equal(ids[2], 'fixed-id')
  const hits = await m.recall(e(1, 0, 0), { k: 5, agentId: 'u1' })
  assert.equal(hits.length, 2)
  assert.equal(hits[0].record.text, 'likes green tea')
  assert.equal(hits[0].record.kind, 'semantic')
  assert.deepEqual(hits[0].record.metadata, { topic: 'drinks' })
  assert.ok(hits[0].score >= hits[1].score)
  assert.ok((hits[0].similarity ?? 0) > 0.99)
  // Without a query: by recency and importance alone.
  const noQuery = await m.recall(null, { agentId: 'u1', kinds: ['episodic'] })
  assert.deepEqual(noQuery.map((h) => h.record.text), ['met Bob on Monday'])
  assert.equal(await m.count({ agentId: 'u1' }), 2)
  assert.equal(await m.count({ since: now - day }), 2)
  assert.equal(await m.count({ filter: "topic = 'drinks'" }), 1)
  const [rec] = await m.get([ids[0]])
  assert.ok(rec.vector instanceof Float32Array)
  assert.deepEqual([...rec.vector], [1, 0, 0])
  assert.ok(rec.accessCount >= 1, 'recall touched it')
  await m.update(ids[0], { text: 'likes oolong tea', importance: 0.2, metadata: { topic: 'tea' } })
  assert.equal((await m.get([ids[0]]))[0].text, 'likes oolong tea')
  await m.update(ids[0], { clearText: true })
  assert.equal((await m.get([ids[0]]))[0].text ?? null, null)
  assert.equal(await m.forget({ ids: ['fixed-id'] }), 1)
  assert.equal(await m.forget({ agentId: 'u1', sessionId: 's1' }), 1)
  await m.flush()
  await db.close()

  const again = await adb.connect(path)
  assert.deepEqual(await again.listMemories(), ['m'])
  const m2 = await again.memory('m')
  assert.equal(await m2.count(), 1)
  await rejects(again.memory('m', { dim: 4 }), adb.DimensionMismatchError)
  await again.dropMemory('m')
  assert.deepEqual(await again.listMemories(), [])
  await again.close()
})

test('consolidation merges near-duplicates and enforces a capacity', async () => {
  const db = await adb.connect(tempDir())
  const m = await db.memory('c', { dim: 2 })
  await m.remember(
    [0, 1, 2, 3, 4].map((i) => ({ agentId: 'a', text: `fact ${i}`, importance: i / 5 })),
    [e(1, 0), e(1, 0.001), e(0, 1), e(-1, 0.2), e(0.3, -1)],
  )
  const r = await m.consolidate({ agentId: 'a', dedupThreshold: 0.99 })
  assert.equal(r.merged.length, 1)
  assert.equal(r.merged[0].length, 2)
  assert.equal(await m.count(), 4)
  const cap = await m.consolidate({ capacity: 2 })
  assert.equal(cap.evicted.length, 2)
  assert.equal(await m.count(), 2)
  await db.close()
})

test('memory bad input', async () => {
  const db = await adb.connect(tempDir())
  const m = await db.memory('b', { dim: 2 })
  await rejects(m.remember([{ agentId: 'a' }], e(1, 0, 0)), adb.DimensionMismatchError)
  await rejects(m.remember([{ agentId: 'a', kind: 'dream' }], e(1, 0)), adb.InvalidArgumentError)
  await rejects(m.remember([{ agentId: 'a', importance: 2 }], e(1, 0)), adb.InvalidArgumentError)
  await rejects(m.remember([{ agentId: '' }], e(1, 0)), adb.InvalidArgumentError)
  await rejects(m.remember([{ agentId: 'a', createdAt: NaN }], e(1, 0)), adb.InvalidArgumentError)
  await rejects(m.remember([{ agentId: 'a', metadata: { agent_id: 'x' } }], e(1, 0)), adb.InvalidMetadataError)
  await rejects(m.recall(e(1, 0), { k: 0 }), adb.InvalidArgumentError)
  await rejects(m.recall(e(1, 0, 0)), adb.DimensionMismatchError)
  await rejects(m.recall(e(1, 0), { weights: { mode: 'magic' } }), adb.InvalidArgumentError)
  await rejects(m.recall(e(1, 0), { filter: 'nope = 1' }), adb.InvalidFilterError)
  await rejects(m.update('missing', { importance: 0.3 }), adb.AgentDBError)
  assert.equal(await m.count(), 0)
  await db.close()
})
