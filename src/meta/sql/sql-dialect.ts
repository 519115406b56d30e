/**
 * @module
 * What differs between databases, in one small profile per dialect, and the connection-pool
 * interface the engine runs its transactions on. SQL text is written once with `?` placeholders;
 * each dialect prepares a statement once per connection and reuses it.
 */

/**
 * Thrown by {@link SqlPool.transaction} when the connection failed while COMMIT was in flight:
 * the transaction may or may not have been committed. `cause` is the driver's error.
 */
export class CommitOutcomeUnknownError extends Error {
  override readonly name = 'CommitOutcomeUnknownError'
  constructor(cause: unknown) {
    super('the connection failed during COMMIT: the outcome is unknown', { cause })
  }
}

/** Result of a statement that changes rows. */
export interface RunResult {
  readonly changes: number
}

/** The statements of one transaction. Rows come back with ids as JavaScript numbers. */
export interface SqlTxn {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>
  get<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>
  /**
   * Rows as arrays of column values, in SELECT order: several times cheaper than objects for
   * wide rows (better-sqlite3 `raw`, pg `rowMode: 'array'`). For the hot path.
   */
  rows(sql: string, params?: readonly unknown[]): Promise<unknown[][]>
  /**
   * A number that changes whenever the database may have changed since it was last returned
   * (another connection committed, or this pool ran a write); undefined where the dialect cannot
   * tell cheaply, and then nothing may be cached across units.
   */
  changeEpoch(): number | undefined
}

export interface TxnOptions {
  /**
   * A read-only unit runs without BEGIN/COMMIT: each statement sees its own snapshot, so the
   * operation must take its answer from one statement (DESIGN §4: reads take no locks).
   */
  readonly readOnly: boolean
}

/** Connections to one database. */
export interface SqlPool {
  /**
   * Runs `fn` in one transaction (read-only units without BEGIN).
   * @throws CommitOutcomeUnknownError when the database became unavailable during COMMIT
   */
  transaction<T>(fn: (txn: SqlTxn) => Promise<T>, options: TxnOptions): Promise<T>
  /** Runs DDL text (several statements) outside the statement cache. */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

/** Column types and clauses that differ between dialects, used by migrations and ops. */
export interface SqlTypes {
  readonly bigint: string
  readonly int: string
  /** Short text (≤ 1024 bytes on MySQL) that may be part of a key or an index. */
  readonly text: string
  /** Text of any length, never indexed: symlink targets, JSON values. */
  readonly longText: string
  /** A case-sensitive, byte-ordered name column. */
  readonly name: string
  /** A case-sensitive, byte-ordered full path (compared by range, never indexed). */
  readonly path: string
  readonly blob: string
  /** An auto-incrementing 64-bit primary key column definition. */
  readonly serialPk: string
  /**
   * Starts a CREATE INDEX that is a no-op when the index exists ('CREATE INDEX IF NOT EXISTS'). MySQL
   * 8 lacks IF NOT EXISTS there: its runner skips the duplicate instead ({@link
   * SqlDialectProfile.isAlreadyApplied}).
   */
  readonly createIndex: string
  /** ` WHERE cond` making an index partial, or '' where partial indexes do not exist (MySQL). */
  indexWhere(cond: string): string
}

export interface SqlDialectProfile {
  readonly name: 'sqlite' | 'postgres' | 'mysql'
  /** SQLite: one writer at a time, and no row locks to take. */
  readonly singleWriter: boolean
  /**
   * Foreign keys are checked row by row as a statement runs (InnoDB), not at its end: one DELETE
   * must not hold a parent and its child.
   */
  readonly foreignKeysPerRow: boolean
  readonly types: SqlTypes
  /** Appended to a SELECT to take a shared row lock ('' where the database serialises writers). */
  readonly forShare: string
  /** Appended to a SELECT to take an exclusive row lock (one that FK checks do not conflict with). */
  readonly forUpdate: string
  open(url: string, options: { poolSize: number }): Promise<SqlPool>
  /** Deadlock, serialization failure, SQLITE_BUSY: the transaction may be run again. */
  isRetryable(err: unknown): boolean
  /**
   * The database could not be reached, or dropped the connection (server stopped or restarting,
   * network failure): the unit did not run or was rolled back, unless the pool threw
   * {@link CommitOutcomeUnknownError}. Always false for an embedded database.
   */
  isUnavailable(err: unknown): boolean
  /** A unique-key clash, e.g. two creates of one (parent_id, name). */
  isUniqueViolation(err: unknown): boolean
  /**
   * What follows `INSERT INTO t (…) VALUES (…)` when a row with the same unique `key` (columns,
   * comma-separated) may exist: `set` assignments (the new values written `excluded.col`, the old
   * ones `t.col`), or nothing changes when `set` is omitted.
   */
  onConflict(key: string, set?: string): string
  /**
   * Adds `count` to counter `name` in `txn` and returns its new `next_value` (undefined when the
   * counter is missing); the row lock makes the range the caller's alone.
   */
  reserveRange(txn: SqlTxn, name: string, count: number): Promise<number | undefined>
  /** Runs `fn`, one migration step in `txn`, holding the database-wide migration lock. */
  withMigrationLock<T>(txn: SqlTxn, fn: () => Promise<T>): Promise<T>
  /**
   * A migration's DDL statement failed because what it creates already exists: where DDL is not
   * transactional (MySQL), a step interrupted half-way is run again and skips what it had done.
   */
  isAlreadyApplied(err: unknown): boolean
}

/** `ON CONFLICT (key) DO UPDATE SET …` / `DO NOTHING` (PostgreSQL, SQLite). */
export function onConflictClause(key: string, set?: string): string {
  return set === undefined
    ? ` ON CONFLICT (${key}) DO NOTHING`
    : ` ON CONFLICT (${key}) DO UPDATE SET ${set}`
}

/** One `UPDATE … RETURNING` (PostgreSQL, SQLite ≥ 3.35). */
export async function reserveRangeReturning(
  txn: SqlTxn,
  name: string,
  count: number,
): Promise<number | undefined> {
  const row = await txn.get<{ next_value: number }>(
    'UPDATE counters SET next_value = next_value + ? WHERE name = ? RETURNING next_value',
    [count, name],
  )
  return row?.next_value
}
