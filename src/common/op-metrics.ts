/**
 * @module
 * Server metrics in the Prometheus text format (version 0.0.4), for NameNodes and DataNodes:
 * operations by type and status, a latency histogram per operation, and gauges filled at scrape
 * time (transaction restarts, capacity, under-replicated blocks). Hand-written rather than
 * prom-client: the hot path is one Map lookup and a few array increments per request.
 */

/** Histogram bucket upper bounds, in seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

class OpStats {
  readonly counts = new Map<number, number>()
  readonly buckets = new Array<number>(BUCKETS.length).fill(0)
  sum = 0
  count = 0
}

/** A gauge sample set at scrape time. */
export interface GaugeSample {
  readonly name: string
  readonly help: string
  readonly value: number
  readonly labels?: Readonly<Record<string, string>>
  readonly type?: 'gauge' | 'counter'
}

/** Counts and times a server's operations; renders them with gauges as Prometheus text. */
export class OpMetrics {
  readonly #ops = new Map<string, OpStats>()
  readonly #prefix: string
  readonly #role: string

  /** @param role `namenode` or `datanode`: metric names start with `hops_<role>_`. */
  constructor(role: 'namenode' | 'datanode') {
    this.#role = role === 'namenode' ? 'NameNode' : 'DataNode'
    this.#prefix = `hops_${role}`
  }

  /** Records one finished operation (`op` as `webhdfs.GETFILESTATUS`, `internal.addBlock`…). */
  observe(op: string, status: number, durationMs: number): void {
    let s = this.#ops.get(op)
    if (s === undefined) {
      s = new OpStats()
      this.#ops.set(op, s)
    }
    s.counts.set(status, (s.counts.get(status) ?? 0) + 1)
    const seconds = durationMs / 1000
    s.sum += seconds
    s.count++
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.buckets[i]!++
  }

  /** Operations seen so far by name (all statuses). */
  opCount(op: string): number {
    return this.#ops.get(op)?.count ?? 0
  }

  /** The exposition text: the recorded operations followed by `gauges`. */
  render(gauges: readonly GaugeSample[]): string {
    const lines: string[] = []
    lines.push(`# HELP ${this.#prefix}_ops_total ${this.#role} operations by type and HTTP status.`)
    lines.push(`# TYPE ${this.#prefix}_ops_total counter`)
    for (const [op, s] of this.#ops) {
      for (const [status, n] of s.counts) {
        lines.push(`${this.#prefix}_ops_total{op="${op}",status="${status}"} ${n}`)
      }
    }
    lines.push(`# HELP ${this.#prefix}_op_duration_seconds ${this.#role} operation latency.`)
    lines.push(`# TYPE ${this.#prefix}_op_duration_seconds histogram`)
    for (const [op, s] of this.#ops) {
      for (let i = 0; i < BUCKETS.length; i++) {
        lines.push(
          `${this.#prefix}_op_duration_seconds_bucket{op="${op}",le="${BUCKETS[i]}"} ${s.buckets[i]}`,
        )
      }
      lines.push(`${this.#prefix}_op_duration_seconds_bucket{op="${op}",le="+Inf"} ${s.count}`)
      lines.push(`${this.#prefix}_op_duration_seconds_sum{op="${op}"} ${s.sum}`)
      lines.push(`${this.#prefix}_op_duration_seconds_count{op="${op}"} ${s.count}`)
    }
    const seen = new Set<string>()
    for (const g of gauges) {
      if (!seen.has(g.name)) {
        seen.add(g.name)
        lines.push(`# HELP ${g.name} ${g.help}`)
        lines.push(`# TYPE ${g.name} ${g.type ?? 'gauge'}`)
      }
      const labels =
        g.labels === undefined
          ? ''
          : '{' +
            Object.entries(g.labels)
              .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
              .join(',') +
            '}'
      lines.push(`${g.name}${labels} ${Number.isFinite(g.value) ? g.value : 0}`)
    }
    return lines.join('\n') + '\n'
  }
}

function escapeLabel(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}
