/**
 * @module
 * The audit log of security-relevant actions (DESIGN §7): who (`actor`), what (`action`, e.g.
 * `login`, `password.reset`, `apikey.create`), on whom or what (`target`), when, from where
 * (`remoteAddress`), whether it was allowed, and details as JSON. Entries are written in the
 * transaction of the change they describe, so an entry exists exactly when the change does.
 * Details never hold secrets.
 */
import type { SqlTxn } from '../../meta/sql/sql-dialect.js'

/** The actions users and login record. Other platform services may add their own names. */
export type AuditAction =
  | 'login'
  | 'login.lockout'
  | 'password.change'
  | 'password.reset'
  | 'totp.enrol'
  | 'totp.confirm'
  | 'totp.disable'
  | 'recovery-code.use'
  | 'apikey.create'
  | 'apikey.revoke'
  | 'user.create'
  | 'user.role'
  | 'user.lock'
  | 'user.unlock'
  | 'user.status'
  | (string & {})

/** One audit entry as written. */
export interface AuditEvent {
  readonly actor: string
  readonly action: AuditAction
  readonly target?: string
  readonly outcome: 'allowed' | 'denied'
  readonly remoteAddress?: string
  readonly details?: Readonly<Record<string, unknown>>
}

/** One audit entry as stored. */
export interface AuditEntry extends AuditEvent {
  readonly id: number
  /** Milliseconds since the epoch. */
  readonly time: number
}

/** What {@link queryAuditLog} selects; all conditions are ANDed. */
export interface AuditQuery {
  readonly actor?: string
  readonly target?: string
  readonly action?: string
  readonly outcome?: 'allowed' | 'denied'
  /** Inclusive lower bound, ms since the epoch. */
  readonly since?: number
  /** Exclusive upper bound, ms since the epoch. */
  readonly until?: number
  /** Only entries older than this id (paging, newest first). */
  readonly beforeId?: number
  /** At most this many entries (default 100, at most 1000). */
  readonly limit?: number
}

/** Appends one entry at `time`. */
export async function appendAudit(txn: SqlTxn, time: number, event: AuditEvent): Promise<void> {
  await txn.run(
    'INSERT INTO audit_log (occurred_at, actor, action, target, outcome, remote_address, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [
      time,
      event.actor,
      event.action,
      event.target ?? null,
      event.outcome,
      event.remoteAddress ?? null,
      event.details === undefined ? null : JSON.stringify(event.details),
    ],
  )
}

interface AuditRow {
  id: number
  occurred_at: number
  actor: string
  action: string
  target: string | null
  outcome: string
  remote_address: string | null
  details: string | null
}

/** Entries matching `query`, newest first. */
export async function queryAuditLog(txn: SqlTxn, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const where: string[] = []
  const params: unknown[] = []
  const eq = (column: string, value: unknown): void => {
    if (value === undefined) return
    where.push(`${column} = ?`)
    params.push(value)
  }
  eq('actor', query.actor)
  eq('target', query.target)
  eq('action', query.action)
  eq('outcome', query.outcome)
  if (query.since !== undefined) {
    where.push('occurred_at >= ?')
    params.push(query.since)
  }
  if (query.until !== undefined) {
    where.push('occurred_at < ?')
    params.push(query.until)
  }
  if (query.beforeId !== undefined) {
    where.push('id < ?')
    params.push(query.beforeId)
  }
  const limit = Math.max(1, Math.min(1000, Math.floor(query.limit ?? 100)))
  params.push(limit)
  const rows = await txn.all<AuditRow>(
    `SELECT id, occurred_at, actor, action, target, outcome, remote_address, details FROM audit_log${
      where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
    } ORDER BY id DESC LIMIT ?`,
    params,
  )
  return rows.map((r) => ({
    id: Number(r.id),
    time: Number(r.occurred_at),
    actor: r.actor,
    action: r.action,
    ...(r.target !== null ? { target: r.target } : {}),
    outcome: r.outcome === 'allowed' ? 'allowed' : 'denied',
    ...(r.remote_address !== null ? { remoteAddress: r.remote_address } : {}),
    ...(r.details !== null ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
  }))
}
