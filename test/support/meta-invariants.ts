/**
 * Namespace invariants of the metadata tables, checked with plain SQL (no engine code), for the
 * concurrency and fault tests, on PostgreSQL (`postgres:`/`postgresql:` URLs) and on MySQL,
 * MariaDB or Galera (`mysql:`). One set of queries for both: `$n` placeholders (turned into `?`
 * for MySQL), no casts (every number is read back through `Number`), names and paths put
 * together here rather than in SQL. Run only when no operation is in flight: the checks read
 * several statements and are not one snapshot.
 */
import mysql from 'mysql2/promise'
import pg from 'pg'

/** The one query method the checks need, over either driver. */
export interface SqlReader {
  /** Rows of `sql` (`$1`, `$2`… in order); binary strings come back as UTF-8 strings. */
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>
  close(): Promise<void>
}

/** Opens a {@link SqlReader} on the database at `url`, by URL scheme. */
export async function openSqlReader(url: string): Promise<SqlReader> {
  const scheme = new URL(url).protocol
  if (scheme === 'mysql:') {
    const conn = await mysql.createConnection({
      uri: url,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
    })
    // Galera: read what the whole cluster committed, not only what this node has applied.
    const [wsrep] = await conn.query("SHOW VARIABLES LIKE 'wsrep_on'")
    if ((wsrep as { Value?: string }[])[0]?.Value === 'ON')
      await conn.query('SET SESSION wsrep_sync_wait = 1')
    return {
      async all<T>(sql: string, params: readonly unknown[] = []) {
        const [rows] = await conn.query(sql.replace(/\$\d+/g, '?'), [
          ...params,
        ] as mysql.QueryValues)
        return (rows as Record<string, unknown>[]).map(
          (row) =>
            Object.fromEntries(
              Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : v]),
            ) as T,
        )
      },
      close: () => conn.end(),
    }
  }
  if (scheme === 'postgres:' || scheme === 'postgresql:') {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    return {
      async all<T>(sql: string, params: readonly unknown[] = []) {
        return (await client.query(sql, params as unknown[])).rows as T[]
      },
      close: () => client.end(),
    }
  }
  throw new TypeError(`meta-invariants: no SQL reader for ${scheme} URLs`)
}

/** Runs `fn` with a reader on `url`, closed afterwards. */
async function withReader<T>(url: string, fn: (db: SqlReader) => Promise<T>): Promise<T> {
  const db = await openSqlReader(url)
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** Every column of every row through `Number` (counts and sums are strings on PostgreSQL). */
function numbers<T>(rows: Record<string, unknown>[], keep: readonly string[] = []): T[] {
  return rows.map(
    (row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [
          k,
          keep.includes(k) || v === null || v === undefined ? v : Number(v),
        ]),
      ) as T,
  )
}

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
  return withReader(url, async (db) => {
    const violations: string[] = []
    const q = async <T>(sql: string, params: unknown[] = [], keep: readonly string[] = []) =>
      numbers<T>(await db.all(sql, params), keep)
    const [{ n: total } = { n: 0 }] = await q<{ n: number }>('SELECT count(*) AS n FROM inodes')
    const roots = await q<{ id: number; type: number }>(
      'SELECT id, type FROM inodes WHERE parent_id IS NULL',
    )
    if (roots.length !== 1 || roots[0]!.id !== 1 || roots[0]!.type !== 2)
      violations.push(
        `expected exactly the root (id 1, a directory) without parent, got ${JSON.stringify(roots)}`,
      )

    const [{ n: reachable } = { n: 0 }] = await q<{ n: number }>(
      `WITH RECURSIVE t (id) AS (SELECT id FROM inodes WHERE id = 1
         UNION ALL SELECT c.id FROM inodes c JOIN t ON c.parent_id = t.id)
       SELECT count(*) AS n FROM t`,
    )
    if (reachable !== total) {
      const lost = await q<{ id: number; parent_id: number; name: string }>(
        `WITH RECURSIVE t (id) AS (SELECT id FROM inodes WHERE id = 1
           UNION ALL SELECT c.id FROM inodes c JOIN t ON c.parent_id = t.id)
         SELECT id, parent_id, name FROM inodes
         WHERE id NOT IN (SELECT id FROM t) ORDER BY id LIMIT ${SAMPLE}`,
        [],
        ['name'],
      )
      violations.push(
        `${total - reachable} of ${total} inodes are not reachable from the root (orphans or cycles), e.g. ${JSON.stringify(lost)}`,
      )
    }

    const badParents = await q<{ id: number; parent_id: number; ptype: number }>(
      `SELECT c.id, c.parent_id, p.type AS ptype FROM inodes c
       JOIN inodes p ON p.id = c.parent_id WHERE p.type <> 2 LIMIT ${SAMPLE}`,
    )
    if (badParents.length > 0)
      violations.push(`inodes whose parent is not a directory: ${JSON.stringify(badParents)}`)

    const dups = await q<{ parent_id: number; name: string; n: number }>(
      `SELECT parent_id, name, count(*) AS n FROM inodes
       GROUP BY parent_id, name HAVING count(*) > 1 LIMIT ${SAMPLE}`,
      [],
      ['name'],
    )
    if (dups.length > 0) violations.push(`duplicate (parent_id, name): ${JSON.stringify(dups)}`)

    const badCounts = await q<{ id: number; type: number; stored: number; actual: number }>(
      `SELECT p.id, p.type, p.children_num AS stored, count(c.id) AS actual
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
      `SELECT qu.inode_id, i.type, i.has_quota, qu.ns_used, qu.ss_used,
         COALESCE((SELECT sum(u.ns_delta) FROM quota_updates u WHERE u.inode_id = qu.inode_id), 0) AS ns_pending,
         COALESCE((SELECT sum(u.ss_delta) FROM quota_updates u WHERE u.inode_id = qu.inode_id), 0) AS ss_pending
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
         SELECT count(*) AS ns,
           COALESCE(sum(CASE WHEN type = 1 THEN length * replication ELSE 0 END), 0) AS ss FROM t`,
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
      `SELECT id FROM inodes i WHERE has_quota = 1
       AND NOT EXISTS (SELECT 1 FROM quotas qu WHERE qu.inode_id = i.id) LIMIT ${SAMPLE}`,
    )
    if (flagged.length > 0)
      violations.push(`has_quota = 1 without a quotas row: ${JSON.stringify(flagged)}`)
    const strayDeltas = await q<{ inode_id: number; n: number }>(
      `SELECT inode_id, count(*) AS n FROM quota_updates u
       WHERE NOT EXISTS (SELECT 1 FROM quotas qu WHERE qu.inode_id = u.inode_id)
       GROUP BY inode_id LIMIT ${SAMPLE}`,
    )
    if (strayDeltas.length > 0)
      violations.push(
        `pending quota deltas for inodes without a quota: ${JSON.stringify(strayDeltas)}`,
      )

    const marks = await q<{ id: number; subtree_owner: number }>(
      `SELECT id, subtree_owner FROM inodes WHERE subtree_owner IS NOT NULL LIMIT ${SAMPLE}`,
    )
    if (marks.length > 0) violations.push(`subtree marks left: ${JSON.stringify(marks)}`)
    const ops = await db.all('SELECT inode_id, path, namenode_id, op FROM subtree_ops LIMIT 10')
    if (ops.length > 0) violations.push(`subtree_ops rows left: ${JSON.stringify(ops)}`)
    return { inodes: total, violations }
  })
}

function sign(n: number): string {
  return n < 0 ? String(n) : `+${n}`
}

/** Every inode below (and including) `path` as `relative path → {type, permission}`. */
export async function listSubtree(
  url: string,
  path: string,
): Promise<Map<string, { type: number; permission: number }>> {
  return withReader(url, async (db): Promise<Map<string, { type: number; permission: number }>> => {
    let id = 1
    for (const name of path.split('/').filter((c) => c !== '')) {
      const [row] = await db.all<{ id: unknown }>(
        'SELECT id FROM inodes WHERE parent_id = $1 AND name = $2',
        [id, name],
      )
      if (row === undefined) return new Map()
      id = Number(row.id)
    }
    const rows = numbers<{
      id: number
      parent_id: number
      name: string
      type: number
      permission: number
    }>(
      await db.all(
        `WITH RECURSIVE t (id) AS (SELECT id FROM inodes WHERE id = $1
           UNION ALL SELECT c.id FROM inodes c JOIN t ON c.parent_id = t.id)
         SELECT i.id, i.parent_id, i.name, i.type, i.permission FROM inodes i JOIN t ON t.id = i.id`,
        [id],
      ),
      ['name'],
    )
    // Paths are put together here: the dialects disagree on string concatenation and collation.
    const byId = new Map(rows.map((r) => [r.id, r]))
    const pathOf = (r: (typeof rows)[number]): string => {
      if (r.id === id) return ''
      const parent = byId.get(r.parent_id)
      return parent === undefined ? `?${r.parent_id}/${r.name}` : `${pathOf(parent)}/${r.name}`
    }
    return new Map(rows.map((r) => [pathOf(r), { type: r.type, permission: r.permission }]))
  })
}

/** Files still under construction (`id`, `name`), at most `limit`. */
export async function filesUnderConstruction(
  url: string,
  limit = 10,
): Promise<{ id: number; name: string }[]> {
  return withReader(url, async (db) =>
    numbers<{ id: number; name: string }>(
      await db.all(`SELECT id, name FROM inodes WHERE under_construction <> 0 LIMIT ${limit}`),
      ['name'],
    ),
  )
}
