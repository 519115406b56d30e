/**
 * @module
 * Messages between DataNodes and NameNodes (HDFS `DatanodeProtocol`): registration, heartbeats
 * with commands in the reply, incremental and hash-bucketed full block reports, bad-block
 * reports. Carried as JSON over HTTP(S): `POST {namenode}/internal/v1/datanode/{method}`.
 */
import type { BlockKey } from '../common/block-token.js'

/** What a DataNode tells about itself when it registers (HDFS `DatanodeRegistration`). */
export interface DatanodeRegistration {
  /** Stable id of the DataNode's storage, kept in its data directory across restarts. */
  readonly datanodeUuid: string
  /** Base URL of the DataNode's HTTP server, e.g. `http://127.0.0.1:9864`. */
  readonly httpAddress: string
  readonly hostname: string
  readonly capacityBytes: number
}

/** Storage figures sent with every heartbeat. */
export interface HeartbeatRequest {
  readonly datanodeUuid: string
  readonly capacityBytes: number
  readonly usedBytes: number
  readonly remainingBytes: number
  readonly failedVolumes: number
  /** Transfers in progress (HDFS xceiverCount), for placement. */
  readonly xceivers: number
}

/** A block as a DataNode holds it. */
export interface ReportedBlock {
  readonly blockId: number
  readonly genStamp: number
  readonly numBytes: number
}

/** A DataNode as the NameNode knows it (HDFS `DatanodeInfo`). */
export interface DatanodeInfo {
  readonly datanodeUuid: string
  readonly httpAddress: string
  readonly hostname: string
  readonly capacityBytes: number
  readonly usedBytes: number
  readonly remainingBytes: number
  readonly lastHeartbeatMs: number
  readonly state: 'NORMAL' | 'DECOMMISSIONING' | 'DECOMMISSIONED' | 'DEAD'
}

/** Work the NameNode hands a DataNode in a heartbeat reply (HDFS `DatanodeCommand`). */
export type DatanodeCommand =
  /** Delete these block files (invalidated or excess replicas). */
  | { readonly type: 'DELETE'; readonly blocks: readonly ReportedBlock[] }
  /** Copy a block this DataNode holds to the targets (re-replication). */
  | {
      readonly type: 'REPLICATE'
      readonly block: ReportedBlock
      readonly targets: readonly DatanodeInfo[]
      /** WRITE token for the targets (absent while the cluster does not use tokens). */
      readonly blockToken?: string | undefined
    }
  /** Register again (the NameNode forgot this DataNode, e.g. declared it dead). */
  | { readonly type: 'REGISTER' }

export interface HeartbeatResponse {
  readonly commands: readonly DatanodeCommand[]
  /** The block token keys in force; absent while the cluster does not use tokens. */
  readonly blockKeys?: readonly BlockKey[] | undefined
}

/** Reply of `register` and `blockKeys`: the block token keys, absent when tokens are off. */
export interface BlockKeysResponse {
  readonly blockKeys?: readonly BlockKey[] | undefined
}

/** Incremental report: replicas received (finalized) or deleted since the last one. */
export interface BlockReceivedRequest {
  readonly datanodeUuid: string
  readonly received: readonly ReportedBlock[]
  readonly deleted: readonly number[]
}

/** Number of hash buckets of a full block report (`dfs.blockreport.numbuckets`). */
export const BLOCK_REPORT_BUCKETS = 1000

/**
 * Full report, step 1: the hash of each bucket (`blockId mod BLOCK_REPORT_BUCKETS`), the XOR of
 * its replicas' hashes (see `replicaHash`). The reply names the buckets whose hash differs.
 */
export interface BlockReportHashesRequest {
  readonly datanodeUuid: string
  /** Bucket index → hash as a decimal string of an unsigned 32-bit value; empty buckets omitted. */
  readonly hashes: Readonly<Record<string, number>>
}

export interface BlockReportHashesResponse {
  readonly mismatchedBuckets: readonly number[]
}

/** Full report, step 2: every replica of the mismatched buckets. */
export interface BlockReportBucketsRequest {
  readonly datanodeUuid: string
  readonly buckets: Readonly<Record<string, readonly ReportedBlock[]>>
}

/** A replica failed its checksum: the NameNode drops it and re-replicates the block. */
export interface BadBlockRequest {
  readonly datanodeUuid: string
  readonly block: ReportedBlock
}

/**
 * The hash of one replica in a bucket: a 32-bit mix of id, generation stamp and length, so a
 * replica with a stale genStamp or length makes its bucket differ. Buckets XOR these.
 */
export function replicaHash(block: ReportedBlock): number {
  let h = 0x811c9dc5
  for (const v of [block.blockId, block.genStamp, block.numBytes]) {
    let x = v
    for (let i = 0; i < 7; i++) {
      h ^= x & 0xff
      h = Math.imul(h, 0x01000193) >>> 0
      x = Math.floor(x / 256)
    }
  }
  return h >>> 0
}

/** The bucket of a block id. */
export function bucketOf(blockId: number): number {
  return blockId % BLOCK_REPORT_BUCKETS
}
