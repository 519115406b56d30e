/**
 * createSymlink (HDFS `FSDirSymlinkOp`): a SYMLINK inode holding its target, mode 0777.
 * Path resolution does not follow links: a link in the middle of a path is not a directory.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import { logChange } from '../changelog.js'
import { TYPE_SYMLINK } from '../inode-row.js'
import { insertInode, newInodeRow, touchDirectory } from '../inode-store.js'
import type { Op } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { chargeQuota, quotaDirs } from '../quota.js'
import { createMissingDirectories } from './mkdirs.js'

export async function createSymlink(
  op: Op,
  target: string,
  link: HdfsPath,
  createParent: boolean,
  dirMode: number,
): Promise<void> {
  if (target === '' || target.includes('\0'))
    throw new FsError('INVALID_ARGUMENT', `Invalid symlink target: '${target}'`)
  if (link.components.length === 0) throw new FsError('FILE_EXISTS', '/ already exists')
  const resolved = await resolvePath(op, link)
  if (resolved.exists) throw new FsError('FILE_EXISTS', `${link.path} already exists`)
  await checkPermission(op, resolved, { ancestorAccess: FsAction.WRITE })
  if (resolved.inodes.length < resolved.depth && createParent) {
    await createMissingDirectories(op, resolved, resolved.depth - 1, dirMode)
  }
  const parent = resolved.requireParentDirectory()
  await lockInodes(op, [{ row: parent, depth: resolved.depth - 1, exclusive: true }], [resolved])
  await chargeQuota(op, quotaDirs(resolved.inodes), 1, 0, (row) =>
    prefixPath(link, resolved.inodes.indexOf(row)),
  )
  const row = newInodeRow({
    id: op.env.inodeIds.take(),
    parent_id: parent.id,
    name: resolved.name,
    type: TYPE_SYMLINK,
    symlink: target,
    owner: op.user.user,
    grp: parent.grp,
    permission: 0o777,
    mtime: op.now,
  })
  await insertInode(op, row)
  await touchDirectory(op, parent, 1)
  await logChange(op, 'ADD', row)
  op.env.hints.set(link.path, row.id)
}
