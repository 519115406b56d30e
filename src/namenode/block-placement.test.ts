/**
 * Block placement over a real engine's DataNode registry: distinct writable nodes with room,
 * fewer when fewer qualify, the minimum-replication error, exclusions, load preference.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openMetaEngine } from '../meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../meta/sql/sql-meta-engine.js'
import { isFsError } from '../common/fs-error.js'
import { tmpFile } from '../../test/support/tmp.js'
import { BlockPlacement, DatanodeCache } from './block-placement.js'

const GiB = 2 ** 30

describe('BlockPlacement', () => {
  let engine: SqlMetaEngine

  before(async () => {
    engine = await openMetaEngine(`sqlite:${tmpFile()}`)
    const nodes: [string, number][] = [
      ['dn-1', 10 * GiB],
      ['dn-2', 10 * GiB],
      ['dn-3', 10 * GiB],
      ['dn-full', 1000],
      ['dn-leaving', 10 * GiB],
    ]
    for (const [uuid, remaining] of nodes) {
      await engine.registerDatanode({
        datanodeUuid: uuid,
        httpAddress: `http://${uuid}.invalid:9864`,
        hostname: `${uuid}.invalid`,
        capacityBytes: 10 * GiB,
      })
      await engine.datanodeHeartbeat({
        datanodeUuid: uuid,
        capacityBytes: 10 * GiB,
        usedBytes: 10 * GiB - remaining,
        remainingBytes: remaining,
        failedVolumes: 0,
        xceivers: 0,
      })
    }
    await engine.decommissionDatanode('dn-leaving')
  })
  after(() => engine.close())

  function placement(load?: (uuid: string) => number): BlockPlacement {
    return new BlockPlacement(new DatanodeCache(() => engine.listDatanodes()), { load })
  }

  it('chooses distinct live nodes with room for the block, never a leaving one', async () => {
    for (let i = 0; i < 20; i++) {
      const chosen = await placement().chooseTargets({ replication: 3, blockSize: 128 << 20 })
      const ids = chosen.map((d) => d.datanodeUuid)
      assert.equal(new Set(ids).size, 3)
      assert.deepEqual([...ids].sort(), ['dn-1', 'dn-2', 'dn-3'])
    }
  })

  it('writes with fewer nodes than the replication when fewer qualify', async () => {
    const chosen = await placement().chooseTargets({ replication: 10, blockSize: 128 << 20 })
    assert.equal(chosen.length, 3)
    const small = await placement().chooseTargets({ replication: 10, blockSize: 512 })
    assert.equal(small.length, 4) // dn-full has room for a tiny block
  })

  it('honours excluded nodes by uuid, address or hostname', async () => {
    const chosen = await placement().chooseTargets({
      replication: 3,
      blockSize: 1 << 20,
      exclude: ['dn-1', 'http://dn-2.invalid:9864', 'dn-full.invalid'],
    })
    assert.deepEqual(
      chosen.map((d) => d.datanodeUuid),
      ['dn-3'],
    )
  })

  it('fails with the HDFS minReplication message when no node qualifies', async () => {
    await assert.rejects(
      placement().chooseTargets({
        replication: 3,
        blockSize: 1 << 20,
        exclude: ['dn-1', 'dn-2', 'dn-3', 'dn-full'],
      }),
      (err: unknown) =>
        isFsError(err, 'IO_ERROR') &&
        /could only be written to 0 of the 1 minReplication nodes/.test(err.message),
    )
  })

  it('prefers less loaded nodes, spreading ties at random', async () => {
    const busy = placement((uuid) => (uuid === 'dn-1' ? 50 : 0))
    for (let i = 0; i < 10; i++) {
      const [first] = await busy.chooseTargets({ replication: 1, blockSize: 1 << 20 })
      assert.notEqual(first?.datanodeUuid, 'dn-1')
    }
    const seen = new Set<string>()
    const p = placement()
    for (let i = 0; i < 60; i++) seen.add((await p.chooseWriter()).datanodeUuid)
    assert.ok(seen.size >= 2, `writers spread over ${[...seen].join(',')}`)
    assert.ok(!seen.has('dn-leaving'))
  })

  it('reads from a live holder, and from a decommissioning one too', async () => {
    const p = placement()
    assert.equal((await p.chooseReader(['dn-leaving'])).datanodeUuid, 'dn-leaving')
    assert.equal((await p.chooseReader(['nope', 'dn-2'])).datanodeUuid, 'dn-2')
    await assert.rejects(p.chooseReader(['nope']), (err: unknown) => isFsError(err, 'IO_ERROR'))
  })

  it('caches the DataNode list and shares concurrent fetches', async () => {
    let calls = 0
    const cache = new DatanodeCache(
      () => {
        calls++
        return engine.listDatanodes()
      },
      { ttlMs: 10_000 },
    )
    await Promise.all([cache.all(), cache.all(), cache.all()])
    await cache.all()
    assert.equal(calls, 1)
    cache.invalidate()
    await cache.all()
    assert.equal(calls, 2)
  })
})
