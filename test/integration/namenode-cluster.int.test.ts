/**
 * A cluster of separate processes as the README starts it: three `hops namenode` over one
 * PostgreSQL database and three `hops datanode` reporting to all of them, on 127.0.0.1.
 * Files written through one NameNode are read through another; exactly one NameNode leads (the
 * live one with the smallest id); after `kill -9` of the leader another takes over within a bounded
 * time and still re-replicates the blocks of a DataNode killed afterwards; a drained NameNode
 * answers StandbyException and the SDK given two URLs keeps working; SIGTERM stops every process
 * with exit code 0. Short intervals: NameNode heartbeats 200 ms (dead after 600 ms), DataNode
 * heartbeats 200 ms (dead after 1.5 s), replication check every 300 ms.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { FileSystem } from '../../src/client/file-system.js'
import { createTestDatabase } from '../support/postgres.js'
import { tmpDir } from '../support/tmp.js'
import { freePort } from '../support/net.js'
import { waitFor } from '../support/hops-process.js'

const HOPS = join(import.meta.dirname, '..', '..', 'bin', 'hops.js')
const USER = 'hdfs'
const MB = 1024 * 1024
const run = promisify(execFile)

interface Proc {
  readonly name: string
  readonly url: string
  readonly child: ChildProcess
  out: string
}

interface Health {
  status: string
  namenodeId: number
  isLeader: boolean
  leaderId: number | null
  draining: boolean
  safeMode: boolean
}

const procs: Proc[] = []
const filesystems: FileSystem[] = []
let dropDatabase: (() => Promise<void>) | undefined

function spawnHops(name: string, url: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [HOPS, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const proc: Proc = { name, url, child, out: '' }
  child.stdout.on('data', (d: Buffer) => (proc.out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (proc.out += d.toString()))
  procs.push(proc)
  return proc
}

async function health(nn: Proc): Promise<Health> {
  const res = await fetch(`${nn.url}/health`, { signal: AbortSignal.timeout(2000) })
  return (await res.json()) as Health
}

async function up(proc: Proc): Promise<Proc> {
  await waitFor(
    `${proc.name} to answer /health`,
    async () => {
      if (proc.child.exitCode !== null) {
        throw new Error(`${proc.name} exited ${proc.child.exitCode}: ${proc.out}`)
      }
      return (await fetch(`${proc.url}/health`)).status === 200
    },
    30_000,
  )
  return proc
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode })
    } else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

/** The DataNode addresses (host:port) of each block of `path`, asked of `nn`. */
async function blockHosts(nn: Proc, path: string): Promise<string[][]> {
  const res = await fetch(`${nn.url}/webhdfs/v1${path}?op=GETFILEBLOCKLOCATIONS&user.name=${USER}`)
  assert.equal(res.status, 200)
  const body = (await res.json()) as { BlockLocations: { BlockLocation: { names: string[] }[] } }
  return body.BlockLocations.BlockLocation.map((b) => b.names)
}

/** Each NameNode's /health; the leaders among them. */
async function leaders(nns: readonly Proc[]): Promise<Health[]> {
  const all = await Promise.all(nns.map(health))
  return all.filter((h) => h.isLeader)
}

function fs(...nns: Proc[]): FileSystem {
  const f = new FileSystem({ namenodes: nns.map((n) => n.url), user: USER })
  filesystems.push(f)
  return f
}

describe('a cluster of NameNode and DataNode processes over one PostgreSQL', () => {
  let nns: Proc[] = []
  let dns: Proc[] = []
  let metaUrl = ''

  before(async () => {
    const db = await createTestDatabase()
    dropDatabase = db.drop
    metaUrl = db.url
    const nnEnv = {
      NAMENODE_META: db.url,
      NAMENODE_SUPERUSER: USER,
      NAMENODE_REPLICATION_CHECK_INTERVAL_MS: '300',
      NAMENODE_HOUSEKEEPING_INTERVAL_MS: '1000',
      NAMENODE_DATANODE_DEAD_AFTER_MS: '1500',
      NAMENODE_LOG_LEVEL: 'warn',
    }
    // NameNode 1 by flags and env; 2 and 3 by a config file with Hadoop names.
    const conf = join(tmpDir('hops-nn-conf-'), 'namenode.json')
    writeFileSync(
      conf,
      JSON.stringify({
        'dfs.leader.check.interval': 200,
        missedHeartbeats: 2,
        'dfs.replication': 3,
      }),
    )
    const ports = await Promise.all([0, 1, 2].map(() => freePort()))
    const nn1 = spawnHops(
      'nn1',
      `http://127.0.0.1:${ports[0]}`,
      ['namenode', '--port', String(ports[0]), '--host', '127.0.0.1'],
      { ...nnEnv, NAMENODE_HEARTBEAT_INTERVAL_MS: '200' },
    )
    await up(nn1) // first: it creates the namespace and gets the smallest id
    const rest = [1, 2].map((i) =>
      spawnHops(
        `nn${i + 1}`,
        `http://127.0.0.1:${ports[i]}`,
        ['namenode', '--config', conf, '--port', String(ports[i])],
        nnEnv,
      ),
    )
    await Promise.all(rest.map(up))
    nns = [nn1, ...rest]
    const nnUrls = nns.map((n) => n.url).join(',')
    const dnPorts = await Promise.all([0, 1, 2].map(() => freePort()))
    dns = dnPorts.map((port, i) =>
      spawnHops(
        `dn${i + 1}`,
        `http://127.0.0.1:${port}`,
        ['datanode', '--namenodes', nnUrls, '--dir', tmpDir('hops-dn-'), '--port', String(port)],
        { DATANODE_HEARTBEAT_INTERVAL_MS: '200', DATANODE_LOG_LEVEL: 'warn' },
      ),
    )
    await Promise.all(dns.map(up))
    await waitFor('3 live DataNodes', async () => {
      const metrics = await (await fetch(`${nns[1]!.url}/metrics`)).text()
      return /hops_datanodes\{state="NORMAL"\} 3/.test(metrics)
    })
  })

  after(async () => {
    for (const f of filesystems) f.close()
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
    await Promise.all(procs.map((p) => exited(p.child)))
    await dropDatabase?.()
  })

  const big = randomBytes(3 * MB + 123)
  const small = randomBytes(1000)

  it('files written through one NameNode are read through another', async () => {
    await fs(nns[0]!).writeFile('/a/big.bin', big, { replication: 2, blockSize: MB })
    await fs(nns[1]!).writeFile('/a/small.txt', small)
    assert.ok((await fs(nns[1]!).readFile('/a/big.bin')).equals(big))
    assert.ok((await fs(nns[2]!).readFile('/a/big.bin')).equals(big))
    assert.ok((await fs(nns[0]!).readFile('/a/small.txt')).equals(small))
    assert.deepEqual(
      (await fs(nns[2]!).listStatusAll('/a')).map((s) => s.pathSuffix),
      ['big.bin', 'small.txt'],
    )
    const hosts = await blockHosts(nns[2]!, '/a/big.bin')
    assert.equal(hosts.length, 4)
    for (const h of hosts) assert.equal(h.length, 2)
  })

  it('exactly one leader: the live NameNode with the smallest id', async () => {
    const ids = await Promise.all(nns.map(async (n) => (await health(n)).namenodeId))
    assert.equal(Math.min(...ids), ids[0], 'nn1 started first: it has the smallest id')
    for (let i = 0; i < 5; i++) {
      const l = await leaders(nns)
      assert.equal(l.length, 1)
      assert.equal(l[0]!.namenodeId, ids[0])
      for (const h of await Promise.all(nns.map(health))) assert.equal(h.leaderId, ids[0])
      await new Promise((r) => setTimeout(r, 100))
    }
    const metrics = await Promise.all(
      nns.map(async (n) => (await fetch(`${n.url}/metrics`)).text()),
    )
    assert.deepEqual(
      metrics.map((m) => /hops_namenode_is_leader (\d)/.exec(m)?.[1]),
      ['1', '0', '0'],
    )
    // Only the leader runs the replication check (its last report is a gauge).
    assert.deepEqual(
      metrics.map((m) => m.includes('hops_under_replicated_blocks ')),
      [true, false, false],
    )
  })

  it('safe mode from `hops meta safemode` reaches every NameNode: mutations refused, reads go on', async () => {
    const safemode = async (action: string) =>
      (await run(process.execPath, [HOPS, 'meta', '--meta', metaUrl, 'safemode', action])).stdout
    const mkdir = (n: Proc, path: string) =>
      fetch(`${n.url}/webhdfs/v1${path}?op=MKDIRS&user.name=${USER}`, { method: 'PUT' })
    assert.equal(await safemode('enter'), 'Safe mode is ON\n')
    try {
      for (const n of nns) {
        const res = await waitFor(`${n.name} to see safe mode`, async () => {
          const r = await mkdir(n, '/safe')
          return r.status === 403 ? r : (await r.body?.cancel(), false)
        })
        const body = (await res.json()) as { RemoteException: { javaClassName: string } }
        assert.equal(
          body.RemoteException.javaClassName,
          'org.apache.hadoop.hdfs.server.namenode.SafeModeException',
        )
        assert.equal((await health(n)).safeMode, true)
        assert.ok((await fs(n).readFile('/a/small.txt')).equals(small), 'reads go on')
      }
      assert.equal(await safemode('get'), 'Safe mode is ON\n')
    } finally {
      assert.equal(await safemode('leave'), 'Safe mode is OFF\n')
    }
    for (const n of nns) {
      await waitFor(`${n.name} to leave safe mode`, async () => (await mkdir(n, '/safe')).ok)
    }
  })

  it('kill -9 of the leader: another leads within 3 s and re-replicates a dead DataNode’s blocks', async () => {
    const [leader, ...survivors] = nns
    const killedAt = Date.now()
    leader!.child.kill('SIGKILL')
    await exited(leader!.child)
    const next = await waitFor(
      'a new leader',
      async () => {
        const l = await leaders(survivors)
        return l.length === 1 ? l[0] : undefined
      },
      10_000,
      20,
    )
    const failoverMs = Date.now() - killedAt
    console.log(
      `leader ${nns[0]!.name} killed: NameNode ${next.namenodeId} leads after ${failoverMs} ms`,
    )
    assert.ok(failoverMs < 3000, `leadership moved in ${failoverMs} ms`)
    const ids = await Promise.all(survivors.map(async (n) => (await health(n)).namenodeId))
    assert.equal(next.namenodeId, Math.min(...ids))
    assert.equal((await leaders(survivors)).length, 1)

    // Now a DataNode holding a replica of the first block dies.
    const before = await blockHosts(survivors[1]!, '/a/big.bin')
    const victimHost = before[0]![0]!
    const victim = dns.find((d) => d.url.endsWith(victimHost))!
    victim.child.kill('SIGKILL')
    await exited(victim.child)
    const diedAt = Date.now()
    await waitFor(
      'the replication factor restored without the dead DataNode',
      async () => {
        const hosts = await blockHosts(survivors[0]!, '/a/big.bin')
        return hosts.every((h) => h.length === 2 && !h.includes(victimHost))
      },
      20_000,
      100,
    )
    console.log(`re-replicated ${Date.now() - diedAt} ms after the DataNode died`)
    assert.ok((await fs(...survivors).readFile('/a/big.bin')).equals(big))
  })

  it('a drained NameNode answers StandbyException; the SDK with both URLs moves on', async () => {
    const [, draining, serving] = nns
    const put = await fetch(`${draining!.url}/admin/drain`, { method: 'PUT' })
    assert.deepEqual(await put.json(), { draining: true })
    const res = await fetch(`${draining!.url}/webhdfs/v1/a?op=LISTSTATUS&user.name=${USER}`)
    assert.equal(res.status, 403)
    const body = (await res.json()) as { RemoteException: { javaClassName: string } }
    assert.equal(body.RemoteException.javaClassName, 'org.apache.hadoop.ipc.StandbyException')
    const h = await fetch(`${draining!.url}/health`)
    assert.equal(h.status, 503)
    assert.equal(((await h.json()) as Health).status, 'DRAINING')

    const client = fs(draining!, serving!)
    const data = randomBytes(2 * MB)
    await client.writeFile('/a/after-drain.bin', data, { replication: 2, blockSize: MB })
    assert.ok((await client.readFile('/a/after-drain.bin')).equals(data))
    await client.mkdirs('/b')
    assert.equal((await client.getFileStatus('/b')).type, 'DIRECTORY')

    // DELETE ends the drain; SIGUSR2 starts it again.
    await fetch(`${draining!.url}/admin/drain`, { method: 'DELETE' })
    assert.equal((await fs(draining!).getFileStatus('/b')).type, 'DIRECTORY')
    draining!.child.kill('SIGUSR2')
    await waitFor('SIGUSR2 to drain', async () => (await health(draining!)).draining)
    assert.ok((await client.readFile('/a/small.txt')).equals(small))
  })

  it('SIGTERM stops every process cleanly', async () => {
    const alive = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null)
    for (const p of alive) p.child.kill('SIGTERM')
    const results = await Promise.all(alive.map((p) => exited(p.child)))
    for (const [i, r] of results.entries()) {
      assert.deepEqual(r, { code: 0, signal: null }, `${alive[i]!.name}: ${alive[i]!.out}`)
    }
  })
})

describe('hops namenode / hops datanode refuse bad configuration', () => {
  it('with a one-line error and exit code 1', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [
        ['namenode', '--meta', 'sqlite:/tmp/x.db', '--port', 'abc'],
        {},
        `hops namenode: port must be an integer in 0..65535, got "abc" (from --port)\n`,
      ],
      [
        ['namenode'],
        {},
        'hops namenode: meta is required: set --meta, NAMENODE_META or "meta" in the config file\n',
      ],
      [
        ['datanode', '--namenodes', 'http://127.0.0.1:1', '--dir', '/tmp/x'],
        { DATANODE_HEARTBEAT_INTERVAL_MS: '5' },
        'hops datanode: heartbeatIntervalMs must be an integer in 10..600000, got "5" (from DATANODE_HEARTBEAT_INTERVAL_MS)\n',
      ],
    ]
    for (const [args, env, stderr] of cases) {
      await assert.rejects(
        run(process.execPath, [HOPS, ...args], { env: { ...process.env, ...env } }),
        (err: { code: number; stderr: string }) => {
          assert.equal(err.code, 1)
          assert.equal(err.stderr.replace(/^npm warn.*\n/gm, ''), stderr)
          return true
        },
      )
    }
  })
})
