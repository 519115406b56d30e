/**
 * @module
 * The `block_keys` table: block access token keys shared by every NameNode (DESIGN §6). Any
 * NameNode that finds no key fit for signing adds one (two at once add two: harmless); the
 * leader's housekeeping deletes keys nobody can use any more.
 */
import { randomBytes } from 'node:crypto'
import type { BlockKey } from '../../common/block-token.js'
import type { SqlTxn } from './sql-dialect.js'

/** Keys still verifying at `now`, newest first, with their creation time. */
export async function loadBlockKeys(
  txn: SqlTxn,
  now: number,
): Promise<(BlockKey & { createdAt: number })[]> {
  const rows = await txn.all<{
    id: number
    secret: string
    created_at: number
    expires_at: number
  }>(
    'SELECT id, secret, created_at, expires_at FROM block_keys WHERE expires_at > ? ORDER BY id DESC',
    [now],
  )
  return rows.map((r) => ({
    id: Number(r.id),
    secret: r.secret,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  }))
}

/** Adds a key that signs for `signForMs` and verifies `tokenLifetimeMs` longer. */
export async function addBlockKey(
  txn: SqlTxn,
  now: number,
  signForMs: number,
  tokenLifetimeMs: number,
): Promise<void> {
  await txn.run('INSERT INTO block_keys (secret, created_at, expires_at) VALUES (?, ?, ?)', [
    randomBytes(32).toString('base64'),
    now,
    now + signForMs + tokenLifetimeMs,
  ])
}

/** Deletes keys that no longer verify anything. */
export async function deleteExpiredBlockKeys(txn: SqlTxn, now: number): Promise<number> {
  return (await txn.run('DELETE FROM block_keys WHERE expires_at <= ?', [now])).changes
}
