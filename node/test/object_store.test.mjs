// A database on an object store: connect(uri, {storageOptions, walDir}) against the S3 server
// `make test-node` starts (tests/object_store_server.py run sets AGENTDB_TEST_S3_ENDPOINT and
// AGENTDB_TEST_S3_BUCKET): a write flushed to the store and read back read-only after refresh(),
// and the writer lease keeping a second writer (another local directory: another machine) out.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adb, rejects, tempDir } from './helpers.mjs'

test('connect(s3://...): write, flush, read back; a second writer is locked out', async () => {
  const endpoint = process.env.AGENTDB_TEST_S3_ENDPOINT
  const bucket = process.env.AGENTDB_TEST_S3_BUCKET
  assert.ok(endpoint && bucket, 'no S3 server: run under tests/object_store_server.py run (make test-node does)')
  const storageOptions = { endpoint, region: 'us-east-1', access_key_id: 'testing', secret_access_key: 'testing', allow_http: 'true' }
  const uri = `s3://${bucket}/node-${Date.now()}-${process.pid}`
  const dir = tempDir()
  const db = await adb.connect(uri, { storageOptions, walDir: `${dir}/a` })
  assert.equal(db.uri, uri)
  const c = await db.createCollection('c', 2, 'l2')
  await c.add(['a', 'b'], new Float32Array([1, 0, 0, 1]))
  await db.flush()
  await rejects(adb.connect(uri, { storageOptions, walDir: `${dir}/b` }), adb.DatabaseLockedError)
  await rejects(adb.connect(uri, { storageOptions, walDir: `${dir}/c`, leaseTtl: -1 }), adb.InvalidArgumentError)
  const ro = await adb.connect(uri, { storageOptions, readOnly: true, readConsistencyInterval: 60 })
  const rc = await ro.getCollection('c')
  assert.equal(await rc.count(), 2)
  await c.add(['c'], new Float32Array([1, 1]))
  await db.flush()
  await ro.refresh()
  assert.equal(await rc.count(), 3)
  await ro.close()
  await db.close()
  await rejects(adb.connect('gs://bucket/x'), adb.InvalidArgumentError)
})
