/**
 * @module
 * The Spotify mix (`spotify-mix.ts`) against the metadata engine in process: the same
 * operations and namespace as the WebHDFS load generator (`cluster-load.ts`), each a direct
 * engine call, so the in-process figure is the engine's share of what the HTTP targets do.
 *
 * | op | engine call |
 * | --- | --- |
 * | read | getBlockLocations of a shared file |
 * | stat file / stat dir | getFileInfo |
 * | ls dir / ls file | listStatus |
 * | create | create + complete of an empty file in a shared directory |
 * | rename | rename of one of the caller's own files into a shared directory |
 * | delete | delete of one of the caller's own files |
 * | chown dir | setOwner of a shared directory |
 * | setReplication / chmod file | setReplication / setPermission of a shared file |
 * | mkdir / chmod dir | mkdirs of a new directory / setPermission of a shared directory |
 *
 * Caller `k` owns slot `k` of the namespace's own files (its rename/delete pool, which its
 * creates join); the pools live in a {@link MixState}, one per database copy, across runs.
 */
import { performance } from 'node:perf_hooks'
import type { SqlMetaEngine } from '../src/meta/sql/sql-meta-engine.js'
import type { ClusterNamespace } from './cluster-namespace.js'
import { dirCount, dirPath, fileCount, filePath, ownDir } from './cluster-namespace.js'
import type { EngineKind } from './meta-bench.js'
import { CTX } from './meta-bench.js'
import { OpPicker, seededRandom, writePercent } from './spotify-mix.js'
import type { MixOp, OpMix } from './spotify-mix.js'
import { summarize } from './timed-loop.js'
import type { LoopOptions, Measurement } from './timed-loop.js'

/** One operation kind within a mix run. */
export interface MixOpResult extends Measurement {
  readonly op: MixOp
}

/** One measured mix run in process. */
export interface EngineMixResult extends Measurement {
  readonly engine: EngineKind
  /** Which mix (`spotify`, `write-20`, …). */
  readonly mix: string
  readonly writePercent: number
  readonly callers: number
  /** Inodes in the namespace it ran on. */
  readonly inodes: number
  readonly perOp: readonly MixOpResult[]
}

/** Rename/delete pools of the callers, kept across the runs on one database copy. */
export class MixState {
  readonly #pools = new Map<number, string[]>()
  constructor(readonly ns: ClusterNamespace) {}

  /** Caller `k`'s own files. */
  pool(k: number): string[] {
    let pool = this.#pools.get(k)
    if (pool === undefined) {
      const slots = this.ns.processes * this.ns.callers
      if (k >= slots) throw new RangeError(`caller ${k}: the namespace has ${slots} slots`)
      const dir = ownDir(Math.floor(k / this.ns.callers), k % this.ns.callers)
      pool = Array.from({ length: this.ns.ownFiles }, (_, i) => `${dir}/f${i}`)
      this.#pools.set(k, pool)
    }
    return pool
  }
}

/**
 * Runs `mix` with `options.callers` concurrent callers on `engine`, whose database holds the
 * namespace of `state`; `tag` makes this run's new names unique.
 */
export async function runEngineMix(
  engine: SqlMetaEngine,
  kind: EngineKind,
  mixName: string,
  mix: OpMix,
  state: MixState,
  options: LoopOptions,
  tag: string,
  inodes: number,
): Promise<EngineMixResult> {
  const ns = state.ns
  const start = performance.now()
  const measureFrom = start + options.warmupMs
  const end = measureFrom + options.durationMs
  const latencies = new Map<MixOp, number[]>()
  const errors = new Map<MixOp, number>()
  let firstError: string | undefined
  let lastDone = measureFrom

  let seed = 17
  for (const ch of tag) seed = (seed * 31 + ch.charCodeAt(0)) | 0
  const loop = async (k: number): Promise<void> => {
    const random = seededRandom(seed + k * 7919)
    const picker = new OpPicker(mix, random)
    const int = (n: number): number => Math.floor(random() * n)
    const sharedFile = (): string => filePath(ns, int(fileCount(ns)))
    const sharedDir = (): string => dirPath(ns, int(dirCount(ns)))
    const clientName = `mix-${tag}-${k}`
    const create = async (seq: number): Promise<void> => {
      const path = `${sharedDir()}/n${tag}c${k}s${seq}`
      await engine.create({ path, clientName }, CTX)
      if (!(await engine.complete({ path, clientName }, CTX))) throw new Error(`complete ${path}`)
      state.pool(k).push(path)
    }
    const run = async (op: MixOp, seq: number): Promise<void> => {
      switch (op) {
        case 'read':
          await engine.getBlockLocations({ path: sharedFile(), offset: 0, length: 2 ** 30 }, CTX)
          return
        case 'statFile':
          await engine.getFileInfo(sharedFile(), CTX)
          return
        case 'statDir':
          await engine.getFileInfo(sharedDir(), CTX)
          return
        case 'lsFile':
          await engine.listStatus({ path: sharedFile() }, CTX)
          return
        case 'lsDir':
          await engine.listStatus({ path: sharedDir() }, CTX)
          return
        case 'create':
          return create(seq)
        case 'rename': {
          const pool = state.pool(k)
          if (pool.length === 0) return create(seq)
          const i = int(pool.length)
          const dst = `${sharedDir()}/r${tag}c${k}s${seq}`
          if (!(await engine.rename({ src: pool[i]!, dst }, CTX)))
            throw new Error(`rename ${pool[i]} failed`)
          pool[i] = dst
          return
        }
        case 'delete': {
          const pool = state.pool(k)
          if (pool.length === 0) return create(seq)
          const i = int(pool.length)
          const path = pool[i]!
          pool[i] = pool[pool.length - 1]!
          pool.pop()
          if (!(await engine.delete({ path }, CTX))) throw new Error(`delete ${path} found nothing`)
          return
        }
        case 'chownDir':
          await engine.setOwner(sharedDir(), 'hdfs', seq % 2 === 0 ? 'supergroup' : 'bench', CTX)
          return
        case 'setReplication':
          await engine.setReplication(sharedFile(), seq % 2 === 0 ? 2 : 3, CTX)
          return
        case 'chmodFile':
          await engine.setPermission(sharedFile(), seq % 2 === 0 ? 0o640 : 0o644, CTX)
          return
        case 'mkdir':
          await engine.mkdirs({ path: `${sharedDir()}/m${tag}c${k}s${seq}` }, CTX)
          return
        case 'chmodDir':
          await engine.setPermission(sharedDir(), seq % 2 === 0 ? 0o775 : 0o755, CTX)
          return
      }
    }
    for (let seq = 0; ; seq++) {
      const t0 = performance.now()
      if (t0 >= end) return
      const op = picker.pick()
      try {
        await run(op, seq)
      } catch (err) {
        if (t0 >= measureFrom) errors.set(op, (errors.get(op) ?? 0) + 1)
        firstError ??= `${op}: ${err instanceof Error ? err.message : String(err)}`
        continue
      }
      const t1 = performance.now()
      if (t0 >= measureFrom) {
        let list = latencies.get(op)
        if (list === undefined) latencies.set(op, (list = []))
        list.push(t1 - t0)
        lastDone = t1
      }
    }
  }
  await Promise.all(Array.from({ length: options.callers }, (_, k) => loop(k)))
  const elapsedMs = Math.max(lastDone - measureFrom, 1e-3)
  const all: number[] = []
  let errorCount = 0
  const perOp: MixOpResult[] = []
  for (const [op, list] of latencies) {
    for (const l of list) all.push(l)
    const e = errors.get(op) ?? 0
    errorCount += e
    perOp.push({ op, ...summarize(list, elapsedMs, e, undefined) })
  }
  return {
    engine: kind,
    mix: mixName,
    writePercent: writePercent(mix),
    callers: options.callers,
    inodes,
    ...summarize(all, elapsedMs, errorCount, firstError),
    perOp,
  }
}
