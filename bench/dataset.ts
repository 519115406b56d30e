/**
 * @module
 * Pre-built namespaces for the in-process mixes, the `hops up` sweep and the capacity phase,
 * generated once per shape and engine and then reused (never timed with a workload):
 *
 * - SQLite: `bench/.datasets/<key>.db`;
 * - PostgreSQL: a database `hops_bench_<key>` on the benchmark's server.
 *
 * The shape is a {@link ClusterNamespace} (the paths `cluster-load.ts` and `engine-mix.ts` draw
 * from): `/bench/u<a>/d<b>` directories of `filesPerDir` closed, empty files (as `create` +
 * `complete` leaves them), and `/bench/own/p<p>/c<c>` with `ownFiles` files for each caller slot,
 * the pool its renames and deletes use. The schema and root come from the engine (`migrate`);
 * the rows are inserted by SQL in chunks, one transaction each, and each chunk's transaction
 * also records it in `bench_dataset`: an interrupted build continues where it stopped, and a
 * complete one is reused as it is. Runs that write work on a copy ({@link copyDataset}: a file
 * copy, or `CREATE DATABASE … TEMPLATE`), so the stored dataset never changes.
 */
import Database from 'better-sqlite3'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { openMetaEngine } from '../src/meta/open-meta-engine.js'
import { postgresAdminUrl } from '../test/support/postgres.js'
import type { ClusterNamespace } from './cluster-namespace.js'
import { dirCount, fileCount } from './cluster-namespace.js'
import type { EngineKind } from './meta-bench.js'

/** Where SQLite datasets are kept (ignored by git). */
export const DATASET_DIR = join(dirname(fileURLToPath(import.meta.url)), '.datasets')

/** Bumped when the layout below changes, so old datasets are not reused. */
const LAYOUT_VERSION = 1
const FILES_PER_DIR = 16
const DIRS_PER_TOP = 50
/** Caller slots with their own files: enough for 4 load processes × 256 callers. */
const OWN_PROCESSES = 4
const OWN_CALLERS = 256
const OWN_FILES = 4
/** Shared directories whose files one transaction inserts. */
const CHUNK_DIRS = 4096

/** The namespace of about `files` shared files (rounded up to whole directories). */
export function namespaceForFiles(files: number): ClusterNamespace {
  const dirs = Math.max(1, Math.ceil(files / FILES_PER_DIR))
  const perTop = Math.min(DIRS_PER_TOP, dirs)
  return {
    top: Math.ceil(dirs / perTop),
    perTop,
    filesPerDir: FILES_PER_DIR,
    processes: OWN_PROCESSES,
    callers: OWN_CALLERS,
    ownFiles: OWN_FILES,
  }
}

/** Inodes of the namespace, root included. */
export function inodeCount(ns: ClusterNamespace): number {
  const slots = ns.processes * ns.callers
  return (
    1 + 1 + ns.top + dirCount(ns) + fileCount(ns) + 1 + ns.processes + slots * (1 + ns.ownFiles)
  )
}

/** A complete stored dataset. */
export interface Dataset {
  readonly kind: EngineKind
  readonly ns: ClusterNamespace
  readonly inodes: number
  /** The stored dataset's URL (do not write to it; see {@link copyDataset}). */
  readonly url: string
  /** Seconds spent building it in this run (0 when it was reused as it was). */
  readonly buildSeconds: number
  readonly reused: boolean
}

function datasetKey(ns: ClusterNamespace): string {
  const shape = JSON.stringify([LAYOUT_VERSION, ns])
  const hash = createHash('sha256').update(shape).digest('hex').slice(0, 8)
  return `ds_${fileCount(ns)}_${hash}`
}

/** The inode ids of each part, from `base` (the `inode_id` counter after `migrate`). */
function layout(ns: ClusterNamespace, base: number) {
  const dirs = dirCount(ns)
  const slots = ns.processes * ns.callers
  const bench = base
  const top0 = bench + 1
  const dir0 = top0 + ns.top
  const own = dir0 + dirs
  const proc0 = own + 1
  const slot0 = proc0 + ns.processes
  const file0 = slot0 + slots
  const ownFile0 = file0 + dirs * ns.filesPerDir
  const end = ownFile0 + slots * ns.ownFiles
  return { bench, top0, dir0, own, proc0, slot0, file0, ownFile0, end, dirs, slots }
}

/** One directory row: id, parent, name, children. */
type DirRow = readonly [number, number, string, number]

function dirRows(ns: ClusterNamespace, l: ReturnType<typeof layout>): DirRow[] {
  const rows: DirRow[] = [[l.bench, 1, 'bench', ns.top + 1]]
  for (let a = 0; a < ns.top; a++) rows.push([l.top0 + a, l.bench, `u${a}`, ns.perTop])
  for (let i = 0; i < l.dirs; i++)
    rows.push([l.dir0 + i, l.top0 + Math.floor(i / ns.perTop), `d${i % ns.perTop}`, ns.filesPerDir])
  rows.push([l.own, l.bench, 'own', ns.processes])
  for (let p = 0; p < ns.processes; p++) rows.push([l.proc0 + p, l.own, `p${p}`, ns.callers])
  for (let s = 0; s < l.slots; s++)
    rows.push([
      l.slot0 + s,
      l.proc0 + Math.floor(s / ns.callers),
      `c${s % ns.callers}`,
      ns.ownFiles,
    ])
  return rows
}

const INODE_INSERT_COLUMNS =
  'id, parent_id, name, type, owner, grp, permission, mtime, atime, length, replication, block_size, children_num'

/** The steps of a build: 0 directories, 1..n file chunks, n+1 own files and the counter. */
function stepCount(l: ReturnType<typeof layout>): number {
  return Math.ceil(l.dirs / CHUNK_DIRS) + 2
}

/**
 * The stored dataset of `ns` on `kind`, built (or finished) first if needed; progress goes to
 * `log`.
 */
export async function ensureDataset(
  kind: EngineKind,
  ns: ClusterNamespace,
  log: (line: string) => void,
): Promise<Dataset> {
  return kind === 'sqlite' ? ensureSqlite(ns, log) : ensurePostgres(ns, log)
}

async function ensureSqlite(ns: ClusterNamespace, log: (line: string) => void): Promise<Dataset> {
  mkdirSync(DATASET_DIR, { recursive: true })
  const file = join(DATASET_DIR, `${datasetKey(ns)}.db`)
  const url = `sqlite:${file}`
  const t0 = performance.now()
  if (!existsSync(file)) {
    const engine = await openMetaEngine(url)
    await engine.close()
  }
  const db = new Database(file)
  let reused: boolean
  try {
    db.pragma('journal_mode = WAL')
    // A killed build keeps what it committed; only an OS crash could lose more (delete the file).
    db.pragma('synchronous = OFF')
    db.exec('CREATE TABLE IF NOT EXISTS bench_dataset (step INTEGER NOT NULL, base INTEGER)')
    const n = (db.prepare('SELECT COUNT(*) AS n FROM bench_dataset').get() as { n: number }).n
    if (n === 0) {
      const counter = db
        .prepare("SELECT next_value FROM counters WHERE name = 'inode_id'")
        .get() as { next_value: number }
      db.prepare('INSERT INTO bench_dataset (step, base) VALUES (0, ?)').run(counter.next_value)
    }
    const state = db.prepare('SELECT step, base FROM bench_dataset').get() as {
      step: number
      base: number
    }
    const l = layout(ns, state.base)
    const steps = stepCount(l)
    reused = state.step >= steps
    if (!reused)
      log(
        `  dataset ${file}: ${state.step === 0 ? 'building' : `resuming at step ${state.step} of`} ${inodeCount(ns).toLocaleString('en-US')} inodes`,
      )
    const now = Date.now()
    const setStep = db.prepare('UPDATE bench_dataset SET step = ?')
    const insertDir = db.prepare(
      `INSERT INTO inodes (${INODE_INSERT_COLUMNS}) VALUES (?, ?, ?, 2, 'hdfs', 'supergroup', 493, ?, ?, 0, 0, 0, ?)`,
    )
    const insertFiles = db.prepare(
      `WITH RECURSIVE d(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM d WHERE x + 1 < ?),
         j(y) AS (SELECT 0 UNION ALL SELECT y + 1 FROM j WHERE y + 1 < ?)
       INSERT INTO inodes (${INODE_INSERT_COLUMNS})
       SELECT ? + x * ? + y, ? + x, 'f' || y, 1, 'hdfs', 'supergroup', 420, ?, ?, 0, 3, 134217728, 0
       FROM d, j`,
    )
    for (let step = state.step; step < steps; step++) {
      db.transaction(() => {
        if (step === 0) {
          for (const [id, parent, name, children] of dirRows(ns, l))
            insertDir.run(id, parent, name, now, now, children)
          db.prepare('UPDATE inodes SET children_num = children_num + 1 WHERE id = 1').run()
          db.prepare("UPDATE counters SET next_value = ? WHERE name = 'inode_id'").run(l.end)
        } else if (step < steps - 1) {
          const from = (step - 1) * CHUNK_DIRS
          const to = Math.min(l.dirs, from + CHUNK_DIRS)
          insertFiles.run(from, to, ns.filesPerDir, l.file0, ns.filesPerDir, l.dir0, now, now)
        } else {
          insertFiles.run(0, l.slots, ns.ownFiles, l.ownFile0, ns.ownFiles, l.slot0, now, now)
        }
        setStep.run(step + 1)
      })()
    }
    if (!reused) {
      db.exec('ANALYZE')
      db.pragma('wal_checkpoint(TRUNCATE)')
    }
  } finally {
    db.close()
  }
  return {
    kind: 'sqlite',
    ns,
    inodes: inodeCount(ns),
    url,
    buildSeconds: reused ? 0 : (performance.now() - t0) / 1000,
    reused,
  }
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function ensurePostgres(ns: ClusterNamespace, log: (line: string) => void): Promise<Dataset> {
  const adminUrl = await postgresAdminUrl()
  const name = `hops_bench_${datasetKey(ns)}`
  const url = databaseUrl(adminUrl, name)
  const t0 = performance.now()
  const exists = await withClient(adminUrl, async (c) => {
    const res = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (res.rowCount === 0) await c.query(`CREATE DATABASE ${name}`)
    return res.rowCount !== 0
  })
  if (!exists) {
    const engine = await openMetaEngine(url, { poolSize: 1 })
    await engine.close()
  }
  const reused = await withClient(url, async (c) => {
    await c.query('CREATE TABLE IF NOT EXISTS bench_dataset (step INTEGER NOT NULL, base BIGINT)')
    await c.query(
      `INSERT INTO bench_dataset (step, base)
       SELECT 0, next_value FROM counters WHERE name = 'inode_id'
       AND NOT EXISTS (SELECT 1 FROM bench_dataset)`,
    )
    const state = (
      await c.query<{ step: number; base: string }>('SELECT step, base FROM bench_dataset')
    ).rows[0]!
    const l = layout(ns, Number(state.base))
    const steps = stepCount(l)
    if (state.step >= steps) return true
    log(
      `  dataset ${name}: ${state.step === 0 ? 'building' : `resuming at step ${state.step} of`} ${inodeCount(ns).toLocaleString('en-US')} inodes`,
    )
    const now = Date.now()
    const insertFiles = (from: number, to: number, per: number, first: number, parent0: number) =>
      c.query(
        `INSERT INTO inodes (${INODE_INSERT_COLUMNS})
         SELECT $1::bigint + x::bigint * $2 + y, $3::bigint + x, 'f' || y, 1, 'hdfs', 'supergroup',
           420, $4, $4, 0, 3, 134217728, 0
         FROM generate_series($5::int, $6::int - 1) AS x CROSS JOIN generate_series(0, $2::int - 1) AS y`,
        [first, per, parent0, now, from, to],
      )
    for (let step = state.step; step < steps; step++) {
      await c.query('BEGIN')
      try {
        if (step === 0) {
          const rows = dirRows(ns, l)
          for (let i = 0; i < rows.length; i += 10_000) {
            const part = rows.slice(i, i + 10_000)
            await c.query(
              `INSERT INTO inodes (${INODE_INSERT_COLUMNS})
               SELECT id, parent_id, name, 2, 'hdfs', 'supergroup', 493, $5, $5, 0, 0, 0, children
               FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[])
                 AS t (id, parent_id, name, children)`,
              [
                part.map((r) => r[0]),
                part.map((r) => r[1]),
                part.map((r) => r[2]),
                part.map((r) => r[3]),
                now,
              ],
            )
          }
          await c.query('UPDATE inodes SET children_num = children_num + 1 WHERE id = 1')
          await c.query("UPDATE counters SET next_value = $1 WHERE name = 'inode_id'", [l.end])
        } else if (step < steps - 1) {
          const from = (step - 1) * CHUNK_DIRS
          await insertFiles(
            from,
            Math.min(l.dirs, from + CHUNK_DIRS),
            ns.filesPerDir,
            l.file0,
            l.dir0,
          )
        } else {
          await insertFiles(0, l.slots, ns.ownFiles, l.ownFile0, l.slot0)
        }
        await c.query('UPDATE bench_dataset SET step = $1', [step + 1])
        await c.query('COMMIT')
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined)
        throw err
      }
    }
    await c.query('VACUUM ANALYZE')
    return false
  })
  return {
    kind: 'postgres',
    ns,
    inodes: inodeCount(ns),
    url,
    buildSeconds: reused ? 0 : (performance.now() - t0) / 1000,
    reused,
  }
}

/** A writable copy of a dataset, and how to dispose of it. */
export interface DatasetCopy {
  readonly url: string
  /** The SQLite file (PostgreSQL: undefined). */
  readonly file?: string | undefined
  dispose(): Promise<void>
}

/**
 * A copy of the stored dataset that a run may change: the SQLite file copied into `scratchDir`
 * as `<tag>.db` (or to `file` when given), or a PostgreSQL database made from it as a template.
 */
export async function copyDataset(
  ds: Dataset,
  scratchDir: string,
  tag: string,
  file?: string,
): Promise<DatasetCopy> {
  if (ds.kind === 'sqlite') {
    const target = file ?? join(scratchDir, `${tag}.db`)
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(ds.url.slice('sqlite:'.length), target)
    return {
      url: `sqlite:${target}`,
      file: target,
      dispose: () => {
        for (const suffix of ['', '-wal', '-shm']) rmSync(target + suffix, { force: true })
        return Promise.resolve()
      },
    }
  }
  const adminUrl = await postgresAdminUrl()
  const source = new URL(ds.url).pathname.slice(1)
  const name = `hops_test_${tag.replace(/[^a-z0-9_]/g, '_')}_${process.pid}`
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.query(`CREATE DATABASE ${name} TEMPLATE ${source}`)
  })
  return {
    url: databaseUrl(adminUrl, name),
    dispose: () =>
      withClient(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      }),
  }
}

/** Storage of a dataset: the whole database and the inodes table with its indexes. */
export interface DatasetSize {
  readonly databaseBytes: number
  /** `inodes` with its indexes (SQLite: from `dbstat` where compiled in, else NaN). */
  readonly inodesTableBytes: number
  readonly inodes: number
}

/** Measures the stored dataset's size (its SQLite file is checkpointed: no WAL left). */
export async function datasetSize(ds: Dataset): Promise<DatasetSize> {
  if (ds.kind === 'sqlite') {
    const file = ds.url.slice('sqlite:'.length)
    const db = new Database(file)
    try {
      db.pragma('wal_checkpoint(TRUNCATE)')
      const pages = db.pragma('page_count', { simple: true }) as number
      const pageSize = db.pragma('page_size', { simple: true }) as number
      const inodes = (db.prepare('SELECT COUNT(*) AS n FROM inodes').get() as { n: number }).n
      let table = Number.NaN
      try {
        const row = db
          .prepare(
            `SELECT SUM(pgsize) AS bytes FROM dbstat WHERE name = 'inodes' OR name IN
               (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inodes')`,
          )
          .get() as { bytes: number }
        table = row.bytes
      } catch {
        // dbstat is an optional SQLite module
      }
      return {
        databaseBytes: Math.max(pages * pageSize, statSync(file).size),
        inodesTableBytes: table,
        inodes,
      }
    } finally {
      db.close()
    }
  }
  return withClient(ds.url, async (c) => {
    const row = (
      await c.query<{ db: string; tbl: string; n: string }>(
        `SELECT pg_database_size(current_database()) AS db,
           pg_total_relation_size('inodes') AS tbl, (SELECT COUNT(*) FROM inodes) AS n`,
      )
    ).rows[0]!
    return {
      databaseBytes: Number(row.db),
      inodesTableBytes: Number(row.tbl),
      inodes: Number(row.n),
    }
  })
}
