// The C suite's RAG scenarios (tests/c/test_rag.c): ingest and skip unchanged, hybrid search,
// replace and delete, context, bad input; the embedder is a JS function (sync or async).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb, rejects, tempDir } from './helpers.mjs'

const DIM = 16
/** A toy embedding: letter counts, so texts sharing words are near. */
function embedOne(/** @type {string} */ t) {
  const v = new Float32Array(DIM)
  for (const ch of t.toLowerCase()) {
    const c = ch.charCodeAt(0)
    if (c >= 97 && c <= 122) v[c % DIM] += 1
  }
  v[0] += 0.01
  return v
}
const embed = (/** @type {string[]} */ texts) => texts.map(embedOne)

const DOCS = [
  { id: 'tea', text: '# Tea\n\nGreen tea is steamed. Black tea is oxidised.', format: 'markdown', source: 'tea.md', metadata: { lang: 'en' } },
  { id: 'coffee', text: 'Coffee beans are roasted and ground before brewing.', metadata: { lang: 'en' } },
  { id: 'wasser', text: 'Wasser kocht bei hundert Grad.', metadata: { lang: 'de' } },
]

test('ingest, skip unchanged, hybrid search, context, replace and delete', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  const rag = await db.rag('kb', DIM)
  let calls = 0
  const reports = await rag.ingest(DOCS, (texts) => {
    calls++
    return embed(texts)
  })
  assert.deepEqual(reports.map((r) => [r.docId, r.status]), [['tea', 'added'], ['coffee', 'added'], ['wasser', 'added']])
  assert.equal(calls, 1)
  // Unchanged documents are skipped, without calling the embedder.
  const again = await rag.ingest(DOCS, async (texts) => {
    calls++
    return embed(texts)
  })
  assert.deepEqual(again.map((r) => r.status), ['unchanged', 'unchanged', 'unchanged'])
  assert.equal(calls, 1)
  const hits = await rag.search({ text: 'green tea', vector: embedOne('green tea'), k: 2 })
  assert.equal(hits[0].docId, 'tea')
  assert.equal(hits[0].source, 'tea.md')
  assert.ok(hits[0].textRank !== undefined && hits[0].textRank !== null)
  const textOnly = await rag.search({ text: 'roasted beans', mode: 'text', k: 1 })
  assert.equal(textOnly[0].docId, 'coffee')
  const filtered = await rag.search({ vector: embedOne('kocht'), mode: 'vector', filter: { lang: 'de' }, k: 3 })
  assert.deepEqual(filtered.map((h) => h.docId), ['wasser'])
  const ctx = await rag.context({ text: 'tea', vector: embedOne('tea'), maxTokens: 200 })
  assert.match(ctx.text, /tea/)
  assert.ok(ctx.tokens > 0 && ctx.tokens <= 200)
  assert.equal(ctx.citations[0].number, 1)
  // A changed document is replaced; the embedder may return a flat Float32Array.
  const changed = await rag.ingest([{ id: 'coffee', text: 'Espresso is coffee brewed under pressure.' }], async (texts) => {
    const flat = new Float32Array(texts.length * DIM)
    texts.forEach((t, i) => flat.set(embedOne(t), i * DIM))
    return flat
  })
  assert.equal(changed[0].status, 'replaced')
  assert.ok((await rag.count()) >= 3)
  assert.ok((await rag.delete(['coffee'])) >= 1)
  assert.equal(await rag.count({ doc_id: 'coffee' }), 0)
  await db.close()

  const db2 = await adb.connect(path)
  assert.deepEqual(await db2.listRags(), ['kb'])
  const kb = await db2.openRag('kb')
  assert.equal(kb.dim, DIM)
  assert.equal((await kb.search({ text: 'wasser', mode: 'text' }))[0].docId, 'wasser')
  await db2.dropRag('kb')
  await rejects(db2.openRag('kb'), adb.CollectionNotFoundError)
  await db2.close()
})

test('the embedder runs on the JS thread while ingest runs off it, many at once', async () => {
  const db = await adb.connect(tempDir())
  const rags = await Promise.all([0, 1, 2].map((i) => db.rag(`r${i}`, DIM)))
  const out = await Promise.all(
    rags.map((r, i) =>
      r.ingest(
        Array.from({ length: 10 }, (_, j) => ({ id: `d${j}`, text: `document ${j} of store ${i} about ${j % 2 ? 'cats' : 'dogs'}` })),
        async (texts) => {
          await new Promise((res) => setTimeout(res, 5))
          return embed(texts)
        },
        { size: 8, overlap: 0, unit: 'tokens' },
      ),
    ),
  )
  for (const reports of out) assert.equal(reports.filter((r) => r.status === 'added').length, 10)
  await db.close()
})

test('RAG bad input: a failing or wrong embedder, bad options', async () => {
  const db = await adb.connect(tempDir())
  const rag = await db.rag('bad', DIM)
  const doc = [{ id: 'd', text: 'some text to embed' }]
  await rejects(rag.ingest(doc, () => { throw new Error('model offline') }), adb.InvalidArgumentError, /model offline/)
  await rejects(rag.ingest(doc, async () => { throw new Error('async failure') }), adb.InvalidArgumentError, /async failure/)
  await rejects(rag.ingest(doc, (t) => t.map(() => new Float32Array(DIM - 1))), adb.DimensionMismatchError)
  await rejects(rag.ingest(doc, () => []), adb.DimensionMismatchError)
  await rejects(rag.ingest(doc, /** @type {any} */ (() => 'nonsense')), adb.InvalidArgumentError)
  await rejects(rag.ingest(doc, /** @type {any} */ ('not a function')), adb.InvalidArgumentError)
  await rejects(rag.ingest([{ id: '', text: 'x' }], embed), adb.InvalidArgumentError)
  await rejects(rag.ingest([{ id: 'a', text: 'x' }, { id: 'a', text: 'y' }], embed), adb.DuplicateIdError)
  await rejects(rag.ingest([{ id: 'a', text: 'x', format: 'pdf' }], embed), adb.InvalidArgumentError)
  await rejects(rag.ingest(doc, embed, { size: 0 }), adb.InvalidArgumentError)
  await rejects(rag.ingest(doc, embed, { unit: 'pages' }), adb.InvalidArgumentError)
  await rejects(rag.ingest([{ id: 'm', text: 'x', metadata: { 'bad key': 1 } }], embed), adb.InvalidMetadataError)
  await rejects(rag.search({ text: 'x', mode: 'psychic' }), adb.InvalidArgumentError)
  await rejects(rag.search({ text: 'x', k: 0, mode: 'text' }), adb.InvalidArgumentError)
  await rejects(rag.search({ vector: new Float32Array(3), mode: 'vector' }), adb.DimensionMismatchError)
  await rejects(rag.context({ text: 'x', mode: 'text', maxTokens: 0 }), adb.InvalidArgumentError)
  await rejects(db.rag('neg', -1), adb.InvalidArgumentError)
  // Nothing was stored by the failed ingests.
  assert.equal(await rag.count(), 0)
  await db.close()
})
