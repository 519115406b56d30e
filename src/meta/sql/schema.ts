/**
 * @module
 * Numbered migrations, applied at start in order, each in its own transaction; idempotent and
 * safe when several NameNodes start at once (the profile's migration lock around each step). Where
 * DDL is not transactional (MySQL) a step interrupted half-way runs again and skips what exists.
 */
import type { SqlDialectProfile, SqlPool } from './sql-dialect.js'
import * as m0001 from './migrations/0001-initial.js'
import * as m0002 from './migrations/0002-datanodes.js'
import * as m0003 from './migrations/0003-changelog-consumers.js'
import * as m0004 from './migrations/0004-certificates.js'
import * as m0005 from './migrations/0005-users.js'
import * as m0006 from './migrations/0006-block-keys.js'

interface Migration {
  readonly version: number
  up(types: SqlDialectProfile['types']): string
}

/** Every migration, oldest first. Add new files here. */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006]

/** Counters' first values: root is inode 1; HDFS starts block ids above 2^30. */
const COUNTER_SEEDS: Record<string, number> = {
  inode_id: 2,
  block_id: 1_073_741_825,
  gen_stamp: 1001,
  namenode_id: 1,
  /** Bumped by every change of the `settings` table; NameNodes reload when it moves. */
  settings_version: 1,
}

/** Applies the migrations not yet applied; returns the schema version. */
export async function migrate(pool: SqlPool, profile: SqlDialectProfile): Promise<number> {
  await pool.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (version ${profile.types.int} PRIMARY KEY, applied_at ${profile.types.bigint} NOT NULL)`,
  )
  let current = 0
  for (const migration of MIGRATIONS) {
    const applied = await pool.transaction(
      (txn) =>
        profile.withMigrationLock(txn, async () => {
          const row = await txn.get('SELECT version FROM schema_migrations WHERE version = ?', [
            migration.version,
          ])
          if (row !== undefined) return false
          for (const stmt of splitStatements(migration.up(profile.types))) {
            await txn.run(stmt).catch((err: unknown) => {
              if (!profile.isAlreadyApplied(err)) throw err
            })
          }
          await txn.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
            migration.version,
            Date.now(),
          ])
          return true
        }),
      { readOnly: false },
    )
    void applied
    current = migration.version
  }
  await pool.transaction(
    async (txn) => {
      for (const [name, first] of Object.entries(COUNTER_SEEDS)) {
        await txn.run(
          `INSERT INTO counters (name, next_value) VALUES (?, ?)${profile.onConflict('name')}`,
          [name, first],
        )
      }
    },
    { readOnly: false },
  )
  return current
}

function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}
