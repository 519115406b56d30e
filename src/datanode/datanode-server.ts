/**
 * @module
 * The DataNode's HTTP server (node:http):
 * - `PUT /datanode/v1/blocks/{blockId}?genStamp=&targets=&fromBytes=` — receive a block and
 *   forward it down the pipeline at the same time (see block-transfer.ts for the wire format);
 * - `GET /datanode/v1/blocks/{blockId}?offset=&length=` — a verified range of a replica;
 * - `PUT|POST|GET /webhdfs/v1/{path}?op=CREATE|APPEND|OPEN&…` — the WebHDFS data endpoints the
 *   NameNode's 307 redirects point at (webhdfs-handlers.ts).
 *
 * Secure mode (the `tls` option): HTTPS with client certificates required. The WebHDFS endpoints
 * need a user certificate whose CN is the user the NameNode's redirect names; the block endpoints
 * need a service certificate (another DataNode) besides the block access token; `/health` and
 * `/metrics` any valid certificate. Transfers to other DataNodes present this DataNode's service
 * certificate.
 */
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { hostname } from 'node:os'
import type { AddressInfo } from 'node:net'
import pino, { type Logger } from 'pino'
import { OpMetrics } from '../common/op-metrics.js'
import { FsError } from '../common/fs-error.js'
import { ChecksumError, type BlockStore, type ReplicaWriter } from './block-store.js'
import type { ReportedBlock } from '../protocol/datanode-protocol.js'
import {
  BodySource,
  PipelineError,
  openBlockUpload,
  secureTransferAgent,
  transferAgent,
  writeOut,
  type BlockUpload,
  type TransferAck,
} from './block-transfer.js'
import type { BlockTokenChecker } from './block-token-checker.js'
import type { ClientProtocolRpc, DatanodeProtocolRpc } from './namenode-client.js'
import { handleWebHdfs, type DataNodeContext } from './webhdfs-handlers.js'
import type { ServerTls } from '../security/server-tls.js'
import type { CertificateKind } from '../security/subject.js'

export interface DataNodeServerOptions {
  readonly store: BlockStore
  /** Where replicas are reported (`blockReceived`) and bad replicas too (`reportBadBlock`). */
  readonly datanodeProtocol: Pick<DatanodeProtocolRpc, 'blockReceived' | 'reportBadBlock'>
  /** The NameNode(s) for WebHDFS writes and reads done on a client's behalf. */
  readonly clientProtocol: ClientProtocolRpc & { prefer?(url: string | undefined): void }
  /** Checks block access tokens on the block endpoints; without it nothing is checked. */
  readonly blockTokens?: BlockTokenChecker
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number
  /** Host name put in `httpAddress`. Default `host`, or the machine's name when binding to all interfaces. */
  readonly advertisedHost?: string
  /** Pipelines tried per block before a write fails. Default 3. */
  readonly maxBlockAttempts?: number
  /** How often a running write renews its lease, ms. Default 30 000 (HDFS soft limit is 60 s). */
  readonly leaseRenewIntervalMs?: number
  /** Timeout of one DataNode ↔ DataNode transfer without progress, ms. Default 60 000. */
  readonly transferTimeoutMs?: number
  /** `complete` calls before a write gives up waiting for minimum replication. Default 10. */
  readonly completeRetries?: number
  /** Secure mode: HTTPS with this service certificate, client certificates required. */
  readonly tls?: ServerTls
  readonly logger?: Logger
}

/** The DataNode's HTTP server. */
export class DataNodeServer {
  readonly #options: DataNodeServerOptions
  readonly #logger: Logger
  readonly #server: http.Server
  readonly #ctx: DataNodeContext
  readonly #unwatch: (() => void) | undefined
  #httpAddress: string | undefined
  #xceivers = 0
  #writes = 0
  readonly #metrics = new OpMetrics('datanode')

  constructor(options: DataNodeServerOptions) {
    this.#options = Object.freeze({ ...options })
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({
      component: 'datanode.http',
    })
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      this.#xceivers++
      const started = performance.now()
      res.on('close', () => {
        this.#xceivers--
        this.#metrics.observe(opName(req), res.statusCode, performance.now() - started)
      })
      this.#route(req, res).catch((err: unknown) => this.#fail(res, err))
    }
    const tls = options.tls
    if (tls === undefined) {
      this.#server = http.createServer(onRequest)
    } else {
      const server = https.createServer(tls.verifier.serverOptions(tls.identity), onRequest)
      this.#unwatch = tls.verifier.watch(server, tls.identity)
      this.#server = server
    }
    this.#server.keepAliveTimeout = 30_000
    const uuid = options.store.datanodeUuid
    this.#ctx = {
      store: options.store,
      datanodeProtocol: options.datanodeProtocol,
      clientProtocol: options.clientProtocol,
      logger: this.#logger,
      httpAddress: () => this.httpAddress,
      nextClientName: () => `webhdfs-dn-${uuid}-${++this.#writes}`,
      reportBadBlock: (block) => this.#reportBadBlock(block),
      maxBlockAttempts: options.maxBlockAttempts ?? 3,
      leaseRenewIntervalMs: options.leaseRenewIntervalMs ?? 30_000,
      transferTimeoutMs: options.transferTimeoutMs ?? 60_000,
      completeRetries: options.completeRetries ?? 10,
      transferAgent:
        tls === undefined
          ? transferAgent
          : secureTransferAgent(tls.verifier.clientOptions(tls.identity)),
    }
  }

  /** Base URL of this server (after {@link start}). */
  get httpAddress(): string {
    if (this.#httpAddress === undefined) throw new FsError('IO_ERROR', 'DataNode not started')
    return this.#httpAddress
  }

  /** The agent of transfers to other DataNodes (secure mode: presenting the service certificate). */
  get transferAgent(): http.Agent {
    return this.#ctx.transferAgent
  }

  /** Requests in progress (HDFS xceiverCount). */
  get xceivers(): number {
    return this.#xceivers
  }

  /** Binds and returns the base URL, e.g. `http://127.0.0.1:40123`. */
  async start(): Promise<string> {
    const host = this.#options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.#options.port ?? 0, host, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    const { port } = this.#server.address() as AddressInfo
    let advertised = this.#options.advertisedHost ?? host
    if (this.#options.advertisedHost === undefined && (host === '0.0.0.0' || host === '::')) {
      advertised = hostname()
    }
    if (advertised.includes(':')) advertised = `[${advertised}]`
    const scheme = this.#options.tls === undefined ? 'http' : 'https'
    this.#httpAddress = `${scheme}://${advertised}:${port}`
    return this.#httpAddress
  }

  /** Stops accepting connections and closes idle and open ones. */
  async stop(): Promise<void> {
    this.#unwatch?.()
    if (this.#ctx.transferAgent !== transferAgent) this.#ctx.transferAgent.destroy()
    if (!this.#server.listening) return
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeIdleConnections()
    this.#server.closeAllConnections()
    await closed
  }

  /**
   * Secure mode: the peer's certificate must be valid and of `kind` (any kind when undefined).
   * Resolves to the CN of a user certificate.
   * @throws FsError ACCESS_DENIED (403 AccessControlException) with the verifier's reason
   */
  async #authorize(req: IncomingMessage, kind: CertificateKind | undefined) {
    const tls = this.#options.tls
    if (tls === undefined) return undefined
    const verdict = await tls.verifier.verifySocket(req.socket as TLSSocket, { kind })
    if (!verdict.ok) {
      req.resume()
      this.#logger.info({ reason: verdict.reason, url: req.url }, 'request refused')
      throw new FsError('ACCESS_DENIED', verdict.message)
    }
    return verdict.identity.kind === 'user' ? verdict.identity.cn : undefined
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const m = /^\/datanode\/v1\/blocks\/(\d+)$/.exec(url.pathname)
    const webhdfs = url.pathname.startsWith('/webhdfs/v1/') || url.pathname === '/webhdfs/v1'
    const cn = await this.#authorize(req, m !== null ? 'service' : webhdfs ? 'user' : undefined)
    if (m !== null) {
      const blockId = Number(m[1])
      if (req.method === 'PUT') return this.#receiveBlock(req, res, blockId, url.searchParams)
      if (req.method === 'GET') return this.#serveBlock(res, blockId, url.searchParams)
    } else if (webhdfs) {
      return handleWebHdfs(this.#ctx, req, res, url, cn)
    } else if (req.method === 'GET' && url.pathname === '/metrics') {
      return this.#serveMetrics(res)
    } else if (req.method === 'GET' && url.pathname === '/health') {
      return this.#serveHealth(res)
    }
    req.resume()
    throw new FsError('UNSUPPORTED', `No such DataNode endpoint: ${req.method} ${url.pathname}`)
  }

  /** Prometheus text: operations, latency, storage and transfers in progress. */
  async #serveMetrics(res: ServerResponse): Promise<void> {
    const report = await this.#options.store.storageReport()
    const body = this.#metrics.render([
      {
        name: 'hops_datanode_capacity_bytes',
        help: 'Capacity of the data directory volume.',
        value: report.capacityBytes,
      },
      { name: 'hops_datanode_used_bytes', help: 'Bytes of block files.', value: report.usedBytes },
      {
        name: 'hops_datanode_remaining_bytes',
        help: 'Bytes free for blocks.',
        value: report.remainingBytes,
      },
      { name: 'hops_datanode_xceivers', help: 'Transfers in progress.', value: this.#xceivers },
    ])
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
    res.end(body)
  }

  /** Liveness and the storage figures, as JSON. */
  async #serveHealth(res: ServerResponse): Promise<void> {
    const report = await this.#options.store.storageReport()
    const body = JSON.stringify({
      status: 'UP',
      datanodeUuid: this.#options.store.datanodeUuid,
      ...report,
    })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  }

  /** PUT a block: store it locally and forward it to the rest of the pipeline at once. */
  async #receiveBlock(
    req: IncomingMessage,
    res: ServerResponse,
    blockId: number,
    q: URLSearchParams,
  ): Promise<void> {
    const self = this.httpAddress
    const source = new BodySource(req)
    let writer: ReplicaWriter | undefined
    let downstream: BlockUpload | undefined
    try {
      const genStamp = intParam(q, 'genStamp')
      const fromBytes = q.has('fromBytes') ? intParam(q, 'fromBytes') : undefined
      const targets = (q.get('targets') ?? '').split(',').filter((t) => t !== '')
      const token = q.get('token')
      await this.#options.blockTokens?.check(token, blockId, 'WRITE')
      try {
        writer =
          fromBytes === undefined
            ? await this.#options.store.createReplica(blockId, genStamp)
            : await this.#options.store.appendReplica(blockId, genStamp, fromBytes)
      } catch (err) {
        throw new PipelineError(self, `${self}: ${(err as Error).message}`, { cause: err })
      }
      if (targets.length > 0) {
        const len = req.headers['content-length']
        downstream = openBlockUpload(targets, blockId, genStamp, {
          fromBytes,
          contentLength: len === undefined ? undefined : Number(len),
          timeoutMs: this.#ctx.transferTimeoutMs,
          token: token ?? undefined,
          agent: this.#ctx.transferAgent,
        })
      }
      const w = writer
      for (;;) {
        const chunk = await source.read(1 << 20)
        if (chunk === null) break
        await Promise.all([
          w.write(chunk).catch((err: unknown) => {
            throw new PipelineError(self, `${self}: writing blk_${blockId} failed`, { cause: err })
          }),
          downstream?.write(chunk),
        ])
      }
      let ack: TransferAck | undefined
      if (downstream !== undefined) ack = await downstream.end()
      const info = await writer.finalize().catch((err: unknown) => {
        throw new PipelineError(self, `${self}: finalizing blk_${blockId} failed`, { cause: err })
      })
      if (ack !== undefined && (ack.checksum !== info.checksum || ack.numBytes !== info.numBytes)) {
        // The downstream replica differs from ours: blame the downstream node.
        await this.#options.store.deleteReplica(blockId)
        throw new PipelineError(
          targets[0] ?? self,
          `replica of blk_${blockId} on ${targets[0]} differs from ${self}`,
        )
      }
      const reported = { blockId, genStamp: info.genStamp, numBytes: info.numBytes }
      try {
        await this.#options.datanodeProtocol.blockReceived({
          datanodeUuid: this.#options.store.datanodeUuid,
          received: [reported],
          deleted: [],
        })
      } catch (err) {
        throw new PipelineError(self, `${self}: blockReceived failed: ${(err as Error).message}`, {
          cause: err,
        })
      }
      this.#logger.debug({ blockId, genStamp, numBytes: info.numBytes, targets }, 'block received')
      sendJson(res, 200, {
        blockId,
        genStamp: info.genStamp,
        numBytes: info.numBytes,
        checksum: info.checksum,
      } satisfies TransferAck)
    } catch (err) {
      downstream?.abort()
      await writer?.abort().catch(() => undefined)
      source.discard()
      const failedTarget = err instanceof PipelineError ? err.failedTarget : self
      this.#logger.warn({ blockId, failedTarget, err }, 'block receive failed')
      this.#fail(res, err, err instanceof PipelineError ? { failedTarget } : {})
    }
  }

  /** GET a verified range of a replica. */
  async #serveBlock(res: ServerResponse, blockId: number, q: URLSearchParams): Promise<void> {
    await this.#options.blockTokens?.check(q.get('token'), blockId, 'READ')
    const offset = q.has('offset') ? intParam(q, 'offset') : 0
    const replica = this.#options.store.getReplica(blockId)
    if (replica === undefined)
      throw new FsError('FILE_NOT_FOUND', `Replica blk_${blockId} not found`)
    const length = Math.min(
      q.has('length') ? intParam(q, 'length') : Number.MAX_SAFE_INTEGER,
      Math.max(0, replica.numBytes - offset),
    )
    const it = this.#options.store.readReplica(blockId, offset, length)
    let headersSent = false
    try {
      for await (const chunk of it) {
        if (!headersSent) {
          res.writeHead(200, {
            'content-type': 'application/octet-stream',
            'content-length': length,
          })
          headersSent = true
        }
        await writeOut(res, chunk)
      }
      if (!headersSent) res.writeHead(200, { 'content-length': 0 })
      res.end()
    } catch (err) {
      if (err instanceof ChecksumError) this.#reportBadBlock(err.block)
      if (!headersSent) throw err
      res.destroy()
    }
  }

  #reportBadBlock(block: ReportedBlock): void {
    this.#logger.warn({ block }, 'bad replica, reporting it')
    this.#options.datanodeProtocol
      .reportBadBlock({ datanodeUuid: this.#options.store.datanodeUuid, block })
      .catch((err: unknown) => this.#logger.warn({ err, block }, 'reportBadBlock failed'))
  }

  #fail(res: ServerResponse, err: unknown, extra: Record<string, unknown> = {}): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    const fsErr =
      err instanceof FsError
        ? err
        : new FsError('INTERNAL', (err as Error | undefined)?.message ?? 'internal error')
    if (!(err instanceof FsError)) this.#logger.error({ err }, 'unexpected error')
    const status = err instanceof PipelineError ? 500 : fsErr.httpStatus
    sendJson(res, status, { RemoteException: toRemoteExceptionBody(fsErr), ...extra })
  }
}

/** The `RemoteException` object of a WebHDFS error body. */
export function toRemoteExceptionBody(err: FsError): {
  exception: string
  javaClassName: string
  message: string
} {
  const javaClassName = err.javaClassName
  return {
    exception: javaClassName.slice(javaClassName.lastIndexOf('.') + 1),
    javaClassName,
    message: err.message,
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

/** A non-negative integer query parameter. @throws FsError INVALID_ARGUMENT */
export function intParam(q: URLSearchParams, name: string): number {
  const raw = q.get(name)
  const n = raw === null || raw === '' || !/^\d+$/.test(raw) ? NaN : Number(raw)
  if (!Number.isSafeInteger(n)) {
    throw new FsError('INVALID_ARGUMENT', `Invalid value for parameter "${name}": ${raw}`)
  }
  return n
}

/** The operation name a request is counted under (`block.PUT`, `webhdfs.OPEN`, …). */
function opName(req: IncomingMessage): string {
  const url = req.url ?? '/'
  if (url.startsWith('/datanode/v1/blocks/')) return `block.${req.method ?? 'GET'}`
  if (url.startsWith('/webhdfs/v1')) {
    const op = /[?&]op=([A-Za-z_]+)/.exec(url)?.[1]?.toUpperCase() ?? 'UNKNOWN'
    return `webhdfs.${op}`
  }
  return url.split('?')[0] ?? '/'
}
