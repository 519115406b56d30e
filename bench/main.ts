/**
 * @module
 * `npm run bench` — the metadata benchmark (in-process), the data-path benchmark (a cluster and a
 * load generator in child processes) and the cluster benchmark (NameNode processes on
 * PostgreSQL under the Spotify mix, with failover), each with same-run baselines.
 *
 * Metadata suite (`meta`): for each engine (SQLite in a temp file, PostgreSQL in a fresh database) it builds fixtures
 * through the engine (untimed), measures raw-driver baselines on the same rows, then runs each
 * workload (mkdirs, create, getFileInfo 6-deep, listStatus of 1000, rename, delete) at 1 and 16
 * concurrent callers for a fixed time after a warm-up, and reports ops/s and p50/p99 latency
 * next to the matching baseline. A memory phase first builds an N-inode namespace and reads RSS.
 *
 * Data-path suite (`data`, see `data-bench.ts`): GETFILESTATUS vs a bare `node:http` server,
 * 4 KiB files inline vs through DataNodes vs empty creates, a large file written and read at
 * replication 1 and 3 vs `dd` and a bare loopback stream, with the server's peak RSS.
 *
 * Cluster suite (`cluster`, see `cluster-bench.ts`): the Spotify mix (`spotify-mix.ts`) over
 * WebHDFS from load processes (`cluster-load.ts`) against 1 and 2 `hops namenode` processes on
 * a fresh PostgreSQL database, read-only vs 20 % writes (full run: also the mix as published),
 * then kill -9 of a NameNode under load, with raw `pg` and bare `node:http` baselines.
 *
 * Flags:
 * - `--suite meta,data,cluster`: which suites (default all three).
 * - `--quick`: 1 s per run (0.3 s warm-up), 20 000-inode memory phase, 256 MiB transfers, a
 *   3 200-file cluster namespace, 2.5 s cluster runs and 3 kills; all suites in about 2.5
 *   minutes.
 * - `--engines sqlite,postgres`: which engines (default both).
 * - `--inodes N`: memory-phase namespace size (default 100 000, quick 20 000; 0 skips it).
 *   `--inodes 1000000` measures the 1 M-inode target directly (several minutes of building).
 * - `--duration S`, `--warmup S`: seconds per measured run and warm-up (default 3 and 0.5).
 * - `--callers 1,16`: caller counts. `--workloads create,getFileInfo`: a subset (for profiling,
 *   e.g. `node --cpu-prof --import tsx bench/main.ts --engines sqlite --workloads getFileInfo`).
 * - `--data-mib N`: size of the large file (default 1024, quick 256).
 * - `--data-conns N`: keep-alive connections of the data-path request rates (default 16; the
 *   2-core hosts this runs on saturate well before more).
 * - `--data-duration S`: seconds per data-path rate run (default 3, quick 1; warm-up 0.5 / 0.3).
 * - `--cluster-duration S`: seconds per measured cluster run (default 10, quick 2.5; warm-up 2 /
 *   1). `--cluster-kills N`: NameNode kills in the failover phase (default 6, quick 3; 0 skips).
 * - `--cluster-clients P`, `--cluster-conns C`: load processes and keep-alive callers in each
 *   (default 2 × 16).
 * - `--profile-cluster DIR`: the cluster suite's NameNodes and DataNode under `--cpu-prof`
 *   (with `--cluster-kills 0`, one profile per process; summarise each as below).
 * - `--profile-server DIR`: run the data suite's cluster process under `--cpu-prof`, profiles written to DIR
 *   (summarise with `npx tsx bench/profile-summary.ts DIR`: the largest profile there is the
 *   main thread's; tsx's loader thread writes a small one beside it).
 *
 * Prints Markdown on stdout (progress on stderr) and writes
 * `bench/results/<suites>-<timestamp>.json` (e.g. `meta-data-cluster-…json`).
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
import { runClusterBench } from './cluster-bench.js'
import type { ClusterMixName, ClusterOptions, ClusterReport } from './cluster-bench.js'
import { runDataBench } from './data-bench.js'
import type { DataOptions, DataReport } from './data-bench.js'
import { buildFixtures, runWorkloads, WORKLOADS } from './meta-bench.js'
import type { EngineKind, WorkloadName, WorkloadResult } from './meta-bench.js'
import { forceGc, measureMemory } from './memory.js'
import type { MemoryResult } from './memory.js'
import { hostInfo, renderMarkdown, writeJson } from './report.js'
import type { BenchReport } from './report.js'

/** The engine's default hint-cache bound, passed explicitly so the memory phase knows it. */
const HINT_CACHE_ENTRIES = 200_000

const USAGE = `usage: npm run bench -- [--quick] [--suite meta,data,cluster] [--engines sqlite,postgres]
       [--inodes N] [--duration S] [--warmup S] [--callers 1,16] [--workloads mkdirs,create,...]
       [--data-mib N] [--data-conns N] [--data-duration S] [--profile-server DIR]
       [--cluster-duration S] [--cluster-kills N] [--cluster-clients P] [--cluster-conns C]
       [--profile-cluster DIR]
  suites: meta, data, cluster (default: all)`

function log(line: string): void {
  process.stderr.write(line + '\n')
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

const SUITES = ['meta', 'data', 'cluster'] as const

function parseOptions(): {
  quick: boolean
  suites: string[]
  data: DataOptions
  cluster: ClusterOptions
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
      suite: { type: 'string', default: SUITES.join(',') },
      'data-mib': { type: 'string' },
      'data-conns': { type: 'string' },
      'data-duration': { type: 'string' },
      'profile-server': { type: 'string' },
      'cluster-duration': { type: 'string' },
      'cluster-kills': { type: 'string' },
      'cluster-clients': { type: 'string' },
      'cluster-conns': { type: 'string' },
      'profile-cluster': { type: 'string' },
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
  const suites = list(values.suite).map((x) => {
    if (!(SUITES as readonly string[]).includes(x))
      throw new Error(`unknown suite '${x}'\n${USAGE}`)
    return x
  })
  const conns = num(values['data-conns'], 16, '--data-conns')
  if (!Number.isInteger(conns) || conns < 1) throw new Error(`bad --data-conns\n${USAGE}`)
  const count = (name: string, fallback: number, min: number): number => {
    const n = num(values[name as keyof typeof values] as string | undefined, fallback, `--${name}`)
    if (!Number.isInteger(n) || n < min) throw new Error(`bad --${name}\n${USAGE}`)
    return n
  }
  const mixes: ClusterMixName[] = quick
    ? ['read-only', 'write-20']
    : ['read-only', 'spotify', 'write-20']
  return {
    quick,
    suites,
    data: {
      bigBytes:
        Math.max(1, Math.floor(num(values['data-mib'], quick ? 256 : 1024, '--data-mib'))) *
        2 ** 20,
      callers: conns,
      durationMs: num(values['data-duration'], quick ? 1 : 3, '--data-duration') * 1000,
      warmupMs: (quick ? 0.3 : 0.5) * 1000,
      rounds: 2,
      profileDir: values['profile-server'],
    },
    cluster: {
      durationMs: num(values['cluster-duration'], quick ? 2.5 : 10, '--cluster-duration') * 1000,
      warmupMs: (quick ? 1 : 2) * 1000,
      processes: count('cluster-clients', 2, 1),
      connections: count('cluster-conns', 16, 1),
      kills: count('cluster-kills', quick ? 3 : 6, 0),
      mixes,
      // 2 000 directories × 16 files (quick: 400 × 8), 64 own files per caller.
      top: quick ? 20 : 50,
      perTop: quick ? 20 : 40,
      filesPerDir: quick ? 8 : 16,
      ownFiles: 64,
      profileDir: values['profile-cluster'],
    },
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
  let data: DataReport | undefined
  let cluster: ClusterReport | undefined
  const meta = opts.suites.includes('meta')

  if (meta && opts.inodes > 0) {
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

  for (const kind of meta ? opts.engines : []) {
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

  if (opts.suites.includes('data')) data = await runDataBench(opts.data, scratch, log)
  if (opts.suites.includes('cluster')) cluster = await runClusterBench(opts.cluster, log)

  const report: BenchReport = {
    startedAt,
    host: hostInfo(),
    options: { ...opts },
    results,
    baselines,
    memory,
    suites: opts.suites,
    data,
    cluster,
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
