/**
 * Fault test (issue 4, "Fault tests"): `kill -9` of NameNode processes under a mixed workload.
 *
 * Three `hops namenode` processes over one database and three `hops datanode` processes, on
 * 127.0.0.1. The database (HOPS_NNKILL_DB) is PostgreSQL (`postgres`, the default), MariaDB
 * (`mariadb`: a fresh database on the local server; namenode-kill-mariadb.int.test.ts) or a
 * private 3-node Galera cluster (`galera`: test/support/galera.ts, each NameNode on its own node
 * so their transactions conflict by certification; namenode-kill-galera.int.test.ts). At least 8 client workers in this process, each with its own
 * `FileSystem` given all three NameNode URLs, run a mixed workload for a bounded time: mkdirs,
 * small (inline) file writes and overwrites, a few multi-block writes (64 KiB blocks, replication
 * 2), whole-file reads, renames of files and directories, recursive deletes, deletes and renames
 * of missing paths (answer false), non-recursive deletes of non-empty directories (answer
 * DIRECTORY_NOT_EMPTY), listStatus, getFileStatus and setPermission. Worker w alone touches /w<w>
 * and runs one operation at a time, so it keeps an exact model of its subtree and predicts every
 * answer. Meanwhile one NameNode after the other (the leader first) is killed with SIGKILL every
 * few seconds and started again ~2 s later with the same arguments on the same port; never more
 * than one is down.
 *
 * Afterwards:
 * 1. no operation failed: the SDK's failover hid every kill (connection errors and retries are
 *    counted through a hook on the transport and printed);
 * 2. nothing acknowledged is missing: each worker's subtree, listed through the SDK and read
 *    straight from the `inodes` table, equals its model (paths, types, permissions, lengths), and
 *    every file reads back byte-exact;
 * 3. the namespace invariants hold (test/support/meta-invariants.ts: no orphans or cycles,
 *    children counts, no subtree marks left, quota usage of every worker root = recount); no file
 *    is left under construction;
 * 4. exactly-once: every answer of a mutation retried after its request may have reached the
 *    killed NameNode was the model's (a DELETE or RENAME applied by the first attempt still
 *    answers true), checked as it happens by (1).
 *
 * The NameNode that goes down next is the one most clients use: the SDK sticks to the NameNode
 * that answered last, so after a kill of nn<k> its clients move to nn<k+1>, the next victim.
 *
 * Tunables: HOPS_NNKILL_SECONDS (workload duration, default 20), HOPS_NNKILL_WORKERS (default 8,
 * at least 8), HOPS_NNKILL_EVERY_MS (kill period, default 3500), HOPS_NNKILL_DOWN_MS (time a
 * killed NameNode stays down, default 2000), HOPS_NNKILL_SEED (default random; printed),
 * HOPS_NNKILL_CREATE_NO_OVERWRITE=0 (see below).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { FileSystem } from '../../src/client/file-system.js'
import {
  datanodeProcess,
  namenodeProcess,
  waitForLiveDatanodes,
} from '../support/cluster-processes.js'
import type { HopsProcess } from '../support/hops-process.js'
import { checkMetaInvariants } from '../support/meta-invariants.js'
import {
  USER,
  checkModels,
  createWorkerRoots,
  instrumentClient,
  runWorkload,
} from '../support/model-workload.js'
import type { TransportStats } from '../support/model-workload.js'
import { galeraCluster } from '../support/galera.js'
import { createTestDatabase as createMysqlDatabase } from '../support/mysql.js'
import { createTestDatabase as createPostgresDatabase } from '../support/postgres.js'

const SECONDS = Number(process.env.HOPS_NNKILL_SECONDS ?? 20)
const WORKERS = Math.max(8, Number(process.env.HOPS_NNKILL_WORKERS ?? 8))
const KILL_EVERY_MS = Number(process.env.HOPS_NNKILL_EVERY_MS ?? 3500)
const DOWN_MS = Number(process.env.HOPS_NNKILL_DOWN_MS ?? 2000)
const SEED = Number(process.env.HOPS_NNKILL_SEED ?? Math.floor(Math.random() * 2 ** 31))
/**
 * Half of the new files are written with overwrite=false, so a DataNode's failover retry of its
 * internal `create` / `createInline` must answer the file its own first attempt made (the
 * internal protocol's clientId/callId) rather than FileAlreadyExists. `=0` turns this off.
 */
const CREATE_NO_OVERWRITE = process.env.HOPS_NNKILL_CREATE_NO_OVERWRITE !== '0'

type TestDatabase = { urls: string[]; drop: () => Promise<void> }
/** A fresh database as one URL per server: NameNode i uses urls[i % urls.length]. */
const TARGETS: Record<string, [label: string, create: () => Promise<TestDatabase>]> = {
  postgres: ['PostgreSQL', () => createPostgresDatabase().then((d) => ({ ...d, urls: [d.url] }))],
  mariadb: ['MariaDB', () => createMysqlDatabase().then((d) => ({ ...d, urls: [d.url] }))],
  galera: ['Galera, a node per NameNode', async () => (await galeraCluster()).createDatabase()],
}
const DB = process.env.HOPS_NNKILL_DB ?? 'postgres'
const [DB_LABEL, createTestDatabase] = TARGETS[DB] ?? [DB, () => Promise.reject(new Error(DB))]

describe(`kill -9 of NameNodes under a mixed workload (3 NameNodes, 3 DataNodes, ${DB_LABEL})`, () => {
  const nns: HopsProcess[] = []
  const dns: HopsProcess[] = []
  const clients: FileSystem[] = []
  let dbUrl = ''
  let dropDatabase: (() => Promise<void>) | undefined

  before(async () => {
    console.log(`HOPS_NNKILL_SEED=${SEED}`)
    const db = await createTestDatabase()
    dbUrl = db.urls[0]!
    dropDatabase = db.drop
    for (const i of [1, 2, 3]) {
      const url = db.urls[(i - 1) % db.urls.length]!
      nns.push(await namenodeProcess(`nn${i}`, url, { superuser: USER }))
    }
    await nns[0]!.start().up() // first: it creates the namespace
    await Promise.all(nns.slice(1).map((n) => n.start().up()))
    for (const i of [1, 2, 3])
      dns.push(
        (
          await datanodeProcess(
            `dn${i}`,
            nns.map((n) => n.url),
          )
        ).start(),
      )
    await Promise.all(dns.map((d) => d.up()))
    await waitForLiveDatanodes(nns[0]!.url, 3)
  })

  after(async () => {
    for (const c of clients) c.close()
    await Promise.all([...nns, ...dns].map((p) => p.kill9()))
    await dropDatabase?.()
  })

  it(
    'clients see no error beyond retries; nothing acknowledged is lost; invariants hold',
    {
      timeout: 180_000,
    },
    async () => {
      const nnOrigins = new Set(nns.map((n) => new URL(n.url).origin))
      const transport: TransportStats[] = []
      const byOrigin = new Map(nns.map((n) => [new URL(n.url).origin, n]))
      /** Requests answered by a NameNode's second or later incarnation: clients came back to it. */
      const answeredAfterRestart = new Map<string, number>()
      for (let w = 0; w < WORKERS; w++) {
        // Each worker starts on a different NameNode; the SDK sticks to the one that answered last.
        const urls = nns.map((_, i) => nns[(w + i) % nns.length]!.url)
        const fs = new FileSystem({ namenodes: urls, user: USER })
        const t = instrumentClient(
          fs,
          (origin) => nnOrigins.has(origin),
          (url) => {
            const nn = byOrigin.get(url.origin)
            if (nn !== undefined && nn.starts > 1)
              answeredAfterRestart.set(nn.name, (answeredAfterRestart.get(nn.name) ?? 0) + 1)
          },
        )
        clients.push(fs)
        transport.push(t)
      }

      // Worker roots, with a quota each so that quota usage is tracked (and recounted) under kills.
      await createWorkerRoots(clients[0]!, WORKERS)

      const kills: { name: string; atMs: number; restartedMs: number }[] = []
      const started = Date.now()
      const deadline = started + SECONDS * 1000
      let stop = false

      async function killer(): Promise<void> {
        let next = 0
        let at = started + Math.min(2000, KILL_EVERY_MS)
        for (;;) {
          const wait = at - Date.now()
          if (wait > 0) await sleep(wait)
          if (stop || Date.now() > deadline - 500) return
          const victim = nns[next++ % nns.length]!
          // Never more than one down: every other NameNode answers /health before a kill.
          for (const n of nns) if (n !== victim) await n.up()
          const killedAt = Date.now()
          await victim.kill9()
          await sleep(DOWN_MS)
          victim.start()
          await victim.up()
          kills.push({
            name: victim.name,
            atMs: killedAt - started,
            restartedMs: Date.now() - killedAt,
          })
          at = killedAt + KILL_EVERY_MS
        }
      }

      const killing = killer()
      const { models, stats, failures } = await runWorkload({
        clients,
        transport,
        seed: SEED,
        deadline,
        stop: () => stop,
        createNoOverwrite: CREATE_NO_OVERWRITE,
      })
      stop = true
      await killing
      const workloadMs = Date.now() - started
      for (const n of nns) if (!n.running) n.start()
      await Promise.all(nns.map((n) => n.up()))

      const totalOps = Object.values(stats.ops).reduce((a, b) => a + b, 0)
      const lat = [...stats.retriedLatencies].sort((a, b) => a - b)
      const pct = (q: number): number =>
        lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? 0
      console.log(
        `${WORKERS} workers, ${workloadMs} ms: ${totalOps} operations ${JSON.stringify(stats.ops)}`,
      )
      console.log(
        `${kills.length} kills: ${kills.map((k) => `${k.name}@${k.atMs}ms (back after ${k.restartedMs} ms)`).join(', ')}`,
      )
      console.log(
        `NameNode attempts failed with a connection error: ${transport.reduce((s, t) => s + t.refused, 0)} ` +
          `(${transport.reduce((s, t) => s + t.maybeSent, 0)} after the request may have been sent); ` +
          `operations retried: ${stats.retriedOps} (mutations retried after a possibly delivered attempt: ` +
          `${stats.retriedMutations}); retried op latency p50 ${pct(0.5)} ms, max ${lat[lat.length - 1] ?? 0} ms`,
      )

      console.log(
        `requests answered by restarted NameNodes: ${JSON.stringify(Object.fromEntries(answeredAfterRestart))}`,
      )

      // 1 + 4: no error and no wrong answer, retried or not.
      assert.deepEqual(failures, [], 'operations failed or answered what the model did not predict')
      // A restart takes ~1.5 s on top of DOWN_MS; the first kill comes after 2 s.
      const expectedKills = Math.floor(
        (SECONDS * 1000 - 2500) / Math.max(KILL_EVERY_MS, DOWN_MS + 2500),
      )
      assert.ok(kills.length >= expectedKills, `${kills.length} kills, expected ${expectedKills}`)
      assert.ok(totalOps >= WORKERS * 10, `only ${totalOps} operations`)

      // 2. Each worker's subtree equals its model: through the SDK, byte-exact, and in the table.
      const reader = new FileSystem({ namenodes: nns.map((nn) => nn.url), user: USER })
      clients.push(reader)
      await checkModels(reader, models, dbUrl)

      // 3. Namespace invariants; no file left under construction.
      const report = await checkMetaInvariants(dbUrl)
      assert.deepEqual(report.violations, [])
      console.log(`invariants hold over ${report.inodes} inodes`)
    },
  )
})
