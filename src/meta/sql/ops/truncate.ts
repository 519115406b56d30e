/** truncate (HDFS `FSDirTruncateOp`), the metadata side. */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { Op } from '../op.js'

export function truncate(
  _op: Op,
  _path: HdfsPath,
  _newLength: number,
  _clientName: string,
): Promise<boolean> {
  return Promise.reject(new FsError('UNSUPPORTED', 'truncate is not implemented yet'))
}
