/**
 * @module
 * Turns results into the Markdown report (workloads against their same-run baselines, the
 * issue's targets with pass/short verdicts, memory) and the JSON file under `bench/results/`.
 * The data-path and cluster sections (when those suites ran) are rendered by `data-report.ts`
 * and `cluster-report.ts`. Verdicts are
 * informational: they never change the exit status.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { BASELINE } from './baselines.js'
import type { BaselineResult } from './baselines.js'
import type { ClusterReport } from './cluster-bench.js'
import { clusterTargetVerdicts, renderClusterMarkdown } from './cluster-report.js'
import type { DataReport } from './data-bench.js'
import { dataTargetVerdicts, renderDataMarkdown } from './data-report.js'
import type { EngineKind, WorkloadName, WorkloadResult } from './meta-bench.js'
import { fmt } from './meta-bench.js'
import type { MemoryResult } from './memory.js'
import type { CapacityResult } from './capacity.js'
import type { EngineMixResult } from './engine-mix.js'
import { renderCharts } from './report-charts.js'
import { renderCapacityMarkdown, renderMixMarkdown, renderSweepMarkdown } from './scale-report.js'
import type { SweepReport } from './sweep-bench.js'

/** Everything one run measured. */
export interface BenchReport {
  readonly startedAt: string
  readonly host: { readonly cpus: number; readonly cpuModel: string; readonly node: string }
  readonly options: Record<string, unknown>
  readonly results: readonly WorkloadResult[]
  readonly baselines: readonly BaselineResult[]
  readonly memory?: MemoryResult | undefined
  /** Which suites ran (`meta`, `data`, `cluster`). */
  readonly suites: readonly string[]
  /** The data-path suite's results, when it ran. */
  readonly data?: DataReport | undefined
  /** The cluster suite's results, when it ran. */
  readonly cluster?: ClusterReport | undefined
  /** The Spotify mixes in process (mix suite). */
  readonly mixes?: readonly EngineMixResult[] | undefined
  /** The concurrency sweep over WebHDFS against `hops up`. */
  readonly sweep?: SweepReport | undefined
  /** Bytes per inode and throughput per namespace size. */
  readonly capacity?: readonly CapacityResult[] | undefined
}

/** A target of the issue and whether this run met it. */
export interface TargetVerdict {
  readonly target: string
  readonly measured: string
  readonly verdict: 'pass' | 'short' | 'n/a'
}

/** The baseline a workload is compared with, per engine. */
function baselineNameFor(workload: WorkloadName, engine: EngineKind): string {
  const sqlite = engine === 'sqlite'
  switch (workload) {
    case 'getFileInfo':
    case 'getFileInfoDir':
    case 'open':
      return sqlite ? BASELINE.sqliteByName : BASELINE.pgById
    case 'listStatus':
      return sqlite ? BASELINE.sqliteList : BASELINE.pgList
    default:
      return sqlite ? BASELINE.sqliteInsert : BASELINE.pgInsert
  }
}

/**
 * The baseline run for a workload: PostgreSQL at the same number of callers; SQLite's raw loops
 * are synchronous (one caller is all a connection can serve), so every SQLite row uses them.
 */
export function baselineFor(
  r: Pick<WorkloadResult, 'workload' | 'engine' | 'callers'>,
  baselines: readonly BaselineResult[],
): BaselineResult | undefined {
  const name = baselineNameFor(r.workload, r.engine)
  return baselines.find(
    (b) =>
      b.name === name &&
      b.engine === r.engine &&
      (r.engine === 'sqlite' || b.callers === r.callers),
  )
}

/** The local-filesystem operation a workload is compared with, if there is one. */
const KERNEL_BASELINE: Partial<Record<WorkloadName, string>> = {
  mkdirs: BASELINE.fsMkdir,
  getFileInfo: BASELINE.fsStat,
  getFileInfoDir: BASELINE.fsStatDir,
  rename: BASELINE.fsRename,
  setPermission: BASELINE.fsChmod,
}

/** The kernel-filesystem baseline of a workload at the same number of callers. */
export function kernelBaselineFor(
  r: Pick<WorkloadResult, 'workload' | 'callers'>,
  baselines: readonly BaselineResult[],
): BaselineResult | undefined {
  const name = KERNEL_BASELINE[r.workload]
  if (name === undefined) return undefined
  return baselines.find((b) => b.name === name && b.engine === 'kernel' && b.callers === r.callers)
}

function ms(v: number): string {
  return Number.isNaN(v) ? '–' : v < 0.1 ? v.toFixed(4) : v.toFixed(3)
}

/** The issue's targets, judged on this run. */
export function targetVerdicts(report: BenchReport): TargetVerdict[] {
  const out: TargetVerdict[] = []
  const find = (w: WorkloadName, e: EngineKind, c: number): WorkloadResult | undefined =>
    report.results.find((r) => r.workload === w && r.engine === e && r.callers === c)
  const gfi = find('getFileInfo', 'sqlite', 1)
  const raw = gfi && baselineFor(gfi, report.baselines)
  out.push(
    gfi && raw
      ? ratioVerdict(
          'SQLite getFileInfo 6-deep ≥ 0.5× raw (parent_id,name) lookup, 1 caller',
          gfi.opsPerSec,
          raw.opsPerSec,
          0.5,
        )
      : na('SQLite getFileInfo 6-deep ≥ 0.5× raw (parent_id,name) lookup, 1 caller'),
  )
  const creates = report.results.filter((r) => r.workload === 'create' && r.engine === 'sqlite')
  for (const c of creates) {
    out.push({
      target: `SQLite create ≥ 10 000/s (${c.callers} caller${c.callers > 1 ? 's' : ''})`,
      measured: `${fmt(c.opsPerSec)}/s`,
      verdict: c.opsPerSec >= 10_000 ? 'pass' : 'short',
    })
  }
  if (creates.length === 0) out.push(na('SQLite create ≥ 10 000/s'))
  const pgGfi = report.results.filter(
    (r) => r.workload === 'getFileInfo' && r.engine === 'postgres',
  )
  for (const g of pgGfi) {
    const b = baselineFor(g, report.baselines)
    const label = `PostgreSQL getFileInfo ≥ 0.5× raw pg pk lookup, ${g.callers} in flight`
    out.push(b ? ratioVerdict(label, g.opsPerSec, b.opsPerSec, 0.5) : na(label))
  }
  if (pgGfi.length === 0) out.push(na('PostgreSQL getFileInfo ≥ 0.5× raw pg pk lookup'))
  const mem = report.memory
  const memLabel = 'NameNode over 1 M inodes < 300 MB RSS'
  if (mem === undefined) out.push(na(memLabel))
  else {
    const direct = mem.inodes >= 1_000_000
    const mb = direct ? mem.rssAfterMb : mem.rssAt1MExtrapolatedMb
    out.push({
      target: memLabel,
      measured: direct
        ? `${mb.toFixed(0)} MB RSS at ${fmt(mem.inodes)} inodes`
        : `${mb.toFixed(0)} MB extrapolated from ${fmt(mem.inodes)} inodes (measure with --inodes 1000000)`,
      verdict: mb < 300 ? 'pass' : 'short',
    })
  }
  return out
}

function ratioVerdict(target: string, value: number, base: number, min: number): TargetVerdict {
  const ratio = value / base
  return {
    target,
    measured: `${fmt(value)} vs ${fmt(base)} ops/s = ${ratio.toFixed(2)}×`,
    verdict: ratio >= min ? 'pass' : 'short',
  }
}

function na(target: string): TargetVerdict {
  return { target, measured: 'not run', verdict: 'n/a' }
}

/** The Markdown report. */
export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = []
  lines.push(`# Benchmark (${report.suites.join(', ')}) — ${report.startedAt}`)
  lines.push('')
  lines.push(
    `Host: ${report.host.cpus} × ${report.host.cpuModel}, Node ${report.host.node}. Options: \`${JSON.stringify(report.options)}\``,
  )
  lines.push('')
  if (report.suites.includes('meta')) renderMetaMarkdown(report, lines)
  if (report.mixes !== undefined && report.mixes.length > 0)
    lines.push(renderMixMarkdown(report.mixes, report.baselines))
  if (report.sweep !== undefined) lines.push(renderSweepMarkdown(report.sweep))
  if (report.capacity !== undefined) lines.push(renderCapacityMarkdown(report.capacity))
  if (report.data !== undefined) lines.push(renderDataMarkdown(report.data))
  if (report.cluster !== undefined) lines.push(renderClusterMarkdown(report.cluster))
  return lines.join('\n')
}

function renderMetaMarkdown(report: BenchReport, lines: string[]): void {
  lines.push('## Workloads vs same-run baselines')
  lines.push('')
  lines.push(
    '| workload | engine | callers | ops/s | p50 ms | p99 ms | p999 ms | DB baseline | baseline ops/s | ÷ DB | kernel fs baseline ops/s | ÷ kernel fs |',
  )
  lines.push('|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|')
  for (const r of report.results) {
    const b = baselineFor(r, report.baselines)
    const k = kernelBaselineFor(r, report.baselines)
    const errs = r.errors > 0 ? ` (${r.errors} errors)` : ''
    lines.push(
      `| ${r.workload}${errs} | ${r.engine} | ${r.callers} | ${fmt(r.opsPerSec)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.p999Ms)} | ${
        b ? `${b.name}${b.engine === 'postgres' ? ` ×${b.callers}` : ''}` : '–'
      } | ${b ? fmt(b.opsPerSec) : '–'} | ${b ? (r.opsPerSec / b.opsPerSec).toFixed(2) : '–'} | ${
        k ? `${fmt(k.opsPerSec)} (${k.name.replace('kernel fs ', '')})` : '–'
      } | ${k ? (r.opsPerSec / k.opsPerSec).toFixed(2) : '–'} |`,
    )
  }
  lines.push('')
  lines.push('## Baselines')
  lines.push('')
  lines.push('| baseline | engine | callers | ops/s | p50 ms | p99 ms | p999 ms |')
  lines.push('|---|---|---:|---:|---:|---:|---:|')
  for (const b of report.baselines) {
    lines.push(
      `| ${b.name} | ${b.engine} | ${b.callers} | ${fmt(b.opsPerSec)} | ${ms(b.p50Ms)} | ${ms(b.p99Ms)} | ${ms(b.p999Ms)} |`,
    )
  }
  lines.push('')
  lines.push('## Targets (informational)')
  lines.push('')
  lines.push('| target | measured | verdict |')
  lines.push('|---|---|---|')
  for (const t of targetVerdicts(report))
    lines.push(`| ${t.target} | ${t.measured} | ${t.verdict} |`)
  const mem = report.memory
  if (mem !== undefined) {
    lines.push('')
    lines.push('## Memory')
    lines.push('')
    lines.push(
      '| engine | inodes | build s | build inodes/s | RSS before MB | RSS after MB | heap before MB | heap after MB | hint cache entries | RSS B/inode | heap B/cache entry | RSS at 1 M (extrapolated) MB |',
    )
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    lines.push(
      `| ${mem.engine} | ${fmt(mem.inodes)} | ${mem.buildSeconds.toFixed(1)} | ${fmt(mem.buildInodesPerSec)} | ${mem.rssBeforeMb.toFixed(1)} | ${mem.rssAfterMb.toFixed(1)} | ${mem.heapUsedBeforeMb.toFixed(1)} | ${mem.heapUsedAfterMb.toFixed(1)} | ${fmt(mem.hintCacheSize)} | ${fmt(mem.rssBytesPerInode)} | ${fmt(mem.heapBytesPerCacheEntry)} | ${mem.rssAt1MExtrapolatedMb.toFixed(0)} |`,
    )
  }
  lines.push('')
}

/**
 * Writes the report as `bench/results/<run>.json` (`<run>` is `<suites>-<timestamp>`), with the
 * verdicts of each suite that ran, and `bench/results/<run>/`: `report.md` (the Markdown) and
 * the SVG charts. Returns the JSON's path and the charts' paths.
 */
export function writeJson(
  report: BenchReport,
  dir: string,
  markdown: string,
): { file: string; charts: string[] } {
  mkdirSync(dir, { recursive: true })
  const run = `${report.suites.join('-')}-${report.startedAt.replace(/[:.]/g, '-')}`
  const file = join(dir, `${run}.json`)
  const runDir = join(dir, run)
  mkdirSync(runDir, { recursive: true })
  writeFileSync(join(runDir, 'report.md'), markdown)
  const charts: string[] = []
  for (const [name, svg] of renderCharts(report)) {
    const path = join(runDir, name)
    writeFileSync(path, svg)
    charts.push(path)
  }
  const targets = report.suites.includes('meta') ? targetVerdicts(report) : undefined
  const dataTargets = report.data !== undefined ? dataTargetVerdicts(report.data) : undefined
  const clusterTargets =
    report.cluster !== undefined ? clusterTargetVerdicts(report.cluster) : undefined
  writeFileSync(
    file,
    JSON.stringify({ ...report, targets, dataTargets, clusterTargets }, null, 2) + '\n',
  )
  return { file, charts }
}

/** Host facts for the report. */
export function hostInfo(): BenchReport['host'] {
  const list = cpus()
  return { cpus: list.length, cpuModel: list[0]?.model ?? 'unknown', node: process.version }
}
