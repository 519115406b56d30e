/**
 * Small files in the database (HopsFS "files in the DB"): a file whose whole content is at most
 * the small-file limit lives in `file_data`, written in the same transaction as its inode.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { CreateRequest, FileLocations, InodeRecord, StoragePolicy } from '../../meta-engine.js'
import type { Op } from '../op.js'
import type { ValidatedCreate } from './create.js'

const todo = (name: string) =>
  Promise.reject(new FsError('UNSUPPORTED', `${name} is not implemented yet`))

export function smallFileLimit(_op: Op, _path: HdfsPath): Promise<number> {
  return todo('smallFileLimit')
}
export function createInline(
  _op: Op,
  _path: HdfsPath,
  _req: Omit<CreateRequest, 'clientName'> & { readonly data: Uint8Array },
  _v: ValidatedCreate,
): Promise<InodeRecord> {
  return todo('createInline')
}
export function completeInline(
  _op: Op,
  _path: HdfsPath,
  _clientName: string,
  _data: Uint8Array,
): Promise<InodeRecord> {
  return todo('completeInline')
}
export function getBlockLocations(
  _op: Op,
  _path: HdfsPath,
  _offset: number,
  _length: number,
): Promise<FileLocations> {
  return todo('getBlockLocations')
}
export function setStoragePolicy(_op: Op, _path: HdfsPath, _policy: StoragePolicy): Promise<void> {
  return todo('setStoragePolicy')
}
export function getStoragePolicy(_op: Op, _path: HdfsPath): Promise<StoragePolicy> {
  return todo('getStoragePolicy')
}
