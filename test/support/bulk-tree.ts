/**
 * Test setup only: fills a directory with many files by one SQL `INSERT … SELECT
 * generate_series`, far faster than creating them through the engine (100 000 creates would take
 * minutes on a 2-core machine). The rows are what `create` + `complete` would leave: closed files
 * owned by hdfs, with a length and a replication, ids from a high range that no engine has
 * reserved. The directory's `children_num` is raised by the same amount and the `inode_id`
 * counter is moved past the range, so engines reserve ids above it from then on (ranges they
 * already hold lie below `firstId`, which is checked). Set quotas *after* filling: `setQuota`
 * counts the subtree, whereas these rows charge no quota.
 */
import pg from 'pg'

export interface BulkFiles {
  /** Directory to fill (must exist). */
  readonly parentPath: string
  readonly count: number
  /** First inode id; ids `firstId … firstId + count - 1` are used. */
  readonly firstId: number
  /** Names are `${prefix}${i}`; default 'f'. */
  readonly prefix?: string
  /** Bytes per file; default 1000. */
  readonly length?: number
}

/** Inserts the files; returns the parent's inode id. */
export async function bulkInsertFiles(url: string, spec: BulkFiles): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('BEGIN')
    let parentId = 1
    for (const name of spec.parentPath.split('/').filter((c) => c !== '')) {
      const row = (
        await client.query<{ id: number; type: number }>(
          'SELECT id::int AS id, type FROM inodes WHERE parent_id = $1 AND name = $2',
          [parentId, name],
        )
      ).rows[0]
      if (row === undefined || row.type !== 2)
        throw new Error(`${spec.parentPath}: not a directory`)
      parentId = row.id
    }
    const counter = (
      await client.query<{ next_value: number }>(
        "SELECT next_value::float8 AS next_value FROM counters WHERE name = 'inode_id' FOR UPDATE",
      )
    ).rows[0]
    if (counter === undefined || counter.next_value > spec.firstId)
      throw new Error(`inode ids up to ${counter?.next_value} are reserved: pick a higher firstId`)
    const now = Date.now()
    await client.query(
      `INSERT INTO inodes (id, parent_id, name, type, owner, grp, permission, mtime, atime, length,
         replication, block_size, children_num)
       SELECT $1::bigint + g, $2, $3 || g, 1, 'hdfs', 'supergroup', 420, $4, $4, $5, 3, 134217728, 0
       FROM generate_series(0, $6::int - 1) AS g`,
      [spec.firstId, parentId, spec.prefix ?? 'f', now, spec.length ?? 1000, spec.count],
    )
    await client.query('UPDATE inodes SET children_num = children_num + $1 WHERE id = $2', [
      spec.count,
      parentId,
    ])
    await client.query(
      "UPDATE counters SET next_value = GREATEST(next_value, $1) WHERE name = 'inode_id'",
      [spec.firstId + spec.count],
    )
    await client.query('COMMIT')
    return parentId
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    await client.end()
  }
}

/** Number of inodes in the subtree rooted at inode `id` (itself included; 0 if it is gone). */
export async function countSubtree(url: string, id: number): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const row = (
      await client.query<{ n: number }>(
        `WITH RECURSIVE t (id) AS (SELECT id FROM inodes WHERE id = $1
           UNION ALL SELECT c.id FROM inodes c JOIN t ON c.parent_id = t.id)
         SELECT count(*)::int AS n FROM t`,
        [id],
      )
    ).rows[0]
    return row?.n ?? 0
  } finally {
    await client.end()
  }
}
