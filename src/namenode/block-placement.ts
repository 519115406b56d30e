/**
 * @module
 * Block placement (HDFS `BlockPlacementPolicyDefault`, without racks): which DataNodes a new
 * block's pipeline goes to, and which DataNode a WebHDFS CREATE/APPEND/OPEN is redirected to.
 * The DataNode list comes from the metadata engine and is cached for about a second, so a burst of
 * block allocations costs one query.
 */
import { FsError } from '../common/fs-error.js'
import type { DatanodeInfo } from '../protocol/datanode-protocol.js'

/** Transfers in progress per DataNode, when the engine's DataNode list does not carry them. */
export interface DatanodeLoad {
  readonly xceivers?: number
}

/** Where the DataNode list comes from (the metadata engine's `listDatanodes`). */
export type DatanodeSource = () => Promise<DatanodeInfo[]>

/** Options of {@link DatanodeCache}. */
export interface DatanodeCacheOptions {
  /** How long a fetched list is reused, in ms. Default 1000. */
  readonly ttlMs?: number
}

/** The engine's DataNode list, cached for `ttlMs`; concurrent callers share one fetch. */
export class DatanodeCache {
  readonly #source: DatanodeSource
  readonly #ttlMs: number
  #list: readonly DatanodeInfo[] = []
  #byUuid = new Map<string, DatanodeInfo>()
  #fetchedAt = -Infinity
  #inflight: Promise<readonly DatanodeInfo[]> | undefined

  constructor(source: DatanodeSource, options: DatanodeCacheOptions = {}) {
    this.#source = source
    this.#ttlMs = options.ttlMs ?? 1000
  }

  /** Every DataNode the engine knows (any state). */
  async all(): Promise<readonly DatanodeInfo[]> {
    if (performance.now() - this.#fetchedAt < this.#ttlMs) return this.#list
    return this.refresh()
  }

  /** Fetches the list now (sharing a fetch already under way). */
  refresh(): Promise<readonly DatanodeInfo[]> {
    this.#inflight ??= this.#source()
      .then((list) => {
        this.#list = list
        this.#byUuid = new Map(list.map((d) => [d.datanodeUuid, d]))
        this.#fetchedAt = performance.now()
        return list
      })
      .finally(() => {
        this.#inflight = undefined
      })
    return this.#inflight
  }

  /** Forgets the cached list (after a registration, so the next lookup sees the new node). */
  invalidate(): void {
    this.#fetchedAt = -Infinity
  }

  /** The DataNodes with these uuids, in order; unknown uuids are skipped (refreshes once). */
  async byUuids(uuids: readonly string[]): Promise<DatanodeInfo[]> {
    await this.all()
    if (uuids.some((u) => !this.#byUuid.has(u))) await this.refresh()
    const out: DatanodeInfo[] = []
    for (const u of uuids) {
      const d = this.#byUuid.get(u)
      if (d !== undefined) out.push(d)
    }
    return out
  }
}

/** True for a DataNode that may receive new data (not dead, not leaving). */
export function isWritable(d: DatanodeInfo): boolean {
  return d.state === 'NORMAL'
}

/** True for a DataNode that may serve reads. */
export function isReadable(d: DatanodeInfo): boolean {
  return d.state === 'NORMAL' || d.state === 'DECOMMISSIONING'
}

/** Options of {@link BlockPlacement}. */
export interface BlockPlacementOptions {
  /** Minimum replicas a block needs to be written at all (`dfs.namenode.replication.min`). Default 1. */
  readonly minReplication?: number
  /** Random source in [0, 1); tests may pin it. Default `Math.random`. */
  readonly random?: () => number
  /** Transfers in progress per DataNode uuid (from heartbeats), if known. Default none. */
  readonly load?: (datanodeUuid: string) => number
}

/** What a placement is asked for. */
export interface PlacementRequest {
  /** Replicas wanted. */
  readonly replication: number
  /** Bytes the block may take (its preferred size); nodes with less room are skipped. Default 0. */
  readonly blockSize?: number
  /** DataNodes not to choose: uuids, http addresses or hostnames. */
  readonly exclude?: readonly string[]
}

/** Chooses DataNodes for block pipelines and WebHDFS redirects. */
export class BlockPlacement {
  readonly #datanodes: DatanodeCache
  readonly #minReplication: number
  readonly #random: () => number
  readonly #load: (uuid: string) => number

  constructor(datanodes: DatanodeCache, options: BlockPlacementOptions = {}) {
    this.#datanodes = datanodes
    this.#minReplication = options.minReplication ?? 1
    this.#random = options.random ?? Math.random
    this.#load = options.load ?? (() => 0)
  }

  /**
   * Chooses up to `replication` distinct writable DataNodes with room for the block: less loaded
   * first, ties (and near ties) broken at random. Returns fewer when fewer qualify, as HDFS does.
   * @throws FsError IO_ERROR when fewer than the minimum replication qualify
   */
  async chooseTargets(req: PlacementRequest): Promise<DatanodeInfo[]> {
    const exclude = new Set(req.exclude ?? [])
    const need = req.blockSize ?? 0
    const candidates = (await this.#datanodes.all()).filter(
      (d) =>
        isWritable(d) &&
        !exclude.has(d.datanodeUuid) &&
        !exclude.has(d.httpAddress) &&
        !exclude.has(d.hostname) &&
        d.remainingBytes >= need,
    )
    const chosen = this.#rank(candidates).slice(0, Math.max(0, req.replication))
    const min = Math.min(this.#minReplication, Math.max(1, req.replication))
    if (chosen.length < min) {
      throw new FsError(
        'IO_ERROR',
        `File could only be written to ${chosen.length} of the ${min} minReplication nodes. ` +
          `There are ${candidates.length} datanode(s) running and ${exclude.size} node(s) are excluded in this operation.`,
      )
    }
    return chosen
  }

  /**
   * The DataNode a WebHDFS CREATE or APPEND is redirected to: the least loaded writable one.
   * @throws FsError IO_ERROR when none is live
   */
  async chooseWriter(): Promise<DatanodeInfo> {
    const [d] = this.#rank((await this.#datanodes.all()).filter(isWritable))
    if (d === undefined) {
      throw new FsError('IO_ERROR', 'Failed to find datanode, suggest to check cluster health.')
    }
    return d
  }

  /**
   * The DataNode a WebHDFS OPEN is redirected to: one of `holders` (uuids of replicas of the first
   * block read) that is readable, else any readable DataNode (inline and empty files).
   * @throws FsError IO_ERROR when none is live
   */
  async chooseReader(holders: readonly string[]): Promise<DatanodeInfo> {
    if (holders.length > 0) {
      const live = (await this.#datanodes.byUuids(holders)).filter(isReadable)
      const [d] = this.#rank(live)
      if (d !== undefined) return d
      throw new FsError('IO_ERROR', 'Could not obtain block: no live nodes contain current block')
    }
    const [d] = this.#rank((await this.#datanodes.all()).filter(isReadable))
    if (d === undefined) {
      throw new FsError('IO_ERROR', 'Failed to find datanode, suggest to check cluster health.')
    }
    return d
  }

  /** Less loaded first (xceivers, then used fraction), with a random jitter to spread ties. */
  #rank(nodes: readonly DatanodeInfo[]): DatanodeInfo[] {
    const scored = nodes.map((d) => {
      const used = d.capacityBytes > 0 ? d.usedBytes / d.capacityBytes : 0
      return { d, score: this.#load(d.datanodeUuid) + used + this.#random() * 0.5 }
    })
    scored.sort((a, b) => a.score - b.score)
    return scored.map((s) => s.d)
  }
}
