/**
 * @module
 * Memory of a NameNode process over a large namespace: RSS and V8 heap before and after building
 * N inodes through one engine (directories of 1000 files, created at concurrency 16), after a
 * forced GC, with the engine's hint-cache size. The namespace lives in the database; what the
 * process keeps is the hint cache (bounded, default 200 000 entries), statement caches and the
 * driver's page cache.
 */
import { performance } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { SqlMetaEngine } from '../src/meta/sql/sql-meta-engine.js'
import type { EngineKind } from './meta-bench.js'
import { CTX, fmt } from './meta-bench.js'
import { forEachConcurrent } from './timed-loop.js'

/** What the memory phase measured. MB are 2^20 bytes. */
export interface MemoryResult {
  readonly engine: EngineKind
  /** Inodes created (files + their directories). */
  readonly inodes: number
  readonly buildSeconds: number
  readonly buildInodesPerSec: number
  readonly rssBeforeMb: number
  readonly rssAfterMb: number
  readonly heapUsedBeforeMb: number
  readonly heapUsedAfterMb: number
  readonly hintCacheSize: number
  /** (RSS after − RSS before) / inodes, in bytes. */
  readonly rssBytesPerInode: number
  /** (heap after − heap before) / hint-cache entries, in bytes. */
  readonly heapBytesPerCacheEntry: number
  /**
   * RSS at 1 M inodes, extrapolated: RSS after the build plus, for each hint-cache entry still to
   * come (the cache stops at its bound), the heap measured per entry. What lives outside the V8
   * heap (SQLite page cache, WAL index, allocator slack) is bounded and taken as measured. Run
   * with `--inodes 1000000` to measure instead of extrapolating.
   */
  readonly rssAt1MExtrapolatedMb: number
}

const FILES_PER_DIR = 1000
const BUILD_CONCURRENCY = 16
const MB = 1024 * 1024

let gcFn: (() => void) | undefined

/** A full GC (V8's `gc`, exposed at run time), so RSS and heap are read after collection. */
export function forceGc(): void {
  if (gcFn === undefined) {
    setFlagsFromString('--expose-gc')
    gcFn = runInNewContext('gc') as () => void
  }
  gcFn()
  gcFn()
}

/** Builds `inodes` inodes under /mem and reads memory before and after. */
export async function measureMemory(
  engine: SqlMetaEngine,
  kind: EngineKind,
  inodes: number,
  hintCacheBound: number,
  log: (line: string) => void,
): Promise<MemoryResult> {
  forceGc()
  const before = process.memoryUsage()
  const dirs = Math.max(1, Math.ceil(inodes / (FILES_PER_DIR + 1)))
  const files = inodes - dirs - 1
  const started = performance.now()
  await engine.mkdirs({ path: '/mem' }, CTX)
  await forEachConcurrent(dirs, BUILD_CONCURRENCY, (d) =>
    engine.mkdirs({ path: `/mem/d${d}` }, CTX),
  )
  let done = 0
  await forEachConcurrent(files, BUILD_CONCURRENCY, async (i) => {
    await engine.create(
      { path: `/mem/d${i % dirs}/f${Math.floor(i / dirs)}`, clientName: `mem-${i % 16}` },
      CTX,
    )
    if (++done % 50_000 === 0) log(`  memory: ${fmt(done)} files created`)
  })
  const buildSeconds = (performance.now() - started) / 1000
  forceGc()
  const after = process.memoryUsage()
  const stats = engine.stats()
  const perInode = (after.rss - before.rss) / inodes
  const heapPerEntry =
    stats.hintCacheSize > 0
      ? Math.max(0, after.heapUsed - before.heapUsed) / stats.hintCacheSize
      : 0
  const entriesAt1M = Math.min(1_000_000, hintCacheBound)
  const rssAt1M = after.rss + heapPerEntry * Math.max(0, entriesAt1M - stats.hintCacheSize)
  return {
    engine: kind,
    inodes,
    buildSeconds,
    buildInodesPerSec: inodes / buildSeconds,
    rssBeforeMb: before.rss / MB,
    rssAfterMb: after.rss / MB,
    heapUsedBeforeMb: before.heapUsed / MB,
    heapUsedAfterMb: after.heapUsed / MB,
    hintCacheSize: stats.hintCacheSize,
    rssBytesPerInode: perInode,
    heapBytesPerCacheEntry: heapPerEntry,
    rssAt1MExtrapolatedMb: rssAt1M / MB,
  }
}
