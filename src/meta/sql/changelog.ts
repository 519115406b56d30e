/**
 * The `changelog`: every namespace mutation appends a row in its own transaction, for consumers
 * that mirror the namespace (search indexers, ePipe-like sinks). Kinds follow HopsFS's metadata
 * log: ADD, DELETE, UPDATE, RENAME. A consumer reads rows after the last `seq` it acknowledged
 * and acknowledges as it goes (at-least-once); trimming never removes what a registered
 * consumer has not acknowledged.
 */
import type { Op } from './op.js'
import type { SqlDialectProfile, SqlTxn } from './sql-dialect.js'

export type ChangeKind = 'ADD' | 'DELETE' | 'UPDATE' | 'RENAME'

export async function logChange(
  op: Op,
  kind: ChangeKind,
  row: { readonly id: number; readonly parent_id: number | null; readonly name: string | null },
): Promise<void> {
  await op.txn.run(
    'INSERT INTO changelog (op, inode_id, parent_id, name, ts) VALUES (?, ?, ?, ?, ?)',
    [kind, row.id, row.parent_id, row.name, op.now],
  )
}

/** One changelog row. */
export interface ChangelogEntry {
  readonly seq: number
  readonly op: ChangeKind
  readonly inodeId: number
  readonly parentId: number | null
  /** The inode's name at the change (null where the writer did not know it, e.g. batch deletes). */
  readonly name: string | null
  readonly ts: number
}

/** Up to `limit` rows with `seq` above `afterSeq`, oldest first. */
export async function readChangelog(
  txn: SqlTxn,
  afterSeq: number,
  limit: number,
): Promise<ChangelogEntry[]> {
  const rows = await txn.all<{
    seq: number
    op: ChangeKind
    inode_id: number
    parent_id: number | null
    name: string | null
    ts: number
  }>(
    'SELECT seq, op, inode_id, parent_id, name, ts FROM changelog WHERE seq > ? ORDER BY seq LIMIT ?',
    [afterSeq, limit],
  )
  return rows.map((r) => ({
    seq: Number(r.seq),
    op: r.op,
    inodeId: Number(r.inode_id),
    parentId: r.parent_id === null ? null : Number(r.parent_id),
    name: r.name,
    ts: Number(r.ts),
  }))
}

/** Registers `consumer` (first call) and records that it has processed every row up to `seq`. */
export async function ackChangelog(
  txn: SqlTxn,
  profile: SqlDialectProfile,
  consumer: string,
  seq: number,
  now: number,
): Promise<void> {
  await txn.run(
    `INSERT INTO changelog_consumers (name, acked_seq, updated_at) VALUES (?, ?, ?)${profile.onConflict('name', 'acked_seq = excluded.acked_seq, updated_at = excluded.updated_at')}`,
    [consumer, seq, now],
  )
}

/**
 * Deletes up to `batch` rows older than `cutoff` (ms), none above the smallest `seq` a
 * registered consumer acknowledged; returns how many went.
 */
export async function trimChangelog(txn: SqlTxn, cutoff: number, batch: number): Promise<number> {
  const acked = await txn.get<{ seq: number | null }>(
    'SELECT min(acked_seq) AS seq FROM changelog_consumers',
  )
  const oldest = await txn.all<{ seq: number }>(
    'SELECT seq FROM changelog WHERE ts < ? ORDER BY seq LIMIT ?',
    [cutoff, batch],
  )
  const last = oldest.at(-1)
  if (last === undefined) return 0
  const upTo = Math.min(Number(last.seq), Number(acked?.seq ?? Number.MAX_SAFE_INTEGER))
  const res = await txn.run('DELETE FROM changelog WHERE seq <= ? AND ts < ?', [upTo, cutoff])
  return res.changes
}
