/**
 * @module
 * What the SDK returns and accepts, in HDFS words (`FileStatus`, `ContentSummary`, `QuotaUsage`,
 * `AclStatus`, `FileChecksum`, `FsStatus`). Numbers are JavaScript numbers: exact up to 2^53
 * bytes, which is 8 PiB per file. Permissions are mode bits (`0o755`, sticky bit `0o1000`), parsed
 * from WebHDFS's octal strings.
 */
import type { AclEntry } from '../common/permission.js'

export type { AclEntry } from '../common/permission.js'

/** `FILE`, `DIRECTORY` or `SYMLINK`, as WebHDFS spells them. */
export type FileType = 'FILE' | 'DIRECTORY' | 'SYMLINK'

/** One WebHDFS `FileStatus` (HDFS `HdfsFileStatus`). */
export interface FileStatus {
  /** The child's name in a listing; `''` for the path itself (GETFILESTATUS). */
  readonly pathSuffix: string
  readonly type: FileType
  /** Bytes; 0 for directories. */
  readonly length: number
  readonly owner: string
  readonly group: string
  /** Mode bits including the sticky bit, e.g. `0o755`. */
  readonly permission: number
  /** Milliseconds since the epoch. */
  readonly accessTime: number
  /** Milliseconds since the epoch. */
  readonly modificationTime: number
  /** Bytes; 0 for directories. */
  readonly blockSize: number
  /** 0 for directories. */
  readonly replication: number
  /** The target, for symlinks. */
  readonly symlink?: string | undefined
  readonly fileId?: number | undefined
  readonly childrenNum?: number | undefined
  readonly storagePolicy?: number | undefined
  /** True when the inode has an extended ACL (`aclBit`); false when the server omits it. */
  readonly aclBit: boolean
  readonly encBit: boolean
  readonly ecBit: boolean
}

/** Quota and usage of one storage type (`typeQuota.DISK` …). */
export interface StorageTypeQuota {
  readonly consumed: number
  readonly quota: number
}

/** GETCONTENTSUMMARY (HDFS `ContentSummary`). Quotas are -1 when not set. */
export interface ContentSummary {
  /** Directories in the subtree, the directory itself included. */
  readonly directoryCount: number
  readonly fileCount: number
  /** Bytes of file data (one replica). */
  readonly length: number
  /** Namespace quota (files + directories), -1 when none. */
  readonly quota: number
  /** Bytes consumed with all replicas. */
  readonly spaceConsumed: number
  /** Storage space quota in bytes, -1 when none. */
  readonly spaceQuota: number
  readonly typeQuota?: Readonly<Record<string, StorageTypeQuota>> | undefined
}

/** GETQUOTAUSAGE (HDFS `QuotaUsage`). Quotas are -1 when not set. */
export interface QuotaUsage {
  readonly fileAndDirectoryCount: number
  readonly quota: number
  readonly spaceConsumed: number
  readonly spaceQuota: number
  readonly typeQuota?: Readonly<Record<string, StorageTypeQuota>> | undefined
}

/**
 * GETACLSTATUS (HDFS `AclStatus`). `entries` are the extended entries only, as HDFS returns them:
 * named users, the owning group and named groups of the access scope (the mask lives in the group
 * bits of `permission`), then every default entry. Empty for a file without an ACL.
 */
export interface AclStatus {
  readonly entries: readonly AclEntry[]
  readonly owner: string
  readonly group: string
  /** Mode bits; with an extended ACL the group bits are the mask. */
  readonly permission: number
  readonly stickyBit: boolean
}

/** GETFILECHECKSUM (HDFS `FileChecksum`). */
export interface FileChecksum {
  /** E.g. `MD5-of-0MD5-of-512CRC32C`. */
  readonly algorithm: string
  /** Hex of the serialized checksum. */
  readonly bytes: string
  /** Length of the serialized checksum in bytes (28 for MD5MD5CRC). */
  readonly length: number
}

/** GETSTATUS (HDFS `FsStatus`): cluster capacity in bytes. */
export interface FsStatus {
  readonly capacity: number
  readonly used: number
  readonly remaining: number
}

/** How an xattr value travels on the wire (`encoding` of GETXATTRS). */
export type XAttrEncoding = 'TEXT' | 'HEX' | 'BASE64'

/** SETXATTR `flag`: create only, replace only, or (both, the default) either. */
export type XAttrSetFlag = 'CREATE' | 'REPLACE'

/** Options of {@link FileSystem.create}. Omitted values take the server's defaults. */
export interface CreateOptions {
  /** Replace an existing file. Default `false`. */
  readonly overwrite?: boolean
  /** Default: the cluster's (`dfs.replication`). */
  readonly replication?: number
  /** Bytes. Default: the cluster's (`dfs.blocksize`). */
  readonly blockSize?: number
  /** Mode bits. Default 0o644 (WebHDFS applies no umask). */
  readonly permission?: number
  /** Create missing parents. Default `true`. */
  readonly createParent?: boolean
  /** Bytes per request-body write buffer (`buffersize`, passed to the server). */
  readonly bufferSize?: number
}

/** Options of {@link FileSystem.open}. */
export interface OpenOptions {
  /** First byte to read. Default 0. */
  readonly offset?: number
  /** Bytes to read. Default: to the end of the file. */
  readonly length?: number
  readonly bufferSize?: number
}

/** Options of {@link FileSystem.setQuota}. Omitted: leave unchanged; -1: clear. */
export interface SetQuotaOptions {
  /** Maximum number of files and directories in the subtree, the directory itself included. */
  readonly namespaceQuota?: number | bigint
  /** Maximum bytes, all replicas counted. */
  readonly storagespaceQuota?: number | bigint
}
