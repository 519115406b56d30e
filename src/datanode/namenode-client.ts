/**
 * @module
 * The DataNode's HTTP JSON client for the NameNode's internal endpoints:
 * `POST {nn}/internal/v1/datanode/{method}` (DataNode protocol) and
 * `POST {nn}/internal/v1/client/{method}` (client protocol, used when the DataNode writes or
 * reads a file for a WebHDFS client). Fails over across several NameNode URLs on connection
 * errors and on `StandbyException`. Errors come back as {@link RemoteFsError}.
 *
 * NameNodes come and go (online scale-out): {@link NameNodeClient.refresh} asks a known NameNode
 * for the live ones (`GET /namenodes`) and uses the configured URLs plus those; the DataNode
 * calls it periodically, and a call that found no NameNode willing to answer refreshes once and
 * tries the new ones before giving up. A request's `namenoderpcaddress` never adds a NameNode (a
 * client could name any server, and the NameNodes a DataNode obeys delete blocks): it only picks
 * which known one to try first ({@link NameNodeClient.prefer}, a hint shared by concurrent calls).
 *
 * Mutating client calls are exactly-once (DESIGN §4): each carries this client's random
 * `clientId` and a `callId` that stays the same across its failover attempts, so a NameNode that
 * committed the call and died before answering does not make the retry fail (e.g. `create`
 * without overwrite answering FileAlreadyExists for the file its own first attempt made).
 *
 * Transport: the global `fetch` (undici, keep-alive) in insecure mode; in secure mode (the `tls`
 * option) `node:https` with a keep-alive Agent presenting the DataNode's service certificate and
 * trusting only the installation's root CA. (Global `fetch` cannot present a client certificate
 * without undici's own `Agent` as a `dispatcher`, i.e. a new dependency; `node:https` needs none.)
 */
import { randomUUID } from 'node:crypto'
import https from 'node:https'
import type { ConnectionOptions } from 'node:tls'
import type { Logger } from 'pino'
import { FS_ERRORS, FsError, type FsErrorCode } from '../common/fs-error.js'
import type {
  AbandonBlockRequest,
  AddBlockRequest,
  AppendFileRequest,
  AppendFileResponse,
  CompleteFileRequest,
  CompleteFileResponse,
  CompleteInlineRequest,
  CreateFileRequest,
  CreateInlineRequest,
  GetBlockLocationsRequest,
  LocatedBlock,
  LocatedBlocks,
  RenewLeaseRequest,
  SmallFileLimitRequest,
  SmallFileLimitResponse,
} from '../protocol/client-protocol.js'
import type {
  BadBlockRequest,
  BlockKeysResponse,
  BlockReceivedRequest,
  BlockReportBucketsRequest,
  BlockReportHashesRequest,
  BlockReportHashesResponse,
  DatanodeRegistration,
  HeartbeatRequest,
  HeartbeatResponse,
} from '../protocol/datanode-protocol.js'

/** The part of a file's status the DataNode reads from `create` / `completeInline` replies. */
export interface CreatedFile {
  readonly length?: number
  readonly blockSize?: number
  readonly replication?: number
}

/** What a DataNode says to the NameNode (HDFS `DatanodeProtocol`). */
export interface DatanodeProtocolRpc {
  register(req: DatanodeRegistration): Promise<BlockKeysResponse>
  /** The block token keys in force (absent: the cluster does not use tokens). */
  blockKeys(req: { readonly datanodeUuid: string }): Promise<BlockKeysResponse>
  sendHeartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse>
  blockReceived(req: BlockReceivedRequest): Promise<void>
  blockReportHashes(req: BlockReportHashesRequest): Promise<BlockReportHashesResponse>
  blockReportBuckets(req: BlockReportBucketsRequest): Promise<void>
  reportBadBlock(req: BadBlockRequest): Promise<void>
}

/** What a writer or reader asks the NameNode (HDFS `ClientProtocol`, see client-protocol.ts). */
export interface ClientProtocolRpc {
  create(req: CreateFileRequest): Promise<CreatedFile>
  createInline(req: CreateInlineRequest): Promise<CreatedFile>
  addBlock(req: AddBlockRequest): Promise<LocatedBlock>
  complete(req: CompleteFileRequest): Promise<CompleteFileResponse>
  abandonBlock(req: AbandonBlockRequest): Promise<void>
  getBlockLocations(req: GetBlockLocationsRequest): Promise<LocatedBlocks>
  append(req: AppendFileRequest): Promise<AppendFileResponse>
  completeInline(req: CompleteInlineRequest): Promise<CreatedFile>
  smallFileLimit(req: SmallFileLimitRequest): Promise<SmallFileLimitResponse>
  renewLease(req: RenewLeaseRequest): Promise<void>
}

/**
 * An error a NameNode answered with (a WebHDFS `RemoteException`). `code` is mapped back from
 * `javaClassName` (unknown classes → IO_ERROR); the original names are kept so a DataNode can
 * relay the error to its own client unchanged.
 */
export class RemoteFsError extends FsError {
  constructor(
    code: FsErrorCode,
    message: string,
    readonly remoteException: string,
    readonly remoteJavaClassName: string,
    readonly httpStatusCode: number,
  ) {
    super(code, message)
  }

  override get javaClassName(): string {
    return this.remoteJavaClassName
  }

  override get httpStatus(): number {
    return this.httpStatusCode
  }
}

const STANDBY = 'org.apache.hadoop.ipc.StandbyException'

const CODE_BY_CLASS = new Map<string, FsErrorCode>()
for (const [code, { javaClassName }] of Object.entries(FS_ERRORS)) {
  // The first code listed for a class wins (FILE_NOT_FOUND before IS_A_DIRECTORY).
  if (!CODE_BY_CLASS.has(javaClassName)) CODE_BY_CLASS.set(javaClassName, code as FsErrorCode)
}

/** Turns a `RemoteException` reply body into a {@link RemoteFsError}. */
export function fromRemoteException(status: number, body: string): RemoteFsError {
  try {
    const parsed = JSON.parse(body) as {
      RemoteException?: { exception?: unknown; javaClassName?: unknown; message?: unknown }
    }
    const re = parsed.RemoteException
    if (re !== undefined && typeof re.message === 'string') {
      const exception = typeof re.exception === 'string' ? re.exception : 'IOException'
      const javaClassName =
        typeof re.javaClassName === 'string' ? re.javaClassName : `java.io.${exception}`
      const code = CODE_BY_CLASS.get(javaClassName) ?? 'IO_ERROR'
      return new RemoteFsError(code, re.message, exception, javaClassName, status)
    }
  } catch {
    // not JSON: fall through
  }
  const message = `NameNode answered HTTP ${status}: ${body.slice(0, 200)}`
  return new RemoteFsError('IO_ERROR', message, 'IOException', 'java.io.IOException', 403)
}

export interface NameNodeClientOptions {
  /** Per-request timeout in ms. Default 30 000. */
  readonly timeoutMs?: number
  /** Rounds over all NameNode URLs before giving up on connection errors. Default 2. */
  readonly failoverRounds?: number
  /** Pause between rounds in ms. Default 200. */
  readonly failoverPauseMs?: number
  /** Timeout of one `GET /namenodes` of {@link NameNodeClient.refresh}, ms. Default 2000. */
  readonly refreshTimeoutMs?: number
  /**
   * Secure mode: TLS client options (key, certificate, trusted CA) for HTTPS NameNode URLs, e.g.
   * `verifier.clientOptions(serviceIdentity)`. Default: the global `fetch`, no client certificate.
   */
  readonly tls?: ConnectionOptions
  readonly logger?: Logger
}

/** A NameNode's answer: status and body text. */
interface Answer {
  readonly status: number
  readonly text: string
}

/**
 * JSON client of one or more NameNodes (stateless, all equal). Uses the global `fetch`
 * (undici, keep-alive). Remembers the NameNode that answered last and starts there.
 */
export class NameNodeClient implements DatanodeProtocolRpc, ClientProtocolRpc {
  readonly #configured: readonly string[]
  /** The configured URLs, then the learnt ones (replaced, never mutated). */
  #urls: readonly string[]
  readonly #options: Required<Omit<NameNodeClientOptions, 'logger' | 'tls'>>
  readonly #logger: Logger | undefined
  readonly #agent: https.Agent | undefined
  readonly #clientId = `dn-${randomUUID()}`
  #nextCallId = 0
  #active = 0

  /** @throws TypeError when `urls` is empty or holds something other than http(s) URLs */
  constructor(urls: readonly string[], options: NameNodeClientOptions = {}) {
    if (urls.length === 0) throw new TypeError('NameNodeClient needs at least one NameNode URL')
    this.#configured = Object.freeze(urls.map(normalizeBaseUrl))
    this.#urls = this.#configured
    this.#options = Object.freeze({
      timeoutMs: options.timeoutMs ?? 30_000,
      failoverRounds: options.failoverRounds ?? 2,
      failoverPauseMs: options.failoverPauseMs ?? 200,
      refreshTimeoutMs: options.refreshTimeoutMs ?? 2000,
    })
    this.#logger = options.logger
    if (options.tls !== undefined) {
      this.#agent = new https.Agent({ ...options.tls, keepAlive: true, maxSockets: 64 })
    }
  }

  /** Closes idle kept-alive connections (secure mode; `fetch` manages its own). */
  close(): void {
    this.#agent?.destroy()
  }

  /**
   * One HTTP exchange: `fetch` without TLS options, else `node:https` with the client
   * certificate. Rejects on connection errors and timeouts (the callers fail over).
   */
  async #send(url: string, method: 'GET' | 'POST', body: string | undefined, timeoutMs: number) {
    const agent = this.#agent
    if (agent === undefined) {
      const res = await fetch(url, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
        signal: AbortSignal.timeout(timeoutMs),
      })
      return { status: res.status, text: await res.text() }
    }
    return new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string | number> = {}
      if (body !== undefined) {
        headers['content-type'] = 'application/json'
        headers['content-length'] = Buffer.byteLength(body)
      }
      const req = https.request(url, { method, headers, agent }, (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => {
          clearTimeout(timer)
          resolve({ status: res.statusCode ?? 500, text: Buffer.concat(parts).toString('utf8') })
        })
        res.on('error', reject)
      })
      const timer = setTimeout(() => {
        req.destroy(new FsError('IO_ERROR', `${url}: no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      req.on('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      req.end(body)
    })
  }

  /**
   * Asks the known NameNodes in turn for the live NameNodes (`GET /namenodes`) and uses the
   * configured URLs plus the first answer. Never throws; resolves to the URLs in use.
   */
  async refresh(): Promise<readonly string[]> {
    for (const base of this.#urls) {
      try {
        const res = await this.#send(
          `${base}/namenodes`,
          'GET',
          undefined,
          this.#options.refreshTimeoutMs,
        )
        if (res.status !== 200) continue
        const { namenodes } = JSON.parse(res.text) as { namenodes?: { url?: unknown }[] }
        if (!Array.isArray(namenodes)) break
        const live = namenodes.flatMap((n) => {
          const u = typeof n.url === 'string' ? tryNormalize(n.url) : undefined
          return u === undefined ? [] : [u]
        })
        if (live.length > 0) this.#use(live)
        break
      } catch {
        // unreachable or not a Hops NameNode: ask the next one
      }
    }
    return this.#urls
  }

  /** Switches to the configured URLs plus `learnt`, keeping the active NameNode active. */
  #use(learnt: readonly string[]): void {
    const next = [...this.#configured]
    for (const u of learnt) if (!next.includes(u)) next.push(u)
    const current = this.#urls
    if (next.length === current.length && next.every((u, i) => u === current[i])) return
    this.#logger?.info({ namenodes: next }, 'NameNode list changed')
    this.#active = Math.max(0, next.indexOf(current[this.#active] ?? ''))
    this.#urls = Object.freeze(next)
  }

  /** The NameNode base URLs, normalized (no trailing slash). */
  get urls(): readonly string[] {
    return this.#urls
  }

  /** Makes `url` (when it is one of ours) the first to try, e.g. from `namenoderpcaddress`. */
  prefer(url: string | undefined): void {
    if (url === undefined) return
    try {
      const i = this.#urls.indexOf(normalizeBaseUrl(url))
      if (i >= 0) this.#active = i
    } catch {
      // not a URL: ignore
    }
  }

  /**
   * POSTs `body` to `{nn}/internal/v1/{family}/{method}` and parses the JSON reply.
   * @throws RemoteFsError the NameNode's error; FsError IO_ERROR when no NameNode answered
   */
  async call<T>(family: 'datanode' | 'client', method: string, body: unknown): Promise<T> {
    const payload = JSON.stringify(body)
    const tried = this.#urls
    const outcome = await this.#callOnce<T>(tried, family, method, payload)
    if (outcome.answered) return outcome.value
    // No NameNode would answer: the cluster may have moved on to NameNodes we do not know yet.
    const now = await this.refresh()
    const fresh = now.filter((u) => !tried.includes(u))
    if (fresh.length > 0) {
      const again = await this.#callOnce<T>(fresh, family, method, payload)
      if (again.answered) return again.value
    }
    const lastErr = outcome.lastErr
    if (lastErr instanceof FsError) throw lastErr
    throw new FsError('IO_ERROR', `No NameNode reachable (${now.join(', ')})`, {
      cause: lastErr,
    })
  }

  /**
   * Tries `urls` (starting at the active NameNode when it is among them) for
   * `failoverRounds` rounds. Connection errors and `StandbyException` move on; any other
   * NameNode error is thrown.
   */
  async #callOnce<T>(
    urls: readonly string[],
    family: string,
    method: string,
    payload: string,
  ): Promise<{ answered: true; value: T } | { answered: false; lastErr: unknown }> {
    let lastErr: unknown
    const { failoverRounds, failoverPauseMs, timeoutMs } = this.#options
    const start = Math.max(0, urls.indexOf(this.#urls[this.#active] ?? ''))
    for (let attempt = 0; attempt < failoverRounds * urls.length; attempt++) {
      if (attempt > 0 && attempt % urls.length === 0) await sleep(failoverPauseMs)
      const base = urls[(start + attempt) % urls.length]!
      const url = `${base}/internal/v1/${family}/${method}`
      let res: Answer
      try {
        res = await this.#send(url, 'POST', payload, timeoutMs)
      } catch (err) {
        lastErr = err
        this.#logger?.debug({ url, err }, 'namenode unreachable, failing over')
        continue
      }
      const text = res.text
      if (res.status >= 200 && res.status < 300) {
        this.#activate(base)
        return { answered: true, value: (text === '' ? {} : JSON.parse(text)) as T }
      }
      const err = fromRemoteException(res.status, text)
      if (err.remoteJavaClassName === STANDBY) {
        lastErr = err
        this.#logger?.debug({ url }, 'namenode is standby, failing over')
        continue
      }
      this.#activate(base)
      throw err
    }
    return { answered: false, lastErr }
  }

  #activate(base: string): void {
    const i = this.#urls.indexOf(base)
    if (i >= 0) this.#active = i
  }

  /** A client-protocol mutation, sent with this client's exactly-once ids. */
  #mutation<T>(method: string, req: object): Promise<T> {
    const callId = this.#nextCallId++
    return this.call<T>('client', method, { ...req, clientId: this.#clientId, callId })
  }

  register(req: DatanodeRegistration): Promise<BlockKeysResponse> {
    return this.call('datanode', 'register', req)
  }
  blockKeys(req: { readonly datanodeUuid: string }): Promise<BlockKeysResponse> {
    return this.call('datanode', 'blockKeys', req)
  }
  sendHeartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.call('datanode', 'heartbeat', req)
  }
  blockReceived(req: BlockReceivedRequest): Promise<void> {
    return this.call<unknown>('datanode', 'blockReceived', req).then(() => undefined)
  }
  blockReportHashes(req: BlockReportHashesRequest): Promise<BlockReportHashesResponse> {
    return this.call('datanode', 'blockReportHashes', req)
  }
  blockReportBuckets(req: BlockReportBucketsRequest): Promise<void> {
    return this.call<unknown>('datanode', 'blockReportBuckets', req).then(() => undefined)
  }
  reportBadBlock(req: BadBlockRequest): Promise<void> {
    return this.call<unknown>('datanode', 'reportBadBlock', req).then(() => undefined)
  }

  create(req: CreateFileRequest): Promise<CreatedFile> {
    return this.#mutation('create', req)
  }
  createInline(req: CreateInlineRequest): Promise<CreatedFile> {
    return this.#mutation('createInline', req)
  }
  addBlock(req: AddBlockRequest): Promise<LocatedBlock> {
    return this.#mutation('addBlock', req)
  }
  complete(req: CompleteFileRequest): Promise<CompleteFileResponse> {
    return this.#mutation('complete', req)
  }
  abandonBlock(req: AbandonBlockRequest): Promise<void> {
    return this.#mutation<unknown>('abandonBlock', req).then(() => undefined)
  }
  getBlockLocations(req: GetBlockLocationsRequest): Promise<LocatedBlocks> {
    return this.call('client', 'getBlockLocations', req)
  }
  append(req: AppendFileRequest): Promise<AppendFileResponse> {
    return this.#mutation('append', req)
  }
  completeInline(req: CompleteInlineRequest): Promise<CreatedFile> {
    return this.#mutation('completeInline', req)
  }
  smallFileLimit(req: SmallFileLimitRequest): Promise<SmallFileLimitResponse> {
    return this.call('client', 'smallFileLimit', req)
  }
  renewLease(req: RenewLeaseRequest): Promise<void> {
    return this.call<unknown>('client', 'renewLease', req).then(() => undefined)
  }
}

/** {@link normalizeBaseUrl}, or undefined for anything but an http(s) URL. */
function tryNormalize(url: string): string | undefined {
  try {
    return normalizeBaseUrl(url)
  } catch {
    return undefined
  }
}

function normalizeBaseUrl(url: string): string {
  const u = new URL(url)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new TypeError(`NameNode URL must be http(s): ${url}`)
  }
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
