/**
 * @module
 * The `inodes` row as stored, and its mapping to the {@link InodeRecord} clients see.
 */
import type { InodeRecord, InodeType } from '../meta-engine.js'

/** Root inode id; its parent_id is NULL and its name ''. */
export const ROOT_ID = 1

export const TYPE_FILE = 1
export const TYPE_DIRECTORY = 2
export const TYPE_SYMLINK = 3

/** A row of `inodes`, column for column. Flags are 0/1 integers (portable across dialects). */
export interface InodeRow {
  id: number
  parent_id: number | null
  name: string
  type: number
  symlink: string | null
  owner: string
  grp: string
  permission: number
  mtime: number
  atime: number
  length: number
  replication: number
  block_size: number
  storage_policy: number
  children_num: number
  under_construction: number
  client_name: string | null
  inline: number
  has_acl: number
  has_quota: number
  subtree_owner: number | null
  subtree_time: number | null
}

/** Column list for every `SELECT` of whole inode rows. */
export const INODE_COLUMNS =
  'id, parent_id, name, type, symlink, owner, grp, permission, mtime, atime, length, replication, block_size, storage_policy, children_num, under_construction, client_name, inline, has_acl, has_quota, subtree_owner, subtree_time'

const TYPE_NAMES: Record<number, InodeType> = {
  [TYPE_FILE]: 'FILE',
  [TYPE_DIRECTORY]: 'DIRECTORY',
  [TYPE_SYMLINK]: 'SYMLINK',
}

export function isDirectory(row: InodeRow): boolean {
  return row.type === TYPE_DIRECTORY
}

export function isFile(row: InodeRow): boolean {
  return row.type === TYPE_FILE
}

export function toInodeRecord(row: InodeRow): InodeRecord {
  return {
    inodeId: row.id,
    parentId: row.parent_id ?? 0,
    name: row.name,
    type: TYPE_NAMES[row.type] ?? 'FILE',
    symlink: row.symlink ?? undefined,
    owner: row.owner,
    group: row.grp,
    permission: row.permission,
    modificationTime: row.mtime,
    accessTime: row.atime,
    length: row.length,
    replication: row.replication,
    blockSize: row.block_size,
    childrenNum: row.children_num,
    storagePolicy: row.storage_policy,
    underConstruction: row.under_construction === 1,
    clientName: row.client_name ?? undefined,
    inline: row.inline === 1,
    hasAcl: row.has_acl === 1,
    hasQuota: row.has_quota === 1,
  }
}

/** Builds a row from the column values of a `SELECT ${INODE_COLUMNS}` in array mode. */
export function inodeRowFromValues(v: readonly unknown[]): InodeRow {
  return {
    id: v[0] as number,
    parent_id: v[1] as number | null,
    name: v[2] as string,
    type: v[3] as number,
    symlink: v[4] as string | null,
    owner: v[5] as string,
    grp: v[6] as string,
    permission: v[7] as number,
    mtime: v[8] as number,
    atime: v[9] as number,
    length: v[10] as number,
    replication: v[11] as number,
    block_size: v[12] as number,
    storage_policy: v[13] as number,
    children_num: v[14] as number,
    under_construction: v[15] as number,
    client_name: v[16] as string | null,
    inline: v[17] as number,
    has_acl: v[18] as number,
    has_quota: v[19] as number,
    subtree_owner: v[20] as number | null,
    subtree_time: v[21] as number | null,
  }
}
