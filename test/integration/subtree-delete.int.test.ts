/**
 * Subtree delete of a large directory on real PostgreSQL (DESIGN §4 "Subtree operations"): the
 * root is marked, the work runs in many small transactions bottom-up, paths through the mark are
 * refused retriably while the owner lives, and a dead owner's mark is taken over by a client's
 * retry on another NameNode.
 *
 * Setup (both tests): /proj (namespace and space quota) holding /proj/big with 100 000 files plus
 * four subdirectories of 500 files each, and /proj/side. The files are inserted with one SQL
 * statement (test/support/bulk-tree.ts documents how the rows, children_num and the id counter
 * are kept consistent); the quota is set afterwards, so setQuota's own recount gives the usage.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { isFsError } from '../../src/common/fs-error.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine, SqlMetaEngineOptions } from '../../src/meta/sql/sql-meta-engine.js'
import { bulkInsertFiles, countSubtree } from '../support/bulk-tree.js'
import { checkMetaInvariants } from '../support/meta-invariants.js'
import { createTestDatabase } from '../support/postgres.js'

const SUPER = { user: 'hdfs' } as const
const BIG_FILES = 100_000
const SUBDIRS = 4
const SUBDIR_FILES = 500
/** Inodes under /proj/big, itself included. */
const BIG_INODES = 1 + BIG_FILES + SUBDIRS * (1 + SUBDIR_FILES)
/** Inner and beside workers during the in-process delete (each engine gets half). */
const INSIDE_WORKERS = 4
const BESIDE_WORKERS = 4
/** The fault test kills the child after it deleted at least this many inodes. */
const KILL_AFTER_DELETED = 5_000

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const childScript = fileURLToPath(new URL('../support/subtree-delete-child.ts', import.meta.url))

describe('subtree delete of a 100 000-file directory on PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> } | undefined
  let engines: SqlMetaEngine[] = []
  let children: ReturnType<typeof spawn>[] = []

  async function open(options: SqlMetaEngineOptions = {}): Promise<SqlMetaEngine> {
    const engine = await openMetaEngine(db!.url, { poolSize: 6, ...options })
    engines.push(engine)
    return engine
  }

  /** Builds the tree described above; returns the inode id of /proj/big. */
  async function buildTree(engine: SqlMetaEngine): Promise<number> {
    const started = Date.now()
    await engine.mkdirs({ path: '/proj/side' }, SUPER)
    for (let s = 0; s < SUBDIRS; s++) await engine.mkdirs({ path: `/proj/big/sub${s}` }, SUPER)
    const bigId = await bulkInsertFiles(db!.url, {
      parentPath: '/proj/big',
      count: BIG_FILES,
      firstId: 50_000_000,
    })
    for (let s = 0; s < SUBDIRS; s++) {
      await bulkInsertFiles(db!.url, {
        parentPath: `/proj/big/sub${s}`,
        count: SUBDIR_FILES,
        firstId: 60_000_000 + s * 10_000,
      })
    }
    await engine.setQuota({ path: '/proj', nsQuota: 1_000_000, ssQuota: 10 ** 12 }, SUPER)
    const usage = await engine.getQuotaUsage('/proj', SUPER)
    assert.equal(usage.fileAndDirectoryCount, 2 + BIG_INODES) // /proj, /proj/side, the rest
    assert.equal(usage.spaceConsumed, (BIG_FILES + SUBDIRS * SUBDIR_FILES) * 1000 * 3)
    const report = await checkMetaInvariants(db!.url)
    assert.deepEqual(report.violations, [], 'the bulk-inserted tree is consistent')
    console.log(`setup: ${report.inodes} inodes in ${Date.now() - started} ms`)
    return bigId
  }

  /** Folds deltas, then checks /proj's usage and every table invariant. */
  async function checkAfter(engine: SqlMetaEngine, expectedProjInodes: number): Promise<void> {
    while ((await engine.applyQuotaUpdates()) > 0) {
      /* fold all */
    }
    const usage = await engine.getQuotaUsage('/proj', SUPER)
    assert.equal(usage.fileAndDirectoryCount, expectedProjInodes, '/proj namespace usage')
    assert.equal(usage.spaceConsumed, 0, '/proj space usage (beside files are empty)')
    const report = await checkMetaInvariants(db!.url)
    assert.deepEqual(report.violations, [], 'namespace invariants after the delete')
  }

  beforeEach(async () => {
    db = await createTestDatabase()
  })

  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    children = []
    for (const e of engines) await e.close().catch(() => undefined)
    engines = []
    await db?.drop()
    db = undefined
  })

  it('refuses writers inside the subtree while it is deleted, serves writers beside it, and leaves a consistent namespace', async () => {
    let deletedSoFar = 0
    let marked!: () => void
    const markedPromise = new Promise<void>((resolve) => (marked = resolve))
    const owner = await open({
      onSubtreeProgress: (n) => {
        deletedSoFar += n
        marked()
      },
    })
    const other = await open()
    const bigId = await buildTree(owner)

    const t0 = Date.now()
    let deleteDone = false
    const deletion = owner.delete({ path: '/proj/big', recursive: true }, SUPER).finally(() => {
      deleteDone = true
    })
    // The first batch has committed, so the mark is in place: start the other workers.
    await markedPromise

    const insideOutcomes = new Map<string, number>()
    const violations: string[] = []
    const note = (key: string) => insideOutcomes.set(key, (insideOutcomes.get(key) ?? 0) + 1)

    async function inside(w: number): Promise<void> {
      const engine = w % 2 === 0 ? owner : other
      for (let n = 0; !deleteDone; n++) {
        const k = Math.floor(Math.random() * BIG_FILES)
        const ops: [string, () => Promise<unknown>][] = [
          [
            'create',
            () =>
              engine.create(
                { path: `/proj/big/new-${w}-${n}`, clientName: `in-${w}`, createParent: false },
                SUPER,
              ),
          ],
          [
            'create in subdir',
            () =>
              engine.create(
                {
                  path: `/proj/big/sub${n % SUBDIRS}/new-${w}-${n}`,
                  clientName: `in-${w}`,
                  createParent: false,
                },
                SUPER,
              ),
          ],
          ['delete', () => engine.delete({ path: `/proj/big/f${k}`, recursive: false }, SUPER)],
          ['getFileInfo', () => engine.getFileInfo(`/proj/big/f${k}`, SUPER)],
          [
            'setPermission',
            () => engine.setPermission(`/proj/big/sub${n % SUBDIRS}`, 0o700, SUPER),
          ],
        ]
        const [name, run] = ops[n % ops.length]!
        try {
          const result = await run()
          // A delete of a path that no longer exists answers false; anything else that
          // succeeds went through (or around) the mark.
          if (name === 'delete' && result === false) note(`${name}:false`)
          else violations.push(`${name} inside the subtree succeeded: ${JSON.stringify(result)}`)
        } catch (err) {
          const code = isFsError(err) ? err.code : 'non-FsError'
          note(`${name}:${code}`)
          if (code !== 'RETRIABLE' && code !== 'FILE_NOT_FOUND')
            violations.push(`${name} inside: ${code}: ${(err as Error).message}`)
        }
      }
    }

    const besideFiles = new Set<string>()
    let besideOps = 0
    async function beside(w: number): Promise<void> {
      const engine = w % 2 === 0 ? owner : other
      for (let n = 0; !deleteDone; n++) {
        const path = `/proj/side/b-${w}-${n}`
        try {
          await engine.create({ path, clientName: `side-${w}` }, SUPER)
          besideFiles.add(path)
          besideOps++
          if (n % 2 === 1) {
            const victim = `/proj/side/b-${w}-${n - 1}`
            assert.equal(await engine.delete({ path: victim }, SUPER), true)
            besideFiles.delete(victim)
            besideOps++
          }
          await engine.listStatus({ path: '/proj/side', limit: 10 }, SUPER)
          besideOps++
        } catch (err) {
          violations.push(`beside ${path}: ${(err as Error).message}`)
        }
      }
    }

    const folding = (async () => {
      while (!deleteDone) {
        await other.applyQuotaUpdates()
        await sleep(200)
      }
    })()
    await Promise.all([
      ...Array.from({ length: INSIDE_WORKERS }, (_, w) => inside(w)),
      ...Array.from({ length: BESIDE_WORKERS }, (_, w) => beside(w)),
      folding,
    ])
    assert.equal(await deletion, true)
    const seconds = (Date.now() - t0) / 1000
    console.log(
      JSON.stringify({
        deleteSeconds: seconds,
        inodesPerSecond: Math.round(BIG_INODES / seconds),
        deletedByBatches: deletedSoFar,
        insideOutcomes: Object.fromEntries(insideOutcomes),
        besideOps,
        restarts: [owner.stats().txnRestarts, other.stats().txnRestarts],
      }),
    )

    assert.deepEqual(violations, [])
    assert.ok(
      (insideOutcomes.get('create:RETRIABLE') ?? 0) > 0,
      'writers inside were refused while the mark was held',
    )
    assert.ok(besideOps >= 20, `writers beside kept working (${besideOps} operations)`)
    assert.equal(deletedSoFar, BIG_INODES - 1, 'every inode but the root went in a batch')
    await assert.rejects(owner.getFileInfo('/proj/big', SUPER), (e) =>
      isFsError(e, 'FILE_NOT_FOUND'),
    )
    assert.equal(await countSubtree(db!.url, bigId), 0)
    const sideNow = await other.listStatus({ path: '/proj/side', limit: 100_000 }, SUPER)
    assert.equal(sideNow.remaining, 0)
    const listed = new Set(sideNow.entries.map((e) => `/proj/side/${e.name}`))
    assert.deepEqual(
      {
        missing: [...besideFiles].filter((p) => !listed.has(p)),
        unexpected: [...listed].filter((p) => !besideFiles.has(p)),
      },
      { missing: [], unexpected: [] },
      'every acknowledged beside create/delete is reflected',
    )
    await checkAfter(other, 2 + besideFiles.size)
  })

  it('a delete whose NameNode is killed is refused while its heartbeat is fresh and finished by a retry once it is stale', async () => {
    const setup = await open()
    const bigId = await buildTree(setup)
    await setup.close()

    const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
      cwd: repoRoot,
      env: {
        ...process.env,
        HOPS_META_URL: db!.url,
        HOPS_PATH: '/proj/big',
        HOPS_BATCH: '100',
        HOPS_HEARTBEAT_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

    // The NameNode that takes over, opened now so that it is ready the moment the child dies.
    const rescuer = await open({ settings: { namenodeDeadAfterMs: 1000 }, maxTxnAttempts: 3 })

    // Wait until the child deleted some thousands of inodes, then kill it without warning.
    const client = new pg.Client({ connectionString: db!.url })
    await client.connect()
    try {
      const deadline = Date.now() + 60_000
      let left = BIG_INODES
      while (left > BIG_INODES - KILL_AFTER_DELETED) {
        assert.ok(Date.now() < deadline, `child made no progress: ${out} ${err}`)
        assert.equal(child.exitCode, null, `child exited early: ${out} ${err}`)
        await sleep(50)
        left = await countSubtree(db!.url, bigId)
      }
      child.kill('SIGKILL')
      await exited
      assert.doesNotMatch(out, /done/, 'the child was killed before it finished')
      const childNn = Number(/namenode (\d+)/.exec(out)?.[1])
      assert.ok(childNn > 0, `child printed its NameNode id: ${out} ${err}`)

      // The mark and the half-done work are left behind.
      const leftAtKill = await countSubtree(db!.url, bigId)
      assert.ok(leftAtKill > 1 && leftAtKill <= BIG_INODES - KILL_AFTER_DELETED, `${leftAtKill}`)
      const mark = (
        await client.query<{ subtree_owner: number }>(
          'SELECT subtree_owner::int AS subtree_owner FROM inodes WHERE id = $1',
          [bigId],
        )
      ).rows[0]
      assert.equal(mark?.subtree_owner, childNn, 'the dead NameNode still marks /proj/big')
      const heartbeat = Number(
        (
          await client.query<{ hb: number }>(
            'SELECT last_heartbeat::float8 AS hb FROM namenodes WHERE id = $1',
            [childNn],
          )
        ).rows[0]?.hb,
      )

      // While the heartbeat is fresh the subtree is refused; beside it work goes on.
      const [del, info, create, sideCreate] = await Promise.allSettled([
        rescuer.delete({ path: '/proj/big', recursive: true }, SUPER),
        rescuer.getFileInfo('/proj/big/sub0', SUPER),
        rescuer.create({ path: '/proj/big/late', clientName: 'late', createParent: false }, SUPER),
        rescuer.create({ path: '/proj/side/x', clientName: 'late' }, SUPER),
      ])
      const observedAt = Date.now()
      assert.ok(
        observedAt - heartbeat < 1000,
        `the refusals were observed ${observedAt - heartbeat} ms after the last heartbeat, not within the 1000 ms it stays fresh`,
      )
      for (const [name, r] of [
        ['delete', del],
        ['getFileInfo', info],
        ['create', create],
      ] as const) {
        assert.equal(r.status, 'rejected', `${name} through a live mark must be refused`)
        assert.ok(isFsError(r.reason, 'RETRIABLE'), `${name}: ${String(r.reason)}`)
      }
      assert.equal(sideCreate.status, 'fulfilled', 'a create beside the subtree succeeds')
      assert.equal(await countSubtree(db!.url, bigId), leftAtKill, 'nothing deleted meanwhile')

      // Once the heartbeat is stale, the client's retry takes the mark over and finishes.
      while (Date.now() - heartbeat <= 1100) await sleep(50)
      const t0 = Date.now()
      assert.equal(await rescuer.delete({ path: '/proj/big', recursive: true }, SUPER), true)
      console.log(
        JSON.stringify({
          deletedByChild: BIG_INODES - leftAtKill,
          finishedByRescuer: leftAtKill,
          rescueSeconds: (Date.now() - t0) / 1000,
        }),
      )
      await assert.rejects(rescuer.getFileInfo('/proj/big', SUPER), (e) =>
        isFsError(e, 'FILE_NOT_FOUND'),
      )
      assert.equal(await countSubtree(db!.url, bigId), 0)
      const ops = await client.query('SELECT * FROM subtree_ops')
      assert.equal(ops.rowCount, 0, 'no subtree_ops row left')
    } finally {
      await client.end()
    }
    await checkAfter(rescuer, 3) // /proj, /proj/side, /proj/side/x
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
