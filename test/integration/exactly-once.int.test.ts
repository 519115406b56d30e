/**
 * Exactly-once retries across NameNodes over WebHDFS (DESIGN §4, issue "many stateless
 * NameNodes"): a mutation sent with `clientid` + `callid` is recorded in the database's retry
 * cache, so the same call retried on another NameNode answers what the first one did. The
 * internal client protocol (what a DataNode calls while it serves a WebHDFS CREATE or APPEND)
 * carries the same ids as `clientId` / `callId` in its JSON body.
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

  async function internal(nn: number, method: string, body: object): Promise<Response> {
    return fetch(`${urls[nn]}/internal/v1/client/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'hdfs', ...body }),
    })
  }

  it('a retried internal create without overwrite answers the file its first attempt made', async () => {
    const call = { path: '/i/f', overwrite: false, clientName: 'w1', clientId: 'dn-1', callId: 3 }
    const first = await internal(0, 'create', call)
    assert.equal(first.status, 200, await first.clone().text())
    const firstStatus = (await first.json()) as { fileId: number }
    const retry = await internal(1, 'create', call)
    assert.equal(retry.status, 200, await retry.clone().text())
    assert.equal(((await retry.json()) as { fileId: number }).fileId, firstStatus.fileId)
    const again = await internal(1, 'create', { ...call, callId: 4 })
    assert.equal(again.status, 403)
    const noIds = await internal(1, 'create', { path: '/i/f', overwrite: false, clientName: 'w1' })
    assert.equal(noIds.status, 403)
  })

  it('a retried internal createInline is not refused by its own file', async () => {
    const data = Buffer.from('hello').toString('base64')
    const call = { path: '/i/small', overwrite: false, data, clientId: 'dn-1', callId: 9 }
    for (const nn of [0, 1]) {
      const res = await internal(nn, 'createInline', call)
      assert.equal(res.status, 200, await res.clone().text())
      assert.equal(((await res.json()) as { length: number }).length, 5)
    }
  })

  it('malformed internal exactly-once ids are refused with 400', async () => {
    const base = { path: '/i/bad', clientName: 'w1' }
    for (const ids of [{ clientId: 'a b', callId: 1 }, { clientId: 'c' }, { callId: 1 }]) {
      const res = await internal(0, 'create', { ...base, ...ids })
      assert.equal(res.status, 400, JSON.stringify(ids))
    }
  })
})
