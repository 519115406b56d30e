/** Extended attributes (HDFS `FSDirXAttrOp`). */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { XAttr, XAttrSetFlag } from '../../meta-engine.js'
import type { Op } from '../op.js'

export function setXAttr(
  _op: Op,
  _path: HdfsPath,
  _xattr: XAttr,
  _flags: readonly XAttrSetFlag[],
): Promise<void> {
  return Promise.reject(new FsError('UNSUPPORTED', 'setXAttr is not implemented yet'))
}
export function getXAttrs(
  _op: Op,
  _path: HdfsPath,
  _names: readonly string[] | undefined,
): Promise<XAttr[]> {
  return Promise.reject(new FsError('UNSUPPORTED', 'getXAttrs is not implemented yet'))
}
export function listXAttrs(_op: Op, _path: HdfsPath): Promise<string[]> {
  return Promise.reject(new FsError('UNSUPPORTED', 'listXAttrs is not implemented yet'))
}
export function removeXAttr(_op: Op, _path: HdfsPath, _name: string): Promise<void> {
  return Promise.reject(new FsError('UNSUPPORTED', 'removeXAttr is not implemented yet'))
}
