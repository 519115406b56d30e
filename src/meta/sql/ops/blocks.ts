/**
 * Block records of files being written (HDFS `FSDirWriteFileOp.addBlock`, `completeFile`,
 * `abandonBlock`, `FSNamesystem.updatePipeline`), and the block helpers that lease recovery,
 * append, truncate and concat share.
 *
 * Invariants kept by every operation here:
 * - a file's blocks have `idx` 0..n-1; only the last one may be UNDER_CONSTRUCTION;
 * - `inodes.length` is the sum of the lengths of the blocks that are not under construction
 *   (HDFS `computeFileSizeNotIncludingLastUcBlock`, what `getFileInfo` shows while a file is
 *   written); inline files keep the length of their `file_data` bytes and have no blocks;
 * - quota usage of a file is `length × replication` (what `delete`, `rename` and `setQuota`
 *   recount). HDFS also charges a block under construction at its preferred size; here
 *   `addBlock` only checks that this much headroom is left and the bytes are charged when the
 *   block is committed, because the other operations could not give a reservation back (see
 *   {@link checkBlockHeadroom}).
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { prefixPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import type {
  AbandonBlockRequest,
  AddBlockRequest,
  BlockRecord,
  CompleteRequest,
  UpdateBlockRequest,
} from '../../meta-engine.js'
import { logChange } from '../changelog.js'
import { INODE_COLUMNS, isFile } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import type { Op } from '../op.js'
import { renewLeaseRow } from '../leases.js'
import { invalidateReplicas, liveReplicaCount } from './datanodes.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import type { ResolvedPath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import { quotaDirs, readQuota } from '../quota.js'

import { BLOCK_COMMITTED, BLOCK_COMPLETE, BLOCK_UNDER_CONSTRUCTION } from '../block-state.js'
export { BLOCK_COMMITTED, BLOCK_COMPLETE, BLOCK_UNDER_CONSTRUCTION }

const STATE_NAMES: Record<number, BlockRecord['state']> = {
  [BLOCK_UNDER_CONSTRUCTION]: 'UNDER_CONSTRUCTION',
  [BLOCK_COMMITTED]: 'COMMITTED',
  [BLOCK_COMPLETE]: 'COMPLETE',
}

/** `dfs.namenode.fs-limits.max-blocks-per-file` default. */
export const MAX_BLOCKS_PER_FILE = 10_000

/** A row of `blocks`. */
export interface BlockRow {
  id: number
  inode_id: number
  idx: number
  num_bytes: number
  gen_stamp: number
  state: number
}

const BLOCK_COLUMNS = 'id, inode_id, idx, num_bytes, gen_stamp, state'

/** A file resolved by path and exclusively locked, with the directories its quota goes to. */
export interface LockedFile {
  readonly path: HdfsPath
  readonly resolved: ResolvedPath
  /** Kept up to date by the helpers below. */
  readonly file: InodeRow
  readonly quotas: readonly InodeRow[]
}

export function toBlockRecord(row: BlockRow): BlockRecord {
  return {
    blockId: row.id,
    inodeId: row.inode_id,
    index: row.idx,
    numBytes: row.num_bytes,
    genStamp: row.gen_stamp,
    state: STATE_NAMES[row.state] ?? 'UNDER_CONSTRUCTION',
  }
}

/** HDFS's name of a block in messages: `blk_<id>_<genStamp>`. */
export function blockName(row: Pick<BlockRow, 'id' | 'gen_stamp'>): string {
  return `blk_${row.id}_${row.gen_stamp}`
}

/** The blocks of a file in index order. */
export function readBlocks(op: Op, inodeId: number): Promise<BlockRow[]> {
  return op.txn.all<BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM blocks WHERE inode_id = ? ORDER BY idx`,
    [inodeId],
  )
}

/** Resolves `path`, checks `access` and locks the target exclusively (a missing target is allowed). */
export async function resolveAndLock(
  op: Op,
  path: HdfsPath,
  access: number | undefined,
): Promise<{ resolved: ResolvedPath; target: InodeRow | undefined }> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, access === undefined ? {} : { access })
  const target = resolved.target
  if (target !== undefined) {
    await lockInodes(op, [{ row: target, depth: resolved.depth, exclusive: true }], [resolved])
  }
  return { resolved, target: resolved.target }
}

/** Wraps a locked file row with its quota directories. */
export function lockedFile(path: HdfsPath, resolved: ResolvedPath, file: InodeRow): LockedFile {
  return { path, resolved, file, quotas: quotaDirs(resolved.inodes.slice(0, resolved.depth)) }
}

/** Message tail of HDFS `checkLease`: the holder's lease, or that it has none. */
async function leaseDescription(op: Op, holder: string): Promise<string> {
  const lease = await op.txn.get<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM inodes WHERE client_name = ?',
    [holder],
  )
  const open = Number(lease?.n ?? 0)
  return open > 0
    ? `[Lease.  Holder: ${holder}, pending creates: ${open}]`
    : `Holder ${holder} does not have any open files.`
}

/**
 * HDFS `FSNamesystem.checkLease`: the file at `path` must be a file under construction leased to
 * `holder`. Resolves, checks traverse permission and locks the file.
 * @throws FsError LEASE_EXPIRED
 */
export async function checkLease(op: Op, path: HdfsPath, holder: string): Promise<LockedFile> {
  validateClientName(holder)
  const { resolved, target } = await resolveAndLock(op, path, undefined)
  return assertLeased(op, path, resolved, target, holder)
}

/** The checks of {@link checkLease} on a target already resolved and locked. */
async function assertLeased(
  op: Op,
  path: HdfsPath,
  resolved: ResolvedPath,
  target: InodeRow | undefined,
  holder: string,
): Promise<LockedFile> {
  if (target === undefined || !isFile(target)) {
    throw new FsError(
      'LEASE_EXPIRED',
      `No lease on ${path.path}: File does not exist. ${await leaseDescription(op, holder)}`,
    )
  }
  if (target.under_construction !== 1) {
    throw new FsError(
      'LEASE_EXPIRED',
      `No lease on ${path.path}: File is not open for writing. ${await leaseDescription(op, holder)}`,
    )
  }
  if (target.client_name !== holder) {
    throw new FsError(
      'LEASE_EXPIRED',
      `Lease mismatch on ${path.path} owned by ${target.client_name ?? '(none)'} but is accessed by ${holder}`,
    )
  }
  return lockedFile(path, resolved, target)
}

/** @throws FsError INVALID_ARGUMENT unless a non-empty client name */
export function validateClientName(clientName: unknown): asserts clientName is string {
  if (typeof clientName !== 'string' || clientName === '')
    throw new FsError('INVALID_ARGUMENT', 'A clientName (lease holder) is required')
}

function validateNumBytes(numBytes: unknown, what: string): asserts numBytes is number {
  if (typeof numBytes !== 'number' || !Number.isSafeInteger(numBytes) || numBytes < 0)
    throw new FsError('INVALID_ARGUMENT', `Invalid length ${String(numBytes)} of ${what}`)
}

/** A generation stamp newer than `current` (ids from the allocator only grow). */
export function nextGenStamp(op: Op, current: number): number {
  return Math.max(op.env.genStamps.take(), current + 1)
}

/**
 * Minimum replication (HDFS `BlockManager.hasMinStorage`, `dfs.namenode.replication.min`): a
 * committed block is COMPLETE once `minReplication` live DataNodes reported it (DataNodes report
 * each replica before acknowledging the write, so normally at once); until then it stays
 * COMMITTED, `complete` answers false and the writer retries, as HDFS's `checkFileProgress`.
 * `blockReceived` completes a committed block when its replicas arrive later.
 */
async function stateAfterCommit(op: Op, block: BlockRow): Promise<number> {
  const needed = op.env.settings.minReplication
  if (needed <= 0) return BLOCK_COMPLETE
  return (await liveReplicaCount(op, block.id)) >= needed ? BLOCK_COMPLETE : BLOCK_COMMITTED
}

/** Commits a block under construction with its final length (HDFS `commitBlock`). */
export async function commitBlock(op: Op, block: BlockRow, numBytes: number): Promise<void> {
  block.num_bytes = numBytes
  block.state = await stateAfterCommit(op, block)
  await op.txn.run('UPDATE blocks SET num_bytes = ?, state = ? WHERE id = ?', [
    numBytes,
    block.state,
    block.id,
  ])
}

/**
 * Adds `ssDelta` bytes to the usage of `dirs` without checking the quota: committing bytes that
 * `addBlock` already admitted, or lease recovery, must never fail on a quota.
 */
async function addSpaceUnchecked(
  op: Op,
  dirs: readonly InodeRow[],
  ssDelta: number,
): Promise<void> {
  if (ssDelta === 0) return
  for (const dir of dirs) {
    await op.txn.run('INSERT INTO quota_updates (inode_id, ns_delta, ss_delta) VALUES (?, 0, ?)', [
      dir.id,
      ssDelta,
    ])
  }
}

/**
 * Sets the file's length to the sum of its blocks that are not under construction and moves
 * the space quota by the difference × replication (unchecked). No-op for inline files.
 */
export async function syncFileLength(op: Op, t: LockedFile): Promise<void> {
  if (t.file.inline === 1) return
  const row = await op.txn.get<{ n: number | string | null }>(
    `SELECT COALESCE(SUM(num_bytes), 0) AS n FROM blocks WHERE inode_id = ? AND state <> ${BLOCK_UNDER_CONSTRUCTION}`,
    [t.file.id],
  )
  const length = Number(row?.n ?? 0)
  if (length === t.file.length) return
  await addSpaceUnchecked(op, t.quotas, (length - t.file.length) * t.file.replication)
  t.file.length = length
  await op.txn.run('UPDATE inodes SET length = ? WHERE id = ?', [length, t.file.id])
}

/**
 * Refuses a new block when a directory above has less than `blockSize × replication` of space
 * quota left (HDFS `verifyQuota` at allocation). Nothing is charged: usage stays
 * `length × replication`, so the bytes are charged at commit. Two writers below one quota may
 * therefore each be admitted for the same headroom and overshoot by at most their open blocks.
 * @throws FsError DS_QUOTA_EXCEEDED naming the directory
 */
async function checkBlockHeadroom(op: Op, t: LockedFile): Promise<void> {
  const needed = t.file.block_size * t.file.replication
  for (const dir of t.quotas) {
    const q = await readQuota(op, dir.id)
    if (q === undefined || q.ss_quota < 0) continue
    if (q.ss_used + needed > q.ss_quota) {
      throw new FsError(
        'DS_QUOTA_EXCEEDED',
        `The DiskSpace quota of ${prefixPath(t.path, t.resolved.inodes.indexOf(dir))} is exceeded: quota = ${q.ss_quota} B but diskspace consumed = ${q.ss_used + needed} B`,
      )
    }
  }
}

/**
 * Releases the lease row of `holder` when it has no file open any more (HDFS removes a lease
 * with no paths). The row is locked first, so a concurrent create by the same holder, which
 * upserts the row before inserting its file, is either seen or waits for this transaction.
 */
export async function dropLeaseIfIdle(op: Op, holder: string): Promise<void> {
  const lease = await op.txn.get(
    `SELECT holder FROM leases WHERE holder = ?${op.env.profile.forUpdate}`,
    [holder],
  )
  if (lease === undefined) return
  const open = await op.txn.get('SELECT id FROM inodes WHERE client_name = ? LIMIT 1', [holder])
  if (open === undefined) await op.txn.run('DELETE FROM leases WHERE holder = ?', [holder])
}

/**
 * Closes a file whose blocks are all committed (HDFS `finalizeINodeFileUnderConstruction`):
 * length, modification time, no lease holder; the holder's lease goes when it has no open file.
 */
export async function closeFile(op: Op, t: LockedFile): Promise<void> {
  const holder = t.file.client_name
  await syncFileLength(op, t)
  t.file.under_construction = 0
  t.file.client_name = null
  t.file.mtime = op.now
  await op.txn.run(
    'UPDATE inodes SET under_construction = 0, client_name = NULL, mtime = ? WHERE id = ?',
    [op.now, t.file.id],
  )
  if (holder !== null) await dropLeaseIfIdle(op, holder)
  await logChange(op, 'UPDATE', t.file)
}

/** Puts a file under construction for `holder` and renews the holder's lease. */
export async function openFileFor(op: Op, t: LockedFile, holder: string): Promise<void> {
  const previous = t.file.client_name
  t.file.under_construction = 1
  t.file.client_name = holder
  await op.txn.run('UPDATE inodes SET under_construction = 1, client_name = ? WHERE id = ?', [
    holder,
    t.file.id,
  ])
  await renewLeaseRow(op, holder)
  if (previous !== null && previous !== holder) await dropLeaseIfIdle(op, previous)
}

function sameBlock(
  claimed: { readonly blockId: number } | undefined,
  actual: BlockRow | undefined,
): boolean {
  return claimed === undefined ? actual === undefined : actual?.id === claimed.blockId
}

/**
 * addBlock (HDFS `getAdditionalBlock`): commits `previous` with its final length and allocates
 * the next block under construction. A retry whose `previous` is the penultimate block, and whose
 * last block is still empty, gets that last block again (HDFS `analyzeFileState`, case 2).
 * @throws FsError LEASE_EXPIRED, IO_ERROR (mismatched `previous`, too many blocks, inline file),
 *   DS_QUOTA_EXCEEDED
 */
export async function addBlock(op: Op, path: HdfsPath, req: AddBlockRequest): Promise<BlockRecord> {
  const t = await checkLease(op, path, req.clientName)
  const file = t.file
  if (file.inline === 1) {
    // A small file outgrowing the database (an append past the limit): the writer re-sends its
    // whole content through blocks, so its bytes leave `file_data` now.
    await addSpaceUnchecked(op, t.quotas, -file.length * file.replication)
    await op.txn.run('DELETE FROM file_data WHERE inode_id = ?', [file.id])
    await op.txn.run('UPDATE inodes SET inline = 0, length = 0 WHERE id = ?', [file.id])
    file.inline = 0
    file.length = 0
  }
  const blocks = await readBlocks(op, file.id)
  const last = blocks.at(-1)
  const previous = req.previous
  if (previous !== undefined) validateNumBytes(previous.numBytes, `block ${previous.blockId}`)
  if (!sameBlock(previous, last)) {
    const penultimate = blocks.at(-2)
    if (
      previous === undefined &&
      last !== undefined &&
      last.state === BLOCK_COMPLETE &&
      last.num_bytes >= file.block_size
    ) {
      // Case 1: the first block after an append that started on a block boundary.
    } else if (last !== undefined && sameBlock(previous, penultimate)) {
      // Case 2: a retry of an allocation whose answer the client missed.
      if (last.num_bytes !== 0 || last.state !== BLOCK_UNDER_CONSTRUCTION) {
        throw new FsError(
          'IO_ERROR',
          `Request looked like a retry to allocate block ${blockName(last)} but it already contains ${last.num_bytes} bytes`,
        )
      }
      return toBlockRecord(last)
    } else {
      throw new FsError(
        'IO_ERROR',
        `Cannot allocate block in ${path.path}: passed 'previous' block ${previous === undefined ? 'null' : `blk_${previous.blockId}`} does not match actual last block in file ${last === undefined ? 'null' : blockName(last)}`,
      )
    }
  }
  if (previous !== undefined && last !== undefined && last.state === BLOCK_UNDER_CONSTRUCTION) {
    if (previous.numBytes > file.block_size) {
      throw new FsError(
        'IO_ERROR',
        `Block ${blockName(last)} of ${path.path} cannot hold ${previous.numBytes} bytes: the block size is ${file.block_size}`,
      )
    }
    await commitBlock(op, last, previous.numBytes)
    await syncFileLength(op, t)
  }
  if (blocks.length >= MAX_BLOCKS_PER_FILE) {
    throw new FsError(
      'IO_ERROR',
      `File has reached the limit on maximum number of blocks (dfs.namenode.fs-limits.max-blocks-per-file): ${blocks.length} >= ${MAX_BLOCKS_PER_FILE}`,
    )
  }
  await checkBlockHeadroom(op, t)
  const block: BlockRow = {
    id: op.env.blockIds.take(),
    inode_id: file.id,
    idx: blocks.length,
    num_bytes: 0,
    gen_stamp: op.env.genStamps.take(),
    state: BLOCK_UNDER_CONSTRUCTION,
  }
  await op.txn.run(`INSERT INTO blocks (${BLOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, [
    block.id,
    block.inode_id,
    block.idx,
    block.num_bytes,
    block.gen_stamp,
    block.state,
  ])
  return toBlockRecord(block)
}

/**
 * complete (HDFS `completeFile`): commits `last` with its length and closes the file. A retry on
 * a file already closed whose last block is `last` answers true. Returns false while a block
 * lacks its minimum replication (never yet: see {@link stateAfterCommit}).
 * @throws FsError LEASE_EXPIRED; IO_ERROR when `last` is not the file's last block, or when it
 *   is omitted while the last block is still under construction (HDFS would answer false forever)
 */
export async function complete(op: Op, path: HdfsPath, req: CompleteRequest): Promise<boolean> {
  validateClientName(req.clientName)
  if (req.last !== undefined) validateNumBytes(req.last.numBytes, `block ${req.last.blockId}`)
  const { resolved, target } = await resolveAndLock(op, path, undefined)
  if (target !== undefined && isFile(target) && target.under_construction !== 1) {
    const blocks = await readBlocks(op, target.id)
    if (sameBlock(req.last, blocks.at(-1))) return true // an RPC retry after the file closed
  }
  const t = await assertLeased(op, path, resolved, target, req.clientName)
  const blocks = await readBlocks(op, t.file.id)
  const last = blocks.at(-1)
  if (req.last !== undefined) {
    if (last === undefined || last.id !== req.last.blockId) {
      throw new FsError(
        'IO_ERROR',
        `Trying to commit inconsistent block: id = blk_${req.last.blockId}, expected ${last === undefined ? 'no block' : blockName(last)} in ${path.path}`,
      )
    }
    if (last.state === BLOCK_UNDER_CONSTRUCTION) {
      if (req.last.numBytes > t.file.block_size) {
        throw new FsError(
          'IO_ERROR',
          `Block ${blockName(last)} of ${path.path} cannot hold ${req.last.numBytes} bytes: the block size is ${t.file.block_size}`,
        )
      }
      await commitBlock(op, last, req.last.numBytes)
    }
  } else if (last !== undefined && last.state === BLOCK_UNDER_CONSTRUCTION) {
    throw new FsError(
      'IO_ERROR',
      `Cannot complete ${path.path}: its last block ${blockName(last)} is under construction and was not passed`,
    )
  }
  if (blocks.slice(-2).some((b) => b.state !== BLOCK_COMPLETE)) {
    await syncFileLength(op, t)
    return false // HDFS checkFileProgress: the client retries
  }
  await closeFile(op, t)
  return true
}

/**
 * abandonBlock (HDFS `FSDirWriteFileOp.abandonBlock`): drops the file's last block when it is
 * the one named and still under construction; any other block id is ignored, as in HDFS. The
 * block was never charged to a quota (see the module notes), so there is nothing to give back.
 * @throws FsError LEASE_EXPIRED; IO_ERROR when the block was already committed
 */
export async function abandonBlock(
  op: Op,
  path: HdfsPath,
  req: AbandonBlockRequest,
): Promise<void> {
  const t = await checkLease(op, path, req.clientName)
  const last = (await readBlocks(op, t.file.id)).at(-1)
  if (last === undefined || last.id !== req.blockId) return
  if (last.state !== BLOCK_UNDER_CONSTRUCTION) {
    throw new FsError(
      'IO_ERROR',
      `Cannot abandon block ${blockName(last)} of ${path.path}: it is already committed`,
    )
  }
  await invalidateReplicas(op, 'id', [last.id])
  await op.txn.run('DELETE FROM blocks WHERE id = ?', [last.id])
}

/**
 * updateBlock (HDFS `updateBlockForPipeline` + `updatePipeline`): after a pipeline failure the
 * block under construction gets a newer generation stamp and the length the surviving
 * DataNodes agree on, which may not shrink (HDFS: "to an older state").
 * @throws FsError IO_ERROR (unknown block, not under construction, older state), LEASE_EXPIRED
 */
export async function updateBlock(op: Op, req: UpdateBlockRequest): Promise<BlockRecord> {
  validateClientName(req.clientName)
  if (!Number.isSafeInteger(req.newGenStamp) || req.newGenStamp <= 0)
    throw new FsError('INVALID_ARGUMENT', `Invalid generation stamp ${req.newGenStamp}`)
  validateNumBytes(req.newNumBytes, `block ${req.blockId}`)
  const { forUpdate } = op.env.profile
  const found = await op.txn.get<BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE id = ?`, [
    req.blockId,
  ])
  if (found === undefined) throw new FsError('IO_ERROR', `blk_${req.blockId} does not exist.`)
  // Lock the file first, then read the block again: the file's row guards its blocks.
  const file = await op.txn.get<InodeRow>(
    `SELECT ${INODE_COLUMNS} FROM inodes WHERE id = ?${forUpdate}`,
    [found.inode_id],
  )
  const block = await op.txn.get<BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE id = ?`, [
    req.blockId,
  ])
  if (block === undefined) throw new FsError('IO_ERROR', `blk_${req.blockId} does not exist.`)
  if (block.state !== BLOCK_UNDER_CONSTRUCTION) {
    throw new FsError(
      'IO_ERROR',
      `Unexpected BlockUCState: ${blockName(block)} is ${STATE_NAMES[block.state]} but not UNDER_CONSTRUCTION`,
    )
  }
  if (file === undefined || file.under_construction !== 1 || file.id !== block.inode_id) {
    throw new FsError(
      'IO_ERROR',
      `The file ${blockName(block)} belonged to does not exist or it is not under construction.`,
    )
  }
  if (file.client_name !== req.clientName) {
    throw new FsError(
      'LEASE_EXPIRED',
      `Lease mismatch: ${blockName(block)} is accessed by a non lease holder ${req.clientName}`,
    )
  }
  if (req.newGenStamp <= block.gen_stamp || req.newNumBytes < block.num_bytes) {
    throw new FsError(
      'IO_ERROR',
      `Update ${blockName(block)} (len = ${block.num_bytes}) to an older state: blk_${block.id}_${req.newGenStamp} (len = ${req.newNumBytes})`,
    )
  }
  if (req.newNumBytes > file.block_size) {
    throw new FsError(
      'IO_ERROR',
      `Block ${blockName(block)} cannot hold ${req.newNumBytes} bytes: the block size is ${file.block_size}`,
    )
  }
  block.gen_stamp = req.newGenStamp
  block.num_bytes = req.newNumBytes
  await op.txn.run('UPDATE blocks SET gen_stamp = ?, num_bytes = ? WHERE id = ?', [
    block.gen_stamp,
    block.num_bytes,
    block.id,
  ])
  return toBlockRecord(block)
}

/**
 * getBlocks: the file's blocks in index order (the block list of HDFS `getBlockLocations`,
 * without locations). Needs READ on the file.
 * @throws FsError FILE_NOT_FOUND (also for a directory: "Path is not a file"), ACCESS_DENIED
 */
export async function getBlocks(op: Op, path: HdfsPath): Promise<BlockRecord[]> {
  const resolved = await resolvePath(op, path)
  const target = resolved.requireTarget()
  if (!isFile(target)) throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${path.path}`)
  await checkPermission(op, resolved, { access: FsAction.READ })
  return (await readBlocks(op, target.id)).map(toBlockRecord)
}
