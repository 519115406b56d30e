/**
 * @module
 * The data-path benchmark: a whole local cluster (SQLite metadata, NameNode, 3 DataNodes) in one
 * child process, driven over WebHDFS from another child process (`data-load.ts`), next to
 * same-run baselines measured the same way:
 *
 * - GETFILESTATUS of 4 KiB files at `callers` keep-alive connections vs a bare `node:http`
 *   server answering the same JSON bytes (`data-server.ts bare`);
 * - 4 KiB files: two-step CREATE inline (default policy), through DataNodes (a HOT directory,
 *   default replication 3) and with an empty body; OPEN of the inline and the HOT files;
 * - one large file (1 GiB, quick 256 MiB) written and read back at replication 1 and 3 vs `dd`
 *   to the same disk (`conv=fdatasync`) and a bare loopback PUT/GET stream of the same size,
 *   with the server process's peak RSS (`/proc/<pid>/status` VmRSS, sampled every 50 ms).
 *
 * Reads of the large files come from the page cache (they were just written), as the bare
 * stream comes from memory. The DataNodes write without fsync (`syncOnClose` false, HDFS's
 * default); dd's figure includes its fdatasync.
 */
import { execFileSync, fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadResult, LoadSpec } from './data-load.js'
import type { ServerReady } from './data-server.js'
import type { LoopOptions, Measurement } from './timed-loop.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const MB = 1024 * 1024
const SMALL_FILE_BYTES = 4096

/** Names of the data-path rows, as the report and the verdicts refer to them. */
export const DATA = {
  stat: 'GETFILESTATUS (4 KiB inline file)',
  bareJson: 'bare node:http GET, same JSON',
  createEmpty: 'CREATE empty file',
  createInline: 'CREATE+write 4 KiB inline',
  createHot: 'CREATE+write 4 KiB HOT (blocks, rep 3)',
  openInline: 'OPEN 4 KiB inline',
  openHot: 'OPEN 4 KiB HOT (blocks)',
  write1: 'write, replication 1',
  write3: 'write, replication 3',
  read1: 'read, replication 1',
  read3: 'read, replication 3',
  dd: 'dd conv=fdatasync, same disk',
  barePut: 'bare loopback PUT stream',
  bareGet: 'bare loopback GET stream',
} as const

/** One measured row: a request rate (ops/s) or a transfer rate (MB/s, 2^20 bytes). */
export interface DataRow {
  readonly name: string
  readonly unit: 'ops/s' | 'MB/s'
  readonly value: number
  /** Concurrent connections (1 for the large transfers). */
  readonly callers: number
  readonly p50Ms?: number | undefined
  readonly p99Ms?: number | undefined
  readonly p999Ms?: number | undefined
  readonly errors?: number | undefined
  readonly firstError?: string | undefined
  /** Bytes moved and seconds taken (transfers). */
  readonly bytes?: number | undefined
  readonly seconds?: number | undefined
  /** Peak VmRSS of the cluster process during the transfer, and before it (MB). */
  readonly peakRssMb?: number | undefined
  readonly rssBeforeMb?: number | undefined
  /** The row this one is compared with (its `name`). */
  readonly baseline?: string | undefined
}

/** What the data-path suite measured. */
export interface DataReport {
  readonly options: DataOptions
  readonly rows: readonly DataRow[]
}

/** How the data-path suite runs. */
export interface DataOptions {
  /** Size of the large file (bytes). */
  readonly bigBytes: number
  /** Keep-alive connections of the request-rate workloads. */
  readonly callers: number
  readonly durationMs: number
  readonly warmupMs: number
  /** Interleaved rounds of the request-rate workloads; each row keeps its best round. */
  readonly rounds: number
  /** Directory for the server's `--cpu-prof` output (profiling run), if any. */
  readonly profileDir?: string | undefined
}

/** A forked child (`data-server.ts`, `data-load.ts`) speaking IPC. */
export class Child {
  readonly #proc: ChildProcess
  #nextId = 1
  readonly #pending = new Map<number, (r: LoadResult) => void>()

  private constructor(proc: ChildProcess) {
    this.#proc = proc
    proc.on('message', (msg: { id?: number; result?: LoadResult }) => {
      if (msg.id === undefined || msg.result === undefined) return
      this.#pending.get(msg.id)?.(msg.result)
      this.#pending.delete(msg.id)
    })
  }

  /** Forks `script` with tsx and waits for its first message. */
  static async start<T>(
    script: string,
    args: readonly string[],
    execArgv: readonly string[] = [],
  ): Promise<{ child: Child; first: T }> {
    const proc = fork(join(HERE, script), args, {
      execArgv: [...execArgv, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const first = await new Promise<T>((resolve, reject) => {
      proc.once('message', (m) => resolve(m as T))
      proc.once('exit', (code) => reject(new Error(`${script} exited with ${code} before ready`)))
      proc.once('error', reject)
    })
    return { child: new Child(proc), first }
  }

  get pid(): number {
    return this.#proc.pid ?? 0
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, resolve)
      this.#proc.send({ id, spec }, (err) => {
        if (err) reject(err)
      })
    })
  }

  /** Asks the child to stop ('stop'), kills it after 10 s. */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null) return
    const exited = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()))
    if (this.#proc.connected) this.#proc.send('stop')
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

/** VmRSS of `pid` in MB (NaN where /proc is unavailable). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** Samples `pid`'s RSS every 50 ms while `fn` runs; returns fn's value and the peak. */
async function withRssPeak<T>(pid: number, fn: () => Promise<T>): Promise<[T, number]> {
  let peak = rssMb(pid)
  const timer = setInterval(() => {
    const v = rssMb(pid)
    if (!(v <= peak)) peak = v
  }, 50)
  try {
    const value = await fn()
    return [value, Math.max(peak, rssMb(pid))]
  } finally {
    clearInterval(timer)
  }
}

function measured(r: LoadResult, what: string): Measurement & { counts?: number[] } {
  if (!r.ok) throw new Error(`${what}: ${r.error}`)
  if (!('measurement' in r) || r.measurement === undefined) throw new Error(`${what}: no result`)
  return { ...r.measurement, ...(r.counts ? { counts: r.counts } : {}) }
}

/** A transfer's bytes and seconds; a failed one counts as 0 bytes, with its error kept. */
function transferred(
  r: LoadResult,
  what: string,
): { bytes: number; seconds: number; errors?: number; firstError?: string } {
  if (!r.ok) return { bytes: 0, seconds: 1, errors: 1, firstError: `${what}: ${r.error}` }
  if (!('bytes' in r)) throw new Error(`${what}: no transfer`)
  return r
}

function rateRow(name: string, m: Measurement, callers: number, baseline?: string): DataRow {
  return {
    name,
    unit: 'ops/s',
    value: m.opsPerSec,
    callers,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    p999Ms: m.p999Ms,
    errors: m.errors,
    firstError: m.firstError,
    baseline,
  }
}

/**
 * `dd` of `bytes` zeros to `dir` with fdatasync; MB/s from its own byte count and time (the
 * time includes the fdatasync).
 */
function ddRate(dir: string, bytes: number): DataRow {
  const file = join(dir, 'ddtest')
  const count = Math.max(1, Math.round(bytes / MB))
  const text = execFileSync(
    'sh',
    ['-c', `dd if=/dev/zero of='${file}' bs=1M count=${count} conv=fdatasync 2>&1`],
    { encoding: 'utf8' },
  )
  rmSync(file, { force: true })
  const m = /^(\d+) bytes.* copied, ([\d.]+) s/m.exec(text)
  if (!m) throw new Error(`cannot parse dd output: ${text}`)
  const moved = Number(m[1])
  const seconds = Number(m[2])
  return {
    name: DATA.dd,
    unit: 'MB/s',
    value: moved / MB / seconds,
    callers: 1,
    bytes: moved,
    seconds,
  }
}

/** Runs the data-path suite; `scratch` holds the cluster's data directory and dd's file. */
export async function runDataBench(
  opts: DataOptions,
  scratch: string,
  log: (line: string) => void,
): Promise<DataReport> {
  const rows: DataRow[] = []
  const record = (row: DataRow): void => {
    rows.push(row)
    const extra =
      row.p50Ms !== undefined
        ? `, p50 ${row.p50Ms.toFixed(3)} ms, p99 ${row.p99Ms?.toFixed(3)} ms`
        : row.peakRssMb !== undefined
          ? `, server RSS peak ${row.peakRssMb.toFixed(0)} MB`
          : ''
    const errs = row.errors ? ` (${row.errors} errors: ${row.firstError})` : ''
    log(
      `  ${row.name}: ${row.value.toFixed(row.unit === 'MB/s' ? 1 : 0)} ${row.unit}${extra}${errs}`,
    )
  }
  const timing: LoopOptions = {
    callers: opts.callers,
    durationMs: opts.durationMs,
    warmupMs: opts.warmupMs,
  }
  const dataDir = join(scratch, 'cluster')
  log('data: starting the cluster and the load generator (separate processes)')
  const execArgv = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []
  const [{ child: cluster, first: ready }, { child: load }] = await Promise.all([
    Child.start<ServerReady>('data-server.ts', ['cluster', dataDir, '3'], execArgv),
    Child.start<string>('data-load.ts', []),
  ])
  let bare: Child | undefined
  try {
    const nn = ready.url
    const web = (path: string, op: string, extra = ''): string =>
      `${nn}/webhdfs/v1${path}?op=${op}&user.name=hdfs${extra}`
    const put = async (url: string): Promise<void> => {
      const res = await fetch(url, { method: 'PUT' })
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`)
      await res.arrayBuffer()
    }
    await put(web('/bench/hot', 'MKDIRS'))
    await put(web('/bench/hot', 'SETSTORAGEPOLICY', '&storagepolicy=HOT'))
    await put(web('/bench/big', 'MKDIRS'))

    log(`data: 4 KiB files, ${opts.callers} connections, best of ${opts.rounds} interleaved rounds`)
    const createSpec = (dir: string, bytes: number): LoadSpec => ({
      kind: 'create',
      namenode: nn,
      dir,
      bytes,
      timing,
    })
    const openSpec = (dir: string, counts: readonly number[]): LoadSpec => ({
      kind: 'open',
      namenode: nn,
      dir,
      counts,
      bytes: SMALL_FILE_BYTES,
      timing,
    })
    const bestOf = new Map<string, Measurement>()
    const keep = (name: string, m: Measurement): void => {
      const prev = bestOf.get(name)
      if (prev === undefined || m.opsPerSec > prev.opsPerSec) bestOf.set(name, m)
      log(`    round: ${name} ${m.opsPerSec.toFixed(0)} ops/s`)
    }
    let inlineCounts: number[] = []
    let hotCounts: number[] = []
    const statUrls: string[] = []
    let bareUrl = ''
    for (let round = 0; round < opts.rounds; round++) {
      const empty = measured(await load.run(createSpec(`/bench/empty/r${round}`, 0)), 'empty')
      keep(DATA.createEmpty, empty)
      const inline = measured(
        await load.run(createSpec(`/bench/inline/r${round}`, SMALL_FILE_BYTES)),
        DATA.createInline,
      )
      keep(DATA.createInline, inline)
      const hot = measured(
        await load.run(createSpec(`/bench/hot/r${round}`, SMALL_FILE_BYTES)),
        DATA.createHot,
      )
      keep(DATA.createHot, hot)
      if (round === 0) {
        inlineCounts = inline.counts ?? []
        hotCounts = hot.counts ?? []
        for (const [k, n] of inlineCounts.entries())
          for (let i = 0; i < Math.min(n, 2000); i++)
            statUrls.push(web(`/bench/inline/r0/c${k}/f${i}`, 'GETFILESTATUS'))
        if (statUrls.length === 0) throw new Error('no inline file was created')
        const sample = await fetch(statUrls[0]!)
        const jsonFile = join(scratch, 'filestatus.json')
        writeFileSync(jsonFile, Buffer.from(await sample.arrayBuffer()))
        const started = await Child.start<ServerReady>('data-server.ts', ['bare', jsonFile])
        bare = started.child
        bareUrl = started.first.url
      }
      keep(DATA.stat, measured(await load.run({ kind: 'get', urls: statUrls, timing }), DATA.stat))
      keep(
        DATA.bareJson,
        measured(await load.run({ kind: 'get', urls: [`${bareUrl}/json`], timing }), DATA.bareJson),
      )
      keep(
        DATA.openInline,
        measured(await load.run(openSpec('/bench/inline/r0', inlineCounts)), DATA.openInline),
      )
      keep(
        DATA.openHot,
        measured(await load.run(openSpec('/bench/hot/r0', hotCounts)), DATA.openHot),
      )
    }
    const best = (name: string, baseline?: string): void =>
      record(rateRow(name, bestOf.get(name)!, opts.callers, baseline))
    best(DATA.createEmpty)
    best(DATA.createInline, DATA.createEmpty)
    best(DATA.createHot, DATA.createEmpty)
    best(DATA.stat, DATA.bareJson)
    best(DATA.bareJson)
    best(DATA.openInline, DATA.stat)
    best(DATA.openHot, DATA.stat)

    const size = opts.bigBytes
    log(`data: ${(size / MB).toFixed(0)} MiB transfers, 1 stream`)
    const mbps = (t: { bytes: number; seconds: number }): number => t.bytes / MB / t.seconds
    const bp = transferred(
      await load.run({ kind: 'put-stream', url: `${bareUrl}/sink`, twoStep: false, bytes: size }),
      DATA.barePut,
    )
    record({ name: DATA.barePut, unit: 'MB/s', value: mbps(bp), callers: 1, ...bp })
    const bg = transferred(
      await load.run({
        kind: 'get-stream',
        url: `${bareUrl}/source?bytes=${size}`,
        twoStep: false,
        bytes: size,
      }),
      DATA.bareGet,
    )
    record({ name: DATA.bareGet, unit: 'MB/s', value: mbps(bg), callers: 1, ...bg })
    record(ddRate(dataDir, size))

    for (const replication of [1, 3]) {
      const path = `/bench/big/r${replication}`
      const rssBefore = rssMb(ready.pid)
      const [w, wPeak] = await withRssPeak(ready.pid, async () =>
        transferred(
          await load.run({
            kind: 'put-stream',
            url: web(path, 'CREATE', `&replication=${replication}&overwrite=true`),
            twoStep: true,
            bytes: size,
          }),
          `write r${replication}`,
        ),
      )
      record({
        name: replication === 1 ? DATA.write1 : DATA.write3,
        unit: 'MB/s',
        value: mbps(w),
        callers: 1,
        ...w,
        peakRssMb: wPeak,
        rssBeforeMb: rssBefore,
        baseline: DATA.dd,
      })
      const rssBeforeRead = rssMb(ready.pid)
      const [r, rPeak] = await withRssPeak(ready.pid, async () =>
        transferred(
          await load.run({
            kind: 'get-stream',
            url: web(path, 'OPEN'),
            twoStep: true,
            bytes: size,
          }),
          `read r${replication}`,
        ),
      )
      record({
        name: replication === 1 ? DATA.read1 : DATA.read3,
        unit: 'MB/s',
        value: mbps(r),
        callers: 1,
        ...r,
        peakRssMb: rPeak,
        rssBeforeMb: rssBeforeRead,
        baseline: DATA.bareGet,
      })
      await fetch(web(path, 'DELETE'), { method: 'DELETE' }).then((res) => res.arrayBuffer())
    }
    return { options: opts, rows }
  } finally {
    await Promise.all([cluster.stop(), load.stop(), bare?.stop()])
  }
}
