/** append (HDFS `FSDirAppendOp`): reopens a closed file under construction for a client. */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { AppendResult } from '../../meta-engine.js'
import type { Op } from '../op.js'

export function append(_op: Op, _path: HdfsPath, _clientName: string): Promise<AppendResult> {
  return Promise.reject(new FsError('UNSUPPORTED', 'append is not implemented yet'))
}
