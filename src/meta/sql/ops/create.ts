/**
 * create (HDFS `FSDirWriteFileOp.startFile`): a new empty file under construction, leased to the
 * client. With `overwrite`, an existing file is replaced in the same transaction (its blocks go
 * with it); a file another client still holds a live lease on is refused.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import type { CreateRequest, InodeRecord } from '../../meta-engine.js'
import { inheritDefaultAcl } from '../acl-inheritance.js'
import { logChange } from '../changelog.js'
import { TYPE_FILE, isDirectory, isFile, toInodeRecord } from '../inode-row.js'
import { insertInode, newInodeRow, touchDirectory } from '../inode-store.js'
import { renewLeaseRow, checkLeaseHeldByOther } from '../leases.js'
import type { Op } from '../op.js'
import { invalidateReplicas } from './datanodes.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { chargeQuota, fileSpace, quotaDirs } from '../quota.js'
import { createMissingDirectories } from './mkdirs.js'
import { smallFileLimitOf, writeFileData } from '../small-files.js'

/** `dfs.replication.max`. */
export const MAX_REPLICATION = 512

export interface ValidatedCreate {
  readonly mode: number
  readonly dirMode: number
  readonly replication: number
  readonly blockSize: number
}

/**
 * Creates the file. With `inlineData`, the file is created closed with those bytes in
 * `file_data` (a small file: one transaction, no lease, no DataNode).
 */
export async function create(
  op: Op,
  path: HdfsPath,
  req: CreateRequest,
  v: ValidatedCreate,
  inlineData?: Uint8Array,
): Promise<InodeRecord> {
  if (path.components.length === 0)
    throw new FsError('FILE_EXISTS', '/ already exists as a directory')
  const resolved = await resolvePath(op, path)
  const existing = resolved.target
  if (existing !== undefined && isDirectory(existing)) {
    throw new FsError('FILE_EXISTS', `${path.path} already exists as a directory`)
  }
  if (existing !== undefined && req.overwrite !== true) {
    throw new FsError('FILE_EXISTS', `${path.path} for client ${req.clientName} already exists`)
  }
  await checkPermission(op, resolved, {
    ancestorAccess: FsAction.WRITE,
    ...(existing ? { parentAccess: FsAction.WRITE } : {}),
  })
  if (resolved.inodes.length < resolved.depth) {
    if (req.createParent === false) resolved.requireParentDirectory()
    await createMissingDirectories(op, resolved, resolved.depth - 1, v.dirMode)
  }
  const parent = resolved.requireParentDirectory()
  const parentDepth = resolved.depth - 1
  await lockInodes(
    op,
    [
      { row: parent, depth: parentDepth, exclusive: true },
      ...(existing ? [{ row: existing, depth: resolved.depth, exclusive: true }] : []),
    ],
    [resolved],
  )
  const quotas = quotaDirs(resolved.inodes.slice(0, resolved.depth))
  const pathOf = (row: { id: number }): string =>
    prefixPath(
      path,
      resolved.inodes.findIndex((r) => r.id === row.id),
    )
  if (existing !== undefined) {
    if (!isFile(existing)) throw new FsError('FILE_EXISTS', `${path.path} already exists`)
    await checkLeaseHeldByOther(op, existing, req.clientName, path.path)
    await invalidateReplicas(op, 'inode_id', [existing.id])
    await op.txn.run('DELETE FROM inodes WHERE id = ?', [existing.id])
    await logChange(op, 'DELETE', existing)
    await chargeQuota(op, quotas, -1, -fileSpace(existing), pathOf)
    resolved.inodes.pop()
  }
  if (inlineData !== undefined) {
    const limit = smallFileLimitOf(op, resolved.inodes)
    if (inlineData.length > limit) {
      throw new FsError(
        'IO_ERROR',
        `${path.path}: ${inlineData.length} bytes exceed the small-file limit of ${limit}`,
      )
    }
  }
  const inlineLength = inlineData?.length ?? 0
  await chargeQuota(op, quotas, 1, inlineLength * v.replication, pathOf)
  const row = newInodeRow({
    id: op.env.inodeIds.take(),
    parent_id: parent.id,
    name: resolved.name,
    type: TYPE_FILE,
    owner: op.user.user,
    grp: parent.grp,
    permission: v.mode,
    mtime: op.now,
    replication: v.replication,
    block_size: v.blockSize,
    under_construction: inlineData === undefined ? 1 : 0,
    client_name: inlineData === undefined ? req.clientName : null,
    inline: inlineData === undefined ? 0 : 1,
    length: inlineLength,
  })
  await insertInode(op, row)
  await inheritDefaultAcl(op, parent, row)
  if (inlineData === undefined) await renewLeaseRow(op, req.clientName)
  else await writeFileData(op, row.id, inlineData)
  await touchDirectory(op, parent, existing !== undefined ? 0 : 1)
  await logChange(op, 'ADD', row)
  op.env.hints.set(path.path, row.id)
  return toInodeRecord(row)
}
