import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BlockStore, ChecksumError } from './block-store.js'

async function readAll(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const b of it) parts.push(b)
  return Buffer.concat(parts)
}

async function writeReplica(
  store: BlockStore,
  blockId: number,
  genStamp: number,
  data: Buffer,
  pieceBytes = 7777,
): Promise<void> {
  const w = await store.createReplica(blockId, genStamp)
  for (let o = 0; o < data.length; o += pieceBytes) await w.write(data.subarray(o, o + pieceBytes))
  await w.finalize()
}

describe('BlockStore', () => {
  let dir: string
  let store: BlockStore

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hops-blockstore-'))
    store = await BlockStore.open(dir, { chunkSizeBytes: 4096 })
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps a stable datanodeUuid in dir/VERSION', async () => {
    const again = await BlockStore.open(dir, { chunkSizeBytes: 4096 })
    assert.equal(again.datanodeUuid, store.datanodeUuid)
    const version = JSON.parse(await readFile(join(dir, 'VERSION'), 'utf8')) as {
      datanodeUuid: string
    }
    assert.equal(version.datanodeUuid, store.datanodeUuid)
  })

  it('writes a replica and reads any range back verified', async () => {
    const data = randomBytes(100_000) // 24 full chunks and a partial one
    await writeReplica(store, 1001, 7, data)
    const info = store.getReplica(1001)
    assert.equal(info?.numBytes, 100_000)
    assert.equal(info?.genStamp, 7)
    assert.deepEqual(await readAll(store.readReplica(1001)), data)
    for (const [offset, length] of [
      [0, 1],
      [4095, 2],
      [4096, 4096],
      [12_345, 67_890],
      [99_999, 10],
      [100_000, 5],
      [0, 100_000],
    ] as const) {
      const got = await readAll(store.readReplica(1001, offset, length))
      assert.deepEqual(got, data.subarray(offset, offset + length), `range ${offset}+${length}`)
    }
    await assert.rejects(readAll(store.readReplica(1001, 100_001, 1)), /out of range/)
    await assert.rejects(readAll(store.readReplica(1001, 0, 1, 8)), /stale/)
    await store.verifyReplica(1001)
  })

  it('writes nothing visible until finalize, and abort leaves no files', async () => {
    const w = await store.createReplica(1002, 1)
    await w.write(randomBytes(10_000))
    assert.equal(store.getReplica(1002), undefined)
    await w.abort()
    await assert.rejects(stat(store.blockPath(1002)), { code: 'ENOENT' })
    await assert.rejects(stat(store.metaPath(1002)), { code: 'ENOENT' })
  })

  it('detects a flipped byte and names the block', async () => {
    const data = randomBytes(50_000)
    await writeReplica(store, 1003, 3, data)
    const fh = await open(store.blockPath(1003), 'r+')
    const b = Buffer.alloc(1)
    await fh.read(b, 0, 1, 30_000)
    b[0] = b[0]! ^ 0x01
    await fh.write(b, 0, 1, 30_000)
    await fh.close()
    // a range before the flipped chunk still reads; one covering it fails
    assert.deepEqual(await readAll(store.readReplica(1003, 0, 20_000)), data.subarray(0, 20_000))
    await assert.rejects(readAll(store.readReplica(1003, 29_000, 10)), (err: unknown) => {
      assert.ok(err instanceof ChecksumError)
      assert.equal(err.block.blockId, 1003)
      assert.match(err.message, /Checksum error in blk_1003_3 at offset 28672/)
      return true
    })
  })

  it('detects a truncated data file', async () => {
    await writeReplica(store, 1004, 1, randomBytes(9000))
    const fh = await open(store.blockPath(1004), 'r+')
    await fh.truncate(8000)
    await fh.close()
    await assert.rejects(readAll(store.readReplica(1004)), ChecksumError)
  })

  it('appends to a replica in place with a new genStamp, and an aborted append is cut back', async () => {
    const a = randomBytes(6000)
    const b = randomBytes(11_000)
    await writeReplica(store, 1005, 1, a)
    const w = await store.appendReplica(1005, 2, 6000)
    await w.write(b)
    const info = await w.finalize()
    assert.deepEqual([info.genStamp, info.numBytes], [2, 17_000])
    assert.deepEqual(await readAll(store.readReplica(1005)), Buffer.concat([a, b]))

    const aborted = await store.appendReplica(1005, 3, 17_000)
    await aborted.write(randomBytes(5000))
    await aborted.abort()
    assert.equal((await stat(store.blockPath(1005))).size, 17_000)
    assert.equal(store.getReplica(1005)?.genStamp, 2)
    assert.deepEqual(await readAll(store.readReplica(1005)), Buffer.concat([a, b]))
    await assert.rejects(store.appendReplica(1005, 4, 100), /holds 17000 bytes, not 100/)
  })

  it('the replica checksum is equal for equal content written in different pieces', async () => {
    const data = randomBytes(20_000)
    await writeReplica(store, 1006, 1, data, 333)
    await writeReplica(store, 1007, 1, data, 20_000)
    assert.equal(store.getReplica(1006)?.checksum, store.getReplica(1007)?.checksum)
  })

  it('deletes replicas and enumerates what is left, also after a restart', async () => {
    await writeReplica(store, 70_000_123, 9, randomBytes(10)) // another subdir
    assert.equal(await store.deleteReplica(1002), false)
    assert.equal(await store.deleteReplica(1006), true)
    await assert.rejects(stat(store.blockPath(1006)), { code: 'ENOENT' })
    const ids = store
      .replicas()
      .map((r) => r.blockId)
      .sort((x, y) => x - y)
    assert.deepEqual(ids, [1001, 1003, 1004, 1005, 1007, 70_000_123])
    const reopened = await BlockStore.open(dir, { chunkSizeBytes: 4096 })
    assert.deepEqual(
      reopened
        .replicas()
        .map((r) => r.blockId)
        .sort((x, y) => x - y),
      ids,
    )
    assert.deepEqual(reopened.getReplica(1005), store.getReplica(1005))
    const report = await reopened.storageReport()
    assert.ok(report.capacityBytes > 0 && report.remainingBytes > 0)
    assert.ok(report.usedBytes >= 100_000 + 50_000 + 17_000)
  })
})
