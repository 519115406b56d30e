// The block pipeline between real DataNode HTTP servers on 127.0.0.1. The NameNode transport is
// not available to this unit test, so a small recorder stands in for the two DataNode-protocol
// calls the pipeline makes (blockReceived, reportBadBlock); end-to-end tests use the real one.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { BadBlockRequest, BlockReceivedRequest } from '../protocol/datanode-protocol.js'
import { BlockStore } from './block-store.js'
import { PipelineError, blockUrl, fetchBlockRange, openBlockUpload } from './block-transfer.js'
import { DataNodeServer } from './datanode-server.js'
import { NameNodeClient } from './namenode-client.js'

class Recorder {
  readonly received: BlockReceivedRequest[] = []
  readonly bad: BadBlockRequest[] = []
  blockReceived(req: BlockReceivedRequest): Promise<void> {
    this.received.push(req)
    return Promise.resolve()
  }
  reportBadBlock(req: BadBlockRequest): Promise<void> {
    this.bad.push(req)
    return Promise.resolve()
  }
}

interface Node {
  store: BlockStore
  server: DataNodeServer
  url: string
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const b of it) parts.push(b)
  return Buffer.concat(parts)
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('DataNode block pipeline', () => {
  let root: string
  const recorder = new Recorder()
  const nodes: Node[] = []

  async function startNode(i: number): Promise<Node> {
    const store = await BlockStore.open(join(root, `dn${i}`), { chunkSizeBytes: 4096 })
    const server = new DataNodeServer({
      store,
      datanodeProtocol: recorder,
      // No NameNode in this test: the WebHDFS endpoints are not exercised here.
      clientProtocol: new NameNodeClient(['http://127.0.0.1:1'], { failoverRounds: 1 }),
      transferTimeoutMs: 5000,
    })
    return { store, server, url: await server.start() }
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hops-pipeline-'))
    for (let i = 0; i < 4; i++) nodes.push(await startNode(i))
  })
  after(async () => {
    for (const n of nodes) await n.server.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('stores identical checksummed replicas on all three nodes and reports them before the ack', async () => {
    const [a, b, c] = nodes as [Node, Node, Node]
    const data = randomBytes(3 * 1024 * 1024 + 123)
    const before = recorder.received.length
    const upload = openBlockUpload([a.url, b.url, c.url], 4242, 7)
    for (let o = 0; o < data.length; o += 100_000) await upload.write(data.subarray(o, o + 100_000))
    const ack = await upload.end()
    assert.equal(ack.numBytes, data.length)
    assert.equal(ack.genStamp, 7)
    // 1. every node reported its replica before the writer got the ack
    const reports = recorder.received.slice(before)
    assert.deepEqual(
      reports.map((r) => r.datanodeUuid).sort(),
      [a, b, c].map((n) => n.store.datanodeUuid).sort(),
    )
    for (const r of reports) {
      assert.deepEqual(r.received, [{ blockId: 4242, genStamp: 7, numBytes: data.length }])
    }
    // 2. the replicas are identical, checksummed, and read back verified
    for (const n of [a, b, c]) {
      assert.equal(n.store.getReplica(4242)?.checksum, ack.checksum)
      await n.store.verifyReplica(4242)
      assert.deepEqual(await collect(n.store.readReplica(4242)), data)
    }
    // 3. a range over HTTP from the last node
    const range = await collect(fetchBlockRange(c.url, 4242, 1_000_000, 70_000))
    assert.deepEqual(range, data.subarray(1_000_000, 1_070_000))
  })

  it('continues replicas in place with a new genStamp (append)', async () => {
    const [a, b] = nodes as [Node, Node]
    const first = randomBytes(10_000)
    const more = randomBytes(25_000)
    const u1 = openBlockUpload([a.url, b.url], 5151, 1, { contentLength: first.length })
    await u1.write(first)
    await u1.end()
    const u2 = openBlockUpload([a.url, b.url], 5151, 2, { fromBytes: first.length })
    await u2.write(more)
    const ack = await u2.end()
    assert.deepEqual([ack.genStamp, ack.numBytes], [2, 35_000])
    for (const n of [a, b]) {
      assert.equal(n.store.getReplica(5151)?.genStamp, 2)
      assert.deepEqual(await collect(n.store.readReplica(5151)), Buffer.concat([first, more]))
    }
    // a continuation from a wrong length is refused by the node that holds another length
    const bad = openBlockUpload([a.url, b.url], 5151, 3, { fromBytes: 10 })
    await assert.rejects(
      (async () => {
        await bad.write(more)
        await bad.end()
      })(),
      (err: unknown) => err instanceof PipelineError && err.failedTarget === a.url,
    )
    assert.equal(a.store.getReplica(5151)?.numBytes, 35_000)
  })

  it('fails cleanly when a downstream node stops mid-pipeline, leaving no partial replica', async () => {
    const [a, b, , d] = nodes as [Node, Node, Node, Node]
    const piece = randomBytes(256 * 1024)
    const upload = openBlockUpload([a.url, b.url, d.url], 6161, 1)
    let err: unknown
    try {
      for (let i = 0; i < 4; i++) await upload.write(piece)
      // 1. the last node of the pipeline goes away while the block streams
      await d.server.stop()
      for (let i = 0; i < 200; i++) await upload.write(piece)
      await upload.end()
    } catch (e) {
      err = e
    }
    // 2. the writer learns which node failed
    assert.ok(err instanceof PipelineError, `expected a PipelineError, got ${String(err)}`)
    assert.equal(err.failedTarget, d.url)
    // 3. no node finalized the block, and the partial files are gone
    for (const n of [a, b, d]) assert.equal(n.store.getReplica(6161), undefined)
    await waitFor(async () => {
      for (const n of [a, b]) {
        if ((await readdir(join(n.store.dir, 'tmp'))).some((f) => f.startsWith('blk_6161'))) {
          return false
        }
      }
      return true
    })
    assert.ok(!recorder.received.some((r) => r.received.some((x) => x.blockId === 6161)))
  })

  it('refuses to serve a corrupt replica, reports it, and another replica still serves', async () => {
    const [a, b] = nodes as [Node, Node]
    const data = randomBytes(50_000)
    const upload = openBlockUpload([a.url, b.url], 7171, 4)
    await upload.write(data)
    await upload.end()
    // 1. flip a byte of a's block file on disk
    const fh = await open(a.store.blockPath(7171), 'r+')
    const buf = Buffer.alloc(1)
    await fh.read(buf, 0, 1, 20_000)
    buf[0] = buf[0]! ^ 0xff
    await fh.write(buf, 0, 1, 20_000)
    await fh.close()
    // 2. reading the corrupt range from a fails, and a reports the bad replica
    await assert.rejects(collect(fetchBlockRange(a.url, 7171, 0, 50_000)), /Checksum error/)
    await waitFor(() => Promise.resolve(recorder.bad.length > 0))
    assert.deepEqual(recorder.bad, [
      {
        datanodeUuid: a.store.datanodeUuid,
        block: { blockId: 7171, genStamp: 4, numBytes: 50_000 },
      },
    ])
    // 3. the replica on b is fine
    assert.deepEqual(await collect(fetchBlockRange(b.url, 7171, 0, 50_000)), data)
  })

  it('answers bad requests with a RemoteException', async () => {
    const [a] = nodes as [Node]
    const res = await fetch(blockUrl(a.url, 1, {}), { method: 'PUT', body: 'x' })
    assert.equal(res.status, 400)
    assert.deepEqual(await res.json(), {
      RemoteException: {
        exception: 'IllegalArgumentException',
        javaClassName: 'java.lang.IllegalArgumentException',
        message: 'Invalid value for parameter "genStamp": null',
      },
    })
    const missing = await fetch(blockUrl(a.url, 999_999, {}))
    assert.equal(missing.status, 404)
    const op = await fetch(`${a.url}/webhdfs/v1/x?op=MKDIRS`, { method: 'PUT' })
    assert.equal(op.status, 400)
  })
})
