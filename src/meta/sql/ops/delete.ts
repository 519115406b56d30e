/**
 * delete (HDFS `FSDirDeleteOp`). A file, an empty directory or a small subtree goes in one
 * transaction. A larger subtree goes through the subtree protocol (`subtree-delete.ts`): the
 * caller sees `{ subtree: root }` and runs it in many small transactions.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction, hasAccess } from '../../../common/permission.js'
import { logChange } from '../changelog.js'
import { INODE_COLUMNS, isDirectory } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import { touchDirectory } from '../inode-store.js'
import type { Op } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import type { ResolvedPath } from '../path-resolver.js'
import { checkPermission, readAccessAcls } from '../permission-checker.js'
import { invalidateReplicas } from './datanodes.js'
import { chargeQuota, quotaDirs } from '../quota.js'
import { refuseBusySubtree } from '../subtree-lock.js'
import { lockSubtreeDirectories, subtreeIds, subtreeUsage } from '../subtree-usage.js'

/** What a delete transaction decided. */
export type DeleteOutcome = { readonly deleted: boolean } | { readonly subtree: ResolvedPath }

export async function deleteOp(op: Op, path: HdfsPath, recursive: boolean): Promise<DeleteOutcome> {
  const resolved = await resolvePath(op, path)
  const target = resolved.target
  if (target === undefined) return { deleted: false }
  if (resolved.depth === 0) return { deleted: false } // HDFS refuses to delete the root
  if (isDirectory(target) && target.children_num > 0 && !recursive) {
    throw new FsError('DIRECTORY_NOT_EMPTY', `\`${path.path} is non empty': Directory is not empty`)
  }
  await checkPermission(op, resolved, { parentAccess: FsAction.WRITE })
  const parent = resolved.parent!
  await lockInodes(
    op,
    [
      { row: parent, depth: resolved.depth - 1, exclusive: true },
      { row: target, depth: resolved.depth, exclusive: true },
    ],
    [resolved],
  )
  let ids: { id: number; type: number; depth: number }[] = [
    { id: target.id, type: target.type, depth: 0 },
  ]
  if (isDirectory(target) && target.children_num > 0) {
    const limit = op.env.settings.subtreeBatchSize
    ids = await subtreeIds(op, target.id, limit + 1)
    if (ids.length > limit) return { subtree: resolved }
    await refuseBusySubtree(op, path.path)
    // Writers deeper inside lock only their own parent: lock every directory, then list again.
    await lockSubtreeDirectories(op, target.id, true)
    ids = await subtreeIds(op, target.id, limit + 1)
    if (ids.length > limit) return { subtree: resolved }
    await checkSubtreeAccess(op, resolved, ids)
  }
  const usage = await subtreeUsage(op, target)
  await chargeQuota(
    op,
    quotaDirs(resolved.inodes.slice(0, resolved.depth)),
    -usage.inodes,
    -usage.space,
    (row) => prefixPath(path, resolved.inodes.indexOf(row)),
  )
  await deleteDeepestFirst(op, ids)
  await touchDirectory(op, parent, -1)
  await logChange(op, 'DELETE', target)
  op.env.hints.delete(path.path) // hints below it fail validation and age out
  return { deleted: true }
}

/**
 * Deletes inodes deepest first, so no statement ever leaves a child without its parent. Where
 * foreign keys are checked row by row (InnoDB) one statement holds one depth only.
 */
export async function deleteDeepestFirst(
  op: Op,
  rows: readonly { id: number; depth: number }[],
): Promise<void> {
  const ordered = [...rows].sort((a, b) => b.depth - a.depth)
  const oneDepth = op.env.profile.foreignKeysPerRow
  for (let i = 0; i < ordered.length;) {
    let end = Math.min(i + 500, ordered.length)
    if (oneDepth) {
      const depth = ordered[i]!.depth
      for (let j = i + 1; j < end; j++) {
        if (ordered[j]!.depth !== depth) end = j
      }
    }
    const ids = ordered.slice(i, end).map((r) => r.id)
    await invalidateReplicas(op, 'inode_id', ids)
    await op.txn.run(`DELETE FROM inodes WHERE id IN (${'?,'.repeat(ids.length - 1)}?)`, ids)
    i = end
  }
}

/**
 * Recursive delete needs READ, WRITE and EXECUTE on every directory below the target (HDFS
 * `subAccess = ALL`), checked before anything is deleted.
 */
export async function checkSubtreeAccess(
  op: Op,
  resolved: ResolvedPath,
  ids: readonly { id: number; type: number }[],
): Promise<void> {
  if (op.user.isSuperuser) return
  const dirIds = ids.filter((r) => r.type === 2).map((r) => r.id)
  for (let i = 0; i < dirIds.length; i += 500) {
    const chunk = dirIds.slice(i, i + 500)
    const dirs = await op.txn.all<InodeRow>(
      `SELECT ${INODE_COLUMNS} FROM inodes WHERE id IN (${'?,'.repeat(chunk.length - 1)}?)`,
      chunk,
    )
    const acls = await readAccessAcls(op, dirs)
    for (const dir of dirs) {
      if (
        !hasAccess(
          { owner: dir.owner, group: dir.grp, permission: dir.permission, acl: acls.get(dir.id) },
          op.user,
          FsAction.ALL,
        )
      ) {
        throw new FsError(
          'ACCESS_DENIED',
          `Permission denied: user=${op.user.user}, access=rwx, inode="${dir.name}" (below ${resolved.path.path}):${dir.owner}:${dir.grp}`,
        )
      }
    }
  }
}
