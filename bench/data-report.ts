/**
 * @module
 * The data-path part of the report: the Markdown table (each row against its same-run baseline)
 * and the issue's data-path targets with pass/short verdicts (informational only).
 */
import { DATA } from './data-bench.js'
import type { DataReport, DataRow } from './data-bench.js'
import { fmt } from './meta-bench.js'
import type { TargetVerdict } from './report.js'

/** Server RSS bound during the large transfers (MB). */
const RSS_TARGET_MB = 200

function find(report: DataReport, name: string): DataRow | undefined {
  return report.rows.find((r) => r.name === name)
}

function rate(r: DataRow): string {
  return r.unit === 'MB/s' ? r.value.toFixed(1) : fmt(r.value)
}

function ms(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '–' : v < 0.1 ? v.toFixed(4) : v.toFixed(3)
}

function ratio(
  report: DataReport,
  label: string,
  name: string,
  baseName: string,
  min: number,
): TargetVerdict {
  const r = find(report, name)
  const b = find(report, baseName)
  if (r === undefined || b === undefined)
    return { target: label, measured: 'not run', verdict: 'n/a' }
  const x = r.value / b.value
  return {
    target: label,
    measured: `${rate(r)} vs ${rate(b)} ${r.unit} = ${x.toFixed(2)}×`,
    verdict: x >= min ? 'pass' : 'short',
  }
}

/** The data-path targets, judged on this run. */
export function dataTargetVerdicts(report: DataReport): TargetVerdict[] {
  const mib = ((report.options.bigBytes ?? 0) / 2 ** 20).toFixed(0)
  const out = [
    ratio(report, 'GETFILESTATUS ≥ 0.6× bare node:http JSON', DATA.stat, DATA.bareJson, 0.6),
    ratio(report, `write ${mib} MiB, replication 1 ≥ 0.7× dd`, DATA.write1, DATA.dd, 0.7),
    ratio(
      report,
      `read ${mib} MiB, replication 1 ≥ 0.8× bare stream`,
      DATA.read1,
      DATA.bareGet,
      0.8,
    ),
    ratio(
      report,
      `read ${mib} MiB, replication 3 ≥ 0.8× bare stream`,
      DATA.read3,
      DATA.bareGet,
      0.8,
    ),
    ratio(report, '4 KiB write ≥ 0.8× empty-file create', DATA.createInline, DATA.createEmpty, 0.8),
    ratio(report, '4 KiB read ≥ 0.8× GETFILESTATUS', DATA.openInline, DATA.stat, 0.8),
  ]
  const big = report.rows.filter((r) => r.peakRssMb !== undefined)
  const peak = Math.max(...big.map((r) => r.peakRssMb!))
  out.push(
    big.length === 0
      ? {
          target: `server RSS < ${RSS_TARGET_MB} MB during transfers`,
          measured: 'not run',
          verdict: 'n/a',
        }
      : {
          target: `server RSS < ${RSS_TARGET_MB} MB during ${mib} MiB transfers`,
          measured: `peak ${peak.toFixed(0)} MB (${big.map((r) => `${r.name}: ${r.peakRssMb!.toFixed(0)}`).join(', ')})`,
          verdict: peak < RSS_TARGET_MB ? 'pass' : 'short',
        },
  )
  return out
}

/** The data-path section of the Markdown report. */
export function renderDataMarkdown(report: DataReport): string {
  const o = report.options
  const lines: string[] = []
  lines.push('## Data path (WebHDFS, cluster and load generator in separate processes)')
  lines.push('')
  lines.push(
    `${o.callers} keep-alive connections for request rates (${(o.durationMs / 1000).toFixed(1)} s after ${(o.warmupMs / 1000).toFixed(1)} s warm-up, best of ${o.rounds} interleaved rounds); one stream of ${(o.bigBytes / 2 ** 20).toFixed(0)} MiB for transfers. MB = 2^20 bytes. Reads of the large files come from the page cache; the DataNodes do not fsync, dd does.`,
  )
  lines.push('')
  lines.push(
    '| workload | conns | ops/s or MB/s | p50 ms | p99 ms | p999 ms | server RSS peak MB | baseline | baseline rate | ratio |',
  )
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|')
  for (const r of report.rows) {
    const b = r.baseline !== undefined ? find(report, r.baseline) : undefined
    const errs = r.errors ? ` (${r.errors} errors)` : ''
    lines.push(
      `| ${r.name}${errs} | ${r.callers} | ${rate(r)} ${r.unit} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.p999Ms)} | ${
        r.peakRssMb !== undefined ? r.peakRssMb.toFixed(0) : '–'
      } | ${b ? b.name : '–'} | ${b ? `${rate(b)} ${b.unit}` : '–'} | ${b ? (r.value / b.value).toFixed(2) : '–'} |`,
    )
  }
  lines.push('')
  lines.push('## Data-path targets (informational)')
  lines.push('')
  lines.push('| target | measured | verdict |')
  lines.push('|---|---|---|')
  for (const t of dataTargetVerdicts(report))
    lines.push(`| ${t.target} | ${t.measured} | ${t.verdict} |`)
  lines.push('')
  return lines.join('\n')
}
