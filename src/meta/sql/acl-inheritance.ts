/**
 * @module
 * Default-ACL inheritance on create (HDFS `AclStorage.copyINodeDefaultAcl`): a new inode below a
 * directory with a default ACL gets an access ACL from it (and a directory also the default ACL);
 * the mode's group bits become the mask. Without a default ACL nothing changes.
 */
import type { InodeRow } from './inode-row.js'
import type { Op } from './op.js'

/**
 * Applies the parent's default ACL to `child`, right after the child's row was inserted: writes
 * the child's ACL entries and updates its permission and has_acl (in the row and in `child`).
 * Does nothing when the parent has no default ACL.
 */
export function inheritDefaultAcl(op: Op, parent: InodeRow, child: InodeRow): Promise<void> {
  if (parent.has_acl !== 1) return Promise.resolve()
  void op
  void child
  // Filled in with the ACL operations.
  return Promise.resolve()
}
