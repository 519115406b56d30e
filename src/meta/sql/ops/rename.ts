/**
 * rename and rename2 (HDFS `FSDirRenameOp`). Moving a directory is one row update: its children
 * point at its id. Locks: exclusive on both parents, the source and an overwritten destination;
 * when a directory moves, shared on the destination's ancestors too, so two crossing renames
 * cannot build a cycle.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { childOf, isSameOrDescendant, prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import { logChange } from '../changelog.js'
import { isDirectory } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import { touchDirectory } from '../inode-store.js'
import type { Op } from '../op.js'
import { invalidateReplicas } from './datanodes.js'
import { lockInodes, readChild, resolvePath } from '../path-resolver.js'
import { refuseBusySubtree } from '../subtree-lock.js'
import type { InodeLock, ResolvedPath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { chargeQuota, quotaDirs } from '../quota.js'
import { lockSubtreeDirectories, subtreeUsage } from '../subtree-usage.js'
import { TxnRestart } from '../txn-restart.js'

export interface RenameMode {
  /** HDFS `rename`: answer false instead of throwing for the usual failures. */
  readonly legacy: boolean
  readonly overwrite: boolean
}

/** Returns false only in legacy mode. */
export async function rename(
  op: Op,
  srcPath: HdfsPath,
  dstPathIn: HdfsPath,
  mode: RenameMode,
): Promise<boolean> {
  const fail = (
    code: 'FILE_NOT_FOUND' | 'FILE_EXISTS' | 'IO_ERROR' | 'PARENT_NOT_DIRECTORY',
    message: string,
  ): false => {
    if (mode.legacy) return false
    throw new FsError(code, message)
  }
  const src = await resolvePath(op, srcPath)
  const source = src.target
  if (source === undefined)
    return fail('FILE_NOT_FOUND', `rename source ${srcPath.path} is not found.`)
  if (src.depth === 0) return fail('IO_ERROR', 'rename source cannot be the root')
  let dstPath = dstPathIn
  let dst = await resolvePath(op, dstPath)
  if (
    mode.legacy &&
    dst.target !== undefined &&
    isDirectory(dst.target) &&
    dstPath.path !== srcPath.path
  ) {
    // Old rename moves the source into an existing directory.
    dstPath = childOf(dstPath, src.name)
    dst = await resolvePath(op, dstPath)
  }
  if (dstPath.path === srcPath.path) {
    if (mode.legacy) return true
    throw new FsError(
      'FILE_EXISTS',
      `The source ${srcPath.path} and destination ${dstPath.path} are the same`,
    )
  }
  if (isSameOrDescendant(srcPath.path, dstPath.path)) {
    throw new FsError(
      'IO_ERROR',
      `Rename destination ${dstPath.path} is a directory or file under source ${srcPath.path}`,
    )
  }
  if (dst.depth === 0) return fail('IO_ERROR', 'rename destination cannot be the root')
  if (dst.inodes.length < dst.depth) {
    const blocker = dst.inodes[dst.inodes.length - 1]!
    if (!isDirectory(blocker))
      return fail(
        'PARENT_NOT_DIRECTORY',
        `rename destination parent ${prefixPath(dstPath, dst.inodes.length - 1)} is a file.`,
      )
    return fail(
      'FILE_NOT_FOUND',
      `rename destination parent ${prefixPath(dstPath, dst.depth - 1)} not found.`,
    )
  }
  const dstParent = dst.parent!
  if (!isDirectory(dstParent)) {
    return fail(
      'PARENT_NOT_DIRECTORY',
      `rename destination parent ${prefixPath(dstPath, dst.depth - 1)} is a file.`,
    )
  }
  const overwritten = dst.target
  if (overwritten !== undefined) {
    if (mode.legacy) return false
    if (!mode.overwrite)
      throw new FsError('FILE_EXISTS', `rename destination ${dstPath.path} already exists`)
    if (isDirectory(overwritten) !== isDirectory(source)) {
      throw new FsError(
        'IO_ERROR',
        isDirectory(source)
          ? `Source ${srcPath.path} is a directory but destination ${dstPath.path} is a file`
          : `Source ${srcPath.path} is a file but destination ${dstPath.path} is a directory`,
      )
    }
    if (isDirectory(overwritten) && overwritten.children_num > 0) {
      throw new FsError('IO_ERROR', `rename destination directory is not empty: ${dstPath.path}`)
    }
  }
  await checkPermission(op, src, { parentAccess: FsAction.WRITE })
  await checkPermission(op, dst, {
    ancestorAccess: FsAction.WRITE,
    ...(overwritten ? { parentAccess: FsAction.WRITE } : {}),
  })

  const srcParent = src.parent!
  const locks: InodeLock[] = [
    { row: srcParent, depth: src.depth - 1, exclusive: true },
    { row: source, depth: src.depth, exclusive: true },
    { row: dstParent, depth: dst.depth - 1, exclusive: true },
  ]
  if (overwritten !== undefined) locks.push({ row: overwritten, depth: dst.depth, exclusive: true })
  if (isDirectory(source)) {
    for (let i = 0; i < dst.depth - 1; i++)
      locks.push({ row: dst.inodes[i]!, depth: i, exclusive: false })
  }
  await lockInodes(op, locks, [src, dst])
  if (isDirectory(source)) await refuseBusySubtree(op, srcPath.path)
  if (overwritten === undefined && !op.env.profile.singleWriter) {
    if ((await readChild(op, dstParent.id, dst.name)) !== undefined)
      throw new TxnRestart('destination appeared')
  }
  if (overwritten !== undefined && isDirectory(overwritten) && overwritten.children_num > 0) {
    // Checked again under the lock: an entry may have been created in it meanwhile.
    throw new FsError('IO_ERROR', `rename destination directory is not empty: ${dstPath.path}`)
  }

  await moveQuota(op, src, dst, source, overwritten)
  if (overwritten !== undefined) {
    await invalidateReplicas(op, 'inode_id', [overwritten.id])
    await op.txn.run('DELETE FROM inodes WHERE id = ?', [overwritten.id])
    await logChange(op, 'DELETE', overwritten)
  }
  await op.txn.run('UPDATE inodes SET parent_id = ?, name = ? WHERE id = ?', [
    dstParent.id,
    dst.name,
    source.id,
  ])
  await touchDirectory(op, srcParent, -1)
  await touchDirectory(op, dstParent, overwritten !== undefined ? 0 : 1)
  await logChange(op, 'RENAME', { id: source.id, parent_id: dstParent.id, name: dst.name })

  const { hints } = op.env
  // Hints below the old path fail validation (parent links) and age out of the LRU: no scan.
  hints.delete(srcPath.path)
  hints.set(dstPath.path, source.id)
  return true
}

/** Moves the source's usage from the quotas above the source to those above the destination. */
async function moveQuota(
  op: Op,
  src: ResolvedPath,
  dst: ResolvedPath,
  source: InodeRow,
  overwritten: InodeRow | undefined,
): Promise<void> {
  const srcDirs = quotaDirs(src.inodes.slice(0, src.depth))
  const dstDirs = quotaDirs(dst.inodes.slice(0, dst.depth))
  const srcIds = new Set(srcDirs.map((r) => r.id))
  const dstIds = new Set(dstDirs.map((r) => r.id))
  const leaving = srcDirs.filter((r) => !dstIds.has(r.id))
  const entering = dstDirs.filter((r) => !srcIds.has(r.id))
  const pathOf = (chain: ResolvedPath) => (row: InodeRow) =>
    prefixPath(
      chain.path,
      chain.inodes.findIndex((r) => r.id === row.id),
    )
  if (overwritten !== undefined && dstDirs.length > 0) {
    const gone = await subtreeUsage(op, overwritten)
    await chargeQuota(op, dstDirs, -gone.inodes, -gone.space, pathOf(dst))
  }
  if (leaving.length === 0 && entering.length === 0) return
  // Writers deeper inside would charge the quotas of the old chain: hold them off while moving.
  if (isDirectory(source)) await lockSubtreeDirectories(op, source.id, false)
  const usage = await subtreeUsage(op, source)
  await chargeQuota(op, entering, usage.inodes, usage.space, pathOf(dst))
  await chargeQuota(op, leaving, -usage.inodes, -usage.space, pathOf(src))
}
