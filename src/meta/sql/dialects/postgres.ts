/**
 * @module
 * PostgreSQL through `pg`. Statements are sent as named prepared statements, so each connection
 * parses and plans a statement once. BIGINT columns come back as JavaScript numbers (ids stay far
 * below 2^53). Write transactions run at READ COMMITTED with explicit row locks (`FOR SHARE` /
 * `FOR UPDATE`) taken in one total order; read-only units run without BEGIN.
 */
import pg from 'pg'
import {
  CommitOutcomeUnknownError,
  onConflictClause,
  reserveRangeReturning,
} from '../sql-dialect.js'
import type { RunResult, SqlDialectProfile, SqlPool, SqlTxn, TxnOptions } from '../sql-dialect.js'

// BIGINT (int8) and NUMERIC results as numbers: the one place 64-bit ids become JS values.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))

/** Turns `?` placeholders into `$1, $2, …`, once per SQL text. */
class StatementNames {
  readonly #names = new Map<string, { name: string; text: string }>()
  get(sql: string): { name: string; text: string } {
    let entry = this.#names.get(sql)
    if (entry === undefined) {
      let i = 0
      entry = { name: `s${this.#names.size}`, text: sql.replace(/\?/g, () => `$${++i}`) }
      this.#names.set(sql, entry)
    }
    return entry
  }
}

class PgTxn implements SqlTxn {
  constructor(
    readonly client: pg.PoolClient | pg.Pool,
    readonly names: StatementNames,
  ) {}
  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const { name, text } = this.names.get(sql)
    const res = await this.client.query({ name, text, values: params as unknown[] })
    return res.rows as T[]
  }
  async get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0]
  }
  changeEpoch(): undefined {
    return undefined
  }
  async rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    const { name, text } = this.names.get(sql)
    const res = await this.client.query<unknown[]>({
      name,
      text,
      values: params as unknown[],
      rowMode: 'array',
    })
    return res.rows
  }
  async run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    const { name, text } = this.names.get(sql)
    const res = await this.client.query({ name, text, values: params as unknown[] })
    return { changes: res.rowCount ?? 0 }
  }
}

class PgPool implements SqlPool {
  readonly #pool: pg.Pool
  readonly #names = new StatementNames()

  constructor(url: string, poolSize: number) {
    // A bounded connect: while the server is down or restarting, a unit fails in time (and the
    // engine retries it) instead of waiting on a socket forever.
    this.#pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    })
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    this.#pool.on('error', () => undefined)
  }

  async transaction<T>(fn: (txn: SqlTxn) => Promise<T>, options: TxnOptions): Promise<T> {
    const client = await this.#pool.connect()
    // pg-pool listens for errors only on idle clients: a checked-out client whose server goes
    // away emits 'error' (after failing its query), which would crash the process unheard.
    let lost = false
    const onError = (): void => {
      lost = true
    }
    client.on('error', onError)
    let broken = false
    try {
      if (options.readOnly) return await fn(new PgTxn(client, this.#names))
      await client.query('BEGIN')
      let result: T
      try {
        result = await fn(new PgTxn(client, this.#names))
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true
        })
        throw err
      }
      try {
        await client.query('COMMIT')
      } catch (err) {
        broken = true
        // The server may have committed before the connection dropped.
        if (isConnectionLoss(err)) throw new CommitOutcomeUnknownError(err)
        throw err
      }
      return result
    } finally {
      client.off('error', onError)
      client.release(broken || lost)
    }
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql)
  }

  close(): Promise<void> {
    return this.#pool.end()
  }
}

const CONNECT_TIMEOUT_MS = 5000

/**
 * SQLSTATEs and socket errors of an unreachable or restarting server: 08xxx connection
 * exceptions, 57P01 admin_shutdown (fast shutdown terminates sessions), 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up / shutting down).
 */
const UNAVAILABLE_CODES = new Set([
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
// pg's own errors for a lost or unopenable connection carry no code.
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout)/

function isConnectionLoss(err: unknown): boolean {
  const code = pgCode(err)
  if (code !== undefined) return UNAVAILABLE_CODES.has(code)
  return err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message)
}

function pgCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined
}

export const postgresProfile: SqlDialectProfile = {
  name: 'postgres',
  singleWriter: false,
  foreignKeysPerRow: false,
  types: {
    bigint: 'BIGINT',
    int: 'INTEGER',
    text: 'TEXT',
    longText: 'TEXT',
    name: 'TEXT COLLATE "C"',
    path: 'TEXT COLLATE "C"',
    blob: 'BYTEA',
    serialPk: 'BIGSERIAL PRIMARY KEY',
    createIndex: 'CREATE INDEX IF NOT EXISTS',
    indexWhere: (cond) => ` WHERE ${cond}`,
  },
  forShare: ' FOR SHARE',
  // NO KEY UPDATE: exclusive against other writers, but compatible with the KEY SHARE locks that
  // foreign-key checks take (inserting a child, a quota delta), which would otherwise lock rows
  // out of our (depth, id) order and deadlock. A DELETE still takes the full lock itself.
  forUpdate: ' FOR NO KEY UPDATE',
  open(url, { poolSize }) {
    return Promise.resolve(new PgPool(url, poolSize))
  },
  isRetryable(err) {
    // 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available
    const code = pgCode(err)
    return code === '40001' || code === '40P01' || code === '55P03'
  },
  isUnavailable: isConnectionLoss,
  isUniqueViolation(err) {
    return pgCode(err) === '23505'
  },
  onConflict: onConflictClause,
  reserveRange: reserveRangeReturning,
  withMigrationLock: async (txn, fn) => {
    await txn.get('SELECT pg_advisory_xact_lock(7470223)') // released at COMMIT
    return fn()
  },
  isAlreadyApplied: () => false, // DDL is transactional: a failed step left nothing behind
}
