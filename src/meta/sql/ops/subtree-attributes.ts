/**
 * Recursive chmod / chown as a subtree operation (DESIGN §4, HopsFS SET_PERMISSION_STO /
 * SET_OWNER_STO): mark the root, check that the caller may change every inode (owner of each,
 * or superuser; a new group must be one of the caller's), then update the tree top-down, a
 * batch of directories' children per transaction, and finally the root while clearing the mark.
 * Other operations wait (retriably) at the mark meanwhile.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { TYPE_DIRECTORY } from '../inode-row.js'
import type { Op, TxnRunner } from '../op.js'
import { finishMarked, markSubtree } from '../subtree-lock.js'

/** What to change; undefined fields stay. */
export interface AttributeChange {
  readonly permission?: number
  readonly owner?: string
  readonly group?: string
}

const NOT_OWNED_SQL = `WITH RECURSIVE t (id, type, owner) AS (
    SELECT id, type, owner FROM inodes WHERE id = ?
    UNION ALL
    SELECT c.id, c.type, c.owner FROM inodes c JOIN t ON c.parent_id = t.id WHERE t.type = ${TYPE_DIRECTORY}
  ) SELECT COUNT(*) AS n FROM t WHERE owner <> ?`

/** Directories whose children one transaction updates. */
const DIRS_PER_BATCH = 200

export async function setAttributesRecursive(
  run: TxnRunner,
  path: HdfsPath,
  change: AttributeChange,
): Promise<void> {
  const marked = await run(
    async (op) => {
      checkChangeAllowed(op, change)
      return markSubtree(
        op,
        path,
        change.permission !== undefined ? 'SET_PERMISSION' : 'SET_OWNER',
        {},
      )
    },
    { readOnly: false },
  )
  if (marked === undefined) throw new FsError('FILE_NOT_FOUND', `File does not exist: ${path.path}`)
  const rootId = marked.root.id
  await finishMarked(
    run,
    path,
    marked,
    async () => {
      await run(
        async (op) => {
          if (op.user.isSuperuser) return
          const row = await op.txn.get<{ n: number | string }>(NOT_OWNED_SQL, [
            rootId,
            op.user.user,
          ])
          if (Number(row?.n ?? 0) > 0) {
            throw new FsError(
              'ACCESS_DENIED',
              `Permission denied. user=${op.user.user} is not the owner of every inode under ${path.path}`,
            )
          }
        },
        { readOnly: true, subtreeRootId: rootId },
      )
      let level = [rootId]
      while (level.length > 0) {
        const next: number[] = []
        for (let i = 0; i < level.length; i += DIRS_PER_BATCH) {
          const dirs = level.slice(i, i + DIRS_PER_BATCH)
          next.push(
            ...(await run((op) => updateChildren(op, dirs, change), {
              readOnly: false,
              subtreeRootId: rootId,
            })),
          )
        }
        level = next
      }
    },
    (op) => applyChange(op, 'id = ?', [rootId], change),
  )
}

/** HDFS: only the superuser changes owners; the owner may set a group it belongs to. */
function checkChangeAllowed(op: Op, change: AttributeChange): void {
  if (op.user.isSuperuser) return
  if (change.owner !== undefined) {
    throw new FsError(
      'ACCESS_DENIED',
      `User ${op.user.user} is not a super user (non-super user cannot change owner).`,
    )
  }
  if (change.group !== undefined && !op.user.groups.has(change.group)) {
    throw new FsError('ACCESS_DENIED', `User ${op.user.user} does not belong to ${change.group}`)
  }
}

/** Updates the children of `dirIds`; returns the child directories. */
async function updateChildren(
  op: Op,
  dirIds: readonly number[],
  change: AttributeChange,
): Promise<number[]> {
  const placeholders = `${'?,'.repeat(dirIds.length - 1)}?`
  await applyChange(op, `parent_id IN (${placeholders})`, dirIds, change)
  const subdirs = await op.txn.all<{ id: number }>(
    `SELECT id FROM inodes WHERE parent_id IN (${placeholders}) AND type = ${TYPE_DIRECTORY}`,
    dirIds,
  )
  return subdirs.map((r) => r.id)
}

async function applyChange(
  op: Op,
  where: string,
  params: readonly unknown[],
  change: AttributeChange,
): Promise<void> {
  const sets: string[] = []
  const values: unknown[] = []
  if (change.permission !== undefined) {
    sets.push('permission = ?')
    values.push(change.permission)
  }
  if (change.owner !== undefined) {
    sets.push('owner = ?')
    values.push(change.owner)
  }
  if (change.group !== undefined) {
    sets.push('grp = ?')
    values.push(change.group)
  }
  await op.txn.run(`UPDATE inodes SET ${sets.join(', ')} WHERE ${where}`, [...values, ...params])
}
