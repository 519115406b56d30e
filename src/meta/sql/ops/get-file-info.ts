/** getFileInfo: the target's status; only EXECUTE on the ancestors is required (HDFS). */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { InodeRecord } from '../../meta-engine.js'
import { toInodeRecord } from '../inode-row.js'
import type { Op } from '../op.js'
import { resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'

export async function getFileInfo(op: Op, path: HdfsPath): Promise<InodeRecord> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, {})
  const target = resolved.target
  if (target === undefined) throw new FsError('FILE_NOT_FOUND', `File does not exist: ${path.path}`)
  return toInodeRecord(target)
}
