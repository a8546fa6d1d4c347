// The same API from TypeScript (checked by `tsc` in `make test-node`; compile it to run it).
import { connect, AgentDBError, type SearchHits } from 'agentdb-embedded'

export async function nearest(path: string, query: Float32Array): Promise<SearchHits> {
  await using db = await connect(path, { sync: 'batch' })
  const docs = await db.getOrCreateCollection('docs', query.length)
  try {
    return await docs.search(query, { k: 5, filter: "topic = 'cats'" })
  } catch (e) {
    if (e instanceof AgentDBError) console.error(e.code, e.message)
    throw e
  }
}
