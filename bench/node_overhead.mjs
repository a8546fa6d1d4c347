// Per-call overhead of the Node binding against the C ABI, for a small search: k = 10 on N 64-d
// cosine vectors, one request per call, the same data and queries on both sides (the LCG of
// node_overhead.c). The C figure comes from bench/node_overhead.c (built by `make bench-node`).
// Node is measured twice: calls awaited one after another (latency: the AsyncTask round trip
// through libuv's pool and back to the event loop) and with 8 calls in flight (throughput).
//
//   node bench/node_overhead.mjs --c-bench build/c/node_overhead --out bench/results/node.md
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = dirname(fileURLToPath(import.meta.url))
const adb = createRequire(import.meta.url)(join(here, '..', 'node', 'index.js'))
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []))
const N = Number(args.n ?? 4000)
const CALLS = Number(args.calls ?? 5000)
const DIM = 64
const K = 10
const WARMUP = 200

function lcg(seed, count) {
  const out = new Float32Array(count)
  let x = seed >>> 0
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x / 4294967296 - 0.5
  }
  return out
}
const stats = (t) => {
  const s = [...t].sort((a, b) => a - b)
  return { mean: t.reduce((a, b) => a + b, 0) / t.length, p50: s[s.length >> 1], p99: s[Math.floor(s.length * 0.99)] }
}

const dir = mkdtempSync(join(tmpdir(), 'agentdb-bench-node-'))
try {
  const db = await adb.connect(join(dir, 'node'))
  const c = await db.createCollection('bench', DIM)
  await c.add(Array.from({ length: N }, (_, i) => `v${i}`), lcg(1, N * DIM))
  await db.flush()
  const queries = lcg(2, (WARMUP + CALLS) * DIM)
  const q = (i) => queries.subarray(i * DIM, (i + 1) * DIM)

  const seq = []
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const t0 = process.hrtime.bigint()
    const r = await c.search(q(i), { k: K })
    const t1 = process.hrtime.bigint()
    if (r.ids.length !== K) throw new Error('short result')
    if (i >= WARMUP) seq.push(Number(t1 - t0) / 1000)
  }
  const sequential = stats(seq)

  const inFlight = 8
  let next = WARMUP
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < WARMUP + CALLS) await c.search(q(next++), { k: K })
  }))
  const parallelUs = Number(process.hrtime.bigint() - t0) / 1000 / CALLS
  await db.close()

  let cSide = null
  if (args['c-bench']) {
    cSide = JSON.parse(execFileSync(args['c-bench'], [join(dir, 'c'), String(N), String(CALLS)], { encoding: 'utf8' }))
  }
  const f = (x) => x.toFixed(1)
  const lines = [
    '# Node binding: per-call overhead against the C ABI',
    '',
    `One search per call, k = ${K}, ${N} cosine vectors of dimension ${DIM} (exact scan, no index), ${CALLS} calls after ${WARMUP} warm-up calls;`,
    `the same vectors and queries on both sides. Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), shared with other jobs,`,
    `node ${process.version}, libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4} threads, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end.`,
    '`make bench-node` (bench/node_overhead.mjs, bench/node_overhead.c).',
    '',
    '| caller | mean µs/call | p50 µs | p99 µs |',
    '|---|---:|---:|---:|',
    cSide ? `| C ABI (\`agentdb_collection_search\`, blocking) | ${f(cSide.mean_us)} | ${f(cSide.p50_us)} | ${f(cSide.p99_us)} |` : '| C ABI | – | – | – |',
    `| Node, \`await c.search()\` one after another | ${f(sequential.mean)} | ${f(sequential.p50)} | ${f(sequential.p99)} |`,
    `| Node, ${inFlight} searches in flight (wall time / calls) | ${f(parallelUs)} | – | – |`,
    '',
    cSide
      ? `Per-call overhead of the Node binding, median against median: **${f(sequential.p50 - cSide.p50_us)} µs** ` +
        `(means: ${f(sequential.mean - cSide.mean_us)} µs). It is the argument conversion, the AsyncTask hop to a libuv ` +
        'worker thread and back to the event loop, and the result object with its Float32Array. The means and p99s carry ' +
        'the tail of the thread hop: on a loaded machine a woken worker or the event loop waits for a core (C runs the ' +
        'search on the calling thread and has no hop). The in-flight row is throughput, not latency: its searches share ' +
        'the same two cores with each other and with the event loop, so it varies with the load from run to run.'
      : '',
    '',
  ]
  const text = lines.join('\n')
  if (args.out) writeFileSync(args.out, text)
  console.log(text)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
