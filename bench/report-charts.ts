/**
 * @module
 * The charts of a run, as SVG files beside its JSON (`charts.ts` draws them):
 *
 * - `throughput-vs-clients.svg`: the concurrency sweep over WebHDFS against `hops up` and its
 *   bare `node:http` baseline, with the in-process mixes at their caller counts;
 * - `latency-cdf-spotify.svg`: the Spotify mix's latency distribution on every target that ran
 *   it (in process on each engine, WebHDFS at each sweep point, the NameNode cluster);
 * - `latency-cdf-ops-<engine>.svg`: each metadata operation alone, at the largest caller count.
 */
import { lineChart } from './charts.js'
import type { Series } from './charts.js'
import type { BenchReport } from './report.js'
import { CDF_LEVELS } from './timed-loop.js'
import type { Measurement } from './timed-loop.js'

function cdf(name: string, m: Pick<Measurement, 'cdfMs'>, dashed = false): Series {
  return {
    name,
    points: m.cdfMs.map((ms, i) => [ms, CDF_LEVELS[i]!] as const),
    markers: false,
    dashed,
  }
}

/** The run's charts: file name → SVG text (charts with nothing to show are left out). */
export function renderCharts(report: BenchReport): Map<string, string> {
  const out = new Map<string, string>()
  const host = `${report.host.cpus} × ${report.host.cpuModel}, ${report.startedAt.slice(0, 16)}`

  const throughput: Series[] = []
  const sweep = report.sweep
  if (sweep !== undefined) {
    const targets = [...new Set(sweep.points.map((p) => p.target))]
    for (const t of targets)
      throughput.push({
        name: t === 'bare' ? 'bare node:http (WebHDFS ceiling)' : `WebHDFS hops up, ${t} mix`,
        points: sweep.points.filter((p) => p.target === t).map((p) => [p.clients, p.opsPerSec]),
        dashed: t === 'bare',
      })
  }
  for (const engine of ['sqlite', 'postgres'] as const) {
    const runs = (report.mixes ?? []).filter((r) => r.engine === engine && r.mix === 'spotify')
    if (runs.length > 0)
      throughput.push({
        name: `in process ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, spotify mix`,
        points: runs.map((r) => [r.callers, r.opsPerSec]),
      })
  }
  if (throughput.length > 0)
    out.set(
      'throughput-vs-clients.svg',
      lineChart({
        title: 'Throughput vs concurrent clients',
        subtitle: host,
        xLabel: 'concurrent clients (callers)',
        yLabel: 'operations per second',
        xLog: true,
        series: throughput,
      }),
    )

  const spotify: Series[] = []
  for (const r of report.mixes ?? [])
    if (r.mix === 'spotify' && r.ops > 0)
      spotify.push(cdf(`in process ${r.engine} ×${r.callers}`, r, true))
  for (const p of sweep?.points ?? [])
    if (p.target === 'spotify' && p.ops > 0) spotify.push(cdf(`WebHDFS hops up ×${p.clients}`, p))
  for (const r of report.cluster?.runs ?? [])
    if (r.mix === 'spotify' && r.ops > 0 && r.cdfMs !== undefined)
      spotify.push(cdf(`${r.namenodes} NameNode(s) on pg ×${r.callers}`, r))
  if (spotify.length > 0)
    out.set(
      'latency-cdf-spotify.svg',
      lineChart({
        title: 'Spotify mix: latency CDF per target',
        subtitle: host,
        xLabel: 'latency, ms (log scale)',
        yLabel: 'fraction of operations ≤ latency',
        xLog: true,
        yMin: 0,
        yMax: 1,
        series: spotify,
      }),
    )

  for (const engine of ['sqlite', 'postgres'] as const) {
    const results = report.results.filter((r) => r.engine === engine && r.ops > 0)
    if (results.length === 0) continue
    const callers = Math.max(...results.map((r) => r.callers))
    out.set(
      `latency-cdf-ops-${engine}.svg`,
      lineChart({
        title: `Each operation alone, in process on ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${callers} callers: latency CDF`,
        subtitle: host,
        xLabel: 'latency, ms (log scale)',
        yLabel: 'fraction of operations ≤ latency',
        xLog: true,
        yMin: 0,
        yMax: 1,
        series: results.filter((r) => r.callers === callers).map((r) => cdf(r.workload, r)),
      }),
    )
  }
  return out
}
