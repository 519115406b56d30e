/**
 * A MySQL-protocol server for tests (MariaDB or MySQL): `META_TEST_MYSQL_URL` if set, else the
 * machine's server on 127.0.0.1:3306 (user root, no password). Never silently skipped: if none
 * answers, the tests fail and say how to point them at one.
 */
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'

let admin: Promise<string> | undefined

/** URL of a server account with rights to CREATE DATABASE. */
export function mysqlAdminUrl(): Promise<string> {
  admin ??= findServer()
  return admin
}

async function findServer(): Promise<string> {
  const fromEnv = process.env.META_TEST_MYSQL_URL
  const url = fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'mysql://root@127.0.0.1:3306/test'
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 3000 })
    await conn.end()
  } catch (err) {
    throw new Error(
      `No MySQL/MariaDB server for the MySQL engine tests at ${url.replace(/:[^:@/]*@/, ':****@')}: ` +
        `${err instanceof Error ? err.message : String(err)}. Start one (e.g. apt-get install ` +
        `mariadb-server) or set META_TEST_MYSQL_URL=mysql://user:pass@host:port/db.`,
      { cause: err },
    )
  }
  return url
}

async function adminQuery(sql: string): Promise<void> {
  const conn = await mysql.createConnection({ uri: await mysqlAdminUrl() })
  try {
    await conn.query(sql)
  } finally {
    await conn.end()
  }
}

/** Creates an empty database and returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hops_test_${randomBytes(6).toString('hex')}`
  await adminQuery(`CREATE DATABASE ${name}`)
  const url = new URL(await mysqlAdminUrl())
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name}`),
  }
}
