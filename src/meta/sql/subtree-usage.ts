/**
 * @module
 * Recursive reads of a subtree in one statement (`WITH RECURSIVE` over parent_id): usage for
 * quotas and content summaries, and ids for deletes.
 */
import type { InodeRow } from './inode-row.js'
import { TYPE_DIRECTORY, TYPE_FILE, isDirectory } from './inode-row.js'
import type { Op } from './op.js'
import { fileSpace } from './quota.js'

export interface SubtreeUsage {
  /** Inodes, the root included. */
  readonly inodes: number
  readonly files: number
  readonly directories: number
  readonly length: number
  /** length × replication over files. */
  readonly space: number
}

const USAGE_SQL = `WITH RECURSIVE t (id, type, length, replication) AS (
    SELECT id, type, length, replication FROM inodes WHERE id = ?
    UNION ALL
    SELECT c.id, c.type, c.length, c.replication FROM inodes c JOIN t ON c.parent_id = t.id WHERE t.type = ${TYPE_DIRECTORY}
  )
  SELECT COUNT(*) AS inodes,
    COALESCE(SUM(CASE WHEN type = ${TYPE_FILE} THEN 1 ELSE 0 END), 0) AS files,
    COALESCE(SUM(CASE WHEN type = ${TYPE_DIRECTORY} THEN 1 ELSE 0 END), 0) AS directories,
    COALESCE(SUM(CASE WHEN type = ${TYPE_FILE} THEN length ELSE 0 END), 0) AS length,
    COALESCE(SUM(CASE WHEN type = ${TYPE_FILE} THEN length * replication ELSE 0 END), 0) AS space
  FROM t`

/** Counts the subtree under `root` (a file counts as itself). */
export async function subtreeUsage(op: Op, root: InodeRow): Promise<SubtreeUsage> {
  if (!isDirectory(root)) {
    return {
      inodes: 1,
      files: root.type === TYPE_FILE ? 1 : 0,
      directories: 0,
      length: root.length,
      space: fileSpace(root),
    }
  }
  const row = await op.txn.get<Record<keyof SubtreeUsage, number | string>>(USAGE_SQL, [root.id])
  return {
    inodes: Number(row?.inodes ?? 0),
    files: Number(row?.files ?? 0),
    directories: Number(row?.directories ?? 0),
    length: Number(row?.length ?? 0),
    space: Number(row?.space ?? 0),
  }
}

const IDS_SQL = `WITH RECURSIVE t (id, type, depth) AS (
    SELECT id, type, 0 FROM inodes WHERE id = ?
    UNION ALL
    SELECT c.id, c.type, t.depth + 1 FROM inodes c JOIN t ON c.parent_id = t.id WHERE t.type = ${TYPE_DIRECTORY}
  )
  SELECT id, type, depth FROM t LIMIT ?`

/** Up to `limit` inodes of the subtree with their depth below `rootId` (0 for the root). */
export function subtreeIds(
  op: Op,
  rootId: number,
  limit: number,
): Promise<{ id: number; type: number; depth: number }[]> {
  return op.txn.all(IDS_SQL, [rootId, limit])
}

const DIR_LEVELS_SQL = `WITH RECURSIVE t (id, depth) AS (
    SELECT id, 0 FROM inodes WHERE id = ?
    UNION ALL
    SELECT c.id, t.depth + 1 FROM inodes c JOIN t ON c.parent_id = t.id WHERE c.type = ${TYPE_DIRECTORY}
  )
  SELECT id, depth FROM t`

/**
 * Locks every directory below `rootId` (the caller holds the root), level by level and by id
 * within a level — the engine's lock order — until no unlocked directory is left. Writers lock
 * the directory they change, so afterwards none is inside the subtree and none can enter it
 * unseen: their re-validation after the wait sees what this transaction did. Shared locks keep
 * the subtree stable (a directory moving across quotas); exclusive ones let it be deleted.
 * No-op on single-writer databases.
 */
export async function lockSubtreeDirectories(
  op: Op,
  rootId: number,
  exclusive: boolean,
): Promise<void> {
  const { profile } = op.env
  if (profile.singleWriter) return
  const lock = exclusive ? profile.forUpdate : profile.forShare
  const locked = new Set<number>([rootId])
  for (;;) {
    const dirs = await op.txn.all<{ id: number; depth: number }>(DIR_LEVELS_SQL, [rootId])
    const levels = new Map<number, number[]>()
    for (const d of dirs) {
      if (locked.has(d.id)) continue
      const level = levels.get(d.depth) ?? []
      level.push(d.id)
      levels.set(d.depth, level)
    }
    if (levels.size === 0) return
    for (const depth of [...levels.keys()].sort((a, b) => a - b)) {
      const ids = levels.get(depth)!
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500)
        await op.txn.all(
          `SELECT id FROM inodes WHERE id IN (${'?,'.repeat(chunk.length - 1)}?) ORDER BY id${lock}`,
          chunk,
        )
        for (const id of chunk) locked.add(id)
      }
    }
  }
}
