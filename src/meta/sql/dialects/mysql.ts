/**
 * @module
 * The MySQL protocol through `mysql2` (MySQL, MariaDB and Galera, NDB Cluster, TiDB speak it;
 * tested on MariaDB 10.11 — MySQL 8.0 ignores the schema's inline REFERENCES). Statements go through `execute`, which prepares each SQL text once
 * per connection and keeps it. BIGINT columns come back as JavaScript numbers
 * (`supportBigNumbers`: a value beyond 2^53 would come back as a string, never rounded), sums
 * (DECIMAL) too. Names, paths and short text are `VARBINARY` (UTF-8 bytes: case-sensitive, no
 * trailing-space padding, byte order like the other engines) and are turned back into strings
 * here, in one place. Write transactions run at READ COMMITTED with `LOCK IN SHARE MODE` /
 * `FOR UPDATE` row locks; read-only units run without BEGIN (autocommit, one snapshot per
 * statement). DDL is not transactional: migrations are written to be re-run.
 */
import mysql from 'mysql2/promise'
import type { FieldPacket, Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise'
import { CommitOutcomeUnknownError } from '../sql-dialect.js'
import type { RunResult, SqlDialectProfile, SqlPool, SqlTxn, TxnOptions } from '../sql-dialect.js'

/** Set on every new connection, before its first statement. */
const SESSION_SQL = [
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
  // Strict on every table: a value too long for its column is an error, never silently cut.
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
]

/**
 * Galera (a server with `wsrep_on`): reads wait until the node has applied every write set the
 * cluster committed before they started (causal reads). Without it a NameNode on another node
 * could answer from a state older than a change a client already saw acknowledged (a retried
 * delete would miss its retry-cache row). Writes need no wait: a write set built on stale rows
 * fails certification at COMMIT (1213) and the transaction is retried.
 */
const GALERA_SESSION_SQL = 'SET SESSION wsrep_sync_wait = 1'

const BINARY_CHARSET = 63
/** VARCHAR, VAR_STRING, STRING: what a VARBINARY/BINARY column reports (BLOBs stay Buffers). */
const STRING_TYPES = new Set([15, 253, 254])

/** Indexes (array rows) or names (object rows) of the binary string columns of a result. */
function binaryStringColumns(fields: readonly FieldPacket[] | undefined): number[] {
  const out: number[] = []
  if (fields === undefined) return out
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!
    if (f.characterSet === BINARY_CHARSET && STRING_TYPES.has(f.columnType ?? f.type ?? -1)) {
      out.push(i)
    }
  }
  return out
}

function utf8(value: unknown): unknown {
  return Buffer.isBuffer(value) ? value.toString('utf8') : value
}

/**
 * Integers go as BIGINT (mysql2 would send every number as DOUBLE: `LIMIT ?` refuses it, and a
 * DOUBLE compared with a BIGINT key is a weaker index lookup); undefined as NULL, like `pg`.
 */
function bind(params: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(params.length)
  for (let i = 0; i < params.length; i++) {
    const v = params[i]
    if (typeof v === 'number' && Number.isSafeInteger(v)) out[i] = mysql.TypedParameter.BIGINT(v)
    else if (v === undefined) out[i] = null
    else if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      out[i] = Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    else out[i] = v
  }
  return out
}

type Values = Parameters<PoolConnection['execute']>[1]

/**
 * Galera: a foreign-key violation in a write transaction is a conflict with another node, not a
 * bug. Row locks do not span nodes, so a row this transaction locked and read (a directory it
 * lists, a parent it inserts under) can change under it when another node's write set is applied
 * here; InnoDB then refuses the statement (1451, 1452) before certification would have aborted
 * the transaction. Retried like a certification failure. (On one server the same error means
 * the locking protocol failed and stays an error.)
 */
export class GaleraConflictError extends Error {
  readonly errno = ER_LOCK_DEADLOCK
  constructor(cause: unknown) {
    super(`conflict with a write set from another Galera node: ${describeError(cause)}`, {
      cause,
    })
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

class MysqlTxn implements SqlTxn {
  constructor(
    readonly conn: PoolConnection,
    /** The server runs Galera (see {@link GaleraConflictError}). */
    readonly galera = false,
  ) {}

  /** `conn.execute`, with Galera's foreign-key conflicts turned into {@link GaleraConflictError}. */
  async #execute(options: { sql: string; rowsAsArray?: boolean }, values: Values) {
    try {
      return await this.conn.execute(options, values)
    } catch (err) {
      const n = errno(err)
      if (this.galera && (n === ER_ROW_IS_REFERENCED_2 || n === ER_NO_REFERENCED_ROW_2))
        throw new GaleraConflictError(err)
      throw err
    }
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const [rows, fields] = await this.#execute({ sql }, bind(params) as Values)
    if (!Array.isArray(rows)) return []
    const cols = binaryStringColumns(fields)
    if (cols.length > 0) {
      const names = cols.map((i) => fields[i]!.name)
      for (const row of rows as Record<string, unknown>[]) {
        for (const name of names) row[name] = utf8(row[name])
      }
    }
    return rows as T[]
  }

  async get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0]
  }

  async rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    const [rows, fields] = await this.#execute({ sql, rowsAsArray: true }, bind(params) as Values)
    if (!Array.isArray(rows)) return []
    const cols = binaryStringColumns(fields)
    const out = rows as unknown as unknown[][]
    if (cols.length > 0) {
      for (const row of out) for (const i of cols) row[i] = utf8(row[i])
    }
    return out
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    const [res] = await this.#execute({ sql }, bind(params) as Values)
    // FOUND_ROWS (a mysql2 default): an UPDATE counts the rows it matched, as on PostgreSQL.
    return { changes: Array.isArray(res) ? 0 : (res as ResultSetHeader).affectedRows }
  }

  changeEpoch(): undefined {
    return undefined
  }
}

class MysqlPool implements SqlPool {
  readonly #pool: Pool
  /** Connections whose session settings are in place (by the underlying connection object). */
  readonly #ready = new WeakSet<object>()
  /** Connections to a Galera node (`wsrep_on`), by the underlying connection object. */
  readonly #galera = new WeakSet<object>()

  constructor(url: string, poolSize: number) {
    this.#pool = mysql.createPool({
      uri: url,
      connectionLimit: poolSize,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      charset: 'utf8mb4',
      enableKeepAlive: true,
    })
  }

  async #connection(): Promise<PoolConnection> {
    const conn = await this.#pool.getConnection()
    if (!this.#ready.has(conn.connection)) {
      try {
        for (const sql of SESSION_SQL) await conn.query(sql)
        const [wsrep] = await conn.query("SHOW VARIABLES LIKE 'wsrep_on'")
        if ((wsrep as { Value?: string }[])[0]?.Value === 'ON') {
          await conn.query(GALERA_SESSION_SQL)
          this.#galera.add(conn.connection)
        }
      } catch (err) {
        conn.destroy()
        throw err
      }
      this.#ready.add(conn.connection)
    }
    return conn
  }

  async transaction<T>(fn: (txn: SqlTxn) => Promise<T>, options: TxnOptions): Promise<T> {
    const conn = await this.#connection()
    let broken = false
    try {
      const galera = this.#galera.has(conn.connection)
      if (options.readOnly) return await fn(new MysqlTxn(conn, galera))
      await conn.query('START TRANSACTION')
      let result: T
      try {
        result = await fn(new MysqlTxn(conn, galera))
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => {
          broken = true
        })
        throw err
      }
      try {
        await conn.query('COMMIT') // Galera: a certification conflict surfaces here, as 1213
      } catch (err) {
        if (!isConnectionLoss(err)) {
          await conn.query('ROLLBACK').catch(() => {
            broken = true
          })
          throw err
        }
        broken = true
        throw new CommitOutcomeUnknownError(err) // the server may have committed first
      }
      return result
    } finally {
      if (broken) conn.destroy()
      else conn.release()
    }
  }

  async exec(sql: string): Promise<void> {
    const conn = await this.#connection()
    try {
      for (const stmt of sql.split(';')) if (stmt.trim() !== '') await conn.query(stmt)
    } finally {
      conn.release()
    }
  }

  close(): Promise<void> {
    return this.#pool.end()
  }
}

/** Client-side codes (mysql2, sockets) and server errors of a lost or unreachable server. */
const UNAVAILABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
const ER_SERVER_SHUTDOWN = 1053
const ER_CON_COUNT_ERROR = 1040

function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
  const n = errno(err)
  return n === ER_SERVER_SHUTDOWN || n === ER_CON_COUNT_ERROR
}

function errno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number'
    ? err.errno
    : undefined
}

const ER_LOCK_WAIT_TIMEOUT = 1205
const ER_LOCK_DEADLOCK = 1213 // also Galera certification conflicts
const ER_CHECKREAD = 1020 // "record has changed since last read" (MariaDB snapshot isolation)
const ER_ROW_IS_REFERENCED_2 = 1451 // a parent row still has children (foreign key)
const ER_NO_REFERENCED_ROW_2 = 1452 // a child row's parent is missing (foreign key)
const ER_DUP_ENTRY = 1062
const ER_DUP_ENTRY_WITH_KEY_NAME = 1586
const ER_TABLE_EXISTS_ERROR = 1050
const ER_DUP_FIELDNAME = 1060
const ER_DUP_KEYNAME = 1061

/** Server-wide lock name for this database's migrations (MySQL caps lock names at 64 chars). */
const MIGRATION_LOCK = "CONCAT('hops-migrate:', SHA1(DATABASE()))"

const clauses = new Map<string, string>()

export const mysqlProfile: SqlDialectProfile = {
  name: 'mysql',
  singleWriter: false,
  foreignKeysPerRow: true,
  types: {
    bigint: 'BIGINT',
    int: 'INT',
    // Key columns must fit InnoDB's 3072-byte index entries: (user, group) is 2 × 1024.
    text: 'VARBINARY(1024)',
    longText: 'LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
    // Inode and xattr names; (inode_id, ns, name) stays under 3072 bytes.
    name: 'VARBINARY(3000)',
    path: 'VARBINARY(32768)',
    blob: 'LONGBLOB',
    serialPk: 'BIGINT AUTO_INCREMENT PRIMARY KEY',
    // MariaDB has IF NOT EXISTS here, MySQL 8 does not: a re-run skips ER_DUP_KEYNAME instead.
    createIndex: 'CREATE INDEX',
    indexWhere: () => '', // no partial indexes: the index holds the NULLs too
  },
  // MariaDB has no FOR SHARE; MySQL 8 still accepts LOCK IN SHARE MODE.
  forShare: ' LOCK IN SHARE MODE',
  // InnoDB has no FOR NO KEY UPDATE: a foreign-key check waits for this lock; the deadlocks that
  // can cause are detected at once (1213) and retried.
  forUpdate: ' FOR UPDATE',
  open(url, { poolSize }) {
    return Promise.resolve(new MysqlPool(url, poolSize))
  },
  isRetryable(err) {
    const code = errno(err)
    return (
      code === ER_LOCK_DEADLOCK ||
      code === ER_LOCK_WAIT_TIMEOUT ||
      code === ER_CHECKREAD ||
      err instanceof GaleraConflictError
    )
  },
  isUnavailable: isConnectionLoss,
  isUniqueViolation(err) {
    const code = errno(err)
    return code === ER_DUP_ENTRY || code === ER_DUP_ENTRY_WITH_KEY_NAME
  },
  onConflict(key, set) {
    const id = `${key}\0${set ?? ''}`
    let clause = clauses.get(id)
    if (clause === undefined) {
      // `VALUES(col)` is the new value: MariaDB lacks MySQL 8.0.19's row alias, and MySQL 8 still
      // accepts VALUES() (deprecated). Doing nothing is assigning a key column to itself, which,
      // unlike INSERT IGNORE, still raises every other error (a foreign key, a too-long value).
      const first = key.split(',')[0]!.trim()
      clause =
        set === undefined
          ? ` ON DUPLICATE KEY UPDATE ${first} = ${first}`
          : ` ON DUPLICATE KEY UPDATE ${set.replace(/\bexcluded\.(\w+)/g, 'VALUES($1)')}`
      clauses.set(id, clause)
    }
    return clause
  },
  async reserveRange(txn, name, count) {
    // No UPDATE … RETURNING: the UPDATE's row lock holds until COMMIT, so the SELECT in the same
    // transaction reads this transaction's own value.
    const res = await txn.run('UPDATE counters SET next_value = next_value + ? WHERE name = ?', [
      count,
      name,
    ])
    if (res.changes === 0) return undefined
    const row = await txn.get<{ next_value: number }>(
      'SELECT next_value FROM counters WHERE name = ?',
      [name],
    )
    return row?.next_value
  },
  async withMigrationLock(txn, fn) {
    // GET_LOCK belongs to the session, not the transaction: DDL's implicit commits keep it.
    const row = await txn.get<{ got: number | null }>(
      `SELECT GET_LOCK(${MIGRATION_LOCK}, 600) AS got`,
    )
    if (row?.got !== 1) throw new Error('timed out waiting for the migration lock')
    try {
      return await fn()
    } finally {
      await txn.get(`SELECT RELEASE_LOCK(${MIGRATION_LOCK})`)
    }
  },
  isAlreadyApplied(err) {
    const code = errno(err)
    return code === ER_TABLE_EXISTS_ERROR || code === ER_DUP_FIELDNAME || code === ER_DUP_KEYNAME
  },
}
