/**
 * Recursive delete of a large subtree (DESIGN §4): mark the root, check access on every
 * directory, then delete bottom-up in transactions of at most `subtreeBatchSize` inodes, so the
 * tree stays valid at every step; a last transaction removes the root and the mark. Paths
 * through the marked root are refused (retriably) meanwhile, so readers never see a half-deleted
 * tree while its owner lives. If the owner dies, a retry (any NameNode) finds the mark stale,
 * takes it over and finishes the work.
 */
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { logChange } from '../changelog.js'
import { TYPE_DIRECTORY } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import { touchDirectory } from '../inode-store.js'
import type { Op, TxnRunner } from '../op.js'
import { invalidateReplicas } from './datanodes.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { FsAction } from '../../../common/permission.js'
import { chargeQuota, fileSpace, quotaDirs } from '../quota.js'
import { markSubtree, unmarkSubtree } from '../subtree-lock.js'
import { checkSubtreeAccess } from './delete.js'
import { FsError } from '../../../common/fs-error.js'

const DIRS_SQL = `WITH RECURSIVE t (id, type) AS (
    SELECT id, type FROM inodes WHERE id = ?
    UNION ALL
    SELECT c.id, c.type FROM inodes c JOIN t ON c.parent_id = t.id WHERE c.type = ${TYPE_DIRECTORY}
  ) SELECT id, type FROM t`

interface ChildRow {
  id: number
  type: number
  length: number
  replication: number
}

/** Hook for fault tests: called after every batch transaction with the inodes it deleted. */
export type SubtreeProgress = (deletedInBatch: number) => void | Promise<void>

export interface SubtreeDeleteHooks {
  readonly progress?: SubtreeProgress | undefined
  /**
   * Stores the outcome in the transaction that decides it (the retry cache), so a client that
   * retries after a crash between that commit and the answer gets the same answer.
   */
  readonly record?: ((op: Op, deleted: boolean) => Promise<void>) | undefined
}

export async function subtreeDelete(
  run: TxnRunner,
  path: HdfsPath,
  { progress, record }: SubtreeDeleteHooks = {},
): Promise<boolean> {
  // 1. Mark the root (and check WRITE on its parent, with the sticky bit).
  const marked = await run(
    async (op) => {
      const m = await markSubtree(op, path, 'DELETE')
      if (m === undefined) await record?.(op, false)
      return m
    },
    { readOnly: false },
  )
  if (marked === undefined) return false
  const rootId = marked.root.id
  const quotaAbove = quotaDirs(marked.resolved.inodes.slice(0, marked.resolved.depth))
  // 2. Check rwx on every directory before deleting anything (HDFS subAccess = ALL).
  await run(
    async (op) =>
      checkSubtreeAccess(
        op,
        marked.resolved,
        await op.txn.all<{ id: number; type: number }>(DIRS_SQL, [rootId]),
      ),
    {
      readOnly: true,
      subtreeRootId: rootId,
    },
  )
  // 3. Bottom-up, depth first: empty each directory in batches, then delete it.
  const stack: number[] = [rootId]
  while (stack.length > 0) {
    const dirId = stack[stack.length - 1]!
    const { subdirs, deleted, empty } = await run((op) => deleteFilesIn(op, dirId, quotaAbove), {
      readOnly: false,
      subtreeRootId: rootId,
    })
    if (deleted > 0) await progress?.(deleted)
    if (subdirs.length > 0) {
      stack.push(...subdirs)
      continue
    }
    if (!empty) continue // more files than one batch: go again
    if (dirId === rootId) break
    const removed = await run((op) => deleteEmptyDirectory(op, dirId, quotaAbove), {
      readOnly: false,
      subtreeRootId: rootId,
    })
    if (removed) {
      stack.pop()
      await progress?.(1)
    }
  }
  // 4. Remove the (now empty) root and the mark in one transaction.
  return run(
    async (op) => {
      const resolved = await resolvePath(op, path)
      const root = resolved.target
      if (root === undefined || root.id !== rootId) {
        await record?.(op, false)
        return false
      }
      await checkPermission(op, resolved, { parentAccess: FsAction.WRITE })
      const parent = resolved.parent!
      await lockInodes(
        op,
        [
          { row: parent, depth: resolved.depth - 1, exclusive: true },
          { row: root, depth: resolved.depth, exclusive: true },
        ],
        [resolved],
      )
      const left = await op.txn.get('SELECT id FROM inodes WHERE parent_id = ? LIMIT 1', [rootId])
      if (left !== undefined)
        throw new FsError('RETRIABLE', `${path.path}: entries appeared during delete; retry`)
      await unmarkSubtree(op, rootId, path.path)
      await chargeQuota(op, quotaDirs(resolved.inodes.slice(0, resolved.depth)), -1, 0, (row) =>
        prefixPath(path, resolved.inodes.indexOf(row)),
      )
      await op.txn.run('DELETE FROM inodes WHERE id = ?', [rootId])
      await touchDirectory(op, parent, -1)
      await logChange(op, 'DELETE', root)
      op.env.hints.delete(path.path)
      await record?.(op, true)
      return true
    },
    { readOnly: false, subtreeRootId: rootId },
  )
}

/** One batch: deletes up to `subtreeBatchSize` files (and symlinks) of a directory. */
async function deleteFilesIn(
  op: Op,
  dirId: number,
  quotaAbove: readonly InodeRow[],
): Promise<{ subdirs: number[]; deleted: number; empty: boolean }> {
  const dir = await op.txn.get<{ id: number }>(
    `SELECT id FROM inodes WHERE id = ?${op.env.profile.forUpdate}`,
    [dirId],
  )
  if (dir === undefined) return { subdirs: [], deleted: 0, empty: true }
  const limit = op.env.settings.subtreeBatchSize
  const children = await op.txn.all<ChildRow>(
    'SELECT id, type, length, replication FROM inodes WHERE parent_id = ? LIMIT ?',
    [dirId, limit],
  )
  const subdirs = children.filter((c) => c.type === TYPE_DIRECTORY).map((c) => c.id)
  const files = children.filter((c) => c.type !== TYPE_DIRECTORY)
  if (files.length > 0) {
    const ids = files.map((f) => f.id)
    await invalidateReplicas(op, 'inode_id', ids)
    await op.txn.run(`DELETE FROM inodes WHERE id IN (${'?,'.repeat(ids.length - 1)}?)`, ids)
    await op.txn.run('UPDATE inodes SET children_num = children_num - ? WHERE id = ?', [
      files.length,
      dirId,
    ])
    const space = files.reduce((sum, f) => sum + fileSpace(f), 0)
    await chargeQuota(op, quotaAbove, -files.length, -space, () => '')
    for (const f of files) await logChange(op, 'DELETE', { id: f.id, parent_id: dirId, name: null })
  }
  return { subdirs, deleted: files.length, empty: children.length === 0 }
}

/** Deletes a directory found empty under its lock; false when entries appeared meanwhile. */
async function deleteEmptyDirectory(
  op: Op,
  dirId: number,
  quotaAbove: readonly InodeRow[],
): Promise<boolean> {
  const { forUpdate } = op.env.profile
  const dir = await op.txn.get<{ parent_id: number }>(`SELECT parent_id FROM inodes WHERE id = ?`, [
    dirId,
  ])
  if (dir === undefined) return true
  await op.txn.get(`SELECT id FROM inodes WHERE id = ?${forUpdate}`, [dir.parent_id])
  await op.txn.get(`SELECT id FROM inodes WHERE id = ?${forUpdate}`, [dirId])
  const child = await op.txn.get('SELECT id FROM inodes WHERE parent_id = ? LIMIT 1', [dirId])
  if (child !== undefined) return false
  await op.txn.run('DELETE FROM inodes WHERE id = ?', [dirId])
  await op.txn.run('UPDATE inodes SET children_num = children_num - 1 WHERE id = ?', [
    dir.parent_id,
  ])
  await chargeQuota(op, quotaAbove, -1, 0, () => '')
  await logChange(op, 'DELETE', { id: dirId, parent_id: dir.parent_id, name: null })
  return true
}
