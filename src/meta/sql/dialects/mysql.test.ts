import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import mysql from 'mysql2/promise'
import { describeMetaEngine } from '../../meta-engine.case.js'
import { SUPER, withEngine } from '../../cases/with-engine.js'
import { mysqlFactory } from '../../../../test/support/engine-factory.js'

// Uses META_TEST_MYSQL_URL or the local server (MariaDB on 127.0.0.1:3306): never skipped.
describeMetaEngine('mysql', mysqlFactory)

describe('MySQL dialect specifics', () => {
  it('keeps names that differ only in case or trailing spaces apart, and lists them by bytes', () =>
    withEngine(mysqlFactory, async (e) => {
      const names = ['a', 'a ', 'A', 'é', 'z', '😀', 'Z ', 'ab']
      for (const name of names) await e.mkdirs({ path: `/d/${name}` }, SUPER)
      const page = await e.listStatus({ path: '/d' }, SUPER)
      const byBytes = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
      assert.deepEqual(
        page.entries.map((entry) => entry.name),
        byBytes,
      )
      assert.equal((await e.getFileInfo('/d/a ', SUPER)).name, 'a ')
    }))

  it('runs a migration step again after it was cut short (DDL is not transactional)', () =>
    withEngine(mysqlFactory, async (e, handle) => {
      await e.mkdirs({ path: '/kept' }, SUPER)
      const conn = await mysql.createConnection({ uri: handle.url })
      try {
        // As if the process died after the step's DDL but before it was recorded.
        await conn.query('DELETE FROM schema_migrations WHERE version = 2')
        const again = await handle.another()
        assert.equal((await again.getFileInfo('/kept', SUPER)).type, 'DIRECTORY')
        const [rows] = await conn.query(
          "SELECT COUNT(DISTINCT index_name) AS n FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'replicas_datanode'",
        )
        assert.equal((rows as { n: number }[])[0]?.n, 1)
      } finally {
        await conn.end()
      }
    }))
})
