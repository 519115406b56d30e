/**
 * @module
 * `npm run bench` — in-process metadata benchmark with same-run baselines.
 *
 * For each engine (SQLite in a temp file, PostgreSQL in a fresh database) it builds fixtures
 * through the engine (untimed), measures raw-driver baselines on the same rows, then runs each
 * workload (mkdirs, create, getFileInfo 6-deep, listStatus of 1000, rename, delete) at 1 and 16
 * concurrent callers for a fixed time after a warm-up, and reports ops/s and p50/p99 latency
 * next to the matching baseline. A memory phase first builds an N-inode namespace and reads RSS.
 *
 * Flags:
 * - `--quick`: 1 s per run (0.3 s warm-up), 20 000-inode memory phase; under 2 minutes.
 * - `--engines sqlite,postgres`: which engines (default both).
 * - `--inodes N`: memory-phase namespace size (default 100 000, quick 20 000; 0 skips it).
 *   `--inodes 1000000` measures the 1 M-inode target directly (several minutes of building).
 * - `--duration S`, `--warmup S`: seconds per measured run and warm-up (default 3 and 0.5).
 * - `--callers 1,16`: caller counts. `--workloads create,getFileInfo`: a subset (for profiling,
 *   e.g. `node --cpu-prof --import tsx bench/main.ts --engines sqlite --workloads getFileInfo`).
 *
 * Prints Markdown on stdout (progress on stderr) and writes `bench/results/meta-<timestamp>.json`.
 * Target verdicts are informational; the exit status is 0 unless the benchmark itself fails.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { openMetaEngine } from '../src/meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../src/meta/sql/sql-meta-engine.js'
import { createTestDatabase } from '../test/support/postgres.js'
import { postgresBaselines, sqliteBaselines } from './baselines.js'
import type { BaselineResult } from './baselines.js'
import { buildFixtures, runWorkloads, WORKLOADS } from './meta-bench.js'
import type { EngineKind, WorkloadName, WorkloadResult } from './meta-bench.js'
import { forceGc, measureMemory } from './memory.js'
import type { MemoryResult } from './memory.js'
import { hostInfo, renderMarkdown, writeJson } from './report.js'
import type { BenchReport } from './report.js'

/** The engine's default hint-cache bound, passed explicitly so the memory phase knows it. */
const HINT_CACHE_ENTRIES = 200_000

const USAGE = `usage: npm run bench -- [--quick] [--engines sqlite,postgres] [--inodes N]
       [--duration S] [--warmup S] [--callers 1,16] [--workloads mkdirs,create,...]`

function log(line: string): void {
  process.stderr.write(line + '\n')
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function parseOptions(): {
  quick: boolean
  engines: EngineKind[]
  inodes: number
  durationMs: number
  warmupMs: number
  callers: number[]
  workloads: WorkloadName[]
} {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      engines: { type: 'string', default: 'sqlite,postgres' },
      inodes: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      callers: { type: 'string', default: '1,16' },
      workloads: { type: 'string', default: WORKLOADS.join(',') },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    log(USAGE)
    process.exit(0)
  }
  const quick = values.quick
  const engines = list(values.engines).map((e) => {
    if (e !== 'sqlite' && e !== 'postgres') throw new Error(`unknown engine '${e}'\n${USAGE}`)
    return e
  })
  const workloads = list(values.workloads).map((w) => {
    if (!(WORKLOADS as readonly string[]).includes(w))
      throw new Error(`unknown workload '${w}'\n${USAGE}`)
    return w as WorkloadName
  })
  const num = (v: string | undefined, fallback: number, what: string): number => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new Error(`bad ${what} '${v}'\n${USAGE}`)
    return n
  }
  const callers = list(values.callers).map((c) => {
    const n = Number(c)
    if (!Number.isInteger(n) || n < 1) throw new Error(`bad caller count '${c}'\n${USAGE}`)
    return n
  })
  return {
    quick,
    engines,
    workloads,
    callers,
    inodes: Math.floor(num(values.inodes, quick ? 20_000 : 100_000, '--inodes')),
    durationMs: num(values.duration, quick ? 1 : 3, '--duration') * 1000,
    warmupMs: num(values.warmup, quick ? 0.3 : 0.5, '--warmup') * 1000,
  }
}

/** An engine on a fresh store, and how to dispose of it. */
interface OpenedEngine {
  readonly engine: SqlMetaEngine
  readonly url: string
  /** The SQLite file (undefined for PostgreSQL). */
  readonly file?: string | undefined
  dispose(): Promise<void>
}

async function openFresh(kind: EngineKind, scratch: string, tag: string): Promise<OpenedEngine> {
  const options = { hintCacheSize: HINT_CACHE_ENTRIES }
  if (kind === 'sqlite') {
    const file = join(scratch, `${tag}.db`)
    const url = `sqlite:${file}`
    const engine = await openMetaEngine(url, options)
    return { engine, url, file, dispose: () => engine.close() }
  }
  const db = await createTestDatabase()
  const engine = await openMetaEngine(db.url, { ...options, poolSize: 16 })
  return {
    engine,
    url: db.url,
    dispose: async () => {
      await engine.close()
      await db.drop()
    },
  }
}

async function main(): Promise<void> {
  const opts = parseOptions()
  const startedAt = new Date().toISOString()
  const scratch = mkdtempSync(join(tmpdir(), 'hops-bench-'))
  process.once('exit', () => rmSync(scratch, { recursive: true, force: true }))
  const timing = { durationMs: opts.durationMs, warmupMs: opts.warmupMs }
  const results: WorkloadResult[] = []
  const baselines: BaselineResult[] = []
  let memory: MemoryResult | undefined

  if (opts.inodes > 0) {
    const kind: EngineKind = opts.engines.includes('sqlite')
      ? 'sqlite'
      : (opts.engines[0] ?? 'sqlite')
    log(`memory: building ${opts.inodes} inodes on ${kind}`)
    const opened = await openFresh(kind, scratch, 'memory')
    try {
      memory = await measureMemory(opened.engine, kind, opts.inodes, HINT_CACHE_ENTRIES, log)
      log(
        `  RSS ${memory.rssBeforeMb.toFixed(1)} → ${memory.rssAfterMb.toFixed(1)} MB, hint cache ${memory.hintCacheSize}`,
      )
    } finally {
      await opened.dispose()
    }
    rmSync(join(scratch, 'memory.db'), { force: true })
    forceGc()
  }

  for (const kind of opts.engines) {
    log(`${kind}: building fixtures`)
    const opened = await openFresh(kind, scratch, 'bench')
    try {
      const fx = await buildFixtures(opened.engine)
      log(`${kind}: baselines`)
      if (kind === 'sqlite')
        baselines.push(...sqliteBaselines(opened.file!, scratch, fx, timing, log))
      else baselines.push(...(await postgresBaselines(opened.url, fx, opts.callers, timing, log)))
      log(`${kind}: workloads`)
      results.push(
        ...(await runWorkloads(opened.engine, kind, fx, opts.workloads, opts.callers, timing, log)),
      )
      const s = opened.engine.stats()
      log(
        `${kind}: hint cache ${s.hintCacheSize} entries, ${s.hintCacheHits} hits / ${s.hintCacheMisses} misses, ${s.txnRestarts} txn restarts`,
      )
    } finally {
      await opened.dispose()
    }
  }

  const report: BenchReport = {
    startedAt,
    host: hostInfo(),
    options: { ...opts },
    results,
    baselines,
    memory,
  }
  process.stdout.write(renderMarkdown(report))
  const file = writeJson(report, join(dirname(fileURLToPath(import.meta.url)), 'results'))
  log(`results written to ${file}`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err))
    process.exit(1)
  },
)
