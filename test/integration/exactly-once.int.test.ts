/**
 * Exactly-once retries across NameNodes over WebHDFS (DESIGN §4, issue "many stateless
 * NameNodes"): a mutation sent with `clientid` + `callid` is recorded in the database's retry
 * cache, so the same call retried on another NameNode answers what the first one did.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../../src/meta/sql/sql-meta-engine.js'
import { NameNodeServer } from '../../src/namenode/namenode-server.js'
import { tmpDir } from '../support/tmp.js'

describe('exactly-once retries across two NameNodes', () => {
  const engines: SqlMetaEngine[] = []
  const servers: NameNodeServer[] = []
  const urls: string[] = []

  before(async () => {
    const url = `sqlite:${join(tmpDir(), 'meta.db')}`
    for (let i = 0; i < 2; i++) {
      const engine = await openMetaEngine(url)
      const server = new NameNodeServer({
        engine,
        port: 0,
        replicationCheckIntervalMs: 0,
        housekeepingIntervalMs: 0,
      })
      engines.push(engine)
      servers.push(server)
      urls.push(await server.start())
    }
  })
  after(async () => {
    for (const s of servers) await s.stop()
    for (const e of engines) await e.close()
  })

  async function op(nn: number, method: string, path: string, query: string): Promise<unknown> {
    const res = await fetch(`${urls[nn]}/webhdfs/v1${path}?${query}&user.name=hdfs`, { method })
    assert.equal(res.status, 200, await res.clone().text())
    return res.json()
  }

  it('a retried DELETE answers true again on the other NameNode; a new call answers false', async () => {
    await op(0, 'PUT', '/d/x', 'op=MKDIRS')
    assert.deepEqual(await op(0, 'DELETE', '/d/x', 'op=DELETE&clientid=c1&callid=7'), {
      boolean: true,
    })
    assert.deepEqual(await op(1, 'DELETE', '/d/x', 'op=DELETE&clientid=c1&callid=7'), {
      boolean: true,
    })
    assert.deepEqual(await op(1, 'DELETE', '/d/x', 'op=DELETE&clientid=c1&callid=8'), {
      boolean: false,
    })
    assert.deepEqual(await op(1, 'DELETE', '/d/x', 'op=DELETE'), { boolean: false })
  })

  it('a retried RENAME is not refused because its own first attempt moved the file', async () => {
    await op(0, 'PUT', '/r/a', 'op=MKDIRS')
    const q = 'op=RENAME&destination=/r/b&clientid=c2&callid=1'
    assert.deepEqual(await op(0, 'PUT', '/r/a', q), { boolean: true })
    assert.deepEqual(await op(1, 'PUT', '/r/a', q), { boolean: true })
    assert.deepEqual(await op(1, 'PUT', '/r/a', 'op=RENAME&destination=/r/b'), { boolean: false })
  })

  it('a malformed clientid is refused with 400', async () => {
    const res = await fetch(
      `${urls[0]}/webhdfs/v1/d?op=MKDIRS&user.name=hdfs&clientid=a%20b&callid=1`,
      {
        method: 'PUT',
      },
    )
    assert.equal(res.status, 400)
  })
})
