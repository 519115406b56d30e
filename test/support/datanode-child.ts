/**
 * A DataNode in a child process for the fault tests: stores blocks in HOPS_DN_DIR, talks to the
 * NameNode at HOPS_NAMENODE_URL with heartbeats every HOPS_HEARTBEAT_MS (default 200), prints
 * `datanode <uuid> <httpAddress>` once registered, then runs until killed (the test sends
 * SIGKILL: a real crash, no goodbye). Run with `node --import tsx test/support/datanode-child.ts`.
 */
import { DataNode } from '../../src/datanode/datanode.js'

const dir = process.env.HOPS_DN_DIR
const namenodeUrl = process.env.HOPS_NAMENODE_URL
if (dir === undefined || namenodeUrl === undefined)
  throw new Error('HOPS_DN_DIR and HOPS_NAMENODE_URL needed')

const dn = new DataNode({
  dir,
  namenodeUrls: [namenodeUrl],
  host: '127.0.0.1',
  port: 0,
  heartbeatIntervalMs: Number(process.env.HOPS_HEARTBEAT_MS ?? 200),
})
const url = await dn.start()
process.stdout.write(`datanode ${dn.datanodeUuid} ${url}\n`)
