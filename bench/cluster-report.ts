/**
 * @module
 * The cluster suite's Markdown section and its target verdicts (issue 4): the 20 %-write mix
 * keeps ≥ 0.85× the read-only mix's throughput; failover ≤ 2 s from kill -9 to the first
 * successful retried operation; 2 NameNodes ≥ 1.7× one where the database has headroom.
 * Verdicts are informational.
 */
import type { ClusterBaseline, ClusterReport, ClusterRun, CpuUse } from './cluster-bench.js'
import { CLUSTER_BASELINE } from './cluster-bench.js'
import { fmt } from './meta-bench.js'
import type { TargetVerdict } from './report.js'
import { MIX_OPS, OP_LABELS } from './spotify-mix.js'

/** The machine counts as saturated above this share of its cores busy. */
const SATURATED = 0.9

function runOf(
  report: ClusterReport,
  namenodes: number,
  mix: ClusterRun['mix'],
): ClusterRun | undefined {
  return report.runs.find((r) => r.namenodes === namenodes && r.mix === mix)
}

function baseline(report: ClusterReport, name: string): ClusterBaseline | undefined {
  return report.baselines.find((b) => b.name === name)
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !(b > 0) ? '–' : (a / b).toFixed(2)
}

function ms(v: number): string {
  return Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1)
}

function cpuText(c: CpuUse | undefined): string {
  if (c === undefined) return '–'
  const nn = c.namenodes.map((v) => v.toFixed(2)).join(' + ')
  return `${nn} / ${c.postgres.toFixed(2)} / ${c.load.toFixed(2)} / ${c.datanode.toFixed(2)} / ${c.other.toFixed(2)} / ${c.machine.toFixed(2)} of ${c.cores}`
}

function saturated(c: CpuUse): boolean {
  return c.machine >= SATURATED * c.cores
}

/** The issue's cluster targets, judged on this run. */
export function clusterTargetVerdicts(report: ClusterReport): TargetVerdict[] {
  const out: TargetVerdict[] = []
  for (const n of [1, 2]) {
    const target = `20 %-write mix ≥ 0.85× read-only mix, ${n} NameNode${n > 1 ? 's' : ''}`
    const ro = runOf(report, n, 'read-only')
    const w = runOf(report, n, 'write-20')
    if (ro === undefined || w === undefined)
      out.push({ target, measured: 'not run', verdict: 'n/a' })
    else {
      const r = w.opsPerSec / ro.opsPerSec
      out.push({
        target,
        measured: `${fmt(w.opsPerSec)} vs ${fmt(ro.opsPerSec)} ops/s = ${r.toFixed(2)}×`,
        verdict: r >= 0.85 ? 'pass' : 'short',
      })
    }
  }
  const fo = report.failover
  const foTarget = 'failover ≤ 2 s from kill -9 to the first successful retried op (p99)'
  if (fo === undefined || fo.samplesMs.length === 0)
    out.push({ target: foTarget, measured: 'not run', verdict: 'n/a' })
  else
    out.push({
      target: foTarget,
      measured: `p50 ${ms(fo.p50Ms)} ms, p99 ${ms(fo.p99Ms)} ms, max ${ms(fo.maxMs)} ms over ${fo.samplesMs.length} samples (${fo.kills} kills); ${fo.errors} ops failed, ${fo.unrecovered} callers unrecovered`,
      verdict: fo.p99Ms <= 2000 && fo.errors === 0 && fo.unrecovered === 0 ? 'pass' : 'short',
    })
  for (const mix of ['read-only', 'write-20'] as const) {
    const target = `2 NameNodes ≥ 1.7× 1 NameNode (${mix}) where the database has headroom`
    const one = runOf(report, 1, mix)
    const two = runOf(report, 2, mix)
    if (one === undefined || two === undefined) {
      out.push({ target, measured: 'not run', verdict: 'n/a' })
      continue
    }
    const r = two.opsPerSec / one.opsPerSec
    const limit = saturated(two.cpu)
      ? `; machine CPU-bound: ${two.cpu.machine.toFixed(2)} of ${two.cpu.cores} cores busy (NameNodes ${two.cpu.namenodes.map((c) => c.toFixed(2)).join(' + ')}, PostgreSQL ${two.cpu.postgres.toFixed(2)}, load ${two.cpu.load.toFixed(2)})`
      : ''
    out.push({
      target,
      measured: `${fmt(two.opsPerSec)} vs ${fmt(one.opsPerSec)} ops/s = ${r.toFixed(2)}×${limit}`,
      verdict: r >= 1.7 ? 'pass' : 'short',
    })
  }
  return out
}

/** The cluster section of the Markdown report. */
export function renderClusterMarkdown(report: ClusterReport): string {
  const o = report.options
  const lines: string[] = []
  const callers = o.processes * o.connections
  lines.push('## Cluster: Spotify mix over WebHDFS, NameNode processes on PostgreSQL')
  lines.push('')
  lines.push(
    `${fmt(report.namespace.files)} files in ${fmt(report.namespace.dirs)} directories (built in ${report.namespace.buildSeconds.toFixed(1)} s, untimed); ${o.processes} load processes × ${o.connections} keep-alive callers = ${callers}, pinned round-robin to the NameNodes; ${(o.warmupMs / 1000).toFixed(1)} s warm-up, ${(o.durationMs / 1000).toFixed(1)} s measured per run. "read" is GETFILEBLOCKLOCATIONS; create is the two-step CREATE of an empty file through one DataNode.`,
  )
  lines.push('')
  const pgPk = baseline(report, CLUSTER_BASELINE.pgPk)
  const bare = baseline(report, CLUSTER_BASELINE.bareHttp)
  lines.push(
    '| NameNodes | mix | writes | ops/s | p50 ms | p99 ms | p999 ms | errors | ÷ read-only | ÷ 1 NN | ÷ bare http | ÷ raw pg pk | CPU cores: NN / pg / load / DN / other / machine |',
  )
  lines.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const r of report.runs) {
    const ro = runOf(report, r.namenodes, 'read-only')
    const one = runOf(report, 1, r.mix)
    lines.push(
      `| ${r.namenodes} | ${r.mix} | ${r.writePercent.toFixed(1)} % | ${fmt(r.opsPerSec)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.p999Ms)} | ${r.errors} | ${
        r.mix === 'read-only' ? '–' : ratio(r.opsPerSec, ro?.opsPerSec)
      } | ${r.namenodes === 1 ? '–' : ratio(r.opsPerSec, one?.opsPerSec)} | ${ratio(
        r.opsPerSec,
        bare?.opsPerSec,
      )} | ${ratio(r.opsPerSec, pgPk?.opsPerSec)} | ${cpuText(r.cpu)} |`,
    )
  }
  lines.push('')
  lines.push(
    "CPU per completed operation, µs (a process group's CPU over the window ÷ operations; what each part would need per op on a machine with cores to spare):",
  )
  lines.push('')
  lines.push('| NameNodes | mix | NameNodes | PostgreSQL | load generators | DataNode | total |')
  lines.push('|---:|---|---:|---:|---:|---:|---:|')
  for (const r of report.runs) {
    const per = (cores: number): number => (cores * 1e6) / r.opsPerSec
    const nn = r.cpu.namenodes.reduce((a, b) => a + b, 0)
    const total = nn + r.cpu.postgres + r.cpu.load + r.cpu.datanode
    lines.push(
      `| ${r.namenodes} | ${r.mix} | ${fmt(per(nn))} | ${fmt(per(r.cpu.postgres))} | ${fmt(per(r.cpu.load))} | ${fmt(per(r.cpu.datanode))} | ${fmt(per(total))} |`,
    )
  }
  lines.push('')
  lines.push(
    '| baseline | in flight | ops/s | p50 ms | p99 ms | p999 ms | CPU cores: server / load / other / machine |',
  )
  lines.push('|---|---:|---:|---:|---:|---:|---|')
  for (const b of report.baselines)
    lines.push(
      `| ${b.name} | ${b.callers} | ${fmt(b.opsPerSec)} | ${ms(b.p50Ms)} | ${ms(b.p99Ms)} | ${ms(b.p999Ms)} | ${
        b.cpu
          ? `${b.cpu.orchestrator.toFixed(2)} / ${b.cpu.load.toFixed(2)} / ${b.cpu.other.toFixed(2)} / ${b.cpu.machine.toFixed(2)} of ${b.cpu.cores}`
          : '–'
      } |`,
    )
  const writeRuns = report.runs.filter((r) => r.mix !== 'read-only')
  if (writeRuns.length > 0) {
    lines.push('')
    lines.push('Per operation (ops/s, p50 / p99 / p999 ms) in the runs with writes:')
    lines.push('')
    lines.push(`| op | ${writeRuns.map((r) => `${r.namenodes} NN ${r.mix}`).join(' | ')} |`)
    lines.push(`|---|${writeRuns.map(() => '---:').join('|')}|`)
    for (const op of MIX_OPS) {
      const cells = writeRuns.map((r) => {
        const s = r.perOp[op]
        if (s === undefined) return '–'
        const errs = s.errors > 0 ? ` (${s.errors} err)` : ''
        return `${fmt(s.opsPerSec)}, ${ms(s.p50Ms)} / ${ms(s.p99Ms)} / ${ms(s.p999Ms)}${errs}`
      })
      lines.push(`| ${OP_LABELS[op]} | ${cells.join(' | ')} |`)
    }
  }
  const fo = report.failover
  if (fo !== undefined) {
    lines.push('')
    lines.push(
      `Failover (write-20 mix on 2 NameNodes, kill -9 of the NameNode the callers are on, restart after 0.3 s; a restarted NameNode answered /health after ${ms(fo.restartMs)} ms, median): time from the kill to each affected caller's first operation answered by the other NameNode. ${fo.ops} operations, ${fo.connectionFailures} NameNode connection failures retried by the SDK, ${fo.errors} operations failed${fo.firstError ? ` (first: ${fo.firstError})` : ''}.`,
    )
    lines.push('')
    lines.push('| kill | NameNode | callers on it | first back ms | last back ms |')
    lines.push('|---:|---|---:|---:|---:|')
    for (const [i, k] of fo.perKill.entries())
      lines.push(`| ${i + 1} | ${k.victim} | ${k.callers} | ${ms(k.firstMs)} | ${ms(k.lastMs)} |`)
    lines.push('')
    lines.push(
      `p50 ${ms(fo.p50Ms)} ms, p99 ${ms(fo.p99Ms)} ms, max ${ms(fo.maxMs)} ms over ${fo.samplesMs.length} (kill, caller) samples.`,
    )
  }
  lines.push('')
  lines.push('### Cluster targets (informational)')
  lines.push('')
  lines.push('| target | measured | verdict |')
  lines.push('|---|---|---|')
  for (const t of clusterTargetVerdicts(report))
    lines.push(`| ${t.target} | ${t.measured} | ${t.verdict} |`)
  lines.push('')
  return lines.join('\n')
}
