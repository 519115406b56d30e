/**
 * @module
 * Capacity: what an inode costs in each database, and how throughput holds up as the namespace
 * grows. For each engine and namespace size it takes the stored dataset (`dataset.ts`: built
 * once, resumable, never timed here), reads the database's size (SQLite: page_count × page_size
 * after a checkpoint; PostgreSQL: `pg_database_size`, and `pg_total_relation_size('inodes')` for
 * the inodes table with its indexes), then opens an engine on it (hint cache at its default
 * bound), warms it with one getFileInfo of every directory (untimed: the steady state of a
 * NameNode that has served the namespace a while, whose cache holds the directories but not
 * every file), and runs two read-only workloads: getFileInfo of files picked uniformly over the
 * whole namespace, and the read-only Spotify mix. Only reads run on the stored dataset, so it
 * stays as built.
 */
import { performance } from 'node:perf_hooks'
import { openMetaEngine } from '../src/meta/open-meta-engine.js'
import { dirCount, dirPath, fileCount, filePath } from './cluster-namespace.js'
import { datasetSize, ensureDataset, namespaceForFiles } from './dataset.js'
import type { DatasetSize } from './dataset.js'
import { MixState, runEngineMix } from './engine-mix.js'
import type { EngineKind } from './meta-bench.js'
import { CTX, fmt } from './meta-bench.js'
import { seededRandom, SPOTIFY_MIX, withWritePercent } from './spotify-mix.js'
import { forEachConcurrent, runTimed } from './timed-loop.js'
import type { LoopOptions, Measurement } from './timed-loop.js'

/** One engine at one namespace size. */
export interface CapacityResult extends DatasetSize {
  readonly engine: EngineKind
  readonly files: number
  /** Seconds this run spent building (or finishing) the dataset; 0 when it was reused. */
  readonly buildSeconds: number
  readonly reused: boolean
  readonly bytesPerInode: number
  readonly tableBytesPerInode: number
  readonly callers: number
  /** Seconds the untimed warm-up (getFileInfo of every directory) took. */
  readonly warmSeconds: number
  /** getFileInfo of uniformly random files. */
  readonly getFileInfo: Measurement
  /** The read-only Spotify mix. */
  readonly readMix: Measurement
}

/** Runs the capacity phase for each engine and size (shared files per namespace). */
export async function runCapacity(
  engines: readonly EngineKind[],
  sizes: readonly number[],
  timing: LoopOptions,
  hintCacheSize: number,
  log: (line: string) => void,
): Promise<CapacityResult[]> {
  const out: CapacityResult[] = []
  for (const kind of engines) {
    for (const files of sizes) {
      const ns = namespaceForFiles(files)
      const ds = await ensureDataset(kind, ns, log)
      const size = await datasetSize(ds)
      const engine = await openMetaEngine(ds.url, { hintCacheSize, poolSize: 16 })
      try {
        const t0 = performance.now()
        await forEachConcurrent(dirCount(ns), 16, (i) => engine.getFileInfo(dirPath(ns, i), CTX))
        const warmSeconds = (performance.now() - t0) / 1000
        const random = seededRandom(files)
        const n = fileCount(ns)
        const getFileInfo = await runTimed(timing, async () => {
          await engine.getFileInfo(filePath(ns, Math.floor(random() * n)), CTX)
        })
        const readMix = await runEngineMix(
          engine,
          kind,
          'read-only',
          withWritePercent(SPOTIFY_MIX, 0),
          new MixState(ns),
          timing,
          `cap${files}`,
          size.inodes,
        )
        const r: CapacityResult = {
          engine: kind,
          files: n,
          buildSeconds: ds.buildSeconds,
          reused: ds.reused,
          ...size,
          bytesPerInode: size.databaseBytes / size.inodes,
          tableBytesPerInode: size.inodesTableBytes / size.inodes,
          callers: timing.callers,
          warmSeconds,
          getFileInfo,
          readMix,
        }
        out.push(r)
        log(
          `  ${kind} ${fmt(size.inodes)} inodes${ds.reused ? ' (stored dataset reused)' : `, built in ${ds.buildSeconds.toFixed(1)} s`}, warmed in ${warmSeconds.toFixed(1)} s: ${fmt(r.bytesPerInode)} B/inode (inodes table ${fmt(r.tableBytesPerInode)}), getFileInfo ${fmt(getFileInfo.opsPerSec)}/s, read-only mix ${fmt(readMix.opsPerSec)}/s ×${timing.callers}`,
        )
      } finally {
        await engine.close()
      }
    }
  }
  return out
}
