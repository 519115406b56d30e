/** POSIX ACLs (HDFS `FSDirAclOp`, `AclTransformation`). */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { AclEntry } from '../../../common/permission.js'
import type { AclStatus } from '../../meta-engine.js'
import type { Op } from '../op.js'

const todo = (name: string) =>
  Promise.reject(new FsError('UNSUPPORTED', `${name} is not implemented yet`))

export function modifyAclEntries(
  _op: Op,
  _path: HdfsPath,
  _entries: readonly AclEntry[],
): Promise<void> {
  return todo('modifyAclEntries')
}
export function removeAclEntries(
  _op: Op,
  _path: HdfsPath,
  _entries: readonly AclEntry[],
): Promise<void> {
  return todo('removeAclEntries')
}
export function removeDefaultAcl(_op: Op, _path: HdfsPath): Promise<void> {
  return todo('removeDefaultAcl')
}
export function removeAcl(_op: Op, _path: HdfsPath): Promise<void> {
  return todo('removeAcl')
}
export function setAcl(_op: Op, _path: HdfsPath, _entries: readonly AclEntry[]): Promise<void> {
  return todo('setAcl')
}
export function getAclStatus(_op: Op, _path: HdfsPath): Promise<AclStatus> {
  return todo('getAclStatus')
}
