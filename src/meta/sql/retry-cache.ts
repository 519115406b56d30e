/**
 * @module
 * Exactly-once retried mutations (DESIGN §4): the outcome of a mutation that carried a client
 * id and call id is stored in `retry_cache` in the mutation's own transaction; a retry, on any
 * NameNode, finds it and returns it instead of running the mutation again.
 */
import type { CallerContext } from '../meta-engine.js'
import type { Op } from './op.js'

/** A stored outcome, or undefined (not a retry, or the first attempt). `null` stands for void. */
export async function lookupRetry(
  op: Op,
  ctx: CallerContext,
): Promise<{ value: unknown } | undefined> {
  if (ctx.clientId === undefined || ctx.callId === undefined) return undefined
  const row = await op.txn.get<{ result: string; expires_at: number }>(
    'SELECT result, expires_at FROM retry_cache WHERE client_id = ? AND call_id = ?',
    [ctx.clientId, ctx.callId],
  )
  if (row === undefined || row.expires_at < op.now) return undefined
  return { value: JSON.parse(row.result) as unknown }
}

/**
 * Stores the outcome of this call (no-op without client id and call id). Only an expired row of
 * the same call is replaced: when two attempts of one call run at once (a retry sent while the
 * first attempt still runs), the second one's insert hits the first one's row, its transaction
 * restarts, and it then answers the first outcome instead of overwriting it.
 */
export async function recordRetry(op: Op, ctx: CallerContext, value: unknown): Promise<void> {
  if (ctx.clientId === undefined || ctx.callId === undefined) return
  await op.txn.run(
    'DELETE FROM retry_cache WHERE client_id = ? AND call_id = ? AND expires_at < ?',
    [ctx.clientId, ctx.callId, op.now],
  )
  await op.txn.run(
    'INSERT INTO retry_cache (client_id, call_id, result, expires_at) VALUES (?, ?, ?, ?)',
    [
      ctx.clientId,
      ctx.callId,
      JSON.stringify(value ?? null),
      op.now + op.env.settings.retryCacheTtlMs,
    ],
  )
}
