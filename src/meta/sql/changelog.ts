/**
 * Appends to the `changelog` in the operation's own transaction, for consumers that mirror the
 * namespace (search indexers, ePipe-like sinks). Kinds follow HopsFS's metadata log: ADD, DELETE,
 * UPDATE, RENAME.
 */
import type { Op } from './op.js'

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
