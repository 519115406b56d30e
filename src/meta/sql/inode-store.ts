/**
 * @module
 * Writes of `inodes` rows shared by the operations.
 */
import { INODE_COLUMNS } from './inode-row.js'
import type { InodeRow } from './inode-row.js'
import type { Op } from './op.js'

const INSERT_SQL = `INSERT INTO inodes (${INODE_COLUMNS}) VALUES (${'?,'.repeat(21)}?)`

/** Inserts a new inode row (unique (parent_id, name) clashes surface as the driver's error). */
export async function insertInode(op: Op, row: InodeRow): Promise<void> {
  await op.txn.run(INSERT_SQL, [
    row.id,
    row.parent_id,
    row.name,
    row.type,
    row.symlink,
    row.owner,
    row.grp,
    row.permission,
    row.mtime,
    row.atime,
    row.length,
    row.replication,
    row.block_size,
    row.storage_policy,
    row.children_num,
    row.under_construction,
    row.client_name,
    row.inline,
    row.has_acl,
    row.has_quota,
    row.subtree_owner,
    row.subtree_time,
  ])
}

/** Records that a directory gained or lost entries: children count and modification time. */
export async function touchDirectory(op: Op, dir: InodeRow, childrenDelta: number): Promise<void> {
  dir.children_num += childrenDelta
  dir.mtime = op.now
  await op.txn.run('UPDATE inodes SET children_num = children_num + ?, mtime = ? WHERE id = ?', [
    childrenDelta,
    op.now,
    dir.id,
  ])
}

/** Builds a new row with defaults for everything not given. */
export function newInodeRow(
  fields: Pick<
    InodeRow,
    'id' | 'parent_id' | 'name' | 'type' | 'owner' | 'grp' | 'permission' | 'mtime'
  > &
    Partial<InodeRow>,
): InodeRow {
  return {
    symlink: null,
    atime: fields.mtime,
    length: 0,
    replication: 0,
    block_size: 0,
    storage_policy: 0,
    children_num: 0,
    under_construction: 0,
    client_name: null,
    inline: 0,
    has_acl: 0,
    has_quota: 0,
    subtree_owner: null,
    subtree_time: null,
    ...fields,
  }
}
