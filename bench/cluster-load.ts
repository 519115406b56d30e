/**
 * @module
 * The load generator of the cluster benchmark: a child process of `bench/main.ts` (forked with
 * tsx; several of them run at once), so it shares no event loop with a NameNode or with the
 * orchestrator. `argv[2]` is its process index `p`. It receives {@link ClusterLoadSpec}s over IPC
 * and answers {@link ClusterLoadResult}s.
 *
 * A `mix` run has `callers` concurrent callers, each with its own SDK transport
 * (`WebHdfsClient`: one keep-alive connection, since a caller has one request in flight, and the
 * SDK's NameNode failover, `clientid`/`callid` on mutations). Caller `c` of process `p` is pinned
 * to NameNode `(p × callers + c) mod n`: its NameNode list starts there, so n NameNodes share the
 * callers evenly and a caller only moves when its NameNode fails. Each caller draws operations
 * from the mix with its own seeded generator and maps them to WebHDFS:
 *
 * | op | WebHDFS |
 * | --- | --- |
 * | read | GET GETFILEBLOCKLOCATIONS of a shared file (the NameNode's whole part of opening a file) |
 * | stat file / stat dir | GET GETFILESTATUS |
 * | ls dir / ls file | GET LISTSTATUS |
 * | create | PUT CREATE (overwrite=false) → 307 → empty PUT to the DataNode, which creates the file through the same NameNode |
 * | rename | PUT RENAME of one of the caller's own files into a random shared directory |
 * | delete | DELETE of one of the caller's own files |
 * | chown dir | PUT SETOWNER (hdfs, alternating group) of a shared directory |
 * | setReplication / chmod file | PUT SETREPLICATION / SETPERMISSION of a shared file |
 * | mkdir / chmod dir | PUT MKDIRS of a new directory / SETPERMISSION of a shared directory |
 *
 * Without `durationMs` a run lasts until the parent sends `{ stopRun, kills }`; it then also
 * answers, for each kill and each caller whose last answer before the kill came from the killed
 * NameNode, the time from the kill to that caller's first operation answered by another
 * NameNode (clock: `performance.timeOrigin + performance.now()`, comparable across processes).
 */
import type { IncomingMessage } from 'node:http'
import { performance } from 'node:perf_hooks'
import { decodeErrorReply } from '../src/client/remote-exception.js'
import { readBody, WebHdfsClient } from '../src/client/webhdfs-client.js'
import type { WebHdfsCall } from '../src/client/webhdfs-client.js'
import type { ClusterNamespace } from './cluster-namespace.js'
import { dirCount, dirPath, fileCount, filePath, ownDir } from './cluster-namespace.js'
import { OpPicker, seededRandom } from './spotify-mix.js'
import type { MixOp, OpMix } from './spotify-mix.js'

/** The user of every request: the superuser, so permission bits never get in the way. */
const USER = 'hdfs'

/** What the parent asks for. */
export type ClusterLoadSpec =
  | {
      /** The operation mix on the NameNodes `namenodes`. */
      readonly kind: 'mix'
      /** Unique per run: part of every new name. */
      readonly runTag: string
      readonly namenodes: readonly string[]
      readonly mix: OpMix
      readonly ns: ClusterNamespace
      readonly callers: number
      readonly warmupMs: number
      /** Measured window after the warm-up; null: until the parent's `stopRun`. */
      readonly durationMs: number | null
      readonly seed: number
    }
  | {
      /** GET of any path through the same transport (a bare server's ceiling). */
      readonly kind: 'get'
      readonly url: string
      readonly ns: ClusterNamespace
      readonly callers: number
      readonly warmupMs: number
      readonly durationMs: number
    }
  | {
      /**
       * Untimed: GETFILESTATUS of every shared file whose index is `proc` modulo `processes` on
       * the NameNode at `url`, so its inode-hint cache holds the whole shared namespace.
       */
      readonly kind: 'warm'
      readonly url: string
      readonly ns: ClusterNamespace
      readonly callers: number
      readonly processes: number
    }

/** A kill -9 of NameNode `victim` (index into the run's `namenodes`) at `atMs` (epoch ms). */
export interface KillEvent {
  readonly atMs: number
  readonly victim: number
}

/** Messages from the parent. */
export type ClusterLoadMessage =
  | { readonly id: number; readonly spec: ClusterLoadSpec }
  | { readonly stopRun: true; readonly kills: readonly KillEvent[] }
  | 'stop'

/** Completed operations of one kind in the measured window. */
export interface OpStats {
  readonly ops: number
  readonly errors: number
  /** Latency of each completed operation, ms (3 decimals). */
  readonly latenciesMs: number[]
}

/** One failover sample: caller `caller` of kill `kill` got its first answer `ms` after it. */
export interface FailoverSample {
  readonly kill: number
  readonly caller: number
  readonly ms: number
}

/** The answer to a spec. */
export type ClusterLoadResult =
  | {
      readonly ok: true
      /** Length of the measured window, ms. */
      readonly elapsedMs: number
      readonly perOp: Partial<Record<MixOp | 'get', OpStats>>
      readonly firstError?: string | undefined
      /** NameNode requests that failed with a connection error (the SDK retried each). */
      readonly connectionFailures: number
      readonly failover?: {
        readonly samples: FailoverSample[]
        /** Callers on a killed NameNode that never got an answer elsewhere before the stop. */
        readonly unrecovered: number
      }
    }
  | { readonly ok: false; readonly error: string }

const PROC = Number(process.argv[2] ?? 0)

/** Caller c's own files (rename/delete pool), kept across runs: renames move them. */
const pools = new Map<number, string[]>()

function poolOf(ns: ClusterNamespace, caller: number): string[] {
  let pool = pools.get(caller)
  if (pool === undefined) {
    pool = Array.from({ length: ns.ownFiles }, (_, i) => `${ownDir(PROC, caller)}/f${i}`)
    pools.set(caller, pool)
  }
  return pool
}

/** One caller: its transport, generator, pool, and which NameNode answered its last request. */
class Caller {
  readonly client: WebHdfsClient
  readonly random: () => number
  /** Index (in the run's NameNode list) of the NameNode that answered last; -1 before any. */
  lastNamenode = -1
  connectionFailures = 0

  constructor(
    readonly index: number,
    callersPerProcess: number,
    namenodes: readonly string[],
    readonly ns: ClusterNamespace,
    readonly runTag: string,
    seed: number,
  ) {
    const n = namenodes.length
    // Callers of all processes, numbered globally, go round-robin over the NameNodes.
    const first = (PROC * callersPerProcess + index) % n
    const order = Array.from({ length: n }, (_, i) => (first + i) % n)
    this.client = new WebHdfsClient({ namenodes: order.map((i) => namenodes[i]!), user: USER })
    this.random = seededRandom(seed * 7919 + PROC * 1009 + index)
    const origins = namenodes.map((u) => new URL(u).origin)
    const send = this.client.send.bind(this.client)
    this.client.send = async (url, method, headers, body): Promise<IncomingMessage> => {
      const nn = origins.indexOf(url.origin)
      try {
        const res = await send(url, method, headers, body)
        if (nn >= 0) this.lastNamenode = nn
        return res
      } catch (err) {
        if (nn >= 0) this.connectionFailures++
        throw err
      }
    }
  }

  #int(n: number): number {
    return Math.floor(this.random() * n)
  }

  #sharedFile(): string {
    return filePath(this.ns, this.#int(fileCount(this.ns)))
  }

  #sharedDir(): string {
    return dirPath(this.ns, this.#int(dirCount(this.ns)))
  }

  #json(call: WebHdfsCall): Promise<unknown> {
    return this.client.json(call)
  }

  async #expectTrue(call: WebHdfsCall): Promise<void> {
    const reply = (await this.#json(call)) as { boolean?: unknown } | undefined
    if (reply?.boolean !== true)
      throw new Error(`${call.op} ${call.path}: ${JSON.stringify(reply)}`)
  }

  async #create(seq: number): Promise<void> {
    const path = `${this.#sharedDir()}/n${this.runTag}p${PROC}c${this.index}s${seq}`
    const step = await this.client.redirect({
      method: 'PUT',
      op: 'CREATE',
      path,
      params: { overwrite: false },
    })
    if (!('location' in step)) throw new Error(`CREATE ${path}: no redirect`)
    const res = await this.client.send(step.location, 'PUT')
    const body = await readBody(res)
    if (res.statusCode !== 201) throw decodeErrorReply(res.statusCode ?? 0, body, `CREATE ${path}`)
    poolOf(this.ns, this.index).push(path)
  }

  /** Runs operation `op` (the caller's `seq`-th). */
  async run(op: MixOp, seq: number): Promise<void> {
    switch (op) {
      case 'read':
        await this.#json({ method: 'GET', op: 'GETFILEBLOCKLOCATIONS', path: this.#sharedFile() })
        return
      case 'statFile':
        await this.#json({ method: 'GET', op: 'GETFILESTATUS', path: this.#sharedFile() })
        return
      case 'lsFile':
        await this.#json({ method: 'GET', op: 'LISTSTATUS', path: this.#sharedFile() })
        return
      case 'statDir':
        await this.#json({ method: 'GET', op: 'GETFILESTATUS', path: this.#sharedDir() })
        return
      case 'lsDir':
        await this.#json({ method: 'GET', op: 'LISTSTATUS', path: this.#sharedDir() })
        return
      case 'create':
        return this.#create(seq)
      case 'rename': {
        const pool = poolOf(this.ns, this.index)
        if (pool.length === 0) return this.#create(seq)
        const i = this.#int(pool.length)
        const dst = `${this.#sharedDir()}/r${this.runTag}p${PROC}c${this.index}s${seq}`
        await this.#expectTrue({
          method: 'PUT',
          op: 'RENAME',
          path: pool[i]!,
          params: { destination: dst },
        })
        pool[i] = dst
        return
      }
      case 'delete': {
        const pool = poolOf(this.ns, this.index)
        if (pool.length === 0) return this.#create(seq)
        const i = this.#int(pool.length)
        const path = pool[i]!
        // Swap-remove first: a failed delete must not be tried again on a maybe-deleted path.
        pool[i] = pool[pool.length - 1]!
        pool.pop()
        await this.#expectTrue({ method: 'DELETE', op: 'DELETE', path })
        return
      }
      case 'chownDir':
        await this.#json({
          method: 'PUT',
          op: 'SETOWNER',
          path: this.#sharedDir(),
          params: { owner: USER, group: seq % 2 === 0 ? 'supergroup' : 'bench' },
        })
        return
      case 'setReplication':
        await this.#json({
          method: 'PUT',
          op: 'SETREPLICATION',
          path: this.#sharedFile(),
          params: { replication: seq % 2 === 0 ? 2 : 3 },
        })
        return
      case 'chmodFile':
        await this.#json({
          method: 'PUT',
          op: 'SETPERMISSION',
          path: this.#sharedFile(),
          params: { permission: seq % 2 === 0 ? '640' : '644' },
        })
        return
      case 'mkdir':
        await this.#expectTrue({
          method: 'PUT',
          op: 'MKDIRS',
          path: `${this.#sharedDir()}/m${this.runTag}p${PROC}c${this.index}s${seq}`,
        })
        return
      case 'chmodDir':
        await this.#json({
          method: 'PUT',
          op: 'SETPERMISSION',
          path: this.#sharedDir(),
          params: { permission: seq % 2 === 0 ? '775' : '755' },
        })
        return
    }
  }
}

/** Ends the run in progress that has no fixed duration (set while one runs). */
let stopCurrent: ((kills: readonly KillEvent[]) => void) | undefined

async function warm(spec: Extract<ClusterLoadSpec, { kind: 'warm' }>): Promise<ClusterLoadResult> {
  const t0 = performance.now()
  const client = new WebHdfsClient({ namenodes: [spec.url], user: USER })
  const files = fileCount(spec.ns)
  let next = PROC
  let ops = 0
  const worker = async (): Promise<void> => {
    for (let i = next; i < files; i = next) {
      next += spec.processes
      await client.json({ method: 'GET', op: 'GETFILESTATUS', path: filePath(spec.ns, i) })
      ops++
    }
  }
  try {
    await Promise.all(Array.from({ length: spec.callers }, () => worker()))
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  } finally {
    client.close()
  }
  return {
    ok: true,
    elapsedMs: performance.now() - t0,
    perOp: { get: { ops, errors: 0, latenciesMs: [] } },
    connectionFailures: 0,
  }
}

async function run(spec: ClusterLoadSpec): Promise<ClusterLoadResult> {
  if (spec.kind === 'warm') return warm(spec)
  const namenodes = spec.kind === 'mix' ? spec.namenodes : [spec.url]
  const callers = Array.from(
    { length: spec.callers },
    (_, c) =>
      new Caller(
        c,
        spec.callers,
        namenodes,
        spec.ns,
        spec.kind === 'mix' ? spec.runTag : 'get',
        spec.kind === 'mix' ? spec.seed : 0,
      ),
  )
  const start = performance.now()
  const measureFrom = start + spec.warmupMs
  let end = spec.durationMs === null ? Number.POSITIVE_INFINITY : measureFrom + spec.durationMs
  let kills: readonly KillEvent[] = []
  if (spec.durationMs === null) {
    stopCurrent = (k) => {
      kills = k
      end = performance.now()
    }
  }
  const failover = spec.durationMs === null
  const perOp: Partial<
    Record<MixOp | 'get', { ops: number; errors: number; latenciesMs: number[] }>
  > = {}
  const stats = (op: MixOp | 'get'): { ops: number; errors: number; latenciesMs: number[] } =>
    (perOp[op] ??= { ops: 0, errors: 0, latenciesMs: [] })
  // Per caller, every answered operation: when (epoch ms) and which NameNode answered.
  const answeredAt = callers.map(() => [] as number[])
  const answeredBy = callers.map(() => [] as number[])
  let firstError: string | undefined
  let lastDone = measureFrom

  const loop = async (caller: Caller): Promise<void> => {
    const picker = spec.kind === 'mix' ? new OpPicker(spec.mix, caller.random) : undefined
    for (let seq = 0; ; seq++) {
      const t0 = performance.now()
      if (t0 >= end) return
      const op = picker?.pick() ?? 'get'
      try {
        if (op === 'get')
          await caller.client.json({
            method: 'GET',
            op: 'GETFILESTATUS',
            path: filePath(spec.ns, seq % fileCount(spec.ns)),
          })
        else await caller.run(op, seq)
      } catch (err) {
        if (t0 >= measureFrom) stats(op).errors++
        firstError ??= `${op}: ${err instanceof Error ? err.message : String(err)}`
        // A failing server answers fast: don't let one caller spin.
        await new Promise((r) => setTimeout(r, 5))
        continue
      }
      const t1 = performance.now()
      if (failover) {
        answeredAt[caller.index]!.push(performance.timeOrigin + t1)
        answeredBy[caller.index]!.push(caller.lastNamenode)
      }
      if (t0 >= measureFrom) {
        const s = stats(op)
        s.ops++
        s.latenciesMs.push(Math.round((t1 - t0) * 1000) / 1000)
        lastDone = t1
      }
    }
  }
  try {
    await Promise.all(callers.map((c) => loop(c)))
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  } finally {
    stopCurrent = undefined
    for (const c of callers) c.client.close()
  }
  return {
    ok: true,
    elapsedMs: Math.max(lastDone - measureFrom, 1e-3),
    perOp,
    firstError,
    connectionFailures: callers.reduce((n, c) => n + c.connectionFailures, 0),
    failover: failover ? failoverSamples(kills, answeredAt, answeredBy) : undefined,
  }
}

/** Index of the last element ≤ t in ascending `times`, or -1. */
function lastAtOrBefore(times: readonly number[], t: number): number {
  let lo = 0
  let hi = times.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (times[mid]! <= t) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

function failoverSamples(
  kills: readonly KillEvent[],
  answeredAt: readonly (readonly number[])[],
  answeredBy: readonly (readonly number[])[],
): { samples: FailoverSample[]; unrecovered: number } {
  const samples: FailoverSample[] = []
  let unrecovered = 0
  for (const [k, kill] of kills.entries()) {
    for (const [caller, times] of answeredAt.entries()) {
      const by = answeredBy[caller]!
      const before = lastAtOrBefore(times, kill.atMs)
      if (before < 0 || by[before] !== kill.victim) continue
      let i = before + 1
      while (i < times.length && by[i] === kill.victim) i++
      if (i < times.length) samples.push({ kill: k, caller, ms: times[i]! - kill.atMs })
      else unrecovered++
    }
  }
  return { samples, unrecovered }
}

if (process.send !== undefined && process.argv[1]?.endsWith('cluster-load.ts')) {
  process.on('message', (msg: ClusterLoadMessage) => {
    if (msg === 'stop') process.exit(0)
    if ('stopRun' in msg) {
      stopCurrent?.(msg.kills)
      return
    }
    void run(msg.spec).then((result) => process.send?.({ id: msg.id, result }))
  })
  process.on('disconnect', () => process.exit(0))
  process.send('ready')
}
