// Operations from Node (the Python suite's tests/test_ops.py, test_backup.py, test_verify.py and
// the C suite's tests/c/test_admin.c): stats, health, metrics, backup points and restore, verify
// of a damaged file, backup damage, text tokenizers, bad input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { adb, rejects, tempDir, vectors } from './helpers.mjs'

const DIM = 4

/**
 * The largest file under `dir` whose path contains `part`.
 * @param {string} dir
 * @param {string} part
 */
function largest(dir, part) {
  let best = null
  let size = -1
  const walk = (/** @type {string} */ d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (p.includes(part) && statSync(p).size > size) {
        best = p
        size = statSync(p).size
      }
    }
  }
  walk(dir)
  if (!best) throw new Error(`no file under ${dir} with ${part}`)
  return /** @type {string} */ (best)
}

/**
 * Flips every bit of the byte in the middle of `file`.
 * @param {string} file
 */
function flipMiddle(file) {
  const raw = readFileSync(file)
  raw[raw.length >> 1] ^= 0xff
  writeFileSync(file, raw)
}

/** @param {any} c @param {number} from @param {number} n */
async function addRange(c, from, n) {
  const ids = Array.from({ length: n }, (_, i) => `r${from + i}`)
  await c.add(ids, vectors(n, DIM, from + 1))
}

test('stats, health and metrics', async () => {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('docs', DIM)
  await addRange(c, 0, 10)
  await db.flush()
  const s = await db.stats()
  assert.equal(s.rows, 10)
  assert.equal(s.read_only, false)
  const store = s.stores.find((/** @type {any} */ x) => x.name === 'docs')
  assert.equal(store.kind, 'collection')
  assert.equal(store.table.rows, 10)
  const cs = await c.stats()
  assert.deepEqual([cs.name, cs.dim, cs.metric, cs.rows], ['docs', DIM, 'cosine', 10])
  const m = await db.memory('notes', { dim: 3 })
  await m.remember([{ agentId: 'a', text: 'hello' }], [new Float32Array([1, 0, 0])])
  const ms = await m.stats()
  assert.equal(ms.name, 'notes')
  assert.equal(typeof ms.memories, 'number')
  const rag = await db.rag('kb', 3)
  const rs = await rag.stats()
  assert.equal(rs.name, 'kb')
  assert.equal(rs.chunks.rows, 0)

  const st = await db.state()
  await st.put('a', 's', 'k', 1)
  await db.flush()
  const sts = await st.stats()
  assert.ok(sts.length >= 1 && sts.every((/** @type {any} */ x) => x.kind === 'state'))
  assert.deepEqual(sts.map((/** @type {any} */ x) => x.name).sort(), (await db.stats()).stores.filter((/** @type {any} */ x) => x.kind === 'state').map((/** @type {any} */ x) => x.name).sort())
  const h = await db.health()
  assert.equal(h.status, 'ok')
  assert.equal(h.writable, true)
  assert.equal(db.metricsEnabled, true)
  const text = await db.metricsText()
  assert.match(text, /^agentdb_up 1$/m)
  assert.match(text, /^agentdb_rows\{kind="collection"\} 10$/m)
  db.setMetricsEnabled(false)
  assert.equal(db.metricsEnabled, false)
  db.setMetricsEnabled(true)
  assert.throws(() => db.setMetricsEnabled(/** @type {any} */ ('yes')), adb.InvalidArgumentError)
  await db.close()
  assert.equal((await db.health()).status, 'closed')
  await rejects(db.stats(), adb.ClosedError)
})

test('backup points, incremental, restore at a point, prune', async (t) => {
  const path = tempDir()
  const dest = tempDir()
  const db = await adb.connect(path)
  const c = await db.createCollection('docs', DIM)
  await addRange(c, 0, 20)
  const p1 = await db.backup(dest)
  assert.equal(p1.seq, 1)
  assert.equal(p1.incremental, false)
  assert.ok(p1.files > 0 && p1.copiedFiles === p1.files && p1.totalBytes > 0)
  assert.ok(Object.keys(p1.tables).length >= 1)
  await addRange(c, 20, 20)
  const p2 = await db.backup(dest, { incremental: true })
  assert.equal(p2.seq, 2)
  assert.equal(p2.incremental, true)
  assert.ok(p2.copiedFiles < p2.files, `${p2.copiedFiles} of ${p2.files} copied`)
  await db.close()

  const points = await adb.listBackups(dest)
  assert.deepEqual(points.map((p) => p.seq), [1, 2])
  assert.deepEqual(await adb.verifyBackup(dest), [])
  assert.deepEqual(await adb.verifyBackup(dest, 1), [])

  for (const [at, rows] of [[1, 20], [undefined, 40]]) {
    const out = tempDir()
    const r = await adb.restore(dest, out, at === undefined ? undefined : { at })
    assert.equal(r.seq, at ?? 2)
    const back = await adb.connect(out)
    assert.equal(await (await back.getCollection('docs')).count(), rows)
    assert.deepEqual((await back.verify()).problems, [])
    await back.close()
  }

  const pruned = await adb.pruneBackups(dest, 1)
  assert.deepEqual(pruned.removedPoints, [1])
  assert.deepEqual((await adb.listBackups(dest)).map((p) => p.seq), [2])
  await t.test('bad input', async () => {
    await rejects(adb.restore(dest, tempDir(), { at: 7 }), adb.InvalidArgumentError, /no point 7/)
    await rejects(adb.restore(dest, tempDir(), { at: 0 }), adb.InvalidArgumentError)
    await rejects(adb.pruneBackups(dest, 0), adb.InvalidArgumentError)
    await rejects(adb.pruneBackups(dest, -1), adb.InvalidArgumentError)
    await rejects(adb.restore(/** @type {any} */ (3), tempDir()), adb.InvalidArgumentError)
    const full = tempDir()
    mkdirSync(full, { recursive: true })
    writeFileSync(join(full, 'x'), 'x')
    await rejects(adb.listBackups(full), adb.InvalidArgumentError, /not an AgentDB backup/)
    const again = await adb.connect(path)
    await rejects(again.backup(full), adb.InvalidArgumentError, /not empty/)
    await again.close()
    await rejects(again.backup(tempDir()), adb.ClosedError)
  })
})

test('a damaged backup is found and refused', async () => {
  const dest = tempDir()
  const db = await adb.connect(tempDir())
  await addRange(await db.createCollection('docs', DIM), 0, 5)
  await db.backup(dest)
  await db.close()
  const data = largest(join(dest, 'files'), '/data/')
  flipMiddle(data)
  const bad = await adb.verifyBackup(dest)
  assert.equal(bad.length, 1)
  assert.ok(data.endsWith(bad[0].file.split('/').pop() ?? '?'))
  assert.match(bad[0].detail, /SHA-256/)
  const out = tempDir()
  await rejects(adb.restore(dest, out), adb.StorageError, /damaged/)
  assert.equal(existsSync(out), false)
})

test('verify finds a damaged data file', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  await addRange(await db.createCollection('docs', DIM), 0, 20)
  await db.flush()
  const ok = await db.verify()
  assert.deepEqual(ok.problems, [])
  assert.ok(ok.tables >= 1 && ok.files >= 2 && ok.rows >= 20)
  await db.close()

  flipMiddle(largest(path, 'docs.lance/data/'))
  const ro = await adb.connect(path, { readOnly: true })
  const r = await ro.verify({ repair: false })
  assert.ok(r.problems.length >= 1)
  const p = r.problems[0]
  assert.equal(p.kind, 'damaged_file')
  assert.equal(p.store, 'docs')
  assert.match(p.file, /docs\.lance\/data\//)
  assert.equal(p.repairable, false)
  assert.equal(p.repaired, false)
  assert.ok(p.detail.length > 0)
  assert.ok('damaged_file' in adb.problemKinds())
  await ro.close()
})

test('text tokenizers of memory and RAG stores', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  const m = await db.memory('notes', { dim: 3 })
  assert.equal(m.textTokenizer, 'simple')
  await m.setTextTokenizer('ngram')
  assert.equal(m.textTokenizer, 'ngram:2-3')
  await m.setTextTokenizer('ngram:2')
  assert.equal(m.textTokenizer, 'ngram:2-2')
  await rejects(m.setTextTokenizer('jieba'), adb.InvalidArgumentError)
  await rejects(m.setTextTokenizer(/** @type {any} */ (5)), adb.InvalidArgumentError)
  const rag = await db.rag('kb', 3)
  assert.equal(rag.textTokenizer, 'simple')
  await rag.setTextTokenizer('icu')
  assert.equal(rag.textTokenizer, 'icu')
  await rejects(rag.setTextTokenizer('ngram:9-1'), adb.InvalidArgumentError)
  await db.close()

  const again = await adb.connect(path)
  assert.equal((await again.memory('notes')).textTokenizer, 'ngram:2-2')
  assert.equal((await again.openRag('kb')).textTokenizer, 'icu')
  await again.close()
})

test('verify with repair rebuilds a damaged index; read-only refuses repair', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  const c = await db.createCollection('docs', DIM, 'l2')
  await addRange(c, 0, 200)
  await c.createIndex()
  await c.search(new Float32Array(DIM), { k: 1 })
  await db.close()
  const graph = join(path, '_agentdb', 'docs.hnsw')
  flipMiddle(graph)

  const ro = await adb.connect(path, { readOnly: true })
  const found = await ro.verify()
  assert.deepEqual(found.problems.map((p) => [p.kind, p.repairable, p.repaired]), [['damaged_index', true, false]])
  await rejects(ro.verify({ repair: true }), adb.ReadOnlyError)
  await ro.close()

  const rw = await adb.connect(path)
  const fixed = await rw.verify({ repair: true })
  assert.deepEqual(fixed.problems.map((p) => [p.kind, p.repaired]), [['damaged_index', true]])
  const again = await rw.getCollection('docs')
  assert.equal(await again.count(), 200)
  assert.equal((await again.search(vectors(1, DIM, 1), { k: 1 })).ids[0], 'r0')
  assert.deepEqual((await rw.verify()).problems, [])
  await rw.close()
})
