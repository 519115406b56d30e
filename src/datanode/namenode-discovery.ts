/**
 * @module
 * The DataNode's view of the NameNodes when NameNodes come and go (issue 4, online scale-out):
 * {@link DiscoveringNameNodeClient} wraps a {@link NameNodeClient} over the configured URLs plus
 * the NameNodes it has learnt about from `GET /namenodes` of a NameNode it already knows (the live
 * NameNodes, asked by {@link DiscoveringNameNodeClient.refresh}). When
 * the set changes it swaps in a new `NameNodeClient`; calls in flight finish on the old one (with
 * their exactly-once ids). The configured URLs always stay; learnt ones that are no longer live
 * are dropped at the next refresh.
 */
import type { Logger } from 'pino'
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
  BlockReceivedRequest,
  BlockReportBucketsRequest,
  BlockReportHashesRequest,
  BlockReportHashesResponse,
  DatanodeRegistration,
  HeartbeatRequest,
  HeartbeatResponse,
} from '../protocol/datanode-protocol.js'
import { NameNodeClient } from './namenode-client.js'
import type {
  ClientProtocolRpc,
  CreatedFile,
  DatanodeProtocolRpc,
  NameNodeClientOptions,
} from './namenode-client.js'

/** Options of {@link DiscoveringNameNodeClient}. */
export interface DiscoveringNameNodeClientOptions extends NameNodeClientOptions {
  /** Timeout of one `GET /namenodes`, ms. Default 2000. */
  readonly refreshTimeoutMs?: number
}

/** A {@link NameNodeClient} whose NameNode list grows and shrinks with the cluster. */
export class DiscoveringNameNodeClient implements DatanodeProtocolRpc, ClientProtocolRpc {
  readonly #configured: readonly string[]
  readonly #options: DiscoveringNameNodeClientOptions
  readonly #logger: Logger | undefined
  #client: NameNodeClient

  /** @throws TypeError as {@link NameNodeClient} does */
  constructor(urls: readonly string[], options: DiscoveringNameNodeClientOptions = {}) {
    this.#client = new NameNodeClient(urls, options)
    this.#configured = this.#client.urls
    this.#options = Object.freeze({ ...options })
    this.#logger = options.logger
  }

  /** The NameNode base URLs in use: the configured ones, then the learnt ones. */
  get urls(): readonly string[] {
    return this.#client.urls
  }

  /**
   * Makes `url` the first to try when it is a known NameNode. An unknown one is not added: a
   * request's `namenoderpcaddress` comes from a client, and the NameNodes a DataNode obeys
   * (heartbeat commands delete blocks) must come from the NameNodes themselves.
   */
  prefer(url: string | undefined): void {
    this.#client.prefer(url)
  }

  /**
   * Asks the NameNodes in turn for the live NameNodes (`GET /namenodes`) and uses the answer of
   * the first one that gives it. Never throws; resolves to the URLs in use.
   */
  async refresh(): Promise<readonly string[]> {
    for (const base of this.#client.urls) {
      try {
        const res = await fetch(`${base}/namenodes`, {
          signal: AbortSignal.timeout(this.#options.refreshTimeoutMs ?? 2000),
        })
        if (!res.ok) {
          await res.body?.cancel()
          continue
        }
        const { namenodes } = (await res.json()) as { namenodes?: { url?: unknown }[] }
        if (!Array.isArray(namenodes)) break
        const live = namenodes.flatMap((n) => {
          const u = typeof n.url === 'string' ? normalize(n.url) : undefined
          return u === undefined ? [] : [u]
        })
        if (live.length > 0) this.#use(live)
        break
      } catch {
        // unreachable or not a Hops NameNode: ask the next one
      }
    }
    return this.#client.urls
  }

  /** Switches to the configured URLs plus `learnt` (when that changes the list). */
  #use(learnt: readonly string[]): void {
    const next = [...this.#configured]
    for (const u of learnt) if (!next.includes(u)) next.push(u)
    const current = this.#client.urls
    if (next.length === current.length && next.every((u, i) => u === current[i])) return
    this.#logger?.info({ namenodes: next }, 'NameNode list changed')
    this.#client = new NameNodeClient(next, this.#options)
  }

  register(req: DatanodeRegistration): Promise<void> {
    return this.#client.register(req)
  }
  sendHeartbeat(req: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.#client.sendHeartbeat(req)
  }
  blockReceived(req: BlockReceivedRequest): Promise<void> {
    return this.#client.blockReceived(req)
  }
  blockReportHashes(req: BlockReportHashesRequest): Promise<BlockReportHashesResponse> {
    return this.#client.blockReportHashes(req)
  }
  blockReportBuckets(req: BlockReportBucketsRequest): Promise<void> {
    return this.#client.blockReportBuckets(req)
  }
  reportBadBlock(req: BadBlockRequest): Promise<void> {
    return this.#client.reportBadBlock(req)
  }
  create(req: CreateFileRequest): Promise<CreatedFile> {
    return this.#client.create(req)
  }
  createInline(req: CreateInlineRequest): Promise<CreatedFile> {
    return this.#client.createInline(req)
  }
  addBlock(req: AddBlockRequest): Promise<LocatedBlock> {
    return this.#client.addBlock(req)
  }
  complete(req: CompleteFileRequest): Promise<CompleteFileResponse> {
    return this.#client.complete(req)
  }
  abandonBlock(req: AbandonBlockRequest): Promise<void> {
    return this.#client.abandonBlock(req)
  }
  getBlockLocations(req: GetBlockLocationsRequest): Promise<LocatedBlocks> {
    return this.#client.getBlockLocations(req)
  }
  append(req: AppendFileRequest): Promise<AppendFileResponse> {
    return this.#client.append(req)
  }
  completeInline(req: CompleteInlineRequest): Promise<CreatedFile> {
    return this.#client.completeInline(req)
  }
  smallFileLimit(req: SmallFileLimitRequest): Promise<SmallFileLimitResponse> {
    return this.#client.smallFileLimit(req)
  }
  renewLease(req: RenewLeaseRequest): Promise<void> {
    return this.#client.renewLease(req)
  }
}

/** `origin` + path without a trailing slash; undefined for anything but an http(s) URL. */
function normalize(url: string): string | undefined {
  try {
    const u = new URL(url)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
  } catch {
    return undefined
  }
}
