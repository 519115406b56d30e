/**
 * truncate (HDFS `FSDirTruncateOp.truncate`), the metadata side. Whole blocks past the new length
 * go at once. When the new length falls inside a block, that block's replicas must be cut by
 * DataNodes: it becomes under construction with a new generation stamp and the length to cut to,
 * the file is leased to the caller, and false is returned (the block is recovered like any
 * under-construction last block: see `lease-ops.ts` `releaseLease`). Inline files are cut in the
 * database at once. Replicas of removed blocks go with their rows; deleting them on DataNodes is
 * the data path's part.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import { logChange } from '../changelog.js'
import { isFile } from '../inode-row.js'
import type { Op } from '../op.js'
import { invalidateReplicas } from './datanodes.js'
import { chargeQuota } from '../quota.js'
import {
  BLOCK_UNDER_CONSTRUCTION,
  lockedFile,
  nextGenStamp,
  openFileFor,
  readBlocks,
  resolveAndLock,
  syncFileLength,
  validateClientName,
} from './blocks.js'
import type { LockedFile } from './blocks.js'
import { recoverLeaseForWrite } from './lease-ops.js'

/**
 * @returns true when done, false when the last block awaits DataNode recovery
 * @throws FsError INVALID_ARGUMENT (negative, or larger than the file: HDFS's
 *   HadoopIllegalArgumentException), FILE_NOT_FOUND (missing, or not a file), ACCESS_DENIED
 *   (WRITE on the file), ALREADY_BEING_CREATED (the file is open)
 */
export async function truncate(
  op: Op,
  path: HdfsPath,
  newLength: number,
  clientName: string,
): Promise<boolean> {
  validateClientName(clientName)
  if (!Number.isSafeInteger(newLength))
    throw new FsError('INVALID_ARGUMENT', `Invalid truncate size ${newLength}`)
  if (newLength < 0) {
    throw new FsError('INVALID_ARGUMENT', `Cannot truncate to a negative file size: ${newLength}.`)
  }
  const { resolved, target } = await resolveAndLock(op, path, FsAction.WRITE)
  if (target === undefined) throw new FsError('FILE_NOT_FOUND', `File does not exist: ${path.path}`)
  if (!isFile(target)) throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${path.path}`)
  const t = lockedFile(path, resolved, target)
  await recoverLeaseForWrite(op, t, clientName, 'TRUNCATE_FILE')
  const oldLength = t.file.length
  if (oldLength === newLength) return true
  if (oldLength < newLength) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Cannot truncate to a larger file size. Current size: ${oldLength}, truncate size: ${newLength}.`,
    )
  }
  const done =
    t.file.inline === 1
      ? await truncateInline(op, t, newLength)
      : await truncateBlocks(op, t, newLength, clientName)
  t.file.mtime = op.now
  await op.txn.run('UPDATE inodes SET mtime = ? WHERE id = ?', [op.now, t.file.id])
  await logChange(op, 'UPDATE', t.file)
  return done
}

async function truncateInline(op: Op, t: LockedFile, newLength: number): Promise<boolean> {
  const row = await op.txn.get<{ data: Uint8Array }>(
    'SELECT data FROM file_data WHERE inode_id = ?',
    [t.file.id],
  )
  const data = row?.data ?? new Uint8Array(0)
  await op.txn.run('UPDATE file_data SET data = ? WHERE inode_id = ?', [
    Buffer.from(data.subarray(0, newLength)),
    t.file.id,
  ])
  const delta = (newLength - t.file.length) * t.file.replication
  await chargeQuota(op, t.quotas, 0, delta, (dir) =>
    prefixPath(t.path, t.resolved.inodes.indexOf(dir)),
  )
  t.file.length = newLength
  await op.txn.run('UPDATE inodes SET length = ? WHERE id = ?', [newLength, t.file.id])
  return true
}

async function truncateBlocks(
  op: Op,
  t: LockedFile,
  newLength: number,
  clientName: string,
): Promise<boolean> {
  const blocks = await readBlocks(op, t.file.id)
  let offset = 0
  const removed: number[] = []
  let cut: { block: (typeof blocks)[number]; keep: number } | undefined
  for (const block of blocks) {
    const start = offset
    offset += block.num_bytes
    if (start >= newLength) removed.push(block.id)
    else if (offset > newLength) cut = { block, keep: newLength - start }
  }
  for (let i = 0; i < removed.length; i += 500) {
    const ids = removed.slice(i, i + 500)
    await invalidateReplicas(op, 'id', ids)
    await op.txn.run(`DELETE FROM blocks WHERE id IN (${'?,'.repeat(ids.length - 1)}?)`, ids)
  }
  if (cut === undefined) {
    await syncFileLength(op, t)
    return true
  }
  const { block, keep } = cut
  block.gen_stamp = nextGenStamp(op, block.gen_stamp)
  block.num_bytes = keep
  block.state = BLOCK_UNDER_CONSTRUCTION
  await op.txn.run('UPDATE blocks SET gen_stamp = ?, num_bytes = ?, state = ? WHERE id = ?', [
    block.gen_stamp,
    block.num_bytes,
    block.state,
    block.id,
  ])
  await openFileFor(op, t, clientName)
  await syncFileLength(op, t)
  return false
}
