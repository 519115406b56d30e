/**
 * concat (HDFS `FSDirConcatOp`): moves all blocks of the sources, in order, to the end of the
 * target and deletes the sources, in one transaction. The rules are HDFS's `verifyTargetFile` and
 * `verifySrcFiles` (Hadoop 2.7/3.x, HopsFS):
 * - at least one source; the target is an existing, closed file whose data is in blocks
 *   (HopsFS refuses a target stored in the database);
 * - each source is an existing file in the target's directory, not the target, closed, with at
 *   least one block (an empty or inline source is "invalid or empty"), and a preferred block size
 *   not greater than the target's; no source twice;
 * - WRITE on the target; READ on each source and WRITE on its parent (it is deleted).
 * Blocks need not be full (HDFS dropped that rule); replication may differ: the space quota
 * moves by each source's length × (target replication − source replication), and the namespace
 * quota drops by the number of sources.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import { logChange } from '../changelog.js'
import { isFile } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import { touchDirectory } from '../inode-store.js'
import type { Op } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import type { InodeLock, ResolvedPath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { chargeQuota, quotaDirs } from '../quota.js'
import { lockedFile, syncFileLength } from './blocks.js'

const illegal = (message: string): FsError => new FsError('INVALID_ARGUMENT', message)

function requireFile(resolved: ResolvedPath, path: HdfsPath): InodeRow {
  const row = resolved.requireTarget()
  if (!isFile(row)) throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${path.path}`)
  return row
}

/**
 * @throws FsError INVALID_ARGUMENT (the rules above), FILE_NOT_FOUND, ACCESS_DENIED, IO_ERROR
 *   (inline target), DS_QUOTA_EXCEEDED (a source with lower replication than the target)
 */
export async function concat(
  op: Op,
  target: HdfsPath,
  sources: readonly HdfsPath[],
): Promise<void> {
  if (sources.length === 0) throw illegal('No sources given')
  const targetResolved = await resolvePath(op, target)
  await checkPermission(op, targetResolved, { access: FsAction.WRITE })
  const trg = requireFile(targetResolved, target)
  if (trg.inline === 1) {
    throw new FsError(
      'IO_ERROR',
      `The target file ${target.path} is stored in the database. Can not concat to a file stored in the database`,
    )
  }
  if (trg.under_construction === 1)
    throw illegal(`concat: target file ${target.path} is under construction`)
  const parent = targetResolved.parent!
  const srcs: { path: HdfsPath; resolved: ResolvedPath; row: InodeRow }[] = []
  for (const path of sources) {
    const resolved = await resolvePath(op, path)
    await checkPermission(op, resolved, { access: FsAction.READ, parentAccess: FsAction.WRITE })
    const row = requireFile(resolved, path)
    srcs.push({ path, resolved, row })
  }
  const depth = targetResolved.depth
  await lockInodes(
    op,
    [
      { row: parent, depth: depth - 1, exclusive: true },
      { row: trg, depth, exclusive: true },
      ...srcs.map((s): InodeLock => ({ row: s.row, depth: s.resolved.depth, exclusive: true })),
    ],
    [targetResolved, ...srcs.map((s) => s.resolved)],
  )
  if (trg.under_construction === 1)
    throw illegal(`concat: target file ${target.path} is under construction`)
  const seen = new Set<number>()
  const blockCounts = new Map<number, number>()
  for (const { path, row } of srcs) {
    if (row.parent_id !== trg.parent_id) {
      throw illegal(
        `Source file ${path.path} is not in the same directory with the target ${target.path}`,
      )
    }
    if (row.id === trg.id) {
      throw illegal(
        `concat: the src file ${path.path} is the same with the target file ${target.path}`,
      )
    }
    const count = await blockCount(op, row.id)
    if (row.under_construction === 1 || count === 0)
      throw illegal(`concat: source file ${path.path} is invalid or empty or underConstruction`)
    if (row.block_size > trg.block_size) {
      throw illegal(
        `concat: source file ${path.path} has preferred block size ${row.block_size} which is greater than the target file's preferred block size ${trg.block_size}`,
      )
    }
    seen.add(row.id)
    blockCounts.set(row.id, count)
  }
  if (seen.size < srcs.length)
    throw illegal('concat: at least two of the source files are the same')

  const quotas = quotaDirs(targetResolved.inodes.slice(0, depth))
  const spaceDelta = srcs.reduce(
    (sum, s) => sum + s.row.length * (trg.replication - s.row.replication),
    0,
  )
  await chargeQuota(op, quotas, -srcs.length, spaceDelta, (dir) =>
    prefixPath(target, targetResolved.inodes.indexOf(dir)),
  )
  let nextIdx = await blockCount(op, trg.id)
  for (const { row } of srcs) {
    await op.txn.run('UPDATE blocks SET inode_id = ?, idx = idx + ? WHERE inode_id = ?', [
      trg.id,
      nextIdx,
      row.id,
    ])
    nextIdx += blockCounts.get(row.id)!
  }
  // The sources' bytes now count as the target's: move them over before the length is synced,
  // so that syncFileLength charges only the replication difference charged above.
  const t = lockedFile(target, targetResolved, trg)
  const movedBytes = srcs.reduce((sum, s) => sum + s.row.length, 0)
  t.file.length += movedBytes
  await op.txn.run('UPDATE inodes SET length = ? WHERE id = ?', [t.file.length, trg.id])
  await syncFileLength(op, t)
  for (const { path, row } of srcs) {
    await op.txn.run('DELETE FROM inodes WHERE id = ?', [row.id])
    await logChange(op, 'DELETE', row)
    op.env.hints.delete(path.path)
  }
  await touchDirectory(op, parent, -srcs.length)
  t.file.mtime = op.now
  await op.txn.run('UPDATE inodes SET mtime = ? WHERE id = ?', [op.now, trg.id])
  await logChange(op, 'UPDATE', t.file)
}

async function blockCount(op: Op, inodeId: number): Promise<number> {
  const row = await op.txn.get<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM blocks WHERE inode_id = ?',
    [inodeId],
  )
  return Number(row?.n ?? 0)
}
