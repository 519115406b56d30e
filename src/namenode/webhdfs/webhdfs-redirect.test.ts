/**
 * The redirecting WebHDFS ops (CREATE, APPEND, OPEN): 307 with a DataNode Location before any
 * body is read, `noredirect=true`, `Expect: 100-continue`, and the namespace checks done first.
 * DataNodes are registered through the internal endpoint with addresses nothing listens on: the
 * NameNode never contacts them.
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { json, remoteException, startTestNameNode } from '../test-support.js'
import type { TestNameNode } from '../test-support.js'

const DN1 = 'http://dn1.invalid:9864'
const DN2 = 'http://dn2.invalid:9864'

describe('WebHDFS redirects', () => {
  let nn: TestNameNode

  before(async () => {
    nn = await startTestNameNode()
    await nn.engine.mkdirs({ path: '/d', permission: 0o777, umask: 0 }, { user: 'hdfs' })
  })
  after(() => nn.close())

  async function register(uuid: string, httpAddress: string): Promise<void> {
    const res = await nn.internal('datanode/register', {
      datanodeUuid: uuid,
      httpAddress,
      hostname: new URL(httpAddress).hostname,
      capacityBytes: 1 << 30,
    })
    assert.equal(res.status, 200, await res.clone().text())
    assert.deepEqual(await json(res), {})
  }

  it('CREATE without a live DataNode is 403 IOException', async () => {
    const res = await nn.webhdfs('PUT', '/d/f', 'op=CREATE&user.name=alice')
    assert.equal(res.status, 403)
    const e = await remoteException(res)
    assert.equal(e.javaClassName, 'java.io.IOException')
  })

  it('CREATE answers 307 to a DataNode, keeping op=CREATE and the client params', async () => {
    await register('dn-1', DN1)
    const res = await nn.webhdfs(
      'PUT',
      '/d/a b.txt',
      'op=create&user.name=alice&overwrite=true&permission=600&replication=2&tempdir=/tmp',
    )
    assert.equal(res.status, 307)
    assert.equal(res.headers.get('content-length'), '0')
    const location = res.headers.get('location') ?? ''
    const u = new URL(location)
    assert.equal(u.origin, DN1)
    assert.equal(u.pathname, '/webhdfs/v1/d/a%20b.txt')
    assert.ok(location.includes('op=CREATE'), location)
    assert.equal(u.searchParams.get('op'), 'CREATE')
    assert.equal(u.searchParams.get('namenoderpcaddress'), nn.url)
    assert.equal(u.searchParams.get('user.name'), 'alice')
    assert.equal(u.searchParams.get('overwrite'), 'true')
    assert.equal(u.searchParams.get('permission'), '600')
    assert.equal(u.searchParams.get('replication'), '2')
    assert.equal(u.searchParams.get('tempdir'), '/tmp')
    assert.equal(u.searchParams.getAll('op').length, 1)
  })

  it('CREATE with noredirect=true answers 200 {"Location": …}', async () => {
    const res = await nn.webhdfs('PUT', '/d/nr', 'op=CREATE&user.name=alice&noredirect=true')
    assert.equal(res.status, 200)
    const body = await json<{ Location: string }>(res)
    assert.ok(body.Location.startsWith(`${DN1}/webhdfs/v1/d/nr?op=CREATE&`), body.Location)
    assert.ok(!body.Location.includes('noredirect'))
  })

  it('CREATE of an existing file without overwrite is 403 FileAlreadyExistsException', async () => {
    await nn.engine.create(
      { path: '/d/exists', clientName: 'c', overwrite: true },
      { user: 'alice' },
    )
    await nn.engine.complete({ path: '/d/exists', clientName: 'c' }, { user: 'alice' })
    let res = await nn.webhdfs('PUT', '/d/exists', 'op=CREATE&user.name=alice')
    assert.equal(res.status, 403)
    assert.equal(
      (await remoteException(res)).javaClassName,
      'org.apache.hadoop.fs.FileAlreadyExistsException',
    )
    res = await nn.webhdfs('PUT', '/d/exists', 'op=CREATE&user.name=alice&overwrite=true')
    assert.equal(res.status, 307)
    res = await nn.webhdfs('PUT', '/d', 'op=CREATE&user.name=alice&overwrite=true')
    assert.equal(res.status, 403)
  })

  it('CREATE with a bad parameter is 400 before any redirect', async () => {
    const res = await nn.webhdfs('PUT', '/d/bad', 'op=CREATE&user.name=alice&permission=8888')
    assert.equal(res.status, 400)
    const res2 = await nn.webhdfs('PUT', '/d/bad', 'op=CREATE&user.name=alice&overwrite=yes')
    assert.equal(res2.status, 400)
  })

  it('APPEND answers 307 with op=APPEND; on a missing file 404', async () => {
    let res = await nn.webhdfs('POST', '/d/exists', 'op=APPEND&user.name=alice&buffersize=4096')
    assert.equal(res.status, 307)
    const u = new URL(res.headers.get('location') ?? '')
    assert.equal(u.searchParams.get('op'), 'APPEND')
    assert.equal(u.searchParams.get('buffersize'), '4096')
    res = await nn.webhdfs('POST', '/d/missing', 'op=APPEND&user.name=alice')
    assert.equal(res.status, 404)
    res = await nn.webhdfs('POST', '/d', 'op=APPEND&user.name=alice')
    assert.equal(res.status, 403)
  })

  it('OPEN of an empty file goes to any live DataNode; a directory is 404', async () => {
    let res = await nn.webhdfs('GET', '/d/exists', 'op=OPEN&user.name=alice&offset=0')
    assert.equal(res.status, 307)
    assert.ok((res.headers.get('location') ?? '').startsWith(`${DN1}/webhdfs/v1/d/exists?op=OPEN&`))
    res = await nn.webhdfs('GET', '/d/exists', 'op=OPEN&user.name=alice&noredirect=true')
    assert.equal(res.status, 200)
    assert.ok((await json<{ Location: string }>(res)).Location.includes('op=OPEN'))
    res = await nn.webhdfs('GET', '/d', 'op=OPEN&user.name=alice')
    assert.equal(res.status, 404)
    res = await nn.webhdfs('GET', '/d/nothing', 'op=OPEN&user.name=alice')
    assert.equal(res.status, 404)
    res = await nn.webhdfs('GET', '/d/exists', 'op=OPEN&user.name=alice&offset=10')
    assert.equal(res.status, 403)
  })

  it('OPEN of a small (inline) file is served by the NameNode, never a DataNode', async () => {
    await nn.engine.createInline(
      { path: '/d/tiny', data: Buffer.from('0123456789') },
      { user: 'alice' },
    )
    // 1. A plain OPEN is redirected to the NameNode itself (Hadoop clients expect a 307).
    let res = await nn.webhdfs('GET', '/d/tiny', 'op=OPEN&user.name=alice&offset=2&length=3')
    assert.equal(res.status, 307)
    const location = new URL(res.headers.get('location') ?? '')
    assert.equal(location.origin, nn.url)
    assert.equal(location.searchParams.get('inlineread'), 'true')
    assert.equal(location.searchParams.get('offset'), '2')
    // 2. Following it (or asking with inlineread=true up front) gets the bytes in one reply.
    res = await fetch(location)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'application/octet-stream')
    assert.equal(await res.text(), '234')
    res = await nn.webhdfs('GET', '/d/tiny', 'op=OPEN&user.name=alice&inlineread=true')
    assert.equal(await res.text(), '0123456789')
    res = await nn.webhdfs('GET', '/d/tiny', 'op=OPEN&user.name=alice&noredirect=true')
    assert.ok(
      (await json<{ Location: string }>(res)).Location.startsWith(`${nn.url}/webhdfs/v1/d/tiny?`),
    )
    // 3. inlineread is ignored for files in blocks (the empty file here): still a DataNode.
    res = await nn.webhdfs('GET', '/d/exists', 'op=OPEN&user.name=alice&inlineread=true')
    assert.equal(res.status, 307)
    assert.ok((res.headers.get('location') ?? '').startsWith(DN1))
  })

  it('OPEN of a block file goes to a DataNode holding the block', async () => {
    await register('dn-2', DN2)
    const user = 'alice'
    // Write one block through the internal client protocol, replicated on dn-2 only.
    let res = await nn.internal('client/create', {
      user,
      path: '/d/blocks',
      clientName: 'w1',
      overwrite: false,
      replication: 1,
    })
    assert.equal(res.status, 200)
    res = await nn.internal('client/addBlock', {
      user,
      path: '/d/blocks',
      clientName: 'w1',
      excludeDatanodes: ['dn-1'],
    })
    const block = await json<{
      blockId: number
      genStamp: number
      locations: { datanodeUuid: string }[]
    }>(res)
    assert.deepEqual(
      block.locations.map((l) => l.datanodeUuid),
      ['dn-2'],
    )
    res = await nn.internal('datanode/blockReceived', {
      datanodeUuid: 'dn-2',
      received: [{ blockId: block.blockId, genStamp: block.genStamp, numBytes: 1000 }],
      deleted: [],
    })
    assert.equal(res.status, 200)
    res = await nn.internal('client/complete', {
      user,
      path: '/d/blocks',
      clientName: 'w1',
      last: { blockId: block.blockId, numBytes: 1000 },
    })
    assert.deepEqual(await json(res), { complete: true })
    for (let i = 0; i < 5; i++) {
      res = await nn.webhdfs('GET', '/d/blocks', 'op=OPEN&user.name=alice')
      assert.equal(res.status, 307)
      assert.ok((res.headers.get('location') ?? '').startsWith(`${DN2}/`))
    }
  })

  it('with Expect: 100-continue the 307 arrives without 100 Continue and the body is not read', async () => {
    const u = new URL(nn.url)
    const outcome = await new Promise<{ status: number; continued: boolean; location: string }>(
      (resolve, reject) => {
        let continued = false
        const req = request({
          host: u.hostname,
          port: u.port,
          method: 'PUT',
          path: '/webhdfs/v1/d/big?op=CREATE&user.name=alice&overwrite=true',
          headers: {
            expect: '100-continue',
            'content-length': String(64 * 1024 * 1024),
            'content-type': 'application/octet-stream',
          },
        })
        req.on('continue', () => {
          continued = true
        })
        req.on('response', (res) => {
          res.resume()
          resolve({
            status: res.statusCode ?? 0,
            continued,
            location: String(res.headers.location ?? ''),
          })
          req.destroy()
        })
        req.on('error', (err) => {
          if (!continued) reject(err)
        })
        req.flushHeaders()
      },
    )
    assert.equal(outcome.status, 307)
    assert.equal(outcome.continued, false)
    assert.ok(outcome.location.includes('op=CREATE'))
  })

  it('a metadata op with Expect: 100-continue still gets its 100 and answers', async () => {
    const u = new URL(nn.url)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        method: 'PUT',
        path: '/webhdfs/v1/d/m?op=MKDIRS&user.name=alice',
        headers: { expect: '100-continue', 'content-length': '2' },
      })
      req.on('continue', () => req.end('{}'))
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.flushHeaders()
    })
    assert.equal(status, 200)
  })

  it('a small body sent with CREATE is drained and the connection stays usable', async () => {
    const agentRes = await nn.webhdfs('PUT', '/d/small', 'op=CREATE&user.name=alice', {
      body: 'hello',
    })
    assert.equal(agentRes.status, 307)
    const again = await nn.webhdfs('GET', '/d', 'op=GETFILESTATUS&user.name=alice')
    assert.equal(again.status, 200)
  })
})
