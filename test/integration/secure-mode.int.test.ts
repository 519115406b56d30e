/**
 * Secure mode (issue 6) on an in-process mini cluster: a NameNode and three DataNodes over SQLite
 * speaking HTTPS on 127.0.0.1, client certificates required, identities from certificates.
 * - the SDK with the user bundle `hops up --secure` would write writes a multi-block file at
 *   replication 2 (DataNode → DataNode pipeline over TLS with the service certificate) and reads
 *   it back (reads from other DataNodes too);
 * - no client certificate: refused in the handshake (NameNode and DataNode);
 * - alice's certificate with `user.name=bob` or `doas=bob`: 403 AccessControlException;
 * - a service certificate on WebHDFS, a user certificate on `/internal/v1/*` and on the block
 *   endpoint: 403 with the verifier's reason;
 * - a revoked user certificate: its next connection is refused.
 * And `hops namenode --secure` with two `hops datanode --secure` processes (certificates from
 * `CertificateAuthority`, as `hops ca` writes them): a replicated write and read over TLS.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import https from 'node:https'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { FileSystem } from '../../src/client/file-system.js'
import { startLocalCluster } from '../../src/cluster/local-cluster.js'
import type { LocalCluster } from '../../src/cluster/local-cluster.js'
import { CertificateAuthority } from '../../src/security/certificate-authority.js'
import { readBundleDir } from '../../src/security/tls-bundle.js'
import type { PemBundle } from '../../src/security/tls-bundle.js'
import { tmpDir } from '../support/tmp.js'
import { HopsProcess, waitFor } from '../support/hops-process.js'
import { freePort } from '../support/net.js'
import { writeBundleDir } from '../../src/security/tls-bundle.js'

const SECRET = 'secure-mode-test-secret-0123456789'
const KB = 1024

interface Reply {
  readonly status: number
  readonly body: string
  readonly data: Buffer
}

/** One request on a fresh connection (no keep-alive) with `cert` (or none). */
function request(
  url: string,
  options: { cert?: PemBundle | undefined; ca: string; method?: string; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        ca: options.ca,
        ...(options.cert === undefined
          ? {}
          : { key: options.cert.keyPem, cert: options.cert.certPem }),
        headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => {
          const data = Buffer.concat(parts)
          resolve({ status: res.statusCode ?? 0, body: data.toString('utf8'), data })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

function bundleOf(b: {
  keyPem: string
  certPem: string
  chainPem: string
  caPem: string
}): PemBundle {
  return { keyPem: b.keyPem, certPem: b.certPem, chainPem: b.chainPem, caPem: b.caPem }
}

describe('secure mode on a mini cluster', () => {
  let cluster: LocalCluster
  let ca: CertificateAuthority
  let user: PemBundle
  let service: PemBundle
  let alice: PemBundle
  let nn: string
  let fs: FileSystem
  const dataDir = tmpDir('hops-secure-')
  const home = tmpDir('hops-home-')
  const data = randomBytes(300 * KB + 5)

  before(async () => {
    cluster = await startLocalCluster({
      dataDir,
      port: 0,
      datanodes: 3,
      heartbeatIntervalMs: 200,
      engine: { initialSettings: { superuser: 'default__tester' } },
      secure: { user: 'tester', secretKey: SECRET, home },
    })
    nn = cluster.namenodeUrl
    user = readBundleDir(cluster.secure!.userCertDir)
    service = readBundleDir(join(dataDir, 'certs', 'service'))
    ca = await CertificateAuthority.open(`sqlite:${join(dataDir, 'meta.db')}`, {
      secretKey: SECRET,
      poolSize: 1,
    })
    alice = bundleOf(await ca.issueUser('demo', 'alice'))
    fs = new FileSystem({ namenodes: [nn], tls: cluster.secure!.userCertDir })
  })

  after(async () => {
    fs?.close()
    await ca?.close()
    await cluster?.stop()
  })

  it('serves HTTPS only, with the user bundle written under ~/.hops/certs', () => {
    assert.match(nn, /^https:\/\/127\.0\.0\.1:\d+$/)
    for (const dn of cluster.datanodes) assert.match(dn.httpAddress, /^https:/)
    assert.equal(cluster.secure!.userCn, 'default__tester')
    assert.equal(cluster.secure!.userCertDir, join(home, '.hops', 'certs', 'default__tester'))
    assert.equal(cluster.engine.settings.blockAccessTokens, true)
  })

  it('writes a multi-block file at replication 2 and reads it back with a user certificate', async () => {
    await fs.writeFile('/t/f.bin', data, { replication: 2, blockSize: 64 * KB })
    assert.deepEqual(await fs.readFile('/t/f.bin'), data)
    const status = await fs.getFileStatus('/t/f.bin')
    assert.equal(status.owner, 'default__tester')
    assert.equal(status.length, data.length)
    const locs = await cluster.engine.getBlockLocations(
      { path: '/t/f.bin', offset: 0, length: data.length },
      { user: 'default__tester' },
    )
    assert.equal(locs.blocks.length, 5)
    for (const b of locs.blocks) assert.equal(b.datanodes.length, 2)
    // Read through each DataNode (some hold no replica of a block: DataNode → DataNode reads).
    for (const dn of cluster.datanodes) {
      const url = `${dn.httpAddress}/webhdfs/v1/t/f.bin?op=OPEN&user.name=default__tester&namenoderpcaddress=${encodeURIComponent(nn)}`
      const r = await request(url, { cert: user, ca: user.caPem })
      assert.equal(r.status, 200, r.body)
      assert.ok(r.data.equals(data))
    }
  })

  it('refuses a connection without a client certificate (NameNode and DataNode)', async () => {
    await assert.rejects(
      request(`${nn}/webhdfs/v1/?op=LISTSTATUS`, { ca: user.caPem }),
      (err: Error & { code?: string }) => {
        assert.ok(err.code !== undefined, String(err))
        return true
      },
    )
    await assert.rejects(request(`${cluster.datanodes[0]!.httpAddress}/health`, { ca: user.caPem }))
  })

  it('refuses a user.name or doas that disagrees with the certificate (403)', async () => {
    const own = await request(`${nn}/webhdfs/v1/t?op=LISTSTATUS&user.name=demo__alice`, {
      cert: alice,
      ca: user.caPem,
    })
    assert.equal(own.status, 200, own.body)
    const other = await request(`${nn}/webhdfs/v1/t?op=LISTSTATUS&user.name=bob`, {
      cert: alice,
      ca: user.caPem,
    })
    assert.equal(other.status, 403)
    assert.match(other.body, /AccessControlException/)
    assert.match(other.body, /user.name=bob does not match the client certificate/)
    const doas = await request(`${nn}/webhdfs/v1/t?op=LISTSTATUS&doas=default__tester`, {
      cert: alice,
      ca: user.caPem,
    })
    assert.equal(doas.status, 403)
    assert.match(doas.body, /may not impersonate/)
    // The DataNode too: alice following a redirect made out to another user.
    const dn = cluster.datanodes[0]!.httpAddress
    const r = await request(
      `${dn}/webhdfs/v1/t/f.bin?op=OPEN&user.name=default__tester&namenoderpcaddress=${encodeURIComponent(nn)}`,
      { cert: alice, ca: user.caPem },
    )
    assert.equal(r.status, 403)
    assert.match(r.body, /does not match the client certificate/)
  })

  it('refuses a service certificate on WebHDFS and a user certificate on internal routes', async () => {
    const svc = await request(`${nn}/webhdfs/v1/?op=LISTSTATUS`, {
      cert: service,
      ca: user.caPem,
    })
    assert.equal(svc.status, 403)
    assert.match(svc.body, /is a service certificate; a user certificate is required/)
    const internal = await request(`${nn}/internal/v1/datanode/blockKeys`, {
      method: 'POST',
      body: JSON.stringify({ datanodeUuid: cluster.datanodes[0]!.datanodeUuid }),
      cert: alice,
      ca: user.caPem,
    })
    assert.equal(internal.status, 403)
    assert.match(internal.body, /is a user certificate; a service certificate is required/)
    const block = await request(`${cluster.datanodes[0]!.httpAddress}/datanode/v1/blocks/1`, {
      cert: alice,
      ca: user.caPem,
    })
    assert.equal(block.status, 403)
    assert.match(block.body, /a service certificate is required/)
    // Any valid certificate may read /health.
    const health = await request(`${nn}/health`, { cert: service, ca: user.caPem })
    assert.equal(health.status, 200)
  })

  it('refuses a revoked user certificate on its next connection', async () => {
    const before = await request(`${nn}/webhdfs/v1/?op=GETFILESTATUS`, {
      cert: alice,
      ca: user.caPem,
    })
    assert.equal(before.status, 200)
    await ca.revoke({ subject: 'demo__alice' }, 'keyCompromise')
    let refused: string | undefined
    try {
      const r = await request(`${nn}/webhdfs/v1/?op=GETFILESTATUS`, {
        cert: alice,
        ca: user.caPem,
      })
      assert.equal(r.status, 403)
      assert.match(r.body, /has been revoked/)
      refused = 'http 403'
    } catch (err) {
      refused = (err as Error).message // the handshake, once the new CRL is in the context
    }
    assert.ok(refused !== undefined)
    // The cluster's own user keeps working.
    assert.equal((await fs.getFileStatus('/t')).type, 'DIRECTORY')
  })
})

describe('hops namenode --secure and hops datanode --secure processes', () => {
  const procs: HopsProcess[] = []
  after(async () => {
    for (const p of procs) await p.kill9()
  })

  it('write at replication 2 and read back over TLS; no certificate refused', async () => {
    const dir = tmpDir('hops-secure-procs-')
    const meta = `sqlite:${join(dir, 'meta.db')}`
    const ca = await CertificateAuthority.open(meta, { secretKey: SECRET, poolSize: 1 })
    try {
      writeBundleDir(join(dir, 'svc'), await ca.issueService('127.0.0.1'))
      writeBundleDir(join(dir, 'alice'), await ca.issueUser('demo', 'alice'))
    } finally {
      await ca.close()
    }
    const nnPort = await freePort()
    const nn = `https://127.0.0.1:${nnPort}`
    const secure = ['--secure', '--tls-dir', join(dir, 'svc'), '--log-level', 'warn']
    const namenode = new HopsProcess('namenode', nn, [
      'namenode',
      '--meta',
      meta,
      '--port',
      String(nnPort),
      '--superuser',
      'demo__alice',
      ...secure,
    ])
    procs.push(namenode.start())
    const dnUrls: string[] = []
    for (let i = 1; i <= 2; i++) {
      const port = await freePort()
      dnUrls.push(`https://127.0.0.1:${port}`)
      const args = ['datanode', '--namenodes', nn, '--dir', join(dir, `dn${i}`)]
      args.push('--port', String(port), '--heartbeat-interval-ms', '200', '--meta', meta)
      procs.push(new HopsProcess(`datanode-${i}`, dnUrls[i - 1]!, [...args, ...secure]).start())
    }
    const fs = new FileSystem({ namenodes: [nn], tls: join(dir, 'alice') })
    try {
      const data = randomBytes(200 * KB)
      await waitFor(
        'the secure cluster to take a replicated write',
        async () => {
          try {
            await fs.writeFile('/t/p.bin', data, {
              replication: 2,
              blockSize: 64 * KB,
              overwrite: true,
            })
            return true
          } catch {
            return false
          }
        },
        30_000,
      )
      assert.deepEqual(await fs.readFile('/t/p.bin'), data)
      const ls = await fs.getFileStatus('/t/p.bin')
      assert.equal(ls.owner, 'demo__alice')
      assert.equal(ls.replication, 2)
      const alice = readBundleDir(join(dir, 'alice'))
      for (const url of [nn, ...dnUrls]) {
        await assert.rejects(request(`${url}/health`, { ca: alice.caPem }))
        assert.equal((await request(`${url}/health`, { cert: alice, ca: alice.caPem })).status, 200)
      }
    } finally {
      fs.close()
    }
  })
})
