/**
 * @module
 * The cluster overview at `/` (like Hadoop's NameNode web UI "Overview" and "Datanodes" tabs):
 * live and dead DataNodes with capacity used and free, file and directory counts, and the
 * under-replicated blocks found by the last replication check. Plain HTML, no scripts.
 */
import type { ContentSummary, ReplicationReport } from '../meta/meta-engine.js'
import type { DatanodeInfo } from '../protocol/datanode-protocol.js'

/** What the overview shows. */
export interface ClusterOverview {
  readonly baseUrl: string
  readonly startedAtMs: number
  readonly namenodeId: number
  readonly dialect: string
  readonly datanodes: readonly DatanodeInfo[]
  /** Of `/`; undefined when it could not be computed. */
  readonly namespace?: ContentSummary | undefined
  readonly lastReplication?: ReplicationReport | undefined
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Bytes as `1.5 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

/** Renders the overview page. */
export function renderStatusPage(o: ClusterOverview): string {
  const live = o.datanodes.filter((d) => d.state !== 'DEAD')
  const dead = o.datanodes.filter((d) => d.state === 'DEAD')
  const sum = (f: (d: DatanodeInfo) => number) => live.reduce((a, d) => a + f(d), 0)
  const rows = o.datanodes
    .map((d) => {
      const pct = d.capacityBytes > 0 ? ((100 * d.usedBytes) / d.capacityBytes).toFixed(1) : '0.0'
      const seen = Math.max(0, Math.round((Date.now() - d.lastHeartbeatMs) / 1000))
      return `<tr><td>${esc(d.hostname)}</td><td><a href="${esc(d.httpAddress)}">${esc(d.httpAddress)}</a></td><td>${d.state}</td><td>${seen}s</td><td>${formatBytes(d.capacityBytes)}</td><td>${formatBytes(d.usedBytes)} (${pct}%)</td><td>${formatBytes(d.remainingBytes)}</td></tr>`
    })
    .join('\n')
  const ns = o.namespace
  const rep = o.lastReplication
  const kv = (k: string, v: string) => `<tr><th>${k}</th><td>${v}</td></tr>`
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Hops NameNode</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}th{background:#f3f3f3}</style>
</head><body>
<h1>Hops NameNode</h1>
<h2>Overview</h2>
<table>
${kv('NameNode', `${esc(o.baseUrl)} (id ${o.namenodeId})`)}
${kv('Started', new Date(o.startedAtMs).toISOString())}
${kv('Metadata database', esc(o.dialect))}
${kv('Security', 'insecure mode: simple authentication (user.name) — do not expose')}
</table>
<h2>Summary</h2>
<table>
${kv('Files', ns === undefined ? 'unknown' : String(ns.fileCount))}
${kv('Directories', ns === undefined ? 'unknown' : String(ns.directoryCount))}
${kv('Bytes stored', ns === undefined ? 'unknown' : formatBytes(ns.length))}
${kv('Under-replicated blocks', rep === undefined ? 'unknown' : String(rep.underReplicatedBlocks))}
${kv('Live DataNodes', String(live.length))}
${kv('Dead DataNodes', String(dead.length))}
${kv('Configured capacity', formatBytes(sum((d) => d.capacityBytes)))}
${kv('DFS used', formatBytes(sum((d) => d.usedBytes)))}
${kv('DFS remaining', formatBytes(sum((d) => d.remainingBytes)))}
</table>
<h2>DataNodes</h2>
<table>
<tr><th>Host</th><th>HTTP address</th><th>State</th><th>Last contact</th><th>Capacity</th><th>Used</th><th>Remaining</th></tr>
${rows}
</table>
<p><a href="/metrics">metrics</a> · <a href="/health">health</a> · <a href="/webhdfs/v1/?op=LISTSTATUS">/ (WebHDFS)</a></p>
</body></html>
`
}
