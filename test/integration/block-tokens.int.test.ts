/**
 * Block access tokens (issue 6): with `blockAccessTokens` on, a NameNode signs a token for one
 * user, block and mode with every block it hands out, and DataNodes serve or accept block bytes
 * only with a valid one. A real NameNode (SQLite) and three DataNodes on 127.0.0.1: a multi-block
 * file written at replication 3 and read back through WebHDFS (the pipeline forwards the WRITE
 * token, reads from other DataNodes carry READ tokens); re-replication after a DataNode stops
 * (the REPLICATE command carries a token); and the raw block endpoint refuses missing, forged,
 * expired, other-block and wrong-mode tokens with 403 `InvalidToken`.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { FileSystem } from '../../src/client/file-system.js'
import { signBlockToken } from '../../src/common/block-token.js'
import { DataNode } from '../../src/datanode/datanode.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../../src/meta/sql/sql-meta-engine.js'
import { NameNodeServer } from '../../src/namenode/namenode-server.js'
import { waitFor } from '../support/hops-process.js'
import { tmpDir, tmpFile } from '../support/tmp.js'

const USER = 'hdfs'
const KB = 1024

describe('block access tokens on a mini cluster', () => {
  let engine: SqlMetaEngine
  let nn: NameNodeServer
  const datanodes: DataNode[] = []
  let fs: FileSystem
  const data = randomBytes(200 * KB + 17)

  before(async () => {
    engine = await openMetaEngine(`sqlite:${tmpFile()}`, {
      initialSettings: { blockAccessTokens: true, datanodeDeadAfterMs: 1000 },
    })
    nn = new NameNodeServer({ engine, port: 0, replicationCheckIntervalMs: 200 })
    const nnUrl = await nn.start()
    for (let i = 0; i < 4; i++) {
      const dn = new DataNode({
        dir: tmpDir('hops-dn-'),
        namenodeUrls: [nnUrl],
        port: 0,
        heartbeatIntervalMs: 200,
      })
      await dn.start()
      datanodes.push(dn)
    }
    fs = new FileSystem({ namenodes: [nnUrl], user: USER })
    await fs.writeFile('/t/f.bin', data, { replication: 3, blockSize: 64 * KB })
  })

  after(async () => {
    fs.close()
    for (const dn of datanodes) await dn.stop()
    await nn.stop()
    await engine.close()
  })

  /** The first block of /t/f.bin and the DataNode URLs holding it. */
  async function firstBlock(): Promise<{ blockId: number; hosts: string[] }> {
    const locs = await engine.getBlockLocations(
      { path: '/t/f.bin', offset: 0, length: 1 },
      { user: USER },
    )
    const b = locs.blocks[0]!
    const byUuid = new Map(datanodes.map((d) => [d.datanodeUuid, d.httpAddress]))
    return { blockId: b.blockId, hosts: b.datanodes.map((u) => byUuid.get(u)!) }
  }

  async function getBlock(host: string, blockId: number, token?: string): Promise<Response> {
    const q = token === undefined ? '' : `?token=${encodeURIComponent(token)}`
    return fetch(`${host}/datanode/v1/blocks/${blockId}${q}`)
  }

  async function refused(res: Response, why: RegExp): Promise<void> {
    assert.equal(res.status, 403)
    const body = (await res.json()) as {
      RemoteException: { javaClassName: string; message: string }
    }
    assert.equal(
      body.RemoteException.javaClassName,
      'org.apache.hadoop.security.token.SecretManager$InvalidToken',
    )
    assert.match(body.RemoteException.message, why)
  }

  it('writes through the pipeline and reads back byte-exact with tokens on', async () => {
    assert.ok((await fs.readFile('/t/f.bin')).equals(data))
    const { hosts } = await firstBlock()
    assert.equal(hosts.length, 3)
  })

  it('the block endpoint refuses missing, forged, expired, other-block and wrong-mode tokens', async () => {
    const { blockId, hosts } = await firstBlock()
    const host = hosts[0]!
    const read = (await engine.blockToken(USER, blockId, 'READ'))!
    const ok = await getBlock(host, blockId, read)
    assert.equal(ok.status, 200)
    assert.ok(Buffer.from(await ok.arrayBuffer()).equals(data.subarray(0, 64 * KB)))

    await refused(await getBlock(host, blockId), /no token/)
    const [payload, sig] = read.split('.') as [string, string]
    const forged = Buffer.from(sig, 'base64url')
    forged[3]! ^= 0x40
    await refused(
      await getBlock(host, blockId, `${payload}.${forged.toString('base64url')}`),
      /bad signature/,
    )
    const key = (await engine.blockKeys())![0]!
    const past = {
      keyId: key.id,
      user: USER,
      blockId,
      mode: 'READ',
      expiresAt: Date.now() - 1,
    } as const
    await refused(await getBlock(host, blockId, signBlockToken(key, past)), /expired/)
    const other = (await engine.blockToken(USER, blockId + 1, 'READ'))!
    await refused(await getBlock(host, blockId, other), /issued for blk_/)
    const write = (await engine.blockToken(USER, blockId, 'WRITE'))!
    await refused(await getBlock(host, blockId, write), /issued for WRITE, not READ/)
    const put = await fetch(
      `${host}/datanode/v1/blocks/${blockId + 1_000_000}?genStamp=1&token=${encodeURIComponent(read)}`,
      { method: 'PUT', body: 'x' },
    )
    await refused(put, /issued for blk_/)
    assert.ok((await fs.readFile('/t/f.bin')).equals(data), 'the refusals changed nothing')
  })

  it('re-replicates with tokens when a DataNode stops', async () => {
    const { blockId, hosts } = await firstBlock()
    const victim = datanodes.find((d) => d.httpAddress === hosts[0])!
    await victim.stop()
    await waitFor(
      'the block to have 3 live replicas again',
      async () => {
        const { hosts: now } = await firstBlock()
        return now.length === 3 && !now.includes(victim.httpAddress)
      },
      20_000,
      100,
    )
    const spare = datanodes.find((d) => d !== victim && !hosts.includes(d.httpAddress))!
    const token = (await engine.blockToken(USER, blockId, 'READ'))!
    const copy = await getBlock(spare.httpAddress, blockId, token)
    assert.equal(copy.status, 200)
    assert.ok(Buffer.from(await copy.arrayBuffer()).equals(data.subarray(0, 64 * KB)))
    assert.ok((await fs.readFile('/t/f.bin')).equals(data))
  })
})
