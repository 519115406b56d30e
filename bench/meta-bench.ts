/**
 * @module
 * Metadata-engine workloads, each operation alone (NNThroughputBenchmark's shape): namespace
 * fixtures (built untimed, through the engine itself) and the timed operations at each requested
 * number of concurrent callers — mkdirs; create (the create transaction alone, as the
 * `create`+`complete` benchmarks of HDFS count it without the close); createFile (create,
 * addBlock, the DataNode's blockReceived, complete: a one-block file end to end, four
 * transactions); getFileInfo of 6-deep files and of directories; open (getBlockLocations of a
 * one-block file with a live replica); listStatus of a 1000-entry directory; setPermission,
 * setOwner and setReplication of files; append (append + complete, no new bytes); rename; and
 * delete (of the files create made).
 */
import { randomUUID } from 'node:crypto'
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
  'createFile',
  'getFileInfo',
  'getFileInfoDir',
  'open',
  'listStatus',
  'setPermission',
  'setOwner',
  'setReplication',
  'append',
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
  /** The directories holding the deep files (`/gfi/aN/bN/cN/dN`), shuffled. */
  readonly deepDirs: readonly string[]
  /** Closed one-block files whose block has a finalized replica on {@link datanodeUuid}. */
  readonly blockFiles: readonly string[]
  /** A DataNode registered in the engine (no process behind it: the benchmark reports for it). */
  readonly datanodeUuid: string
}

/** Fan-out of each directory level of the getFileInfo tree (4 levels) and files per leaf. */
const TREE_FANOUT = 4
const FILES_PER_LEAF = 8
/** Entries of the listStatus directory. */
export const LIST_ENTRIES = 1000
const SETUP_CONCURRENCY = 16
/** One-block files opened by the open workload, and the bytes of each block. */
const BLOCK_FILES = 256
const BLOCK_BYTES = 1024

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
  const deepDirs = [...level]
  shuffle(deepDirs)

  const datanodeUuid = randomUUID()
  await engine.registerDatanode({
    datanodeUuid,
    httpAddress: 'http://127.0.0.1:1',
    hostname: 'bench-datanode',
    capacityBytes: 2 ** 40,
  })
  await engine.mkdirs({ path: '/open' }, CTX)
  const blockFiles = Array.from({ length: BLOCK_FILES }, (_, i) => `/open/f${i}`)
  await forEachConcurrent(BLOCK_FILES, SETUP_CONCURRENCY, (i) =>
    writeOneBlockFile(engine, datanodeUuid, blockFiles[i]!, `setup-${i % 16}`),
  )
  return { deepFiles: files, deepChains, listDir, listDirId, deepDirs, blockFiles, datanodeUuid }
}

/**
 * A one-block file as a writer and its DataNode make it: create, addBlock, the DataNode's
 * blockReceived (before it acknowledges the write), complete with the block's length.
 */
export async function writeOneBlockFile(
  engine: SqlMetaEngine,
  datanodeUuid: string,
  path: string,
  clientName: string,
): Promise<void> {
  await engine.create({ path, clientName }, CTX)
  const block = await engine.addBlock({ path, clientName }, CTX)
  await engine.blockReceived({
    datanodeUuid,
    received: [{ blockId: block.blockId, genStamp: block.genStamp, numBytes: BLOCK_BYTES }],
    deleted: [],
  })
  const last = { blockId: block.blockId, numBytes: BLOCK_BYTES }
  if (!(await engine.complete({ path, clientName, last }, CTX)))
    throw new Error(`complete ${path}: not yet complete`)
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
    case 'createFile':
      await perCallerDirs(engine, base, callers)
      return runTimed(options, async (k, seq) => {
        await writeOneBlockFile(engine, fx.datanodeUuid, `${base}/w${k}/f${seq}`, `bench-${k}`)
      })
    case 'getFileInfo': {
      const files = fx.deepFiles
      const stride = Math.floor(files.length / callers)
      return runTimed(options, async (k, seq) => {
        await engine.getFileInfo(files[(k * stride + seq) % files.length]!.path, CTX)
      })
    }
    case 'getFileInfoDir': {
      const dirs = fx.deepDirs
      const stride = Math.max(1, Math.floor(dirs.length / callers))
      return runTimed(options, async (k, seq) => {
        const rec = await engine.getFileInfo(dirs[(k * stride + seq) % dirs.length]!, CTX)
        if (rec.type !== 'DIRECTORY') throw new Error(`${rec.name} is not a directory`)
      })
    }
    case 'open': {
      const files = fx.blockFiles
      const stride = Math.max(1, Math.floor(files.length / callers))
      return runTimed(options, async (k, seq) => {
        const path = files[(k * stride + seq) % files.length]!
        const loc = await engine.getBlockLocations({ path, offset: 0, length: 2 ** 30 }, CTX)
        if (loc.blocks.length !== 1 || loc.blocks[0]!.datanodes.length !== 1)
          throw new Error(`${path}: ${loc.blocks.length} blocks, expected 1 with 1 replica`)
      })
    }
    case 'setPermission': {
      const files = fx.deepFiles
      const stride = Math.floor(files.length / callers)
      return runTimed(options, async (k, seq) => {
        const f = files[(k * stride + seq) % files.length]!
        await engine.setPermission(f.path, seq % 2 === 0 ? 0o640 : 0o644, CTX)
      })
    }
    case 'setOwner': {
      const files = fx.deepFiles
      const stride = Math.floor(files.length / callers)
      return runTimed(options, async (k, seq) => {
        const f = files[(k * stride + seq) % files.length]!
        await engine.setOwner(f.path, 'hdfs', seq % 2 === 0 ? 'bench' : 'supergroup', CTX)
      })
    }
    case 'setReplication': {
      const files = fx.deepFiles
      const stride = Math.floor(files.length / callers)
      return runTimed(options, async (k, seq) => {
        const f = files[(k * stride + seq) % files.length]!
        if (!(await engine.setReplication(f.path, seq % 2 === 0 ? 2 : 3, CTX)))
          throw new Error(`setReplication ${f.path} refused`)
      })
    }
    case 'append': {
      // Each caller reopens its own closed, empty file and closes it again.
      await perCallerDirs(engine, base, callers)
      for (let k = 0; k < callers; k++) {
        const path = `${base}/w${k}/a`
        await engine.create({ path, clientName: `bench-${k}` }, CTX)
        await engine.complete({ path, clientName: `bench-${k}` }, CTX)
      }
      return runTimed(options, async (k) => {
        const path = `${base}/w${k}/a`
        const clientName = `bench-${k}`
        await engine.append(path, clientName, CTX)
        if (!(await engine.complete({ path, clientName }, CTX)))
          throw new Error(`complete ${path} after append: not complete`)
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
