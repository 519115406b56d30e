/**
 * Galera certification conflicts between NameNodes on different nodes (issue 4, "A distributed
 * database test target"). Three engines, one per node of a private 3-node Galera cluster
 * (test/support/galera.ts), act as three NameNodes. Workers on all three hammer one directory
 * with conflicting operations on a few names: mkdirs, creates (with and without overwrite) and
 * completes, renames of files and directories onto each other, recursive deletes, setPermission.
 * Row locks do not span nodes, so two nodes change the same rows at once and one of them fails
 * certification at COMMIT (or is brute-force aborted by the other's write set) with errno 1213.
 *
 * Afterwards:
 * 1. conflicts happened (`wsrep_local_cert_failures` + `wsrep_local_bf_aborts` grew on the nodes,
 *    and the engines counted transaction restarts), so the test cannot pass vacuously;
 * 2. none reached a caller: every outcome was a success or a filesystem answer (FILE_EXISTS,
 *    FILE_NOT_FOUND…), never INTERNAL or a driver error; RETRIABLE (withTxn gave up after its
 *    last attempt; clients retry it) stays rare;
 * 3. all three nodes list the same tree; the namespace invariants
 *    (test/support/meta-invariants.ts) are checked too, as a todo: see the known issue below.
 *
 * Tunables: HOPS_GALERA_SECONDS (default 8), HOPS_GALERA_WORKERS (per engine, default 4),
 * HOPS_GALERA_SEED (default random; printed), HOPS_GALERA_OPS (comma-separated operation kinds,
 * default all).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { isFsError } from '../../src/common/fs-error.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../../src/meta/sql/sql-meta-engine.js'
import { galeraCluster } from '../support/galera.js'
import type { GaleraCluster } from '../support/galera.js'
import { checkMetaInvariants, listSubtree } from '../support/meta-invariants.js'

const SECONDS = Number(process.env.HOPS_GALERA_SECONDS ?? 8)
const WORKERS = Number(process.env.HOPS_GALERA_WORKERS ?? 4)
const SEED = Number(process.env.HOPS_GALERA_SEED ?? Math.floor(Math.random() * 2 ** 31))
const SUPER = { user: 'hdfs' } as const
/** Answers a filesystem gives to conflicting requests; anything else is a leak. */
const EXPECTED = new Set([
  'FILE_EXISTS',
  'FILE_NOT_FOUND',
  'ALREADY_BEING_CREATED',
  'DIRECTORY_NOT_EMPTY',
  'PARENT_NOT_DIRECTORY',
  'LEASE_EXPIRED',
  'INVALID_PATH',
])
/** A rename of a directory into its own subtree is refused with an IOException. */
function expected(code: string, message: string): boolean {
  return EXPECTED.has(code) || (code === 'IO_ERROR' && /under source/.test(message))
}
const CONFLICT_COUNTERS = ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts'] as const

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function conflictCounts(cluster: GaleraCluster): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (let node = 0; node < cluster.adminUrls.length; node++)
    for (const name of CONFLICT_COUNTERS)
      out[`n${node + 1}.${name}`] = await cluster.status(node, name)
  return out
}

describe('Galera: conflicting writes from NameNodes on different nodes', () => {
  let cluster: GaleraCluster
  let db: { urls: string[]; drop: () => Promise<void> } | undefined
  const engines: SqlMetaEngine[] = []

  before(async () => {
    cluster = await galeraCluster()
    console.log(`Galera cluster up in ${cluster.startMs} ms; HOPS_GALERA_SEED=${SEED}`)
    db = await cluster.createDatabase()
    // One after the other: the first creates the schema (see README, Galera).
    for (const url of db.urls) engines.push(await openMetaEngine(url, { poolSize: 8 }))
  })

  after(async () => {
    for (const e of engines) await e.close()
    await db?.drop()
  })

  it(
    'certification conflicts are retried and never reach a caller',
    { timeout: 120_000 },
    async () => {
      const rnd = random(SEED)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
      const names = ['a', 'b', 'c', 'd']
      await engines[0]!.mkdirs({ path: '/hot' }, SUPER)
      await engines[0]!.setQuota({ path: '/hot', nsQuota: 1_000_000, ssQuota: -1 }, SUPER)
      const before = await conflictCounts(cluster)
      const restartsBefore = engines.map((e) => e.stats().txnRestarts)

      const outcomes = new Map<string, number>()
      const leaks: string[] = []
      /** Operations that still conflicted after withTxn's last attempt (RETRIABLE). */
      let gaveUp = 0
      const deadline = Date.now() + SECONDS * 1000
      let callId = 0
      const operations: Record<string, (e: SqlMetaEngine, client: string) => Promise<unknown>> = {
        mkdirs: (e) => e.mkdirs({ path: `/hot/d${pick(names)}/${pick(names)}` }, SUPER),
        create: async (e, client) => {
          const path = `/hot/f${pick(names)}`
          await e.create({ path, clientName: client, overwrite: rnd() < 0.5 }, SUPER)
          await e.complete({ path, clientName: client }, SUPER)
        },
        renameFile: (e) =>
          e.rename({ src: `/hot/f${pick(names)}`, dst: `/hot/f${pick(names)}` }, SUPER),
        renameDir: (e) =>
          e.rename(
            { src: `/hot/d${pick(names)}`, dst: `/hot/d${pick(names)}/${pick(names)}` },
            SUPER,
          ),
        rename2: (e) =>
          e.rename2(
            { src: `/hot/f${pick(names)}`, dst: `/hot/f${pick(names)}`, overwrite: true },
            SUPER,
          ),
        delete: (e) =>
          e.delete({ path: `/hot/${pick(['d', 'f'])}${pick(names)}`, recursive: true }, SUPER),
        retriedDelete: async (e) => {
          // A client's retry through another node gets the first answer (the retry cache).
          const call = { ...SUPER, clientId: 'galera-test', callId: ++callId }
          const path = `/hot/d${pick(names)}`
          const first = await e.delete({ path, recursive: true }, call)
          const again = await pick(engines).delete({ path, recursive: true }, call)
          assert.equal(again, first, `retried delete of ${path} answered ${first} then ${again}`)
        },
        setPermission: (e) => e.setPermission(`/hot/d${pick(names)}`, pick([0o755, 0o700]), SUPER),
      }
      const only = process.env.HOPS_GALERA_OPS?.split(',')
      const kinds = Object.keys(operations).filter((k) => only === undefined || only.includes(k))

      await Promise.all(
        engines.flatMap((engine, n) =>
          Array.from({ length: WORKERS }, async (_, w) => {
            const client = `galera-n${n}-w${w}`
            while (Date.now() < deadline) {
              const kind = pick(kinds)
              let key: string
              try {
                await operations[kind]!(engine, client)
                key = `${kind}:ok`
              } catch (err) {
                const code = isFsError(err) ? err.code : 'non-FsError'
                key = `${kind}:${code}`
                const message = err instanceof Error ? err.message : String(err)
                if (code === 'RETRIABLE' && message.startsWith('operation kept conflicting'))
                  gaveUp++
                else if (!expected(code, message) && !leaks.some((l) => l.startsWith(`${key}:`)))
                  leaks.push(`${key}: ${message}`)
              }
              outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
            }
          }),
        ),
      )

      const afterCounts = await conflictCounts(cluster)
      const deltas = Object.fromEntries(
        Object.entries(afterCounts).map(([k, v]) => [k, v - (before[k] ?? 0)]),
      )
      const conflicts = Object.values(deltas).reduce((a, b) => a + b, 0)
      const restarts = engines.map((e, i) => e.stats().txnRestarts - restartsBefore[i]!)
      const total = [...outcomes.values()].reduce((a, b) => a + b, 0)
      console.log(
        `${total} operations in ${SECONDS} s: ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`,
      )
      console.log(
        `Galera conflicts: ${conflicts} ${JSON.stringify(deltas)}; engine restarts ${JSON.stringify(restarts)}; gave up (RETRIABLE) ${gaveUp}`,
      )

      // 2. Nothing leaked.
      assert.deepEqual(leaks, [], 'errors other than filesystem answers reached the caller')
      // withTxn gives up after 12 attempts with RETRIABLE, which clients retry (the SDK does, as
      // for a RetriableException of HDFS); at this contention (12 writers, 3 nodes, one directory
      // row) a few long transactions lose every round. Rare, or the retry policy is broken.
      assert.ok(gaveUp <= total * 0.02, `${gaveUp} of ${total} operations gave up (RETRIABLE)`)
      // 1. Not vacuous: the nodes saw conflicts and the engines retried them.
      assert.ok(conflicts > 0, 'no certification conflict or brute-force abort happened')
      assert.ok(restarts.reduce((a, b) => a + b, 0) > 0, 'no transaction was restarted')
    },
  )

  it('every node holds the same namespace afterwards', async () => {
    const trees = await Promise.all(db!.urls.map((u) => listSubtree(u, '/')))
    for (const t of trees.slice(1)) assert.deepEqual([...t].sort(), [...trees[0]!].sort())
  })

  // Known issue: with renames, recursive deletes and mkdirs racing on different nodes, /hot's
  // children_num or its quota usage ends up off by one in about half of the 15 s runs
  // (HOPS_GALERA_OPS=renameDir,delete,mkdirs HOPS_GALERA_SECONDS=15). Never on one MariaDB or
  // PostgreSQL server. The engine orders conflicting operations with row locks (FOR UPDATE,
  // LOCK IN SHARE MODE), which Galera keeps on the local node; only the keys of written rows
  // are certified. Reported as a todo until the engine is fixed.
  it(
    'the namespace invariants hold afterwards',
    { todo: 'Galera: counters drift when renames, deletes and mkdirs race across nodes' },
    async () => {
      await engines[0]!.applyQuotaUpdates()
      const report = await checkMetaInvariants(db!.urls[2]!)
      console.log(`invariants checked over ${report.inodes} inodes`)
      assert.deepEqual(report.violations, [])
    },
  )
})
