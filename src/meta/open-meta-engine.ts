/**
 * @module
 * Opens a metadata engine by URL: `sqlite:PATH` (the embedded default), `postgres://…` /
 * `postgresql://…`, `mysql://user:pass@host:port/db` (MySQL, MariaDB, Galera).
 */
import type { MetaEngine } from './meta-engine.js'
import { mysqlProfile } from './sql/dialects/mysql.js'
import { postgresProfile } from './sql/dialects/postgres.js'
import { sqliteProfile } from './sql/dialects/sqlite.js'
import type { SqlDialectProfile } from './sql/sql-dialect.js'
import { SqlMetaEngine } from './sql/sql-meta-engine.js'
import type { SqlMetaEngineOptions } from './sql/sql-meta-engine.js'

const PROFILES: Record<string, SqlDialectProfile> = {
  'sqlite:': sqliteProfile,
  'postgres:': postgresProfile,
  'postgresql:': postgresProfile,
  'mysql:': mysqlProfile,
}

/** The dialect profile for a metadata URL. @throws TypeError for an unknown scheme */
export function profileForUrl(url: string): SqlDialectProfile {
  const scheme = /^[a-z]+:/.exec(url)?.[0]
  const profile = scheme === undefined ? undefined : PROFILES[scheme]
  if (profile === undefined) {
    throw new TypeError(
      `Unsupported metadata URL '${redactUrl(url)}': use sqlite:PATH, postgres://user@host:port/db or mysql://user@host:port/db`,
    )
  }
  return profile
}

/** Connects to the database at `url`, migrates it and registers a NameNode row. */
export function openMetaEngine(
  url: string,
  options: SqlMetaEngineOptions = {},
): Promise<SqlMetaEngine> {
  return SqlMetaEngine.open(url, profileForUrl(url), options)
}

/** The URL with any password replaced by `****`, for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1****@')
}

export type { MetaEngine, SqlMetaEngineOptions }
