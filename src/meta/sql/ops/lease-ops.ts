/**
 * Lease operations (HDFS `LeaseManager`, `FSNamesystem.recoverLease`, `internalReleaseLease`).
 * A lease is one `leases` row per holder; the files it covers are the inodes whose `client_name`
 * is the holder. Soft limit: another client may take a file over (append, create with overwrite,
 * truncate); hard limit: housekeeping closes the holder's files ({@link recoverExpiredLeases}).
 */
import { FsError, isFsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { parseHdfsPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import type { LeaseInfo } from '../../meta-engine.js'
import { isFile } from '../inode-row.js'
import { leaseRenewedAt, renewLeaseRow } from '../leases.js'
import type { Op, TxnRunner } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import {
  BLOCK_UNDER_CONSTRUCTION,
  closeFile,
  commitBlock,
  dropLeaseIfIdle,
  lockedFile,
  openFileFor,
  readBlocks,
  validateClientName,
} from './blocks.js'
import type { LockedFile } from './blocks.js'

/** The holder housekeeping gives files whose last block awaits DataNode recovery (HDFS). */
export const NAMENODE_LEASE_HOLDER = 'HDFS_NameNode'

/** Holders examined per {@link recoverExpiredLeases} call. */
const EXPIRED_HOLDERS_PER_RUN = 1000

/**
 * HDFS `internalReleaseLease`: closes a file under construction for good. Committed blocks stay;
 * a last block under construction that no DataNode reported (`replicas`) is committed with the
 * length recorded for it (from `updateBlock`, `append` or `truncate`), or dropped when that is 0
 * bytes (the client died before writing). A last block that DataNodes do hold has a length only
 * they know: the file stays open, leased to `recoveryHolder`, and false is returned. Starting the
 * DataNodes' block recovery (HDFS `initializeBlockRecovery`, a recovery id, then
 * `commitBlockSynchronization`) is the data path's part; nothing reports replicas yet.
 */
export async function releaseLease(
  op: Op,
  t: LockedFile,
  recoveryHolder: string,
): Promise<boolean> {
  const blocks = await readBlocks(op, t.file.id)
  const last = blocks.at(-1)
  if (last !== undefined && last.state === BLOCK_UNDER_CONSTRUCTION) {
    const replicas = await op.txn.get<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM replicas WHERE block_id = ?',
      [last.id],
    )
    if (Number(replicas?.n ?? 0) > 0) {
      if (t.file.client_name !== recoveryHolder) await openFileFor(op, t, recoveryHolder)
      return false
    }
    if (last.num_bytes === 0) {
      await op.txn.run('DELETE FROM blocks WHERE id = ?', [last.id])
    } else {
      await commitBlock(op, last, last.num_bytes)
    }
  }
  await closeFile(op, t)
  return true
}

/**
 * HDFS `recoverLeaseInternal` without force, for operations that need the file closed (append,
 * truncate): nothing to do for a closed file; a file the caller itself holds, or another holder
 * renewed within the soft limit, is refused; otherwise the file is closed by lease recovery. A
 * file under construction whose holder has no lease row is treated as expired (HDFS would refuse
 * with "no leases found"). When recovery needs DataNodes the caller is refused; that refusal
 * rolls the transaction back, so the recovery itself is left to `recoverLease` or housekeeping.
 * @throws FsError ALREADY_BEING_CREATED
 */
export async function recoverLeaseForWrite(
  op: Op,
  t: LockedFile,
  holder: string,
  opName: 'APPEND_FILE' | 'TRUNCATE_FILE',
): Promise<void> {
  const file = t.file
  if (file.under_construction !== 1) return
  const failed = (reason: string): FsError =>
    new FsError(
      'ALREADY_BEING_CREATED',
      `Failed to ${opName} ${t.path.path} for ${holder} because ${reason}`,
    )
  const owner = file.client_name
  if (owner === holder) throw failed(`${holder} is already the current lease holder.`)
  if (owner !== null) {
    const renewed = await leaseRenewedAt(op, owner)
    if (renewed !== undefined && op.now - renewed < op.env.settings.leaseSoftLimitMs)
      throw failed(`this file lease is currently owned by ${owner}`)
  }
  if (!(await releaseLease(op, t, NAMENODE_LEASE_HOLDER)))
    throw failed('lease recovery is in progress. Try again later.')
}

/**
 * renewLease (HDFS `LeaseManager.renewLease`): renews the holder's lease if it has one; a holder
 * without a lease is ignored, as in HDFS. A lease row lost while files are still open under the
 * holder is recreated.
 */
export async function renewLease(op: Op, clientName: string): Promise<void> {
  validateClientName(clientName)
  const res = await op.txn.run('UPDATE leases SET last_renewed = ? WHERE holder = ?', [
    op.now,
    clientName,
  ])
  if (res.changes > 0) return
  const open = await op.txn.get('SELECT id FROM inodes WHERE client_name = ? LIMIT 1', [clientName])
  if (open !== undefined) {
    await renewLeaseRow(op, clientName)
  }
}

/**
 * recoverLease (HDFS `FSNamesystem.recoverLease`): true when the file is closed. A file under
 * construction is recovered at once, whoever holds it and however fresh its lease (HDFS forces
 * recovery here); false when its last block awaits DataNode recovery, the file then being leased
 * to the caller (see {@link releaseLease}).
 * @throws FsError FILE_NOT_FOUND (missing, or not a file), ACCESS_DENIED (WRITE on the file)
 */
export async function recoverLease(op: Op, path: HdfsPath, clientName: string): Promise<boolean> {
  validateClientName(clientName)
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, {})
  const target = resolved.requireTarget()
  if (!isFile(target)) throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${path.path}`)
  if (target.under_construction !== 1) return true
  await checkPermission(op, resolved, { access: FsAction.WRITE })
  await lockInodes(op, [{ row: target, depth: resolved.depth, exclusive: true }], [resolved])
  if (target.under_construction !== 1) return true
  return releaseLease(op, lockedFile(path, resolved, target), clientName)
}

const PATH_SQL = `WITH RECURSIVE up (id, parent_id, name, depth) AS (
    SELECT id, parent_id, name, 0 FROM inodes WHERE id = ?
    UNION ALL
    SELECT i.id, i.parent_id, i.name, up.depth + 1 FROM inodes i JOIN up ON i.id = up.parent_id
  ) SELECT parent_id, name FROM up ORDER BY depth DESC`

/** The absolute path of an inode by walking its parents, or undefined when it is gone. */
export async function inodePath(op: Op, inodeId: number): Promise<string | undefined> {
  const rows = await op.txn.all<{ parent_id: number | null; name: string }>(PATH_SQL, [inodeId])
  if (rows.length === 0 || rows[0]!.parent_id !== null) return undefined // detached
  const names = rows.slice(1).map((r) => r.name)
  return `/${names.join('/')}`
}

/** getLease: the holder's lease and the paths of its open files, sorted; undefined without one. */
export async function getLease(op: Op, clientName: string): Promise<LeaseInfo | undefined> {
  const lease = await op.txn.get<{ holder: string; last_renewed: number }>(
    'SELECT holder, last_renewed FROM leases WHERE holder = ?',
    [clientName],
  )
  if (lease === undefined) return undefined
  const files = await op.txn.all<{ id: number }>(
    'SELECT id FROM inodes WHERE client_name = ? ORDER BY id',
    [clientName],
  )
  const paths: string[] = []
  for (const f of files) {
    const p = await inodePath(op, f.id)
    if (p !== undefined) paths.push(p)
  }
  return { holder: lease.holder, lastRenewedMs: Number(lease.last_renewed), paths: paths.sort() }
}

/**
 * Housekeeping (HDFS `LeaseManager.checkLeases`): closes the files of every holder that has not
 * renewed within the hard limit at `nowMs`, and of files whose holder has no lease row at all;
 * one small transaction per file. Files whose last block needs DataNode recovery are reassigned
 * to {@link NAMENODE_LEASE_HOLDER} and not counted. Examines at most 1000 holders per call.
 * @returns the number of files closed
 */
export async function recoverExpiredLeases(run: TxnRunner, nowMs: number): Promise<number> {
  const holders = await run(
    async (op) => {
      const cutoff = nowMs - op.env.settings.leaseHardLimitMs
      const expired = await op.txn.all<{ holder: string }>(
        'SELECT holder FROM leases WHERE last_renewed <= ? ORDER BY last_renewed LIMIT ?',
        [cutoff, EXPIRED_HOLDERS_PER_RUN],
      )
      const orphaned = await op.txn.all<{ holder: string }>(
        `SELECT DISTINCT client_name AS holder FROM inodes i WHERE client_name IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.holder = i.client_name) LIMIT ?`,
        [EXPIRED_HOLDERS_PER_RUN],
      )
      return [...new Set([...expired, ...orphaned].map((r) => r.holder))]
    },
    { readOnly: true },
  )
  let closed = 0
  for (const holder of holders) {
    const files = await run(
      (op) =>
        op.txn.all<{ id: number }>('SELECT id FROM inodes WHERE client_name = ? ORDER BY id', [
          holder,
        ]),
      { readOnly: true },
    )
    for (const { id } of files) {
      try {
        if (await run((op) => recoverExpiredFile(op, id, holder, nowMs), { readOnly: false }))
          closed++
      } catch (err) {
        // A file stuck behind a long subtree operation waits for the next run.
        if (!isFsError(err) || err.code !== 'RETRIABLE') throw err
      }
    }
    await run(
      async (op) => {
        const renewed = await leaseRenewedAt(op, holder)
        if (renewed !== undefined && renewed > nowMs - op.env.settings.leaseHardLimitMs) return
        await dropLeaseIfIdle(op, holder)
      },
      { readOnly: false },
    )
  }
  return closed
}

/** Closes one file of an expired holder if that is still the situation; true when closed. */
async function recoverExpiredFile(
  op: Op,
  inodeId: number,
  holder: string,
  nowMs: number,
): Promise<boolean> {
  const pathText = await inodePath(op, inodeId)
  if (pathText === undefined) return false
  const path = parseHdfsPath(pathText)
  const resolved = await resolvePath(op, path)
  const target = resolved.target
  if (target === undefined || target.id !== inodeId) return false // moved: the next run
  await lockInodes(op, [{ row: target, depth: resolved.depth, exclusive: true }], [resolved])
  if (target.under_construction !== 1 || target.client_name !== holder) return false
  const renewed = await leaseRenewedAt(op, holder)
  if (renewed !== undefined && renewed > nowMs - op.env.settings.leaseHardLimitMs) return false
  return releaseLease(op, lockedFile(path, resolved, target), NAMENODE_LEASE_HOLDER)
}
