/**
 * Concurrency stress of the SQL metadata engine on real PostgreSQL (DESIGN §4: one transaction
 * per operation, row locks in one total order, subtree marks). Two engines on one database act as
 * two NameNodes; many workers split between them hammer a small overlapping tree with mkdirs,
 * create (with and without overwrite), rename / rename2 (files and directories, so crossing
 * directory renames that would form a cycle are attempted all the time), delete (recursive or
 * not), setPermission, reads, setQuota on random directories and quota folding, for a bounded
 * time. Afterwards the tables are checked with plain SQL (test/support/meta-invariants.ts) and
 * every acknowledged operation whose effect can be known is verified:
 *
 * 1. Private areas. Worker w alone touches /p/w<w>; it runs its operations one at a time and
 *    keeps an exact model of that subtree, so the outcome of every private operation (return
 *    value or error code) is predicted and compared as it happens, and at the end the subtree in
 *    the database must equal the model (paths, types, permissions). An operation that failed with
 *    RETRIABLE is treated as not applied: it is thrown only after its single transaction was
 *    rolled back.
 * 2. Unique files in the contended tree. Workers also create files with names no other operation
 *    ever generates (`u-<worker>-<n>`) in random shared directories and record the inode id and
 *    parent id the engine acknowledged. Such a file is never a rename source, rename
 *    destination, overwrite or delete target by name, so its own row never changes parent or
 *    name; the only thing that can remove it is a recursive delete of one of its ancestors,
 *    which removes its parent directory too. Hence, at the end: the file exists with the same
 *    parent id and name if and only if its parent directory (by id) still exists. A file
 *    missing while its parent is there is a lost acknowledged create.
 *
 * Tunables: HOPS_STRESS_SECONDS (default 20), HOPS_STRESS_WORKERS (default 20, at least 16),
 * HOPS_STRESS_SEED (default: random; printed).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { isFsError } from '../../src/common/fs-error.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../../src/meta/sql/sql-meta-engine.js'
import { checkMetaInvariants, listSubtree } from '../support/meta-invariants.js'
import { createTestDatabase } from '../support/postgres.js'

const SECONDS = Number(process.env.HOPS_STRESS_SECONDS ?? 20)
const WORKERS = Math.max(16, Number(process.env.HOPS_STRESS_WORKERS ?? 20))
const SEED = Number(process.env.HOPS_STRESS_SEED ?? Math.floor(Math.random() * 2 ** 31))

const SUPER = { user: 'hdfs' } as const
/** Quota on the whole shared tree and on one directory inside it (never renamed or deleted). */
const SHARED_NS_QUOTA = 150
const Q_NS_QUOTA = 15

/** Error codes that are legitimate answers under contention, per operation kind. */
const CONTENTION = ['FILE_NOT_FOUND', 'FILE_EXISTS', 'PARENT_NOT_DIRECTORY', 'RETRIABLE']
const ALLOWED: Record<string, readonly string[]> = {
  mkdirs: [...CONTENTION, 'NS_QUOTA_EXCEEDED'],
  create: [...CONTENTION, 'NS_QUOTA_EXCEEDED', 'ALREADY_BEING_CREATED'],
  createUnique: [...CONTENTION, 'NS_QUOTA_EXCEEDED'],
  rename: [...CONTENTION, 'IO_ERROR', 'NS_QUOTA_EXCEEDED'],
  rename2: [...CONTENTION, 'IO_ERROR', 'NS_QUOTA_EXCEEDED'],
  delete: [...CONTENTION, 'DIRECTORY_NOT_EMPTY'],
  setPermission: CONTENTION,
  listStatus: CONTENTION,
  getContentSummary: CONTENTION,
  setQuota: [...CONTENTION, 'NOT_A_DIRECTORY'],
  applyQuotaUpdates: [],
}

/** mulberry32: a small seeded generator, so a run can be replayed in spirit (timing differs). */
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

class Stats {
  readonly ok = new Map<string, number>()
  readonly errors = new Map<string, number>()
  readonly unexpected: string[] = []
  readonly mismatches: string[] = []

  success(op: string): void {
    this.ok.set(op, (this.ok.get(op) ?? 0) + 1)
  }

  failure(op: string, detail: string, err: unknown): void {
    const code = isFsError(err) ? err.code : `non-FsError ${(err as Error)?.name}`
    const key = `${op}:${code}`
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1)
    if (!isFsError(err) || !(ALLOWED[op] ?? []).includes(err.code)) {
      if (this.unexpected.length < 30)
        this.unexpected.push(`${op} ${detail}: ${code}: ${(err as Error)?.message}`)
    }
  }

  count(code: string): number {
    let n = 0
    for (const [k, v] of this.errors) if (k.endsWith(`:${code}`)) n += v
    return n
  }
}

/** Runs one shared-tree operation and records its outcome. */
async function attempt<T>(
  stats: Stats,
  op: string,
  detail: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    const result = await fn()
    stats.success(op)
    return result
  } catch (err) {
    stats.failure(op, detail, err)
    return undefined
  }
}

// ---- the private area model -----------------------------------------------------------------

type Entry = { type: 'f' | 'd'; mode: number }
const PRIVATE_NAMES = ['x', 'y', 'z', 'k']
const MODES = [0o700, 0o755, 0o750, 0o711, 0o644]

/** Exact model of one worker's private subtree; keys are paths relative to its root ('' = root). */
class PrivateModel {
  readonly entries = new Map<string, Entry>([['', { type: 'd', mode: 0o755 }]])

  dirs(): string[] {
    return [...this.entries].filter(([, e]) => e.type === 'd').map(([p]) => p)
  }

  nonRoot(): string[] {
    return [...this.entries.keys()].filter((p) => p !== '')
  }

  hasChildren(path: string): boolean {
    for (const p of this.entries.keys()) if (p.startsWith(path + '/')) return true
    return false
  }

  removeTree(path: string): void {
    for (const p of [...this.entries.keys()])
      if (p === path || p.startsWith(path + '/')) this.entries.delete(p)
  }

  moveTree(src: string, dst: string): void {
    const moved: [string, Entry][] = []
    for (const [p, e] of this.entries)
      if (p === src || p.startsWith(src + '/')) moved.push([dst + p.slice(src.length), e])
    this.removeTree(src)
    for (const [p, e] of moved) this.entries.set(p, e)
  }
}

/** What the engine must answer for a private operation: a value, or an error code. */
type Expect = { value: unknown } | { code: string }

function isUnder(ancestor: string, path: string): boolean {
  return path === ancestor || path.startsWith(ancestor + '/')
}

describe('metadata engine under concurrent load on PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> }
  const engines: SqlMetaEngine[] = []

  before(async () => {
    db = await createTestDatabase()
  })

  after(async () => {
    for (const e of engines) await e.close().catch(() => undefined)
    await db?.drop()
  })

  it(`${WORKERS} workers on two NameNodes keep the namespace consistent and lose no acknowledged operation`, async () => {
    const engineOptions = { poolSize: 8, heartbeatIntervalMs: 500 }
    const nnA = await openMetaEngine(db.url, engineOptions)
    engines.push(nnA)
    const nnB = await openMetaEngine(db.url, engineOptions)
    engines.push(nnB)
    assert.notEqual(nnA.namenodeId, nnB.namenodeId)

    // Layout: /s is the contended tree (quota SHARED_NS_QUOTA), /s/q a directory with its own
    // quota that no operation deletes or renames, /p/w<i> the private areas.
    await nnA.mkdirs({ path: '/s/q' }, SUPER)
    await nnA.setQuota({ path: '/s', nsQuota: SHARED_NS_QUOTA }, SUPER)
    await nnA.setQuota({ path: '/s/q', nsQuota: Q_NS_QUOTA }, SUPER)
    for (let w = 0; w < WORKERS; w++)
      await nnA.mkdirs({ path: `/p/w${w}`, permission: 0o755, umask: 0 }, SUPER)

    const stats = new Stats()
    const uniques: { worker: number; path: string; id: number; parentId: number }[] = []
    const models: PrivateModel[] = []
    let retriablePrivate = 0
    const deadline = Date.now() + SECONDS * 1000
    console.log(`seed ${SEED}, ${WORKERS} workers, ${SECONDS} s`)

    const L1 = ['a', 'b', 'q']
    const LN = ['a', 'b', 'c']

    async function worker(w: number): Promise<void> {
      const engine = w % 2 === 0 ? nnA : nnB
      const rand = rng(SEED + w * 7919)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
      const clientName = `client-${engine.namenodeId}`
      const sharedPath = (): string => {
        const depth = 1 + Math.floor(rand() * 3)
        const comps = [pick(L1)]
        for (let i = 1; i < depth; i++) comps.push(pick(LN))
        return '/s/' + comps.join('/')
      }
      /** A path that may be deleted, renamed or overwritten: never /s/q itself. */
      const movablePath = (): string => {
        for (;;) {
          const p = sharedPath()
          if (p !== '/s/q') return p
        }
      }
      const model = new PrivateModel()
      models[w] = model
      const root = `/p/w${w}`
      let uniqueSeq = 0

      async function privateOp(): Promise<void> {
        const abs = (rel: string) => root + rel
        const dirs = model.dirs()
        const r = rand()
        let expect: Expect
        let run: () => Promise<unknown>
        let apply: () => void = () => undefined
        let label: string
        if (r < 0.25) {
          const path = `${pick(dirs)}/${pick(PRIVATE_NAMES)}`
          const mode = pick(MODES)
          const e = model.entries.get(path)
          label = `mkdirs ${path}`
          expect = e === undefined || e.type === 'd' ? { value: true } : { code: 'FILE_EXISTS' }
          if (e === undefined) apply = () => model.entries.set(path, { type: 'd', mode })
          run = () => engine.mkdirs({ path: abs(path), permission: mode, umask: 0 }, SUPER)
        } else if (r < 0.5) {
          const path = `${pick(dirs)}/${pick(PRIVATE_NAMES)}`
          const mode = pick(MODES)
          label = `create ${path}`
          const exists = model.entries.has(path)
          expect = exists ? { code: 'FILE_EXISTS' } : { value: 'created' }
          if (!exists) apply = () => model.entries.set(path, { type: 'f', mode })
          run = async () => {
            await engine.create(
              {
                path: abs(path),
                clientName,
                permission: mode,
                umask: 0,
                overwrite: false,
                createParent: false,
              },
              SUPER,
            )
            return 'created'
          }
        } else if (r < 0.65) {
          const existing = model.nonRoot()
          const path =
            existing.length > 0 && rand() < 0.8
              ? pick(existing)
              : `${pick(dirs)}/${pick(PRIVATE_NAMES)}`
          const recursive = rand() < 0.7
          const e = model.entries.get(path)
          label = `delete ${path} recursive=${recursive}`
          if (e === undefined) expect = { value: false }
          else if (e.type === 'd' && !recursive && model.hasChildren(path))
            expect = { code: 'DIRECTORY_NOT_EMPTY' }
          else {
            expect = { value: true }
            apply = () => model.removeTree(path)
          }
          run = () => engine.delete({ path: abs(path), recursive }, SUPER)
        } else if (r < 0.85) {
          const existing = model.nonRoot()
          const src =
            existing.length > 0 && rand() < 0.9
              ? pick(existing)
              : `${pick(dirs)}/${pick(PRIVATE_NAMES)}`
          const dstArg = rand() < 0.3 ? pick(dirs) : `${pick(dirs)}/${pick(PRIVATE_NAMES)}`
          let dst = dstArg
          label = `rename ${src} -> ${dst}`
          // The legacy rename's decision sequence (HDFS FSDirRenameOp.renameTo):
          const source = model.entries.get(src)
          const srcName = src.slice(src.lastIndexOf('/') + 1)
          if (source === undefined) expect = { value: false }
          else {
            const dstEntry = model.entries.get(dst)
            if (dstEntry?.type === 'd' && dst !== src) dst = `${dst}/${srcName}`
            const parent = dst.slice(0, dst.lastIndexOf('/'))
            if (dst === src) expect = { value: true }
            else if (isUnder(src, dst)) expect = { code: 'IO_ERROR' }
            else if (model.entries.get(parent)?.type !== 'd') expect = { value: false }
            else if (model.entries.has(dst)) expect = { value: false }
            else {
              expect = { value: true }
              const finalDst = dst
              apply = () => model.moveTree(src, finalDst)
            }
          }
          run = () => engine.rename({ src: abs(src), dst: abs(dstArg) }, SUPER)
        } else {
          const existing = model.nonRoot()
          const path =
            existing.length > 0 && rand() < 0.9
              ? pick(existing)
              : `${pick(dirs)}/${pick(PRIVATE_NAMES)}`
          const mode = pick(MODES)
          const e = model.entries.get(path)
          label = `setPermission ${path} ${mode.toString(8)}`
          if (e === undefined) expect = { code: 'FILE_NOT_FOUND' }
          else {
            expect = { value: undefined }
            apply = () => model.entries.set(path, { ...e, mode })
          }
          run = () => engine.setPermission(abs(path), mode, SUPER)
        }
        let got: Expect
        try {
          got = { value: await run() }
        } catch (err) {
          if (isFsError(err, 'RETRIABLE')) {
            retriablePrivate++
            return // rolled back: the model stays as it was
          }
          got = { code: isFsError(err) ? err.code : `non-FsError: ${(err as Error)?.message}` }
        }
        if (JSON.stringify(got) !== JSON.stringify(expect)) {
          stats.mismatches.push(
            `worker ${w} ${label}: expected ${JSON.stringify(expect)}, got ${JSON.stringify(got)}`,
          )
          return
        }
        apply()
      }

      async function sharedOp(): Promise<void> {
        const r = rand()
        if (r < 0.16) {
          const path = sharedPath()
          await attempt(stats, 'mkdirs', path, () =>
            engine.mkdirs({ path, permission: 0o755 }, SUPER),
          )
        } else if (r < 0.3) {
          const path = movablePath()
          const overwrite = rand() < 0.4
          await attempt(stats, 'create', path, () =>
            engine.create({ path, clientName, overwrite }, SUPER),
          )
        } else if (r < 0.4) {
          // A file no other operation names: its fate is checked at the end.
          const path = `${sharedPath()}/u-${w}-${uniqueSeq++}`
          const rec = await attempt(stats, 'createUnique', path, () =>
            engine.create({ path, clientName, createParent: rand() < 0.5 }, SUPER),
          )
          if (rec !== undefined)
            uniques.push({ worker: w, path, id: rec.inodeId, parentId: rec.parentId })
        } else if (r < 0.55) {
          const src = movablePath()
          const dst = rand() < 0.5 ? sharedPath() : movablePath()
          await attempt(stats, 'rename', `${src} -> ${dst}`, () =>
            engine.rename({ src, dst }, SUPER),
          )
        } else if (r < 0.65) {
          const src = movablePath()
          const dst = movablePath()
          const overwrite = rand() < 0.5
          await attempt(stats, 'rename2', `${src} -> ${dst} overwrite=${overwrite}`, () =>
            engine.rename2({ src, dst, overwrite }, SUPER),
          )
        } else if (r < 0.77) {
          const path = movablePath()
          const recursive = rand() < 0.7
          await attempt(stats, 'delete', `${path} recursive=${recursive}`, () =>
            engine.delete({ path, recursive }, SUPER),
          )
        } else if (r < 0.87) {
          const path = sharedPath()
          await attempt(stats, 'setPermission', path, () =>
            engine.setPermission(path, pick(MODES), SUPER),
          )
        } else if (r < 0.94) {
          const path = rand() < 0.2 ? '/s' : sharedPath()
          await attempt(stats, 'listStatus', path, () =>
            engine.listStatus({ path, limit: 100 }, SUPER),
          )
        } else {
          const path = rand() < 0.2 ? '/s' : sharedPath()
          await attempt(stats, 'getContentSummary', path, () =>
            engine.getContentSummary(path, SUPER),
          )
        }
      }

      while (Date.now() < deadline) {
        if (rand() < 0.25) await privateOp()
        else await sharedOp()
      }
    }

    /** Sets or clears quotas on random shared directories, and re-sets /s/q's, under load. */
    async function quotaWorker(): Promise<void> {
      const rand = rng(SEED ^ 0x5bd1e995)
      while (Date.now() < deadline) {
        const r = rand()
        const path =
          r < 0.3 ? '/s/q' : `/s/${['a', 'b'][Math.floor(rand() * 2)]}${rand() < 0.5 ? '/a' : ''}`
        const nsQuota =
          path === '/s/q' ? Q_NS_QUOTA : rand() < 0.3 ? -1 : 5 + Math.floor(rand() * 30)
        await attempt(stats, 'setQuota', `${path} ${nsQuota}`, () =>
          (rand() < 0.5 ? nnA : nnB).setQuota({ path, nsQuota }, SUPER),
        )
        await sleep(300 + rand() * 500)
      }
    }

    /** Folds quota deltas while writers add them (the leader's housekeeping). */
    async function folder(): Promise<void> {
      while (Date.now() < deadline) {
        await attempt(stats, 'applyQuotaUpdates', '', () => nnA.applyQuotaUpdates())
        await sleep(100)
      }
    }

    const started = Date.now()
    await Promise.all([
      ...Array.from({ length: WORKERS }, (_, w) => worker(w)),
      quotaWorker(),
      folder(),
    ])
    const elapsed = (Date.now() - started) / 1000

    // Nothing runs any more: check the tables.
    const report = await checkMetaInvariants(db.url)

    // Unique files: present (same parent, same name) if and only if their parent still exists.
    const ids = uniques.map((u) => u.id)
    const parentIds = [...new Set(uniques.map((u) => u.parentId))]
    const { default: pg } = await import('pg')
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    let present = 0
    const lost: string[] = []
    try {
      const rows = (
        await client.query<{ id: number; parent_id: number; name: string }>(
          'SELECT id::int AS id, parent_id::int AS parent_id, name FROM inodes WHERE id = ANY($1::bigint[])',
          [ids],
        )
      ).rows
      const byId = new Map(rows.map((r) => [r.id, r]))
      const parents = new Set(
        (
          await client.query<{ id: number }>(
            'SELECT id::int AS id FROM inodes WHERE id = ANY($1::bigint[])',
            [parentIds],
          )
        ).rows.map((r) => r.id),
      )
      for (const u of uniques) {
        const row = byId.get(u.id)
        const name = u.path.slice(u.path.lastIndexOf('/') + 1)
        if (row !== undefined) {
          present++
          if (row.parent_id !== u.parentId || row.name !== name)
            lost.push(`${u.path} (inode ${u.id}) moved to parent ${row.parent_id} name ${row.name}`)
        } else if (parents.has(u.parentId)) {
          lost.push(`${u.path} (inode ${u.id}) is gone but its directory ${u.parentId} is not`)
        }
      }
    } finally {
      await client.end()
    }

    // Private areas: the database must equal each worker's model.
    const privateDiffs: string[] = []
    for (let w = 0; w < WORKERS; w++) {
      const actual = await listSubtree(db.url, `/p/w${w}`)
      const model = models[w]!
      const expected = new Map(
        [...model.entries].map(([p, e]) => [
          p,
          { type: e.type === 'd' ? 2 : 1, permission: e.mode },
        ]),
      )
      for (const [p, e] of expected) {
        const a = actual.get(p)
        if (a === undefined || a.type !== e.type || (p !== '' && a.permission !== e.permission))
          privateDiffs.push(`w${w}${p}: expected ${JSON.stringify(e)}, found ${JSON.stringify(a)}`)
      }
      for (const p of actual.keys())
        if (!expected.has(p)) privateDiffs.push(`w${w}${p}: in the database but not acknowledged`)
    }

    const totalOps =
      [...stats.ok.values()].reduce((a, b) => a + b, 0) +
      [...stats.errors.values()].reduce((a, b) => a + b, 0)
    const privateEntries = models.reduce((n, m) => n + m.entries.size, 0)
    console.log(
      JSON.stringify(
        {
          elapsedSeconds: elapsed,
          sharedOps: totalOps,
          successes: Object.fromEntries(stats.ok),
          errors: Object.fromEntries([...stats.errors].sort()),
          retriableShared: stats.count('RETRIABLE'),
          retriablePrivate,
          uniqueFilesAcknowledged: uniques.length,
          uniqueFilesPresent: present,
          privateEntries,
          inodes: report.inodes,
          txnRestarts: [nnA.stats().txnRestarts, nnB.stats().txnRestarts],
        },
        null,
        2,
      ),
    )

    assert.deepEqual(stats.unexpected, [], 'unexpected errors (bugs) during the run')
    assert.deepEqual(report.violations, [], 'namespace invariants')
    assert.deepEqual(stats.mismatches, [], 'private operations answered differently from the model')
    assert.deepEqual(privateDiffs, [], 'private areas differ from the acknowledged operations')
    assert.deepEqual(lost, [], 'acknowledged unique creates lost')
    // The run must have done real work, or the checks above prove nothing.
    assert.ok(
      (stats.ok.get('rename') ?? 0) + (stats.ok.get('rename2') ?? 0) > 20,
      'renames succeeded',
    )
    assert.ok((stats.ok.get('delete') ?? 0) > 20, 'deletes succeeded')
    assert.ok(uniques.length > 20, 'unique creates acknowledged')
    assert.ok(privateEntries > WORKERS, 'private entries exist')
    assert.ok(stats.count('NS_QUOTA_EXCEEDED') > 0, 'the quotas were reached')
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
