/**
 * @module
 * What a writer or reader (the SDK, or a DataNode serving a WebHDFS CREATE/APPEND/OPEN on a
 * client's behalf) asks the NameNode beyond WebHDFS (HDFS `ClientProtocol`): block allocation
 * with target DataNodes, block locations, small files stored inline. JSON over HTTP(S):
 * `POST {namenode}/internal/v1/client/{method}`; errors are WebHDFS `RemoteException` bodies.
 */
import type { DatanodeInfo } from './datanode-protocol.js'

/** A block with the DataNodes to write it to or read it from (HDFS `LocatedBlock`). */
export interface LocatedBlock {
  readonly blockId: number
  readonly genStamp: number
  readonly numBytes: number
  /** Offset of the block's first byte in the file. */
  readonly offset: number
  /** Write: the pipeline, first DataNode first. Read: live replicas, nearest first. */
  readonly locations: readonly DatanodeInfo[]
  /**
   * The block access token DataNodes want with this block's bytes (write: WRITE, read: READ);
   * absent while the cluster does not use tokens.
   */
  readonly blockToken?: string | undefined
}

/** HDFS `LocatedBlocks`: where a file's bytes are. */
export interface LocatedBlocks {
  readonly fileLength: number
  readonly underConstruction: boolean
  /** Small files: the whole content, base64; no blocks then. */
  readonly inlineData?: string | undefined
  readonly blocks: readonly LocatedBlock[]
}

/** Who a request acts for (insecure mode: trusted; secure mode: from the TLS identity). */
export interface ActingUser {
  /** The effective user (after `doas`). */
  readonly user: string
  /**
   * Exactly-once key of a mutation (DESIGN §4): the caller's id (the DataNode sends one per
   * process) and a call id kept across the failover retries of one call. With both, a retry on
   * another NameNode gets the first attempt's answer instead of running again.
   */
  readonly clientId?: string
  readonly callId?: number
}

/** `clientId` syntax (WebHDFS `clientid` and the internal protocol share it). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/

/** `create`: a new file under construction, leased to `clientName`. */
export interface CreateFileRequest extends ActingUser {
  readonly path: string
  readonly clientName: string
  readonly overwrite: boolean
  readonly replication?: number
  readonly blockSize?: number
  /** Octal mode before the umask, e.g. 0o644. */
  readonly permission?: number
  readonly createParent?: boolean
}

/**
 * `createInline`: a whole small file in one transaction (inode + bytes), closed at once. Refused
 * with IO_ERROR when the data is over the small-file limit of its directory.
 */
export interface CreateInlineRequest extends Omit<CreateFileRequest, 'clientName'> {
  /** The file's bytes, base64. */
  readonly data: string
}

/** `addBlock`: commit the previous block, allocate the next one and choose its pipeline. */
export interface AddBlockRequest extends ActingUser {
  readonly path: string
  readonly clientName: string
  readonly previous?: { readonly blockId: number; readonly numBytes: number } | undefined
  /** DataNodes that failed this writer: not chosen again. */
  readonly excludeDatanodes?: readonly string[]
}

/** `complete`: commit the last block and close the file; false until minimum replication. */
export interface CompleteFileRequest extends ActingUser {
  readonly path: string
  readonly clientName: string
  readonly last?: { readonly blockId: number; readonly numBytes: number } | undefined
}

export interface CompleteFileResponse {
  readonly complete: boolean
}

/** `abandonBlock`: drop a block whose pipeline failed. */
export interface AbandonBlockRequest extends ActingUser {
  readonly path: string
  readonly clientName: string
  readonly blockId: number
}

/** `getBlockLocations`: the blocks (or inline bytes) covering [offset, offset + length). */
export interface GetBlockLocationsRequest extends ActingUser {
  readonly path: string
  readonly offset: number
  readonly length: number
}

/** `append`: reopen a closed file for `clientName`. */
export interface AppendFileRequest extends ActingUser {
  readonly path: string
  readonly clientName: string
}

/**
 * The reopened file: its length, its block size and replication, and either the partial last
 * block to continue (with its pipeline) or, for an inline file, its current bytes (base64): the
 * writer then finishes with `completeInline` (still small) or rewrites everything through
 * `addBlock` (which moves the file to blocks).
 */
export interface AppendFileResponse {
  readonly fileLength: number
  readonly blockSize: number
  readonly replication: number
  readonly lastBlock?: LocatedBlock | undefined
  readonly inlineData?: string | undefined
}

/** `completeInline`: close a file under construction with its whole (small) content inline. */
export interface CompleteInlineRequest extends ActingUser {
  readonly path: string
  readonly clientName: string
  /** The file's whole content, base64. */
  readonly data: string
}

/** The limit under which a new file's bytes go to the database, for a path (directory policy). */
export interface SmallFileLimitRequest extends ActingUser {
  readonly path: string
}

export interface SmallFileLimitResponse {
  /** 0 when the directory keeps every file in blocks. */
  readonly smallFileMaxBytes: number
}

/** `renewLease`. */
export interface RenewLeaseRequest extends ActingUser {
  readonly clientName: string
}

/** Method names of the client protocol (the last path segment of the endpoint). */
export type ClientProtocolMethod =
  | 'create'
  | 'createInline'
  | 'addBlock'
  | 'complete'
  | 'abandonBlock'
  | 'getBlockLocations'
  | 'append'
  | 'completeInline'
  | 'smallFileLimit'
  | 'renewLease'
