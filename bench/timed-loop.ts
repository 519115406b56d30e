/**
 * @module
 * The measuring loop shared by every workload and baseline: N callers awaiting in parallel
 * (async concurrency within one process), a warm-up that is not counted, then a fixed window in
 * which each completed operation's latency is recorded.
 */
import { performance } from 'node:perf_hooks'

/** Throughput and latency of one measured run. */
export interface Measurement {
  /** Operations completed in the measured window. */
  readonly ops: number
  /** Length of the measured window in ms (warm-up excluded). */
  readonly elapsedMs: number
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly p999Ms: number
  /**
   * The latency distribution, compact: the latency (ms) at each probability of
   * {@link CDF_LEVELS}, for the latency-CDF charts.
   */
  readonly cdfMs: readonly number[]
  /** Operations that threw (they are not counted in `ops`). */
  readonly errors: number
  /** Message of the first error, if any. */
  readonly firstError?: string | undefined
}

/** How long to run and how many callers. */
export interface LoopOptions {
  readonly callers: number
  readonly warmupMs: number
  readonly durationMs: number
}

/**
 * One operation of caller `caller` (0-based); `seq` counts that caller's operations from 0.
 * Returning `false` means the caller has nothing left to do (e.g. no file left to delete).
 */
export type AsyncOp = (caller: number, seq: number) => Promise<boolean | void>

/** Stop a run when this many operations failed: the numbers would mean nothing. */
const MAX_ERRORS = 50

/** Runs `op` on `callers` concurrent loops for warm-up + duration; measures after the warm-up. */
export async function runTimed(options: LoopOptions, op: AsyncOp): Promise<Measurement> {
  const start = performance.now()
  const measureFrom = start + options.warmupMs
  const end = measureFrom + options.durationMs
  const latencies: number[] = []
  let errors = 0
  let firstError: string | undefined
  let lastDone = measureFrom

  const loop = async (caller: number): Promise<void> => {
    for (let seq = 0; ; seq++) {
      const t0 = performance.now()
      if (t0 >= end || errors >= MAX_ERRORS) return
      let more: boolean | void
      try {
        more = await op(caller, seq)
      } catch (err) {
        errors++
        firstError ??= err instanceof Error ? err.message : String(err)
        continue
      }
      if (more === false) return
      const t1 = performance.now()
      if (t0 >= measureFrom) {
        latencies.push(t1 - t0)
        lastDone = t1
      }
    }
  }
  await Promise.all(Array.from({ length: options.callers }, (_, i) => loop(i)))
  return summarize(latencies, Math.max(lastDone - measureFrom, 1e-3), errors, firstError)
}

/**
 * A synchronous loop (one caller) for raw better-sqlite3 baselines, where awaiting would only
 * add promise overhead that the driver itself does not have.
 */
export function runSync(
  options: Omit<LoopOptions, 'callers'>,
  op: (seq: number) => void,
): Measurement {
  const start = performance.now()
  const measureFrom = start + options.warmupMs
  const end = measureFrom + options.durationMs
  const latencies: number[] = []
  let lastDone = measureFrom
  for (let seq = 0; ; seq++) {
    const t0 = performance.now()
    if (t0 >= end) break
    op(seq)
    const t1 = performance.now()
    if (t0 >= measureFrom) {
      latencies.push(t1 - t0)
      lastDone = t1
    }
  }
  return summarize(latencies, Math.max(lastDone - measureFrom, 1e-3), 0, undefined)
}

/**
 * Probabilities at which {@link Measurement.cdfMs} samples the latency distribution: dense in
 * the tail, where latency CDFs are read.
 */
export const CDF_LEVELS: readonly number[] = [
  0.001, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7,
  0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1,
]

/** Ops/s and percentiles (nearest rank) from raw latencies. */
export function summarize(
  latencies: readonly number[],
  elapsedMs: number,
  errors: number,
  firstError: string | undefined,
): Measurement {
  const sorted = Float64Array.from(latencies).sort()
  return {
    ops: sorted.length,
    elapsedMs,
    opsPerSec: (sorted.length * 1000) / elapsedMs,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    cdfMs: CDF_LEVELS.map((q) => Math.round(percentile(sorted, q) * 1e4) / 1e4),
    errors,
    firstError,
  }
}

/** Nearest-rank percentile of sorted values (NaN when empty). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight (untimed setup). */
export async function forEachConcurrent(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      await task(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => worker()))
}
