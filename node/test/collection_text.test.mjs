// The C suite's text and hybrid search scenarios (tests/c/test_collection_text.c): BM25 hits,
// RRF and linear fusion with each side's ranks, filters on both sides, bad input, the text tokenizer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb, rejects, tempDir } from './helpers.mjs'

// Four records in 2-D, l2; distances to q = (0,0): a 0, d 0.25, b 1, c 9. "apple" is in a's and
// b's documents (b's is shorter, so its BM25 is higher); d has no document.
async function fixture() {
  const db = await adb.connect(tempDir())
  const c = await db.createCollection('fruit', 2, 'l2')
  await c.add(
    ['a', 'b', 'c', 'd'],
    new Float32Array([0, 0, 1, 0, 3, 0, 0.5, 0]),
    ['red apple pie', 'green apple', 'red wine', null],
    [{ lang: 'en' }, { lang: 'fr' }, { lang: 'en' }, { lang: 'fr' }],
  )
  return { db, c }
}

const q = new Float32Array([0, 0])
/** @param {number | null | undefined} a @param {number} b */
const near = (a, b) => assert.ok(a != null && Math.abs(a - b) < 1e-6, `${a} is not ${b}`)

test('text search ranks by BM25, filters before ranking', async () => {
  const { db, c } = await fixture()
  const hits = await c.textSearch('apple', { k: 10 })
  assert.deepEqual(hits.ids, ['b', 'a'])
  assert.ok(hits.scores instanceof Float32Array)
  assert.ok(hits.scores[0] > hits.scores[1] && hits.scores[1] > 0)
  assert.deepEqual(hits.documents, ['green apple', 'red apple pie'])
  assert.deepEqual(hits.metadata[0], { lang: 'fr' })
  assert.deepEqual((await c.textSearch('apple', { filter: "lang = 'en'" })).ids, ['a'])
  assert.deepEqual((await c.textSearch('banana')).ids, [])
  await rejects(c.textSearch('  '), adb.InvalidArgumentError)
  await rejects(c.textSearch('apple', { k: 0 }), adb.InvalidArgumentError)
  await rejects(c.textSearch('apple', { filter: 'lang = ' }), adb.InvalidFilterError)
  await db.close()
})

test('hybrid search fuses both rankings; the filter applies to both sides', async () => {
  const { db, c } = await fixture()
  const h = await c.hybridSearch(q, 'apple', { k: 10 })
  assert.deepEqual(h.ids, ['a', 'b', 'd', 'c'])
  assert.deepEqual(h.vectorRanks, [1, 3, 2, 4])
  assert.deepEqual(h.textRanks, [2, 1, null, null])
  near(h.scores[0], 1 / 61 + 1 / 62)
  near(h.scores[1], 1 / 63 + 1 / 61)
  near(h.scores[2], 1 / 62)
  assert.equal(h.documents[2], null)
  near(h.distances[2], 0.25)
  assert.equal(h.bm25Scores[2], null)
  const weighted = await c.hybridSearch(q, 'apple', { k: 1, textWeight: 4, rrfK: 1 })
  assert.deepEqual(weighted.ids, ['b'])
  near(weighted.scores[0], 1 / 4 + 4 / 2)
  const linear = await c.hybridSearch(q, 'apple', { k: 4, method: 'linear' })
  assert.deepEqual(linear.ids, ['b', 'a', 'd', 'c'])
  near(linear.scores[0], 8 / 9 + 1)
  near(linear.scores[1], 1)
  const fr = await c.hybridSearch(q, 'apple', { filter: { lang: 'fr' } })
  assert.deepEqual(fr.ids, ['b', 'd'])
  assert.deepEqual(fr.vectorRanks, [2, 1])
  assert.deepEqual(fr.textRanks, [1, null])
  await rejects(c.hybridSearch(q, ''), adb.InvalidArgumentError)
  await rejects(c.hybridSearch(q, 'apple', { method: 'max' }), adb.InvalidArgumentError)
  await rejects(c.hybridSearch(q, 'apple', { vectorWeight: -1 }), adb.InvalidArgumentError)
  await rejects(c.hybridSearch(new Float32Array(3), 'apple'), adb.DimensionMismatchError)
  await db.close()
  await rejects(c.hybridSearch(q, 'apple'), adb.ClosedError)
})

test('a Chinese collection with the ICU tokenizer, kept across reopening; bad names', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  const c = await db.createCollection('zh', 2)
  await c.add(
    ['capital', 'panda', 'tea'],
    new Float32Array([1, 0, 0, 1, 1, 1]),
    ['北京是中华人民共和国的首都，也是全国的政治和文化中心。', '熊猫主要生活在四川的山区，以竹子为食。', '茶起源于中国，绿茶和红茶是最常见的种类。'],
  )
  /** @param {import('../index.js').Collection} col @param {string} query */
  const top = async (col, query) => (await col.textSearch(query, { k: 1 })).ids
  assert.equal(c.textTokenizer, 'simple')
  assert.deepEqual(await top(c, '绿茶'), []) // the English tokenizer makes a clause one word
  await rejects(c.setTextTokenizer('jieba'), adb.InvalidArgumentError)
  await rejects(c.setTextTokenizer('ngram:9-2'), adb.InvalidArgumentError)
  await rejects(c.setTextTokenizer(/** @type {any} */ (5)), adb.InvalidArgumentError)
  await c.setTextTokenizer('icu')
  assert.equal(c.textTokenizer, 'icu')
  assert.deepEqual(await top(c, '绿茶'), ['tea'])
  assert.deepEqual(await top(c, '熊猫吃什么'), ['panda'])
  assert.deepEqual(await top(c, '首都'), ['capital'])
  await db.close()
  const ro = await adb.connect(path, { readOnly: true })
  const rc = await ro.getCollection('zh')
  assert.equal(rc.textTokenizer, 'icu')
  assert.deepEqual(await top(rc, '熊猫吃什么'), ['panda'])
  await rejects(rc.setTextTokenizer('ngram'), adb.ReadOnlyError)
  await ro.close()
  const again = await adb.connect(path)
  const c2 = await again.getCollection('zh')
  await c2.setTextTokenizer('ngram:2')
  assert.equal(c2.textTokenizer, 'ngram:2-2')
  assert.deepEqual(await top(c2, '绿茶'), ['tea'])
  await again.close()
})
