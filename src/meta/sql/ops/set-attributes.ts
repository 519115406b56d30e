/**
 * setPermission, setOwner, setTimes, setReplication (HDFS `FSDirAttrOp`): one row update each,
 * under an exclusive lock on the target.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import { logChange } from '../changelog.js'
import { isFile } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import type { Op } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import type { ResolvedPath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import type { PermissionCheck } from '../permission-checker.js'
import { chargeQuota, quotaDirs } from '../quota.js'
import { MAX_REPLICATION } from './create.js'

/** Resolves, checks and exclusively locks the target of an attribute change. */
export async function lockTarget(
  op: Op,
  path: HdfsPath,
  check: PermissionCheck,
): Promise<{ resolved: ResolvedPath; target: InodeRow }> {
  const resolved = await resolvePath(op, path)
  // Permission first: a caller who may not traverse the path must not learn whether it exists.
  await checkPermission(op, resolved, check)
  const target = resolved.requireTarget()
  await lockInodes(op, [{ row: target, depth: resolved.depth, exclusive: true }], [resolved])
  return { resolved, target }
}

export async function setPermission(op: Op, path: HdfsPath, permission: number): Promise<void> {
  const { target } = await lockTarget(op, path, { owner: true })
  await op.txn.run('UPDATE inodes SET permission = ? WHERE id = ?', [permission, target.id])
  await logChange(op, 'UPDATE', target)
}

export async function setOwner(
  op: Op,
  path: HdfsPath,
  owner: string | undefined,
  group: string | undefined,
): Promise<void> {
  if (owner === undefined && group === undefined) {
    throw new FsError('INVALID_ARGUMENT', 'Both owner and group are empty')
  }
  const { target } = await lockTarget(op, path, { owner: true })
  if (!op.user.isSuperuser) {
    if (owner !== undefined && owner !== target.owner) {
      throw new FsError(
        'ACCESS_DENIED',
        `User ${op.user.user} is not a super user (non-super user cannot change owner).`,
      )
    }
    if (group !== undefined && !op.user.groups.has(group)) {
      throw new FsError('ACCESS_DENIED', `User ${op.user.user} does not belong to ${group}`)
    }
  }
  await op.txn.run('UPDATE inodes SET owner = ?, grp = ? WHERE id = ?', [
    owner ?? target.owner,
    group ?? target.grp,
    target.id,
  ])
  await logChange(op, 'UPDATE', target)
}

export async function setTimes(
  op: Op,
  path: HdfsPath,
  mtime: number,
  atime: number,
): Promise<void> {
  for (const t of [mtime, atime]) {
    if (!Number.isInteger(t) || t < -1)
      throw new FsError('INVALID_ARGUMENT', `Invalid time ${t}: must be -1 or a time in ms`)
  }
  const { target } = await lockTarget(op, path, { access: FsAction.WRITE })
  await op.txn.run('UPDATE inodes SET mtime = ?, atime = ? WHERE id = ?', [
    mtime === -1 ? target.mtime : mtime,
    atime === -1 ? target.atime : atime,
    target.id,
  ])
  await logChange(op, 'UPDATE', target)
}

export async function setReplication(
  op: Op,
  path: HdfsPath,
  replication: number,
): Promise<boolean> {
  validateReplication(replication)
  const { resolved, target } = await lockTarget(op, path, { access: FsAction.WRITE })
  if (!isFile(target)) return false
  const delta = target.length * (replication - target.replication)
  await chargeQuota(op, quotaDirs(resolved.inodes.slice(0, resolved.depth)), 0, delta, (row) =>
    prefixPath(path, resolved.inodes.indexOf(row)),
  )
  await op.txn.run('UPDATE inodes SET replication = ? WHERE id = ?', [replication, target.id])
  await logChange(op, 'UPDATE', target)
  return true
}

/** @throws FsError IO_ERROR outside 1..512 (HDFS `verifyReplication`) */
export function validateReplication(replication: number): void {
  if (!Number.isInteger(replication) || replication < 1 || replication > MAX_REPLICATION) {
    throw new FsError(
      'IO_ERROR',
      `Requested replication factor of ${replication} is out of range [1, ${MAX_REPLICATION}]`,
    )
  }
}
