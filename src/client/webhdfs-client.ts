/**
 * @module
 * The WebHDFS transport: URL building, `user.name`/`doas`, NameNode failover, the two-step 307
 * redirect of CREATE/APPEND/OPEN/GETFILECHECKSUM, streaming request bodies with
 * `Expect: 100-continue` and backpressure, and error decoding. {@link FileSystem} is the API on top.
 *
 * Load spreading: NameNodes are equal (all state is in the database), so a client starts on one
 * picked at random from its list, and picks again at random when discovery finds NameNodes it
 * did not know: many clients spread over all NameNodes, also over ones added later.
 *
 * Failover: the client remembers which NameNode answered last and starts there. A request moves on
 * to the next NameNode when the connection fails or the server answers `StandbyException`, at
 * most {@link WebHdfsClientOptions.maxAttempts} times, sleeping after each full round over the
 * list. Mutations carry `clientid` (random per client) and `callid` (a counter, kept across
 * retries of one call): Hops NameNodes record a mutation's outcome under that key in the
 * database's retry cache, so a retry after any connection failure — on any NameNode — gets the
 * first answer (a retried DELETE answers true again, a retried RENAME is not refused). Every op
 * therefore fails over on any connection error. (Other WebHDFS servers ignore the two
 * parameters; against them a retried non-idempotent mutation may see its own first effect.)
 * A `RetriableException` reply (the NameNode's metadata database stayed unreachable past its own
 * wait, a subtree operation was taken over) is retried the same way, as Hadoop's retry policy does.
 *
 * Discovery: with {@link WebHdfsClientOptions.refreshNamenodesMs}, the client asks the NameNode
 * it uses for the live NameNodes (`GET /namenodes`, a Hops endpoint) at most that often and adds
 * the ones it does not know to its failover list, so NameNodes started after the client are used
 * too (and ones it learnt about that are gone again are dropped; configured URLs always stay).
 *
 * Secure mode: with {@link WebHdfsClientOptions.tls} every `https:` connection (NameNodes and the
 * DataNodes they redirect to) presents the user's certificate and trusts only the given CA. The
 * server takes the caller's identity from the certificate (`project__user`); `user` may be left
 * out (a `user.name` naming anyone else is refused).
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage } from 'node:http'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { FsError } from '../common/fs-error.js'
import { readBundleDir } from '../security/tls-bundle.js'
import { decodeErrorReply, parseRemoteException, isStandbyException } from './remote-exception.js'

/** Options of {@link WebHdfsClient} and {@link FileSystem}. */
export interface WebHdfsClientOptions {
  /** NameNode base URLs, e.g. `http://127.0.0.1:9870`; at least one. */
  readonly namenodes: readonly string[]
  /** Sent as `user.name` (insecure mode). Default: none, the server's static user. */
  readonly user?: string | undefined
  /** Sent as `doas` (proxy user). Default: none. */
  readonly doAs?: string | undefined
  /** Tries per call over all NameNodes. Default: 2 × the number of NameNodes, at least 3. */
  readonly maxAttempts?: number
  /** Sleep after each full round over the NameNodes, doubled each round. Default 200 ms. */
  readonly retryBackoffMs?: number
  /** Socket idle timeout of metadata requests and of data transfers. Default 60 000 ms. */
  readonly timeoutMs?: number
  /**
   * Re-read the live NameNodes (`GET /namenodes`) at most this often, ms, adding NameNodes
   * started later to the failover list. Default 0: never (only the configured URLs are used).
   */
  readonly refreshNamenodesMs?: number
  /**
   * Secure mode: the client certificate (PEM strings: `key`, `cert`, and `ca`, the root to trust)
   * or a bundle directory holding `key.pem`, `cert.pem`, `ca.pem` (see `hops dfs --cert-dir`).
   * Used for every https NameNode and DataNode connection.
   */
  readonly tls?: ClientTls | string | undefined
}

/** A client certificate and the CA to trust, PEM. */
export interface ClientTls {
  readonly key: string
  /** The leaf certificate, optionally followed by the intermediate. */
  readonly cert: string
  /** The root certificate(s) to trust. */
  readonly ca: string
}

/** The PEMs of `tls` (reading a bundle directory). */
export function resolveClientTls(tls: ClientTls | string): ClientTls {
  if (typeof tls !== 'string') return tls
  const b = readBundleDir(tls)
  return { key: b.keyPem, cert: b.certPem, ca: b.caPem }
}

/** WebHDFS query parameter values; arrays repeat the parameter (`xattr.name`). */
export type ParamValue = string | number | bigint | boolean | undefined | readonly string[]

/** One WebHDFS call. */
export interface WebHdfsCall {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE'
  readonly op: string
  /** Absolute HDFS path. */
  readonly path: string
  readonly params?: Readonly<Record<string, ParamValue>>
}

// Errors that prove the request never reached a server.
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const CONNECTION = new Set([
  ...NOT_SENT,
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
])

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** Thrown inside an attempt when a NameNode answered StandbyException. */
class StandbyReply extends Error {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message)
  }
}

/** The URL path of an HDFS path: `/webhdfs/v1` plus the percent-encoded components. */
export function webhdfsUrlPath(path: string): string {
  const parts = path.split('/').filter((c) => c !== '')
  return '/webhdfs/v1/' + parts.map(encodeURIComponent).join('/')
}

/** A WebHDFS URL on `base` for `op` on `path` with `params` (undefined values left out). */
export function buildWebHdfsUrl(
  base: string,
  path: string,
  op: string,
  params: Readonly<Record<string, ParamValue>> = {},
): URL {
  const url = new URL(base)
  url.pathname = url.pathname.replace(/\/+$/, '') + webhdfsUrlPath(path)
  url.searchParams.set('op', op)
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value as string[]) url.searchParams.append(key, v)
    else url.searchParams.set(key, String(value))
  }
  return url
}

/** Reads a whole reply body (error and JSON replies are small). */
export async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** The low-level WebHDFS client; most callers want {@link FileSystem}. */
export class WebHdfsClient {
  /** Random per client; sent as `clientid` on mutations. */
  readonly clientId: string = randomUUID()
  readonly #options: Required<Omit<WebHdfsClientOptions, 'user' | 'doAs' | 'maxAttempts' | 'tls'>> &
    Pick<WebHdfsClientOptions, 'user' | 'doAs' | 'maxAttempts'>
  readonly #httpAgent = new http.Agent({ keepAlive: true })
  readonly #httpsAgent: https.Agent
  #callId = 0
  #active = 0
  /** The failover list: the configured NameNodes, then discovered ones (replaced, never mutated). */
  #namenodes: readonly string[]
  #refreshAt = 0
  #refreshing: Promise<unknown> | undefined

  /** @throws TypeError when no NameNode URL is given or one is not an http(s) URL */
  constructor(options: WebHdfsClientOptions) {
    const namenodes = [...options.namenodes]
    if (namenodes.length === 0) throw new TypeError('WebHdfsClient: namenodes must not be empty')
    for (const nn of namenodes) {
      let url: URL
      try {
        url = new URL(nn)
      } catch {
        throw new TypeError(`WebHdfsClient: invalid NameNode URL ${nn}`)
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new TypeError(`WebHdfsClient: NameNode URL must be http(s): ${nn}`)
    }
    this.#options = Object.freeze({
      namenodes: Object.freeze(namenodes),
      user: options.user,
      doAs: options.doAs,
      maxAttempts: options.maxAttempts,
      retryBackoffMs: options.retryBackoffMs ?? 200,
      timeoutMs: options.timeoutMs ?? 60_000,
      refreshNamenodesMs: options.refreshNamenodesMs ?? 0,
    })
    this.#namenodes = this.#options.namenodes
    this.#active = randomIndex(this.#namenodes.length)
    const tls = options.tls === undefined ? undefined : resolveClientTls(options.tls)
    this.#httpsAgent = new https.Agent({
      keepAlive: true,
      ...(tls === undefined ? {} : { key: tls.key, cert: tls.cert, ca: tls.ca }),
    })
  }

  /** The NameNodes calls fail over between: the configured ones, then discovered ones. */
  get namenodes(): readonly string[] {
    return this.#namenodes
  }

  /**
   * Asks a NameNode (the one in use first) for the live NameNodes (`GET /namenodes`) and updates
   * the failover list; returns it. A NameNode without the endpoint (not Hops) changes nothing.
   */
  async refreshNamenodes(): Promise<readonly string[]> {
    const nns = this.#namenodes
    for (let i = 0; i < nns.length; i++) {
      const base = nns[(this.#active + i) % nns.length]!
      let live: string[]
      try {
        const res = await this.send(new URL('namenodes', base.replace(/\/*$/, '/')), 'GET')
        const body = await readBody(res)
        if (res.statusCode !== 200) continue
        const list = (JSON.parse(body) as { namenodes?: { url?: unknown }[] }).namenodes
        if (!Array.isArray(list)) return this.#namenodes
        live = list.flatMap((n) => (typeof n.url === 'string' ? [normalizeUrl(n.url)] : []))
      } catch {
        continue
      }
      this.#useNamenodes(live.filter((u) => u !== ''))
      return this.#namenodes
    }
    return this.#namenodes
  }

  /** The configured NameNodes plus the `live` ones not among them; keeps the active one active. */
  #useNamenodes(live: readonly string[]): void {
    const active = this.#namenodes[this.#active]
    const configured = this.#options.namenodes
    const known = new Set(configured.map(normalizeUrl))
    const next = [...configured]
    for (const u of live) {
      if (known.has(u)) continue
      known.add(u)
      next.push(u)
    }
    const added = next.some((u) => !this.#namenodes.includes(u))
    this.#namenodes = Object.freeze(next)
    this.#active = added
      ? randomIndex(next.length)
      : Math.max(0, active === undefined ? 0 : next.indexOf(active))
  }

  /** Starts a background {@link refreshNamenodes} when one is due. */
  #maybeRefresh(): void {
    const every = this.#options.refreshNamenodesMs
    if (every <= 0 || this.#refreshing !== undefined || Date.now() < this.#refreshAt) return
    this.#refreshAt = Date.now() + every
    this.#refreshing = this.refreshNamenodes()
      .catch(() => undefined)
      .finally(() => (this.#refreshing = undefined))
  }

  /** The user sent as `user.name`, if any. */
  get user(): string | undefined {
    return this.#options.user
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#httpAgent.destroy()
    this.#httpsAgent.destroy()
  }

  #agentFor(url: URL): http.Agent {
    return url.protocol === 'https:' ? this.#httpsAgent : this.#httpAgent
  }

  /** Sends one request; `body` undefined means an empty body. */
  send(
    url: URL,
    method: string,
    headers: Record<string, string> = {},
    body?: Buffer,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http
      const req = mod.request(url, {
        method,
        agent: this.#agentFor(url),
        headers: { ...headers, 'content-length': String(body?.length ?? 0) },
        timeout: this.#options.timeoutMs,
      })
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`timeout after ${this.#options.timeoutMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      )
      req.on('error', reject)
      req.on('response', resolve)
      req.end(body)
    })
  }

  /** Opens a streaming request body to `url` (a DataNode `Location`); see {@link WebHdfsWriteStream}. */
  openWriteStream(url: URL, method: 'PUT' | 'POST'): WebHdfsWriteStream {
    return new WebHdfsWriteStream(url, method, this.#agentFor(url), this.#options.timeoutMs)
  }

  #params(call: WebHdfsCall, callId: number | undefined): Record<string, ParamValue> {
    return {
      ...call.params,
      'user.name': this.#options.user,
      doas: this.#options.doAs,
      clientid: callId === undefined ? undefined : this.clientId,
      callid: callId,
    }
  }

  /**
   * Runs `attempt` against the NameNodes with failover (see the module comment) and returns its
   * result. `attempt` returns the reply; non-2xx/3xx replies are decoded into FsError here.
   */
  async #withFailover(
    call: WebHdfsCall,
    attempt: (url: URL) => Promise<IncomingMessage>,
  ): Promise<IncomingMessage> {
    this.#maybeRefresh()
    const nns = this.#namenodes
    const mutation = call.method !== 'GET'
    const callId = mutation ? this.#callId++ : undefined
    const params = this.#params(call, callId)
    let lastError: unknown
    const maxAttempts = this.#options.maxAttempts ?? Math.max(3, 2 * nns.length)
    for (let i = 0; i < maxAttempts; i++) {
      const index = (this.#active + i) % nns.length
      if (i > 0 && i % nns.length === 0)
        await sleep(this.#options.retryBackoffMs * 2 ** (i / nns.length - 1))
      const url = buildWebHdfsUrl(nns[index]!, call.path, call.op, params)
      try {
        const res = await attempt(url)
        if (res.statusCode !== undefined && res.statusCode >= 400) {
          const body = await readBody(res)
          const info = parseRemoteException(body)
          if (info !== undefined && isStandbyException(info))
            throw new StandbyReply(nns[index]!, info.message)
          throw decodeErrorReply(res.statusCode, body, `${call.op} ${call.path}`)
        }
        this.#active = Math.max(0, this.#namenodes.indexOf(nns[index]!))
        return res
      } catch (err) {
        if (err instanceof FsError) {
          if (err.code !== 'RETRIABLE') throw err
          lastError = err
          continue
        }
        const code = errnoOf(err)
        const retriable =
          err instanceof StandbyReply || (code !== undefined && CONNECTION.has(code))
        if (!retriable) throw toFsError(err, call)
        lastError = err
      }
    }
    if (lastError instanceof StandbyReply)
      throw new FsError(
        'RETRIABLE',
        `${call.op} ${call.path}: no active NameNode (${nns.join(', ')}): ${lastError.message}`,
        { cause: lastError },
      )
    throw toFsError(lastError, call, nns)
  }

  /**
   * Runs a metadata call and returns its parsed JSON reply (`undefined` for an empty body).
   * @throws FsError decoded from the reply, or IO_ERROR when no NameNode could be reached
   */
  async json(call: WebHdfsCall): Promise<unknown> {
    const res = await this.#withFailover(call, (url) => this.send(url, call.method))
    const body = await readBody(res)
    if (body.trim() === '') return undefined
    try {
      return JSON.parse(body) as unknown
    } catch (err) {
      throw new FsError('IO_ERROR', `${call.op} ${call.path}: reply is not JSON`, { cause: err })
    }
  }

  /**
   * Step one of a redirected op (CREATE, APPEND, OPEN, GETFILECHECKSUM): sends it to a NameNode
   * without a body and returns the DataNode `Location` of a 307 (or of a 200
   * `{"Location":…}` reply to `noredirect=true`), or the reply itself when the NameNode answered
   * 200/201 with the result (servers may serve OPEN of small files themselves).
   */
  async redirect(call: WebHdfsCall): Promise<{ location: URL } | { response: IncomingMessage }> {
    let base = ''
    const res = await this.#withFailover(call, (url) => {
      base = url.toString()
      return this.send(url, call.method)
    })
    const status = res.statusCode ?? 0
    if (status >= 300 && status < 400) {
      res.resume()
      const location = res.headers.location
      if (location === undefined)
        throw new FsError('IO_ERROR', `${call.op} ${call.path}: ${status} without Location`)
      return { location: new URL(location, base) }
    }
    const type = res.headers['content-type'] ?? ''
    if (call.op !== 'OPEN' && type.includes('json')) {
      const body = await readBody(res)
      const parsed = JSON.parse(body || '{}') as { Location?: unknown }
      if (typeof parsed.Location === 'string') return { location: new URL(parsed.Location, base) }
      // The result itself (e.g. a FileChecksum answered directly).
      return { response: Object.assign(res, { bufferedBody: body }) }
    }
    return { response: res }
  }
}

/** A reply whose body {@link WebHdfsClient.redirect} has already read. */
export type BufferedReply = IncomingMessage & { bufferedBody?: string }

/** `origin` + path without a trailing slash, '' for an invalid URL (compares NameNode URLs). */
function normalizeUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
  } catch {
    return ''
  }
}

function toFsError(err: unknown, call: WebHdfsCall, namenodes?: readonly string[]): FsError {
  if (err instanceof FsError) return err
  const where = namenodes ? ` (tried ${namenodes.join(', ')})` : ''
  const message = err instanceof Error ? err.message : String(err)
  return new FsError('IO_ERROR', `${call.op} ${call.path}: ${message}${where}`, { cause: err })
}

/**
 * A request body streamed to a DataNode: a Node `Writable` with backpressure (the socket's), so
 * memory stays constant whatever the size. It sends `Expect: 100-continue` and starts the body on
 * `100 Continue` (or after one second, as curl does, for servers that never send it). `end()`
 * finishes once the DataNode answered 200/201; an error reply fails the stream with the decoded
 * {@link FsError}.
 */
export class WebHdfsWriteStream extends Writable {
  readonly #req: http.ClientRequest
  readonly #ready: Promise<void>
  readonly #reply: Promise<void>
  /** Bytes accepted so far. */
  bytesWritten = 0

  constructor(url: URL, method: 'PUT' | 'POST', agent: http.Agent, timeoutMs: number) {
    super({ highWaterMark: 1 << 20 })
    const mod = url.protocol === 'https:' ? https : http
    this.#req = mod.request(url, {
      method,
      agent,
      timeout: timeoutMs,
      headers: {
        'content-type': 'application/octet-stream',
        'transfer-encoding': 'chunked',
        expect: '100-continue',
      },
    })
    const req = this.#req
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('DataNode write timed out'), { code: 'ETIMEDOUT' })),
    )
    req.flushHeaders()
    this.#ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 1000)
      req.once('continue', () => {
        clearTimeout(timer)
        resolve()
      })
      req.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      req.once('response', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    this.#reply = new Promise<void>((resolve, reject) => {
      req.once('error', (err) =>
        reject(new FsError('IO_ERROR', `write to ${url.host}: ${err.message}`, { cause: err })),
      )
      req.once('response', (res) => {
        readBody(res).then((body) => {
          const status = res.statusCode ?? 0
          if (status >= 200 && status < 300) return resolve()
          const err = decodeErrorReply(status, body, `${method} ${url.pathname}`)
          reject(err)
          // An early error reply (quota, lease): fail the writer now, not at end().
          if (!this.writableFinished) this.destroy(err)
        }, reject)
      })
    })
    this.#reply.catch(() => undefined) // observed through _write/_final/destroy
    this.#ready.catch(() => undefined)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error) => void): void {
    this.#ready.then(
      () => {
        if (this.#req.destroyed) return callback(new FsError('IO_ERROR', 'DataNode write aborted'))
        this.bytesWritten += chunk.length
        if (this.#req.write(chunk)) return callback()
        const onDrain = (): void => {
          this.#req.off('close', onClose)
          callback()
        }
        const onClose = (): void => {
          this.#req.off('drain', onDrain)
          callback(new FsError('IO_ERROR', 'DataNode connection closed during write'))
        }
        this.#req.once('drain', onDrain)
        this.#req.once('close', onClose)
      },
      (err: Error) => callback(err),
    )
  }

  override _final(callback: (err?: Error) => void): void {
    this.#ready.then(
      () => {
        this.#req.end()
        this.#reply.then(() => callback(), callback)
      },
      (err: Error) => callback(err),
    )
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.#req.destroyed && !this.writableFinished) this.#req.destroy()
    callback(err)
  }
}

function randomIndex(n: number): number {
  return Math.floor(Math.random() * n)
}
