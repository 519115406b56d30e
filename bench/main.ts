/**
 * @module
 * `npm run bench` — every benchmark of the project with its same-run baselines, a Markdown
 * report on stdout, and under `bench/results/`: `<suites>-<timestamp>.json` with every figure
 * and a folder of the same name with `report.md` and the SVG charts (throughput vs clients,
 * latency CDFs).
 *
 * Suites (`--suite`, default all):
 * - `meta`: each metadata operation alone (`meta-bench.ts`: mkdirs, create, create+addBlock+
 *   complete, getFileInfo of a file and of a directory, open, listStatus, setPermission,
 *   setOwner, setReplication, append, rename, delete) in process on SQLite (temp file) and
 *   PostgreSQL (fresh database), at each caller count, next to raw-driver baselines on the same
 *   rows (`baselines.ts`) and the local kernel filesystem's mkdir/stat/rename/chmod on the same
 *   disk. A memory phase first builds an N-inode namespace and reads RSS (`memory.ts`).
 * - `mix`: the Spotify mix and the 20 %-write mix in process on both engines
 *   (`engine-mix.ts`), on a copy of a stored namespace (`dataset.ts`).
 * - `sweep`: the Spotify mix over WebHDFS against `hops up` from load processes at 1, 16, 64,
 *   256 and 1000 clients, next to a bare `node:http` server at the same clients
 *   (`sweep-bench.ts`).
 * - `capacity`: bytes per inode in each database and read throughput at each namespace size
 *   (`capacity.ts`; stored datasets, built once and resumable, never timed).
 * - `data`: the data path over WebHDFS (`data-bench.ts`) vs bare HTTP, `dd` and a bare stream.
 * - `cluster`: the Spotify mix over WebHDFS against 1 and 2 `hops namenode` processes on
 *   PostgreSQL, and kill -9 failover (`cluster-bench.ts`).
 *
 * Flags:
 * - `--quick`: short runs everywhere (about 1.5 minutes in all on 2 cores): 0.3 s per meta
 *   run, no memory phase, a 3 200-file mix namespace, a 1/16/64-client sweep, capacity at 10 000
 *   and 100 000 files, 1 round of 128 MiB data-path transfers, 1.5 s cluster runs and 2 kills.
 * - `--engines sqlite,postgres`: which engines (default both).
 * - `--inodes N`: memory-phase namespace size (default 100 000, quick 0: skipped).
 * - `--duration S`, `--warmup S`: seconds per measured meta/mix run and warm-up (default 3 and
 *   0.5; quick 0.3 and 0.1).
 * - `--callers 1,16`: caller counts of the meta and mix suites. `--workloads create,getFileInfo`:
 *   a subset (for profiling, e.g. `node --cpu-prof --import tsx bench/main.ts --engines sqlite
 *   --workloads getFileInfo`).
 * - `--mix-files N`: shared files of the mix and sweep namespace (default 32 000, quick 3 200).
 * - `--sweep 1,16,64,256,1000`: client counts (quick 1,16,64); `--sweep-processes P` (default 4,
 *   quick 2); `--sweep-mixes spotify,read-only,write-20` (default spotify); `--sweep-duration S`
 *   (default 5, quick 1).
 * - `--capacity 100000,1000000`: namespace sizes in shared files for the capacity phase (default
 *   100 000 and 1 000 000; quick 10 000 and 100 000; `--capacity 10000000` builds 10 M, which
 *   takes a while once and is then reused). `--capacity-duration S` (default 3, quick 0.5).
 * - `--data-mib N`, `--data-conns N`, `--data-duration S`, `--profile-server DIR`: the data suite
 *   (see `data-bench.ts`).
 * - `--cluster-duration S`, `--cluster-kills N`, `--cluster-clients P`, `--cluster-conns C`,
 *   `--profile-cluster DIR`: the cluster suite (see `cluster-bench.ts`).
 *
 * Stored datasets live in `bench/.datasets/` (SQLite) and `hops_bench_ds_*` databases
 * (PostgreSQL); delete them to rebuild. Target verdicts are informational; the exit status is 0
 * unless the benchmark itself fails.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { openMetaEngine } from '../src/meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../src/meta/sql/sql-meta-engine.js'
import { createTestDatabase } from '../test/support/postgres.js'
import { kernelFsBaselines, postgresBaselines, sqliteBaselines } from './baselines.js'
import type { BaselineResult } from './baselines.js'
import { runClusterBench } from './cluster-bench.js'
import type { ClusterMixName, ClusterOptions, ClusterReport } from './cluster-bench.js'
import { runCapacity } from './capacity.js'
import type { CapacityResult } from './capacity.js'
import { runDataBench } from './data-bench.js'
import type { DataOptions, DataReport } from './data-bench.js'
import { buildFixtures, runWorkloads, WORKLOADS } from './meta-bench.js'
import type { EngineKind, WorkloadName, WorkloadResult } from './meta-bench.js'
import { copyDataset, ensureDataset, namespaceForFiles } from './dataset.js'
import type { Dataset } from './dataset.js'
import { MixState, runEngineMix } from './engine-mix.js'
import type { EngineMixResult } from './engine-mix.js'
import { forceGc, measureMemory } from './memory.js'
import type { MemoryResult } from './memory.js'
import { hostInfo, renderMarkdown, writeJson } from './report.js'
import type { BenchReport } from './report.js'
import { SPOTIFY_MIX, withWritePercent } from './spotify-mix.js'
import { runSweep } from './sweep-bench.js'
import type { SweepOptions, SweepReport } from './sweep-bench.js'

/** The engine's default hint-cache bound, passed explicitly so the memory phase knows it. */
const HINT_CACHE_ENTRIES = 200_000

const USAGE = `usage: npm run bench -- [--quick] [--suite meta,mix,sweep,capacity,data,cluster]
       [--engines sqlite,postgres] [--inodes N] [--duration S] [--warmup S] [--callers 1,16]
       [--workloads mkdirs,create,...] [--mix-files N] [--sweep 1,16,64,256,1000]
       [--sweep-processes P] [--sweep-mixes spotify,...] [--sweep-duration S]
       [--capacity 100000,1000000] [--capacity-duration S]
       [--data-mib N] [--data-conns N] [--data-duration S] [--profile-server DIR]
       [--cluster-duration S] [--cluster-kills N] [--cluster-clients P] [--cluster-conns C]
       [--profile-cluster DIR]
  suites: meta, mix, sweep, capacity, data, cluster (default: all)`

function fmtRate(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

const STARTED_MS = Date.now()

/** Progress on stderr; section lines (not indented) carry the seconds since the start. */
function log(line: string): void {
  const at = line.startsWith(' ') ? '' : `[${((Date.now() - STARTED_MS) / 1000).toFixed(1)} s] `
  process.stderr.write(at + line + '\n')
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

const SUITES = ['meta', 'mix', 'sweep', 'capacity', 'data', 'cluster'] as const

/** The mixes the mix suite runs in process. */
const ENGINE_MIXES = {
  spotify: SPOTIFY_MIX,
  'write-20': withWritePercent(SPOTIFY_MIX, 20),
} as const

function numbers(value: string, what: string): number[] {
  return list(value).map((c) => {
    const n = Number(c)
    if (!Number.isInteger(n) || n < 1) throw new Error(`bad ${what} '${c}'\n${USAGE}`)
    return n
  })
}

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
  mixFiles: number
  sweep: SweepOptions
  capacity: { sizes: number[]; durationMs: number; warmupMs: number; callers: number }
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
      'mix-files': { type: 'string' },
      sweep: { type: 'string' },
      'sweep-processes': { type: 'string' },
      'sweep-mixes': { type: 'string', default: 'spotify' },
      'sweep-duration': { type: 'string' },
      capacity: { type: 'string' },
      'capacity-duration': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stderr.write(USAGE + '\n')
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
  const callers = numbers(values.callers, 'caller count')
  const sweepMixes = list(values['sweep-mixes']).map((m) => {
    if (m !== 'spotify' && m !== 'read-only' && m !== 'write-20')
      throw new Error(`unknown sweep mix '${m}'\n${USAGE}`)
    return m
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
  const sweepSeconds = num(values['sweep-duration'], quick ? 1 : 5, '--sweep-duration')
  const capacitySeconds = num(values['capacity-duration'], quick ? 0.5 : 3, '--capacity-duration')
  const mixes: ClusterMixName[] = quick
    ? ['read-only', 'write-20']
    : ['read-only', 'spotify', 'write-20']
  return {
    quick,
    suites,
    data: {
      bigBytes:
        Math.max(1, Math.floor(num(values['data-mib'], quick ? 128 : 1024, '--data-mib'))) *
        2 ** 20,
      callers: conns,
      durationMs: num(values['data-duration'], quick ? 0.5 : 3, '--data-duration') * 1000,
      warmupMs: (quick ? 0.2 : 0.5) * 1000,
      rounds: quick ? 1 : 2,
      profileDir: values['profile-server'],
    },
    cluster: {
      durationMs: num(values['cluster-duration'], quick ? 1.5 : 10, '--cluster-duration') * 1000,
      warmupMs: (quick ? 0.5 : 2) * 1000,
      processes: count('cluster-clients', 2, 1),
      connections: count('cluster-conns', 16, 1),
      kills: count('cluster-kills', quick ? 2 : 6, 0),
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
    inodes: Math.floor(num(values.inodes, quick ? 0 : 100_000, '--inodes')),
    durationMs: num(values.duration, quick ? 0.3 : 3, '--duration') * 1000,
    warmupMs: num(values.warmup, quick ? 0.1 : 0.5, '--warmup') * 1000,
    mixFiles: count('mix-files', quick ? 3200 : 32_000, 16),
    sweep: {
      clients: numbers(values.sweep ?? (quick ? '1,16,64' : '1,16,64,256,1000'), 'client count'),
      processes: count('sweep-processes', quick ? 2 : 4, 1),
      mixes: sweepMixes,
      durationMs: sweepSeconds * 1000,
      warmupMs: (quick ? 0.4 : 2) * 1000,
    },
    capacity: {
      sizes: numbers(
        values.capacity ?? (quick ? '10000,100000' : '100000,1000000'),
        'capacity size',
      ),
      durationMs: capacitySeconds * 1000,
      warmupMs: (quick ? 0.2 : 1) * 1000,
      callers: 16,
    },
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
  let sweep: SweepReport | undefined
  const mixes: EngineMixResult[] = []
  let capacity: CapacityResult[] | undefined
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

  if (meta) {
    log('kernel filesystem baselines')
    baselines.push(...(await kernelFsBaselines(scratch, opts.callers, timing, log)))
  }

  const mixNs = namespaceForFiles(opts.mixFiles)
  const datasets = new Map<EngineKind, Dataset>()
  const dataset = async (kind: EngineKind): Promise<Dataset> => {
    let ds = datasets.get(kind)
    if (ds === undefined) {
      ds = await ensureDataset(kind, mixNs, log)
      datasets.set(kind, ds)
    }
    return ds
  }
  for (const kind of opts.suites.includes('mix') ? opts.engines : []) {
    log(`mix: ${kind}, in process`)
    const ds = await dataset(kind)
    const copy = await copyDataset(ds, scratch, `mix_${kind}`)
    const engine = await openMetaEngine(copy.url, {
      hintCacheSize: HINT_CACHE_ENTRIES,
      ...(kind === 'postgres' ? { poolSize: 16 } : {}),
    })
    try {
      const state = new MixState(mixNs)
      let run = 0
      for (const [name, mix] of Object.entries(ENGINE_MIXES)) {
        for (const callers of opts.callers) {
          const r = await runEngineMix(
            engine,
            kind,
            name,
            mix,
            state,
            { ...timing, callers },
            `m${run++}`,
            ds.inodes,
          )
          mixes.push(r)
          log(
            `  ${kind} ${name} x${callers}: ${fmtRate(r.opsPerSec)} ops/s, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, p999 ${r.p999Ms.toFixed(3)} ms` +
              (r.errors > 0 ? `, ${r.errors} errors (${r.firstError})` : ''),
          )
        }
      }
    } finally {
      await engine.close()
      await copy.dispose()
    }
  }

  if (opts.suites.includes('sweep'))
    sweep = await runSweep(opts.sweep, await dataset('sqlite'), scratch, log)

  if (opts.suites.includes('capacity')) {
    log(`capacity: ${opts.capacity.sizes.join(', ')} shared files`)
    capacity = await runCapacity(
      opts.engines,
      opts.capacity.sizes,
      opts.capacity,
      HINT_CACHE_ENTRIES,
      log,
    )
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
    mixes,
    sweep,
    capacity,
  }
  const markdown = renderMarkdown(report)
  process.stdout.write(markdown)
  const { file, charts } = writeJson(
    report,
    join(dirname(fileURLToPath(import.meta.url)), 'results'),
    markdown,
  )
  log(`results written to ${file}`)
  for (const c of charts) log(`chart: ${c}`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err))
    process.exit(1)
  },
)
