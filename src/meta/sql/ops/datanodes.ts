/**
 * The DataNode registry and the replica map (HDFS `DatanodeManager`, `BlockManager`): all in the
 * database, so any NameNode can serve any DataNode. Commands for a DataNode wait in
 * `datanode_commands` until its next heartbeat, whichever NameNode receives it.
 */
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
  ReportedBlock,
} from '../../../protocol/datanode-protocol.js'
import { bucketOf, replicaHash } from '../../../protocol/datanode-protocol.js'
import { FsError } from '../../../common/fs-error.js'
import type { Op, TxnRunner } from '../op.js'
import { BLOCK_COMMITTED, BLOCK_COMPLETE, BLOCK_UNDER_CONSTRUCTION } from '../block-state.js'

/** Replica state stored in `replicas.state`. */
const REPLICA_FINALIZED = 1

interface DatanodeRow {
  uuid: string
  http_address: string
  hostname: string
  capacity: number
  used: number
  remaining: number
  state: DatanodeInfo['state']
  last_heartbeat: number
}

const DATANODE_COLUMNS =
  'uuid, http_address, hostname, capacity, used, remaining, state, last_heartbeat'

function toDatanodeInfo(row: DatanodeRow): DatanodeInfo {
  return {
    datanodeUuid: row.uuid,
    httpAddress: row.http_address,
    hostname: row.hostname,
    capacityBytes: row.capacity,
    usedBytes: row.used,
    remainingBytes: row.remaining,
    lastHeartbeatMs: row.last_heartbeat,
    state: row.state,
  }
}

function validateUuid(uuid: unknown): asserts uuid is string {
  if (typeof uuid !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(uuid)) {
    throw new FsError('INVALID_ARGUMENT', `Invalid datanodeUuid: ${String(uuid)}`)
  }
}

export async function registerDatanode(op: Op, reg: DatanodeRegistration): Promise<void> {
  validateUuid(reg.datanodeUuid)
  if (typeof reg.httpAddress !== 'string' || !/^https?:\/\//.test(reg.httpAddress)) {
    throw new FsError('INVALID_ARGUMENT', `Invalid httpAddress: ${String(reg.httpAddress)}`)
  }
  // A DataNode that was being drained stays so across restarts; a dead one comes back NORMAL.
  await op.txn.run(
    `INSERT INTO datanodes (uuid, http_address, hostname, capacity, remaining, state, registered_at, last_heartbeat)
     VALUES (?, ?, ?, ?, ?, 'NORMAL', ?, ?)${op.env.profile.onConflict(
       'uuid',
       `http_address = excluded.http_address, hostname = excluded.hostname,
       capacity = excluded.capacity, last_heartbeat = excluded.last_heartbeat, registered_at = excluded.registered_at,
       state = CASE WHEN datanodes.state = 'DEAD' THEN 'NORMAL' ELSE datanodes.state END`,
     )}`,
    [
      reg.datanodeUuid,
      reg.httpAddress,
      reg.hostname ?? '',
      reg.capacityBytes ?? 0,
      reg.capacityBytes ?? 0,
      op.now,
      op.now,
    ],
  )
}

export async function heartbeat(op: Op, req: HeartbeatRequest): Promise<DatanodeCommand[]> {
  validateUuid(req.datanodeUuid)
  const row = await op.txn.get<{ state: string }>('SELECT state FROM datanodes WHERE uuid = ?', [
    req.datanodeUuid,
  ])
  if (row === undefined || row.state === 'DEAD') return [{ type: 'REGISTER' }]
  await op.txn.run(
    'UPDATE datanodes SET capacity = ?, used = ?, remaining = ?, failed_volumes = ?, xceivers = ?, last_heartbeat = ? WHERE uuid = ?',
    [
      req.capacityBytes,
      req.usedBytes,
      req.remainingBytes,
      req.failedVolumes,
      req.xceivers,
      op.now,
      req.datanodeUuid,
    ],
  )
  const queued = await op.txn.all<{ id: number; command: string }>(
    'SELECT id, command FROM datanode_commands WHERE datanode_uuid = ? ORDER BY id LIMIT 100',
    [req.datanodeUuid],
  )
  if (queued.length === 0) return []
  const ids = queued.map((q) => q.id)
  await op.txn.run(
    `DELETE FROM datanode_commands WHERE id IN (${'?,'.repeat(ids.length - 1)}?)`,
    ids,
  )
  return queued.map((q) => JSON.parse(q.command) as DatanodeCommand)
}

/** Queues a command for a DataNode's next heartbeat. */
export async function queueCommand(
  op: Op,
  datanodeUuid: string,
  command: DatanodeCommand,
): Promise<void> {
  await op.txn.run('INSERT INTO datanode_commands (datanode_uuid, command) VALUES (?, ?)', [
    datanodeUuid,
    JSON.stringify(command),
  ])
}

/**
 * Queues a DELETE, for each DataNode, of its replicas of the blocks of these inodes (`column:
 * 'inode_id'`) or of these blocks (`column: 'id'`): HDFS `BlockManager.removeBlock` adding them
 * to `invalidateBlocks`. Call it before the rows go: their `replicas` rows cascade away with them,
 * and nothing else would tell the DataNodes until their next full block report (6 h).
 */
export async function invalidateReplicas(
  op: Op,
  column: 'inode_id' | 'id',
  ids: readonly number[],
): Promise<void> {
  const byDatanode = new Map<string, ReportedBlock[]>()
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    const rows = await op.txn.all<{
      datanode_id: string
      id: number
      gen_stamp: number
      num_bytes: number
    }>(
      `SELECT r.datanode_id, b.id, b.gen_stamp, b.num_bytes FROM blocks b JOIN replicas r ON r.block_id = b.id
       WHERE b.${column} IN (${'?,'.repeat(chunk.length - 1)}?)`,
      chunk,
    )
    for (const r of rows) {
      let list = byDatanode.get(r.datanode_id)
      if (list === undefined) byDatanode.set(r.datanode_id, (list = []))
      list.push({ blockId: r.id, genStamp: r.gen_stamp, numBytes: r.num_bytes })
    }
  }
  for (const [uuid, blocks] of byDatanode) await queueCommand(op, uuid, { type: 'DELETE', blocks })
}

interface BlockState {
  id: number
  gen_stamp: number
  num_bytes: number
  state: number
}

async function readBlockStates(op: Op, ids: readonly number[]): Promise<Map<number, BlockState>> {
  const byId = new Map<number, BlockState>()
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500)
    const rows = await op.txn.all<BlockState>(
      `SELECT id, gen_stamp, num_bytes, state FROM blocks WHERE id IN (${'?,'.repeat(chunk.length - 1)}?)`,
      chunk,
    )
    for (const r of rows) byId.set(r.id, r)
  }
  return byId
}

/** A reported replica the NameNode should keep: known block, current genStamp, full length. */
function isValidReplica(block: BlockState | undefined, r: ReportedBlock): boolean {
  if (block === undefined || r.genStamp < block.gen_stamp) return false
  return block.state === BLOCK_UNDER_CONSTRUCTION || r.numBytes === block.num_bytes
}

/** Live finalized replicas of a block (on DataNodes that are not DEAD). */
export async function liveReplicaCount(op: Op, blockId: number): Promise<number> {
  const row = await op.txn.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM replicas r JOIN datanodes d ON d.uuid = r.datanode_id
     WHERE r.block_id = ? AND d.state <> 'DEAD'`,
    [blockId],
  )
  return Number(row?.n ?? 0)
}

/** Records a valid replica, and completes a committed block that now has enough of them. */
async function addReplica(op: Op, datanodeUuid: string, block: BlockState): Promise<void> {
  await op.txn.run(
    `INSERT INTO replicas (block_id, datanode_id, state) VALUES (?, ?, ?)${op.env.profile.onConflict('block_id, datanode_id')}`,
    [block.id, datanodeUuid, REPLICA_FINALIZED],
  )
  await op.txn.run('DELETE FROM pending_replications WHERE block_id = ?', [block.id])
  if (
    block.state === BLOCK_COMMITTED &&
    (await liveReplicaCount(op, block.id)) >= op.env.settings.minReplication
  ) {
    await op.txn.run('UPDATE blocks SET state = ? WHERE id = ?', [BLOCK_COMPLETE, block.id])
  }
}

export async function blockReceived(op: Op, req: BlockReceivedRequest): Promise<void> {
  validateUuid(req.datanodeUuid)
  const received = req.received ?? []
  const states = await readBlockStates(
    op,
    received.map((r) => r.blockId),
  )
  const invalid: ReportedBlock[] = []
  for (const r of received) {
    const block = states.get(r.blockId)
    if (isValidReplica(block, r)) await addReplica(op, req.datanodeUuid, block!)
    else invalid.push(r)
  }
  if (invalid.length > 0)
    await queueCommand(op, req.datanodeUuid, { type: 'DELETE', blocks: invalid })
  for (const blockId of req.deleted ?? []) {
    await op.txn.run('DELETE FROM replicas WHERE block_id = ? AND datanode_id = ?', [
      blockId,
      req.datanodeUuid,
    ])
  }
}

/** The NameNode's view of a DataNode's replicas, as the DataNode would report them. */
async function replicasOf(op: Op, datanodeUuid: string): Promise<ReportedBlock[]> {
  const rows = await op.txn.all<{ id: number; gen_stamp: number; num_bytes: number }>(
    `SELECT b.id, b.gen_stamp, b.num_bytes FROM replicas r JOIN blocks b ON b.id = r.block_id
     WHERE r.datanode_id = ?`,
    [datanodeUuid],
  )
  return rows.map((r) => ({ blockId: r.id, genStamp: r.gen_stamp, numBytes: r.num_bytes }))
}

export async function blockReportHashes(op: Op, req: BlockReportHashesRequest): Promise<number[]> {
  validateUuid(req.datanodeUuid)
  const ours = new Map<number, number>()
  for (const r of await replicasOf(op, req.datanodeUuid)) {
    const b = bucketOf(r.blockId)
    ours.set(b, ((ours.get(b) ?? 0) ^ replicaHash(r)) >>> 0)
  }
  const theirs = new Map(
    Object.entries(req.hashes ?? {}).map(([k, v]) => [Number(k), Number(v) >>> 0]),
  )
  const mismatched = new Set<number>()
  for (const [b, h] of ours) if (theirs.get(b) !== h) mismatched.add(b)
  for (const [b, h] of theirs) if (ours.get(b) !== h) mismatched.add(b)
  return [...mismatched].sort((a, b) => a - b)
}

export async function blockReportBuckets(op: Op, req: BlockReportBucketsRequest): Promise<void> {
  validateUuid(req.datanodeUuid)
  const buckets = new Set(Object.keys(req.buckets ?? {}).map(Number))
  const reported = Object.values(req.buckets ?? {}).flat()
  const states = await readBlockStates(
    op,
    reported.map((r) => r.blockId),
  )
  const keep = new Set<number>()
  const invalid: ReportedBlock[] = []
  for (const r of reported) {
    const block = states.get(r.blockId)
    if (isValidReplica(block, r)) {
      keep.add(r.blockId)
      await addReplica(op, req.datanodeUuid, block!)
    } else invalid.push(r)
  }
  if (invalid.length > 0)
    await queueCommand(op, req.datanodeUuid, { type: 'DELETE', blocks: invalid })
  // Replicas the NameNode believed in, in these buckets, that the DataNode no longer has.
  for (const r of await replicasOf(op, req.datanodeUuid)) {
    if (buckets.has(bucketOf(r.blockId)) && !keep.has(r.blockId)) {
      await op.txn.run('DELETE FROM replicas WHERE block_id = ? AND datanode_id = ?', [
        r.blockId,
        req.datanodeUuid,
      ])
    }
  }
}

export async function reportBadBlock(op: Op, req: BadBlockRequest): Promise<void> {
  validateUuid(req.datanodeUuid)
  await op.txn.run('DELETE FROM replicas WHERE block_id = ? AND datanode_id = ?', [
    req.block.blockId,
    req.datanodeUuid,
  ])
  await op.txn.run('DELETE FROM pending_replications WHERE block_id = ?', [req.block.blockId])
  await queueCommand(op, req.datanodeUuid, { type: 'DELETE', blocks: [req.block] })
}

export async function listDatanodes(op: Op): Promise<DatanodeInfo[]> {
  const rows = await op.txn.all<DatanodeRow>(
    `SELECT ${DATANODE_COLUMNS} FROM datanodes ORDER BY uuid`,
  )
  return rows.map(toDatanodeInfo)
}

export async function decommissionDatanode(op: Op, uuid: string): Promise<void> {
  validateUuid(uuid)
  const res = await op.txn.run(
    `UPDATE datanodes SET state = 'DECOMMISSIONING' WHERE uuid = ? AND state IN ('NORMAL', 'DECOMMISSIONING')`,
    [uuid],
  )
  if (res.changes === 0)
    throw new FsError('IO_ERROR', `DataNode ${uuid} is unknown, dead or already decommissioned`)
}

interface ShortBlock {
  id: number
  gen_stamp: number
  num_bytes: number
  replication: number
  live: number | string
}

/** Blocks (not under construction) with fewer replicas on NORMAL DataNodes than wanted, or more. */
const MISREPLICATED_SQL = `SELECT b.id, b.gen_stamp, b.num_bytes, i.replication,
    COUNT(CASE WHEN d.state = 'NORMAL' THEN 1 END) AS live
  FROM blocks b JOIN inodes i ON i.id = b.inode_id
  LEFT JOIN replicas r ON r.block_id = b.id
  LEFT JOIN datanodes d ON d.uuid = r.datanode_id
  WHERE b.state <> ${BLOCK_UNDER_CONSTRUCTION}
  GROUP BY b.id, b.gen_stamp, b.num_bytes, i.replication
  HAVING COUNT(CASE WHEN d.state = 'NORMAL' THEN 1 END) <> i.replication
  LIMIT ?`

/** Blocks examined per replication check (HopsFS slices this work; one batch per round here). */
const REPLICATION_BATCH = 1000

export async function checkReplication(run: TxnRunner, nowMs: number): Promise<ReplicationReport> {
  return run(
    async (op) => {
      const { datanodeDeadAfterMs, replicationPendingTimeoutMs } = op.env.settings
      // 1. DataNodes whose heartbeats stopped are dead; their replicas no longer count.
      const dead = await op.txn.all<{ uuid: string }>(
        `SELECT uuid FROM datanodes WHERE state <> 'DEAD' AND last_heartbeat < ?`,
        [nowMs - datanodeDeadAfterMs],
      )
      for (const { uuid } of dead) {
        await op.txn.run(`UPDATE datanodes SET state = 'DEAD' WHERE uuid = ?`, [uuid])
        await op.txn.run('DELETE FROM replicas WHERE datanode_id = ?', [uuid])
        await op.txn.run('DELETE FROM datanode_commands WHERE datanode_uuid = ?', [uuid])
      }
      await op.txn.run('DELETE FROM pending_replications WHERE scheduled_at < ?', [
        nowMs - replicationPendingTimeoutMs,
      ])
      const nodes = (await listDatanodes(op)).filter((n) => n.state === 'NORMAL')
      // 2. Blocks short of (or over) their replication.
      const blocks = await op.txn.all<ShortBlock>(MISREPLICATED_SQL, [REPLICATION_BATCH])
      let under = 0
      let scheduled = 0
      let excess = 0
      for (const b of blocks) {
        const live = Number(b.live)
        const holders = await op.txn.all<{ datanode_id: string; state: string }>(
          `SELECT r.datanode_id, d.state FROM replicas r JOIN datanodes d ON d.uuid = r.datanode_id
         WHERE r.block_id = ? AND d.state IN ('NORMAL', 'DECOMMISSIONING', 'DECOMMISSIONED')`,
          [b.id],
        )
        const reported: ReportedBlock = {
          blockId: b.id,
          genStamp: b.gen_stamp,
          numBytes: b.num_bytes,
        }
        if (live > b.replication) {
          const extra = holders.filter((h) => h.state === 'NORMAL').slice(b.replication)
          for (const h of extra) {
            await op.txn.run('DELETE FROM replicas WHERE block_id = ? AND datanode_id = ?', [
              b.id,
              h.datanode_id,
            ])
            await queueCommand(op, h.datanode_id, { type: 'DELETE', blocks: [reported] })
            excess++
          }
          continue
        }
        under++
        if (holders.length === 0) continue // missing: no replica left to copy from
        const pending = await op.txn.get(
          'SELECT block_id FROM pending_replications WHERE block_id = ?',
          [b.id],
        )
        if (pending !== undefined) continue
        const holding = new Set(holders.map((h) => h.datanode_id))
        const targets = nodes
          .filter((n) => !holding.has(n.datanodeUuid))
          .sort((x, y) => y.remainingBytes - x.remainingBytes)
          .slice(0, b.replication - live)
        if (targets.length === 0) continue
        const source = holders[Math.floor(Math.random() * holders.length)]!
        await queueCommand(op, source.datanode_id, { type: 'REPLICATE', block: reported, targets })
        await op.txn.run(
          'INSERT INTO pending_replications (block_id, scheduled_at) VALUES (?, ?)',
          [b.id, nowMs],
        )
        scheduled++
      }
      // 3. Drained DataNodes: every block they hold has its replication elsewhere.
      let decommissioned = 0
      const draining = await op.txn.all<{ uuid: string }>(
        `SELECT uuid FROM datanodes WHERE state = 'DECOMMISSIONING'`,
      )
      for (const { uuid } of draining) {
        const short = await op.txn.get(
          `SELECT r.block_id FROM replicas r JOIN blocks b ON b.id = r.block_id JOIN inodes i ON i.id = b.inode_id
         WHERE r.datanode_id = ? AND (SELECT COUNT(*) FROM replicas r2 JOIN datanodes d2 ON d2.uuid = r2.datanode_id
           WHERE r2.block_id = r.block_id AND d2.state = 'NORMAL') < i.replication
         LIMIT 1`,
          [uuid],
        )
        if (short === undefined) {
          await op.txn.run(`UPDATE datanodes SET state = 'DECOMMISSIONED' WHERE uuid = ?`, [uuid])
          decommissioned++
        }
      }
      return {
        deadDatanodes: dead.length,
        underReplicatedBlocks: under,
        replicationsScheduled: scheduled,
        excessDeletesScheduled: excess,
        decommissioned,
      }
    },
    { readOnly: false },
  )
}
