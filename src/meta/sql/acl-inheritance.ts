/**
 * @module
 * Default-ACL inheritance on create (HDFS `AclStorage.copyINodeDefaultAcl`): a new inode below a
 * directory with a default ACL gets an access ACL from it (and a directory also the default ACL);
 * the mode's group bits become the mask. Without a default ACL nothing changes.
 *
 * One deliberate difference from HDFS: HDFS ignores the umask when the parent has a default ACL
 * (the unmasked create mode filters the copied entries). The engine applies the umask before the
 * operation runs, so here the umasked mode filters them: with the default umask 022, inherited
 * mask and other permissions lose `w`. Callers that want HDFS's result pass `umask: 0`.
 */
import { inheritedAcl } from '../../common/acl.js'
import { isDirectory, isFile } from './inode-row.js'
import type { InodeRow } from './inode-row.js'
import type { Op } from './op.js'
import { readAclFeature, writeStoredAcl } from './ops/acls.js'

/**
 * Applies the parent's default ACL to `child`, right after the child's row was inserted: writes
 * the child's ACL entries and updates its permission and has_acl (in the row and in `child`).
 * Does nothing when the parent has no default ACL. The caller logs the child's ADD afterwards,
 * so no separate UPDATE is logged.
 */
export async function inheritDefaultAcl(op: Op, parent: InodeRow, child: InodeRow): Promise<void> {
  if (parent.has_acl !== 1) return
  if (!isFile(child) && !isDirectory(child)) return // HDFS: symlinks get no ACL
  const defaults = await readAclFeature(op, parent, 'DEFAULT')
  const stored = inheritedAcl(defaults, child.permission, isDirectory(child))
  if (stored === undefined) return
  await writeStoredAcl(op, child, stored, false)
}
