import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LeaderElection } from './leader-election.js'
import type { HeartbeatRow } from './leader-election.js'

/** A fake `namenodes` table and clock: `beat(id)` moves a row's heartbeat. */
function world() {
  let now = 1_000_000
  const rows = new Map<number, number>()
  let failing = false
  return {
    clock: () => now,
    advance: (ms: number) => (now += ms),
    beat: (...ids: number[]) => ids.forEach((id) => rows.set(id, now)),
    remove: (id: number) => rows.delete(id),
    fail: (on: boolean) => (failing = on),
    list: (): Promise<HeartbeatRow[]> =>
      failing
        ? Promise.reject(new Error('database down'))
        : Promise.resolve([...rows].map(([id, lastHeartbeat]) => ({ id, lastHeartbeat }))),
  }
}

function elector(w: ReturnType<typeof world>, selfId: number, changes?: boolean[]) {
  return new LeaderElection({
    selfId,
    listNamenodes: w.list,
    intervalMs: 100,
    deadAfterMs: 300,
    now: w.clock,
    onChange: (isLeader) => changes?.push(isLeader),
  })
}

describe('LeaderElection', () => {
  it('the live NameNode with the smallest id leads; exactly one leader', async () => {
    const w = world()
    w.beat(1, 2, 3)
    const es = [elector(w, 1), elector(w, 2), elector(w, 3)]
    for (const e of es) await e.round()
    assert.deepEqual(
      es.map((e) => e.isLeader),
      [true, false, false],
    )
    assert.deepEqual(
      es.map((e) => e.leaderId),
      [1, 1, 1],
    )
    assert.deepEqual(es[2]!.liveIds, [1, 2, 3])
  })

  it('moves the lead once the leader stops beating for deadAfterMs (its own clock only)', async () => {
    const w = world()
    w.beat(1, 2, 3)
    const changes: boolean[] = []
    const two = elector(w, 2, changes)
    await two.round()
    assert.equal(two.isLeader, false)
    // 1 dies: 2 and 3 keep beating. Still alive while its beat is younger than 300 ms.
    for (let t = 0; t < 2; t++) {
      w.advance(100)
      w.beat(2, 3)
      await two.round()
    }
    assert.equal(two.isLeader, false, 'not yet: 1 changed 200 ms ago')
    w.advance(100)
    w.beat(2, 3)
    await two.round()
    assert.equal(two.isLeader, true)
    assert.equal(two.leaderId, 2)
    assert.deepEqual(two.liveIds, [2, 3])
    assert.deepEqual(changes, [true])
  })

  it('ignores clock skew: a row far in the future or past is alive while it changes', async () => {
    const w = world()
    // NameNode 1's clock is an hour behind ours, but it beats.
    let skewed = w.clock() - 3_600_000
    const list = w.list
    const withSkew = new LeaderElection({
      selfId: 2,
      listNamenodes: async () => [...(await list()), { id: 1, lastHeartbeat: (skewed += 100) }],
      intervalMs: 100,
      deadAfterMs: 300,
      now: w.clock,
    })
    w.beat(2)
    await withSkew.round()
    // First sight of a beat an hour old: a leftover, dead at once.
    assert.equal(withSkew.leaderId, 2)
    for (let t = 0; t < 5; t++) {
      w.advance(100)
      w.beat(2)
      await withSkew.round()
    }
    // But it keeps changing, so it is alive and leads again.
    assert.equal(withSkew.leaderId, 1)
    assert.equal(withSkew.isLeader, false)
  })

  it('a new NameNode does not take the lead from a running one; a restarted one gets a larger id', async () => {
    const w = world()
    w.beat(1)
    const one = elector(w, 1)
    await one.round()
    assert.equal(one.isLeader, true)
    w.advance(100)
    w.beat(1, 2)
    const two = elector(w, 2)
    await two.round()
    await one.round()
    assert.equal(one.isLeader, true)
    assert.equal(two.isLeader, false)
  })

  it('steps down when its own heartbeat stops or the table cannot be read', async () => {
    const w = world()
    w.beat(1, 2)
    const one = elector(w, 1)
    await one.round()
    assert.equal(one.isLeader, true)
    // Own heartbeat stuck (writes fail), the other beats on.
    for (let t = 0; t < 4; t++) {
      w.advance(100)
      w.beat(2)
      await one.round()
    }
    assert.equal(one.isLeader, false)
    assert.equal(one.leaderId, 2)
    w.beat(1)
    await one.round()
    assert.equal(one.isLeader, true)
    w.fail(true)
    await one.round()
    assert.equal(one.isLeader, false)
    assert.equal(one.leaderId, undefined)
    w.fail(false)
    await one.round()
    assert.equal(one.isLeader, true)
    // Its row removed (declared dead by another leader): not leader until the row is back.
    w.remove(1)
    await one.round()
    assert.equal(one.isLeader, false)
  })

  it('start() runs a round at once; stop() gives the lead up', async () => {
    const w = world()
    w.beat(1)
    const one = elector(w, 1)
    await one.start()
    assert.equal(one.isLeader, true)
    await one.stop()
    assert.equal(one.isLeader, false)
  })

  it('refuses deadAfterMs not above intervalMs', () => {
    assert.throws(
      () =>
        new LeaderElection({
          selfId: 1,
          listNamenodes: () => Promise.resolve([]),
          intervalMs: 100,
          deadAfterMs: 100,
        }),
      TypeError,
    )
  })
})
