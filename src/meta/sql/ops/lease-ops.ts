/** Lease operations (HDFS `LeaseManager`, `FSNamesystem.recoverLease`). */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { LeaseInfo } from '../../meta-engine.js'
import type { Op, TxnRunner } from '../op.js'

export function renewLease(_op: Op, _clientName: string): Promise<void> {
  return Promise.reject(new FsError('UNSUPPORTED', 'renewLease is not implemented yet'))
}
export function recoverLease(_op: Op, _path: HdfsPath, _clientName: string): Promise<boolean> {
  return Promise.reject(new FsError('UNSUPPORTED', 'recoverLease is not implemented yet'))
}
export function getLease(_op: Op, _clientName: string): Promise<LeaseInfo | undefined> {
  return Promise.reject(new FsError('UNSUPPORTED', 'getLease is not implemented yet'))
}
/** Closes the files of holders past the hard limit; returns how many files. */
export function recoverExpiredLeases(_run: TxnRunner, _nowMs: number): Promise<number> {
  return Promise.resolve(0)
}
