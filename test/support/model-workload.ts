/**
 * The model-checked mixed workload of the fault tests (issue 4), shared by
 * namenode-kill.int.test.ts, scale-out.int.test.ts and db-restart.int.test.ts.
 *
 * Each worker w runs one operation at a time under its own root `/w<w>`, with its own
 * `FileSystem`, so it keeps an exact model of its subtree and predicts every answer: mkdirs,
 * small (inline) file writes and overwrites, a few multi-block writes ({@link BLOCK_SIZE} blocks,
 * replication 2), whole-file reads, renames of files and directories, recursive deletes, deletes
 * and renames of missing paths (answer false), non-recursive deletes of non-empty directories
 * (answer DIRECTORY_NOT_EMPTY), listStatus, getFileStatus and setPermission. A worker stops at
 * its first error or wrong answer (its model may be off from then on) and reports it as a
 * {@link Failure}. {@link checkModels} then compares every model with the namespace (through the
 * SDK, byte-exact, and in the `inodes` table).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FileSystem } from '../../src/client/file-system.js'
import { isFsError } from '../../src/common/fs-error.js'
import { filesUnderConstruction, listSubtree } from './meta-invariants.js'

/** The user every worker acts as (the test clusters' superuser). */
export const USER = 'hdfs'
const KB = 1024
/** Block size of the multi-block files (replication 2). */
export const BLOCK_SIZE = 64 * KB
/** Mode bits unchanged by the default umask 022, so the model needs no masking. */
const DIR_MODES = [0o755, 0o750, 0o711, 0o700]
const FILE_MODES = [0o644, 0o640, 0o600, 0o444]
/** Above this many entries a worker prefers deleting. */
const MAX_ENTRIES = 60

/** A model entry. */
export type Entry =
  { type: 'DIRECTORY'; perm: number } | { type: 'FILE'; perm: number; data: Buffer }
/** Worker subtree: relative path (`/a/b`) → entry; the worker root itself is not in it. */
export type Model = Map<string, Entry>

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
export interface TransportStats {
  /** NameNode requests that failed with a connection error (each one is followed by a retry). */
  refused: number
  /** … of which the request may have reached the server (reset/hang-up, not ECONNREFUSED). */
  maybeSent: number
}

export interface Stats {
  ops: Record<string, number>
  /** Operations that needed more than one NameNode attempt. */
  retriedOps: number
  /** Mutations retried after an attempt that may have reached the NameNode (exactly-once cases). */
  retriedMutations: number
  /** Wall time of each retried operation, ms. */
  retriedLatencies: number[]
}

class ModelMismatch extends Error {}

export interface Failure {
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

/**
 * Counts a client's failed NameNode attempts through a hook on `WebHdfsClient.send`;
 * `onAnswer` sees every request that got a reply.
 */
export function instrumentClient(
  fs: FileSystem,
  isNameNode: (origin: string) => boolean,
  onAnswer?: (url: URL) => void,
): TransportStats {
  const t: TransportStats = { refused: 0, maybeSent: 0 }
  const send = fs.client.send.bind(fs.client)
  fs.client.send = async (url, method, headers, body): Promise<IncomingMessage> => {
    try {
      const res = await send(url, method, headers, body)
      onAnswer?.(url)
      return res
    } catch (err) {
      if (isNameNode(url.origin)) {
        t.refused++
        const code = (err as { code?: unknown }).code
        if (typeof code !== 'string' || !NOT_SENT.has(code)) t.maybeSent++
      }
      throw err
    }
  }
  return t
}

/** Creates the worker roots `/w0…`, each with a quota so that quota usage is tracked. */
export async function createWorkerRoots(fs: FileSystem, workers: number): Promise<void> {
  for (let w = 0; w < workers; w++) {
    assert.equal(await fs.mkdirs(`/w${w}`, { permission: 0o755 }), true)
    await fs.setQuota(`/w${w}`, {
      namespaceQuota: 1_000_000,
      storagespaceQuota: 1024 * 1024 * 1024,
    })
  }
}

/** Options of {@link runWorkload}. */
export interface WorkloadOptions {
  /** One client per worker. */
  readonly clients: readonly FileSystem[]
  /** The clients' transport counters (see {@link instrumentClient}), same order. */
  readonly transport: readonly TransportStats[]
  /** Worker w draws from seed + w × 7919. */
  readonly seed: number
  /** Workers start no operation after this time (ms since the epoch). */
  readonly deadline: number
  /** Workers start no operation once this returns true. Default: never. */
  readonly stop?: () => boolean
  /**
   * Half of the new files are written with overwrite=false (see namenode-kill.int.test.ts).
   * Default false.
   */
  readonly createNoOverwrite?: boolean
}

/** What {@link runWorkload} returns. */
export interface WorkloadResult {
  readonly models: Model[]
  readonly stats: Stats
  readonly failures: Failure[]
}

/** Runs one worker per client until the deadline; resolves when all have stopped. */
export async function runWorkload(o: WorkloadOptions): Promise<WorkloadResult> {
  const { clients, transport, deadline } = o
  const SEED = o.seed
  const CREATE_NO_OVERWRITE = o.createNoOverwrite ?? false
  const stopRequested = o.stop ?? (() => false)
  const models = Array.from({ length: clients.length }, (): Model => new Map())
  const stats: Stats = { ops: {}, retriedOps: 0, retriedMutations: 0, retriedLatencies: [] }
  const failures: Failure[] = []

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
    const files = (): string[] => [...model].filter(([, e]) => e.type === 'FILE').map(([p]) => p)
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
              check(got === describeEntry('', e), `status ${got}, model ${describeEntry('', e)}`)
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

    while (!stopRequested() && Date.now() < deadline) {
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

  await Promise.all(clients.map((_, w) => worker(w)))
  return { models, stats, failures }
}

/**
 * Asserts that each worker's subtree equals its model: through the SDK (`reader`), every file
 * byte-exact, and in the `inodes` table of `dbUrl`; and that no file is left under construction.
 */
export async function checkModels(
  reader: FileSystem,
  models: readonly Model[],
  dbUrl: string,
): Promise<void> {
  for (let w = 0; w < models.length; w++) {
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
        .map(([p, r]) => [p, `${r.type === 2 ? 'DIRECTORY' : 'FILE'} ${r.permission.toString(8)}`]),
    )
    const wantTable = new Map([...model].map(([p, e]) => [p, `${e.type} ${e.perm.toString(8)}`]))
    assert.deepEqual(sorted(inTable), sorted(wantTable), `${root} in the inodes table`)
  }
  assert.deepEqual(await filesUnderConstruction(dbUrl), [], 'files left under construction')
}

export function describeStatus(
  name: string,
  s: { type: string; permission: number; length: number },
): string {
  return `${name}${name === '' ? '' : ' '}${s.type} ${s.permission.toString(8)} ${s.type === 'FILE' ? s.length : 0}`
}

export function describeEntry(name: string, e: Entry): string {
  return describeStatus(name, {
    type: e.type,
    permission: e.perm,
    length: e.type === 'FILE' ? e.data.length : 0,
  })
}

function sorted(m: Map<string, string>): [string, string][] {
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
