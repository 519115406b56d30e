/** Conformance cases: small files in the database, block locations, the DataNode registry. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DatanodeCommand, ReportedBlock } from '../../protocol/datanode-protocol.js'
import { bucketOf, replicaHash } from '../../protocol/datanode-protocol.js'
import type { EngineFactory } from '../meta-engine.case.js'
import type { SqlMetaEngine } from '../sql/sql-meta-engine.js'
import { rejectsWith } from './namespace.case.js'
import { SUPER, withEngine } from './with-engine.js'

const DNS = ['dn-a', 'dn-b', 'dn-c']

async function registerAll(e: SqlMetaEngine, uuids: readonly string[] = DNS): Promise<void> {
  for (const [i, uuid] of uuids.entries()) {
    await e.registerDatanode({
      datanodeUuid: uuid,
      httpAddress: `http://127.0.0.1:${19000 + i}`,
      hostname: 'localhost',
      capacityBytes: 1 << 30,
    })
  }
}

function beat(e: SqlMetaEngine, uuid: string): Promise<DatanodeCommand[]> {
  return e.datanodeHeartbeat({
    datanodeUuid: uuid,
    capacityBytes: 1 << 30,
    usedBytes: 0,
    remainingBytes: 1 << 30,
    failedVolumes: 0,
    xceivers: 0,
  })
}

/** Writes a one-block file whose replica the given DataNodes report. */
async function writeReplicated(
  e: SqlMetaEngine,
  path: string,
  numBytes: number,
  holders: readonly string[],
  replication = holders.length,
): Promise<ReportedBlock> {
  await e.create({ path, clientName: 'w', replication, blockSize: 1 << 20 }, SUPER)
  const block = await e.addBlock({ path, clientName: 'w' }, SUPER)
  const reported = { blockId: block.blockId, genStamp: block.genStamp, numBytes }
  for (const dn of holders)
    await e.blockReceived({ datanodeUuid: dn, received: [reported], deleted: [] })
  assert.equal(
    await e.complete({ path, clientName: 'w', last: { blockId: block.blockId, numBytes } }, SUPER),
    true,
  )
  return reported
}

export function dataPathCases(factory: EngineFactory): void {
  describe('small files in the database', () => {
    it('stores a small file with its inode and reads it back without blocks', () =>
      withEngine(factory, async (e) => {
        const data = Buffer.from('hello, small world')
        const f = await e.createInline({ path: '/d/small.txt', data }, SUPER)
        assert.deepEqual([f.inline, f.length, f.underConstruction], [true, data.length, false])
        const loc = await e.getBlockLocations(
          { path: '/d/small.txt', offset: 0, length: 100 },
          SUPER,
        )
        assert.deepEqual(Buffer.from(loc.inlineData!), data)
        assert.deepEqual(loc.blocks, [])
        const empty = await e.createInline({ path: '/d/empty', data: Buffer.alloc(0) }, SUPER)
        assert.equal(empty.length, 0)
        assert.equal(await e.smallFileLimit('/d/x', SUPER), 64 * 1024)
        await e.createInline({ path: '/d/limit', data: Buffer.alloc(64 * 1024, 7) }, SUPER)
        await rejectsWith(
          e.createInline({ path: '/d/big', data: Buffer.alloc(64 * 1024 + 1) }, SUPER),
          'IO_ERROR',
        )
        await rejectsWith(e.getFileInfo('/d/big', SUPER), 'FILE_NOT_FOUND')
        await rejectsWith(e.createInline({ path: '/d/small.txt', data }, SUPER), 'FILE_EXISTS')
        await e.createInline(
          { path: '/d/small.txt', data: Buffer.from('v2'), overwrite: true },
          SUPER,
        )
        const again = await e.getBlockLocations(
          { path: '/d/small.txt', offset: 0, length: 10 },
          SUPER,
        )
        assert.equal(Buffer.from(again.inlineData!).toString(), 'v2')
      }))

    it('a HOT directory keeps every file in blocks; DB below it turns small files back on', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/hot/db' }, SUPER)
        await e.setStoragePolicy('/hot', 'HOT', SUPER)
        await e.setStoragePolicy('/hot/db', 'DB', SUPER)
        assert.equal(await e.smallFileLimit('/hot/f', SUPER), 0)
        assert.equal(await e.getStoragePolicy('/hot', SUPER), 'HOT')
        assert.equal(await e.smallFileLimit('/hot/db/f', SUPER), 64 * 1024)
        assert.equal(await e.getStoragePolicy('/', SUPER), 'DEFAULT')
        await rejectsWith(
          e.createInline({ path: '/hot/f', data: Buffer.from('x') }, SUPER),
          'IO_ERROR',
        )
        await rejectsWith(e.setStoragePolicy('/hot', 'COLD' as 'HOT', SUPER), 'INVALID_ARGUMENT')
      }))

    it('counts inline bytes against the space quota', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/q' }, SUPER)
        await e.setQuota({ path: '/q', ssQuota: 3000 }, SUPER)
        await e.createInline({ path: '/q/a', data: Buffer.alloc(900), replication: 3 }, SUPER)
        assert.equal((await e.getQuotaUsage('/q', SUPER)).spaceConsumed, 2700)
        await rejectsWith(
          e.createInline({ path: '/q/b', data: Buffer.alloc(200), replication: 3 }, SUPER),
          'DS_QUOTA_EXCEEDED',
        )
        await e.delete({ path: '/q/a' }, SUPER)
        assert.equal((await e.getQuotaUsage('/q', SUPER)).spaceConsumed, 0)
      }))

    it('append then completeInline keeps a file that stays small in the database', () =>
      withEngine(factory, async (e) => {
        await e.createInline({ path: '/log', data: Buffer.from('one\n') }, SUPER)
        await e.append('/log', 'appender', SUPER)
        const done = await e.completeInline(
          { path: '/log', clientName: 'appender', data: Buffer.from('one\ntwo\n') },
          SUPER,
        )
        assert.deepEqual([done.inline, done.length, done.underConstruction], [true, 8, false])
        await e.append('/log', 'appender', SUPER)
        await rejectsWith(
          e.completeInline({ path: '/log', clientName: 'other', data: Buffer.from('x') }, SUPER),
          'LEASE_EXPIRED',
        )
      }))
  })

  describe('DataNodes and replicas', () => {
    it('a block completes once a DataNode reports it; locations name live holders', () =>
      withEngine(factory, async (e) => {
        await registerAll(e)
        await e.create({ path: '/f', clientName: 'w', replication: 2, blockSize: 1 << 20 }, SUPER)
        const b = await e.addBlock({ path: '/f', clientName: 'w' }, SUPER)
        const last = { blockId: b.blockId, numBytes: 1000 }
        assert.equal(
          await e.complete({ path: '/f', clientName: 'w', last }, SUPER),
          false,
          'no replica yet',
        )
        const reported = { blockId: b.blockId, genStamp: b.genStamp, numBytes: 1000 }
        await e.blockReceived({ datanodeUuid: 'dn-b', received: [reported], deleted: [] })
        assert.equal(await e.complete({ path: '/f', clientName: 'w', last }, SUPER), true)
        await e.blockReceived({ datanodeUuid: 'dn-c', received: [reported], deleted: [] })
        const loc = await e.getBlockLocations({ path: '/f', offset: 0, length: 5000 }, SUPER)
        assert.equal(loc.file.length, 1000)
        assert.deepEqual(
          loc.blocks.map((x) => [x.offset, x.numBytes, [...x.datanodes].sort()]),
          [[0, 1000, ['dn-b', 'dn-c']]],
        )
        // A replica of a block nobody knows is deleted on the reporting DataNode.
        await e.blockReceived({
          datanodeUuid: 'dn-a',
          received: [{ blockId: 999, genStamp: 1, numBytes: 1 }],
          deleted: [],
        })
        assert.deepEqual(await beat(e, 'dn-a'), [
          { type: 'DELETE', blocks: [{ blockId: 999, genStamp: 1, numBytes: 1 }] },
        ])
        assert.deepEqual(await beat(e, 'dn-a'), [])
      }))

    it('re-replicates the blocks of a DataNode whose heartbeats stopped', () =>
      withEngine(factory, async (e) => {
        await registerAll(e)
        const block = await writeReplicated(e, '/r', 512, ['dn-a', 'dn-b'])
        const stale = Date.now() - e.settings.datanodeDeadAfterMs - 1000
        await e.withTxn(SUPER, { readOnly: false }, (op) =>
          op.txn.run('UPDATE datanodes SET last_heartbeat = ? WHERE uuid = ?', [stale, 'dn-a']),
        )
        const report = await e.checkReplication()
        assert.deepEqual(
          [report.deadDatanodes, report.underReplicatedBlocks, report.replicationsScheduled],
          [1, 1, 1],
        )
        const commands = await beat(e, 'dn-b')
        assert.equal(commands.length, 1)
        const cmd = commands[0]!
        assert.equal(cmd.type, 'REPLICATE')
        assert.ok(
          cmd.type === 'REPLICATE' && cmd.targets.map((t) => t.datanodeUuid).join() === 'dn-c',
        )
        assert.deepEqual(
          await beat(e, 'dn-a'),
          [{ type: 'REGISTER' }],
          'a dead DataNode must register again',
        )
        assert.equal((await e.checkReplication()).replicationsScheduled, 0, 'pending, not twice')
        await e.blockReceived({ datanodeUuid: 'dn-c', received: [block], deleted: [] })
        const after = await e.checkReplication()
        assert.equal(after.underReplicatedBlocks, 0)
        const loc = await e.getBlockLocations({ path: '/r', offset: 0, length: 1 }, SUPER)
        assert.deepEqual([...loc.blocks[0]!.datanodes].sort(), ['dn-b', 'dn-c'])
      }))

    it('drops a corrupt replica, deletes it and schedules a new copy', () =>
      withEngine(factory, async (e) => {
        await registerAll(e)
        const block = await writeReplicated(e, '/c', 100, ['dn-a', 'dn-b'])
        await e.reportBadBlock({ datanodeUuid: 'dn-a', block })
        assert.deepEqual(await beat(e, 'dn-a'), [{ type: 'DELETE', blocks: [block] }])
        const report = await e.checkReplication()
        assert.equal(report.replicationsScheduled, 1)
        const cmd = (await beat(e, 'dn-b'))[0]
        assert.ok(cmd?.type === 'REPLICATE')
        assert.ok(!cmd.targets.some((t) => t.datanodeUuid === 'dn-b'))
      }))

    it('deletes excess replicas after the replication factor is lowered', () =>
      withEngine(factory, async (e) => {
        await registerAll(e)
        await writeReplicated(e, '/x', 10, ['dn-a', 'dn-b', 'dn-c'])
        await e.setReplication('/x', 1, SUPER)
        const report = await e.checkReplication()
        assert.equal(report.excessDeletesScheduled, 2)
        const loc = await e.getBlockLocations({ path: '/x', offset: 0, length: 1 }, SUPER)
        assert.equal(loc.blocks[0]!.datanodes.length, 1)
      }))

    it('decommissioning drains a DataNode, then retires it', () =>
      withEngine(factory, async (e) => {
        await registerAll(e)
        const block = await writeReplicated(e, '/dc', 10, ['dn-a'], 1)
        await e.decommissionDatanode('dn-a')
        const first = await e.checkReplication()
        assert.equal(first.replicationsScheduled, 1)
        assert.equal(first.decommissioned, 0)
        const cmd = (await beat(e, 'dn-a'))[0]
        assert.ok(cmd?.type === 'REPLICATE')
        await e.blockReceived({
          datanodeUuid: cmd.targets[0]!.datanodeUuid,
          received: [block],
          deleted: [],
        })
        assert.equal((await e.checkReplication()).decommissioned, 1)
        const states = Object.fromEntries(
          (await e.listDatanodes()).map((d) => [d.datanodeUuid, d.state]),
        )
        assert.equal(states['dn-a'], 'DECOMMISSIONED')
        const loc = await e.getBlockLocations({ path: '/dc', offset: 0, length: 1 }, SUPER)
        assert.deepEqual(loc.blocks[0]!.datanodes, [cmd.targets[0]!.datanodeUuid])
        await rejectsWith(e.decommissionDatanode('dn-a'), 'IO_ERROR')
        await rejectsWith(e.decommissionDatanode('no such'), 'INVALID_ARGUMENT')
      }))

    it('queues DELETE for the replicas of deleted, overwritten and truncated files', () =>
      withEngine(factory, async (e) => {
        await registerAll(e)
        const gone = await writeReplicated(e, '/gone', 10, ['dn-a', 'dn-b'])
        const over = await writeReplicated(e, '/over', 20, ['dn-b'])
        assert.equal(await e.delete({ path: '/gone', recursive: false }, SUPER), true)
        await e.create(
          { path: '/over', clientName: 'w2', overwrite: true, blockSize: 1 << 20 },
          SUPER,
        )
        assert.deepEqual(await beat(e, 'dn-a'), [{ type: 'DELETE', blocks: [gone] }])
        assert.deepEqual(await beat(e, 'dn-b'), [
          { type: 'DELETE', blocks: [gone] },
          { type: 'DELETE', blocks: [over] },
        ])
        const cut = await writeReplicated(e, '/cut', 30, ['dn-c'])
        assert.equal(await e.truncate({ path: '/cut', newLength: 0, clientName: 't' }, SUPER), true)
        assert.deepEqual(await beat(e, 'dn-c'), [{ type: 'DELETE', blocks: [cut] }])
      }))

    it('a full block report sends only mismatched buckets and reconciles them', () =>
      withEngine(factory, async (e) => {
        await registerAll(e)
        const kept = await writeReplicated(e, '/k', 10, ['dn-a'], 1)
        const lost = await writeReplicated(e, '/l', 20, ['dn-a'], 1)
        const stray: ReportedBlock = { blockId: 5_000_000_123, genStamp: 1, numBytes: 3 }
        // The DataNode holds `kept` and a stray block, but lost `lost`.
        const held = [kept, stray]
        const hashes: Record<string, number> = {}
        for (const r of held)
          hashes[bucketOf(r.blockId)] = ((hashes[bucketOf(r.blockId)] ?? 0) ^ replicaHash(r)) >>> 0
        const mismatched = await e.blockReportHashes({ datanodeUuid: 'dn-a', hashes })
        assert.ok(
          !mismatched.includes(bucketOf(kept.blockId)) ||
            bucketOf(kept.blockId) === bucketOf(lost.blockId),
        )
        assert.ok(mismatched.includes(bucketOf(stray.blockId)))
        assert.ok(mismatched.includes(bucketOf(lost.blockId)))
        const buckets: Record<string, ReportedBlock[]> = {}
        for (const b of mismatched) buckets[b] = held.filter((r) => bucketOf(r.blockId) === b)
        await e.blockReportBuckets({ datanodeUuid: 'dn-a', buckets })
        assert.deepEqual(await beat(e, 'dn-a'), [{ type: 'DELETE', blocks: [stray] }])
        const lostLoc = await e.getBlockLocations({ path: '/l', offset: 0, length: 1 }, SUPER)
        assert.deepEqual(lostLoc.blocks[0]!.datanodes, [], 'the lost replica is forgotten')
        const keptLoc = await e.getBlockLocations({ path: '/k', offset: 0, length: 1 }, SUPER)
        assert.deepEqual(keptLoc.blocks[0]!.datanodes, ['dn-a'])
        assert.deepEqual(
          await e.blockReportHashes({
            datanodeUuid: 'dn-a',
            hashes: { [bucketOf(kept.blockId)]: replicaHash(kept) },
          }),
          [],
        )
      }))
  })
}
