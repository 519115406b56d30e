/** The DataNode registry and the replica map (HDFS `DatanodeManager`, `BlockManager`). */
import { FsError } from '../../../common/fs-error.js'
import type { ReplicationReport } from '../../meta-engine.js'
import type {
  BadBlockRequest,
  BlockReceivedRequest,
  BlockReportBucketsRequest,
  BlockReportHashesRequest,
  DatanodeCommand,
  DatanodeInfo,
  DatanodeRegistration,
  HeartbeatRequest,
} from '../../../protocol/datanode-protocol.js'
import type { Op, TxnRunner } from '../op.js'

const todo = (name: string) =>
  Promise.reject(new FsError('UNSUPPORTED', `${name} is not implemented yet`))

export function registerDatanode(_op: Op, _reg: DatanodeRegistration): Promise<void> {
  return todo('registerDatanode')
}
export function heartbeat(_op: Op, _req: HeartbeatRequest): Promise<DatanodeCommand[]> {
  return todo('heartbeat')
}
export function blockReceived(_op: Op, _req: BlockReceivedRequest): Promise<void> {
  return todo('blockReceived')
}
export function blockReportHashes(_op: Op, _req: BlockReportHashesRequest): Promise<number[]> {
  return todo('blockReportHashes')
}
export function blockReportBuckets(_op: Op, _req: BlockReportBucketsRequest): Promise<void> {
  return todo('blockReportBuckets')
}
export function reportBadBlock(_op: Op, _req: BadBlockRequest): Promise<void> {
  return todo('reportBadBlock')
}
export function listDatanodes(_op: Op): Promise<DatanodeInfo[]> {
  return todo('listDatanodes')
}
export function decommissionDatanode(_op: Op, _uuid: string): Promise<void> {
  return todo('decommissionDatanode')
}
export function checkReplication(_run: TxnRunner, _nowMs: number): Promise<ReplicationReport> {
  return todo('checkReplication')
}
