/**
 * @module
 * The cluster benchmark (issue 4): the Spotify mix over WebHDFS against 1 and 2 `hops namenode`
 * processes sharing one PostgreSQL database, read-only vs write-heavy, then NameNode failover
 * under load, next to same-run baselines.
 *
 * 1. A fresh database gets the namespace (`cluster-namespace.ts`, untimed).
 * 2. NameNode 1, one DataNode (CREATE's second step needs one; the mix's files are empty) and
 *    `processes` load generators (`cluster-load.ts`, `connections` callers each) start as
 *    separate processes.
 * 3. Baselines: `pg` primary-key lookups of the same inodes (pool of 16 = a NameNode's pool, 16
 *    in flight, from this process) and a bare `node:http` server (in this process, which is
 *    otherwise idle) answering a real GETFILESTATUS reply, driven by the same load generators
 *    through the same SDK transport as the mix.
 * 4. Each mix on NameNode 1 alone; NameNode 2 starts; each mix on both (callers round-robin).
 *    Each run: warm-up, then a fixed window; ops/s, p50/p99 over all operations, per-operation
 *    figures, and CPU use (cores) of each process group over the window from `/proc`.
 * 5. Failover: the 20 %-write mix on both NameNodes; `kills` times, the NameNode the callers are
 *    on is killed with SIGKILL and started again on the same port. The SDK sticks to the
 *    NameNode that answered last, so after the first kill every caller sits on the survivor,
 *    which is the next victim. For each kill and each caller that was on the victim: the time
 *    from the kill to its first operation answered by the other NameNode.
 */
import { execFileSync, fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { INODE_COLUMNS } from '../src/meta/sql/inode-row.js'
import { exited, HopsProcess, waitFor } from '../test/support/hops-process.js'
import { freePort } from '../test/support/net.js'
import { createTestDatabase } from '../test/support/postgres.js'
import type {
  ClusterLoadMessage,
  ClusterLoadResult,
  ClusterLoadSpec,
  FailoverSample,
  KillEvent,
  OpStats,
} from './cluster-load.js'
import { buildClusterNamespace, dirCount, fileCount, filePath } from './cluster-namespace.js'
import type { ClusterNamespace } from './cluster-namespace.js'
import { SPOTIFY_MIX, withWritePercent, writePercent } from './spotify-mix.js'
import type { MixOp, OpMix } from './spotify-mix.js'
import { percentile, runTimed, summarize } from './timed-loop.js'
import type { Measurement } from './timed-loop.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const USER = 'hdfs'

/** The mixes a run can use. */
export const CLUSTER_MIXES = {
  'read-only': withWritePercent(SPOTIFY_MIX, 0),
  spotify: SPOTIFY_MIX,
  'write-20': withWritePercent(SPOTIFY_MIX, 20),
} as const satisfies Record<string, OpMix>

export type ClusterMixName = keyof typeof CLUSTER_MIXES

/**
 * Preloaded into the NameNodes and the DataNode with `NODE_OPTIONS=--import=data:…` (where
 * `--cpu-prof` is not allowed) by `profileDir`: profiles the main thread from start to a normal
 * exit (a SIGTERM stop, not kill -9) and writes `$HOPS_BENCH_PROFILE_DIR/<pid>.cpuprofile`. The
 * in-thread inspector session answers synchronously, so this works in `exit`.
 */
const PROFILE_HOOK = `
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
const dir = process.env.HOPS_BENCH_PROFILE_DIR
if (dir) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.start')
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(dir + '/' + process.pid + '.cpuprofile', JSON.stringify(result.profile))
    })
  })
}
`

/** Names of the cluster baselines. */
export const CLUSTER_BASELINE = {
  pgPk: 'raw pg pk lookup (pool 16, 16 in flight)',
  bareHttp: 'bare node:http, a GETFILESTATUS reply, same client',
} as const

/** How the cluster suite runs. */
export interface ClusterOptions {
  readonly durationMs: number
  readonly warmupMs: number
  /** Load-generator processes, and callers (connections) in each. */
  readonly processes: number
  readonly connections: number
  /** kill -9 of a NameNode under load, this many times. */
  readonly kills: number
  readonly mixes: readonly ClusterMixName[]
  /** Shared directories are `top × perTop`, each with `filesPerDir` files. */
  readonly top: number
  readonly perTop: number
  readonly filesPerDir: number
  /** Files each caller owns for renames and deletes. */
  readonly ownFiles: number
  /**
   * Directory for CPU profiles of the NameNodes and the DataNode ({@link PROFILE_HOOK}), if
   * any; they are then stopped with SIGTERM so that the last incarnations write theirs.
   */
  readonly profileDir?: string | undefined
}

/** CPU in use over a measured window, in cores (1 = one core busy all the time). */
export interface CpuUse {
  readonly namenodes: readonly number[]
  readonly datanode: number
  /** The PostgreSQL backends serving the benchmark's database. */
  readonly postgres: number
  readonly load: number
  /** This process (the orchestrator; it serves the bare-http baseline). */
  readonly orchestrator: number
  /** The whole machine, and what of it none of the above used (other users, the kernel, PostgreSQL's own background processes). */
  readonly machine: number
  readonly other: number
  readonly cores: number
}

/** One operation kind within a run. */
export interface ClusterOpResult {
  readonly ops: number
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly p999Ms: number
  readonly errors: number
}

/** One measured run of a mix. */
export interface ClusterRun extends Measurement {
  readonly namenodes: number
  readonly mix: ClusterMixName
  /** Share of mutations in the mix, percent. */
  readonly writePercent: number
  /** Concurrent callers over all load processes. */
  readonly callers: number
  readonly perOp: Partial<Record<MixOp, ClusterOpResult>>
  readonly connectionFailures: number
  readonly cpu: CpuUse
}

/** A same-run baseline. */
export interface ClusterBaseline extends Measurement {
  readonly name: string
  readonly callers: number
  readonly cpu?: CpuUse | undefined
}

/** Failover under load. */
export interface FailoverResult {
  readonly kills: number
  /** One sample per (kill, caller that was on the killed NameNode), ms. */
  readonly samplesMs: readonly number[]
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** Per kill: which NameNode, how many callers were on it, first and last of them back. */
  readonly perKill: readonly {
    readonly victim: string
    readonly callers: number
    readonly firstMs: number
    readonly lastMs: number
  }[]
  /** Callers that never got an answer from the other NameNode before the phase ended. */
  readonly unrecovered: number
  /** Operations that failed in spite of the SDK's retries, and the first message. */
  readonly errors: number
  readonly firstError?: string | undefined
  readonly connectionFailures: number
  readonly ops: number
  /** Time a killed NameNode took to answer /health again after its restart, ms (median). */
  readonly restartMs: number
}

/** What the cluster suite measured. */
export interface ClusterReport {
  readonly options: ClusterOptions
  readonly namespace: {
    readonly dirs: number
    readonly files: number
    readonly buildSeconds: number
  }
  readonly baselines: readonly ClusterBaseline[]
  readonly runs: readonly ClusterRun[]
  readonly failover?: FailoverResult | undefined
}

/** A forked load generator (`cluster-load.ts`) speaking IPC. */
export class LoadProcess {
  readonly #proc: ChildProcess
  #nextId = 1
  readonly #pending = new Map<number, (r: ClusterLoadResult) => void>()

  private constructor(proc: ChildProcess) {
    this.#proc = proc
    proc.on('message', (msg: { id?: number; result?: ClusterLoadResult }) => {
      if (msg.id === undefined || msg.result === undefined) return
      this.#pending.get(msg.id)?.(msg.result)
      this.#pending.delete(msg.id)
    })
    proc.on('exit', (code) => {
      for (const resolve of this.#pending.values())
        resolve({ ok: false, error: `load process exited with ${code}` })
      this.#pending.clear()
    })
  }

  static async start(index: number): Promise<LoadProcess> {
    const proc = fork(join(HERE, 'cluster-load.ts'), [String(index)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve())
      proc.once('exit', (code) => reject(new Error(`cluster-load.ts exited with ${code}`)))
      proc.once('error', reject)
    })
    return new LoadProcess(proc)
  }

  get pid(): number {
    return this.#proc.pid ?? 0
  }

  #send(msg: ClusterLoadMessage): void {
    this.#proc.send(msg)
  }

  run(spec: ClusterLoadSpec): Promise<ClusterLoadResult> {
    const id = this.#nextId++
    return new Promise((resolve) => {
      this.#pending.set(id, resolve)
      this.#send({ id, spec })
    })
  }

  stopRun(kills: readonly KillEvent[]): void {
    this.#send({ stopRun: true, kills })
  }

  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()))
    if (this.#proc.connected) this.#send('stop')
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

// ---- CPU accounting from /proc ---------------------------------------------------------------

const TICKS_PER_SEC = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** utime + stime of `pid` in clock ticks (0 when it is gone or unreadable). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

/** Busy and total ticks of the whole machine. */
function machineTicks(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    const v = line.trim().split(/\s+/).slice(1).map(Number)
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total }
  } catch {
    return { busy: 0, total: 0 }
  }
}

/** The process groups whose CPU a run reports. */
interface CpuGroups {
  readonly namenodes: readonly (readonly number[])[]
  readonly datanode: readonly number[]
  readonly postgres: readonly number[]
  readonly load: readonly number[]
}

interface CpuSnapshot {
  readonly atMs: number
  readonly groups: CpuGroups
  readonly ticks: Map<number, number>
  readonly self: NodeJS.CpuUsage
  readonly machine: { busy: number; total: number }
}

function snapshot(groups: CpuGroups): CpuSnapshot {
  const ticks = new Map<number, number>()
  for (const pid of [
    ...groups.namenodes.flat(),
    ...groups.datanode,
    ...groups.postgres,
    ...groups.load,
  ])
    ticks.set(pid, cpuTicks(pid))
  return {
    atMs: performance.now(),
    groups,
    ticks,
    self: process.cpuUsage(),
    machine: machineTicks(),
  }
}

function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, cores: number): CpuUse {
  const seconds = Math.max((b.atMs - a.atMs) / 1000, 1e-3)
  const use = (pids: readonly number[]): number =>
    pids.reduce(
      (sum, pid) => sum + Math.max(0, (b.ticks.get(pid) ?? 0) - (a.ticks.get(pid) ?? 0)),
      0,
    ) /
    TICKS_PER_SEC /
    seconds
  const total = b.machine.total - a.machine.total
  const self = process.cpuUsage(a.self)
  const cpu = {
    namenodes: a.groups.namenodes.map(use),
    datanode: use(a.groups.datanode),
    postgres: use(a.groups.postgres),
    load: use(a.groups.load),
    orchestrator: (self.user + self.system) / 1e6 / seconds,
    machine: total > 0 ? ((b.machine.busy - a.machine.busy) / total) * cores : Number.NaN,
    cores,
  }
  const ours =
    cpu.namenodes.reduce((x, y) => x + y, 0) +
    cpu.datanode +
    cpu.postgres +
    cpu.load +
    cpu.orchestrator
  return { ...cpu, other: Math.max(0, cpu.machine - ours) }
}

/** PIDs of the PostgreSQL backends connected to the benchmark's database (not `client`'s). */
async function postgresPids(client: pg.Client): Promise<number[]> {
  const res = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  )
  return res.rows.map((r) => r.pid)
}

// ---- merging the load processes' answers ---------------------------------------------------

/** The load processes' answers as one measurement, with per-operation figures. */
export function merged(results: readonly ClusterLoadResult[], what: string) {
  const ok = results.map((r) => {
    if (!r.ok) throw new Error(`${what}: ${r.error}`)
    return r
  })
  const byOp = new Map<string, { ops: number; errors: number; lat: number[]; rate: number }>()
  let firstError: string | undefined
  let connectionFailures = 0
  const samples: FailoverSample[][] = []
  let unrecovered = 0
  for (const r of ok) {
    firstError ??= r.firstError
    connectionFailures += r.connectionFailures
    for (const [op, s] of Object.entries<OpStats>(r.perOp as Record<string, OpStats>)) {
      const m = byOp.get(op) ?? { ops: 0, errors: 0, lat: [], rate: 0 }
      m.ops += s.ops
      m.errors += s.errors
      for (const l of s.latenciesMs) m.lat.push(l)
      m.rate += (s.ops * 1000) / r.elapsedMs
      byOp.set(op, m)
    }
    if (r.failover) {
      samples.push(r.failover.samples)
      unrecovered += r.failover.unrecovered
    }
  }
  const all: number[] = []
  let errors = 0
  let rate = 0
  const perOp: Partial<Record<string, ClusterOpResult>> = {}
  for (const [op, m] of byOp) {
    for (const l of m.lat) all.push(l)
    errors += m.errors
    rate += m.rate
    const s = summarize(m.lat, 1000, m.errors, undefined)
    perOp[op] = {
      ops: m.ops,
      opsPerSec: m.rate,
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      p999Ms: s.p999Ms,
      errors: m.errors,
    }
  }
  const total = summarize(all, 1000, errors, firstError)
  const measurement: Measurement = {
    ...total,
    opsPerSec: rate,
    elapsedMs: (all.length * 1000) / rate,
  }
  return { measurement, perOp, connectionFailures, samples: samples.flat(), unrecovered }
}

// ---- the suite -------------------------------------------------------------------------------

/** Runs the cluster suite. */
export async function runClusterBench(
  opts: ClusterOptions,
  log: (line: string) => void,
): Promise<ClusterReport> {
  const ns: ClusterNamespace = {
    top: opts.top,
    perTop: opts.perTop,
    filesPerDir: opts.filesPerDir,
    processes: opts.processes,
    callers: opts.connections,
    ownFiles: opts.ownFiles,
  }
  const callers = opts.processes * opts.connections
  const db = await createTestDatabase()
  const scratch = mkdtempSync(join(tmpdir(), 'hops-cluster-bench-'))
  const nns: HopsProcess[] = []
  let dn: HopsProcess | undefined
  let loads: LoadProcess[] = []
  const monitor = new pg.Client({ connectionString: db.url })
  const profileEnv: Record<string, string> =
    opts.profileDir !== undefined
      ? {
          NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(PROFILE_HOOK)}`,
          HOPS_BENCH_PROFILE_DIR: opts.profileDir,
        }
      : {}
  let bare: http.Server | undefined
  try {
    log(`cluster: building ${fileCount(ns)} files in ${dirCount(ns)} directories on PostgreSQL`)
    const t0 = performance.now()
    const { fileIds } = await buildClusterNamespace(db.url, ns, log)
    const buildSeconds = (performance.now() - t0) / 1000
    await monitor.connect()

    const [nnPort1, nnPort2, dnPort] = await Promise.all([freePort(), freePort(), freePort()])
    for (const port of [nnPort1, nnPort2]) {
      nns.push(
        new HopsProcess(
          `nn${nns.length + 1}`,
          `http://127.0.0.1:${port}`,
          [
            'namenode',
            '--meta',
            db.url,
            '--host',
            '127.0.0.1',
            '--port',
            String(port),
            '--superuser',
            USER,
            '--log-level',
            'warn',
          ],
          profileEnv,
        ),
      )
    }
    const [nn1, nn2] = nns as [HopsProcess, HopsProcess]
    dn = new HopsProcess(
      'dn1',
      `http://127.0.0.1:${dnPort}`,
      [
        'datanode',
        '--namenodes',
        nns.map((n) => n.url).join(','),
        '--dir',
        join(scratch, 'dn1'),
        '--port',
        String(dnPort),
      ],
      { DATANODE_LOG_LEVEL: 'warn', ...profileEnv },
    )
    log(`cluster: starting NameNode 1, a DataNode and ${opts.processes} load processes`)
    const startedLoads = Promise.all(
      Array.from({ length: opts.processes }, (_, p) => LoadProcess.start(p)),
    )
    await nn1.start().up()
    await dn.start().up()
    loads = await startedLoads
    await waitFor('the DataNode to register', async () => {
      const metrics = await (await fetch(`${nn1.url}/metrics`)).text()
      return /hops_datanodes\{state="NORMAL"\} 1/.test(metrics)
    })

    const groups = async (): Promise<CpuGroups> => ({
      namenodes: nns.filter((n) => n.running).map((n) => [n.child!.pid!]),
      datanode: [dn!.child!.pid!],
      postgres: await postgresPids(monitor),
      load: loads.map((l) => l.pid),
    })
    const cores = machineCores()
    /** Runs `specFor(p)` on every load process with CPU sampled over the measured window. */
    const measure = async (
      specFor: (p: number) => ClusterLoadSpec,
      what: string,
    ): Promise<{ results: ClusterLoadResult[]; cpu: CpuUse }> => {
      const pending = Promise.all(loads.map((l, p) => l.run(specFor(p))))
      await sleep(opts.warmupMs)
      const a = snapshot(await groups())
      await sleep(opts.durationMs)
      const b = snapshot(a.groups)
      const results = await pending
      for (const r of results) if (!r.ok) throw new Error(`${what}: ${r.error}`)
      return { results, cpu: cpuBetween(a, b, cores) }
    }

    // Baselines.
    const baselines: ClusterBaseline[] = []
    log('cluster: baselines')
    baselines.push(await pgPkBaseline(db.url, fileIds, opts))
    logRate(log, baselines[0]!)
    const sample = await fetch(
      `${nn1.url}/webhdfs/v1${filePath(ns, 0)}?op=GETFILESTATUS&user.name=${USER}`,
    )
    if (!sample.ok) throw new Error(`GETFILESTATUS: HTTP ${sample.status} ${await sample.text()}`)
    const json = Buffer.from(await sample.arrayBuffer())
    const bareServer = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length })
      res.end(json)
    })
    bare = bareServer
    await new Promise<void>((resolve) => bareServer.listen(0, '127.0.0.1', resolve))
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`
    {
      const { results, cpu } = await measure(
        () => ({
          kind: 'get',
          url: bareUrl,
          ns,
          callers: opts.connections,
          warmupMs: opts.warmupMs,
          durationMs: opts.durationMs,
        }),
        CLUSTER_BASELINE.bareHttp,
      )
      const m = merged(results, CLUSTER_BASELINE.bareHttp)
      baselines.push({ name: CLUSTER_BASELINE.bareHttp, callers, ...m.measurement, cpu })
      logRate(log, baselines[1]!)
    }
    await new Promise<void>((resolve) => {
      bareServer.closeAllConnections()
      bareServer.close(() => resolve())
    })
    bare = undefined

    // The mixes on 1, then 2 NameNodes.
    const runs: ClusterRun[] = []
    let runNo = 0
    for (const count of [1, 2]) {
      if (count === 2) {
        log('cluster: starting NameNode 2')
        await nn2.start().up()
      }
      await warmHints(loads, count === 1 ? nn1 : nn2, ns, opts, log)
      const urls = nns.slice(0, count).map((n) => n.url)
      for (const mixName of opts.mixes) {
        const mix = CLUSTER_MIXES[mixName]
        const tag = String(runNo++)
        const { results, cpu } = await measure(
          () => ({
            kind: 'mix',
            runTag: tag,
            namenodes: urls,
            mix,
            ns,
            callers: opts.connections,
            warmupMs: opts.warmupMs,
            durationMs: opts.durationMs,
            seed: runNo,
          }),
          `${mixName} on ${count} NameNode(s)`,
        )
        const m = merged(results, mixName)
        const run: ClusterRun = {
          namenodes: count,
          mix: mixName,
          writePercent: writePercent(mix),
          callers,
          ...m.measurement,
          perOp: m.perOp,
          connectionFailures: m.connectionFailures,
          cpu,
        }
        runs.push(run)
        log(
          `  ${count} NN, ${mixName}: ${run.opsPerSec.toFixed(0)} ops/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms${
            run.errors ? ` (${run.errors} errors: ${run.firstError})` : ''
          }; CPU cores: ${cpuLine(cpu)}`,
        )
      }
    }

    const failover = opts.kills > 0 ? await failoverPhase(opts, ns, nns, loads, log) : undefined
    return {
      options: opts,
      namespace: { dirs: dirCount(ns), files: fileCount(ns), buildSeconds },
      baselines,
      runs,
      failover,
    }
  } catch (err) {
    for (const n of [...nns, ...(dn ? [dn] : [])])
      if (!n.running && n.starts > 0) log(`--- ${n.name} output ---\n${n.out.slice(-4000)}`)
    throw err
  } finally {
    bare?.closeAllConnections()
    bare?.close()
    await Promise.all(loads.map((l) => l.stop()))
    const servers = [...nns, ...(dn ? [dn] : [])]
    if (opts.profileDir !== undefined) await Promise.all(servers.map((p) => stopCleanly(p)))
    await Promise.all(servers.map((p) => p.kill9()))
    await monitor.end().catch(() => undefined)
    await db.drop()
  }
}

/** SIGTERM (a clean stop, so the profile hook writes its profile), SIGKILL after 10 s. */
async function stopCleanly(p: HopsProcess): Promise<void> {
  const child = p.child
  if (child === undefined || !p.running) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited(child)
  clearTimeout(timer)
}

/** CPU use as one log line. */
export function cpuLine(c: CpuUse): string {
  return `NN ${c.namenodes.map((v) => v.toFixed(2)).join('+')}, pg ${c.postgres.toFixed(2)}, load ${c.load.toFixed(2)}, DN ${c.datanode.toFixed(2)}, bench ${c.orchestrator.toFixed(2)}, other ${c.other.toFixed(2)}, machine ${c.machine.toFixed(2)} of ${c.cores}`
}

function machineCores(): number {
  try {
    return readdirSync('/sys/devices/system/cpu').filter((d) => /^cpu\d+$/.test(d)).length || 1
  } catch {
    return 1
  }
}

function logRate(log: (line: string) => void, b: ClusterBaseline): void {
  log(
    `  ${b.name}: ${b.opsPerSec.toFixed(0)} ops/s, p50 ${b.p50Ms.toFixed(3)} ms, p99 ${b.p99Ms.toFixed(3)} ms${
      b.cpu ? `; CPU cores: ${cpuLine(b.cpu)}` : ''
    }`,
  )
}

/**
 * Untimed: one GETFILESTATUS of every shared file on `nn`, so that its inode-hint cache holds
 * the shared namespace before its first measured run, as a long-running NameNode's would (else
 * the first NameNode would run warm and the second cold, and short runs would mostly measure
 * cache misses: a uniform pick over tens of thousands of files rarely repeats within seconds).
 */
async function warmHints(
  loads: readonly LoadProcess[],
  nn: HopsProcess,
  ns: ClusterNamespace,
  opts: ClusterOptions,
  log: (line: string) => void,
): Promise<void> {
  const t0 = performance.now()
  const results = await Promise.all(
    loads.map((l) =>
      l.run({
        kind: 'warm',
        url: nn.url,
        ns,
        callers: opts.connections,
        processes: loads.length,
      }),
    ),
  )
  for (const r of results) if (!r.ok) throw new Error(`warming ${nn.name}: ${r.error}`)
  log(
    `  ${nn.name}: hint cache warmed with ${fileCount(ns)} GETFILESTATUS in ${((performance.now() - t0) / 1000).toFixed(1)} s (untimed)`,
  )
}

/** Named prepared primary-key lookups of the shared files' inodes, 16 in flight. */
async function pgPkBaseline(
  url: string,
  ids: readonly number[],
  opts: ClusterOptions,
): Promise<ClusterBaseline> {
  const pool = new pg.Pool({ connectionString: url, max: 16 })
  pool.on('error', () => undefined)
  try {
    const callers = 16
    const stride = Math.floor(ids.length / callers)
    const m = await runTimed(
      { callers, warmupMs: opts.warmupMs, durationMs: opts.durationMs },
      async (k, seq) => {
        const res = await pool.query({
          name: 'bench_by_id',
          text: `SELECT ${INODE_COLUMNS} FROM inodes WHERE id = $1`,
          values: [ids[(k * stride + seq * 7919) % ids.length]],
        })
        if (res.rowCount !== 1) throw new Error('inode not found')
      },
    )
    return { name: CLUSTER_BASELINE.pgPk, callers, ...m }
  } finally {
    await pool.end()
  }
}

/** kill -9 under load, alternating NameNodes; see the module comment. */
async function failoverPhase(
  opts: ClusterOptions,
  ns: ClusterNamespace,
  nns: readonly HopsProcess[],
  loads: readonly LoadProcess[],
  log: (line: string) => void,
): Promise<FailoverResult> {
  log(`cluster: failover, ${opts.kills} kills of a NameNode under the write-20 mix`)
  const urls = nns.map((n) => n.url)
  const pending = Promise.all(
    loads.map((l) =>
      l.run({
        kind: 'mix',
        runTag: 'fo',
        namenodes: urls,
        mix: CLUSTER_MIXES['write-20'],
        ns,
        callers: opts.connections,
        warmupMs: 0,
        durationMs: null,
        seed: 99,
      }),
    ),
  )
  const settleMs = Math.max(500, Math.min(opts.warmupMs, 2000))
  const kills: KillEvent[] = []
  const restarts: number[] = []
  await sleep(settleMs)
  for (let i = 0; i < opts.kills; i++) {
    const victim = i % nns.length
    const nn = nns[victim]!
    const atMs = performance.timeOrigin + performance.now()
    await nn.kill9()
    kills.push({ atMs, victim })
    await sleep(300)
    const t = performance.now()
    await nn.start().up()
    restarts.push(performance.now() - t)
    await sleep(settleMs)
  }
  for (const l of loads) l.stopRun(kills)
  const m = merged(await pending, 'failover')
  const samples = m.samples.map((s) => s.ms)
  const sorted = Float64Array.from(samples).sort()
  const result: FailoverResult = {
    kills: kills.length,
    samplesMs: samples.map((s) => Math.round(s * 10) / 10),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    perKill: kills.map((k, i) => {
      const mine = m.samples.filter((s) => s.kill === i).map((s) => s.ms)
      return {
        victim: nns[k.victim]!.name,
        callers: mine.length,
        firstMs: mine.length > 0 ? Math.min(...mine) : Number.NaN,
        lastMs: mine.length > 0 ? Math.max(...mine) : Number.NaN,
      }
    }),
    unrecovered: m.unrecovered,
    errors: m.measurement.errors,
    firstError: m.measurement.firstError,
    connectionFailures: m.connectionFailures,
    ops: m.measurement.ops,
    restartMs: percentile(Float64Array.from(restarts).sort(), 0.5),
  }
  for (const [i, k] of result.perKill.entries())
    log(
      `  kill ${i + 1} (${k.victim}): ${k.callers} callers back after ${k.firstMs.toFixed(1)}–${k.lastMs.toFixed(1)} ms`,
    )
  log(
    `  failover p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms over ${samples.length} samples; ${result.errors} failed ops${
      result.firstError ? ` (${result.firstError})` : ''
    }, ${result.unrecovered} unrecovered`,
  )
  return result
}
