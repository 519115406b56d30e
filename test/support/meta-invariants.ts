/**
 * Namespace invariants of the metadata tables, checked with plain SQL (no engine code), for the
 * concurrency and fault tests. Run only when no operation is in flight: the checks read several
 * statements and are not one snapshot.
 */
import pg from 'pg'

export interface InvariantReport {
  /** Rows in `inodes`, the root included. */
  readonly inodes: number
  /** Human-readable descriptions of every broken invariant (empty when all hold). */
  readonly violations: string[]
}

const SAMPLE = 10

/**
 * Checks, on the database at `url`:
 * - one root (id 1, parent NULL, a directory), and every other inode reachable from it by parent
 *   links (so no orphan and no cycle: a cycle is never reachable from the root), every parent a
 *   directory;
 * - `(parent_id, name)` unique;
 * - `children_num` of every directory equals its real number of children (0 for the rest);
 * - for every `quotas` row: the directory has `has_quota = 1`, and `ns_used`/`ss_used` plus the
 *   pending `quota_updates` deltas equal a recount of the subtree; no `has_quota = 1` without a
 *   row, no pending delta for an inode without a quota;
 * - no subtree mark (`subtree_owner`) and no `subtree_ops` row left.
 */
export async function checkMetaInvariants(url: string): Promise<InvariantReport> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const violations: string[] = []
  const q = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await client.query<T>(sql, params)).rows
  try {
    const [{ n: total } = { n: 0 }] = await q<{ n: number }>(
      'SELECT count(*)::int AS n FROM inodes',
    )
    const roots = await q<{ id: number; type: number }>(
      'SELECT id::int AS id, type FROM inodes WHERE parent_id IS NULL',
    )
    if (roots.length !== 1 || roots[0]!.id !== 1 || roots[0]!.type !== 2)
      violations.push(
        `expected exactly the root (id 1, a directory) without parent, got ${JSON.stringify(roots)}`,
      )

    const [{ n: reachable } = { n: 0 }] = await q<{ n: number }>(
      `WITH RECURSIVE t (id) AS (SELECT id FROM inodes WHERE id = 1
         UNION ALL SELECT c.id FROM inodes c JOIN t ON c.parent_id = t.id)
       SELECT count(*)::int AS n FROM t`,
    )
    if (reachable !== total) {
      const lost = await q<{ id: number; parent_id: number; name: string }>(
        `WITH RECURSIVE t (id) AS (SELECT id FROM inodes WHERE id = 1
           UNION ALL SELECT c.id FROM inodes c JOIN t ON c.parent_id = t.id)
         SELECT id::int AS id, parent_id::int AS parent_id, name FROM inodes
         WHERE id NOT IN (SELECT id FROM t) ORDER BY id LIMIT ${SAMPLE}`,
      )
      violations.push(
        `${total - reachable} of ${total} inodes are not reachable from the root (orphans or cycles), e.g. ${JSON.stringify(lost)}`,
      )
    }

    const badParents = await q<{ id: number; parent_id: number; ptype: number }>(
      `SELECT c.id::int AS id, c.parent_id::int AS parent_id, p.type AS ptype FROM inodes c
       JOIN inodes p ON p.id = c.parent_id WHERE p.type <> 2 LIMIT ${SAMPLE}`,
    )
    if (badParents.length > 0)
      violations.push(`inodes whose parent is not a directory: ${JSON.stringify(badParents)}`)

    const dups = await q<{ parent_id: number; name: string; n: number }>(
      `SELECT parent_id::int AS parent_id, name, count(*)::int AS n FROM inodes
       GROUP BY parent_id, name HAVING count(*) > 1 LIMIT ${SAMPLE}`,
    )
    if (dups.length > 0) violations.push(`duplicate (parent_id, name): ${JSON.stringify(dups)}`)

    const badCounts = await q<{ id: number; type: number; stored: number; real: number }>(
      `SELECT p.id::int AS id, p.type, p.children_num::int AS stored, count(c.id)::int AS real
       FROM inodes p LEFT JOIN inodes c ON c.parent_id = p.id
       GROUP BY p.id, p.type, p.children_num HAVING p.children_num <> count(c.id)
       ORDER BY p.id LIMIT ${SAMPLE}`,
    )
    if (badCounts.length > 0)
      violations.push(`children_num differs from the real count: ${JSON.stringify(badCounts)}`)

    const quotas = await q<{
      inode_id: number
      type: number | null
      has_quota: number | null
      ns_used: number
      ss_used: number
      ns_pending: number
      ss_pending: number
    }>(
      `SELECT qu.inode_id::int AS inode_id, i.type, i.has_quota, qu.ns_used::float8 AS ns_used,
         qu.ss_used::float8 AS ss_used,
         COALESCE((SELECT sum(u.ns_delta) FROM quota_updates u WHERE u.inode_id = qu.inode_id), 0)::float8 AS ns_pending,
         COALESCE((SELECT sum(u.ss_delta) FROM quota_updates u WHERE u.inode_id = qu.inode_id), 0)::float8 AS ss_pending
       FROM quotas qu LEFT JOIN inodes i ON i.id = qu.inode_id ORDER BY qu.inode_id`,
    )
    for (const row of quotas) {
      if (row.type !== 2 || row.has_quota !== 1) {
        violations.push(
          `quota row for inode ${row.inode_id} whose inode is type ${row.type} has_quota ${row.has_quota}`,
        )
        continue
      }
      const [count = { ns: 0, ss: 0 }] = await q<{ ns: number; ss: number }>(
        `WITH RECURSIVE t (id, type, length, replication) AS (
           SELECT id, type, length, replication FROM inodes WHERE id = $1
           UNION ALL SELECT c.id, c.type, c.length, c.replication FROM inodes c JOIN t ON c.parent_id = t.id)
         SELECT count(*)::float8 AS ns,
           COALESCE(sum(CASE WHEN type = 1 THEN length * replication ELSE 0 END), 0)::float8 AS ss FROM t`,
        [row.inode_id],
      )
      const ns = row.ns_used + row.ns_pending
      const ss = row.ss_used + row.ss_pending
      if (ns !== count.ns || ss !== count.ss) {
        violations.push(
          `quota usage of inode ${row.inode_id}: stored ns=${row.ns_used}${sign(row.ns_pending)} ss=${row.ss_used}${sign(row.ss_pending)} (pending), recount ns=${count.ns} ss=${count.ss}`,
        )
      }
    }
    const flagged = await q<{ id: number }>(
      `SELECT id::int AS id FROM inodes i WHERE has_quota = 1
       AND NOT EXISTS (SELECT 1 FROM quotas qu WHERE qu.inode_id = i.id) LIMIT ${SAMPLE}`,
    )
    if (flagged.length > 0)
      violations.push(`has_quota = 1 without a quotas row: ${JSON.stringify(flagged)}`)
    const strayDeltas = await q<{ inode_id: number; n: number }>(
      `SELECT inode_id::int AS inode_id, count(*)::int AS n FROM quota_updates u
       WHERE NOT EXISTS (SELECT 1 FROM quotas qu WHERE qu.inode_id = u.inode_id)
       GROUP BY inode_id LIMIT ${SAMPLE}`,
    )
    if (strayDeltas.length > 0)
      violations.push(
        `pending quota deltas for inodes without a quota: ${JSON.stringify(strayDeltas)}`,
      )

    const marks = await q<{ id: number; subtree_owner: number }>(
      `SELECT id::int AS id, subtree_owner::int AS subtree_owner FROM inodes
       WHERE subtree_owner IS NOT NULL LIMIT ${SAMPLE}`,
    )
    if (marks.length > 0) violations.push(`subtree marks left: ${JSON.stringify(marks)}`)
    const ops = await q('SELECT inode_id, path, namenode_id, op FROM subtree_ops LIMIT 10')
    if (ops.length > 0) violations.push(`subtree_ops rows left: ${JSON.stringify(ops)}`)
    return { inodes: total, violations }
  } finally {
    await client.end()
  }
}

function sign(n: number): string {
  return n < 0 ? String(n) : `+${n}`
}

/** Every inode below (and including) `path` as `relative path → {type, permission}`. */
export async function listSubtree(
  url: string,
  path: string,
): Promise<Map<string, { type: number; permission: number }>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    let id = 1
    for (const name of path.split('/').filter((c) => c !== '')) {
      const row = (
        await client.query<{ id: number }>(
          'SELECT id::int AS id FROM inodes WHERE parent_id = $1 AND name = $2',
          [id, name],
        )
      ).rows[0]
      if (row === undefined) return new Map()
      id = row.id
    }
    const rows = (
      await client.query<{ path: string; type: number; permission: number }>(
        `WITH RECURSIVE t (id, path, type, permission) AS (
           SELECT id, ''::text COLLATE "C", type, permission FROM inodes WHERE id = $1
           UNION ALL SELECT c.id, (t.path || '/' || c.name) COLLATE "C", c.type, c.permission
           FROM inodes c JOIN t ON c.parent_id = t.id)
         SELECT path, type, permission FROM t`,
        [id],
      )
    ).rows
    return new Map(rows.map((r) => [r.path, { type: r.type, permission: r.permission }]))
  } finally {
    await client.end()
  }
}
