/** concat (HDFS `FSDirConcatOp`): moves the sources' blocks to the end of the target. */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { Op } from '../op.js'

export function concat(_op: Op, _target: HdfsPath, _sources: readonly HdfsPath[]): Promise<void> {
  return Promise.reject(new FsError('UNSUPPORTED', 'concat is not implemented yet'))
}
