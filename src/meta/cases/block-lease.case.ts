/** Conformance cases: block records, leases, append, truncate, concat. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FsErrorCode } from '../../common/fs-error.js'
import type { BlockRecord, CallerContext } from '../meta-engine.js'
import type { EngineFactory } from '../meta-engine.case.js'
import type { SqlMetaEngine } from '../sql/sql-meta-engine.js'
import { rejectsWith } from './namespace.case.js'
import { ALICE, BOB, SUPER, withEngine as withAnyEngine } from './with-engine.js'
import type { SqlMetaEngineOptions } from '../sql/sql-meta-engine.js'
import type { TestEngine } from '../meta-engine.case.js'

/**
 * These cases run without DataNodes, so no replica is ever reported: minimum replication 0 lets
 * committed blocks complete (the data-path cases cover minReplication 1 with reported replicas).
 */
function withEngine(
  factory: EngineFactory,
  fn: (engine: SqlMetaEngine, handle: TestEngine) => Promise<void>,
  options?: SqlMetaEngineOptions,
): Promise<void> {
  return withAnyEngine(factory, fn, {
    ...options,
    settings: { minReplication: 0, ...options?.settings },
  })
}

/** Small blocks keep the arithmetic readable (block sizes must be multiples of 512). */
const BS = 1024

interface WriteOptions {
  readonly replication?: number
  readonly blockSize?: number
  readonly ctx?: CallerContext
  /** Leave the file open after the last addBlock (the last block stays under construction). */
  readonly open?: boolean
}

/** create → addBlock per size (committing the previous one) → complete; returns the blocks. */
async function writeFile(
  e: SqlMetaEngine,
  path: string,
  client: string,
  sizes: readonly number[],
  options: WriteOptions = {},
): Promise<BlockRecord[]> {
  const ctx = options.ctx ?? SUPER
  await e.create(
    {
      path,
      clientName: client,
      blockSize: options.blockSize ?? BS,
      replication: options.replication ?? 1,
    },
    ctx,
  )
  const blocks: BlockRecord[] = []
  let previous: { blockId: number; numBytes: number } | undefined
  for (const numBytes of sizes) {
    const b = await e.addBlock({ path, clientName: client, previous }, ctx)
    blocks.push(b)
    previous = { blockId: b.blockId, numBytes }
  }
  if (options.open !== true) {
    assert.equal(await e.complete({ path, clientName: client, last: previous }, ctx), true)
  }
  return blocks
}

/** Rows in `blocks` for the given ids (inspects the database directly). */
async function countBlockRows(e: SqlMetaEngine, ids: readonly number[]): Promise<number> {
  return e.withTxn(SUPER, { readOnly: true }, async (op) => {
    const row = await op.txn.get<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM blocks WHERE id IN (${ids.map(() => '?').join(',')})`,
      ids,
    )
    return Number(row?.n ?? 0)
  })
}

const lengths = (blocks: readonly BlockRecord[]): number[] => blocks.map((b) => b.numBytes)

export function blockLeaseCases(factory: EngineFactory): void {
  describe('blocks and leases', () => {
    it('allocates blocks, commits each previous one and completes the file', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c1', blockSize: BS, replication: 1 }, SUPER)
        const b0 = await e.addBlock({ path: '/f', clientName: 'c1' }, SUPER)
        assert.deepEqual([b0.index, b0.numBytes, b0.state], [0, 0, 'UNDER_CONSTRUCTION'])
        assert.equal((await e.getFileInfo('/f', SUPER)).length, 0)
        const b1 = await e.addBlock(
          { path: '/f', clientName: 'c1', previous: { blockId: b0.blockId, numBytes: BS } },
          SUPER,
        )
        assert.equal(b1.index, 1)
        assert.notEqual(b1.blockId, b0.blockId)
        assert.equal((await e.getFileInfo('/f', SUPER)).length, BS, 'committed blocks only')
        const b2 = await e.addBlock(
          { path: '/f', clientName: 'c1', previous: { blockId: b1.blockId, numBytes: BS } },
          SUPER,
        )
        assert.deepEqual(await e.getLease('c1').then((l) => l?.paths), ['/f'])
        const done = await e.complete(
          { path: '/f', clientName: 'c1', last: { blockId: b2.blockId, numBytes: 100 } },
          SUPER,
        )
        assert.equal(done, true)
        const info = await e.getFileInfo('/f', SUPER)
        assert.deepEqual(
          [info.length, info.underConstruction, info.clientName],
          [2 * BS + 100, false, undefined],
        )
        const blocks = await e.getBlocks('/f', SUPER)
        assert.deepEqual(
          blocks.map((b) => [b.blockId, b.index, b.numBytes, b.state]),
          [
            [b0.blockId, 0, BS, 'COMPLETE'],
            [b1.blockId, 1, BS, 'COMPLETE'],
            [b2.blockId, 2, 100, 'COMPLETE'],
          ],
        )
        assert.equal(await e.getLease('c1'), undefined, 'a lease without files goes')
        // A retried complete of the closed file answers true again; a different block does not.
        const last = { blockId: b2.blockId, numBytes: 100 }
        assert.equal(await e.complete({ path: '/f', clientName: 'c1', last }, SUPER), true)
        await rejectsWith(
          e.complete({ path: '/f', clientName: 'c1', last: { blockId: 1, numBytes: 1 } }, SUPER),
          'LEASE_EXPIRED',
        )
        // An empty file completes without blocks.
        await e.create({ path: '/empty', clientName: 'c1' }, SUPER)
        assert.equal(await e.complete({ path: '/empty', clientName: 'c1' }, SUPER), true)
        assert.equal((await e.getFileInfo('/empty', SUPER)).underConstruction, false)
      }))

    it('answers a retried addBlock with the same block and refuses a wrong previous', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c1', blockSize: BS }, SUPER)
        const b0 = await e.addBlock({ path: '/f', clientName: 'c1' }, SUPER)
        const again = await e.addBlock({ path: '/f', clientName: 'c1' }, SUPER)
        assert.equal(again.blockId, b0.blockId)
        const prev0 = { blockId: b0.blockId, numBytes: BS }
        const b1 = await e.addBlock({ path: '/f', clientName: 'c1', previous: prev0 }, SUPER)
        const retry = await e.addBlock({ path: '/f', clientName: 'c1', previous: prev0 }, SUPER)
        assert.equal(retry.blockId, b1.blockId)
        const err = await rejectsWith(
          e.addBlock(
            { path: '/f', clientName: 'c1', previous: { blockId: 12345, numBytes: 1 } },
            SUPER,
          ),
          'IO_ERROR',
        )
        assert.match(err.message, /\/f/)
        await rejectsWith(
          e.addBlock(
            { path: '/f', clientName: 'c1', previous: { blockId: b1.blockId, numBytes: BS + 1 } },
            SUPER,
          ),
          'IO_ERROR',
        )
        await rejectsWith(
          e.complete(
            { path: '/f', clientName: 'c1', last: { blockId: b0.blockId, numBytes: 1 } },
            SUPER,
          ),
          'IO_ERROR',
        )
      }))

    it('refuses block operations without the lease', () =>
      withEngine(factory, async (e) => {
        await writeFile(e, '/closed', 'c1', [10])
        await e.create({ path: '/open', clientName: 'c1', blockSize: BS }, SUPER)
        const b = await e.addBlock({ path: '/open', clientName: 'c1' }, SUPER)
        let err = await rejectsWith(
          e.addBlock({ path: '/open', clientName: 'c2' }, SUPER),
          'LEASE_EXPIRED',
        )
        assert.match(err.message, /\/open.*c1.*c2/)
        await rejectsWith(
          e.complete(
            { path: '/open', clientName: 'c2', last: { blockId: b.blockId, numBytes: 1 } },
            SUPER,
          ),
          'LEASE_EXPIRED',
        )
        await rejectsWith(
          e.abandonBlock({ path: '/open', clientName: 'c2', blockId: b.blockId }, SUPER),
          'LEASE_EXPIRED',
        )
        err = await rejectsWith(
          e.addBlock({ path: '/closed', clientName: 'c1' }, SUPER),
          'LEASE_EXPIRED',
        )
        assert.match(err.message, /No lease on \/closed: File is not open for writing/)
        err = await rejectsWith(
          e.addBlock({ path: '/missing', clientName: 'c9' }, SUPER),
          'LEASE_EXPIRED',
        )
        assert.match(err.message, /\/missing: File does not exist\. Holder c9 does not have any/)
        await e.mkdirs({ path: '/dir' }, SUPER)
        await rejectsWith(e.addBlock({ path: '/dir', clientName: 'c1' }, SUPER), 'LEASE_EXPIRED')
        await rejectsWith(e.getBlocks('/dir', SUPER), 'FILE_NOT_FOUND')
        await rejectsWith(e.getBlocks('/missing', SUPER), 'FILE_NOT_FOUND')
      }))

    it('abandons the last block under construction only', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c1', blockSize: BS }, SUPER)
        const b0 = await e.addBlock({ path: '/f', clientName: 'c1' }, SUPER)
        const prev = { blockId: b0.blockId, numBytes: 300 }
        const b1 = await e.addBlock({ path: '/f', clientName: 'c1', previous: prev }, SUPER)
        await e.abandonBlock({ path: '/f', clientName: 'c1', blockId: 999 }, SUPER) // ignored
        await e.abandonBlock({ path: '/f', clientName: 'c1', blockId: b0.blockId }, SUPER) // not last
        assert.equal((await e.getBlocks('/f', SUPER)).length, 2)
        await e.abandonBlock({ path: '/f', clientName: 'c1', blockId: b1.blockId }, SUPER)
        assert.deepEqual(
          (await e.getBlocks('/f', SUPER)).map((b) => b.blockId),
          [b0.blockId],
        )
        assert.equal(await countBlockRows(e, [b1.blockId]), 0)
        // The client asks again, with the same previous block: a fresh block at index 1.
        const b2 = await e.addBlock({ path: '/f', clientName: 'c1', previous: prev }, SUPER)
        assert.equal(b2.index, 1)
        assert.notEqual(b2.blockId, b1.blockId)
        await e.complete(
          { path: '/f', clientName: 'c1', last: { blockId: b2.blockId, numBytes: 5 } },
          SUPER,
        )
        assert.equal((await e.getFileInfo('/f', SUPER)).length, 305)
      }))

    it('updates a block under construction to a newer generation stamp only', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c1', blockSize: BS }, SUPER)
        const b = await e.addBlock({ path: '/f', clientName: 'c1' }, SUPER)
        const up = (newGenStamp: number, newNumBytes: number, clientName = 'c1') =>
          e.updateBlock({ blockId: b.blockId, clientName, newGenStamp, newNumBytes }, SUPER)
        const u = await up(b.genStamp + 1, 200)
        assert.deepEqual(
          [u.genStamp, u.numBytes, u.state],
          [b.genStamp + 1, 200, 'UNDER_CONSTRUCTION'],
        )
        await rejectsWith(up(b.genStamp + 1, 300), 'IO_ERROR') // same stamp
        await rejectsWith(up(b.genStamp, 300), 'IO_ERROR') // older stamp
        await rejectsWith(up(b.genStamp + 2, 100), 'IO_ERROR') // shrinks
        await rejectsWith(up(b.genStamp + 2, -1), 'INVALID_ARGUMENT')
        await rejectsWith(up(b.genStamp + 2, 300, 'c2'), 'LEASE_EXPIRED')
        await rejectsWith(
          e.updateBlock(
            { blockId: 42, clientName: 'c1', newGenStamp: 10 ** 9, newNumBytes: 0 },
            SUPER,
          ),
          'IO_ERROR',
        )
        const blocks = await e.getBlocks('/f', SUPER)
        assert.deepEqual([blocks[0]!.genStamp, blocks[0]!.numBytes], [b.genStamp + 1, 200])
        await e.complete(
          { path: '/f', clientName: 'c1', last: { blockId: b.blockId, numBytes: 250 } },
          SUPER,
        )
        await rejectsWith(up(b.genStamp + 5, 300), 'IO_ERROR') // complete now
      }))

    it('lets another client take a file over only after the soft limit', () =>
      withEngine(
        factory,
        async (e) => {
          // 1. c1 writes /a and /b and stops renewing.
          await e.create({ path: '/a', clientName: 'c1', blockSize: BS }, SUPER)
          const a0 = await e.addBlock({ path: '/a', clientName: 'c1' }, SUPER)
          const prevA = { blockId: a0.blockId, numBytes: BS }
          const a1 = await e.addBlock({ path: '/a', clientName: 'c1', previous: prevA }, SUPER)
          await e.updateBlock(
            {
              blockId: a1.blockId,
              clientName: 'c1',
              newGenStamp: a1.genStamp + 1,
              newNumBytes: 40,
            },
            SUPER,
          )
          await e.create({ path: '/b', clientName: 'c1', blockSize: BS }, SUPER)
          const b0 = await e.addBlock({ path: '/b', clientName: 'c1' }, SUPER)
          // 2. Within the soft limit c2 is refused.
          await e.renewLease('c1', SUPER)
          const err = await rejectsWith(
            e.create({ path: '/b', clientName: 'c2', overwrite: true }, SUPER),
            'ALREADY_BEING_CREATED',
          )
          assert.match(err.message, /\/b/)
          await rejectsWith(e.append('/a', 'c2', SUPER), 'ALREADY_BEING_CREATED')
          await rejectsWith(e.append('/a', 'c1', SUPER), 'ALREADY_BEING_CREATED')
          await rejectsWith(
            e.truncate({ path: '/a', newLength: 0, clientName: 'c2' }, SUPER),
            'ALREADY_BEING_CREATED',
          )
          // 3. Past it, c2 overwrites /b (its blocks go) and appends to /a (recovered first).
          await sleep(260)
          await e.create({ path: '/b', clientName: 'c2', overwrite: true }, SUPER)
          assert.equal(await countBlockRows(e, [b0.blockId]), 0)
          assert.deepEqual(await e.getBlocks('/b', SUPER), [])
          const res = await e.append('/a', 'c2', SUPER)
          assert.equal(res.file.clientName, 'c2')
          assert.equal(res.lastBlock?.blockId, a1.blockId, 'the partial block to continue')
          assert.equal(res.lastBlock?.numBytes, 40, 'the length the pipeline agreed on')
          assert.ok(res.lastBlock.genStamp > a1.genStamp + 1)
          const blocks = await e.getBlocks('/a', SUPER)
          assert.deepEqual(lengths(blocks), [BS, 40])
          assert.deepEqual((await e.getLease('c2'))?.paths, ['/a', '/b'])
          assert.equal(await e.getLease('c1'), undefined)
          await e.complete(
            { path: '/a', clientName: 'c2', last: { blockId: a1.blockId, numBytes: 90 } },
            SUPER,
          )
          assert.equal((await e.getFileInfo('/a', SUPER)).length, BS + 90)
        },
        { settings: { leaseSoftLimitMs: 200, leaseHardLimitMs: 400 } },
      ))

    it('recovers a lease on request, dropping an empty last block', () =>
      withEngine(factory, async (e) => {
        await writeFile(e, '/done', 'c1', [10])
        assert.equal(await e.recoverLease('/done', 'c2', SUPER), true)
        await rejectsWith(e.recoverLease('/missing', 'c2', SUPER), 'FILE_NOT_FOUND')
        const blocks = await writeFile(e, '/f', 'c1', [BS, 0], { open: true })
        assert.equal(await e.recoverLease('/f', 'c2', SUPER), true, 'forced at once')
        const info = await e.getFileInfo('/f', SUPER)
        assert.deepEqual([info.underConstruction, info.length], [false, BS])
        assert.deepEqual(
          (await e.getBlocks('/f', SUPER)).map((b) => b.blockId),
          [blocks[0]!.blockId],
        )
        assert.equal(await e.getLease('c1'), undefined)
        // Without WRITE on the file a user may not recover it.
        await e.mkdirs({ path: '/u', permission: 0o777 }, SUPER)
        await e.create({ path: '/u/g', clientName: 'c1', permission: 0o644 }, SUPER)
        await rejectsWith(e.recoverLease('/u/g', 'c3', BOB), 'ACCESS_DENIED')
        assert.equal(await e.recoverLease('/u/g', 'c3', SUPER), true)
      }))

    it('renews leases, and housekeeping closes the files of holders past the hard limit', () =>
      withEngine(factory, async (e) => {
        await writeFile(e, '/x/1', 'old', [BS, 7], { open: true })
        const two = await writeFile(e, '/x/2', 'old', [5], { open: true })
        await e.updateBlock(
          {
            blockId: two[0]!.blockId,
            clientName: 'old',
            newGenStamp: two[0]!.genStamp + 1,
            newNumBytes: 5,
          },
          SUPER,
        )
        await writeFile(e, '/x/3', 'live', [BS], { open: true })
        const before = await e.getLease('old')
        assert.deepEqual(before?.paths, ['/x/1', '/x/2'])
        await sleep(5)
        await e.renewLease('old', SUPER)
        assert.ok((await e.getLease('old'))!.lastRenewedMs > before.lastRenewedMs)
        await e.renewLease('nobody', SUPER) // no lease: nothing to renew, as in HDFS
        assert.equal(await e.getLease('nobody'), undefined)
        assert.equal(await e.recoverExpiredLeases(), 0, 'nobody is past the hard limit yet')
        const hard = e.settings.leaseHardLimitMs
        await sleep(5)
        await e.renewLease('live', SUPER)
        // Time travel: 'old' last renewed well before, 'live' just now + a hard limit later.
        const live = (await e.getLease('live'))!.lastRenewedMs
        assert.equal(await e.recoverExpiredLeases(live + hard - 1), 2)
        const f1 = await e.getFileInfo('/x/1', SUPER)
        const f2 = await e.getFileInfo('/x/2', SUPER)
        assert.deepEqual([f1.underConstruction, f1.length], [false, BS], 'empty last block dropped')
        assert.deepEqual([f2.underConstruction, f2.length], [false, 5], 'recorded length kept')
        assert.equal(await e.getLease('old'), undefined)
        assert.equal((await e.getFileInfo('/x/3', SUPER)).underConstruction, true)
        assert.equal(await e.recoverExpiredLeases(live + hard + 1), 1)
        assert.equal(await e.getLease('live'), undefined)
      }))

    it('closes files past the hard limit in real time', () =>
      withEngine(
        factory,
        async (e) => {
          await writeFile(e, '/f', 'c1', [BS, 3], { open: true })
          await sleep(120)
          assert.equal(await e.recoverExpiredLeases(), 1)
          assert.equal((await e.getFileInfo('/f', SUPER)).underConstruction, false)
        },
        { settings: { leaseSoftLimitMs: 50, leaseHardLimitMs: 100 } },
      ))

    it('appends into a partial last block, or after a full one', () =>
      withEngine(factory, async (e) => {
        const blocks = await writeFile(e, '/p', 'c1', [BS, 100])
        const res = await e.append('/p', 'c2', SUPER)
        assert.equal(res.lastBlock?.blockId, blocks[1]!.blockId)
        assert.equal(res.lastBlock?.state, 'UNDER_CONSTRUCTION')
        assert.equal(res.lastBlock?.numBytes, 100)
        assert.ok(res.lastBlock.genStamp > blocks[1]!.genStamp)
        assert.deepEqual([res.file.underConstruction, res.file.length], [true, BS])
        await rejectsWith(e.append('/p', 'c2', SUPER), 'ALREADY_BEING_CREATED')
        const b2 = await e.addBlock(
          {
            path: '/p',
            clientName: 'c2',
            previous: { blockId: res.lastBlock.blockId, numBytes: BS },
          },
          SUPER,
        )
        assert.equal(b2.index, 2)
        await e.complete(
          { path: '/p', clientName: 'c2', last: { blockId: b2.blockId, numBytes: 1 } },
          SUPER,
        )
        assert.equal((await e.getFileInfo('/p', SUPER)).length, 2 * BS + 1)

        await writeFile(e, '/full', 'c1', [BS])
        const full = await e.append('/full', 'c3', SUPER)
        assert.equal(full.lastBlock, undefined)
        assert.equal(full.file.length, BS)
        const next = await e.addBlock({ path: '/full', clientName: 'c3' }, SUPER)
        assert.equal(next.index, 1)

        await e.create({ path: '/empty', clientName: 'c1' }, SUPER)
        await e.complete({ path: '/empty', clientName: 'c1' }, SUPER)
        assert.equal((await e.append('/empty', 'c1', SUPER)).lastBlock, undefined)

        await e.mkdirs({ path: '/d' }, SUPER)
        await rejectsWith(e.append('/d', 'c1', SUPER), 'FILE_EXISTS')
        await rejectsWith(e.append('/nope', 'c1', SUPER), 'FILE_NOT_FOUND')
        await e.mkdirs({ path: '/u', permission: 0o777 }, SUPER)
        await writeFile(e, '/u/f', 'c1', [10])
        await rejectsWith(e.append('/u/f', 'c4', ALICE), 'ACCESS_DENIED')
      }))

    it('appends to an inline file without blocks', () =>
      withEngine(factory, async (e) => {
        await writeFile(e, '/small', 'c1', [])
        const id = (await e.getFileInfo('/small', SUPER)).inodeId
        await e.withTxn(SUPER, { readOnly: false }, async (op) => {
          await op.txn.run('INSERT INTO file_data (inode_id, data) VALUES (?, ?)', [
            id,
            Buffer.from('hello world'),
          ])
          await op.txn.run('UPDATE inodes SET inline = 1, length = 11 WHERE id = ?', [id])
        })
        const res = await e.append('/small', 'c1', SUPER)
        assert.equal(res.lastBlock, undefined)
        assert.deepEqual(
          [res.file.inline, res.file.length, res.file.underConstruction],
          [true, 11, true],
        )
        assert.equal(await e.complete({ path: '/small', clientName: 'c1' }, SUPER), true)
        assert.equal(
          await e.truncate({ path: '/small', newLength: 5, clientName: 'c1' }, SUPER),
          true,
        )
        const info = await e.getFileInfo('/small', SUPER)
        assert.deepEqual([info.length, info.inline, info.underConstruction], [5, true, false])
        const data = await e.withTxn(SUPER, { readOnly: true }, (op) =>
          op.txn.get<{ data: Uint8Array }>('SELECT data FROM file_data WHERE inode_id = ?', [id]),
        )
        assert.equal(Buffer.from(data!.data).toString(), 'hello')
      }))

    it('an inline file appended past the limit moves to blocks at its first addBlock', () =>
      withEngine(factory, async (e) => {
        await e.createInline({ path: '/grow', data: Buffer.from('0123456789') }, SUPER)
        const opened = await e.append('/grow', 'c1', SUPER)
        assert.deepEqual([opened.file.inline, opened.file.length], [true, 10])
        const block = await e.addBlock({ path: '/grow', clientName: 'c1' }, SUPER)
        const moved = await e.getFileInfo('/grow', SUPER)
        assert.deepEqual([moved.inline, moved.length], [false, 0], 'the bytes left file_data')
        assert.equal(
          await e.complete(
            { path: '/grow', clientName: 'c1', last: { blockId: block.blockId, numBytes: 700 } },
            SUPER,
          ),
          true,
        )
        const done = await e.getFileInfo('/grow', SUPER)
        assert.deepEqual([done.inline, done.length, done.underConstruction], [false, 700, false])
        const rows = await e.withTxn(SUPER, { readOnly: true }, (op) =>
          op.txn.all('SELECT inode_id FROM file_data WHERE inode_id = ?', [done.inodeId]),
        )
        assert.equal(rows.length, 0)
      }))

    it('truncates on a block boundary at once, and inside a block through recovery', () =>
      withEngine(factory, async (e) => {
        const blocks = await writeFile(e, '/t', 'c1', [BS, BS, 500])
        await rejectsWith(
          e.truncate({ path: '/t', newLength: 3 * BS, clientName: 'c2' }, SUPER),
          'INVALID_ARGUMENT',
        )
        await rejectsWith(
          e.truncate({ path: '/t', newLength: -1, clientName: 'c2' }, SUPER),
          'INVALID_ARGUMENT',
        )
        await rejectsWith(
          e.truncate({ path: '/no', newLength: 0, clientName: 'c2' }, SUPER),
          'FILE_NOT_FOUND',
        )
        assert.equal(
          await e.truncate({ path: '/t', newLength: 2 * BS + 500, clientName: 'c2' }, SUPER),
          true,
        )
        // 1. On a boundary: the last block goes, the file stays closed.
        assert.equal(
          await e.truncate({ path: '/t', newLength: 2 * BS, clientName: 'c2' }, SUPER),
          true,
        )
        let info = await e.getFileInfo('/t', SUPER)
        assert.deepEqual([info.length, info.underConstruction], [2 * BS, false])
        assert.equal(await countBlockRows(e, [blocks[2]!.blockId]), 0)
        // 2. Inside block 0: block 1 goes, block 0 awaits recovery to 100 bytes.
        assert.equal(
          await e.truncate({ path: '/t', newLength: 100, clientName: 'c2' }, SUPER),
          false,
        )
        info = await e.getFileInfo('/t', SUPER)
        assert.deepEqual([info.underConstruction, info.clientName, info.length], [true, 'c2', 0])
        const [b0, ...rest] = await e.getBlocks('/t', SUPER)
        assert.equal(rest.length, 0)
        assert.deepEqual(
          [b0!.blockId, b0!.numBytes, b0!.state],
          [blocks[0]!.blockId, 100, 'UNDER_CONSTRUCTION'],
        )
        assert.ok(b0!.genStamp > blocks[0]!.genStamp)
        await rejectsWith(
          e.truncate({ path: '/t', newLength: 0, clientName: 'c2' }, SUPER),
          'ALREADY_BEING_CREATED',
        )
        await rejectsWith(e.append('/t', 'c3', SUPER), 'ALREADY_BEING_CREATED')
        // 3. No DataNode holds it yet: recovery closes the file at the new length.
        assert.equal(await e.recoverLease('/t', 'c2', SUPER), true)
        info = await e.getFileInfo('/t', SUPER)
        assert.deepEqual([info.underConstruction, info.length], [false, 100])
        assert.equal((await e.getBlocks('/t', SUPER))[0]!.state, 'COMPLETE')
        // 4. Truncating to 0 removes every block.
        assert.equal(await e.truncate({ path: '/t', newLength: 0, clientName: 'c2' }, SUPER), true)
        assert.deepEqual(await e.getBlocks('/t', SUPER), [])
        await e.mkdirs({ path: '/u', permission: 0o777 }, SUPER)
        await writeFile(e, '/u/f', 'c1', [10])
        await rejectsWith(
          e.truncate({ path: '/u/f', newLength: 0, clientName: 'c4' }, ALICE),
          'ACCESS_DENIED',
        )
      }))

    it('concatenates the sources\u2019 blocks to the target and deletes the sources', () =>
      withEngine(factory, async (e) => {
        const t = await writeFile(e, '/c/t', 'c1', [BS, 10])
        const s1 = await writeFile(e, '/c/s1', 'c1', [BS, 20])
        const s2 = await writeFile(e, '/c/s2', 'c1', [30])
        await e.setQuota({ path: '/c', nsQuota: 100, ssQuota: 1 << 30 }, SUPER)
        await e.concat({ target: '/c/t', sources: ['/c/s1', '/c/s2'] }, SUPER)
        const blocks = await e.getBlocks('/c/t', SUPER)
        assert.deepEqual(
          blocks.map((b) => [b.blockId, b.index]),
          [...t, ...s1, ...s2].map((b, i) => [b.blockId, i]),
        )
        assert.equal((await e.getFileInfo('/c/t', SUPER)).length, 2 * BS + 60)
        await rejectsWith(e.getFileInfo('/c/s1', SUPER), 'FILE_NOT_FOUND')
        await rejectsWith(e.getFileInfo('/c/s2', SUPER), 'FILE_NOT_FOUND')
        assert.equal((await e.getFileInfo('/c', SUPER)).childrenNum, 1)
        const u = await e.getQuotaUsage('/c', SUPER)
        assert.deepEqual([u.fileAndDirectoryCount, u.spaceConsumed], [2, 2 * BS + 60])
      }))

    it('refuses concat sources that HDFS refuses', () =>
      withEngine(factory, async (e) => {
        await writeFile(e, '/c/t', 'c1', [BS])
        await writeFile(e, '/c/s', 'c1', [BS])
        await writeFile(e, '/c/empty', 'c1', [])
        await writeFile(e, '/c/big', 'c1', [10], { blockSize: 2 * BS })
        await writeFile(e, '/other/s', 'c1', [10])
        await writeFile(e, '/c/open', 'c1', [10], { open: true })
        await writeFile(e, '/c/r3', 'c1', [100], { replication: 3 })
        const bad = async (sources: string[], code: FsErrorCode, target = '/c/t') => {
          await rejectsWith(e.concat({ target, sources }, SUPER), code)
        }
        await bad([], 'INVALID_ARGUMENT')
        await bad(['/c/empty'], 'INVALID_ARGUMENT')
        await bad(['/c/open'], 'INVALID_ARGUMENT')
        await bad(['/c/big'], 'INVALID_ARGUMENT')
        await bad(['/other/s'], 'INVALID_ARGUMENT')
        await bad(['/c/t'], 'INVALID_ARGUMENT')
        await bad(['/c/s', '/c/s'], 'INVALID_ARGUMENT')
        await bad(['/c/missing'], 'FILE_NOT_FOUND')
        await bad(['/c/s'], 'INVALID_ARGUMENT', '/c/open')
        await bad(['/c/s'], 'FILE_NOT_FOUND', '/c/nope')
        await e.setPermission('/c', 0o755, SUPER)
        await rejectsWith(e.concat({ target: '/c/t', sources: ['/c/s'] }, ALICE), 'ACCESS_DENIED')
        // A source with lower replication than the target costs the difference.
        await e.setQuota({ path: '/c', ssQuota: 3 * BS + 300 + 10 * 3 + 100 }, SUPER)
        await rejectsWith(
          e.concat({ target: '/c/r3', sources: ['/c/s'] }, SUPER),
          'DS_QUOTA_EXCEEDED',
        )
        await e.setQuota({ path: '/c', ssQuota: 1 << 30 }, SUPER)
        await e.concat({ target: '/c/r3', sources: ['/c/s'] }, SUPER)
        const r3 = await e.getFileInfo('/c/r3', SUPER)
        assert.equal(r3.length, 100 + BS)
        const summary = await e.getContentSummary('/c', SUPER)
        assert.equal((await e.getQuotaUsage('/c', SUPER)).spaceConsumed, summary.spaceConsumed)
      }))

    it('checks the space quota when a block is allocated and charges what was written', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/q' }, SUPER)
        // Room for one block of 1024 B at replication 2, not for two.
        await e.setQuota({ path: '/q', ssQuota: 3 * BS }, SUPER)
        await e.create({ path: '/q/f', clientName: 'c1', blockSize: BS, replication: 2 }, SUPER)
        const b0 = await e.addBlock({ path: '/q/f', clientName: 'c1' }, SUPER)
        const prev = { blockId: b0.blockId, numBytes: BS }
        const err = await rejectsWith(
          e.addBlock({ path: '/q/f', clientName: 'c1', previous: prev }, SUPER),
          'DS_QUOTA_EXCEEDED',
        )
        assert.match(err.message, /\/q/)
        assert.equal(await e.complete({ path: '/q/f', clientName: 'c1', last: prev }, SUPER), true)
        let u = await e.getQuotaUsage('/q', SUPER)
        assert.equal(u.spaceConsumed, BS * 2, 'length × replication')
        await e.truncate({ path: '/q/f', newLength: 512, clientName: 'c1' }, SUPER)
        await e.recoverLease('/q/f', 'c1', SUPER)
        u = await e.getQuotaUsage('/q', SUPER)
        assert.equal(u.spaceConsumed, 512 * 2)
        await e.applyQuotaUpdates()
        const summary = await e.getContentSummary('/q', SUPER)
        assert.equal((await e.getQuotaUsage('/q', SUPER)).spaceConsumed, summary.spaceConsumed)
        await e.delete({ path: '/q/f' }, SUPER)
        assert.equal((await e.getQuotaUsage('/q', SUPER)).spaceConsumed, 0)
      }))

    it('removes the blocks of a deleted file', () =>
      withEngine(factory, async (e) => {
        const blocks = await writeFile(e, '/d/f', 'c1', [BS, 5])
        const open = await writeFile(e, '/d/g', 'c1', [BS, 5], { open: true })
        const ids = [...blocks, ...open].map((b) => b.blockId)
        assert.equal(await countBlockRows(e, ids), 4)
        await e.delete({ path: '/d/f' }, SUPER)
        assert.equal(await countBlockRows(e, ids), 2)
        await e.delete({ path: '/d' }, SUPER).catch(() => undefined)
        await e.delete({ path: '/d', recursive: true }, SUPER)
        assert.equal(await countBlockRows(e, ids), 0)
        await rejectsWith(
          e.addBlock(
            {
              path: '/d/g',
              clientName: 'c1',
              previous: { blockId: open[1]!.blockId, numBytes: 1 },
            },
            SUPER,
          ),
          'LEASE_EXPIRED',
        )
      }))
  })
}
