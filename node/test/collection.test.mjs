// The C suite's collection scenarios (tests/c/test_collection.c, test_collection_search.c):
// CRUD, filters, reopen, indexes, bad input, closed handles, many concurrent Promises.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb, rejects, tempDir, vectors } from './helpers.mjs'

const DIM = 8

test('write, get, search, delete, then reopen and find the same', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  const c = await db.createCollection('docs', DIM)
  assert.equal(c.name, 'docs')
  assert.equal(c.dim, DIM)
  assert.equal(c.metric, 'cosine')
  const v = vectors(100, DIM)
  const ids = Array.from({ length: 100 }, (_, i) => `id${i}`)
  const docs = ids.map((id, i) => (i % 10 === 0 ? null : `document ${id}`))
  const meta = ids.map((_, i) => ({ group: i % 2 === 0 ? 'even' : 'odd', n: i, score: i / 10, tags: ['t' + (i % 3)] }))
  await c.add(ids, v, docs, meta)
  assert.equal(await c.count(), 100)

  const hits = await c.search(v.subarray(5 * DIM, 6 * DIM), { k: 3 })
  assert.ok(hits.distances instanceof Float32Array)
  assert.equal(hits.ids[0], 'id5')
  assert.ok(Math.abs(hits.distances[0]) < 1e-5)
  assert.equal(hits.documents[0], 'document id5')
  assert.deepEqual(hits.metadata[0], { group: 'odd', n: 5, score: 0.5, tags: ['t2'] })

  const got = await c.get({ ids: ['id3', 'id0'] })
  assert.deepEqual([...got.ids].sort(), ['id0', 'id3'])
  assert.equal(got.dim, DIM)
  assert.ok(got.vectors instanceof Float32Array)
  assert.equal(got.vectors.length, 2 * DIM)
  const i3 = got.ids.indexOf('id3')
  assert.deepEqual(got.vectors.subarray(i3 * DIM, (i3 + 1) * DIM), v.subarray(3 * DIM, 4 * DIM))
  assert.equal(got.documents[got.ids.indexOf('id0')], null)
  assert.ok(got.createdAt[0] > Date.now() - 600_000 && got.createdAt[0] <= Date.now() + 1000)

  // Paging.
  const page = await c.get({ limit: 10, offset: 95 })
  assert.equal(page.ids.length, 5)

  // Upsert replaces, add refuses an existing id.
  await c.upsert(['id1'], [new Float32Array(DIM).fill(1)], ['replaced'], [{ group: 'new' }])
  assert.equal((await c.get({ ids: ['id1'] })).documents[0], 'replaced')
  await rejects(c.add(['id1'], new Float32Array(DIM).fill(1)), adb.DuplicateIdError)

  assert.equal(await c.delete({ ids: ['id2', 'id4', 'nope'] }), 2)
  assert.equal(await c.delete({ filter: { group: 'new' } }), 1)
  assert.equal(await c.count(), 97)
  await db.close()
  assert.equal(db.closed, true)

  const again = await adb.connect(path)
  const c2 = await again.getCollection('docs')
  assert.equal(await c2.count(), 97)
  assert.deepEqual(await again.listCollections(), ['docs'])
  const h2 = await c2.search(v.subarray(7 * DIM, 8 * DIM), { k: 1 })
  assert.equal(h2.ids[0], 'id7')
  await again.close()
})

test('SQL and dict filters in count, get, search and delete', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('f', DIM, 'l2')
  const n = 50
  const ids = Array.from({ length: n }, (_, i) => `r${i}`)
  await c.add(ids, vectors(n, DIM, 7), null, ids.map((_, i) => ({ lang: i < 20 ? 'en' : 'de', year: 2000 + i, when: new Date(Date.UTC(2024, 0, 1 + i)) })))
  assert.equal(await c.count("lang = 'en'"), 20)
  assert.equal(await c.count({ lang: 'de' }), 30)
  assert.equal(await c.count({ year: { $gte: 2040 } }), 10)
  assert.equal(await c.count({ $or: [{ lang: 'en' }, { year: { $gte: 2045 } }] }), 25)
  assert.equal(await c.count({ when: { $lt: new Date(Date.UTC(2024, 0, 6)) } }), 5)
  const hits = await c.search(vectors(1, DIM, 99), { k: 50, filter: "lang = 'en' AND year < 2010" })
  assert.equal(hits.ids.length, 10)
  for (const m of hits.metadata) assert.ok(Number(m.year) < 2010 && m.lang === "en")
  // A datetime comes back in the engine's JSON form.
  assert.match(String(/** @type {any} */ (hits.metadata[0].when).$datetime), /^2024-01-/)
  const got = await c.get({ filter: { year: 2001 } })
  assert.deepEqual(got.ids, ['r1'])
  assert.equal(await c.delete({ filter: 'year >= 2030' }), 20)
  assert.equal(await c.count(), 30)
  // ids_only and include.
  const bare = await c.search(vectors(1, DIM, 3), { k: 3, idsOnly: true })
  assert.equal(bare.ids.length, 3)
  assert.ok(bare.metadata.every((m) => Object.keys(m).length === 0))
  assert.deepEqual(c.metadataSchema().map((f) => f.key).sort(), ['lang', 'when', 'year'])
  await db.close()
})

test('search batch, index build and search options', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('ix', DIM, 'dot')
  const n = 600
  const v = vectors(n, DIM, 5)
  await c.add(Array.from({ length: n }, (_, i) => `v${i}`), v)
  assert.equal(await c.indexParams(), null)
  await c.createIndex({ kind: 'hnsw', m: 8, efConstruction: 64 })
  const p = await c.indexParams()
  assert.equal(p?.kind, 'hnsw')
  assert.equal(p?.m, 8)
  assert.equal(p?.efConstruction, 64)
  const q = v.subarray(0, 3 * DIM)
  const batch = await c.searchBatch(q, { k: 5, ef: 50 })
  assert.equal(batch.length, 3)
  const exact = await c.searchBatch([q.subarray(0, DIM), q.subarray(DIM, 2 * DIM), q.subarray(2 * DIM)], { k: 5, exact: true })
  assert.deepEqual(batch.map((b) => b.ids[0]), exact.map((b) => b.ids[0]))
  await c.dropIndex()
  assert.equal(await c.indexParams(), null)
  await rejects(c.createIndex({ kind: 'btree' }), adb.InvalidArgumentError)
  await rejects(c.createIndex({ kind: 'hnsw', m: -1 }), adb.InvalidArgumentError)
  await c.optimize()
  await db.flush()
  await db.optimize()
  await db.close()
})

test('bad input rejects with the engine error classes', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('bad', 4)
  await rejects(c.add(['a'], new Float32Array(3)), adb.DimensionMismatchError)
  await rejects(c.add(['a'], [new Float32Array(5)]), adb.DimensionMismatchError)
  await rejects(c.add(['a', 'b'], new Float32Array(4)), adb.InvalidArgumentError, /2 ids but 1 vectors/)
  await rejects(c.add(['a'], new Float32Array([1, NaN, 0, 0])), adb.InvalidVectorError)
  await rejects(c.add(['a'], new Float32Array([1, Infinity, 0, 0])), adb.InvalidVectorError)
  await rejects(c.add(['d', 'd'], new Float32Array(8).fill(1)), adb.DuplicateIdError)
  await rejects(c.search(new Float32Array(3)), adb.DimensionMismatchError)
  const q = new Float32Array([1, 0, 0, 0])
  await rejects(c.search(new Float32Array(4)), adb.InvalidVectorError, /all zeros/)
  await rejects(c.search(q, { k: 0 }), adb.InvalidArgumentError)
  await rejects(c.search(q, { k: -1 }), adb.InvalidArgumentError)
  await rejects(c.search(q, { k: 1.5 }), adb.InvalidArgumentError)
  await rejects(c.search(q, { filter: 'no_such_column = 1' }), adb.InvalidFilterError)
  await rejects(c.search(q, { filter: 'lang = = 1' }), adb.InvalidFilterError)
  await rejects(c.count(/** @type {any} */ (12)), adb.InvalidFilterError)
  await rejects(c.count({ $bogus: 1 }), adb.InvalidFilterError)
  const one = new Float32Array(4).fill(1)
  await rejects(c.add(['m'], one, null, [{ 'bad key': 1 }]), adb.InvalidMetadataError)
  await rejects(c.add(['m'], one, null, [{ nested: { a: 1 } }]), adb.InvalidMetadataError)
  await rejects(c.add(['m'], one, null, [/** @type {any} */ ('text')]), adb.InvalidMetadataError)
  await rejects(c.add(['m'], one, null, [{ big: 10n }]), adb.InvalidMetadataError)
  /** @type {any} */
  const cycle = {}
  cycle.self = cycle
  await rejects(c.add(['m'], one, null, [cycle]), adb.InvalidMetadataError, /nested more than/)
  await rejects(c.count(cycle), adb.InvalidFilterError)
  // Types napi cannot convert reject too (a Promise method never throws).
  const p = c.add(/** @type {any} */ ('not-an-array'), one)
  assert.ok(p instanceof Promise)
  await rejects(p, adb.InvalidArgumentError)
  await rejects(c.search(/** @type {any} */ ([1, 2, 3, 4])), adb.InvalidArgumentError)
  await rejects(db.getCollection(/** @type {any} */ (5)), adb.InvalidArgumentError)
  await rejects(/** @type {any} */ (adb.connect)(42), adb.InvalidArgumentError)
  // Names and dimensions.
  await rejects(db.createCollection('../escape', 4), adb.InvalidNameError)
  await rejects(db.createCollection('', 4), adb.InvalidNameError)
  await rejects(db.createCollection('zero', 0), adb.InvalidArgumentError)
  await rejects(db.createCollection('neg', -3), adb.InvalidArgumentError)
  await rejects(db.createCollection('m', 4, 'manhattan'), adb.InvalidArgumentError)
  await rejects(db.createCollection('bad', 4), adb.CollectionExistsError)
  await rejects(db.getCollection('missing'), adb.CollectionNotFoundError)
  await rejects(db.dropCollection('missing'), adb.CollectionNotFoundError)
  await rejects(adb.connect(tempDir(), { sync: 'sometimes' }), adb.InvalidArgumentError)
  await rejects(adb.connect(tempDir(), { payloadCacheBytes: -1 }), adb.InvalidArgumentError)
  // Nothing bad was written.
  assert.equal(await c.count(), 0)
  await db.close()
})

test('closed database, read-only and locked databases', async () => {
  const path = tempDir()
  const db = await adb.connect(path, { sync: 'always' })
  assert.equal(db.sync, 'always')
  const c = await db.createCollection('c', 2)
  await c.add(['a'], new Float32Array([1, 0]))
  await rejects(adb.connect(path), adb.DatabaseLockedError)
  await db[Symbol.asyncDispose]()
  assert.equal(db.closed, true)
  await rejects(c.count(), adb.ClosedError)
  await rejects(c.add(['b'], new Float32Array([0, 1])), adb.ClosedError)
  await rejects(db.listCollections(), adb.ClosedError)
  await db.close() // idempotent

  const ro = await adb.connect(path, { readOnly: true })
  assert.equal(ro.readOnly, true)
  assert.equal(ro.sync, null)
  const rc = await ro.getCollection('c')
  assert.equal(await rc.count(), 1)
  await rejects(rc.add(['b'], new Float32Array([0, 1])), adb.ReadOnlyError)
  await ro.close()
})

test('many concurrent Promises: writes and searches interleave, the event loop keeps running', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('conc', DIM)
  const writers = Array.from({ length: 20 }, (_, w) =>
    c.add(Array.from({ length: 50 }, (_, i) => `w${w}-${i}`), vectors(50, DIM, w + 1), null, Array.from({ length: 50 }, () => ({ w }))),
  )
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  await Promise.all(writers)
  const searches = Array.from({ length: 200 }, (_, i) => c.search(vectors(1, DIM, 1000 + i), { k: 5, filter: { w: i % 20 } }))
  const results = await Promise.all(searches)
  clearInterval(timer)
  assert.equal(await c.count(), 1000)
  for (const [i, r] of results.entries()) {
    assert.equal(r.ids.length, 5)
    for (const m of r.metadata) assert.equal(m.w, i % 20)
  }
  // Every record written by each writer is there.
  for (let w = 0; w < 20; w++) assert.equal(await c.count({ w }), 50)
  assert.ok(ticks > 0, 'the event loop ran while the engine worked')
  // Concurrent ops on several collections, and errors in the middle of successes.
  const others = await Promise.all(Array.from({ length: 5 }, (_, i) => db.createCollection(`o${i}`, 2)))
  const mixed = await Promise.allSettled(others.flatMap((o, i) => [o.add([`x${i}`], new Float32Array([1, 0])), o.add(['bad'], new Float32Array(3))]))
  assert.equal(mixed.filter((m) => m.status === 'fulfilled').length, 5)
  for (const m of mixed) if (m.status === 'rejected') assert.ok(m.reason instanceof adb.DimensionMismatchError)
  await db.close()
})

test('a long call does not block the event loop: the call returns at once, timers fire meanwhile', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('long', 32)
  const n = 6000
  await c.add(Array.from({ length: n }, (_, i) => `v${i}`), vectors(n, 32, 11))
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const t0 = performance.now()
  const p = c.createIndex({ kind: 'hnsw', m: 16, efConstruction: 200 })
  const returned = performance.now() - t0
  const ticksAtReturn = ticks
  await p
  const total = performance.now() - t0
  clearInterval(timer)
  // A blocking call would return only when done, with no timer run in between.
  assert.ok(returned < total / 4, `the call took ${returned.toFixed(1)} ms of ${total.toFixed(1)} ms to return its Promise`)
  assert.equal(ticksAtReturn, 0)
  assert.ok(ticks >= 3, `${ticks} timer ticks during ${total.toFixed(1)} ms`)
  assert.equal((await c.indexParams())?.kind, 'hnsw')
  await db.close()
})

test('a process killed without close() keeps every acknowledged write', async () => {
  const { execFileSync } = await import('node:child_process')
  const path = tempDir()
  const script = `
    const adb = require(${JSON.stringify(new URL('../index.js', import.meta.url).pathname)})
    ;(async () => {
      const db = await adb.connect(${JSON.stringify(path)})
      const c = await db.createCollection('k', 2)
      for (let i = 0; i < 20; i++) await c.add(['r' + i], new Float32Array([1, i]), null, [{ i }])
      const s = await db.state()
      await s.put('a', 's', 'last', 19)
      process.kill(process.pid, 'SIGKILL')
    })()`
  assert.throws(() => execFileSync(process.execPath, ['-e', script], { stdio: 'pipe' }), /SIGKILL/)
  const db = await adb.connect(path)
  const c = await db.getCollection('k')
  assert.equal(await c.count(), 20)
  assert.equal(await c.count({ i: 19 }), 1)
  assert.equal((await (await db.state()).get('a', 's', 'last'))?.value, 19)
  await db.close()
})

test('worker threads load the addon too, each with its own error classes', async () => {
  const { Worker } = await import('node:worker_threads')
  const path = tempDir()
  const index = new URL('../index.js', import.meta.url).pathname
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const adb = require(workerData.index)
    ;(async () => {
      const db = await adb.connect(workerData.path)
      const c = await db.createCollection('w', 2)
      await c.add(['a'], new Float32Array([1, 0]))
      let code = null
      try { await c.add(['a'], new Float32Array([1, 0])) } catch (e) { code = e instanceof adb.DuplicateIdError && e.code }
      const hits = await c.search(new Float32Array([1, 0]), { k: 1 })
      await db.close()
      parentPort.postMessage({ id: hits.ids[0], code })
    })().catch((e) => parentPort.postMessage({ error: String(e) }))`
  const result = await new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { index, path } })
    w.once('message', resolve)
    w.once('error', reject)
  })
  assert.deepEqual(result, { id: 'a', code: 'duplicate_id' })
  // The main thread's classes still work after the worker's env went away.
  const db = await adb.connect(path)
  await rejects(db.createCollection('w', 2), adb.CollectionExistsError)
  await db.close()
})

test('staged writes: a read-only handle stages, the writer commits them at once', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  const c = await db.createCollection('docs', DIM, 'l2')
  await c.add(['seed'], vectors(1, DIM, 9), null, [{ lang: 'en' }])
  await db.flush()
  const ro = await adb.connect(path, { readOnly: true })
  const rc = await ro.getCollection('docs')
  const v = vectors(20, DIM, 3)
  const ids = Array.from({ length: 20 }, (_, i) => `s${i}`)
  const a = await rc.stage(ids.slice(0, 10), v.subarray(0, 10 * DIM), null, ids.slice(0, 10).map(() => ({ lang: 'de' })))
  const b = await rc.stage(ids.slice(10), v.subarray(10 * DIM))
  assert.equal(typeof a, 'string')
  assert.equal(await c.count(), 1) // nothing visible before the commit
  await rejects(rc.commitStaged([a, b]), adb.ReadOnlyError)
  assert.equal(await c.commitStaged([a, b]), 20)
  assert.equal(await c.count(), 21)
  assert.equal(await c.count("lang = 'de'"), 10)
  const hits = await c.search(v.subarray(15 * DIM, 16 * DIM), { k: 1 })
  assert.equal(hits.ids[0], 's15')
  await rejects(c.commitStaged([a]), adb.DuplicateIdError)
  await rejects(c.commitStaged(['{}']), adb.InvalidArgumentError, /not a staged write/)
  await rejects(rc.stage(['n'], vectors(1, DIM, 4), null, [{ brand_new: 1 }]), adb.InvalidMetadataError)
  assert.equal(await c.count(), 21)
  await ro.close()
  await db.close()
})
