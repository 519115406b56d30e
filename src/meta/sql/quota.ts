/**
 * @module
 * Namespace and space quotas (DESIGN §4). A change appends a delta row to `quota_updates` for
 * every directory with a quota above it, so writers never contend on the quota row itself;
 * housekeeping folds the deltas into `quotas` ({@link applyQuotaUpdates}). Usage read by
 * `getQuotaUsage` and by enforcement is `quotas.*_used` plus the pending deltas, so it is exact
 * for committed work. On PostgreSQL two writers that commit at the same moment may each see the
 * other's delta missing and overshoot the quota by at most what they add together.
 */
import { FsError } from '../../common/fs-error.js'
import type { InodeRow } from './inode-row.js'
import type { Op } from './op.js'
import type { SqlTxn } from './sql-dialect.js'

export interface QuotaState {
  ns_quota: number
  ss_quota: number
  ns_used: number
  ss_used: number
}

const USAGE_SQL = `SELECT q.ns_quota, q.ss_quota,
  q.ns_used + COALESCE((SELECT SUM(u.ns_delta) FROM quota_updates u WHERE u.inode_id = q.inode_id), 0) AS ns_used,
  q.ss_used + COALESCE((SELECT SUM(u.ss_delta) FROM quota_updates u WHERE u.inode_id = q.inode_id), 0) AS ss_used
  FROM quotas q WHERE q.inode_id = ?`

/** Current usage of a directory with a quota (committed deltas included). */
export async function readQuota(op: Op, inodeId: number): Promise<QuotaState | undefined> {
  const row = await op.txn.get<QuotaState>(USAGE_SQL, [inodeId])
  if (row === undefined) return undefined
  // SUM over BIGINT is NUMERIC in PostgreSQL: make sure every field is a number.
  return {
    ns_quota: Number(row.ns_quota),
    ss_quota: Number(row.ss_quota),
    ns_used: Number(row.ns_used),
    ss_used: Number(row.ss_used),
  }
}

/** The directories with a quota among `rows` (an ancestor chain). */
export function quotaDirs(rows: readonly InodeRow[]): InodeRow[] {
  return rows.filter((r) => r.has_quota === 1)
}

/**
 * Charges a change of `nsDelta` inodes and `ssDelta` bytes to each directory in `dirs`.
 * Growth is checked first; shrinking never fails.
 * @throws FsError NS_QUOTA_EXCEEDED / DS_QUOTA_EXCEEDED, naming the directory
 */
export async function chargeQuota(
  op: Op,
  dirs: readonly InodeRow[],
  nsDelta: number,
  ssDelta: number,
  pathOf: (row: InodeRow) => string,
): Promise<void> {
  if (dirs.length === 0 || (nsDelta === 0 && ssDelta === 0)) return
  for (const dir of dirs) {
    if (nsDelta > 0 || ssDelta > 0) {
      const q = await readQuota(op, dir.id)
      if (q !== undefined) {
        if (nsDelta > 0 && q.ns_quota >= 0 && q.ns_used + nsDelta > q.ns_quota) {
          throw new FsError(
            'NS_QUOTA_EXCEEDED',
            `The NameSpace quota (directories and files) of directory ${pathOf(dir)} is exceeded: quota=${q.ns_quota} file count=${q.ns_used + nsDelta}`,
          )
        }
        if (ssDelta > 0 && q.ss_quota >= 0 && q.ss_used + ssDelta > q.ss_quota) {
          throw new FsError(
            'DS_QUOTA_EXCEEDED',
            `The DiskSpace quota of ${pathOf(dir)} is exceeded: quota = ${q.ss_quota} B but diskspace consumed = ${q.ss_used + ssDelta} B`,
          )
        }
      }
    }
    await op.txn.run('INSERT INTO quota_updates (inode_id, ns_delta, ss_delta) VALUES (?, ?, ?)', [
      dir.id,
      nsDelta,
      ssDelta,
    ])
  }
}

/**
 * Folds up to `limit` pending deltas into `quotas` in `txn`; returns how many were applied. Run it
 * through `withTxn`: it can deadlock with a writer (InnoDB) and is then simply run again.
 */
export async function applyQuotaUpdates(txn: SqlTxn, limit = 5000): Promise<number> {
  const rows = await txn.all<{
    id: number
    inode_id: number
    ns_delta: number
    ss_delta: number
  }>('SELECT id, inode_id, ns_delta, ss_delta FROM quota_updates ORDER BY id LIMIT ?', [limit])
  if (rows.length === 0) return 0
  const sums = new Map<number, { ns: number; ss: number }>()
  for (const r of rows) {
    const s = sums.get(r.inode_id) ?? { ns: 0, ss: 0 }
    s.ns += Number(r.ns_delta)
    s.ss += Number(r.ss_delta)
    sums.set(r.inode_id, s)
  }
  for (const [inodeId, s] of [...sums].sort((a, b) => a[0] - b[0])) {
    await txn.run(
      'UPDATE quotas SET ns_used = ns_used + ?, ss_used = ss_used + ? WHERE inode_id = ?',
      [s.ns, s.ss, inodeId],
    )
  }
  // Delete exactly the rows summed: a row with a lower id may commit later (PostgreSQL sequences).
  for (let i = 0; i < rows.length; i += 500) {
    const ids = rows.slice(i, i + 500).map((r) => r.id)
    await txn.run(`DELETE FROM quota_updates WHERE id IN (${'?,'.repeat(ids.length - 1)}?)`, ids)
  }
  return rows.length
}

/** Space a file consumes against a space quota: length × replication. */
export function fileSpace(row: Pick<InodeRow, 'length' | 'replication'>): number {
  return row.length * row.replication
}
