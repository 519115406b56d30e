/**
 * @module
 * The NameNode HTTP server (`node:http`, no framework: the metadata ops are the hot path). It
 * serves WebHDFS at `/webhdfs/v1/{path}`, the DataNode and writer protocols at
 * `/internal/v1/{datanode|client}/{method}`, Prometheus metrics at `/metrics`, a health check at
 * `/health` and a cluster overview at `/`. It is stateless: every decision is made by the metadata
 * engine in a database transaction, so any number of NameNodes may serve one namespace.
 *
 * Leader duties (the re-replication check and `engine.housekeeping()`) run only while the
 * `leader` option says this NameNode leads (see `leader-election.ts`); without it, it always does
 * (one NameNode). A draining NameNode ({@link NameNodeServer.drain}, `PUT /admin/drain` from
 * loopback) answers every WebHDFS and internal request with 403 `StandbyException`, so clients and
 * DataNodes move on to another NameNode. `GET /namenodes` lists the live NameNodes (clients and
 * DataNodes discover NameNodes added later from it); `PUT /admin/decommission?datanode=UUID`
 * (loopback) starts decommissioning a DataNode.
 *
 * Insecure mode (the default): the caller is whoever `user.name` says (Hadoop's simple auth),
 * over plain HTTP. Secure mode (the `tls` option): HTTPS only, a client certificate of this
 * installation's CA required in the handshake, and each request authorised by its certificate
 * ({@link NameNodeServer} `#authorize`): WebHDFS needs a user certificate and runs as its CN
 * (`project__user`; a `user.name` or `doas` naming anyone else is refused), the internal
 * endpoints need a service certificate (a DataNode), the rest any valid certificate.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { FsError, isFsError } from '../common/fs-error.js'
import type { ContentSummary, MetaEngine, ReplicationReport } from '../meta/meta-engine.js'
import { BlockPlacement, DatanodeCache } from './block-placement.js'
import { hasBody, readJsonBody, sendEmpty, sendJson, sendText } from './http-util.js'
import { CLIENT_METHODS, DATANODE_METHODS } from './internal-routes.js'
import type { InternalHandler, InternalServices } from './internal-routes.js'
import { OpMetrics } from '../common/op-metrics.js'
import type { GaugeSample } from '../common/op-metrics.js'
import { RemoteError, remoteExceptionBody, toRemoteException } from './remote-exception.js'
import { renderStatusPage } from './status-page.js'
import { isRedirectWithBody, routeWebHdfs } from './webhdfs/webhdfs-router.js'
import type { LeaderStatus } from './leader-election.js'
import type { WebHdfsDefaults, WebHdfsReply, WebHdfsServices } from './webhdfs/webhdfs-context.js'
import type { ServerTls } from '../security/server-tls.js'
import { ACCESS_CONTROL_EXCEPTION } from '../security/server-tls.js'
import type { CertificateKind } from '../security/subject.js'

/** Cluster settings a `SqlMetaEngine` exposes (optional on other engines). */
interface EngineSettingsView {
  readonly superuser: string
  readonly defaultReplication: number
  readonly defaultBlockSize: number
  readonly safeMode?: boolean
}

/** The metadata engine, plus what `SqlMetaEngine` has beyond the interface (used when present). */
export type NameNodeEngine = MetaEngine & {
  readonly settings?: EngineSettingsView
  housekeeping?(): Promise<void>
}

/** Options of {@link NameNodeServer}. */
export interface NameNodeServerOptions {
  readonly engine: NameNodeEngine
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string
  /** Port; 0 picks a free one. Default 9870 (Hadoop 3's NameNode HTTP port). */
  readonly port?: number
  /** Base URL put in DataNode redirects and `namenoderpcaddress`; default `http://host:port` as bound. */
  readonly publicUrl?: string
  /** Default: silent. */
  readonly logger?: Logger
  /** `engine.checkReplication()` this often, in ms; 0 = never. Default 3000. */
  readonly replicationCheckIntervalMs?: number
  /** `engine.housekeeping()` (where the engine has it) this often, in ms; 0 = never. Default 10 000. */
  readonly housekeepingIntervalMs?: number
  /** `hadoop.http.staticuser.user`: the user of requests without `user.name`. Default `dr.who`. */
  readonly staticUser?: string
  /** Users besides the superuser allowed to impersonate others with `doas`. Default none. */
  readonly proxyUsers?: readonly string[]
  /** `dfs.ls.limit`: LISTSTATUS_BATCH page size. Default 1000. */
  readonly lsLimit?: number
  /** How long the DataNode list is cached for placement, in ms. Default 1000. */
  readonly datanodeCacheTtlMs?: number
  /** Largest internal-endpoint request body, in bytes. Default 64 MiB (full block reports). */
  readonly maxInternalBodyBytes?: number
  /** The leader election; leader duties run only while it says so. Default: always leader. */
  readonly leader?: LeaderStatus
  /** The live NameNodes, for `GET /namenodes`. Default: this one alone. */
  readonly liveNamenodes?: () => Promise<readonly LiveNamenode[]>
  /** How long `/health` waits for the database before answering 503 DOWN, ms. Default 2000. */
  readonly healthTimeoutMs?: number
  /**
   * Secure mode: serve HTTPS with this service certificate and require client certificates
   * checked by the verifier (see the module comment). Default: insecure plain HTTP.
   */
  readonly tls?: ServerTls
}

/** One entry of `GET /namenodes`. */
export interface LiveNamenode {
  readonly id: number
  /** Base URL (`http://host:port`, `https://` in secure mode). */
  readonly url: string
}

const STANDBY_EXCEPTION = 'org.apache.hadoop.ipc.StandbyException'
const ALWAYS_LEADER: LeaderStatus = Object.freeze({ isLeader: true, leaderId: undefined })

/** A request body larger than this is not drained after an early redirect: the socket closes. */
const MAX_DRAIN_BYTES = 1 << 20

const WEBHDFS_PREFIX = '/webhdfs/v1'

/** The NameNode HTTP server. */
export class NameNodeServer {
  readonly #options: NameNodeServerOptions
  readonly #engine: NameNodeEngine
  readonly #log: Logger
  readonly #audit: Logger
  readonly #server: Server
  readonly #tls: ServerTls | undefined
  #unwatch: (() => void) | undefined
  readonly #metrics = new OpMetrics('namenode')
  readonly #datanodes: DatanodeCache
  readonly #placement: BlockPlacement
  readonly #load = new Map<string, number>()
  readonly #webhdfs: WebHdfsServices
  readonly #internal: InternalServices
  readonly #timers: NodeJS.Timeout[] = []
  readonly #loggedUnsupported = new Set<string>()
  readonly #leader: LeaderStatus
  #draining = false
  #baseUrl = ''
  #startedAtMs = 0
  #lastReplication: ReplicationReport | undefined
  #namespaceCache: { at: number; value: ContentSummary | undefined } | undefined

  constructor(options: NameNodeServerOptions) {
    if (typeof options?.engine !== 'object' || options.engine === null) {
      throw new TypeError('NameNodeServer needs an engine')
    }
    const lsLimit = options.lsLimit ?? 1000
    if (!Number.isInteger(lsLimit) || lsLimit < 1 || lsLimit > 100_000) {
      throw new TypeError(`lsLimit must be an integer in 1..100000, got ${lsLimit}`)
    }
    this.#options = Object.freeze({ ...options })
    this.#engine = options.engine
    this.#leader = options.leader ?? ALWAYS_LEADER
    const root = options.logger ?? pino({ level: 'silent' })
    this.#log = root.child({ component: 'namenode' })
    this.#audit = root.child({ component: 'audit' })
    this.#datanodes = new DatanodeCache(() => this.#engine.listDatanodes(), {
      ttlMs: options.datanodeCacheTtlMs ?? 1000,
    })
    this.#placement = new BlockPlacement(this.#datanodes, {
      load: (uuid) => this.#load.get(uuid) ?? 0,
    })
    this.#webhdfs = {
      engine: this.#engine,
      placement: this.#placement,
      datanodes: this.#datanodes,
      defaults: () => this.#defaults(),
      staticUser: options.staticUser ?? 'dr.who',
      proxyUsers: new Set(options.proxyUsers ?? []),
      lsLimit,
      baseUrl: () => this.#baseUrl,
      audit: (entry) => {
        if (this.#audit.isLevelEnabled('info')) this.#audit.info(entry, 'audit')
      },
    }
    this.#internal = {
      engine: this.#engine,
      placement: this.#placement,
      datanodes: this.#datanodes,
      recordLoad: (uuid, xceivers) => this.#load.set(uuid, xceivers),
    }
    this.#tls = options.tls
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.#onRequest(req, res)
    if (options.tls === undefined) {
      this.#server = createServer({ keepAliveTimeout: 30_000 }, onRequest)
    } else {
      const { verifier, identity } = options.tls
      const server = createHttpsServer(
        { ...verifier.serverOptions(identity), keepAliveTimeout: 30_000 },
        onRequest,
      )
      this.#unwatch = verifier.watch(server, identity)
      this.#server = server
    }
    // Answer CREATE/APPEND before the body is sent: no `100 Continue`, the 307 straight away
    // (curl -T would otherwise upload the whole file to the NameNode first).
    this.#server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      const { pathname, query } = splitUrl(req.url ?? '/')
      if (!(isWebHdfs(pathname) && isRedirectWithBody(req.method ?? '', query))) {
        res.writeContinue()
      }
      this.#onRequest(req, res)
    })
  }

  /** The base URL once started (`http://host:port`), else ''. */
  get baseUrl(): string {
    return this.#baseUrl
  }

  /** The metrics registry (for tests and embedding). */
  get metrics(): OpMetrics {
    return this.#metrics
  }

  /** Whether this NameNode runs the leader duties now. */
  get isLeader(): boolean {
    return this.#leader.isLeader
  }

  /** Whether this NameNode is draining (answers StandbyException). */
  get draining(): boolean {
    return this.#draining
  }

  /** Starts answering every WebHDFS and internal request with 403 StandbyException. */
  drain(): void {
    if (!this.#draining) this.#log.warn('draining: answering StandbyException to every request')
    this.#draining = true
  }

  /** Ends draining: requests are served again. */
  resume(): void {
    if (this.#draining) this.#log.info('drain ended: serving requests again')
    this.#draining = false
  }

  /** Binds and starts serving; returns the base URL. Also starts the periodic checks. */
  async start(): Promise<string> {
    const host = this.#options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.#options.port ?? 9870, host, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    const addr = this.#server.address() as AddressInfo
    const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
    const scheme = this.#tls === undefined ? 'http' : 'https'
    this.#baseUrl = (this.#options.publicUrl ?? `${scheme}://${urlHost}:${addr.port}`).replace(
      /\/$/,
      '',
    )
    this.#startedAtMs = Date.now()
    if (this.#tls === undefined) {
      this.#log.warn(
        { url: this.#baseUrl },
        'NameNode running in INSECURE mode: WebHDFS trusts the user.name parameter and serves plain HTTP. Do not expose it beyond a trusted network.',
      )
    } else {
      this.#log.info({ url: this.#baseUrl }, 'secure mode: HTTPS, client certificates required')
    }
    this.#log.info({ url: this.#baseUrl, namenodeId: this.#engine.namenodeId }, 'NameNode started')
    // Leader duties: skipped while another NameNode leads.
    this.#every(this.#options.replicationCheckIntervalMs ?? 3000, 'checkReplication', async () => {
      if (this.#leader.isLeader) this.#lastReplication = await this.#engine.checkReplication()
    })
    const housekeeping = this.#engine.housekeeping?.bind(this.#engine)
    if (housekeeping !== undefined) {
      this.#every(this.#options.housekeepingIntervalMs ?? 10_000, 'housekeeping', async () => {
        if (this.#leader.isLeader) await housekeeping()
      })
    }
    return this.#baseUrl
  }

  /** Stops the periodic checks and the server (open connections are closed). */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t)
    this.#timers.length = 0
    this.#unwatch?.()
    this.#unwatch = undefined
    if (!this.#server.listening) return
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    await closed
  }

  /** Runs the replication check once now (tests, admin) and remembers its report. */
  async checkReplicationNow(): Promise<ReplicationReport> {
    this.#lastReplication = await this.#engine.checkReplication()
    return this.#lastReplication
  }

  #every(ms: number, name: string, task: () => Promise<void>): void {
    if (ms <= 0) return
    let running = false
    let failing = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      task()
        .then(() => {
          if (failing) this.#log.info({ task: name }, 'periodic task works again')
          failing = false
        })
        .catch((err: unknown) => {
          // Logged once while the engine lacks the method; a failure once per run of failures
          // (a database outage fails every tick until it ends).
          if (isFsError(err, 'UNSUPPORTED')) {
            if (!this.#loggedUnsupported.has(name)) {
              this.#loggedUnsupported.add(name)
              this.#log.debug({ task: name }, 'periodic task not supported by the engine yet')
            }
          } else if (!failing) {
            failing = true
            this.#log.error({ err, task: name }, 'periodic task failed')
          } else {
            this.#log.debug({ err, task: name }, 'periodic task failed again')
          }
        })
        .finally(() => {
          running = false
        })
    }, ms)
    timer.unref()
    this.#timers.push(timer)
  }

  #defaults(): WebHdfsDefaults {
    const s = this.#engine.settings
    return {
      superuser: s?.superuser ?? 'hdfs',
      replication: s?.defaultReplication ?? 3,
      blockSize: s?.defaultBlockSize ?? 128 * 1024 * 1024,
    }
  }

  // ---- dispatch ------------------------------------------------------------------------------------

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const { pathname, query } = splitUrl(req.url ?? '/')
    if (this.#tls === undefined) {
      this.#dispatch(req, res, pathname, query, undefined)
      return
    }
    void this.#authorize(req, pathname).then(
      (cn) => this.#dispatch(req, res, pathname, query, cn),
      (err: unknown) => {
        const e = toRemoteException(err, this.#log)
        this.#closeIfBodyPending(req, res)
        sendJson(res, e.status, e.body)
        this.#metrics.observe('refused', e.status, 0)
      },
    )
  }

  /**
   * Secure mode: checks the peer certificate of the request's connection for the endpoint.
   * WebHDFS needs a user certificate and resolves to its CN; `/internal/v1/*` needs a service
   * certificate (a DataNode, acting for the user its request names, whom it authenticated
   * itself); everything else any valid certificate. Revocation is checked in the database on the
   * connection's first request (the verifier).
   * @throws RemoteError 403 AccessControlException with the verifier's reason
   */
  async #authorize(req: IncomingMessage, pathname: string): Promise<string | undefined> {
    const tls = this.#tls!
    const kind: CertificateKind | undefined = isWebHdfs(pathname)
      ? 'user'
      : pathname.startsWith('/internal/v1/')
        ? 'service'
        : undefined
    const verdict = await tls.verifier.verifySocket(req.socket as TLSSocket, { kind })
    if (!verdict.ok) {
      this.#log.info({ reason: verdict.reason, path: pathname }, 'request refused')
      throw new RemoteError(ACCESS_CONTROL_EXCEPTION, 403, verdict.message)
    }
    return verdict.identity.kind === 'user' ? verdict.identity.cn : undefined
  }

  #dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    query: string,
    authenticatedUser: string | undefined,
  ): void {
    if (pathname === '/admin/drain') {
      this.#serveDrain(req, res)
    } else if (pathname === '/admin/decommission') {
      void this.#serveDecommission(req, res, query)
    } else if (this.#draining && (isWebHdfs(pathname) || pathname.startsWith('/internal/v1/'))) {
      this.#closeIfBodyPending(req, res)
      sendJson(
        res,
        403,
        remoteExceptionBody(
          STANDBY_EXCEPTION,
          `NameNode ${this.#engine.namenodeId} is draining: use another NameNode`,
        ),
      )
      this.#metrics.observe('standby', 403, 0)
    } else if (isWebHdfs(pathname)) {
      void this.#serveWebHdfs(
        req,
        res,
        pathname.slice(WEBHDFS_PREFIX.length),
        query,
        authenticatedUser,
      )
    } else if (pathname.startsWith('/internal/v1/')) {
      void this.#serveInternal(req, res, pathname)
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      void this.#serveAdmin(req, res, pathname)
    } else {
      sendJson(
        res,
        404,
        remoteExceptionBody('java.io.FileNotFoundException', `No such endpoint: ${pathname}`),
      )
    }
  }

  async #serveWebHdfs(
    req: IncomingMessage,
    res: ServerResponse,
    pathSuffix: string,
    query: string,
    authenticatedUser: string | undefined,
  ): Promise<void> {
    const started = performance.now()
    const method = req.method ?? 'GET'
    let op = 'UNKNOWN'
    let status: number
    try {
      const routed = routeWebHdfs(
        this.#webhdfs,
        method,
        pathSuffix,
        query,
        req.socket.remoteAddress ?? '',
        authenticatedUser,
      )
      op = routed.op
      const reply = await routed.run()
      status = reply.status
      this.#writeReply(req, res, reply)
    } catch (err) {
      const e = toRemoteException(err, this.#log)
      status = e.status
      this.#closeIfBodyPending(req, res)
      sendJson(res, e.status, e.body)
    }
    this.#metrics.observe(`webhdfs.${op}`, status, performance.now() - started)
  }

  #writeReply(req: IncomingMessage, res: ServerResponse, reply: WebHdfsReply): void {
    if (reply.location !== undefined) {
      this.#closeIfBodyPending(req, res)
      res.writeHead(reply.status, { location: reply.location, 'content-length': 0 })
      res.end()
    } else if (reply.json !== undefined) {
      sendJson(res, reply.status, reply.json)
    } else if (reply.data !== undefined) {
      res.writeHead(reply.status, {
        'content-type': 'application/octet-stream',
        'content-length': reply.data.length,
      })
      res.end(reply.data)
    } else {
      sendEmpty(res, reply.status)
    }
  }

  /**
   * The NameNode never reads a WebHDFS body. A small one is drained so the connection stays
   * usable; a large one, or one held back by `Expect: 100-continue`, ends the connection.
   */
  #closeIfBodyPending(req: IncomingMessage, res: ServerResponse): void {
    if (!hasBody(req) || req.readableEnded) return
    const length = Number(req.headers['content-length'] ?? NaN)
    if (req.headers.expect === undefined && length <= MAX_DRAIN_BYTES) {
      req.resume()
      return
    }
    res.setHeader('connection', 'close')
  }

  async #serveInternal(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const started = performance.now()
    const [family, method] = pathname.slice('/internal/v1/'.length).split('/')
    const table =
      family === 'datanode' ? DATANODE_METHODS : family === 'client' ? CLIENT_METHODS : undefined
    const handler: InternalHandler | undefined =
      table !== undefined && method !== undefined && Object.hasOwn(table, method)
        ? table[method]
        : undefined
    const op = handler === undefined ? 'internal.UNKNOWN' : `internal.${family}.${method}`
    let status = 200
    try {
      if (handler === undefined) {
        status = 404
        this.#closeIfBodyPending(req, res)
        sendJson(
          res,
          404,
          remoteExceptionBody('java.io.FileNotFoundException', `No such endpoint: ${pathname}`),
        )
      } else if (req.method !== 'POST') {
        status = 400
        this.#closeIfBodyPending(req, res)
        sendJson(
          res,
          400,
          remoteExceptionBody('java.lang.UnsupportedOperationException', `${pathname} takes POST`),
        )
      } else {
        const body = await readJsonBody(req, this.#options.maxInternalBodyBytes ?? 64 << 20)
        const reply = await handler(this.#internal, body)
        sendJson(res, 200, JSON.stringify(reply))
      }
    } catch (err) {
      const e = toRemoteException(err, this.#log)
      status = e.status
      this.#closeIfBodyPending(req, res)
      sendJson(res, e.status, e.body)
    }
    this.#metrics.observe(op, status, performance.now() - started)
  }

  async #serveAdmin(_req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    try {
      if (pathname === '/metrics') {
        const text = this.#metrics.render(await this.#gauges())
        sendText(res, 200, 'text/plain; version=0.0.4; charset=utf-8', text)
      } else if (pathname === '/health') {
        await this.#health(res)
      } else if (pathname === '/namenodes') {
        const list = this.#options.liveNamenodes
          ? await this.#options.liveNamenodes()
          : [{ id: this.#engine.namenodeId, url: this.#baseUrl }]
        sendJson(res, 200, JSON.stringify({ namenodes: list }))
      } else if (pathname === '/' || pathname === '/index.html' || pathname === '/dfshealth.html') {
        const page = renderStatusPage({
          baseUrl: this.#baseUrl,
          startedAtMs: this.#startedAtMs,
          namenodeId: this.#engine.namenodeId,
          dialect: this.#engine.dialect,
          datanodes: await this.#datanodeList(),
          namespace: await this.#namespaceSummary(),
          lastReplication: this.#lastReplication,
        })
        sendText(res, 200, 'text/html; charset=utf-8', page)
      } else {
        sendJson(
          res,
          404,
          remoteExceptionBody('java.io.FileNotFoundException', `No such endpoint: ${pathname}`),
        )
      }
    } catch (err) {
      const e = toRemoteException(err, this.#log)
      sendJson(res, e.status, e.body)
    }
  }

  /**
   * `/admin/drain`, loopback callers only: PUT starts draining, DELETE ends it, GET tells.
   * Answers `{"draining": bool}`.
   */
  #serveDrain(req: IncomingMessage, res: ServerResponse): void {
    const from = req.socket.remoteAddress ?? ''
    this.#closeIfBodyPending(req, res)
    if (!isLoopback(from)) {
      sendJson(
        res,
        403,
        remoteExceptionBody(
          'org.apache.hadoop.security.AccessControlException',
          '/admin/drain is only served to loopback callers',
        ),
      )
      return
    }
    if (req.method === 'PUT' || req.method === 'POST') this.drain()
    else if (req.method === 'DELETE') this.resume()
    else if (req.method !== 'GET') {
      sendJson(
        res,
        405,
        remoteExceptionBody(
          'java.lang.UnsupportedOperationException',
          '/admin/drain takes PUT, DELETE or GET',
        ),
      )
      return
    }
    sendJson(res, 200, JSON.stringify({ draining: this.#draining }))
  }

  /**
   * `/admin/decommission?datanode=UUID`, loopback callers only: PUT starts decommissioning the
   * DataNode (no new blocks go to it; the leader copies its blocks elsewhere, then marks it
   * DECOMMISSIONED, after which it may be stopped). Answers `{"datanode": UUID}`.
   */
  async #serveDecommission(
    req: IncomingMessage,
    res: ServerResponse,
    query: string,
  ): Promise<void> {
    this.#closeIfBodyPending(req, res)
    try {
      if (!isLoopback(req.socket.remoteAddress ?? '')) {
        throw new RemoteError(
          'org.apache.hadoop.security.AccessControlException',
          403,
          '/admin/decommission is only served to loopback callers',
        )
      }
      if (req.method !== 'PUT' && req.method !== 'POST') {
        throw new RemoteError(
          'java.lang.UnsupportedOperationException',
          405,
          '/admin/decommission takes PUT',
        )
      }
      const uuid = new URLSearchParams(query).get('datanode') ?? ''
      if (uuid === '') throw new FsError('INVALID_ARGUMENT', 'Missing parameter "datanode"')
      await this.#engine.decommissionDatanode(uuid)
      this.#datanodes.invalidate()
      this.#log.info({ datanodeUuid: uuid }, 'decommissioning DataNode')
      sendJson(res, 200, JSON.stringify({ datanode: uuid }))
    } catch (err) {
      const e = toRemoteException(err, this.#log)
      sendJson(res, e.status, e.body)
    }
  }

  async #health(res: ServerResponse): Promise<void> {
    const base = {
      namenodeId: this.#engine.namenodeId,
      dialect: this.#engine.dialect,
      uptimeMs: Date.now() - this.#startedAtMs,
      isLeader: this.#leader.isLeader,
      leaderId: this.#leader.leaderId ?? (this.#leader.isLeader ? this.#engine.namenodeId : null),
      draining: this.#draining,
      safeMode: this.#engine.settings?.safeMode === true,
    }
    try {
      // Bounded: the engine waits out a database outage, a health check must not.
      const timeoutMs = this.#options.healthTimeoutMs ?? 2000
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        this.#engine.getFileInfo('/', { user: this.#defaults().superuser }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`metadata database did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          )
        }),
      ]).finally(() => clearTimeout(timer))
      // A draining NameNode is healthy but takes no requests: 503 takes it out of load balancers.
      const status = this.#draining ? 'DRAINING' : 'UP'
      sendJson(res, this.#draining ? 503 : 200, JSON.stringify({ status, ...base }))
    } catch (err) {
      this.#log.warn({ err }, 'health check failed')
      const message = err instanceof Error ? err.message : String(err)
      sendJson(res, 503, JSON.stringify({ status: 'DOWN', error: message, ...base }))
    }
  }

  /** The DataNode list, or [] while the engine cannot list them. */
  async #datanodeList() {
    try {
      return [...(await this.#datanodes.all())]
    } catch (err) {
      if (isFsError(err, 'UNSUPPORTED')) return []
      throw err
    }
  }

  /** Counts of `/` for the overview, cached 5 s (a content summary walks the namespace). */
  async #namespaceSummary(): Promise<ContentSummary | undefined> {
    const now = Date.now()
    if (this.#namespaceCache !== undefined && now - this.#namespaceCache.at < 5000) {
      return this.#namespaceCache.value
    }
    let value: ContentSummary | undefined
    try {
      value = await this.#engine.getContentSummary('/', { user: this.#defaults().superuser })
    } catch (err) {
      this.#log.warn({ err }, 'namespace summary failed')
    }
    this.#namespaceCache = { at: now, value }
    return value
  }

  async #gauges(): Promise<GaugeSample[]> {
    const stats = this.#engine.stats()
    const g: GaugeSample[] = [
      {
        name: 'hops_namenode_is_leader',
        help: 'Whether this NameNode is the leader (runs housekeeping): 1 or 0.',
        value: this.#leader.isLeader ? 1 : 0,
      },
      {
        name: 'hops_namenode_safe_mode',
        help: 'Whether the cluster is in safe mode as this NameNode last saw it: 1 or 0.',
        value: this.#engine.settings?.safeMode === true ? 1 : 0,
      },
      {
        name: 'hops_namenode_draining',
        help: 'Whether this NameNode is draining (answers StandbyException): 1 or 0.',
        value: this.#draining ? 1 : 0,
      },
      {
        name: 'hops_namenode_txn_restarts_total',
        help: 'Metadata transactions restarted after a conflict.',
        value: stats.txnRestarts,
        type: 'counter',
      },
      {
        name: 'hops_namenode_hint_cache_entries',
        help: 'Inode hint cache size.',
        value: stats.hintCacheSize,
      },
      {
        name: 'hops_namenode_hint_cache_hits_total',
        help: 'Inode hint cache hits.',
        value: stats.hintCacheHits,
        type: 'counter',
      },
      {
        name: 'hops_namenode_hint_cache_misses_total',
        help: 'Inode hint cache misses.',
        value: stats.hintCacheMisses,
        type: 'counter',
      },
    ]
    const dns = await this.#datanodeList()
    const states = new Map<string, number>()
    for (const d of dns) {
      states.set(d.state, (states.get(d.state) ?? 0) + 1)
      const labels = { datanode: d.datanodeUuid, host: d.hostname }
      g.push(
        {
          name: 'hops_datanode_capacity_bytes',
          help: 'DataNode capacity.',
          value: d.capacityBytes,
          labels,
        },
        {
          name: 'hops_datanode_used_bytes',
          help: 'DataNode bytes used.',
          value: d.usedBytes,
          labels,
        },
        {
          name: 'hops_datanode_remaining_bytes',
          help: 'DataNode bytes free.',
          value: d.remainingBytes,
          labels,
        },
      )
    }
    for (const state of ['NORMAL', 'DECOMMISSIONING', 'DECOMMISSIONED', 'DEAD']) {
      g.push({
        name: 'hops_datanodes',
        help: 'DataNodes by state.',
        value: states.get(state) ?? 0,
        labels: { state },
      })
    }
    const rep = this.#lastReplication
    if (rep !== undefined) {
      g.push(
        {
          name: 'hops_under_replicated_blocks',
          help: 'Blocks with fewer live replicas than their replication (last check).',
          value: rep.underReplicatedBlocks,
        },
        {
          name: 'hops_replications_scheduled',
          help: 'Re-replications queued by the last check.',
          value: rep.replicationsScheduled,
        },
      )
    }
    return g
  }
}

function splitUrl(url: string): { pathname: string; query: string } {
  const q = url.indexOf('?')
  return q < 0
    ? { pathname: url, query: '' }
    : { pathname: url.slice(0, q), query: url.slice(q + 1) }
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address)
}

function isWebHdfs(pathname: string): boolean {
  return (
    pathname.startsWith(WEBHDFS_PREFIX) &&
    (pathname.length === WEBHDFS_PREFIX.length || pathname.charCodeAt(WEBHDFS_PREFIX.length) === 47)
  )
}
