/**
 * The internal DataNode and client protocol endpoints, round trip through HTTP into a real
 * engine: replies of the documented shapes, RemoteException errors.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { json, remoteException, startTestNameNode } from './test-support.js'
import type { TestNameNode } from './test-support.js'

const user = 'alice'

describe('internal endpoints', () => {
  let nn: TestNameNode

  before(async () => {
    nn = await startTestNameNode()
    await nn.engine.mkdirs({ path: '/w', permission: 0o777, umask: 0 }, { user: 'hdfs' })
  })
  after(() => nn.close())

  async function ok<T = Record<string, unknown>>(endpoint: string, body: unknown): Promise<T> {
    const res = await nn.internal(endpoint, body)
    if (res.status !== 200) assert.fail(`${endpoint}: ${res.status} ${await res.text()}`)
    return json<T>(res)
  }

  it('addBlock without any DataNode is 403 IOException (0 of the 1 minReplication nodes)', async () => {
    await ok('client/create', { user, path: '/w/none', clientName: 'c0', overwrite: false })
    const res = await nn.internal('client/addBlock', { user, path: '/w/none', clientName: 'c0' })
    assert.equal(res.status, 403)
    const e = await remoteException(res)
    assert.equal(e.javaClassName, 'java.io.IOException')
    assert.match(e.message, /could only be written to 0 of the 1 minReplication nodes/)
  })

  it('register and heartbeat: {} then {commands: []}; an unknown DataNode is told to register', async () => {
    for (const [uuid, port] of [
      ['dn-a', 1],
      ['dn-b', 2],
    ] as const) {
      assert.deepEqual(
        await ok('datanode/register', {
          datanodeUuid: uuid,
          httpAddress: `http://127.0.0.1:6500${port}`,
          hostname: 'localhost',
          capacityBytes: 10 * 2 ** 30,
        }),
        {},
      )
      assert.deepEqual(
        await ok('datanode/heartbeat', {
          datanodeUuid: uuid,
          capacityBytes: 10 * 2 ** 30,
          usedBytes: 0,
          remainingBytes: 10 * 2 ** 30,
          failedVolumes: 0,
          xceivers: 0,
        }),
        { commands: [] },
      )
    }
    const res = await ok<{ commands: { type: string }[] }>('datanode/heartbeat', {
      datanodeUuid: 'dn-unknown',
      capacityBytes: 1,
      usedBytes: 0,
      remainingBytes: 1,
      failedVolumes: 0,
      xceivers: 0,
    })
    assert.deepEqual(res.commands, [{ type: 'REGISTER' }])
  })

  it('create, addBlock (pipeline of the live DataNodes, offsets), blockReceived, complete', async () => {
    const st = await ok('client/create', {
      user,
      path: '/w/big',
      clientName: 'c1',
      overwrite: false,
      replication: 3,
      blockSize: 1024,
    })
    assert.equal(st.type, 'FILE')
    assert.equal(st.length, 0)
    assert.equal(st.blockSize, 1024)
    assert.equal(st.replication, 3)
    const b1 = await ok<{
      blockId: number
      genStamp: number
      numBytes: number
      offset: number
      locations: { datanodeUuid: string; httpAddress: string }[]
    }>('client/addBlock', { user, path: '/w/big', clientName: 'c1' })
    assert.equal(b1.offset, 0)
    // replication 3, two DataNodes: HDFS writes with what it has
    assert.deepEqual(b1.locations.map((l) => l.datanodeUuid).sort(), ['dn-a', 'dn-b'])
    for (const dn of ['dn-a', 'dn-b']) {
      await ok('datanode/blockReceived', {
        datanodeUuid: dn,
        received: [{ blockId: b1.blockId, genStamp: b1.genStamp, numBytes: 1024 }],
        deleted: [],
      })
    }
    const b2 = await ok<{
      blockId: number
      genStamp: number
      offset: number
      locations: unknown[]
    }>('client/addBlock', {
      user,
      path: '/w/big',
      clientName: 'c1',
      previous: { blockId: b1.blockId, numBytes: 1024 },
      excludeDatanodes: ['dn-a'],
    })
    assert.equal(b2.offset, 1024)
    assert.equal(b2.locations.length, 1)
    await ok('datanode/blockReceived', {
      datanodeUuid: 'dn-b',
      received: [{ blockId: b2.blockId, genStamp: b2.genStamp, numBytes: 10 }],
      deleted: [],
    })
    assert.deepEqual(
      await ok('client/complete', {
        user,
        path: '/w/big',
        clientName: 'c1',
        last: { blockId: b2.blockId, numBytes: 10 },
      }),
      { complete: true },
    )
    const locs = await ok<{
      fileLength: number
      underConstruction: boolean
      inlineData?: string
      blocks: {
        blockId: number
        offset: number
        numBytes: number
        locations: { datanodeUuid: string }[]
      }[]
    }>('client/getBlockLocations', { user, path: '/w/big', offset: 0, length: 2000 })
    assert.equal(locs.fileLength, 1034)
    assert.equal(locs.underConstruction, false)
    assert.equal(locs.inlineData, undefined)
    assert.deepEqual(
      locs.blocks.map((b) => [b.offset, b.numBytes, b.locations.map((l) => l.datanodeUuid).sort()]),
      [
        [0, 1024, ['dn-a', 'dn-b']],
        [1024, 10, ['dn-b']],
      ],
    )
  })

  it('append of a block file returns the partial last block with its replicas', async () => {
    const res = await ok<{
      fileLength: number
      blockSize: number
      replication: number
      lastBlock?: { offset: number; numBytes: number; locations: { datanodeUuid: string }[] }
    }>('client/append', { user, path: '/w/big', clientName: 'c2' })
    assert.equal(res.fileLength, 1034)
    assert.equal(res.blockSize, 1024)
    assert.equal(res.lastBlock?.offset, 1024)
    assert.equal(res.lastBlock?.numBytes, 10)
    assert.deepEqual(
      res.lastBlock?.locations.map((l) => l.datanodeUuid),
      ['dn-b'],
    )
    assert.deepEqual(await ok('client/renewLease', { user, clientName: 'c2' }), {})
  })

  it('abandonBlock drops a block', async () => {
    await ok('client/create', { user, path: '/w/ab', clientName: 'c3', overwrite: false })
    const b = await ok<{ blockId: number }>('client/addBlock', {
      user,
      path: '/w/ab',
      clientName: 'c3',
    })
    assert.deepEqual(
      await ok('client/abandonBlock', {
        user,
        path: '/w/ab',
        clientName: 'c3',
        blockId: b.blockId,
      }),
      {},
    )
  })

  it('small files: smallFileLimit, createInline, getBlockLocations with inline data, append, completeInline', async () => {
    assert.deepEqual(await ok('client/smallFileLimit', { user, path: '/w/s' }), {
      smallFileMaxBytes: 64 * 1024,
    })
    const data = Buffer.from('hello world')
    const st = await ok('client/createInline', {
      user,
      path: '/w/s',
      overwrite: false,
      data: data.toString('base64'),
    })
    assert.equal(st.length, data.length)
    assert.equal(st.permission, '644')
    const locs = await ok<{ fileLength: number; inlineData?: string; blocks: unknown[] }>(
      'client/getBlockLocations',
      { user, path: '/w/s', offset: 0, length: 100 },
    )
    assert.equal(Buffer.from(locs.inlineData ?? '', 'base64').toString(), 'hello world')
    assert.deepEqual(locs.blocks, [])
    const app = await ok<{ fileLength: number; inlineData?: string }>('client/append', {
      user,
      path: '/w/s',
      clientName: 'c4',
    })
    assert.equal(app.fileLength, data.length)
    assert.equal(Buffer.from(app.inlineData ?? '', 'base64').toString(), 'hello world')
    const done = await ok('client/completeInline', {
      user,
      path: '/w/s',
      clientName: 'c4',
      data: Buffer.from('hello world!!').toString('base64'),
    })
    assert.equal(done.length, 13)
  })

  it('the WebHDFS checksum of an inline file is computed by the NameNode', async () => {
    const res = await nn.webhdfs('GET', '/w/s', 'op=GETFILECHECKSUM&user.name=alice')
    assert.equal(res.status, 200)
    const { FileChecksum: c } = await json<{
      FileChecksum: { algorithm: string; bytes: string; length: number }
    }>(res)
    assert.equal(c.algorithm, 'MD5-of-0MD5-of-512CRC32C')
    assert.equal(c.length, 28)
    assert.match(c.bytes, /^00000200 ?0000000000000000[0-9a-f]{32}$/)
  })

  it('GETFILEBLOCKLOCATIONS lists hosts per block', async () => {
    const res = await nn.webhdfs('GET', '/w/big', 'op=GETFILEBLOCKLOCATIONS&user.name=alice')
    const body = await json<{
      BlockLocations: { BlockLocation: { offset: number; hosts: string[]; names: string[] }[] }
    }>(res)
    assert.deepEqual(
      body.BlockLocations.BlockLocation.map((b) => [b.offset, b.names.length]),
      [
        [0, 2],
        [1024, 1],
      ],
    )
  })

  it('full block report: hashes then buckets; bad block report', async () => {
    const r = await ok<{ mismatchedBuckets: number[] }>('datanode/blockReportHashes', {
      datanodeUuid: 'dn-a',
      hashes: {},
    })
    assert.ok(Array.isArray(r.mismatchedBuckets))
    const buckets: Record<string, []> = {}
    for (const b of r.mismatchedBuckets) buckets[String(b)] = []
    assert.deepEqual(await ok('datanode/blockReportBuckets', { datanodeUuid: 'dn-a', buckets }), {})
    assert.deepEqual(
      await ok('datanode/reportBadBlock', {
        datanodeUuid: 'dn-b',
        block: { blockId: 999999, genStamp: 1, numBytes: 1 },
      }),
      {},
    )
  })

  it('errors are RemoteExceptions: unknown method 404, bad JSON 400, bad request 400, missing file 404', async () => {
    let res = await nn.internal('client/nope', {})
    assert.equal(res.status, 404)
    res = await fetch(`${nn.url}/internal/v1/client/create`, { method: 'POST', body: '{oops' })
    assert.equal(res.status, 400)
    assert.equal((await remoteException(res)).javaClassName, 'java.lang.IllegalArgumentException')
    res = await nn.internal('client/create', { user, clientName: 'x' })
    assert.equal(res.status, 400)
    res = await nn.internal('client/getBlockLocations', { user, path: '/w/missing' })
    assert.equal(res.status, 404)
    assert.equal((await remoteException(res)).exception, 'FileNotFoundException')
    res = await fetch(`${nn.url}/internal/v1/datanode/register`)
    assert.equal(res.status, 400)
  })
})
