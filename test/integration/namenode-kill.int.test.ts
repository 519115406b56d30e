/**
 * Fault test (issue 4, "Fault tests"): `kill -9` of NameNode processes under a mixed workload.
 *
 * Three `hops namenode` processes over one PostgreSQL database and three `hops datanode`
 * processes, on 127.0.0.1. At least 8 client workers in this process, each with its own
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
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { FileSystem } from '../../src/client/file-system.js'
import { isFsError } from '../../src/common/fs-error.js'
import { HopsProcess, waitFor } from '../support/hops-process.js'
import { checkMetaInvariants, listSubtree } from '../support/meta-invariants.js'
import { freePort } from '../support/net.js'
import { createTestDatabase } from '../support/postgres.js'
import { tmpDir } from '../support/tmp.js'

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

const USER = 'hdfs'
const KB = 1024
const BLOCK_SIZE = 64 * KB
/** Mode bits unchanged by the default umask 022, so the model needs no masking. */
const DIR_MODES = [0o755, 0o750, 0o711, 0o700]
const FILE_MODES = [0o644, 0o640, 0o600, 0o444]
/** Above this many entries a worker prefers deleting. */
const MAX_ENTRIES = 60

type Entry = { type: 'DIRECTORY'; perm: number } | { type: 'FILE'; perm: number; data: Buffer }
/** Worker subtree: relative path (`/a/b`) → entry; the worker root itself is not in it. */
type Model = Map<string, Entry>

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Transport-level counts of one client, from a hook on `WebHdfsClient.send`. */
interface TransportStats {
  /** NameNode requests that failed with a connection error (each one is followed by a retry). */
  refused: number
  /** … of which the request may have reached the server (reset/hang-up, not ECONNREFUSED). */
  maybeSent: number
}

interface Stats {
  ops: Record<string, number>
  /** Operations that needed more than one NameNode attempt. */
  retriedOps: number
  /** Mutations retried after an attempt that may have reached the NameNode (exactly-once cases). */
  retriedMutations: number
  /** Wall time of each retried operation, ms. */
  retriedLatencies: number[]
}

class ModelMismatch extends Error {}

interface Failure {
  readonly worker: number
  readonly op: string
  readonly path: string
  readonly error: string
}

const NOT_SENT = new Set(['ECONNREFUSED'])
const MUTATIONS = new Set([
  'mkdirs',
  'writeSmall',
  'createSmall',
  'writeBig',
  'createBig',
  'rename',
  'renameMissing',
  'delete',
  'deleteMissing',
  'deleteNotEmpty',
  'setPermission',
])

describe('kill -9 of NameNodes under a mixed workload (3 NameNodes, 3 DataNodes, PostgreSQL)', () => {
  const nns: HopsProcess[] = []
  const dns: HopsProcess[] = []
  const clients: FileSystem[] = []
  let dbUrl = ''
  let dropDatabase: (() => Promise<void>) | undefined

  before(async () => {
    console.log(`HOPS_NNKILL_SEED=${SEED}`)
    const db = await createTestDatabase()
    dbUrl = db.url
    dropDatabase = db.drop
    const ports = await Promise.all([0, 1, 2].map(() => freePort()))
    for (const [i, port] of ports.entries()) {
      nns.push(
        new HopsProcess(`nn${i + 1}`, `http://127.0.0.1:${port}`, [
          'namenode',
          '--meta',
          db.url,
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--heartbeat-interval-ms',
          '200',
          '--housekeeping-interval-ms',
          '1000',
          '--replication-check-interval-ms',
          '1000',
          '--datanode-dead-after-ms',
          '10000',
          '--superuser',
          USER,
          '--log-level',
          'warn',
        ]),
      )
    }
    await nns[0]!.start().up() // first: it creates the namespace
    await Promise.all(nns.slice(1).map((n) => n.start().up()))
    const nnUrls = nns.map((n) => n.url).join(',')
    const dnPorts = await Promise.all([0, 1, 2].map(() => freePort()))
    for (const [i, port] of dnPorts.entries()) {
      const dn = new HopsProcess(
        `dn${i + 1}`,
        `http://127.0.0.1:${port}`,
        ['datanode', '--namenodes', nnUrls, '--dir', tmpDir('hops-dn-'), '--port', String(port)],
        { DATANODE_HEARTBEAT_INTERVAL_MS: '200', DATANODE_LOG_LEVEL: 'warn' },
      )
      dns.push(dn.start())
    }
    await Promise.all(dns.map((d) => d.up()))
    await waitFor('3 live DataNodes', async () => {
      const metrics = await (await fetch(`${nns[0]!.url}/metrics`)).text()
      return /hops_datanodes\{state="NORMAL"\} 3/.test(metrics)
    })
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
        const t: TransportStats = { refused: 0, maybeSent: 0 }
        const send = fs.client.send.bind(fs.client)
        fs.client.send = async (url, method, headers, body): Promise<IncomingMessage> => {
          try {
            const res = await send(url, method, headers, body)
            const nn = byOrigin.get(url.origin)
            if (nn !== undefined && nn.starts > 1)
              answeredAfterRestart.set(nn.name, (answeredAfterRestart.get(nn.name) ?? 0) + 1)
            return res
          } catch (err) {
            if (nnOrigins.has(url.origin)) {
              t.refused++
              const code = (err as { code?: unknown }).code
              if (typeof code !== 'string' || !NOT_SENT.has(code)) t.maybeSent++
            }
            throw err
          }
        }
        clients.push(fs)
        transport.push(t)
      }

      // Worker roots, with a quota each so that quota usage is tracked (and recounted) under kills.
      const setup = clients[0]!
      for (let w = 0; w < WORKERS; w++) {
        assert.equal(await setup.mkdirs(`/w${w}`, { permission: 0o755 }), true)
        await setup.setQuota(`/w${w}`, {
          namespaceQuota: 1_000_000,
          storagespaceQuota: 1024 * 1024 * 1024,
        })
      }

      const models = Array.from({ length: WORKERS }, (): Model => new Map())
      const stats: Stats = { ops: {}, retriedOps: 0, retriedMutations: 0, retriedLatencies: [] }
      const failures: Failure[] = []
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

      async function worker(w: number): Promise<void> {
        const rand = rng(SEED + w * 7919)
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
        const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))
        const fs = clients[w]!
        const t = transport[w]!
        const model = models[w]!
        const root = `/w${w}`
        let n = 0
        const abs = (rel: string): string => root + rel
        const dirs = (): string[] => [
          '',
          ...[...model].filter(([, e]) => e.type === 'DIRECTORY').map(([p]) => p),
        ]
        const files = (): string[] =>
          [...model].filter(([, e]) => e.type === 'FILE').map(([p]) => p)
        const within = (p: string, top: string): boolean => p === top || p.startsWith(top + '/')
        const children = (dir: string): [string, Entry][] =>
          [...model]
            .filter(([p]) => p.slice(0, p.lastIndexOf('/')) === dir)
            .map(([p, e]): [string, Entry] => [p.slice(p.lastIndexOf('/') + 1), e])
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        const check = (cond: boolean, what: string): void => {
          if (!cond) throw new ModelMismatch(what)
        }

        type Step = { op: string; path: string; run: () => Promise<void> }
        const makeDelete = () => {
          if (model.size === 0) return undefined
          const path = pick([...model.keys()])
          return {
            op: 'delete',
            path,
            run: async () => {
              check((await fs.delete(abs(path), { recursive: true })) === true, 'delete true')
              for (const p of [...model.keys()]) if (within(p, path)) model.delete(p)
            },
          }
        }
        const steps: [number, () => Step | undefined][] = [
          [
            12,
            () => {
              const parent = pick(dirs())
              const path = `${parent}/d${n++}`
              const perm = pick(DIR_MODES)
              return {
                op: 'mkdirs',
                path,
                run: async () => {
                  check((await fs.mkdirs(abs(path), { permission: perm })) === true, 'mkdirs true')
                  model.set(path, { type: 'DIRECTORY', perm })
                },
              }
            },
          ],
          [
            22,
            () => {
              const existing = files()
              const replace = existing.length > 0 && rand() < 0.3
              const path = replace ? pick(existing) : `${pick(dirs())}/f${n++}`
              const data = randomBytes(rand() < 0.1 ? 0 : int(1, 4 * KB))
              const perm = pick(FILE_MODES)
              // See CREATE_NO_OVERWRITE.
              const overwrite = replace || !CREATE_NO_OVERWRITE || rand() < 0.5
              return {
                op: overwrite ? 'writeSmall' : 'createSmall',
                path,
                run: async () => {
                  await fs.writeFile(abs(path), data, { permission: perm, overwrite })
                  model.set(path, { type: 'FILE', perm, data })
                },
              }
            },
          ],
          [
            3,
            () => {
              const path = `${pick(dirs())}/b${n++}`
              const data = randomBytes(int(BLOCK_SIZE + 1, 3 * BLOCK_SIZE + 100))
              const perm = pick(FILE_MODES)
              const overwrite = !CREATE_NO_OVERWRITE || rand() < 0.5
              return {
                op: overwrite ? 'writeBig' : 'createBig',
                path,
                run: async () => {
                  await fs.writeFile(abs(path), data, {
                    overwrite,
                    permission: perm,
                    blockSize: BLOCK_SIZE,
                    replication: 2,
                  })
                  model.set(path, { type: 'FILE', perm, data })
                },
              }
            },
          ],
          [
            20,
            () => {
              const existing = files()
              if (existing.length === 0) return undefined
              const path = pick(existing)
              const e = model.get(path) as Entry & { type: 'FILE' }
              return {
                op: 'read',
                path,
                run: async () => {
                  const got = await fs.readFile(abs(path))
                  check(got.equals(e.data), `read ${got.length} bytes, expected ${e.data.length}`)
                },
              }
            },
          ],
          [
            12,
            () => {
              if (model.size === 0) return undefined
              const src = pick([...model.keys()])
              const dstDir = pick(dirs().filter((d) => !within(d, src)))
              const dst = `${dstDir}/r${n++}`
              return {
                op: 'rename',
                path: `${src} -> ${dst}`,
                run: async () => {
                  check((await fs.rename(abs(src), abs(dst))) === true, 'rename true')
                  for (const [p, e] of [...model]) {
                    if (!within(p, src)) continue
                    model.delete(p)
                    model.set(dst + p.slice(src.length), e)
                  }
                },
              }
            },
          ],
          [
            2,
            () => {
              const path = `${pick(dirs())}/missing${n++}`
              return {
                op: 'renameMissing',
                path,
                run: async () => {
                  check((await fs.rename(abs(path), abs(`/x${n++}`))) === false, 'rename false')
                },
              }
            },
          ],
          [9, makeDelete],
          [
            2,
            () => {
              const path = `${pick(dirs())}/missing${n++}`
              return {
                op: 'deleteMissing',
                path,
                run: async () => {
                  check((await fs.delete(abs(path), { recursive: true })) === false, 'delete false')
                },
              }
            },
          ],
          [
            2,
            () => {
              const full = dirs().filter((d) => d !== '' && children(d).length > 0)
              if (full.length === 0) return undefined
              const path = pick(full)
              return {
                op: 'deleteNotEmpty',
                path,
                run: async () => {
                  try {
                    await fs.delete(abs(path), { recursive: false })
                  } catch (err) {
                    check(
                      isFsError(err, 'DIRECTORY_NOT_EMPTY'),
                      `DIRECTORY_NOT_EMPTY, got ${String(err)}`,
                    )
                    return
                  }
                  check(false, 'DIRECTORY_NOT_EMPTY, got success')
                },
              }
            },
          ],
          [
            12,
            () => {
              const dir = pick(dirs())
              return {
                op: 'listStatus',
                path: dir || '/',
                run: async () => {
                  const got = (await fs.listStatusAll(abs(dir)))
                    .map((s) => describeStatus(s.pathSuffix, s))
                    .sort()
                  const want = children(dir)
                    .map(([name, e]) => describeEntry(name, e))
                    .sort()
                  check(
                    JSON.stringify(got) === JSON.stringify(want),
                    `listStatus ${JSON.stringify(got)}, model ${JSON.stringify(want)}`,
                  )
                },
              }
            },
          ],
          [
            4,
            () => {
              if (model.size === 0) return undefined
              const path = pick([...model.keys()])
              const e = model.get(path)!
              return {
                op: 'getFileStatus',
                path,
                run: async () => {
                  const got = describeStatus('', await fs.getFileStatus(abs(path)))
                  check(
                    got === describeEntry('', e),
                    `status ${got}, model ${describeEntry('', e)}`,
                  )
                },
              }
            },
          ],
          [
            8,
            () => {
              if (model.size === 0) return undefined
              const path = pick([...model.keys()])
              const e = model.get(path)!
              const perm = pick(e.type === 'FILE' ? FILE_MODES : DIR_MODES)
              return {
                op: 'setPermission',
                path,
                run: async () => {
                  await fs.setPermission(abs(path), perm)
                  e.perm = perm
                },
              }
            },
          ],
        ]

        while (!stop && Date.now() < deadline) {
          const total = steps.reduce((s, [weight]) => s + weight, 0)
          let r = rand() * total
          let step: Step | undefined
          // A big subtree is pruned: half of the steps are then recursive deletes.
          if (model.size > MAX_ENTRIES && rand() < 0.5) step = makeDelete()
          else
            for (const [weight, make] of steps) {
              r -= weight
              if (r < 0) {
                step = make()
                break
              }
            }
          if (step === undefined) continue
          const before = { ...t }
          const t0 = Date.now()
          try {
            await step.run()
          } catch (err) {
            failures.push({
              worker: w,
              op: step.op,
              path: abs(step.path),
              error:
                err instanceof ModelMismatch
                  ? `model mismatch: ${err.message}`
                  : `${(err as Error).name} ${(err as { code?: string }).code ?? ''}: ${(err as Error).message}`,
            })
            return // the model may be off now: this worker stops
          }
          stats.ops[step.op] = (stats.ops[step.op] ?? 0) + 1
          if (t.refused > before.refused) {
            stats.retriedOps++
            stats.retriedLatencies.push(Date.now() - t0)
            if (MUTATIONS.has(step.op) && t.maybeSent > before.maybeSent) stats.retriedMutations++
          }
        }
      }

      const killing = killer()
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)))
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
      for (let w = 0; w < WORKERS; w++) {
        const root = `/w${w}`
        const model = models[w]!
        const seen = new Map<string, string>()
        const walk = async (rel: string): Promise<void> => {
          for (const s of await reader.listStatusAll(root + rel)) {
            const p = `${rel}/${s.pathSuffix}`
            seen.set(p, describeStatus('', s))
            if (s.type === 'DIRECTORY') await walk(p)
          }
        }
        await walk('')
        const want = new Map([...model].map(([p, e]) => [p, describeEntry('', e)]))
        assert.deepEqual(sorted(seen), sorted(want), `${root} through the SDK`)
        for (const [p, e] of model) {
          if (e.type !== 'FILE') continue
          const got = await reader.readFile(root + p)
          assert.ok(
            got.equals(e.data),
            `${root}${p}: ${got.length} bytes read, ${e.data.length} written`,
          )
        }
        const rows = await listSubtree(dbUrl, root)
        const inTable = new Map(
          [...rows]
            .filter(([p]) => p !== '')
            .map(([p, r]) => [
              p,
              `${r.type === 2 ? 'DIRECTORY' : 'FILE'} ${r.permission.toString(8)}`,
            ]),
        )
        const wantTable = new Map(
          [...model].map(([p, e]) => [p, `${e.type} ${e.perm.toString(8)}`]),
        )
        assert.deepEqual(sorted(inTable), sorted(wantTable), `${root} in the inodes table`)
      }

      // 3. Namespace invariants; no file left under construction.
      const report = await checkMetaInvariants(dbUrl)
      assert.deepEqual(report.violations, [])
      const client = new pg.Client({ connectionString: dbUrl })
      await client.connect()
      try {
        const uc = await client.query<{ id: number; name: string }>(
          'SELECT id::int AS id, name FROM inodes WHERE under_construction <> 0 LIMIT 10',
        )
        assert.deepEqual(uc.rows, [], 'files left under construction')
      } finally {
        await client.end()
      }
      console.log(`invariants hold over ${report.inodes} inodes`)
    },
  )
})

function describeStatus(
  name: string,
  s: { type: string; permission: number; length: number },
): string {
  return `${name}${name === '' ? '' : ' '}${s.type} ${s.permission.toString(8)} ${s.type === 'FILE' ? s.length : 0}`
}

function describeEntry(name: string, e: Entry): string {
  return describeStatus(name, {
    type: e.type,
    permission: e.perm,
    length: e.type === 'FILE' ? e.data.length : 0,
  })
}

function sorted(m: Map<string, string>): [string, string][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
