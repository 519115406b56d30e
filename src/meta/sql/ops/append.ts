/**
 * append (HDFS `FSDirAppendOp.appendFile`, `prepareFileForAppend`): reopens a closed file under
 * construction for a client. A file another client still writes is refused within the soft
 * limit and recovered after it. When the last block is partial the writer continues into it: it
 * is under construction again with a new generation stamp (HDFS hands out the new stamp in the
 * following `updateBlockForPipeline`; this saves that round trip). While it is, the file's length
 * leaves it out, as HDFS's file status does.
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { FsAction } from '../../../common/permission.js'
import type { AppendResult, BlockRecord } from '../../meta-engine.js'
import { logChange } from '../changelog.js'
import { isDirectory, isFile, toInodeRecord } from '../inode-row.js'
import type { Op } from '../op.js'
import {
  BLOCK_COMMITTED,
  BLOCK_UNDER_CONSTRUCTION,
  blockName,
  lockedFile,
  nextGenStamp,
  openFileFor,
  readBlocks,
  resolveAndLock,
  syncFileLength,
  toBlockRecord,
  validateClientName,
} from './blocks.js'
import { recoverLeaseForWrite } from './lease-ops.js'

/**
 * @throws FsError FILE_NOT_FOUND (missing, or not a file), FILE_EXISTS (a directory, as HDFS's
 *   FileAlreadyExistsException), ACCESS_DENIED (WRITE on the file), ALREADY_BEING_CREATED,
 *   RETRIABLE (last block committed but not yet complete)
 */
export async function append(op: Op, path: HdfsPath, clientName: string): Promise<AppendResult> {
  validateClientName(clientName)
  const { resolved, target } = await resolveAndLock(op, path, FsAction.WRITE)
  if (target !== undefined && isDirectory(target)) {
    throw new FsError(
      'FILE_EXISTS',
      `Cannot append to directory ${path.path}; already exists as a directory.`,
    )
  }
  if (target === undefined) {
    throw new FsError(
      'FILE_NOT_FOUND',
      `Failed to append to non-existent file ${path.path} for client ${clientName}`,
    )
  }
  if (!isFile(target)) throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${path.path}`)
  const t = lockedFile(path, resolved, target)
  await recoverLeaseForWrite(op, t, clientName, 'APPEND_FILE')
  let lastBlock: BlockRecord | undefined
  if (t.file.inline !== 1) {
    const last = (await readBlocks(op, t.file.id)).at(-1)
    if (last?.state === BLOCK_COMMITTED) {
      // Only once DataNodes report replicas (see blocks.ts stateAfterCommit).
      throw new FsError(
        'RETRIABLE',
        `append: lastBlock=${blockName(last)} of src=${path.path} is COMMITTED but not yet COMPLETE.`,
      )
    }
    if (last !== undefined && last.num_bytes < t.file.block_size) {
      last.gen_stamp = nextGenStamp(op, last.gen_stamp)
      last.state = BLOCK_UNDER_CONSTRUCTION
      await op.txn.run('UPDATE blocks SET gen_stamp = ?, state = ? WHERE id = ?', [
        last.gen_stamp,
        last.state,
        last.id,
      ])
      lastBlock = toBlockRecord(last)
    }
  }
  await openFileFor(op, t, clientName)
  await syncFileLength(op, t)
  await logChange(op, 'UPDATE', t.file)
  return { file: toInodeRecord(t.file), lastBlock }
}
