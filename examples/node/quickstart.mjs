// AgentDB from Node.js: a collection, a filtered search, an agent's memory and state.
// Run: node examples/node/quickstart.mjs   (after `npm install agentdb-embedded`, or `make build-node`)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, DuplicateIdError } from 'agentdb-embedded'

const dir = mkdtempSync(join(tmpdir(), 'agentdb-'))
const db = await connect(dir)
try {
  const docs = await db.createCollection('docs', 3)
  await docs.add(
    ['a', 'b', 'c'],
    new Float32Array([1, 0, 0, 0, 1, 0, 0.9, 0.1, 0]), // three 3-d vectors, row after row
    ['about cats', 'about dogs', 'more cats'],
    [{ topic: 'cats' }, { topic: 'dogs' }, { topic: 'cats' }],
  )
  const hits = await docs.search(new Float32Array([1, 0, 0]), { k: 2, filter: { topic: 'cats' } })
  console.log(hits.ids, hits.documents) // [ 'a', 'c' ] [ 'about cats', 'more cats' ]

  try {
    await docs.add(['a'], new Float32Array([0, 0, 1]))
  } catch (e) {
    if (!(e instanceof DuplicateIdError)) throw e
    console.log(e.code) // duplicate_id
  }

  const memory = await db.memory('assistant', { dim: 3 })
  await memory.remember([{ agentId: 'user-1', text: 'prefers green tea' }], new Float32Array([0, 0, 1]))
  const [best] = await memory.recall(new Float32Array([0, 0.1, 1]), { agentId: 'user-1' })
  console.log(best.record.text) // prefers green tea

  const state = await db.state()
  await state.put('user-1', 'session-1', 'plan', { step: 2 })
  console.log((await state.get('user-1', 'session-1', 'plan'))?.value) // { step: 2 }
} finally {
  await db.close()
  rmSync(dir, { recursive: true }) // a throwaway database
}
