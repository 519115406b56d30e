/**
 * @module
 * The Markdown sections of the in-process mixes (`engine-mix.ts`), the concurrency sweep over
 * WebHDFS (`sweep-bench.ts`) and the capacity phase (`capacity.ts`), each figure with its ratio
 * to its baseline: the raw database lookup for the in-process mixes, the bare `node:http`
 * server at the same number of clients for the sweep, the smallest namespace for capacity.
 */
import { BASELINE } from './baselines.js'
import type { BaselineResult } from './baselines.js'
import type { CapacityResult } from './capacity.js'
import type { EngineMixResult } from './engine-mix.js'
import { fmt } from './meta-bench.js'
import { MIX_OPS, OP_LABELS } from './spotify-mix.js'
import type { SweepReport } from './sweep-bench.js'

function ms(v: number | undefined): string {
  return v === undefined || Number.isNaN(v)
    ? '–'
    : v < 0.1
      ? v.toFixed(4)
      : v < 10
        ? v.toFixed(3)
        : v.toFixed(1)
}

function ratio(a: number, b: number | undefined): string {
  return b === undefined || !(b > 0) ? '–' : (a / b).toFixed(2)
}

/** The raw lookup an in-process mix run is compared with (PostgreSQL: same callers). */
export function mixBaseline(
  r: Pick<EngineMixResult, 'engine' | 'callers'>,
  baselines: readonly BaselineResult[],
): BaselineResult | undefined {
  return r.engine === 'sqlite'
    ? baselines.find((b) => b.name === BASELINE.sqliteByName)
    : baselines.find((b) => b.name === BASELINE.pgById && b.callers === r.callers)
}

/** The in-process mix section. */
export function renderMixMarkdown(
  mixes: readonly EngineMixResult[],
  baselines: readonly BaselineResult[],
): string {
  const lines: string[] = []
  lines.push('## Spotify mix in process (engine calls, no HTTP)')
  lines.push('')
  const inodes = mixes[0]?.inodes
  lines.push(
    `On a copy of a stored namespace of ${inodes === undefined ? '–' : fmt(inodes)} inodes; the raw lookup is the meta suite's (SQLite: one synchronous caller; PostgreSQL: same callers in flight).`,
  )
  lines.push('')
  lines.push(
    '| engine | mix | writes | callers | ops/s | p50 ms | p99 ms | p999 ms | errors | raw lookup ops/s | ÷ raw lookup |',
  )
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of mixes) {
    const b = mixBaseline(r, baselines)
    lines.push(
      `| ${r.engine} | ${r.mix} | ${r.writePercent.toFixed(1)} % | ${r.callers} | ${fmt(r.opsPerSec)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${ms(r.p999Ms)} | ${r.errors} | ${
        b ? fmt(b.opsPerSec) : '–'
      } | ${ratio(r.opsPerSec, b?.opsPerSec)} |`,
    )
  }
  const writeRuns = mixes.filter((r) => r.mix !== 'read-only')
  if (writeRuns.length > 0) {
    lines.push('')
    lines.push('Per operation in process (ops/s, p50 / p99 ms):')
    lines.push('')
    lines.push(`| op | ${writeRuns.map((r) => `${r.engine} ${r.mix} ×${r.callers}`).join(' | ')} |`)
    lines.push(`|---|${writeRuns.map(() => '---:').join('|')}|`)
    for (const op of MIX_OPS) {
      const cells = writeRuns.map((r) => {
        const s = r.perOp.find((p) => p.op === op)
        return s === undefined
          ? '–'
          : `${fmt(s.opsPerSec)}, ${ms(s.p50Ms)} / ${ms(s.p99Ms)}${s.errors ? ` (${s.errors} err)` : ''}`
      })
      lines.push(`| ${OP_LABELS[op]} | ${cells.join(' | ')} |`)
    }
  }
  lines.push('')
  return lines.join('\n')
}

/** The concurrency-sweep section. */
export function renderSweepMarkdown(sweep: SweepReport): string {
  const lines: string[] = []
  const o = sweep.options
  lines.push('## Concurrency sweep: WebHDFS against `hops up`')
  lines.push('')
  lines.push(
    `\`hops up\`'s cluster (SQLite, NameNode, 1 DataNode in one process) on a copy of ${fmt(sweep.inodes)} inodes; clients are keep-alive SDK connections over up to ${o.processes} load processes; ${(o.warmupMs / 1000).toFixed(1)} s warm-up, ${(o.durationMs / 1000).toFixed(1)} s measured per point. Baseline: a bare \`node:http\` server answering a GETFILESTATUS reply at the same number of clients.`,
  )
  lines.push('')
  lines.push(
    '| target | clients | processes | ops/s | p50 ms | p99 ms | p999 ms | errors | bare http ops/s | ÷ bare http |',
  )
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const p of sweep.points) {
    const bare = sweep.points.find((b) => b.target === 'bare' && b.clients === p.clients)
    lines.push(
      `| ${p.target === 'bare' ? 'bare node:http' : `${p.target} mix`} | ${p.clients} | ${p.processes} | ${fmt(p.opsPerSec)} | ${ms(p.p50Ms)} | ${ms(p.p99Ms)} | ${ms(p.p999Ms)} | ${p.errors} | ${
        p.target === 'bare' || bare === undefined ? '–' : fmt(bare.opsPerSec)
      } | ${p.target === 'bare' ? '–' : ratio(p.opsPerSec, bare?.opsPerSec)} |`,
    )
  }
  lines.push('')
  return lines.join('\n')
}

/** The capacity section. */
export function renderCapacityMarkdown(capacity: readonly CapacityResult[]): string {
  const lines: string[] = []
  lines.push('## Capacity: bytes per inode, throughput vs namespace size')
  lines.push('')
  lines.push(
    'Stored datasets (built once, resumable, not timed; "built s" is this run\'s share). Bytes per inode: the whole database (SQLite page_count × page_size; PostgreSQL pg_database_size, which includes about 7.5 MB of catalog) and the inodes table with its indexes, ÷ inodes. Throughput: after one untimed getFileInfo of every directory (warm s), getFileInfo of uniformly random files and the read-only Spotify mix, 16 callers, hint cache bound 200 000; ratio to the smallest namespace of the same engine.',
  )
  lines.push('')
  lines.push(
    '| engine | inodes | built s | warm s | DB MB | B/inode (DB) | B/inode (inodes table) | getFileInfo ops/s | p99 ms | ÷ smallest | read mix ops/s | p99 ms | ÷ smallest |',
  )
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of capacity) {
    const first = capacity.find((c) => c.engine === r.engine)!
    lines.push(
      `| ${r.engine} | ${fmt(r.inodes)} | ${r.reused ? 'reused' : r.buildSeconds.toFixed(1)} | ${r.warmSeconds.toFixed(1)} | ${(r.databaseBytes / 2 ** 20).toFixed(1)} | ${fmt(r.bytesPerInode)} | ${
        Number.isNaN(r.tableBytesPerInode) ? '–' : fmt(r.tableBytesPerInode)
      } | ${fmt(r.getFileInfo.opsPerSec)} | ${ms(r.getFileInfo.p99Ms)} | ${ratio(r.getFileInfo.opsPerSec, first.getFileInfo.opsPerSec)} | ${fmt(r.readMix.opsPerSec)} | ${ms(r.readMix.p99Ms)} | ${ratio(r.readMix.opsPerSec, first.readMix.opsPerSec)} |`,
    )
  }
  lines.push('')
  return lines.join('\n')
}
