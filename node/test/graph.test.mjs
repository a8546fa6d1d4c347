// The C and Python suites' knowledge-graph scenarios: a single-valued predicate closing the fact
// it contradicts, invalidate and correct with the history kept, as-of and known-at reads before,
// during and after each change, neighbours and shortest paths, entity search, facts for a text,
// recall with a graph, reopen, and bad input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb, rejects, tempDir } from './helpers.mjs'

/**
 * The objects of `entity`'s outgoing facts under `query`.
 * @param {import('../index.js').Graph} g
 * @param {string} entity
 * @param {import('../index.js').FactQueryArg} [query]
 */
async function objects(g, entity, query) {
  return (await g.facts(entity, { ...query, direction: 'out' })).map((f) => f.object)
}

test('bi-temporal facts: a single-valued predicate, invalidate, correct, known-at, reopen', async () => {
  const path = tempDir()
  const db = await adb.connect(path)
  const g = await db.graph('agent-1')
  assert.equal(g.name, 'agent-1')
  assert.equal(await g.dim(), null)
  const ids = await g.addEntities([
    { id: 'alice', name: 'Alice', type: 'person', aliases: ['Ali'], metadata: { team: 'core' } },
    { id: 'paris', name: 'Paris' },
    { id: 'rome', name: 'Rome' },
  ])
  assert.deepEqual(ids, ['alice', 'paris', 'rome'])
  const alice = await g.entity('alice')
  assert.ok(alice)
  assert.equal(alice.type, 'person')
  assert.deepEqual(alice.aliases, ['Ali'])
  assert.deepEqual(alice.metadata, { team: 'core' })
  assert.equal(await g.entity('nobody'), null)
  await g.declarePredicate('lives_in', true)
  assert.deepEqual(await g.predicates(), [{ predicate: 'lives_in', singleValued: true }])
  const [f1] = await g.addFacts([{ subject: 'alice', predicate: 'lives_in', entity: 'paris', validFrom: 100, sources: ['mem-1'] }])
  const t1 = (await g.fact(f1))?.recordedAt ?? 0
  const [f2] = await g.addFacts([{ subject: 'alice', predicate: 'lives_in', entity: 'rome', validFrom: 200, sources: ['mem-2'], confidence: 0.9 }])
  // Before, during and after each validity.
  assert.deepEqual(await objects(g, 'alice', { asOf: 50 }), [])
  assert.deepEqual(await objects(g, 'alice', { asOf: 150 }), ['paris'])
  assert.deepEqual(await objects(g, 'alice', { asOf: 250 }), ['rome'])
  assert.deepEqual(await objects(g, 'alice', { during: { from: 150, to: 250 } }), ['paris', 'rome'])
  // The Paris fact was closed at 200, not deleted; known at its first recording it was open.
  const paris = await g.fact(f1)
  assert.ok(paris)
  assert.equal(paris.validTo, 200)
  assert.equal(paris.version, 2)
  assert.deepEqual(paris.sources, ['mem-1'])
  assert.deepEqual(await objects(g, 'alice', { asOf: 250, knownAt: t1 }), ['paris'])
  assert.equal((await g.fact(f1, t1))?.validTo ?? null, null)
  assert.deepEqual((await g.factHistory(f1)).map((f) => f.version), [1, 2])
  // Invalidate, then correct the object and reopen.
  const ended = await g.invalidate(f2, 300)
  assert.equal(ended.validTo, 300)
  assert.deepEqual(await objects(g, 'alice', { asOf: 350 }), [])
  const fixed = await g.correct(f2, { literal: 'Roma', reopen: true, confidence: 0.5 })
  assert.equal(fixed.object, 'Roma')
  assert.equal(fixed.objectIsEntity, false)
  assert.equal(fixed.validTo ?? null, null)
  assert.equal(fixed.confidence, 0.5)
  assert.deepEqual(await objects(g, 'alice', { asOf: 350 }), ['Roma'])
  assert.deepEqual(await g.counts(), { entities: 3, facts: 2 })
  await g.flush()
  await db.close()

  const again = await adb.connect(path)
  assert.deepEqual(await again.listGraphs(), ['agent-1'])
  const g2 = await again.graph('agent-1')
  assert.deepEqual(await objects(g2, 'alice', { asOf: 150 }), ['paris'])
  assert.deepEqual(await objects(g2, 'alice', { asOf: 350 }), ['Roma'])
  await again.dropGraph('agent-1')
  assert.deepEqual(await again.listGraphs(), [])
  await again.close()
})

test('neighbours, shortest path, entity search and facts for a text', async () => {
  const db = await adb.connect(tempDir())
  const g = await db.graph('g', 2)
  assert.equal(await g.dim(), 2)
  await g.addEntities([
    { id: 'a', name: 'Alice Smith', aliases: ['Ali'], embedding: new Float32Array([1, 0]), type: 'person' },
    { id: 'b', name: 'Bob', embedding: new Float32Array([0.9, 0.1]), type: 'person' },
    { id: 'c', name: 'ACME', embedding: new Float32Array([0, 1]), type: 'org' },
    { id: 'd', name: 'Dora' },
  ])
  await g.addFacts([
    { subject: 'a', predicate: 'knows', entity: 'b', validFrom: 0, sources: ['m1'] },
    { subject: 'b', predicate: 'works_at', entity: 'c', validFrom: 0, sources: ['m2', 'm3'] },
    { subject: 'c', predicate: 'founded', literal: '1999', validFrom: 0 },
  ])
  const near = await g.neighbors('a', 2, { asOf: 10 })
  assert.deepEqual(near.map((n) => [n.entity, n.hops]), [['b', 1], ['c', 2]])
  assert.deepEqual((await g.neighbors('a', 2, { asOf: 10, predicates: ['knows'] })).map((n) => n.entity), ['b'])
  assert.deepEqual((await g.neighbors('c', 1, { asOf: 10, direction: 'out' })).map((n) => n.entity), [])
  const path = await g.shortestPath('a', 'c', { asOf: 10 })
  assert.ok(path)
  assert.deepEqual(path.map((f) => f.predicate), ['knows', 'works_at'])
  assert.equal(await g.shortestPath('a', 'd', { asOf: 10 }), null)
  assert.equal(await g.shortestPath('a', 'c', { asOf: 10, maxHops: 1 }), null)
  assert.deepEqual((await g.findEntities('ali')).map((e) => e.id), ['a'])
  const byText = await g.searchEntities({ text: 'Ali', k: 5 })
  assert.equal(byText[0].entity.id, 'a')
  assert.equal(byText[0].score, 1)
  const byVector = await g.searchEntities({ vector: new Float32Array([1, 0]), k: 2, type: 'person' })
  assert.deepEqual(byVector.map((h) => h.entity.id), ['a', 'b'])
  assert.ok(byVector[0].entity.embedding instanceof Float32Array)
  const facts = await g.factsForText('Where does bob work?', { asOf: 10 })
  // Bob's facts both ways, each with the memories it came from.
  const byPredicate = Object.fromEntries(facts.map((f) => [f.predicate, f.sources]))
  assert.deepEqual(byPredicate, { knows: ['m1'], works_at: ['m2', 'm3'] })
  assert.equal((await g.factsForText('Where does bob work?', { asOf: 10, limit: 1 })).length, 1)
  assert.deepEqual((await g.mentionedEntities('acme and ALI')).map((e) => e.id), ['c', 'a'])
  await db.close()
})

test('recall with a graph adds the facts of the entities the query names', async () => {
  const db = await adb.connect(tempDir())
  const m = await db.memory('m', { dim: 2 })
  await m.remember(
    [
      { agentId: 'ann', id: 'm1', text: 'Alice drinks tea' },
      { agentId: 'ann', id: 'm2', text: 'Alice switched to coffee' },
    ],
    [new Float32Array([1, 0]), new Float32Array([0, 1])],
  )
  const g = await db.graph('people')
  await g.addEntities([{ id: 'alice', name: 'Alice' }])
  await g.declarePredicate('drinks', true)
  await g.addFacts([{ subject: 'alice', predicate: 'drinks', literal: 'tea', validFrom: 100, sources: ['m1'], confidence: 0.5 }])
  await g.addFacts([{ subject: 'alice', predicate: 'drinks', literal: 'coffee', validFrom: 200, sources: ['m2'] }])
  const opts = { k: 2, queryText: 'what does alice drink', now: 150, touch: false }
  const got = await m.recallWithGraph(g, new Float32Array([1, 0]), opts)
  const plain = await m.recall(new Float32Array([1, 0]), opts)
  assert.deepEqual(got.hits.map((h) => h.record.id), plain.map((h) => h.record.id))
  assert.equal(got.facts.length, 1)
  assert.equal(got.facts[0].object, 'tea')
  assert.equal(got.facts[0].validFrom, 100)
  assert.equal(got.facts[0].validTo, 200)
  assert.equal(got.facts[0].confidence, 0.5)
  assert.deepEqual(got.facts[0].sources, ['m1'])
  const later = await m.recallWithGraph(g, new Float32Array([1, 0]), { ...opts, now: 250 }, 5)
  assert.deepEqual(later.facts.map((f) => f.object), ['coffee'])
  await rejects(m.recallWithGraph(g, new Float32Array([1, 0]), { k: 2 }), adb.InvalidArgumentError, /query text/)
  await rejects(m.recallWithGraph(g, null, opts, 0), adb.InvalidArgumentError)
  await db.close()
})

test('bad input is a typed error', async () => {
  const db = await adb.connect(tempDir())
  const g = await db.graph('g', 2)
  await rejects(db.graph('g', 3), adb.DimensionMismatchError)
  await rejects(db.graph('../x'), adb.InvalidNameError)
  await rejects(g.addEntities([{ name: '' }]), adb.InvalidArgumentError)
  await rejects(g.addEntities([{ name: 'x', embedding: new Float32Array([1, 2, 3]) }]), adb.DimensionMismatchError)
  await rejects(g.addFacts([{ subject: 'nobody', predicate: 'p', literal: 'v' }]), adb.InvalidArgumentError)
  await g.addEntities([{ id: 'x', name: 'X' }])
  await rejects(g.addFacts([{ subject: 'x', predicate: 'p' }]), adb.InvalidArgumentError, /entity or a literal/)
  await rejects(g.addFacts([{ subject: 'x', predicate: 'p', entity: 'x', literal: 'v' }]), adb.InvalidArgumentError, /not both/)
  await rejects(g.addFacts([{ subject: 'x', predicate: 'p', literal: 'v', confidence: 2 }]), adb.InvalidArgumentError)
  await rejects(g.facts('x', { direction: 'up' }), adb.InvalidArgumentError, /direction/)
  await rejects(g.neighbors('x', -1), adb.InvalidArgumentError)
  await rejects(g.invalidate('no-such-fact'), adb.InvalidArgumentError)
  await rejects(g.factsForText('x', { limit: 0 }), adb.InvalidArgumentError)
  await rejects(db.dropGraph('absent'), adb.CollectionNotFoundError)
  await db.close()
  await rejects(g.counts(), adb.ClosedError)
})
