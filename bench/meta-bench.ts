/**
 * @module
 * Metadata-engine workloads: namespace fixtures (built untimed, through the engine itself) and
 * the timed operations — mkdirs, create, getFileInfo on 6-deep paths, listStatus of a
 * 1000-entry directory, rename and delete — at each requested number of concurrent callers.
 */
import type { CallerContext, InodeRecord } from '../src/meta/meta-engine.js'
import type { SqlMetaEngine } from '../src/meta/sql/sql-meta-engine.js'
import { forEachConcurrent, runTimed } from './timed-loop.js'
import type { LoopOptions, Measurement } from './timed-loop.js'

/** The superuser: permission checks short-circuit, as for a NameNode's own calls. */
export const CTX: CallerContext = { user: 'hdfs' }

/** The workloads, in the order they run (delete consumes the files create made). */
export const WORKLOADS = [
  'mkdirs',
  'create',
  'getFileInfo',
  'listStatus',
  'rename',
  'delete',
] as const

export type WorkloadName = (typeof WORKLOADS)[number]

/** Which engine a result is for. */
export type EngineKind = 'sqlite' | 'postgres'

/** One measured workload. */
export interface WorkloadResult extends Measurement {
  readonly workload: WorkloadName
  readonly engine: EngineKind
  readonly callers: number
}

/** A file of the getFileInfo tree, with the ids raw baselines look up. */
export interface TreeFile {
  readonly path: string
  readonly id: number
  readonly parentId: number
  readonly name: string
}

/** What the fixtures built, for the workloads and the raw baselines. */
export interface Fixtures {
  /** Files 6 components deep (`/gfi/aN/bN/cN/dN/fN`), in shuffled order. */
  readonly deepFiles: readonly TreeFile[]
  /** Inode ids of the 6-deep chain of each deep file (root first), for raw batched reads. */
  readonly deepChains: readonly (readonly number[])[]
  /** The 1000-entry directory listed by listStatus, and its inode id. */
  readonly listDir: string
  readonly listDirId: number
}

/** Fan-out of each directory level of the getFileInfo tree (4 levels) and files per leaf. */
const TREE_FANOUT = 4
const FILES_PER_LEAF = 8
/** Entries of the listStatus directory. */
export const LIST_ENTRIES = 1000
const SETUP_CONCURRENCY = 16

/** Builds the getFileInfo tree and the listStatus directory (untimed). */
export async function buildFixtures(engine: SqlMetaEngine): Promise<Fixtures> {
  // Directories level by level, so concurrent mkdirs never race on a shared missing parent.
  let level = ['/gfi']
  await engine.mkdirs({ path: '/gfi' }, CTX)
  for (const prefix of ['a', 'b', 'c', 'd']) {
    const next = level.flatMap((dir) =>
      Array.from({ length: TREE_FANOUT }, (_, i) => `${dir}/${prefix}${i}`),
    )
    await forEachConcurrent(next.length, SETUP_CONCURRENCY, (i) =>
      engine.mkdirs({ path: next[i]! }, CTX),
    )
    level = next
  }
  const paths = level.flatMap((dir) =>
    Array.from({ length: FILES_PER_LEAF }, (_, i) => `${dir}/f${i}`),
  )
  const files: TreeFile[] = new Array<TreeFile>(paths.length)
  await forEachConcurrent(paths.length, SETUP_CONCURRENCY, async (i) => {
    const rec = await engine.create({ path: paths[i]!, clientName: `setup-${i % 16}` }, CTX)
    files[i] = { path: paths[i]!, id: rec.inodeId, parentId: rec.parentId, name: rec.name }
  })
  shuffle(files)
  const deepChains = await Promise.all(files.map((f) => chainIds(engine, f.path)))

  const listDir = '/ls/dir'
  await engine.mkdirs({ path: listDir }, CTX)
  await forEachConcurrent(LIST_ENTRIES, SETUP_CONCURRENCY, (i) =>
    engine.create(
      { path: `${listDir}/entry-${String(i).padStart(4, '0')}`, clientName: `setup-${i % 16}` },
      CTX,
    ),
  )
  const listDirId = (await engine.getFileInfo(listDir, CTX)).inodeId
  return { deepFiles: files, deepChains, listDir, listDirId }
}

async function chainIds(engine: SqlMetaEngine, path: string): Promise<number[]> {
  const parts = path.split('/').slice(1)
  const ids = [1]
  for (let i = 1; i <= parts.length; i++) {
    const rec: InodeRecord = await engine.getFileInfo('/' + parts.slice(0, i).join('/'), CTX)
    ids.push(rec.inodeId)
  }
  return ids
}

/** Fisher–Yates, deterministic enough for a benchmark (Math.random). */
export function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
}

/**
 * Runs the chosen workloads at each caller count on one engine. Per-workload directories are
 * per caller (`/<workload>/c<callers>/w<caller>`), so callers do not contend on one parent row;
 * each caller also has its own lease holder (client name), as distinct HDFS clients would.
 */
export async function runWorkloads(
  engine: SqlMetaEngine,
  kind: EngineKind,
  fixtures: Fixtures,
  workloads: readonly WorkloadName[],
  callerCounts: readonly number[],
  timing: Omit<LoopOptions, 'callers'>,
  log: (line: string) => void,
): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = []
  /** Files create made, per caller count and caller: what delete removes. */
  const created = new Map<number, number[]>()
  for (const workload of WORKLOADS) {
    if (!workloads.includes(workload)) continue
    for (const callers of callerCounts) {
      const options = { ...timing, callers }
      const base = `/${workload}/c${callers}`
      const m = await runOne(engine, workload, base, options, fixtures, created)
      const r: WorkloadResult = { workload, engine: kind, callers, ...m }
      log(
        `  ${kind} ${workload} x${callers}: ${fmt(r.opsPerSec)} ops/s, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms` +
          (r.errors > 0 ? `, ${r.errors} errors (${r.firstError})` : ''),
      )
      results.push(r)
    }
  }
  return results
}

async function perCallerDirs(
  engine: SqlMetaEngine,
  base: string,
  callers: number,
  subdirs: readonly string[] = [''],
): Promise<void> {
  await engine.mkdirs({ path: base }, CTX)
  for (let k = 0; k < callers; k++)
    for (const sub of subdirs) await engine.mkdirs({ path: `${base}/w${k}${sub}` }, CTX)
}

async function runOne(
  engine: SqlMetaEngine,
  workload: WorkloadName,
  base: string,
  options: LoopOptions,
  fx: Fixtures,
  created: Map<number, number[]>,
): Promise<Measurement> {
  const { callers } = options
  switch (workload) {
    case 'mkdirs':
      await perCallerDirs(engine, base, callers)
      return runTimed(options, async (k, seq) => {
        await engine.mkdirs({ path: `${base}/w${k}/d${seq}` }, CTX)
      })
    case 'create': {
      await perCallerDirs(engine, base, callers)
      const counts = new Array<number>(callers).fill(0)
      created.set(callers, counts)
      return runTimed(options, async (k, seq) => {
        await engine.create({ path: `${base}/w${k}/f${seq}`, clientName: `bench-${k}` }, CTX)
        counts[k] = seq + 1
      })
    }
    case 'getFileInfo': {
      const files = fx.deepFiles
      const stride = Math.floor(files.length / callers)
      return runTimed(options, async (k, seq) => {
        await engine.getFileInfo(files[(k * stride + seq) % files.length]!.path, CTX)
      })
    }
    case 'listStatus':
      return runTimed(options, async () => {
        const page = await engine.listStatus({ path: fx.listDir, limit: LIST_ENTRIES }, CTX)
        if (page.entries.length !== LIST_ENTRIES)
          throw new Error(`listed ${page.entries.length} entries, expected ${LIST_ENTRIES}`)
      })
    case 'rename': {
      // Each caller moves one file: even steps rename it within its directory, odd steps move
      // it to the caller's other directory.
      await perCallerDirs(engine, base, callers, ['/a', '/b'])
      const where = Array.from({ length: callers }, (_, k) => `${base}/w${k}/a/x0`)
      for (const p of where) await engine.create({ path: p, clientName: 'setup-rename' }, CTX)
      return runTimed(options, async (k, seq) => {
        const src = where[k]!
        const dir = seq % 2 === 0 ? src.slice(0, src.lastIndexOf('/')) : otherDir(src)
        const dst = `${dir}/x${seq + 1}`
        if (!(await engine.rename({ src, dst }, CTX))) throw new Error(`rename ${src} failed`)
        where[k] = dst
      })
    }
    case 'delete': {
      // Deletes the files the create workload made at the same caller count.
      const counts = created.get(callers)
      if (counts === undefined) throw new Error('delete needs the create workload to run first')
      const createBase = `/create/c${callers}`
      return runTimed(options, async (k, seq) => {
        if (seq >= counts[k]!) return false
        if (!(await engine.delete({ path: `${createBase}/w${k}/f${seq}` }, CTX)))
          throw new Error(`delete ${createBase}/w${k}/f${seq} found nothing`)
      })
    }
  }
}

function otherDir(path: string): string {
  const dir = path.slice(0, path.lastIndexOf('/'))
  return dir.endsWith('/a') ? dir.slice(0, -1) + 'b' : dir.slice(0, -1) + 'a'
}

/** Formats a rate with a thousands separator. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}
