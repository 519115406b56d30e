/**
 * Focused reproductions, on real PostgreSQL, of the defects the concurrency stress test
 * (meta-concurrency.int.test.ts) runs into; each isolates one interleaving so that a fix can be
 * checked in seconds. Timed loops run for HOPS_RACE_SECONDS (default 4).
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import pg from 'pg'
import { isFsError } from '../../src/common/fs-error.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../../src/meta/sql/sql-meta-engine.js'
import { checkMetaInvariants } from '../support/meta-invariants.js'
import { createTestDatabase } from '../support/postgres.js'

const SUPER = { user: 'hdfs' } as const
const SECONDS = Number(process.env.HOPS_RACE_SECONDS ?? 4)

describe('metadata engine races on PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> } | undefined
  let a: SqlMetaEngine
  let b: SqlMetaEngine

  beforeEach(async () => {
    db = await createTestDatabase()
    a = await openMetaEngine(db.url, { poolSize: 8 })
    b = await openMetaEngine(db.url, { poolSize: 8 })
  })

  afterEach(async () => {
    await a?.close()
    await b?.close()
    await db?.drop()
  })

  /** Runs `fn(i)` in a loop on `n` workers for SECONDS; tallies outcomes as `label:code`. */
  async function hammer(
    n: number,
    label: string,
    fn: (i: number, engine: SqlMetaEngine) => Promise<unknown>,
    outcomes: Map<string, number>,
    deadline: number,
  ): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        while (Date.now() < deadline) {
          let key: string
          try {
            await fn(i, i % 2 === 0 ? a : b)
            key = `${label}:ok`
          } catch (err) {
            key = `${label}:${isFsError(err) ? err.code : 'non-FsError'}`
          }
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
        }
      }),
    )
  }

  const internal = (outcomes: Map<string, number>) =>
    [...outcomes].filter(([k]) => k.endsWith(':INTERNAL') || k.endsWith(':non-FsError'))

  it('rename refuses a destination whose parent is a file', async () => {
    await a.create({ path: '/f', clientName: 'c' }, SUPER)
    await a.mkdirs({ path: '/d' }, SUPER)
    // HDFS: rename answers false, rename2 throws ParentNotDirectoryException.
    assert.equal(await a.rename({ src: '/d', dst: '/f/x' }, SUPER), false)
    await assert.rejects(a.rename2({ src: '/d', dst: '/f/y' }, SUPER), (e) =>
      isFsError(e, 'PARENT_NOT_DIRECTORY'),
    )
    assert.equal((await a.getFileInfo('/d', SUPER)).type, 'DIRECTORY')
    assert.deepEqual((await checkMetaInvariants(db!.url)).violations, [])
  })

  it('a recursive delete racing with creates deeper inside the directory never fails internally', async () => {
    const outcomes = new Map<string, number>()
    const deadline = Date.now() + SECONDS * 1000
    let n = 0
    await Promise.all([
      hammer(
        6,
        'create',
        (i, e) => e.create({ path: `/t/sub/f${i}-${n++}`, clientName: `c${i}` }, SUPER),
        outcomes,
        deadline,
      ),
      hammer(
        2,
        'delete',
        (_, e) => e.delete({ path: '/t', recursive: true }, SUPER),
        outcomes,
        deadline,
      ),
    ])
    console.log(Object.fromEntries(outcomes))
    assert.deepEqual(internal(outcomes), [])
    assert.ok((outcomes.get('delete:ok') ?? 0) > 0 && (outcomes.get('create:ok') ?? 0) > 0)
    assert.deepEqual((await checkMetaInvariants(db!.url)).violations, [])
  })

  it('quota usage stays exact while a directory moves out of and back into a quota directory under creates', async () => {
    await a.mkdirs({ path: '/qq/t/sub' }, SUPER)
    await a.setQuota({ path: '/qq', nsQuota: 1_000_000 }, SUPER)
    const outcomes = new Map<string, number>()
    const deadline = Date.now() + SECONDS * 1000
    let n = 0
    await Promise.all([
      hammer(
        6,
        'create',
        (i, e) =>
          e.create(
            { path: `/qq/t/sub/f${i}-${n++}`, clientName: `c${i}`, createParent: false },
            SUPER,
          ),
        outcomes,
        deadline,
      ),
      hammer(
        1,
        'move',
        async (_, e) => {
          await e.rename2({ src: '/qq/t', dst: '/out' }, SUPER)
          await e.rename2({ src: '/out', dst: '/qq/t' }, SUPER)
        },
        outcomes,
        deadline,
      ),
    ])
    console.log(Object.fromEntries(outcomes))
    assert.deepEqual(internal(outcomes), [])
    assert.ok((outcomes.get('move:ok') ?? 0) > 0 && (outcomes.get('create:ok') ?? 0) > 0)
    assert.deepEqual((await checkMetaInvariants(db!.url)).violations, [])
  })

  it('charging a quota never deadlocks with an operation that locks the quota directory', async () => {
    // DESIGN §4: locks are taken in one total order "so concurrent operations cannot deadlock".
    // PostgreSQL only detects a deadlock after deadlock_timeout (1 s by default), so each one
    // stalls both operations for a second before the retry.
    await a.mkdirs({ path: '/qq' }, SUPER)
    await a.setQuota({ path: '/qq', nsQuota: 1_000_000 }, SUPER)
    const outcomes = new Map<string, number>()
    const deadline = Date.now() + SECONDS * 1000
    let n = 0
    await Promise.all([
      hammer(
        6,
        'create',
        (i, e) => e.create({ path: `/qq/t/sub/f${i}-${n++}`, clientName: `c${i}` }, SUPER),
        outcomes,
        deadline,
      ),
      hammer(
        1,
        'delete',
        (_, e) => e.delete({ path: '/qq/t', recursive: true }, SUPER),
        outcomes,
        deadline,
      ),
    ])
    await sleep(1500) // let the backends flush their statistics
    const client = new pg.Client({ connectionString: db!.url })
    await client.connect()
    let deadlocks: number
    try {
      await client.query('SELECT pg_stat_clear_snapshot()')
      deadlocks = Number(
        (
          await client.query<{ deadlocks: string }>(
            'SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()',
          )
        ).rows[0]?.deadlocks,
      )
    } finally {
      await client.end()
    }
    console.log({ ...Object.fromEntries(outcomes), deadlocks })
    assert.equal(deadlocks, 0, 'deadlocks detected by PostgreSQL')
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
