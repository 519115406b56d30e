/**
 * @module
 * Small files in the database (HopsFS "files in the DB", DESIGN §4): the limit in force for a
 * directory (its storage policy, inherited), and the `file_data` rows.
 */
import type { StoragePolicy } from '../meta-engine.js'
import type { InodeRow } from './inode-row.js'
import type { Op } from './op.js'

/** `inodes.storage_policy` codes (HDFS policy ids where HDFS has the policy). 0 = inherit. */
export const STORAGE_POLICIES: Readonly<Record<StoragePolicy, number>> = {
  DEFAULT: 0,
  HOT: 7,
  DB: 14,
}

export function storagePolicyName(code: number): StoragePolicy {
  return code === 7 ? 'HOT' : code === 14 ? 'DB' : 'DEFAULT'
}

/** The policy in force for an inode chain: the deepest one that sets one. */
export function effectivePolicy(chain: readonly InodeRow[]): StoragePolicy {
  for (let i = chain.length - 1; i >= 0; i--) {
    const code = chain[i]!.storage_policy
    if (code !== 0) return storagePolicyName(code)
  }
  return 'DEFAULT'
}

/** Bytes a new file below this chain may keep in the database: 0 under a `HOT` directory. */
export function smallFileLimitOf(op: Op, chain: readonly InodeRow[]): number {
  return effectivePolicy(chain) === 'HOT' ? 0 : op.env.settings.smallFileMaxBytes
}

/** Stores (or replaces) a file's bytes. */
export async function writeFileData(op: Op, inodeId: number, data: Uint8Array): Promise<void> {
  await op.txn.run(
    `INSERT INTO file_data (inode_id, data) VALUES (?, ?)${op.env.profile.onConflict('inode_id', 'data = excluded.data')}`,
    [inodeId, Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
  )
}

/** A file's bytes, or an empty buffer. */
export async function readFileData(op: Op, inodeId: number): Promise<Buffer> {
  const row = await op.txn.get<{ data: Buffer | Uint8Array }>(
    'SELECT data FROM file_data WHERE inode_id = ?',
    [inodeId],
  )
  return row === undefined ? Buffer.alloc(0) : Buffer.from(row.data)
}
