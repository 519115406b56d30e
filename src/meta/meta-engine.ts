/**
 * @module
 * The metadata engine: the one interface through which NameNodes and platform services read and
 * change the namespace and the block map. Every method is one database transaction (plus bounded
 * retries on deadlock, serialization failure or SQLITE_BUSY). Paths are absolute HDFS paths;
 * invalid ones fail with `FsError('INVALID_PATH')`.
 */
import type { BlockAccessMode, BlockKey } from '../common/block-token.js'
import type { AclEntry } from '../common/permission.js'
import type {
  BadBlockRequest,
  BlockReceivedRequest,
  BlockReportBucketsRequest,
  BlockReportHashesRequest,
  DatanodeCommand,
  DatanodeInfo,
  DatanodeRegistration,
  HeartbeatRequest,
} from '../protocol/datanode-protocol.js'

/** Who performs an operation, and the ids that make a retried mutation exactly-once. */
export interface CallerContext {
  /** The effective user (after `doas`). */
  readonly user: string
  /** Extra groups for this call; the engine adds the user's groups from its `user_groups` table. */
  readonly groups?: readonly string[]
  /** Client id + call id of a retriable mutation: a retry returns the first outcome (DESIGN §4). */
  readonly clientId?: string
  readonly callId?: number
}

export type InodeType = 'FILE' | 'DIRECTORY' | 'SYMLINK'

/** One inode as clients see it (the fields of HDFS's `HdfsFileStatus`). */
export interface InodeRecord {
  readonly inodeId: number
  readonly parentId: number
  /** The last path component ('' for the root). */
  readonly name: string
  readonly type: InodeType
  /** Target of a symlink, else undefined. */
  readonly symlink?: string | undefined
  readonly owner: string
  readonly group: string
  /** Mode bits, sticky bit included (e.g. 0o755, 0o1777). */
  readonly permission: number
  /** Milliseconds since the epoch. */
  readonly modificationTime: number
  readonly accessTime: number
  /** File length in bytes; 0 for directories. */
  readonly length: number
  /** Replication factor of a file; 0 for directories. */
  readonly replication: number
  /** Preferred block size in bytes of a file; 0 for directories. */
  readonly blockSize: number
  /** Number of entries of a directory; 0 for files. */
  readonly childrenNum: number
  readonly storagePolicy: number
  readonly underConstruction: boolean
  /** Lease holder of a file under construction. */
  readonly clientName?: string | undefined
  /** True when the file's bytes live in the database (`file_data`), not in blocks. */
  readonly inline: boolean
  readonly hasAcl: boolean
  readonly hasQuota: boolean
}

export interface MkdirsRequest {
  readonly path: string
  /** Mode before the umask; default 0o777. */
  readonly permission?: number
  /** Default 0o022. */
  readonly umask?: number
}

export interface CreateRequest {
  readonly path: string
  /** Lease holder (the client's name). */
  readonly clientName: string
  readonly overwrite?: boolean
  /** Create missing parents (HDFS `createParent`, default true). */
  readonly createParent?: boolean
  /** Mode before the umask; default 0o666. */
  readonly permission?: number
  readonly umask?: number
  /** Default from cluster settings (3). */
  readonly replication?: number
  /** Default from cluster settings (128 MiB). */
  readonly blockSize?: number
}

export interface ListStatusRequest {
  readonly path: string
  /** Return entries whose name sorts after this one (exclusive). */
  readonly startAfter?: string
  /** Page size; default 1000, at most 100 000. */
  readonly limit?: number
}

/** One page of a directory listing, sorted by name (byte order). */
export interface DirPage {
  readonly entries: readonly InodeRecord[]
  /** Entries left after this page. */
  readonly remaining: number
}

export interface RenameRequest {
  readonly src: string
  readonly dst: string
}

export interface Rename2Request extends RenameRequest {
  /** Replace an existing file or empty directory at `dst` (`Options.Rename.OVERWRITE`). */
  readonly overwrite?: boolean
}

export interface RecursiveOption {
  /** Apply to every inode below too (like `-R`). */
  readonly recursive?: boolean
}

export interface DeleteRequest {
  readonly path: string
  readonly recursive?: boolean
}

export interface ContentSummary {
  readonly length: number
  readonly fileCount: number
  readonly directoryCount: number
  /** -1 when not set. */
  readonly quota: number
  /** length × replication, summed. */
  readonly spaceConsumed: number
  /** -1 when not set. */
  readonly spaceQuota: number
}

export interface QuotaUsage {
  /** Inodes in the subtree, the directory itself included. */
  readonly fileAndDirectoryCount: number
  readonly quota: number
  readonly spaceConsumed: number
  readonly spaceQuota: number
}

export interface SetQuotaRequest {
  readonly path: string
  /** Namespace quota: max inodes; -1 clears it, undefined leaves it. */
  readonly nsQuota?: number
  /** Space quota in bytes (raw, i.e. length × replication); -1 clears it, undefined leaves it. */
  readonly ssQuota?: number
}

export type XAttrSetFlag = 'CREATE' | 'REPLACE'

export interface XAttr {
  /** Full name with namespace prefix, e.g. `user.owner`. */
  readonly name: string
  readonly value: Uint8Array
}

export interface AclStatus {
  readonly owner: string
  readonly group: string
  readonly permission: number
  readonly stickyBit: boolean
  /** Extended entries (named users/groups, owning group when an ACL exists, mask is in permission) and defaults. */
  readonly entries: readonly AclEntry[]
}

/** A block record of the block map. */
export interface BlockRecord {
  readonly blockId: number
  readonly inodeId: number
  /** Position of the block in the file, from 0. */
  readonly index: number
  readonly numBytes: number
  readonly genStamp: number
  readonly state: 'UNDER_CONSTRUCTION' | 'COMMITTED' | 'COMPLETE'
}

export interface AddBlockRequest {
  readonly path: string
  readonly clientName: string
  /** The last block the client wrote, with its final length; undefined for the first block. */
  readonly previous?: { readonly blockId: number; readonly numBytes: number } | undefined
}

export interface CompleteRequest {
  readonly path: string
  readonly clientName: string
  readonly last?: { readonly blockId: number; readonly numBytes: number } | undefined
}

export interface AbandonBlockRequest {
  readonly path: string
  readonly clientName: string
  readonly blockId: number
}

export interface UpdateBlockRequest {
  readonly blockId: number
  readonly clientName: string
  readonly newGenStamp: number
  readonly newNumBytes: number
}

export interface AppendResult {
  readonly file: InodeRecord
  /** The partial last block to continue writing into, if any. */
  readonly lastBlock?: BlockRecord | undefined
}

export interface TruncateRequest {
  readonly path: string
  readonly newLength: number
  readonly clientName: string
}

export interface ConcatRequest {
  readonly target: string
  readonly sources: readonly string[]
}

export interface LeaseInfo {
  readonly holder: string
  readonly lastRenewedMs: number
  readonly paths: readonly string[]
}

/** A block of a file with where its finalized replicas are. */
export interface BlockLocation extends BlockRecord {
  /** Offset of the block's first byte in the file. */
  readonly offset: number
  /** Uuids of live DataNodes holding a finalized replica (not decommissioned, not dead). */
  readonly datanodes: readonly string[]
}

/** Where a file's bytes are: inline in the database, or in blocks. */
export interface FileLocations {
  readonly file: InodeRecord
  /** The whole content of an inline (small) file. */
  readonly inlineData?: Uint8Array | undefined
  /** Blocks overlapping the requested range, in order. */
  readonly blocks: readonly BlockLocation[]
}

/** Storage policies a directory can carry (HDFS names; `DB` is HopsFS's small-files policy). */
export type StoragePolicy = 'DEFAULT' | 'DB' | 'HOT'

/** What the replication check found and did (leader housekeeping). */
export interface ReplicationReport {
  readonly deadDatanodes: number
  readonly underReplicatedBlocks: number
  readonly replicationsScheduled: number
  readonly excessDeletesScheduled: number
  readonly decommissioned: number
}

export interface MetaEngineStats {
  /** Transactions restarted after a retryable conflict since the engine opened. */
  readonly txnRestarts: number
  readonly hintCacheSize: number
  readonly hintCacheHits: number
  readonly hintCacheMisses: number
}

/** Namespace and block-map storage. Every method runs in exactly one transaction. */
export interface MetaEngine {
  readonly dialect: 'sqlite' | 'postgres' | 'mysql'
  /** This engine's row id in the `namenodes` table. */
  readonly namenodeId: number
  /** Creates or upgrades the schema; idempotent. */
  migrate(): Promise<void>
  /** Stops timers and closes the connections. */
  close(): Promise<void>
  stats(): MetaEngineStats

  /** @throws FsError FILE_NOT_FOUND */
  getFileInfo(path: string, ctx: CallerContext): Promise<InodeRecord>
  /** Creates the directory and missing parents; true also when it exists already. */
  mkdirs(req: MkdirsRequest, ctx: CallerContext): Promise<boolean>
  /** Creates an empty file under construction, leased to `clientName`. */
  create(req: CreateRequest, ctx: CallerContext): Promise<InodeRecord>
  listStatus(req: ListStatusRequest, ctx: CallerContext): Promise<DirPage>
  /** HDFS `rename`: false when the source is missing or the destination exists. */
  rename(req: RenameRequest, ctx: CallerContext): Promise<boolean>
  /** HDFS `rename2`: throws instead of returning false; `overwrite` replaces the destination. */
  rename2(req: Rename2Request, ctx: CallerContext): Promise<void>
  /** False when nothing was at `path`. */
  delete(req: DeleteRequest, ctx: CallerContext): Promise<boolean>
  /** With `recursive`, the whole subtree changes (a subtree operation, not one transaction). */
  setPermission(
    path: string,
    permission: number,
    ctx: CallerContext,
    options?: RecursiveOption,
  ): Promise<void>
  /** Only the superuser changes owners; an owner may set a group it belongs to. */
  setOwner(
    path: string,
    owner: string | undefined,
    group: string | undefined,
    ctx: CallerContext,
    options?: RecursiveOption,
  ): Promise<void>
  /** -1 leaves a time unchanged. */
  setTimes(path: string, mtime: number, atime: number, ctx: CallerContext): Promise<void>
  /** False for a directory or symlink (as HDFS). */
  setReplication(path: string, replication: number, ctx: CallerContext): Promise<boolean>
  getContentSummary(path: string, ctx: CallerContext): Promise<ContentSummary>
  setQuota(req: SetQuotaRequest, ctx: CallerContext): Promise<void>
  getQuotaUsage(path: string, ctx: CallerContext): Promise<QuotaUsage>
  createSymlink(
    target: string,
    link: string,
    createParent: boolean,
    ctx: CallerContext,
  ): Promise<void>

  setXAttr(
    path: string,
    xattr: XAttr,
    flags: readonly XAttrSetFlag[],
    ctx: CallerContext,
  ): Promise<void>
  /** All xattrs the caller may read, or only `names`. */
  getXAttrs(
    path: string,
    names: readonly string[] | undefined,
    ctx: CallerContext,
  ): Promise<XAttr[]>
  listXAttrs(path: string, ctx: CallerContext): Promise<string[]>
  removeXAttr(path: string, name: string, ctx: CallerContext): Promise<void>

  modifyAclEntries(path: string, entries: readonly AclEntry[], ctx: CallerContext): Promise<void>
  removeAclEntries(path: string, entries: readonly AclEntry[], ctx: CallerContext): Promise<void>
  removeDefaultAcl(path: string, ctx: CallerContext): Promise<void>
  removeAcl(path: string, ctx: CallerContext): Promise<void>
  setAcl(path: string, entries: readonly AclEntry[], ctx: CallerContext): Promise<void>
  getAclStatus(path: string, ctx: CallerContext): Promise<AclStatus>

  append(path: string, clientName: string, ctx: CallerContext): Promise<AppendResult>
  /** True when done at once; false when the last block must be recovered by DataNodes first. */
  truncate(req: TruncateRequest, ctx: CallerContext): Promise<boolean>
  concat(req: ConcatRequest, ctx: CallerContext): Promise<void>

  renewLease(clientName: string, ctx: CallerContext): Promise<void>
  /** True when the file is closed (already, or now by recovery). */
  recoverLease(path: string, clientName: string, ctx: CallerContext): Promise<boolean>
  getLease(clientName: string): Promise<LeaseInfo | undefined>
  /** Closes files whose lease passed the hard limit; returns how many. Leader housekeeping. */
  recoverExpiredLeases(nowMs?: number): Promise<number>

  addBlock(req: AddBlockRequest, ctx: CallerContext): Promise<BlockRecord>
  complete(req: CompleteRequest, ctx: CallerContext): Promise<boolean>
  abandonBlock(req: AbandonBlockRequest, ctx: CallerContext): Promise<void>
  updateBlock(req: UpdateBlockRequest, ctx: CallerContext): Promise<BlockRecord>
  getBlocks(path: string, ctx: CallerContext): Promise<BlockRecord[]>

  // ---- data path: small files and block locations ----
  /**
   * The small-file limit in force for new files at `path`: `smallFileMaxBytes` (default 64 KiB)
   * unless the nearest ancestor with a storage policy says `HOT` (0: blocks only).
   */
  smallFileLimit(path: string, ctx: CallerContext): Promise<number>
  /** Creates a whole small file with its bytes in `file_data`, closed, in one transaction. */
  createInline(
    req: Omit<CreateRequest, 'clientName'> & { readonly data: Uint8Array },
    ctx: CallerContext,
  ): Promise<InodeRecord>
  /** Closes a file under construction (e.g. reopened by append) with its whole content inline. */
  completeInline(
    req: { readonly path: string; readonly clientName: string; readonly data: Uint8Array },
    ctx: CallerContext,
  ): Promise<InodeRecord>
  /** The bytes or blocks covering [offset, offset + length); READ permission. */
  getBlockLocations(
    req: { readonly path: string; readonly offset: number; readonly length: number },
    ctx: CallerContext,
  ): Promise<FileLocations>
  setStoragePolicy(path: string, policy: StoragePolicy, ctx: CallerContext): Promise<void>
  /** The policy in force at `path` (its own or inherited), 'DEFAULT' when none. */
  getStoragePolicy(path: string, ctx: CallerContext): Promise<StoragePolicy>

  // ---- DataNodes (state in the database, so any NameNode serves any DataNode) ----
  registerDatanode(reg: DatanodeRegistration): Promise<void>
  /** Records the heartbeat; returns (and dequeues) the commands waiting for this DataNode. */
  datanodeHeartbeat(req: HeartbeatRequest): Promise<DatanodeCommand[]>
  /** Records finalized replicas (and deleted ones); replicas of unknown blocks are queued for deletion. */
  blockReceived(req: BlockReceivedRequest): Promise<void>
  /** Full report step 1: the buckets whose hash differs from the NameNode's view. */
  blockReportHashes(req: BlockReportHashesRequest): Promise<number[]>
  /** Full report step 2: the replicas of those buckets replace the NameNode's view of them. */
  blockReportBuckets(req: BlockReportBucketsRequest): Promise<void>
  /** A replica failed its checksum: forget it, delete it, re-replicate the block. */
  reportBadBlock(req: BadBlockRequest): Promise<void>
  listDatanodes(): Promise<DatanodeInfo[]>
  /** Starts draining a DataNode: its replicas are copied elsewhere, then it is DECOMMISSIONED. */
  decommissionDatanode(datanodeUuid: string): Promise<void>
  /**
   * A block access token for `user` on one block (`src/common/block-token.ts`); undefined while
   * the cluster does not use tokens (setting `blockAccessTokens`).
   */
  blockToken(user: string, blockId: number, mode: BlockAccessMode): Promise<string | undefined>
  /** The keys DataNodes verify tokens with; undefined while the cluster does not use tokens. */
  blockKeys(): Promise<BlockKey[] | undefined>
  /**
   * Leader housekeeping: marks DataNodes without a heartbeat for `datanodeDeadAfterMs` DEAD,
   * queues REPLICATE commands for blocks with fewer live replicas than their file's replication,
   * DELETE commands for excess ones, and finishes decommissioning.
   */
  checkReplication(nowMs?: number): Promise<ReplicationReport>

  /** Replaces the groups of `user` in the `user_groups` table (the platform fills it). */
  setUserGroups(user: string, groups: readonly string[]): Promise<void>
  /** Folds pending quota deltas into the quota rows; returns how many deltas were applied. */
  applyQuotaUpdates(): Promise<number>
}
