/**
 * @module
 * A DataNode: its block store, its HTTP server, and the conversation with the NameNodes
 * (register, heartbeats every `heartbeatIntervalMs` carrying commands back, incremental reports
 * of deletions, and a hash-bucketed full block report at start and every `fullReportIntervalMs`).
 */
import { hostname } from 'node:os'
import pino, { type Logger } from 'pino'
import {
  bucketOf,
  replicaHash,
  type DatanodeCommand,
  type ReportedBlock,
} from '../protocol/datanode-protocol.js'
import { BlockStore, ChecksumError } from './block-store.js'
import { openBlockUpload } from './block-transfer.js'
import { DataNodeServer } from './datanode-server.js'
import { BlockTokenChecker } from './block-token-checker.js'
import { NameNodeClient } from './namenode-client.js'
import type { ServerTls } from '../security/server-tls.js'

export interface DataNodeOptions {
  /** Data directory (block files, VERSION). */
  readonly dir: string
  /** Base URLs of the NameNodes, e.g. `['http://127.0.0.1:9870']`. */
  readonly namenodeUrls: readonly string[]
  /** Interface to bind. Default `127.0.0.1`. */
  readonly host?: string
  /** HTTP port; 0 picks a free one. Default 0. */
  readonly port?: number
  readonly advertisedHost?: string
  /** Default 1000 ms (HDFS `dfs.heartbeat.interval` is 3 s). */
  readonly heartbeatIntervalMs?: number
  /** Default 6 h (HDFS `dfs.blockreport.intervalMsec`). */
  readonly fullReportIntervalMs?: number
  /** Bytes per checksum chunk. Default 64 KiB. */
  readonly chunkSizeBytes?: number
  readonly syncOnClose?: boolean
  /**
   * Ask the NameNodes for the live NameNodes (`GET /namenodes`) this often, ms, so that
   * NameNodes started later are used and the configured ones may go. Default 10 000; 0 = never.
   */
  readonly namenodeRefreshIntervalMs?: number
  /**
   * Secure mode: serve HTTPS requiring client certificates, and present this service certificate
   * to the NameNodes (https URLs) and to other DataNodes. Default: insecure plain HTTP.
   */
  readonly tls?: ServerTls
  /** Silent by default. */
  readonly logger?: Logger
}

/** One DataNode process's worth of state. */
export class DataNode {
  readonly #options: DataNodeOptions
  readonly #logger: Logger
  #store: BlockStore | undefined
  #server: DataNodeServer | undefined
  #namenode: NameNodeClient | undefined
  #blockTokens: BlockTokenChecker | undefined
  #refreshAt = 0
  #heartbeatTimer: NodeJS.Timeout | undefined
  #reportTimer: NodeJS.Timeout | undefined
  #registered = false
  #stopping = false
  #beating: Promise<void> | undefined

  constructor(options: DataNodeOptions) {
    if (options.namenodeUrls.length === 0) throw new TypeError('DataNode needs namenodeUrls')
    this.#options = Object.freeze({ ...options, namenodeUrls: [...options.namenodeUrls] })
    this.#logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'datanode' })
  }

  get datanodeUuid(): string {
    return this.#requireStore().datanodeUuid
  }

  get httpAddress(): string {
    if (this.#server === undefined) throw new TypeError('DataNode not started')
    return this.#server.httpAddress
  }

  get store(): BlockStore {
    return this.#requireStore()
  }

  /**
   * Opens the store, starts the HTTP server, registers and sends the first full report (a
   * NameNode that cannot be reached now is retried by the heartbeat loop). Returns the URL.
   */
  async start(): Promise<string> {
    const o = this.#options
    this.#store = await BlockStore.open(o.dir, {
      chunkSizeBytes: o.chunkSizeBytes,
      syncOnClose: o.syncOnClose,
    })
    this.#namenode = new NameNodeClient(o.namenodeUrls, {
      logger: this.#logger,
      tls: o.tls === undefined ? undefined : o.tls.verifier.clientOptions(o.tls.identity),
    })
    const nn = this.#namenode
    const datanodeUuid = this.#store.datanodeUuid
    this.#blockTokens = new BlockTokenChecker(() => nn.blockKeys({ datanodeUuid }))
    this.#server = new DataNodeServer({
      store: this.#store,
      datanodeProtocol: this.#namenode,
      clientProtocol: this.#namenode,
      blockTokens: this.#blockTokens,
      host: o.host,
      port: o.port,
      advertisedHost: o.advertisedHost,
      tls: o.tls,
      logger: this.#logger,
    })
    const url = await this.#server.start()
    this.#logger.info({ url, datanodeUuid: this.#store.datanodeUuid }, 'datanode started')
    await this.#heartbeat()
    this.#heartbeatTimer = setInterval(() => {
      this.#beating ??= this.#heartbeat().finally(() => (this.#beating = undefined))
    }, o.heartbeatIntervalMs ?? 1000)
    this.#reportTimer = setInterval(
      () => {
        this.fullBlockReport().catch((err: unknown) =>
          this.#logger.warn({ err }, 'full block report failed'),
        )
      },
      o.fullReportIntervalMs ?? 6 * 3600_000,
    )
    this.#reportTimer.unref()
    return url
  }

  /** Stops the timers and the HTTP server. */
  async stop(): Promise<void> {
    this.#stopping = true
    clearInterval(this.#heartbeatTimer)
    clearInterval(this.#reportTimer)
    await this.#beating
    await this.#server?.stop()
    this.#namenode?.close()
  }

  /** Registers with the NameNode (again). */
  async register(): Promise<void> {
    const store = this.#requireStore()
    const { capacityBytes } = await store.storageReport()
    const reply = await this.#nn().register({
      datanodeUuid: store.datanodeUuid,
      httpAddress: this.httpAddress,
      hostname: this.#options.advertisedHost ?? hostname(),
      capacityBytes,
    })
    this.#blockTokens?.update(reply)
    this.#registered = true
    this.#logger.info('registered')
  }

  /** Full block report: hashes of every bucket, then the replicas of the buckets that differ. */
  async fullBlockReport(): Promise<void> {
    const store = this.#requireStore()
    const buckets = new Map<number, ReportedBlock[]>()
    const hashes: Record<string, number> = {}
    for (const r of store.replicas()) {
      const b = bucketOf(r.blockId)
      const block = { blockId: r.blockId, genStamp: r.genStamp, numBytes: r.numBytes }
      let list = buckets.get(b)
      if (list === undefined) buckets.set(b, (list = []))
      list.push(block)
      hashes[b] = ((hashes[b] ?? 0) ^ replicaHash(block)) >>> 0
    }
    const datanodeUuid = store.datanodeUuid
    const { mismatchedBuckets } = await this.#nn().blockReportHashes({ datanodeUuid, hashes })
    if (mismatchedBuckets.length === 0) return
    const send: Record<string, ReportedBlock[]> = {}
    for (const b of mismatchedBuckets) send[b] = buckets.get(b) ?? []
    await this.#nn().blockReportBuckets({ datanodeUuid, buckets: send })
    this.#logger.info({ buckets: mismatchedBuckets.length }, 'full block report sent')
  }

  async #heartbeat(): Promise<void> {
    if (this.#stopping) return
    try {
      if (!this.#registered) {
        await this.register()
        await this.fullBlockReport()
      }
      const store = this.#requireStore()
      const report = await store.storageReport()
      const { commands, blockKeys } = await this.#nn().sendHeartbeat({
        datanodeUuid: store.datanodeUuid,
        ...report,
        failedVolumes: 0,
        xceivers: this.#server?.xceivers ?? 0,
      })
      this.#blockTokens?.update({ blockKeys })
      for (const cmd of commands) await this.#execute(cmd)
    } catch (err) {
      this.#logger.warn({ err }, 'heartbeat failed')
    }
    const refreshMs = this.#options.namenodeRefreshIntervalMs ?? 10_000
    if (refreshMs > 0 && Date.now() >= this.#refreshAt) {
      this.#refreshAt = Date.now() + refreshMs
      await this.#nn().refresh()
    }
  }

  async #execute(cmd: DatanodeCommand): Promise<void> {
    const store = this.#requireStore()
    switch (cmd.type) {
      case 'DELETE': {
        const deleted: number[] = []
        for (const b of cmd.blocks) {
          const r = store.getReplica(b.blockId)
          // Never delete a newer version than the one the NameNode meant.
          if (r !== undefined && r.genStamp > b.genStamp) continue
          await store.deleteReplica(b.blockId)
          deleted.push(b.blockId)
        }
        if (deleted.length > 0) {
          await this.#nn().blockReceived({
            datanodeUuid: store.datanodeUuid,
            received: [],
            deleted,
          })
        }
        return
      }
      case 'REPLICATE':
        // In the background: a copy may take long, heartbeats must go on.
        this.#replicate(
          cmd.block,
          cmd.targets.map((t) => t.httpAddress),
          cmd.blockToken,
        ).catch((err: unknown) =>
          this.#logger.warn({ err, block: cmd.block }, 'replication failed'),
        )
        return
      case 'REGISTER':
        this.#registered = false
        await this.register()
        await this.fullBlockReport()
        return
    }
  }

  /** Copies a local replica to `targets` through the pipeline endpoint. */
  async #replicate(
    block: ReportedBlock,
    targets: readonly string[],
    token: string | undefined,
  ): Promise<void> {
    const store = this.#requireStore()
    const r = store.getReplica(block.blockId)
    if (r === undefined || targets.length === 0) return
    const upload = openBlockUpload(targets, r.blockId, r.genStamp, {
      contentLength: r.numBytes,
      token,
      agent: this.#server?.transferAgent,
    })
    try {
      for await (const chunk of store.readReplica(r.blockId)) await upload.write(chunk)
      await upload.end()
      this.#logger.info({ block: r, targets }, 'replicated')
    } catch (err) {
      upload.abort()
      if (err instanceof ChecksumError) {
        await this.#nn().reportBadBlock({ datanodeUuid: store.datanodeUuid, block: err.block })
      }
      throw err
    }
  }

  #nn(): NameNodeClient {
    if (this.#namenode === undefined) throw new TypeError('DataNode not started')
    return this.#namenode
  }

  #requireStore(): BlockStore {
    if (this.#store === undefined) throw new TypeError('DataNode not started')
    return this.#store
  }
}
