/**
 * @module
 * Path resolution (DESIGN §4, HopsFS `INodeLock`): the hint cache gives the ids of the path's
 * components, one batched primary-key read fetches them all, and each (parent_id, name) link is
 * checked; a stale or missing suffix is resolved one `(parent_id, name)` lookup at a time.
 * Write transactions then lock what they change ({@link lockInodes}) and re-validate the chain
 * after the locks are held, so a concurrent rename or subtree mark cannot slip in between.
 */
import { FsError } from '../../common/fs-error.js'
import type { HdfsPath } from '../../common/hdfs-path.js'
import { prefixPath } from '../../common/hdfs-path.js'
import { INODE_COLUMNS, ROOT_ID, inodeRowFromValues, isDirectory } from './inode-row.js'
import type { InodeRow } from './inode-row.js'
import type { Op } from './op.js'
import { TxnRestart } from './txn-restart.js'

/** The existing prefix of a path: `inodes[0]` is the root, `inodes[i]` the i-th component. */
export class ResolvedPath {
  constructor(
    readonly path: HdfsPath,
    readonly inodes: InodeRow[],
  ) {}

  /** Number of components (depth of the target). */
  get depth(): number {
    return this.path.components.length
  }

  get exists(): boolean {
    return this.inodes.length === this.depth + 1
  }

  /** The target's row, if it exists. */
  get target(): InodeRow | undefined {
    return this.exists ? this.inodes[this.depth] : undefined
  }

  /** The parent's row, if it exists (undefined for the root). */
  get parent(): InodeRow | undefined {
    return this.depth === 0 ? undefined : this.inodes[this.depth - 1]
  }

  /** The last component's name ('' for the root). */
  get name(): string {
    return this.path.components[this.depth - 1] ?? ''
  }

  /** The deepest existing inode above the target. */
  get lastExistingAncestor(): InodeRow {
    return this.inodes[Math.min(this.inodes.length, this.depth) - 1]!
  }

  /** Throws FILE_NOT_FOUND unless the target exists. */
  requireTarget(): InodeRow {
    const target = this.target
    if (target === undefined)
      throw new FsError('FILE_NOT_FOUND', `File does not exist: ${this.path.path}`)
    return target
  }

  /**
   * The parent as a directory, for operations that create the target.
   * @throws FsError FILE_NOT_FOUND (parent missing), PARENT_NOT_DIRECTORY
   */
  requireParentDirectory(): InodeRow {
    const missingAt = this.inodes.length // index of the first missing component
    if (missingAt < this.depth) {
      const blocker = this.inodes[missingAt - 1]!
      if (!isDirectory(blocker)) {
        throw new FsError(
          'PARENT_NOT_DIRECTORY',
          `Parent path is not a directory: ${prefixPath(this.path, missingAt - 1)}`,
        )
      }
      throw new FsError(
        'FILE_NOT_FOUND',
        `Parent directory doesn't exist: ${prefixPath(this.path, this.depth - 1)}`,
      )
    }
    const parent = this.parent!
    if (!isDirectory(parent)) {
      throw new FsError(
        'PARENT_NOT_DIRECTORY',
        `Parent path is not a directory: ${prefixPath(this.path, this.depth - 1)}`,
      )
    }
    return parent
  }
}

const batchSqlCache = new Map<string, string>()

/** `SELECT … WHERE id IN (?, …)` for `count` ids, built once per count and lock clause. */
function batchSql(count: number, lock = ''): string {
  const key = `${count}${lock}`
  let sql = batchSqlCache.get(key)
  if (sql === undefined) {
    sql = `SELECT ${INODE_COLUMNS} FROM inodes WHERE id IN (${'?,'.repeat(count - 1)}?)${lock}`
    batchSqlCache.set(key, sql)
  }
  return sql
}

/** The paths of every prefix of `path`: `[/, /a, /a/b, …]`, built incrementally. */
function prefixPaths(path: HdfsPath): string[] {
  const prefixes = ['/']
  let current = ''
  for (const name of path.components) {
    current += '/' + name
    prefixes.push(current)
  }
  return prefixes
}

const BY_NAME_SQL = `SELECT ${INODE_COLUMNS} FROM inodes WHERE parent_id = ? AND name = ?`

/** Reads inode rows by id in one statement; returns them by id. */
export async function readInodesById(
  op: Op,
  ids: readonly number[],
): Promise<Map<number, InodeRow>> {
  const rows = await op.txn.rows(batchSql(ids.length), ids)
  const byId = new Map<number, InodeRow>()
  for (const values of rows) {
    const row = inodeRowFromValues(values)
    byId.set(row.id, row)
  }
  return byId
}

/**
 * Ancestor columns a read needs (links, permission, ACL and quota flags, subtree mark); the rest
 * come back NULL, which is several times cheaper than whole rows for deep paths.
 */
const ANCESTOR_COLUMNS = INODE_COLUMNS.split(', ')
  .map((c) =>
    [
      'id',
      'parent_id',
      'name',
      'type',
      'owner',
      'grp',
      'permission',
      'has_acl',
      'has_quota',
      'subtree_owner',
    ].includes(c)
      ? c
      : 'NULL',
  )
  .join(', ')

const readPathSqlCache = new Map<number, string>()

/**
 * For read-only units: the last id's whole row and the ancestors' {@link ANCESTOR_COLUMNS}, in
 * one statement. Ancestor rows read this way must only be used for those columns.
 */
async function readPathForRead(op: Op, ids: readonly number[]): Promise<Map<number, InodeRow>> {
  let sql = readPathSqlCache.get(ids.length)
  if (sql === undefined) {
    sql =
      `SELECT ${INODE_COLUMNS} FROM inodes WHERE id = ? UNION ALL ` +
      `SELECT ${ANCESTOR_COLUMNS} FROM inodes WHERE id IN (${'?,'.repeat(ids.length - 2)}?)`
    readPathSqlCache.set(ids.length, sql)
  }
  const last = ids[ids.length - 1]!
  const rows = await op.txn.rows(sql, [last, ...ids.slice(0, -1)])
  const byId = new Map<number, InodeRow>()
  for (const values of rows) {
    const row = inodeRowFromValues(values)
    if (!byId.has(row.id)) byId.set(row.id, row)
  }
  return byId
}

/**
 * Reads rows through the engine's row cache: cached rows are current while the change epoch
 * stands; the missing ones are read in one statement (usually just the target) and cached. If
 * the epoch moved meanwhile (another process committed), everything is read again.
 */
async function readThroughRowCache(
  op: Op,
  ids: readonly number[],
  epoch: number,
): Promise<Map<number, InodeRow>> {
  const cache = op.env.rowCache
  const cached = cache.at(epoch)
  const byId = new Map<number, InodeRow>()
  const missing: number[] = []
  for (const id of ids) {
    const row = cached.get(id)
    if (row === undefined) missing.push(id)
    else byId.set(id, row)
  }
  if (missing.length === 0) return byId
  const fresh = await readInodesById(op, missing)
  const now = op.txn.changeEpoch()
  if (now !== epoch) return readInodesById(op, ids)
  for (const row of fresh.values()) {
    cache.add(row)
    byId.set(row.id, row)
  }
  return byId
}

/** Reads one child by name. */
export async function readChild(
  op: Op,
  parentId: number,
  name: string,
): Promise<InodeRow | undefined> {
  const rows = await op.txn.rows(BY_NAME_SQL, [parentId, name])
  return rows[0] === undefined ? undefined : inodeRowFromValues(rows[0])
}

/**
 * Resolves `path` to the rows of its existing prefix. Stops at a missing component, or below a
 * file or symlink (callers turn that into FILE_NOT_FOUND or PARENT_NOT_DIRECTORY).
 * @throws TxnRestart when a component is under a live subtree operation (the caller retries)
 */
export async function resolvePath(op: Op, path: HdfsPath): Promise<ResolvedPath> {
  const { hints } = op.env
  const components = path.components
  const prefixes = prefixPaths(path)
  const ids: number[] = [ROOT_ID]
  for (let i = 1; i <= components.length; i++) {
    const id = hints.get(prefixes[i]!)
    if (id === undefined) break
    ids.push(id)
  }
  const epoch = op.readOnly ? op.txn.changeEpoch() : undefined
  let byId =
    epoch !== undefined
      ? await readThroughRowCache(op, ids, epoch)
      : op.readOnly && ids.length > 1
        ? await readPathForRead(op, ids)
        : await readInodesById(op, ids)
  let inodes = validChain(path, ids, byId)
  if (inodes.length < ids.length) {
    for (let i = inodes.length; i < ids.length; i++) hints.delete(prefixes[i]!)
  }
  let walked = false
  while (inodes.length <= components.length) {
    const parent = inodes[inodes.length - 1]!
    if (!isDirectory(parent)) break
    const child = await readChild(op, parent.id, components[inodes.length - 1]!)
    if (child === undefined) break
    hints.set(prefixes[inodes.length]!, child.id)
    if (epoch !== undefined && op.txn.changeEpoch() === epoch) op.env.rowCache.add(child)
    inodes.push(child)
    walked = true
  }
  if (walked && op.readOnly && !op.env.profile.singleWriter) {
    // Lookups one by one saw different snapshots: confirm the chain in one statement.
    const chainIds = inodes.map((r) => r.id)
    byId = await readInodesById(op, chainIds)
    const confirmed = validChain(path, chainIds, byId)
    if (confirmed.length !== chainIds.length) throw new TxnRestart(`path changed: ${path.path}`)
    inodes = confirmed
  }
  await checkSubtreeMarks(op, path, inodes)
  return new ResolvedPath(path, inodes)
}

/** The longest prefix of `ids` whose rows link up by (parent_id, name) from the root. */
function validChain(
  path: HdfsPath,
  ids: readonly number[],
  byId: Map<number, InodeRow>,
): InodeRow[] {
  const root = byId.get(ROOT_ID)
  if (root === undefined) throw new FsError('INTERNAL', 'root inode missing: run migrate()')
  const chain = [root]
  for (let i = 1; i < ids.length; i++) {
    const row = byId.get(ids[i]!)
    const parent = chain[i - 1]!
    if (
      row === undefined ||
      row.parent_id !== parent.id ||
      row.name !== path.components[i - 1] ||
      !isDirectory(parent)
    ) {
      break
    }
    chain.push(row)
  }
  return chain
}

/** Refuses to go through an inode marked by a live NameNode's subtree operation. */
async function checkSubtreeMarks(
  op: Op,
  path: HdfsPath,
  inodes: readonly InodeRow[],
): Promise<void> {
  for (const row of inodes) {
    if (row.subtree_owner === null || row.id === op.subtreeRootId) continue
    if (await isNamenodeAlive(op, row.subtree_owner)) {
      throw new TxnRestart(
        `${path.path} is under a subtree operation of NameNode ${row.subtree_owner}`,
        20,
      )
    }
  }
}

/** True while the NameNode's heartbeat is fresh (our own engine is always alive). */
export async function isNamenodeAlive(op: Op, namenodeId: number): Promise<boolean> {
  if (namenodeId === op.env.namenodeId) return true
  const nn = await op.txn.get<{ last_heartbeat: number }>(
    'SELECT last_heartbeat FROM namenodes WHERE id = ?',
    [namenodeId],
  )
  return nn !== undefined && op.now - nn.last_heartbeat < op.env.settings.namenodeDeadAfterMs
}

/** A row to lock, at its depth in the namespace (for the total lock order). */
export interface InodeLock {
  readonly row: InodeRow
  readonly depth: number
  readonly exclusive: boolean
}

/**
 * Locks rows in one total order (depth, then id; exclusive wins over shared for one row), then
 * re-reads each chain and checks it still links up from the root, refreshing the rows in place.
 * No-op on single-writer databases, where the transaction already sees a stable namespace.
 * @throws TxnRestart when a locked row vanished or a chain changed
 */
export async function lockInodes(
  op: Op,
  locks: readonly InodeLock[],
  chains: readonly ResolvedPath[],
): Promise<void> {
  const { profile } = op.env
  if (profile.singleWriter) return
  const byId = new Map<number, InodeLock>()
  for (const lock of locks) {
    const seen = byId.get(lock.row.id)
    if (seen === undefined || (!seen.exclusive && lock.exclusive)) byId.set(lock.row.id, lock)
  }
  const ordered = [...byId.values()].sort((a, b) => a.depth - b.depth || a.row.id - b.row.id)
  const fresh = new Map<number, InodeRow>()
  for (const lock of ordered) {
    const row = await op.txn.get<InodeRow>(
      batchSql(1, lock.exclusive ? profile.forUpdate : profile.forShare),
      [lock.row.id],
    )
    if (row === undefined) throw new TxnRestart(`inode ${lock.row.id} vanished`)
    fresh.set(row.id, row)
  }
  for (const chain of chains) {
    const ids = chain.inodes.map((r) => r.id)
    const current = await readInodesById(op, ids)
    for (const [id, row] of fresh) current.set(id, row)
    const valid = validChain(chain.path, ids, current)
    if (valid.length !== ids.length) throw new TxnRestart(`path changed: ${chain.path.path}`)
    for (let i = 0; i < valid.length; i++) Object.assign(chain.inodes[i]!, valid[i])
    await checkSubtreeMarks(op, chain.path, chain.inodes)
  }
  for (const lock of ordered) Object.assign(lock.row, fresh.get(lock.row.id))
}
