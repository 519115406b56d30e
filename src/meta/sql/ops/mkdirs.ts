/**
 * mkdirs (HDFS `FSDirMkdirOp`): creates the directory and any missing parents. New parents get
 * the requested mode plus u+wx, the target the requested mode; both after the umask. Groups are
 * inherited from the parent (BSD semantics, as HDFS).
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import { inheritDefaultAcl } from '../acl-inheritance.js'
import { logChange } from '../changelog.js'
import { TYPE_DIRECTORY, isDirectory } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import { insertInode, newInodeRow, touchDirectory } from '../inode-store.js'
import type { Op } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import type { ResolvedPath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { chargeQuota, quotaDirs } from '../quota.js'

export async function mkdirs(op: Op, path: HdfsPath, mode: number): Promise<boolean> {
  const resolved = await resolvePath(op, path)
  const target = resolved.target
  if (target !== undefined) {
    await checkPermission(op, resolved, {})
    if (!isDirectory(target))
      throw new FsError('FILE_EXISTS', `Path is not a directory: ${path.path}`)
    return true
  }
  await checkPermission(op, resolved, { ancestorAccess: FsAction.WRITE })
  await createMissingDirectories(op, resolved, resolved.depth, mode)
  return true
}

/**
 * Creates the missing components of `resolved` up to depth `upTo` (inclusive) as directories,
 * appending the new rows to `resolved.inodes`. Intermediate directories get `mode | 0o300`.
 * Locks the deepest existing ancestor; charges quotas above it.
 * @throws FsError PARENT_NOT_DIRECTORY when a file lies in the way
 */
export async function createMissingDirectories(
  op: Op,
  resolved: ResolvedPath,
  upTo: number,
  mode: number,
): Promise<void> {
  const existing = resolved.inodes.length - 1 // depth of the deepest existing inode
  if (existing >= upTo) return
  const anchor = resolved.inodes[existing]!
  if (!isDirectory(anchor)) {
    throw new FsError(
      'PARENT_NOT_DIRECTORY',
      `Parent path is not a directory: ${prefixPath(resolved.path, existing)}`,
    )
  }
  await lockInodes(op, [{ row: anchor, depth: existing, exclusive: true }], [resolved])
  const newCount = upTo - existing
  await chargeQuota(op, quotaDirs(resolved.inodes), newCount, 0, (row) =>
    prefixPath(resolved.path, resolved.inodes.indexOf(row)),
  )
  let parent: InodeRow = anchor
  for (let depth = existing + 1; depth <= upTo; depth++) {
    const isLast = depth === upTo && upTo === resolved.depth
    const row = newInodeRow({
      id: op.env.inodeIds.take(),
      parent_id: parent.id,
      name: resolved.path.components[depth - 1]!,
      type: TYPE_DIRECTORY,
      owner: op.user.user,
      grp: parent.grp,
      permission: isLast ? mode : mode | 0o300,
      mtime: op.now,
      children_num: depth < upTo ? 1 : 0,
    })
    await insertInode(op, row)
    await inheritDefaultAcl(op, parent, row)
    await logChange(op, 'ADD', row)
    op.env.hints.set(prefixPath(resolved.path, depth), row.id)
    resolved.inodes.push(row)
    parent = row
  }
  await touchDirectory(op, anchor, 1)
}
