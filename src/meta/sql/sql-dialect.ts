/**
 * @module
 * What differs between databases, in one small profile per dialect, and the connection-pool
 * interface the engine runs its transactions on. SQL text is written once with `?` placeholders;
 * each dialect prepares a statement once per connection and reuses it.
 */

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
  transaction<T>(fn: (txn: SqlTxn) => Promise<T>, options: TxnOptions): Promise<T>
  /** Runs DDL text (several statements) outside the statement cache. */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

/** Column types and clauses that differ between dialects, used by migrations and ops. */
export interface SqlTypes {
  readonly bigint: string
  readonly int: string
  readonly text: string
  /** A case-sensitive, byte-ordered name column. */
  readonly name: string
  readonly blob: string
  /** An auto-incrementing 64-bit primary key column definition. */
  readonly serialPk: string
}

export interface SqlDialectProfile {
  readonly name: 'sqlite' | 'postgres' | 'mysql'
  /** SQLite: one writer at a time, and no row locks to take. */
  readonly singleWriter: boolean
  readonly types: SqlTypes
  /** Appended to a SELECT to take a shared row lock ('' where the database serialises writers). */
  readonly forShare: string
  /** Appended to a SELECT to take an exclusive row lock (one that FK checks do not conflict with). */
  readonly forUpdate: string
  open(url: string, options: { poolSize: number }): Promise<SqlPool>
  /** Deadlock, serialization failure, SQLITE_BUSY: the transaction may be run again. */
  isRetryable(err: unknown): boolean
  /** A unique-key clash, e.g. two creates of one (parent_id, name). */
  isUniqueViolation(err: unknown): boolean
}
