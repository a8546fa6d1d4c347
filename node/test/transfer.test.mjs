// Export and import from Node (the Python suite's tests/test_transfer.py): a collection round
// trips exactly through JSONL and Parquet with progress reported, the agent state round trips
// with its versions, bad files and names give typed errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { adb, rejects, tempDir, vectors } from './helpers.mjs'

const DIM = 8

/**
 * Every record of `c`, sorted by id, comparable with deepEqual (vectors as their bytes).
 * @param {import('../index.js').Collection} c
 */
async function everything(c) {
  const g = await c.get()
  return g.ids
    .map((/** @type {string} */ id, /** @type {number} */ i) => [id, Buffer.from(g.vectors.buffer, g.vectors.byteOffset + i * g.dim * 4, g.dim * 4).toString('hex'), g.documents[i], JSON.stringify(g.metadata[i]), g.createdAt[i]])
    .sort((/** @type {any[]} */ a, /** @type {any[]} */ b) => String(a[0]).localeCompare(String(b[0])))
}

for (const ext of ['jsonl', 'parquet']) {
  test(`a collection round trips exactly (${ext})`, async () => {
    const n = 300
    const file = join(dirname(tempDir()), `docs.${ext}`)
    const a = await adb.connect(tempDir())
    const c = await a.createCollection('docs', DIM, 'dot')
    const v = vectors(n, DIM)
    v[0] = 1 / 3
    v[1] = -0
    v[2] = 1e-30
    const ids = Array.from({ length: n }, (_, i) => `r${i}`)
    await c.add(ids, v, ids.map((_, i) => (i % 3 ? null : `line ${i}\nwith "quotes" and ünïcode`)), ids.map((_, i) => ({ n: i, x: i / 7, ok: i % 2 === 0, tags: ['a', 'b'] })))
    const before = await everything(c)
    /** @type {Array<[number, number]>} */
    const seen = []
    const r = await a.exportStore('docs', file, null, (done, total) => seen.push([done, total]))
    assert.deepEqual(r, { kind: 'collection', name: 'docs', records: n })
    assert.deepEqual(seen.at(-1), [n, n])
    assert.ok(seen.every(([d, t], i) => d <= t && (i === 0 || d >= seen[i - 1][0])))
    assert.equal(await a.storeKind('docs'), 'collection')
    await a.close()
    const head = readFileSync(file)
    if (ext === 'jsonl') assert.equal(JSON.parse(head.toString('utf8').split('\n')[0]).format, 'agentdb-export')
    else assert.equal(head.subarray(0, 4).toString('latin1'), 'PAR1')

    const b = await adb.connect(tempDir())
    assert.deepEqual(await b.importStore(file), { kind: 'collection', name: 'docs', records: n })
    const back = await b.getCollection('docs')
    assert.equal(back.metric, 'dot')
    assert.deepEqual(await everything(back), before)
    await rejects(b.importStore(file), adb.CollectionExistsError)
    assert.equal((await b.importStore(file, { name: 'again' })).name, 'again')
    assert.equal(await (await b.getCollection('again')).count(), n)
    await b.close()
  })
}

test('the agent state round trips with its versions', async () => {
  const file = join(dirname(tempDir()), 'state.jsonl')
  const a = await adb.connect(tempDir())
  const s = await a.state()
  await s.put('ann', 's1', 'plan', { steps: ['a'] })
  await s.put('ann', 's1', 'plan', { steps: ['a', 'b'] })
  await s.put('ann', 's1', 'gone', 1)
  await s.delete('ann', 's1', 'gone')
  assert.equal(await a.storeKind('state'), 'state')
  const r = await a.exportStore('state', file, { kind: 'state' })
  assert.deepEqual(r, { kind: 'state', name: 'state', records: 4 })
  const parquet = file.replace(/jsonl$/, 'parquet')
  assert.deepEqual(await a.exportStore('state', parquet, { kind: 'state' }), { kind: 'state', name: 'state', records: 4 })
  const want = await s.history('ann', 's1', 'plan')
  await a.close()

  const b = await adb.connect(tempDir())
  let calls = 0
  assert.equal((await b.importStore(file, null, () => calls++)).kind, 'state')
  assert.ok(calls > 0)
  const s2 = await b.state()
  assert.deepEqual(await s2.history('ann', 's1', 'plan'), want)
  assert.equal((await s2.get('ann', 's1', 'gone'))?.deleted ?? true, true)
  await rejects(b.importStore(file), adb.CollectionExistsError)
  await b.close()
  // The Parquet encoding of the same state imports to the same history.
  const c = await adb.connect(tempDir())
  assert.equal((await c.importStore(parquet)).kind, 'state')
  assert.deepEqual(await (await c.state()).history('ann', 's1', 'plan'), want)
  await c.close()
})

test('bad files, names and kinds give typed errors', async () => {
  const dir = dirname(tempDir())
  const db = await adb.connect(tempDir())
  await (await db.createCollection('docs', 3)).add(['a'], new Float32Array([1, 2, 3]))
  const good = join(dir, 'good.jsonl')
  await db.exportStore('docs', good)
  const lines = readFileSync(good, 'utf8').split('\n')
  // A throwing progress function does not stop the transfer (as in Python).
  const thrown = join(dir, 'thrown.jsonl')
  assert.equal((await db.exportStore('docs', thrown, null, () => { throw new Error('progress failed') })).records, 1)
  assert.deepEqual(readFileSync(thrown, 'utf8').split('\n').slice(1), lines.slice(1))

  const notJson = join(dir, 'bad.jsonl')
  writeFileSync(notJson, [lines[0], '{not json', ''].join('\n'))
  await rejects(db.importStore(notJson, { name: 'x1' }), adb.InvalidArgumentError, /not JSON/)
  const notExport = join(dir, 'other.jsonl')
  writeFileSync(notExport, '{"hello": 1}\n')
  await rejects(db.importStore(notExport, { name: 'x2' }), adb.InvalidArgumentError, /not an AgentDB export/)
  await rejects(db.importStore(join(dir, 'missing.jsonl')), adb.StorageError)
  await rejects(db.importStore(good, { name: 'bad name!' }), adb.InvalidNameError)
  assert.deepEqual((await db.listCollections()).sort(), ['docs'])

  await rejects(db.exportStore('nope', join(dir, 'nope.jsonl')), adb.CollectionNotFoundError)
  await rejects(db.exportStore('docs', join(dir, 'k.jsonl'), { kind: 'table' }), adb.InvalidArgumentError)
  await rejects(db.exportStore(/** @type {any} */ (1), join(dir, 'k.jsonl')), adb.InvalidArgumentError)
  await rejects(db.exportStore('docs', join(dir, 'k.jsonl'), null, /** @type {any} */ ('not a function')), adb.InvalidArgumentError)
  await rejects(db.importLanceTable(join(dir, 'no-such-lancedb'), 'items'), adb.CollectionNotFoundError)
  assert.deepEqual(adb.storeKinds(), ['collection', 'memory', 'rag', 'state'])
  await db.close()
})

test('another database\'s collection imports as a LanceDB table', async () => {
  // Every AgentDB collection is a LanceDB table; its own time columns are left out by naming
  // the metadata columns.
  const src = tempDir()
  const a = await adb.connect(src)
  await (await a.createCollection('docs', 2)).add(['x', 'y'], new Float32Array([1, 0, 0, 1]), ['d1', 'd2'], [{ k: 1 }, { k: 2 }])
  await a.close()
  const b = await adb.connect(tempDir())
  await rejects(b.importLanceTable(src, 'docs', { textColumn: 'document' }), adb.InvalidMetadataError, /reserved/)
  await rejects(b.importLanceTable(src, 'docs', { name: 'x', vectorColumn: 'emb' }), adb.InvalidArgumentError, /no column 'emb'/)
  /** @type {number[]} */
  const done = []
  const r = await b.importLanceTable(src, 'docs', { textColumn: 'document', metadataColumns: ['k'], metric: 'l2' }, (d) => done.push(d))
  assert.deepEqual(r, { kind: 'collection', name: 'docs', records: 2 })
  assert.equal(done.at(-1), 2)
  const c = await b.getCollection('docs')
  assert.equal(c.metric, 'l2')
  const got = await c.get({ ids: ['x', 'y'] })
  assert.deepEqual(got.documents, ['d1', 'd2'])
  assert.deepEqual(got.metadata, [{ k: 1 }, { k: 2 }])
  assert.deepEqual(Array.from(got.vectors), [1, 0, 0, 1])
  await rejects(b.importLanceTable(src, 'docs', { metric: 'manhattan' }), adb.InvalidArgumentError, /manhattan/)
  assert.deepEqual(await b.listCollections(), ['docs'])
  await b.close()
})

test('a Chroma directory imports without chromadb', async () => {
  // tests/fixtures/chroma (made by tests/fixtures/make_chroma_fixture.py): 149 records, r0..r99's
  // vectors in the HNSW segment files, r100..r149's only in Chroma's log, r3 deleted, r4 updated.
  const fixture = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'tests', 'fixtures', 'chroma')
  const db = await adb.connect(tempDir())
  /** @type {number[]} */
  const done = []
  assert.deepEqual(await db.importChroma(fixture, 'fixture', null, (d) => done.push(d)), { kind: 'collection', name: 'fixture', records: 149 })
  assert.equal(done.at(-1), 149)
  const c = await db.getCollection('fixture')
  assert.equal(c.metric, 'l2')
  const got = await c.get({ ids: ['r4', 'r50', 'r120'] })
  assert.deepEqual(Array.from(got.vectors), [4, 4, 4, 50, 25, -50, 120, 60, -120])
  assert.deepEqual(got.documents, ['doc 4', 'doc 50', 'doc 120'])
  assert.deepEqual(got.metadata[0], { even: true, i: 4, tag: 'u' })
  assert.equal((await c.get({ ids: ['r3'] })).ids.length, 0)
  await rejects(db.importChroma(fixture, 'fixture'), adb.CollectionExistsError)
  await rejects(db.importChroma(fixture, 'nope', { name: 'x' }), adb.CollectionNotFoundError)
  await rejects(db.importChroma(tempDir(), 'fixture', { name: 'y' }), adb.InvalidArgumentError, /not a Chroma/)
  assert.deepEqual(await db.listCollections(), ['fixture'])
  await db.close()
})
