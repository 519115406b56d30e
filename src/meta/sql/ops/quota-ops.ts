/**
 * getContentSummary, getQuotaUsage and setQuota (HDFS `FSDirStatAndListingOp`,
 * `FSDirAttrOp.setQuota`). Summaries are one recursive statement. setQuota on a populated
 * directory marks the subtree, waits for writers already inside to finish, counts the usage and
 * stores it with the quota, then clears the mark.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import type { ContentSummary, QuotaUsage, SetQuotaRequest } from '../../meta-engine.js'
import { isDirectory, TYPE_DIRECTORY } from '../inode-row.js'
import type { Op, TxnRunner } from '../op.js'
import { resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { readQuota } from '../quota.js'
import { finishMarked, markSubtree } from '../subtree-lock.js'
import { subtreeUsage } from '../subtree-usage.js'

export async function getContentSummary(op: Op, path: HdfsPath): Promise<ContentSummary> {
  const resolved = await resolvePath(op, path)
  const found = resolved.target
  const listable = found !== undefined && isDirectory(found)
  await checkPermission(op, resolved, listable ? { access: FsAction.READ_EXECUTE } : {})
  const target = resolved.requireTarget()
  const usage = await subtreeUsage(op, target)
  const quota = target.has_quota === 1 ? await readQuota(op, target.id) : undefined
  return {
    length: usage.length,
    fileCount: usage.files,
    directoryCount: usage.directories,
    quota: quota?.ns_quota ?? -1,
    spaceConsumed: usage.space,
    spaceQuota: quota?.ss_quota ?? -1,
  }
}

export async function getQuotaUsage(op: Op, path: HdfsPath): Promise<QuotaUsage> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, {})
  const target = resolved.requireTarget()
  const quota = target.has_quota === 1 ? await readQuota(op, target.id) : undefined
  if (quota !== undefined) {
    return {
      fileAndDirectoryCount: quota.ns_used,
      quota: quota.ns_quota,
      spaceConsumed: quota.ss_used,
      spaceQuota: quota.ss_quota,
    }
  }
  const usage = await subtreeUsage(op, target)
  return {
    fileAndDirectoryCount: usage.inodes,
    quota: -1,
    spaceConsumed: usage.space,
    spaceQuota: -1,
  }
}

function validateQuota(value: number | undefined, name: string): void {
  if (value === undefined || value === -1) return
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Illegal value for ${name}: ${value} (positive, or -1 to clear)`,
    )
  }
}

const DIR_IDS_SQL = `WITH RECURSIVE t (id) AS (
    SELECT id FROM inodes WHERE id = ?
    UNION ALL
    SELECT c.id FROM inodes c JOIN t ON c.parent_id = t.id WHERE c.type = ${TYPE_DIRECTORY}
  ) SELECT id FROM t`

/** setQuota: superuser only, directories only. */
export async function setQuota(
  run: TxnRunner,
  path: HdfsPath,
  req: SetQuotaRequest,
): Promise<void> {
  validateQuota(req.nsQuota, 'nsQuota')
  validateQuota(req.ssQuota, 'ssQuota')
  const marked = await run(
    async (op) => {
      if (!op.user.isSuperuser)
        throw new FsError(
          'ACCESS_DENIED',
          `Access denied for user ${op.user.user}. Superuser privilege is required`,
        )
      const resolved = await resolvePath(op, path)
      const target = resolved.requireTarget()
      if (!isDirectory(target))
        throw new FsError('NOT_A_DIRECTORY', `Cannot set quota on a file: ${path.path}`)
      return markSubtree(op, path, 'QUOTA', {})
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
      if (!(await run((op) => Promise.resolve(op.env.profile.singleWriter), { readOnly: true }))) {
        // Quiesce: lock every directory once, so writers that were already inside have finished.
        const dirIds = await run((op) => op.txn.all<{ id: number }>(DIR_IDS_SQL, [rootId]), {
          readOnly: true,
          subtreeRootId: rootId,
        })
        for (let i = 0; i < dirIds.length; i += 1000) {
          const ids = dirIds.slice(i, i + 1000).map((r) => r.id)
          await run(
            async (op) => {
              await op.txn.all(
                `SELECT id FROM inodes WHERE id IN (${'?,'.repeat(ids.length - 1)}?) ORDER BY id${op.env.profile.forShare}`,
                ids,
              )
            },
            { readOnly: false, subtreeRootId: rootId },
          )
        }
      }
    },
    async (op) => {
      const existing = await readQuota(op, rootId)
      const ns = req.nsQuota ?? existing?.ns_quota ?? -1
      const ss = req.ssQuota ?? existing?.ss_quota ?? -1
      await op.txn.run('DELETE FROM quota_updates WHERE inode_id = ?', [rootId])
      await op.txn.run('DELETE FROM quotas WHERE inode_id = ?', [rootId])
      if (ns === -1 && ss === -1) {
        await op.txn.run('UPDATE inodes SET has_quota = 0 WHERE id = ?', [rootId])
      } else {
        const usage = await subtreeUsage(op, marked.root)
        await op.txn.run(
          'INSERT INTO quotas (inode_id, ns_quota, ss_quota, ns_used, ss_used) VALUES (?, ?, ?, ?, ?)',
          [rootId, ns, ss, usage.inodes, usage.space],
        )
        await op.txn.run('UPDATE inodes SET has_quota = 1 WHERE id = ?', [rootId])
      }
    },
  )
}
