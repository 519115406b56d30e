/**
 * Small files in the database (HopsFS "files in the DB"): a file whose whole content is at most
 * the small-file limit lives in `file_data`, written in the same transaction as its inode; block
 * locations for readers; the storage policy that turns it off (`HOT`) or on (`DB`) per directory.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import type {
  BlockLocation,
  CreateRequest,
  FileLocations,
  InodeRecord,
  StoragePolicy,
} from '../../meta-engine.js'
import { logChange } from '../changelog.js'
import { isDirectory, isFile, toInodeRecord } from '../inode-row.js'
import type { Op } from '../op.js'
import { resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import {
  STORAGE_POLICIES,
  effectivePolicy,
  readFileData,
  smallFileLimitOf,
  writeFileData,
} from '../small-files.js'
import { chargeQuota } from '../quota.js'
import { checkLease, closeFile, readBlocks, toBlockRecord } from './blocks.js'
import { create } from './create.js'
import type { ValidatedCreate } from './create.js'
import { lockTarget } from './set-attributes.js'

export async function smallFileLimit(op: Op, path: HdfsPath): Promise<number> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, {})
  return smallFileLimitOf(op, resolved.inodes.slice(0, resolved.depth))
}

export function createInline(
  op: Op,
  path: HdfsPath,
  req: Omit<CreateRequest, 'clientName'> & { readonly data: Uint8Array },
  v: ValidatedCreate,
): Promise<InodeRecord> {
  if (!(req.data instanceof Uint8Array)) {
    return Promise.reject(new FsError('INVALID_ARGUMENT', 'createInline needs the data as bytes'))
  }
  return create(op, path, { ...req, clientName: 'inline' }, v, req.data)
}

/** Closes a file under construction with its whole content inline (e.g. after append). */
export async function completeInline(
  op: Op,
  path: HdfsPath,
  clientName: string,
  data: Uint8Array,
): Promise<InodeRecord> {
  const t = await checkLease(op, path, clientName)
  const limit = smallFileLimitOf(op, t.resolved.inodes.slice(0, t.resolved.depth))
  if (data.length > limit) {
    throw new FsError(
      'IO_ERROR',
      `${path.path}: ${data.length} bytes exceed the small-file limit of ${limit}`,
    )
  }
  if ((await readBlocks(op, t.file.id)).length > 0) {
    throw new FsError('IO_ERROR', `${path.path} has blocks; complete it through its blocks`)
  }
  // Unchecked growth: appends into the database are admitted like block bytes at commit.
  await chargeQuota(
    op,
    t.quotas,
    0,
    (data.length - t.file.length) * t.file.replication,
    () => path.path,
  )
  await writeFileData(op, t.file.id, data)
  t.file.inline = 1
  t.file.length = data.length
  await op.txn.run('UPDATE inodes SET inline = 1, length = ? WHERE id = ?', [
    data.length,
    t.file.id,
  ])
  await closeFile(op, t)
  return toInodeRecord(t.file)
}

export async function getBlockLocations(
  op: Op,
  path: HdfsPath,
  offset: number,
  length: number,
): Promise<FileLocations> {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Invalid offset ${offset}: must be a non-negative integer`,
    )
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Invalid length ${length}: must be a non-negative integer`,
    )
  }
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, { access: FsAction.READ })
  const target = resolved.requireTarget()
  if (isDirectory(target)) throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${path.path}`)
  if (!isFile(target)) throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${path.path}`)
  const file = toInodeRecord(target)
  if (target.inline === 1)
    return { file, inlineData: await readFileData(op, target.id), blocks: [] }
  const blocks = await readBlocks(op, target.id)
  const end = offset + length
  const located: BlockLocation[] = []
  let start = 0
  for (const block of blocks) {
    const blockEnd = start + block.num_bytes
    if (blockEnd > offset && start < end)
      located.push({ ...toBlockRecord(block), offset: start, datanodes: [] })
    start = blockEnd
  }
  if (located.length === 0) return { file, blocks: [] }
  const ids = located.map((b) => b.blockId)
  const replicas = await op.txn.all<{ block_id: number; datanode_id: string }>(
    `SELECT r.block_id, r.datanode_id FROM replicas r JOIN datanodes d ON d.uuid = r.datanode_id
     WHERE r.block_id IN (${'?,'.repeat(ids.length - 1)}?) AND d.state NOT IN ('DEAD', 'DECOMMISSIONED')`,
    ids,
  )
  const byBlock = new Map<number, string[]>()
  for (const r of replicas)
    byBlock.set(r.block_id, [...(byBlock.get(r.block_id) ?? []), r.datanode_id])
  return { file, blocks: located.map((b) => ({ ...b, datanodes: byBlock.get(b.blockId) ?? [] })) }
}

export async function setStoragePolicy(
  op: Op,
  path: HdfsPath,
  policy: StoragePolicy,
): Promise<void> {
  const code = STORAGE_POLICIES[policy]
  if (code === undefined) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Unknown storage policy '${String(policy)}': use HOT, DB or DEFAULT`,
    )
  }
  const { target } = await lockTarget(op, path, { access: FsAction.WRITE })
  await op.txn.run('UPDATE inodes SET storage_policy = ? WHERE id = ?', [code, target.id])
  await logChange(op, 'UPDATE', target)
}

export async function getStoragePolicy(op: Op, path: HdfsPath): Promise<StoragePolicy> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, {})
  resolved.requireTarget()
  return effectivePolicy(resolved.inodes)
}
