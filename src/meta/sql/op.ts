/**
 * @module
 * What an operation function (`ops/*.ts`) receives: the transaction, the engine-wide environment
 * (dialect, settings, hint cache, id allocators) and the resolved caller.
 */
import type { UserInfo } from '../../common/permission.js'
import type { IdAllocator } from './id-allocator.js'
import type { InodeHintCache } from './inode-hint-cache.js'
import type { InodeRowCache } from './inode-row-cache.js'
import type { SqlDialectProfile, SqlTxn } from './sql-dialect.js'

/** Engine settings every NameNode shares (cluster-wide defaults). All durations in ms. */
export interface EngineSettings {
  /** The superuser's name (HDFS: the NameNode's user). Default 'hdfs'. */
  readonly superuser: string
  /** `dfs.permissions.superusergroup`, default 'supergroup'. */
  readonly supergroup: string
  /** `dfs.replication`, default 3. */
  readonly defaultReplication: number
  /** `dfs.blocksize`, default 128 MiB. */
  readonly defaultBlockSize: number
  /** `dfs.namenode.fs-limits.max-xattrs-per-inode`, default 32. */
  readonly maxXAttrsPerInode: number
  /** `dfs.namenode.fs-limits.max-xattr-size` (name + value bytes), default 16384. */
  readonly maxXAttrSize: number
  /** Lease soft limit: another client may recover the file after it (HDFS 60 s). */
  readonly leaseSoftLimitMs: number
  /** Lease hard limit: housekeeping closes the file after it (HDFS 20 min). */
  readonly leaseHardLimitMs: number
  /** A NameNode whose heartbeat is older than this is dead; its subtree marks are ignored. */
  readonly namenodeDeadAfterMs: number
  /** Inodes per transaction in subtree operations (HopsFS `dfs.dir.delete.batch.size`-like). */
  readonly subtreeBatchSize: number
  /** How long a successful mutation's outcome stays in `retry_cache`. Default 10 min. */
  readonly retryCacheTtlMs: number
  /** Files up to this many bytes live in the database (`file_data`); default 64 KiB. */
  readonly smallFileMaxBytes: number
  /** `dfs.namenode.replication.min`: replicas a block needs to be COMPLETE. Default 1. */
  readonly minReplication: number
  /** A DataNode without a heartbeat this long is DEAD (HDFS: 10.5 min). Default 30 s. */
  readonly datanodeDeadAfterMs: number
  /** A scheduled re-replication not confirmed in this time is scheduled again. Default 60 s. */
  readonly replicationPendingTimeoutMs: number
  /**
   * Safe mode (HDFS `dfsadmin -safemode`): the namespace is read-only, every client mutation
   * fails with SafeModeException; DataNodes keep reporting. Default false.
   */
  readonly safeMode: boolean
  /**
   * Housekeeping deletes changelog rows older than this, but none that a registered consumer
   * (`changelog_consumers`) has not acknowledged yet. Default 1 h.
   */
  readonly changelogRetentionMs: number
  /**
   * DataNodes serve and accept block bytes only with a block access token the NameNodes signed
   * (HDFS `dfs.block.access.token.enable`). Default false; secure mode turns it on.
   */
  readonly blockAccessTokens: boolean
  /** How long a block access token is valid. Default 10 min. */
  readonly blockTokenLifetimeMs: number
  /** A new token key every this often (keys verify a token lifetime longer). Default 1 h. */
  readonly blockKeyUpdateIntervalMs: number
}

export const DEFAULT_SETTINGS: EngineSettings = Object.freeze({
  superuser: 'hdfs',
  supergroup: 'supergroup',
  defaultReplication: 3,
  defaultBlockSize: 128 * 1024 * 1024,
  maxXAttrsPerInode: 32,
  maxXAttrSize: 16384,
  leaseSoftLimitMs: 60_000,
  leaseHardLimitMs: 20 * 60_000,
  namenodeDeadAfterMs: 10_000,
  subtreeBatchSize: 500,
  retryCacheTtlMs: 10 * 60_000,
  smallFileMaxBytes: 64 * 1024,
  minReplication: 1,
  datanodeDeadAfterMs: 30_000,
  replicationPendingTimeoutMs: 60_000,
  safeMode: false,
  changelogRetentionMs: 60 * 60_000,
  blockAccessTokens: false,
  blockTokenLifetimeMs: 10 * 60_000,
  blockKeyUpdateIntervalMs: 60 * 60_000,
})

/** Shared by every operation of one engine. */
export interface OpEnv {
  readonly profile: SqlDialectProfile
  readonly settings: EngineSettings
  readonly hints: InodeHintCache
  /** Whole rows between read-only units, where the dialect has a change epoch (SQLite). */
  readonly rowCache: InodeRowCache
  readonly inodeIds: IdAllocator
  readonly blockIds: IdAllocator
  readonly genStamps: IdAllocator
  readonly namenodeId: number
}

/** One operation's transaction and caller. */
export interface Op {
  readonly txn: SqlTxn
  readonly env: OpEnv
  readonly user: UserInfo
  /** Read-only units have no snapshot across statements (see `TxnOptions.readOnly`). */
  readonly readOnly: boolean
  /** Wall-clock time of this attempt, ms since the epoch. */
  readonly now: number
  /** Set by subtree workers: marks on this inode (theirs) do not block them. */
  readonly subtreeRootId?: number | undefined
}

/** Runs `fn` as one transaction with retries (the engine's `withTxn`), for multi-step drivers. */
export type TxnRunner = <T>(
  fn: (op: Op) => Promise<T>,
  options: { readOnly: boolean; subtreeRootId?: number },
) => Promise<T>
