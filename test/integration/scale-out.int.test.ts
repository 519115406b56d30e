/**
 * Fault test (issue 4, "Online scale-out"): add and remove NameNodes and DataNodes while clients
 * run, with no restart and no client error.
 *
 * One `hops namenode` and two `hops datanode` processes on PostgreSQL; 8 model-checking client
 * workers (test/support/model-workload.ts: mixed small and multi-block writes with 64 KiB blocks
 * and replication 2, reads, renames, deletes, listings). While they run:
 * 1. nn2 and nn3 start;
 * 2. dn3 starts;
 * 3. nn1 (the first NameNode, the leader, the only URL clients and DataNodes were given) is
 *    drained (`PUT /admin/drain`: it answers StandbyException, everyone moves on) and stopped
 *    with SIGTERM (exit 0);
 * 4. nn2 is drained for 1.5 s and resumes (clients stick to the NameNode that answered last, so
 *    this moves them on to nn3);
 * 5. dn1 is decommissioned (`PUT /admin/decommission?datanode=UUID` on a NameNode): no new blocks
 *    go to it, the leader copies its blocks to the others and marks it DECOMMISSIONED; then it
 *    is stopped with SIGTERM.
 *
 * How clients and DataNodes reach NameNodes added later: discovery. Each NameNode answers
 * `GET /namenodes` with the live NameNodes (the `namenodes` heartbeat table as its leader
 * election sees it). The SDK, given `refreshNamenodesMs`, re-reads it from the NameNode it uses
 * and adds the new ones to its failover list; a DataNode does the same every
 * `namenodeRefreshIntervalMs`. So clients given only nn1 keep working after nn1 is gone.
 *
 * Afterwards: no worker saw an error (retries and failovers allowed); every acknowledged file
 * reads back byte-exact and each worker's subtree equals its model (SDK and `inodes` table);
 * the namespace invariants hold; nn2 and nn3 served client requests (counted at the clients and
 * in their `/metrics`); dn3 holds replicas; every block has its full replication on the live
 * DataNodes (dn1's blocks were copied before it left).
 *
 * Tunables: HOPS_SCALEOUT_SECONDS (workload duration, default 24), HOPS_SCALEOUT_WORKERS
 * (default 8, at least 8), HOPS_SCALEOUT_SEED (default random; printed).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { FileSystem } from '../../src/client/file-system.js'
import {
  datanodeProcess,
  namenodeProcess,
  waitForLiveDatanodes,
} from '../support/cluster-processes.js'
import { exited, waitFor } from '../support/hops-process.js'
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
import { createTestDatabase } from '../support/postgres.js'

const SECONDS = Number(process.env.HOPS_SCALEOUT_SECONDS ?? 24)
const WORKERS = Math.max(8, Number(process.env.HOPS_SCALEOUT_WORKERS ?? 8))
const SEED = Number(process.env.HOPS_SCALEOUT_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** How often clients and DataNodes re-read the live NameNodes. */
const REFRESH_MS = 500

describe('online scale-out: NameNodes and DataNodes added and removed under load', () => {
  const nns: HopsProcess[] = []
  const dns: HopsProcess[] = []
  const clients: FileSystem[] = []
  let dbUrl = ''
  let dropDatabase: (() => Promise<void>) | undefined

  before(async () => {
    console.log(`HOPS_SCALEOUT_SEED=${SEED}`)
    const db = await createTestDatabase()
    dbUrl = db.url
    dropDatabase = db.drop
    for (const i of [1, 2, 3]) nns.push(await namenodeProcess(`nn${i}`, dbUrl, { superuser: USER }))
    await nns[0]!.start().up()
    const env = { DATANODE_NAMENODE_REFRESH_INTERVAL_MS: String(REFRESH_MS) }
    for (const i of [1, 2, 3]) dns.push(await datanodeProcess(`dn${i}`, [nns[0]!.url], env))
    await Promise.all(dns.slice(0, 2).map((d) => d.start().up()))
    await waitForLiveDatanodes(nns[0]!.url, 2)
  })

  after(async () => {
    for (const c of clients) c.close()
    await Promise.all([...nns, ...dns].map((p) => p.kill9()))
    await dropDatabase?.()
  })

  it(
    'clients see no error; nothing acknowledged is lost; new nodes serve; replicas recover',
    { timeout: 180_000 },
    async () => {
      const [nn1, nn2, nn3] = nns as [HopsProcess, HopsProcess, HopsProcess]
      const [dn1, , dn3] = dns as [HopsProcess, HopsProcess, HopsProcess]
      const nnOrigins = new Set(nns.map((n) => new URL(n.url).origin))
      /** Client requests answered, per NameNode origin. */
      const answered = new Map<string, number>()
      const transport: TransportStats[] = []
      for (let w = 0; w < WORKERS; w++) {
        // Only nn1 is known up front: the others are found through GET /namenodes.
        const fs = new FileSystem({
          namenodes: [nn1.url],
          user: USER,
          refreshNamenodesMs: REFRESH_MS,
        })
        transport.push(
          instrumentClient(
            fs,
            (origin) => nnOrigins.has(origin),
            (url) => {
              if (nnOrigins.has(url.origin))
                answered.set(url.origin, (answered.get(url.origin) ?? 0) + 1)
            },
          ),
        )
        clients.push(fs)
      }
      await createWorkerRoots(clients[0]!, WORKERS)

      const started = Date.now()
      const deadline = started + SECONDS * 1000
      const events: string[] = []
      const log = (what: string): void => {
        events.push(`${what}@${Date.now() - started}ms`)
      }
      const at = async (ms: number): Promise<void> => {
        const wait = started + ms - Date.now()
        if (wait > 0) await sleep(wait)
      }

      async function operator(): Promise<void> {
        // 1. Two more NameNodes.
        await at(2000)
        await nn2.start().up()
        log('nn2 up')
        await at(4000)
        await nn3.start().up()
        log('nn3 up')
        // 2. A third DataNode.
        await at(6000)
        await dn3.start().up()
        await waitForLiveDatanodes(nn2.url, 3)
        log('dn3 live')
        // 3. nn1 leaves: drain, let its clients and DataNodes move on, SIGTERM.
        await at(9000)
        const drain = await fetch(`${nn1.url}/admin/drain`, { method: 'PUT' })
        assert.equal(drain.status, 200)
        log('nn1 draining')
        await sleep(1500)
        nn1.child!.kill('SIGTERM')
        const nn1Exit = await exited(nn1.child!)
        assert.deepEqual(nn1Exit, { code: 0, signal: null }, nn1.out)
        log('nn1 stopped')
        // The SDK sticks to the NameNode that answered last, so everyone is on nn2 now: a short
        // drain of nn2 (maintenance) moves them on to nn3, the other NameNode they discovered.
        await at(11_000)
        assert.equal((await fetch(`${nn2.url}/admin/drain`, { method: 'PUT' })).status, 200)
        log('nn2 draining')
        await sleep(1500)
        assert.equal((await fetch(`${nn2.url}/admin/drain`, { method: 'DELETE' })).status, 200)
        log('nn2 serving again')
        // 4. dn1 leaves: decommission, wait for DECOMMISSIONED, SIGTERM.
        await at(13_000)
        const uuid = await datanodeUuid(dbUrl, dn1.url)
        const dec = await fetch(`${nn2.url}/admin/decommission?datanode=${uuid}`, {
          method: 'PUT',
        })
        assert.equal(dec.status, 200, await dec.text())
        log('dn1 decommissioning')
        await waitFor(
          'dn1 DECOMMISSIONED',
          async () => (await datanodeState(dbUrl, uuid)) === 'DECOMMISSIONED',
          30_000,
          200,
        )
        log('dn1 decommissioned')
        // Writes placed on dn1 just before the decommission finish first.
        await sleep(1500)
        dn1.child!.kill('SIGTERM')
        assert.deepEqual(await exited(dn1.child!), { code: 0, signal: null }, dn1.out)
        log('dn1 stopped')
      }

      let stop = false
      const operating = operator().catch((err: unknown) => {
        stop = true
        throw err
      })
      const { models, stats, failures } = await runWorkload({
        clients,
        transport,
        seed: SEED,
        deadline,
        stop: () => stop,
      })
      stop = true
      await operating
      const workloadMs = Date.now() - started

      const totalOps = Object.values(stats.ops).reduce((a, b) => a + b, 0)
      console.log(
        `${WORKERS} workers, ${workloadMs} ms: ${totalOps} operations ${JSON.stringify(stats.ops)}`,
      )
      console.log(`events: ${events.join(', ')}`)
      const perNn = nns.map((n) => `${n.name}=${answered.get(new URL(n.url).origin) ?? 0}`)
      console.log(`client requests answered: ${perNn.join(' ')}`)
      console.log(
        `NameNode attempts failed with a connection error: ${transport.reduce((s, t) => s + t.refused, 0)}; ` +
          `operations retried: ${stats.retriedOps}; client NameNode lists: ${JSON.stringify(clients[0]!.client.namenodes)}`,
      )

      // No error, no wrong answer.
      assert.deepEqual(failures, [], 'operations failed or answered what the model did not predict')
      assert.ok(totalOps >= WORKERS * 10, `only ${totalOps} operations`)

      // The added NameNodes served clients, as their own metrics say too.
      for (const n of [nn2, nn3]) {
        const count = answered.get(new URL(n.url).origin) ?? 0
        assert.ok(count > 0, `${n.name} answered no client request`)
        const metrics = await (await fetch(`${n.url}/metrics`)).text()
        const served = [
          ...metrics.matchAll(/^hops_namenode_ops_total\{[^}]*op="webhdfs\.[^}]*\} (\d+)/gm),
        ]
          .map((m) => Number(m[1]))
          .reduce((a, b) => a + b, 0)
        assert.ok(served > 0, `${n.name} /metrics counts no WebHDFS request:\n${metrics}`)
      }

      // Nothing acknowledged is lost; every file byte-exact (dn1 is gone).
      const reader = new FileSystem({ namenodes: [nn2.url, nn3.url], user: USER })
      clients.push(reader)
      await checkModels(reader, models, dbUrl)
      const report = await checkMetaInvariants(dbUrl)
      assert.deepEqual(report.violations, [])

      // dn3 received blocks; every block is fully replicated on the live DataNodes.
      const dn3Replicas = await replicasOn(dbUrl, dn3.url)
      console.log(`dn3 holds ${dn3Replicas} replicas`)
      assert.ok(dn3Replicas > 0, 'dn3 received no block')
      await waitFor(
        'every block fully replicated on NORMAL DataNodes',
        async () => (await underReplicated(dbUrl)).length === 0,
        20_000,
        250,
      ).catch(async (err: unknown) => {
        throw new Error(`under-replicated: ${JSON.stringify(await underReplicated(dbUrl))}`, {
          cause: err,
        })
      })
      console.log(`invariants hold over ${report.inodes} inodes`)
    },
  )
})

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql, params)).rows
  } finally {
    await client.end()
  }
}

async function datanodeUuid(url: string, httpAddress: string): Promise<string> {
  const rows = await query<{ uuid: string }>(
    url,
    'SELECT uuid FROM datanodes WHERE http_address = $1',
    [httpAddress],
  )
  assert.equal(rows.length, 1, `one datanodes row for ${httpAddress}`)
  return rows[0]!.uuid
}

async function datanodeState(url: string, uuid: string): Promise<string | undefined> {
  const rows = await query<{ state: string }>(url, 'SELECT state FROM datanodes WHERE uuid = $1', [
    uuid,
  ])
  return rows[0]?.state
}

async function replicasOn(url: string, httpAddress: string): Promise<number> {
  const rows = await query<{ n: number }>(
    url,
    `SELECT count(*)::int AS n FROM replicas r JOIN datanodes d ON d.uuid = r.datanode_id
     WHERE d.http_address = $1`,
    [httpAddress],
  )
  return rows[0]?.n ?? 0
}

/** Complete blocks with fewer replicas on NORMAL DataNodes than their file's replication. */
async function underReplicated(url: string): Promise<unknown[]> {
  return query(
    url,
    `SELECT b.id::int AS id, i.replication, count(d.uuid)::int AS live FROM blocks b
     JOIN inodes i ON i.id = b.inode_id
     LEFT JOIN replicas r ON r.block_id = b.id
     LEFT JOIN datanodes d ON d.uuid = r.datanode_id AND d.state = 'NORMAL'
     WHERE b.state <> 0
     GROUP BY b.id, i.replication HAVING count(d.uuid) < i.replication LIMIT 10`,
  )
}
