/**
 * @module
 * The concurrency sweep: the Spotify mix over WebHDFS against `hops up` (the embedded cluster:
 * SQLite metadata, a NameNode and one DataNode in one process, `data-server.ts cluster`) at 1,
 * 16, 64, 256 and 1000 clients, next to a bare `node:http` server answering a GETFILESTATUS
 * reply at the same number of clients (the HTTP ceiling).
 *
 * The namespace is the stored dataset (`dataset.ts`), copied to the cluster's `meta.db` before
 * it starts. The clients are keep-alive SDK transports (`WebHdfsClient`, one connection each)
 * spread over up to `processes` load processes (`cluster-load.ts`), so 1000 clients are 1000
 * concurrent callers with 1000 connections from 4 processes, never sharing the server's event
 * loop. Before the first point, one GETFILESTATUS of every shared file warms the NameNode's
 * inode-hint cache (untimed), as a long-running NameNode's would be.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClusterLoadResult, ClusterLoadSpec } from './cluster-load.js'
import { LoadProcess, merged } from './cluster-bench.js'
import type { ClusterOpResult } from './cluster-bench.js'
import { fileCount, filePath } from './cluster-namespace.js'
import type { ClusterNamespace } from './cluster-namespace.js'
import { Child } from './data-bench.js'
import type { ServerReady } from './data-server.js'
import { copyDataset } from './dataset.js'
import type { Dataset } from './dataset.js'
import { fmt } from './meta-bench.js'
import { SPOTIFY_MIX, withWritePercent, writePercent } from './spotify-mix.js'
import type { MixOp, OpMix } from './spotify-mix.js'
import type { Measurement } from './timed-loop.js'

/** The mixes the sweep can run. */
const SWEEP_MIXES = {
  spotify: SPOTIFY_MIX,
  'read-only': withWritePercent(SPOTIFY_MIX, 0),
  'write-20': withWritePercent(SPOTIFY_MIX, 20),
} as const satisfies Record<string, OpMix>

export type SweepMixName = keyof typeof SWEEP_MIXES

/** How the sweep runs. */
export interface SweepOptions {
  /** Client counts, in order. */
  readonly clients: readonly number[]
  /** Load processes at most (fewer when there are fewer clients). */
  readonly processes: number
  readonly mixes: readonly SweepMixName[]
  readonly durationMs: number
  readonly warmupMs: number
}

/** One point of the sweep. */
export interface SweepPoint extends Measurement {
  /** `bare` for the bare node:http baseline. */
  readonly target: SweepMixName | 'bare'
  readonly writePercent: number
  readonly clients: number
  readonly processes: number
  readonly perOp?: Partial<Record<MixOp, ClusterOpResult>> | undefined
  readonly connectionFailures: number
}

/** What the sweep measured. */
export interface SweepReport {
  readonly options: SweepOptions
  readonly inodes: number
  readonly points: readonly SweepPoint[]
}

/** Runs the sweep on a copy of `ds` (a SQLite dataset); `scratch` holds the cluster's files. */
export async function runSweep(
  opts: SweepOptions,
  ds: Dataset,
  scratch: string,
  log: (line: string) => void,
): Promise<SweepReport> {
  if (ds.kind !== 'sqlite') throw new Error('hops up runs on SQLite')
  const ns: ClusterNamespace = ds.ns
  const dataDir = join(scratch, 'sweep')
  const copy = await copyDataset(ds, scratch, 'sweep', join(dataDir, 'meta.db'))
  const maxProcesses = Math.max(1, Math.min(opts.processes, ns.processes))
  log(`sweep: hops up on a copy of ${fmt(ds.inodes)} inodes, ${maxProcesses} load processes`)
  const [{ child: cluster, first: ready }, loads] = await Promise.all([
    Child.start<ServerReady>('data-server.ts', ['cluster', dataDir, '1']),
    Promise.all(Array.from({ length: maxProcesses }, (_, p) => LoadProcess.start(p))),
  ])
  let bare: http.Server | undefined
  try {
    // The DataNode registers with its first heartbeat; CREATE's second step needs it.
    for (let i = 0; i < 100; i++) {
      const metrics = await (await fetch(`${ready.url}/metrics`)).text()
      if (/hops_datanodes\{state="NORMAL"\} 1/.test(metrics)) break
      await sleep(100)
    }
    const sample = await fetch(
      `${ready.url}/webhdfs/v1${filePath(ns, 0)}?op=GETFILESTATUS&user.name=hdfs`,
    )
    if (!sample.ok) throw new Error(`GETFILESTATUS: HTTP ${sample.status} ${await sample.text()}`)
    const json = Buffer.from(await sample.arrayBuffer())
    const bareServer = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length })
      res.end(json)
    })
    bare = bareServer
    await new Promise<void>((resolve) => bareServer.listen(0, '127.0.0.1', 1024, resolve))
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`

    const t0 = Date.now()
    const warmed = await Promise.all(
      loads.map((l) =>
        l.run({ kind: 'warm', url: ready.url, ns, callers: 16, processes: loads.length }),
      ),
    )
    for (const r of warmed) if (!r.ok) throw new Error(`warming: ${r.error}`)
    log(`  hint cache warmed with ${fmt(fileCount(ns))} GETFILESTATUS in ${Date.now() - t0} ms`)

    const points: SweepPoint[] = []
    let runNo = 0
    const runPoint = async (
      clients: number,
      specFor: (p: number, callers: number) => ClusterLoadSpec,
    ): Promise<{ results: ClusterLoadResult[]; processes: number }> => {
      const processes = Math.min(maxProcesses, clients)
      const results = await Promise.all(
        loads.slice(0, processes).map((l, p) => {
          const callers = Math.floor(clients / processes) + (p < clients % processes ? 1 : 0)
          return l.run(specFor(p, callers))
        }),
      )
      return { results, processes }
    }
    for (const clients of opts.clients) {
      for (const mixName of opts.mixes) {
        const tag = `s${runNo++}`
        const { results, processes } = await runPoint(clients, (_, callers) => ({
          kind: 'mix',
          runTag: tag,
          namenodes: [ready.url],
          mix: SWEEP_MIXES[mixName],
          ns,
          callers,
          warmupMs: opts.warmupMs,
          durationMs: opts.durationMs,
          seed: runNo,
        }))
        const m = merged(results, `${mixName} at ${clients} clients`)
        const point: SweepPoint = {
          target: mixName,
          writePercent: writePercent(SWEEP_MIXES[mixName]),
          clients,
          processes,
          ...m.measurement,
          perOp: m.perOp,
          connectionFailures: m.connectionFailures,
        }
        points.push(point)
        logPoint(log, point)
      }
      const { results, processes } = await runPoint(clients, (_, callers) => ({
        kind: 'get',
        url: bareUrl,
        ns,
        callers,
        warmupMs: opts.warmupMs,
        durationMs: opts.durationMs,
      }))
      const m = merged(results, `bare node:http at ${clients} clients`)
      const point: SweepPoint = {
        target: 'bare',
        writePercent: 0,
        clients,
        processes,
        ...m.measurement,
        connectionFailures: m.connectionFailures,
      }
      points.push(point)
      logPoint(log, point)
    }
    return { options: opts, inodes: ds.inodes, points }
  } finally {
    bare?.closeAllConnections()
    bare?.close()
    await Promise.all([cluster.stop(), ...loads.map((l) => l.stop())])
    await copy.dispose()
  }
}

function logPoint(log: (line: string) => void, p: SweepPoint): void {
  log(
    `  ${p.target} ×${p.clients}: ${fmt(p.opsPerSec)} ops/s, p50 ${p.p50Ms.toFixed(2)} ms, p99 ${p.p99Ms.toFixed(2)} ms, p999 ${p.p999Ms.toFixed(2)} ms${
      p.errors > 0 ? ` (${p.errors} errors: ${p.firstError})` : ''
    }`,
  )
}
