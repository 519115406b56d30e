/**
 * @module
 * Leases (HDFS `LeaseManager`): one row per client holder with its last renewal; the files a
 * holder writes are the inodes whose `client_name` is the holder. Soft limit: another client may
 * take the file over; hard limit: housekeeping closes the file.
 */
import { FsError } from '../../common/fs-error.js'
import type { InodeRow } from './inode-row.js'
import type { Op } from './op.js'

/** Creates or renews the lease row of `holder`. */
export async function renewLeaseRow(op: Op, holder: string): Promise<void> {
  await op.txn.run(
    `INSERT INTO leases (holder, last_renewed) VALUES (?, ?)${op.env.profile.onConflict('holder', 'last_renewed = excluded.last_renewed')}`,
    [holder, op.now],
  )
}

/** When the holder last renewed, or undefined without a lease. */
export async function leaseRenewedAt(op: Op, holder: string): Promise<number | undefined> {
  const row = await op.txn.get<{ last_renewed: number }>(
    'SELECT last_renewed FROM leases WHERE holder = ?',
    [holder],
  )
  return row?.last_renewed
}

/**
 * Refuses to touch a file under construction whose lease another client holds and renewed
 * within the soft limit (HDFS `recoverLeaseInternal`).
 * @throws FsError ALREADY_BEING_CREATED
 */
export async function checkLeaseHeldByOther(
  op: Op,
  file: InodeRow,
  clientName: string,
  path: string,
): Promise<void> {
  if (file.under_construction !== 1 || file.client_name === null || file.client_name === clientName)
    return
  const renewed = await leaseRenewedAt(op, file.client_name)
  if (renewed !== undefined && op.now - renewed < op.env.settings.leaseSoftLimitMs) {
    throw new FsError(
      'ALREADY_BEING_CREATED',
      `Failed to create file [${path}] for [${clientName}], because this file is already being created by [${file.client_name}]`,
    )
  }
}
