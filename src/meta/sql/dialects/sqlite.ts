/**
 * @module
 * SQLite through better-sqlite3 (WAL): the embedded default. better-sqlite3 is synchronous and
 * one connection allows one transaction at a time, so transactions on a connection are queued;
 * SQLite itself serialises writers across processes (`BEGIN IMMEDIATE` + busy timeout).
 */
import Database from 'better-sqlite3'
import type { Statement } from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { onConflictClause, reserveRangeReturning } from '../sql-dialect.js'
import type { RunResult, SqlDialectProfile, SqlPool, SqlTxn, TxnOptions } from '../sql-dialect.js'
import { AsyncQueue } from '../async-queue.js'

/** Parses `sqlite:PATH` (also `sqlite://PATH`, `sqlite::memory:`). */
export function sqliteFileOf(url: string): string {
  const rest = url.replace(/^sqlite:(\/\/)?/, '')
  if (rest === '') throw new TypeError(`sqlite URL needs a file path: ${url}`)
  return rest
}

class SqliteTxn implements SqlTxn {
  constructor(
    readonly statement: (sql: string) => Statement,
    readonly rawStatement: (sql: string) => Statement,
    readonly changeEpoch: () => number,
  ) {}
  rows(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    return Promise.resolve(this.rawStatement(sql).all(...params) as unknown[][])
  }
  all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return Promise.resolve(this.statement(sql).all(...params) as T[])
  }
  get<T>(sql: string, params: readonly unknown[] = []): Promise<T | undefined> {
    return Promise.resolve(this.statement(sql).get(...params) as T | undefined)
  }
  run(sql: string, params: readonly unknown[] = []): Promise<RunResult> {
    return Promise.resolve({ changes: this.statement(sql).run(...params).changes })
  }
}

class SqlitePool implements SqlPool {
  readonly #db: Database.Database
  readonly #statements = new Map<string, Statement>()
  readonly #rawStatements = new Map<string, Statement>()
  readonly #dataVersion: Statement
  #lastDataVersion = -1
  /** Moves on every write of this pool and every commit of another connection. */
  #epoch = 0
  readonly #queue = new AsyncQueue()
  readonly #txn: SqliteTxn
  readonly #begin: Statement
  readonly #commit: Statement
  readonly #rollback: Statement

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    this.#db = new Database(file)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL') // WAL + NORMAL: durable across process crashes
    this.#db.pragma('busy_timeout = 5000')
    // Fewer, larger checkpoints: measured +30% on create; the WAL stays under ~40 MB.
    this.#db.pragma('wal_autocheckpoint = 10000')
    this.#db.pragma('foreign_keys = ON')
    this.#db.defaultSafeIntegers(false)
    this.#txn = new SqliteTxn(
      (sql) => this.#statement(sql),
      (sql) => this.#rawStatement(sql),
      () => this.#changeEpoch(),
    )
    this.#dataVersion = this.#db.prepare('PRAGMA data_version').pluck()
    this.#begin = this.#db.prepare('BEGIN IMMEDIATE')
    this.#commit = this.#db.prepare('COMMIT')
    this.#rollback = this.#db.prepare('ROLLBACK')
  }

  #statement(sql: string): Statement {
    let stmt = this.#statements.get(sql)
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql)
      this.#statements.set(sql, stmt)
    }
    return stmt
  }

  #rawStatement(sql: string): Statement {
    let stmt = this.#rawStatements.get(sql)
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql).raw(true)
      this.#rawStatements.set(sql, stmt)
    }
    return stmt
  }

  #changeEpoch(): number {
    const version = this.#dataVersion.get() as number
    if (version !== this.#lastDataVersion) {
      this.#lastDataVersion = version
      this.#epoch++
    }
    return this.#epoch
  }

  transaction<T>(fn: (txn: SqlTxn) => Promise<T>, options: TxnOptions): Promise<T> {
    return this.#queue.run(async () => {
      if (options.readOnly) return fn(this.#txn)
      this.#begin.run()
      try {
        const result = await fn(this.#txn)
        this.#commit.run()
        return result
      } catch (err) {
        if (this.#db.inTransaction) this.#rollback.run()
        throw err
      } finally {
        this.#epoch++
      }
    })
  }

  exec(sql: string): Promise<void> {
    return this.#queue.run(() => {
      this.#epoch++
      this.#db.exec(sql)
      return Promise.resolve()
    })
  }

  close(): Promise<void> {
    return this.#queue.run(() => {
      this.#db.close()
      return Promise.resolve()
    })
  }
}

function sqliteCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined
}

export const sqliteProfile: SqlDialectProfile = {
  name: 'sqlite',
  singleWriter: true,
  foreignKeysPerRow: false,
  types: {
    bigint: 'INTEGER',
    int: 'INTEGER',
    text: 'TEXT',
    longText: 'TEXT',
    name: 'TEXT',
    path: 'TEXT',
    blob: 'BLOB',
    serialPk: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    createIndex: 'CREATE INDEX IF NOT EXISTS',
    indexWhere: (cond) => ` WHERE ${cond}`,
  },
  forShare: '',
  forUpdate: '',
  open(url) {
    return Promise.resolve(new SqlitePool(sqliteFileOf(url)))
  },
  isRetryable(err) {
    const code = sqliteCode(err)
    return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED'
  },
  isUnavailable: () => false, // embedded: no server to lose
  isUniqueViolation(err) {
    const code = sqliteCode(err)
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  },
  onConflict: onConflictClause,
  reserveRange: reserveRangeReturning,
  withMigrationLock: (_txn, fn) => fn(), // BEGIN IMMEDIATE already excludes other writers
  isAlreadyApplied: () => false, // DDL is transactional: a failed step left nothing behind
}
