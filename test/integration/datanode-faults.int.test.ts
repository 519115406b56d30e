/**
 * DataNode faults on a local cluster (SQLite metadata, one NameNode, real DataNodes in-process and
 * one in a child process killed with SIGKILL): a dead DataNode's blocks are re-replicated, a
 * corrupt replica is read around, reported and re-created, a pipeline node dying mid-write never
 * leaves a corrupt file, decommissioning drains a DataNode, and deleted files' block files go.
 * Intervals are short (heartbeats 200 ms, dead after 1.5 s, replication check every 300 ms).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { open } from 'node:fs/promises'
import http from 'node:http'
import { createInterface } from 'node:readline'
import { after, describe, it } from 'node:test'
import { FileSystem } from '../../src/client/file-system.js'
import { startLocalCluster, type LocalCluster } from '../../src/cluster/local-cluster.js'
import type { DataNode } from '../../src/datanode/datanode.js'
import type { BlockLocation } from '../../src/meta/meta-engine.js'
import { tmpDir } from '../support/tmp.js'
import { waitFor } from '../support/hops-process.js'

const USER = 'hdfs'
const BLOCK = 1024 * 1024
const ctx = { user: USER }

const clusters: LocalCluster[] = []
const children: ChildProcess[] = []
const filesystems: FileSystem[] = []

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const fs of filesystems) fs.close()
  for (const c of clusters) await c.stop()
})

async function startCluster(
  datanodes: number,
  opts: { settings?: Record<string, number>; housekeepingIntervalMs?: number } = {},
): Promise<{ cluster: LocalCluster; fs: FileSystem }> {
  const cluster = await startLocalCluster({
    dataDir: tmpDir('hops-faults-'),
    port: 0,
    datanodes,
    heartbeatIntervalMs: 200,
    engine: {
      settings: {
        datanodeDeadAfterMs: 1500,
        replicationPendingTimeoutMs: 2000,
        minReplication: 1,
        ...opts.settings,
      },
    },
    namenode: {
      replicationCheckIntervalMs: 300,
      housekeepingIntervalMs: opts.housekeepingIntervalMs ?? 0,
    },
  })
  clusters.push(cluster)
  const fs = new FileSystem({ namenodes: [cluster.namenodeUrl], user: USER })
  filesystems.push(fs)
  return { cluster, fs }
}

async function blocksOf(cluster: LocalCluster, path: string): Promise<readonly BlockLocation[]> {
  const loc = await cluster.engine.getBlockLocations(
    { path, offset: 0, length: Number.MAX_SAFE_INTEGER },
    ctx,
  )
  return loc.blocks
}

async function stateOf(cluster: LocalCluster, uuid: string): Promise<string | undefined> {
  return (await cluster.engine.listDatanodes()).find((d) => d.datanodeUuid === uuid)?.state
}

/** GET /datanode/v1/blocks/{id} on one DataNode: status and body. */
async function httpGet(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      })
      .on('error', reject)
  })
}

function byUuid(cluster: LocalCluster, uuid: string): DataNode | undefined {
  return cluster.datanodes.find((d) => d.datanodeUuid === uuid)
}

/** Every block has `replication` live replicas, each one a byte-exact file on its DataNode. */
async function fullyReplicated(
  cluster: LocalCluster,
  path: string,
  data: Buffer,
  replication: number,
  excluded: string,
): Promise<boolean> {
  for (const b of await blocksOf(cluster, path)) {
    if (b.datanodes.length !== replication || b.datanodes.includes(excluded)) return false
    for (const uuid of b.datanodes) {
      const dn = byUuid(cluster, uuid)!
      const got = await httpGet(`${dn.httpAddress}/datanode/v1/blocks/${b.blockId}`)
      if (got.status !== 200) return false
      assert.ok(got.body.equals(data.subarray(b.offset, b.offset + b.numBytes)))
    }
  }
  return true
}

async function startChildDatanode(
  namenodeUrl: string,
): Promise<{ child: ChildProcess; uuid: string; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/datanode-child.ts'], {
    env: {
      ...process.env,
      HOPS_DN_DIR: tmpDir('hops-faults-child-'),
      HOPS_NAMENODE_URL: namenodeUrl,
      HOPS_HEARTBEAT_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  const lines = createInterface({ input: child.stdout })
  for await (const line of lines) {
    const m = /^datanode (\S+) (\S+)$/.exec(line)
    if (m !== null) {
      lines.close()
      return { child, uuid: m[1]!, url: m[2]! }
    }
  }
  throw new Error('the child DataNode exited before starting')
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

/**
 * CREATE through the NameNode's 307, but sends the body to `entry` (a DataNode of our choice, as
 * a client following the redirect to that node would), slowly, calling `onSent(bytes)` after
 * every piece. Resolves with the DataNode's status, or the error the connection failed with.
 */
async function slowCreate(
  namenodeUrl: string,
  path: string,
  entry: string,
  data: Buffer,
  onSent: (sent: number) => Promise<void>,
): Promise<{ status: number; body: string } | { error: Error }> {
  const redirect = await fetch(
    `${namenodeUrl}/webhdfs/v1${path}?op=CREATE&user.name=${USER}&overwrite=true&replication=3&blocksize=${BLOCK}`,
    { method: 'PUT', redirect: 'manual' },
  )
  assert.equal(redirect.status, 307)
  const location = new URL(redirect.headers.get('location')!)
  const url = new URL(location.pathname + location.search, entry)
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'PUT' })
    req.on('response', (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', (error) => resolve({ error }))
    })
    req.on('error', (error) => resolve({ error }))
    void (async () => {
      const piece = 128 * 1024
      for (let sent = 0; sent < data.length; sent += piece) {
        if (req.destroyed) return
        if (!req.write(data.subarray(sent, sent + piece))) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              req.off('drain', done).off('close', done)
              resolve()
            }
            req.on('drain', done).on('close', done)
          })
        }
        await new Promise((r) => setTimeout(r, 15))
        await onSent(Math.min(data.length, sent + piece))
      }
      req.end()
    })()
  })
}

describe('DataNode faults', { timeout: 150_000 }, () => {
  it('re-replicates the blocks of a crashed DataNode onto the others', async (t) => {
    const { cluster, fs } = await startCluster(4)
    const data = randomBytes(3 * BLOCK + 12345)
    await fs.writeFile('/f/dead', data, { replication: 3, blockSize: BLOCK })
    const blocks = await blocksOf(cluster, '/f/dead')
    assert.equal(blocks.length, 4)
    for (const b of blocks) assert.equal(b.datanodes.length, 3)
    // Stop a DataNode holding the first block (any block: each one has a spare target).
    const victim = blocks[0]!.datanodes[0]!
    const index = cluster.datanodes.findIndex((d) => d.datanodeUuid === victim)
    const t0 = Date.now()
    await cluster.stopDatanode(index)
    await waitFor(
      'the DataNode to be DEAD',
      async () => (await stateOf(cluster, victim)) === 'DEAD',
    )
    const deadAfter = Date.now() - t0
    await waitFor('replication 3 again', () => fullyReplicated(cluster, '/f/dead', data, 3, victim))
    const restoredAfter = Date.now() - t0
    t.diagnostic(`DEAD after ${deadAfter} ms, replication restored after ${restoredAfter} ms`)
    assert.ok(deadAfter < 5000, `DEAD after ${deadAfter} ms`)
    assert.ok((await fs.readFile('/f/dead')).equals(data))
  })

  it('reads around a corrupt replica, reports it and re-creates it', async () => {
    const { cluster, fs } = await startCluster(3)
    const data = randomBytes(2 * BLOCK + 777)
    await fs.writeFile('/f/corrupt', data, { replication: 3, blockSize: BLOCK })
    const [first] = await blocksOf(cluster, '/f/corrupt')
    assert.equal(first!.datanodes.length, 3)
    const bad = byUuid(cluster, first!.datanodes[0]!)!
    // Flip bytes inside the fourth 64 KiB chunk: the read fails over mid-block.
    const fh = await open(bad.store.blockPath(first!.blockId), 'r+')
    const at = 3 * 65536 + 100
    const buf = Buffer.alloc(16)
    await fh.read(buf, 0, 16, at)
    for (let i = 0; i < buf.length; i++) buf[i]! ^= 0xff
    await fh.write(buf, 0, 16, at)
    await fh.close()
    // The replica endpoint refuses the bad bytes.
    const direct = await httpGet(`${bad.httpAddress}/datanode/v1/blocks/${first!.blockId}`)
    assert.notEqual(direct.status, 200)
    // OPEN on the DataNode holding the bad replica (where a redirect could send a reader): the
    // local replica fails its checksum and the rest comes from another one.
    const opened = await httpGet(
      `${bad.httpAddress}/webhdfs/v1/f/corrupt?op=OPEN&user.name=${USER}&namenoderpcaddress=${encodeURIComponent(cluster.namenodeUrl)}`,
    )
    assert.equal(opened.status, 200)
    assert.ok(opened.body.equals(data))
    assert.ok((await fs.readFile('/f/corrupt')).equals(data))
    // Reported and re-created: three good replicas again, the bad node's one rewritten.
    await waitFor('three good replicas', () =>
      fullyReplicated(cluster, '/f/corrupt', data, 3, 'none'),
    )
    const again = await httpGet(`${bad.httpAddress}/datanode/v1/blocks/${first!.blockId}`)
    assert.equal(again.status, 200)
    assert.ok(again.body.equals(data.subarray(0, BLOCK)))
  })

  it('finishes a write when a pipeline DataNode is killed mid-write (pipeline recovery)', async () => {
    const { cluster, fs } = await startCluster(2)
    const child = await startChildDatanode(cluster.namenodeUrl)
    await waitFor(
      'the child to register',
      async () => (await stateOf(cluster, child.uuid)) === 'NORMAL',
    )
    const data = randomBytes(5 * BLOCK + 4321)
    let killed = false
    const result = await slowCreate(
      cluster.namenodeUrl,
      '/f/pipeline',
      cluster.datanodes[0]!.httpAddress,
      data,
      async (sent) => {
        if (!killed && sent >= 2.5 * BLOCK) {
          killed = true
          await kill(child.child)
        }
      },
    )
    assert.ok(killed)
    assert.ok('status' in result, `the write failed: ${'error' in result && result.error.message}`)
    assert.equal(result.status, 201, result.body)
    await waitFor(
      'the child to be DEAD',
      async () => (await stateOf(cluster, child.uuid)) === 'DEAD',
    )
    const st = await fs.getFileStatus('/f/pipeline')
    assert.equal(st.length, data.length)
    assert.ok((await fs.readFile('/f/pipeline')).equals(data))
    for (const b of await blocksOf(cluster, '/f/pipeline')) {
      assert.ok(b.datanodes.length >= 1)
      assert.ok(!b.datanodes.includes(child.uuid))
    }
  })

  it('never completes a corrupt file when the writing DataNode is killed mid-write', async (t) => {
    const { cluster, fs } = await startCluster(2, {
      settings: { leaseSoftLimitMs: 500, leaseHardLimitMs: 1000 },
      housekeepingIntervalMs: 300,
    })
    const child = await startChildDatanode(cluster.namenodeUrl)
    await waitFor(
      'the child to register',
      async () => (await stateOf(cluster, child.uuid)) === 'NORMAL',
    )
    const data = randomBytes(5 * BLOCK)
    let killed = false
    const result = await slowCreate(
      cluster.namenodeUrl,
      '/f/entry',
      child.url,
      data,
      async (sent) => {
        if (!killed && sent >= 2.5 * BLOCK) {
          killed = true
          await kill(child.child)
        }
      },
    )
    assert.ok(killed)
    assert.ok('error' in result, 'the write to a killed DataNode cannot succeed')
    // Whatever a reader sees, now or after lease recovery, is a prefix of what was written.
    const prefix = async (): Promise<number> => {
      const got = await fs.readFile('/f/entry')
      assert.ok(got.equals(data.subarray(0, got.length)), `${got.length} bytes, not a prefix`)
      return got.length
    }
    const st = await fs.getFileStatusIfExists('/f/entry')
    if (st !== undefined) {
      assert.ok(st.length < data.length)
      await prefix()
      const closed = await waitFor(
        'lease recovery',
        async () => {
          const loc = await cluster.engine.getBlockLocations(
            { path: '/f/entry', offset: 0, length: Number.MAX_SAFE_INTEGER },
            ctx,
          )
          return !loc.file.underConstruction
        },
        5000,
      ).catch(() => false)
      const n = await prefix()
      assert.ok(n < data.length)
      if (closed) assert.equal((await fs.getFileStatus('/f/entry')).length, n)
      t.diagnostic(
        `${closed ? 'recovered' : 'still under construction'}: ${n} of ${data.length} bytes`,
      )
    } else t.diagnostic('the file is absent')
  })

  it('drains a decommissioned DataNode, and its files stay readable once it stops', async () => {
    const { cluster, fs } = await startCluster(4)
    const data = randomBytes(3 * BLOCK + 99)
    await fs.writeFile('/f/decom', data, { replication: 3, blockSize: BLOCK })
    const blocks = await blocksOf(cluster, '/f/decom')
    const victim = blocks[0]!.datanodes[0]!
    await cluster.engine.decommissionDatanode(victim)
    await waitFor(
      'DECOMMISSIONED',
      async () => (await stateOf(cluster, victim)) === 'DECOMMISSIONED',
    )
    assert.ok(await fullyReplicated(cluster, '/f/decom', data, 3, victim))
    await cluster.stopDatanode(cluster.datanodes.findIndex((d) => d.datanodeUuid === victim))
    assert.ok((await fs.readFile('/f/decom')).equals(data))
    await waitFor('DEAD', async () => (await stateOf(cluster, victim)) === 'DEAD')
    assert.ok((await fs.readFile('/f/decom')).equals(data))
  })

  it('deletes the block files of deleted, overwritten and truncated files', async () => {
    // A subtree batch of 2: deleting /d/dir (3 files) goes through the subtree protocol.
    const { cluster, fs } = await startCluster(3, { settings: { subtreeBatchSize: 2 } })
    const files = ['/d/deleted', '/d/dir/a', '/d/dir/b', '/d/dir/sub/c']
    files.push('/d/overwritten', '/d/renamed-over')
    const blockFiles = new Map<string, string[]>()
    for (const p of [...files, '/d/source']) {
      await fs.writeFile(p, randomBytes(BLOCK + 10), { replication: 3, blockSize: BLOCK })
      const paths: string[] = []
      for (const b of await blocksOf(cluster, p))
        for (const dn of cluster.datanodes) paths.push(dn.store.blockPath(b.blockId))
      assert.equal(paths.length, 6)
      for (const f of paths) assert.ok(existsSync(f), f)
      blockFiles.set(p, paths)
    }
    assert.equal(await fs.delete('/d/deleted'), true)
    assert.equal(await fs.delete('/d/dir', { recursive: true }), true)
    await fs.writeFile('/d/overwritten', 'small now')
    await fs.rename2('/d/source', '/d/renamed-over', { overwrite: true })
    await waitFor(
      'the block files to go',
      () => files.every((p) => blockFiles.get(p)!.every((f) => !existsSync(f))),
      5000,
    )
    for (const f of blockFiles.get('/d/source')!) assert.ok(existsSync(f), f)
    // Truncating at a block boundary drops the blocks past it (no block recovery needed).
    await fs.writeFile('/d/truncated', randomBytes(3 * BLOCK), { replication: 3, blockSize: BLOCK })
    const [kept, ...cut] = await blocksOf(cluster, '/d/truncated')
    assert.equal(await fs.truncate('/d/truncated', BLOCK), true)
    const gone = cut.flatMap((b) => cluster.datanodes.map((dn) => dn.store.blockPath(b.blockId)))
    await waitFor('the truncated blocks to go', () => gone.every((f) => !existsSync(f)), 5000)
    for (const dn of cluster.datanodes) assert.ok(existsSync(dn.store.blockPath(kept!.blockId)))
    assert.equal((await fs.readFile('/d/overwritten')).toString(), 'small now')
  })
})
