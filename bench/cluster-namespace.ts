/**
 * @module
 * The namespace the cluster benchmark runs its mix on, and how to build it (untimed) on a fresh
 * PostgreSQL database before any NameNode starts:
 *
 * - `top × perTop` directories `/bench/u<a>/d<b>`, made through the engine (`mkdirs`);
 * - `filesPerDir` closed, empty files `f<i>` in each: never renamed or deleted, so every reader
 *   finds them (they are read, stat-ed, listed, chmod-ed and re-replicated);
 * - for each load process `p` and caller `c`, `ownFiles` files in `/bench/own/p<p>/c<c>`: that
 *   caller's pool for renames and deletes (its creates join the pool), so no two callers ever
 *   race on a rename or delete.
 *
 * The files are inserted by one SQL `INSERT … SELECT` per kind (as `test/support/bulk-tree.ts`
 * does: 30,000 creates through the engine would take half a minute here), as `create` +
 * `complete` of an empty file leaves them: owned by hdfs, 0644, no blocks, not inline. The
 * directories' `children_num` and the `inode_id` counter are moved to match.
 */
import pg from 'pg'
import { openMetaEngine } from '../src/meta/open-meta-engine.js'
import { CTX } from './meta-bench.js'
import { forEachConcurrent } from './timed-loop.js'

/** The shape of the benchmark namespace (paths follow from it). */
export interface ClusterNamespace {
  readonly top: number
  readonly perTop: number
  readonly filesPerDir: number
  /** Load processes and callers per process that own a rename/delete pool. */
  readonly processes: number
  readonly callers: number
  readonly ownFiles: number
}

/** Number of shared directories. */
export function dirCount(ns: ClusterNamespace): number {
  return ns.top * ns.perTop
}

/** Number of shared (read-mostly) files. */
export function fileCount(ns: ClusterNamespace): number {
  return dirCount(ns) * ns.filesPerDir
}

/** Shared directory `i` (0 ≤ i < dirCount). */
export function dirPath(ns: ClusterNamespace, i: number): string {
  return `/bench/u${Math.floor(i / ns.perTop)}/d${i % ns.perTop}`
}

/** Shared file `i` (0 ≤ i < fileCount). */
export function filePath(ns: ClusterNamespace, i: number): string {
  return `${dirPath(ns, Math.floor(i / ns.filesPerDir))}/f${i % ns.filesPerDir}`
}

/** The directory of caller `caller`'s own files in load process `proc`. */
export function ownDir(proc: number, caller: number): string {
  return `/bench/own/p${proc}/c${caller}`
}

/** Builds the namespace on the database at `url` (which must be fresh); returns inode ids. */
export async function buildClusterNamespace(
  url: string,
  ns: ClusterNamespace,
  log: (line: string) => void,
): Promise<{ fileIds: number[] }> {
  const engine = await openMetaEngine(url, { poolSize: 16 })
  const sharedDirs = Array.from({ length: dirCount(ns) }, (_, i) => dirPath(ns, i))
  const ownDirs: string[] = []
  for (let p = 0; p < ns.processes; p++)
    for (let c = 0; c < ns.callers; c++) ownDirs.push(ownDir(p, c))
  try {
    // Parents first, so concurrent mkdirs never race on a shared missing parent.
    await engine.mkdirs({ path: '/bench/own' }, CTX)
    const parents = [
      ...Array.from({ length: ns.top }, (_, a) => `/bench/u${a}`),
      ...Array.from({ length: ns.processes }, (_, p) => `/bench/own/p${p}`),
    ]
    await forEachConcurrent(parents.length, 16, (i) => engine.mkdirs({ path: parents[i]! }, CTX))
    const leaves = [...sharedDirs, ...ownDirs]
    await forEachConcurrent(leaves.length, 16, (i) => engine.mkdirs({ path: leaves[i]! }, CTX))
  } finally {
    await engine.close()
  }
  log(`  ${sharedDirs.length + ownDirs.length} directories made through the engine`)

  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('BEGIN')
    const rows = await client.query<{ path: string; id: number }>(
      `WITH RECURSIVE t (id, path) AS (
         SELECT id, '/bench' COLLATE "C" FROM inodes WHERE parent_id = 1 AND name = 'bench'
         UNION ALL
         SELECT c.id, t.path || '/' || c.name FROM inodes c JOIN t ON c.parent_id = t.id
         WHERE c.type = 2)
       SELECT path, id::float8 AS id FROM t`,
    )
    const byPath = new Map(rows.rows.map((r) => [r.path, r.id]))
    const idsOf = (paths: readonly string[]): number[] =>
      paths.map((path) => {
        const id = byPath.get(path)
        if (id === undefined) throw new Error(`${path} was not created`)
        return id
      })
    const counter = await client.query<{ next_value: number }>(
      "SELECT next_value::float8 AS next_value FROM counters WHERE name = 'inode_id' FOR UPDATE",
    )
    const startId = counter.rows[0]?.next_value
    if (startId === undefined) throw new Error('no inode_id counter')
    let nextId: number = startId
    const insert = async (parentIds: readonly number[], count: number): Promise<void> => {
      // Ids in parent order, then name order: file i of parent j gets nextId + j*count + i.
      await client.query(
        `INSERT INTO inodes (id, parent_id, name, type, owner, grp, permission, mtime, atime,
           length, replication, block_size, children_num)
         SELECT $1::bigint + (d.ord - 1) * $3::int + g, d.id, 'f' || g, 1, 'hdfs', 'supergroup',
           420, $4, $4, 0, 3, 134217728, 0
         FROM unnest($2::bigint[]) WITH ORDINALITY AS d (id, ord)
           CROSS JOIN generate_series(0, $3::int - 1) AS g`,
        [nextId, parentIds, count, Date.now()],
      )
      await client.query('UPDATE inodes SET children_num = children_num + $1 WHERE id = ANY($2)', [
        count,
        parentIds,
      ])
      nextId += parentIds.length * count
    }
    const sharedIds = idsOf(sharedDirs)
    const firstFileId = nextId
    await insert(sharedIds, ns.filesPerDir)
    await insert(idsOf(ownDirs), ns.ownFiles)
    await client.query("UPDATE counters SET next_value = $1 WHERE name = 'inode_id'", [nextId])
    await client.query('COMMIT')
    await client.query('ANALYZE inodes')
    log(
      `  ${fileCount(ns)} shared + ${ownDirs.length * ns.ownFiles} own files inserted in one transaction`,
    )
    return {
      fileIds: Array.from({ length: fileCount(ns) }, (_, i) => firstFileId + i),
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    await client.end()
  }
}
