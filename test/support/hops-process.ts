/**
 * `hops namenode` / `hops datanode` child processes for fault tests: spawn with fixed arguments,
 * wait until `/health` answers, `kill -9`, and start again with the same arguments (same port),
 * as an operator's supervisor would.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const HOPS = join(import.meta.dirname, '..', '..', 'bin', 'hops.js')

/** Polls `check` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  pauseMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last })
    await new Promise((r) => setTimeout(r, pauseMs))
  }
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode })
    } else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

/** One `hops` role process, restartable with the same arguments. */
export class HopsProcess {
  /** Output of every incarnation, prefixed by `--- start n ---` lines. */
  out = ''
  starts = 0
  #child: ChildProcess | undefined

  constructor(
    readonly name: string,
    /** Base URL where `/health` answers. */
    readonly url: string,
    readonly args: readonly string[],
    readonly env: Readonly<Record<string, string>> = {},
  ) {}

  get child(): ChildProcess | undefined {
    return this.#child
  }

  /** True while the current incarnation has not exited. */
  get running(): boolean {
    const c = this.#child
    return c !== undefined && c.exitCode === null && c.signalCode === null
  }

  /** Spawns a new incarnation (the previous one must have exited). */
  start(): this {
    if (this.running) throw new Error(`${this.name} is already running`)
    this.starts++
    this.out += `--- start ${this.starts} ---\n`
    const child = spawn(process.execPath, [HOPS, ...this.args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (d: Buffer) => (this.out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (this.out += d.toString()))
    this.#child = child
    return this
  }

  /** Waits until `/health` answers 200. @throws when the process exits first */
  async up(timeoutMs = 30_000): Promise<this> {
    const child = this.#child
    if (child === undefined) throw new Error(`${this.name} was never started`)
    await waitFor(
      `${this.name} to answer /health`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${this.name} exited ${child.exitCode ?? child.signalCode}: ${this.out}`)
        }
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) })
        return res.status === 200
      },
      timeoutMs,
    )
    return this
  }

  /** `kill -9` and wait for the exit. */
  async kill9(): Promise<void> {
    const child = this.#child
    if (child === undefined || !this.running) return
    child.kill('SIGKILL')
    await exited(child)
  }
}
