/**
 * @module
 * The subtree-lock protocol (DESIGN §4, HopsFS §2.5): a short transaction marks the subtree root
 * with the owning NameNode's id and records the operation in `subtree_ops`; any other operation
 * resolving a path through the mark waits and retries while the owner's heartbeat is fresh; the
 * work then runs in many small transactions; a last transaction clears the mark. A mark whose
 * owner stopped heart-beating is ignored, so a client's retry on another NameNode takes over.
 */
import { FsError } from '../../common/fs-error.js'
import type { HdfsPath } from '../../common/hdfs-path.js'
import { FsAction } from '../../common/permission.js'
import type { InodeRow } from './inode-row.js'
import type { Op, TxnRunner } from './op.js'
import { logChange } from './changelog.js'
import { isNamenodeAlive, lockInodes, resolvePath } from './path-resolver.js'
import type { ResolvedPath } from './path-resolver.js'
import { checkPermission } from './permission-checker.js'
import type { PermissionCheck } from './permission-checker.js'
import { TxnRestart } from './txn-restart.js'

export type SubtreeOpKind = 'DELETE' | 'SET_PERMISSION' | 'SET_OWNER' | 'QUOTA'

export interface MarkedSubtree {
  readonly resolved: ResolvedPath
  readonly root: InodeRow
}

/**
 * Marks the subtree at `path` for `kind` after checking `permission`; undefined when nothing is
 * at `path`.
 * @throws TxnRestart while another live NameNode works inside or above the subtree
 */
export async function markSubtree(
  op: Op,
  path: HdfsPath,
  kind: SubtreeOpKind,
  permission: PermissionCheck = { parentAccess: FsAction.WRITE },
): Promise<MarkedSubtree | undefined> {
  const resolved = await resolvePath(op, path)
  const root = resolved.target
  if (root === undefined) return undefined
  await checkPermission(op, resolved, permission)
  const locks = [{ row: root, depth: resolved.depth, exclusive: true }]
  if (resolved.parent !== undefined)
    locks.push({ row: resolved.parent, depth: resolved.depth - 1, exclusive: true })
  await lockInodes(op, locks, [resolved])
  await refuseBusySubtree(op, path.path)
  await op.txn.run('UPDATE inodes SET subtree_owner = ?, subtree_time = ? WHERE id = ?', [
    op.env.namenodeId,
    op.now,
    root.id,
  ])
  await op.txn.run('DELETE FROM subtree_ops WHERE inode_id = ?', [root.id])
  await op.txn.run(
    'INSERT INTO subtree_ops (inode_id, path, namenode_id, op, started_at) VALUES (?, ?, ?, ?, ?)',
    [root.id, path.path, op.env.namenodeId, kind, op.now],
  )
  root.subtree_owner = op.env.namenodeId
  return { resolved, root }
}

/** Clears the mark on `rootId` (if it still exists) and forgets stale records below `path`. */
export async function unmarkSubtree(op: Op, rootId: number, path: string): Promise<void> {
  await op.txn.run('UPDATE inodes SET subtree_owner = NULL, subtree_time = NULL WHERE id = ?', [
    rootId,
  ])
  await op.txn.run('DELETE FROM subtree_ops WHERE inode_id = ?', [rootId])
  await op.txn.run('DELETE FROM subtree_ops WHERE path > ? AND path < ?', [
    path === '/' ? '/' : path + '/',
    path === '/' ? '0' : path + '0',
  ])
}

/**
 * Refuses (retriably) when a live NameNode runs a subtree operation strictly below `path`
 * (marks on `path` and above are seen by path resolution).
 */
export async function refuseBusySubtree(op: Op, path: string): Promise<void> {
  const prefix = path === '/' ? '/' : path + '/'
  const rows = await op.txn.all<{ namenode_id: number; path: string; inode_id: number }>(
    'SELECT namenode_id, path, inode_id FROM subtree_ops WHERE path > ? AND path < ?',
    [prefix, path === '/' ? '0' : path + '0'], // '0' sorts right after '/'
  )
  for (const row of rows) {
    if (
      row.path.startsWith(prefix) &&
      row.inode_id !== op.subtreeRootId &&
      (await isNamenodeAlive(op, row.namenode_id))
    ) {
      throw new TxnRestart(`${path} contains a running subtree operation at ${row.path}`, 20)
    }
  }
}

/**
 * Waits until every transaction that was already inside the subtree when it was marked has
 * finished: each of them holds a lock on the directory it changes, so taking and releasing a
 * lock on every directory, batch by batch, lets them drain (HopsFS "quiesce"). Writers that
 * come later re-validate their path after locking and see the mark. Nothing to do on
 * single-writer databases.
 */
export async function quiesceSubtree(
  runBatch: (dirIds: readonly number[]) => Promise<void>,
  listDirs: () => Promise<readonly number[]>,
  batchSize: number,
): Promise<void> {
  const dirs = await listDirs()
  for (let i = 0; i < dirs.length; i += batchSize) await runBatch(dirs.slice(i, i + batchSize))
}

/**
 * Locks the subtree root for the final step and checks the mark is still this engine's.
 * @throws FsError FILE_NOT_FOUND when the root is gone, RETRIABLE when another NameNode took
 *   the operation over (this one looked dead)
 */
export async function requireOwnMark(op: Op, rootId: number, path: string): Promise<void> {
  const row = await op.txn.get<{ subtree_owner: number | null }>(
    `SELECT subtree_owner FROM inodes WHERE id = ?${op.env.profile.forUpdate}`,
    [rootId],
  )
  if (row === undefined) throw new FsError('FILE_NOT_FOUND', `File does not exist: ${path}`)
  if (row.subtree_owner !== op.env.namenodeId) {
    throw new FsError('RETRIABLE', `${path}: the subtree operation was taken over; retry`)
  }
}

/**
 * Runs the rest of a marked subtree operation: `steps` (its batch transactions), then one last
 * transaction that checks the mark is still this engine's, runs `last`, logs the change and
 * clears the mark. On any failure the mark is cleared (best effort) and the error rethrown.
 */
export async function finishMarked(
  run: TxnRunner,
  path: HdfsPath,
  marked: MarkedSubtree,
  steps: () => Promise<void>,
  last: (op: Op) => Promise<void>,
): Promise<void> {
  const rootId = marked.root.id
  const options = { readOnly: false, subtreeRootId: rootId }
  try {
    await steps()
    await run(async (op) => {
      await requireOwnMark(op, rootId, path.path)
      await last(op)
      await logChange(op, 'UPDATE', marked.root)
      await unmarkSubtree(op, rootId, path.path)
    }, options)
  } catch (err) {
    await run((op) => unmarkSubtree(op, rootId, path.path), options).catch(() => undefined)
    throw err
  }
}
