/** Block allocation records (HDFS `FSDirWriteFileOp.addBlock`, `completeFile`, …). */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type {
  AbandonBlockRequest,
  AddBlockRequest,
  BlockRecord,
  CompleteRequest,
  UpdateBlockRequest,
} from '../../meta-engine.js'
import type { Op } from '../op.js'

const todo = (name: string) =>
  Promise.reject(new FsError('UNSUPPORTED', `${name} is not implemented yet`))

export function addBlock(_op: Op, _path: HdfsPath, _req: AddBlockRequest): Promise<BlockRecord> {
  return todo('addBlock')
}
export function complete(_op: Op, _path: HdfsPath, _req: CompleteRequest): Promise<boolean> {
  return todo('complete')
}
export function abandonBlock(_op: Op, _path: HdfsPath, _req: AbandonBlockRequest): Promise<void> {
  return todo('abandonBlock')
}
export function updateBlock(_op: Op, _req: UpdateBlockRequest): Promise<BlockRecord> {
  return todo('updateBlock')
}
export function getBlocks(_op: Op, _path: HdfsPath): Promise<BlockRecord[]> {
  return todo('getBlocks')
}
