/**
 * @module
 * Baselines measured in the same process and run as the engine workloads: what better-sqlite3
 * and `pg` do alone on a table of the same shape (`inodes`), so each engine number can be read
 * as a fraction of what the database and driver allow; and what the local kernel filesystem does
 * for the matching namespace operations (`fs.promises` mkdir, stat, rename, chmod in a temp
 * directory on the same disk), the single-machine filesystem a NameNode is compared with.
 */
import Database from 'better-sqlite3'
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import fsp from 'node:fs/promises'
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
  fsMkdir: 'kernel fs mkdir',
  fsStat: 'kernel fs stat 6-deep file',
  fsStatDir: 'kernel fs stat dir',
  fsRename: 'kernel fs rename',
  fsChmod: 'kernel fs chmod',
  fsMkdirSync: 'kernel fs mkdirSync (no thread pool)',
  fsStatSync: 'kernel fs statSync 6-deep file (no thread pool)',
  fsRenameSync: 'kernel fs renameSync (no thread pool)',
} as const

/** One measured baseline. */
export interface BaselineResult extends Measurement {
  readonly name: string
  /** The engine whose database it measured, or `kernel` for the local filesystem. */
  readonly engine: EngineKind | 'kernel'
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

/**
 * The local kernel filesystem under `scratchDir` (the disk the SQLite files are on), through
 * `fs.promises` (libuv's thread pool, as a Node server would call it), at each caller count:
 * mkdir of new directories (one parent per caller), stat of files 6 components deep and of their
 * directories (a tree of the getFileInfo fixture's shape), rename of one file per caller back and
 * forth between two directories, chmod of files.
 */
export async function kernelFsBaselines(
  scratchDir: string,
  callerCounts: readonly number[],
  timing: Omit<LoopOptions, 'callers'>,
  log: (line: string) => void,
): Promise<BaselineResult[]> {
  const root = join(scratchDir, 'kernel-fs')
  const files: string[] = []
  const dirs: string[] = []
  for (let a = 0; a < 4; a++)
    for (let b = 0; b < 4; b++)
      for (let c = 0; c < 4; c++)
        for (let d = 0; d < 4; d++) {
          const dir = join(root, 'gfi', `a${a}`, `b${b}`, `c${c}`, `d${d}`)
          mkdirSync(dir, { recursive: true })
          dirs.push(dir)
          for (let f = 0; f < 8; f++) {
            writeFileSync(join(dir, `f${f}`), '')
            files.push(join(dir, `f${f}`))
          }
        }
  const results: BaselineResult[] = []
  // The system calls alone, for scale: what the thread pool's round trip adds to each above.
  const syncRecord = (name: string, m: Measurement): void => {
    results.push({ name, engine: 'kernel', callers: 1, ...m })
    log(`  ${name}: ${fmt(m.opsPerSec)} ops/s, p50 ${m.p50Ms.toFixed(4)} ms`)
  }
  const syncDir = join(root, 'sync')
  mkdirSync(join(syncDir, 'a'), { recursive: true })
  mkdirSync(join(syncDir, 'b'))
  writeFileSync(join(syncDir, 'a', 'x0'), '')
  syncRecord(
    BASELINE.fsMkdirSync,
    runSync(timing, (seq) => mkdirSync(join(syncDir, `d${seq}`))),
  )
  syncRecord(
    BASELINE.fsStatSync,
    runSync(timing, (seq) => statSync(files[seq % files.length]!)),
  )
  let at = join(syncDir, 'a', 'x0')
  syncRecord(
    BASELINE.fsRenameSync,
    runSync(timing, (seq) => {
      const dst = join(syncDir, seq % 2 === 0 ? 'b' : 'a', `x${seq + 1}`)
      renameSync(at, dst)
      at = dst
    }),
  )
  for (const callers of callerCounts) {
    const options = { ...timing, callers }
    const record = (name: string, m: Measurement): void => {
      results.push({ name, engine: 'kernel', callers, ...m })
      log(`  ${name} x${callers}: ${fmt(m.opsPerSec)} ops/s, p50 ${m.p50Ms.toFixed(4)} ms`)
    }
    const base = join(root, `c${callers}`)
    for (let k = 0; k < callers; k++) {
      mkdirSync(join(base, `w${k}`, 'a'), { recursive: true })
      mkdirSync(join(base, `w${k}`, 'b'), { recursive: true })
      writeFileSync(join(base, `w${k}`, 'a', 'x0'), '')
    }
    record(
      BASELINE.fsMkdir,
      await runTimed(options, async (k, seq) => {
        await fsp.mkdir(join(base, `w${k}`, `d${seq}`))
      }),
    )
    const stride = Math.floor(files.length / callers)
    record(
      BASELINE.fsStat,
      await runTimed(options, async (k, seq) => {
        await fsp.stat(files[(k * stride + seq) % files.length]!)
      }),
    )
    const dirStride = Math.max(1, Math.floor(dirs.length / callers))
    record(
      BASELINE.fsStatDir,
      await runTimed(options, async (k, seq) => {
        await fsp.stat(dirs[(k * dirStride + seq) % dirs.length]!)
      }),
    )
    const where = Array.from({ length: callers }, (_, k) => join(base, `w${k}`, 'a', 'x0'))
    record(
      BASELINE.fsRename,
      await runTimed(options, async (k, seq) => {
        const src = where[k]!
        const dir = join(base, `w${k}`, seq % 2 === 0 ? 'b' : 'a')
        const dst = join(dir, `x${seq + 1}`)
        await fsp.rename(src, dst)
        where[k] = dst
      }),
    )
    record(
      BASELINE.fsChmod,
      await runTimed(options, async (k, seq) => {
        await fsp.chmod(files[(k * stride + seq) % files.length]!, seq % 2 === 0 ? 0o640 : 0o644)
      }),
    )
  }
  return results
}
