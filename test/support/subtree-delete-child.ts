/**
 * A NameNode in a child process for the subtree fault test: opens an engine on
 * HOPS_META_URL with a small subtree batch (HOPS_BATCH) and a fast heartbeat, prints
 * `namenode <id>`, then recursively deletes HOPS_PATH and prints `done <result>`. The test kills it
 * with SIGKILL half-way. Run with `node --import tsx test/support/subtree-delete-child.ts`.
 */
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'

const url = process.env.HOPS_META_URL
const path = process.env.HOPS_PATH
if (url === undefined || path === undefined) throw new Error('HOPS_META_URL and HOPS_PATH needed')

const engine = await openMetaEngine(url, {
  poolSize: 2,
  heartbeatIntervalMs: Number(process.env.HOPS_HEARTBEAT_MS ?? 100),
  settings: { subtreeBatchSize: Number(process.env.HOPS_BATCH ?? 100) },
})
process.stdout.write(`namenode ${engine.namenodeId}\n`)
const deleted = await engine.delete({ path, recursive: true }, { user: 'hdfs' })
process.stdout.write(`done ${deleted}\n`)
await engine.close()
