/**
 * listStatus: one page of a directory, sorted by name in byte order, after `startAfter`.
 * Needs READ and EXECUTE on the directory (HDFS `getListing`). A file lists as itself.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import type { DirPage } from '../../meta-engine.js'
import { INODE_COLUMNS, isDirectory, toInodeRecord } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import type { Op } from '../op.js'
import { resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'

/** Default and largest page sizes. */
export const DEFAULT_LIST_LIMIT = 1000
export const MAX_LIST_LIMIT = 100_000

const PAGE_SQL = `SELECT ${INODE_COLUMNS} FROM inodes WHERE parent_id = ? AND name > ? ORDER BY name LIMIT ?`

export async function listStatus(
  op: Op,
  path: HdfsPath,
  startAfter: string,
  limit: number,
): Promise<DirPage> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Invalid listing limit ${limit}: must be 1..${MAX_LIST_LIMIT}`,
    )
  }
  const resolved = await resolvePath(op, path)
  const target = resolved.target
  if (target === undefined) throw new FsError('FILE_NOT_FOUND', `File ${path.path} does not exist.`)
  if (!isDirectory(target)) {
    await checkPermission(op, resolved, {})
    return { entries: startAfter === '' ? [toInodeRecord(target)] : [], remaining: 0 }
  }
  await checkPermission(op, resolved, { access: FsAction.READ_EXECUTE })
  const rows = await op.txn.all<InodeRow>(PAGE_SQL, [target.id, startAfter, limit + 1])
  const more = rows.length > limit
  if (more) rows.pop()
  return {
    entries: rows.map(toInodeRecord),
    // Exact on the first page (from the directory's entry count), else a bound that is > 0.
    remaining: more ? Math.max(1, target.children_num - rows.length) : 0,
  }
}
