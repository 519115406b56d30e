/**
 * @module
 * Raw-driver baselines measured in the same process and run as the engine workloads: what
 * better-sqlite3 and `pg` do alone on a table of the same shape (`inodes`), so each engine
 * number can be read as a fraction of what the database and driver allow.
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import pg from 'pg'
import { INODE_COLUMNS } from '../src/meta/sql/inode-row.js'
import { up as initialSchema } from '../src/meta/sql/migrations/0001-initial.js'
import { sqliteProfile } from '../src/meta/sql/dialects/sqlite.js'
import type { EngineKind, Fixtures } from './meta-bench.js'
import { LIST_ENTRIES, fmt } from './meta-bench.js'
import { runSync, runTimed } from './timed-loop.js'
import type { LoopOptions, Measurement } from './timed-loop.js'

/** Names of the baselines, as the report refers to them. */
export const BASELINE = {
  sqliteByName: 'raw sqlite (parent_id,name) lookup',
  sqliteById: 'raw sqlite id lookup',
  sqliteChainIn: 'raw sqlite id IN (7 ids)',
  sqliteList: 'raw sqlite list 1000',
  sqliteInsert: 'raw sqlite 1-row insert txn',
  pgById: 'raw pg pk lookup',
  pgList: 'raw pg list 1000',
  pgInsert: 'raw pg 1-row insert txn',
} as const

/** One measured baseline. */
export interface BaselineResult extends Measurement {
  readonly name: string
  readonly engine: EngineKind
  /** Concurrent callers (1 for the synchronous SQLite loops). */
  readonly callers: number
}

const BY_NAME_SQL = `SELECT ${INODE_COLUMNS} FROM inodes WHERE parent_id = ? AND name = ?`
const BY_ID_SQL = `SELECT ${INODE_COLUMNS} FROM inodes WHERE id = ?`
const LIST_SQL = `SELECT ${INODE_COLUMNS} FROM inodes WHERE parent_id = ? AND name > ? ORDER BY name LIMIT ?`
const INSERT_COLUMNS = 'id, parent_id, name, type, owner, grp, permission, mtime, atime'

/**
 * SQLite baselines: lookups on the engine's own database file opened read-only (same rows, same
 * indexes, WAL readers beside the engine's connection), inserts into a fresh database with the
 * engine's schema and pragmas (WAL, synchronous=NORMAL, foreign keys on), one row per
 * `BEGIN IMMEDIATE … COMMIT`.
 */
export function sqliteBaselines(
  engineDbFile: string,
  scratchDir: string,
  fx: Fixtures,
  timing: Omit<LoopOptions, 'callers'>,
  log: (line: string) => void,
): BaselineResult[] {
  const results: BaselineResult[] = []
  const record = (name: string, m: Measurement): void => {
    results.push({ name, engine: 'sqlite', callers: 1, ...m })
    log(`  ${name}: ${fmt(m.opsPerSec)} ops/s, p50 ${m.p50Ms.toFixed(4)} ms`)
  }
  const files = fx.deepFiles
  const ro = new Database(engineDbFile, { readonly: true, fileMustExist: true })
  try {
    ro.defaultSafeIntegers(false)
    const byName = ro.prepare(BY_NAME_SQL)
    const byId = ro.prepare(BY_ID_SQL)
    record(
      BASELINE.sqliteByName,
      runSync(timing, (seq) => {
        const f = files[seq % files.length]!
        if (byName.get(f.parentId, f.name) === undefined) throw new Error(`${f.path} not found`)
      }),
    )
    record(
      BASELINE.sqliteById,
      runSync(timing, (seq) => {
        if (byId.get(files[seq % files.length]!.id) === undefined) throw new Error('not found')
      }),
    )
    const chains = fx.deepChains
    const inSql = `SELECT ${INODE_COLUMNS} FROM inodes WHERE id IN (${'?,'.repeat(6)}?)`
    const byChain = ro.prepare(inSql)
    record(
      BASELINE.sqliteChainIn,
      runSync(timing, (seq) => {
        if (byChain.all(...chains[seq % chains.length]!).length !== 7) throw new Error('short')
      }),
    )
    const list = ro.prepare(LIST_SQL)
    record(
      BASELINE.sqliteList,
      runSync(timing, () => {
        if (list.all(fx.listDirId, '', LIST_ENTRIES + 1).length !== LIST_ENTRIES)
          throw new Error('short list')
      }),
    )
  } finally {
    ro.close()
  }

  const db = new Database(join(scratchDir, 'raw-baseline.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.exec(initialSchema(sqliteProfile.types))
    db.prepare(
      `INSERT INTO inodes (${INSERT_COLUMNS}) VALUES (1, NULL, '', 2, 'hdfs', 'g', 493, 0, 0)`,
    ).run()
    const begin = db.prepare('BEGIN IMMEDIATE')
    const commit = db.prepare('COMMIT')
    const insert = db.prepare(
      `INSERT INTO inodes (${INSERT_COLUMNS}) VALUES (?, 1, ?, 1, 'hdfs', 'supergroup', 420, ?, ?)`,
    )
    record(
      BASELINE.sqliteInsert,
      runSync(timing, (seq) => {
        const now = Date.now()
        begin.run()
        insert.run(seq + 2, `f${seq}`, now, now)
        commit.run()
      }),
    )
  } finally {
    db.close()
  }
  return results
}

/**
 * PostgreSQL baselines on the engine's database through a `pg.Pool` of 16: named prepared
 * primary-key lookups and 1000-row listings of the same rows, and one-row insert transactions
 * (`BEGIN; INSERT; COMMIT` on one pooled client) into a copy of `inodes` (same columns and
 * indexes, no foreign key), each at every requested number of callers in flight.
 */
export async function postgresBaselines(
  url: string,
  fx: Fixtures,
  callerCounts: readonly number[],
  timing: Omit<LoopOptions, 'callers'>,
  log: (line: string) => void,
): Promise<BaselineResult[]> {
  const results: BaselineResult[] = []
  const pool = new pg.Pool({ connectionString: url, max: 16 })
  pool.on('error', () => undefined)
  const files = fx.deepFiles
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS bench_raw_inodes (LIKE inodes INCLUDING ALL)')
    let nextId = 1
    for (const callers of callerCounts) {
      const options = { ...timing, callers }
      const record = (name: string, m: Measurement): void => {
        results.push({ name, engine: 'postgres', callers, ...m })
        log(`  ${name} x${callers}: ${fmt(m.opsPerSec)} ops/s, p50 ${m.p50Ms.toFixed(3)} ms`)
      }
      const stride = Math.floor(files.length / callers)
      record(
        BASELINE.pgById,
        await runTimed(options, async (k, seq) => {
          const f = files[(k * stride + seq) % files.length]!
          const res = await pool.query({
            name: 'bench_by_id',
            text: pgText(BY_ID_SQL),
            values: [f.id],
          })
          if (res.rowCount !== 1) throw new Error(`${f.path} not found`)
        }),
      )
      record(
        BASELINE.pgList,
        await runTimed(options, async () => {
          const res = await pool.query({
            name: 'bench_list',
            text: pgText(LIST_SQL),
            values: [fx.listDirId, '', LIST_ENTRIES + 1],
          })
          if (res.rowCount !== LIST_ENTRIES) throw new Error('short list')
        }),
      )
      const insertSql = pgText(
        `INSERT INTO bench_raw_inodes (${INSERT_COLUMNS}) VALUES (?, 1, ?, 1, 'hdfs', 'supergroup', 420, ?, ?)`,
      )
      record(
        BASELINE.pgInsert,
        await runTimed(options, async () => {
          const id = nextId++
          const now = Date.now()
          const client = await pool.connect()
          try {
            await client.query('BEGIN')
            await client.query({
              name: 'bench_insert',
              text: insertSql,
              values: [id, `f${id}`, now, now],
            })
            await client.query('COMMIT')
          } finally {
            client.release()
          }
        }),
      )
    }
  } finally {
    await pool.end()
  }
  return results
}

function pgText(sql: string): string {
  let i = 0
  return sql.replace(/\?/g, () => `$${++i}`)
}
