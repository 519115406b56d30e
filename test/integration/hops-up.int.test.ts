/**
 * `hops up` as a user runs it: a real process with --data-dir and --port, files written through
 * `hops dfs`, Ctrl-C (SIGINT) stops it cleanly, a restart keeps every file; every server
 * answers /metrics and /health. `hops up --secure`: HTTPS with client certificates, the user's
 * bundle written under $HOME/.hops/certs, `hops dfs` using it with no flags, curl without a
 * certificate refused.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { tmpDir } from '../support/tmp.js'
import { freePort } from '../support/net.js'

const run = promisify(execFile)
const HOPS = join(import.meta.dirname, '..', '..', 'bin', 'hops.js')

/** Starts `hops up` and resolves with the process and its output once it printed its URLs. */
async function hopsUp(
  dataDir: string,
  port: number,
  extra: { args?: string[]; env?: Record<string, string> } = {},
): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(
    process.execPath,
    [HOPS, 'up', '--data-dir', dataDir, '--port', String(port), ...(extra.args ?? [])],
    {
      env: { ...process.env, HOPS_LOG_LEVEL: 'warn', ...extra.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const deadline = Date.now() + 30_000
  while (!out.includes('Ctrl-C stops')) {
    if (child.exitCode !== null) throw new Error(`hops up exited ${child.exitCode}: ${out}`)
    if (Date.now() > deadline) throw new Error(`hops up did not start: ${out}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return { child, out }
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once('exit', (code) => resolve(code))
  })
}

describe('hops up', () => {
  const children: ChildProcess[] = []
  after(() => {
    for (const c of children) c.kill('SIGKILL')
  })

  it('serves WebHDFS on --port from --data-dir, stops on Ctrl-C and keeps files across restarts', async () => {
    const dataDir = tmpDir()
    const port = await freePort()
    const nn = `http://127.0.0.1:${port}`
    const local = join(tmpDir(), 'big.bin')
    const data = randomBytes(3 * 1024 * 1024 + 17)
    await writeFile(local, data)

    // 1. Start, write a big and a small file, read them back.
    const first = await hopsUp(dataDir, port)
    children.push(first.child)
    assert.match(first.out, new RegExp(`NameNode \\+ WebHDFS  ${nn}/webhdfs/v1/`))
    const dfs = (...args: string[]) =>
      run(process.execPath, [HOPS, 'dfs', '--namenode', nn, '-u', 'alice', ...args])
    await run(process.execPath, [HOPS, 'dfs', '--namenode', nn, '-mkdir', '-p', '/user/alice'])
    await run(process.execPath, [HOPS, 'dfs', '--namenode', nn, '-chown', 'alice', '/user/alice'])
    await dfs('-put', local, '/user/alice/big.bin')
    await dfs('-touchz', '/user/alice/empty')
    const cat = await run(
      'curl',
      ['-sfL', `${nn}/webhdfs/v1/user/alice/big.bin?op=OPEN&user.name=alice`],
      {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
      },
    )
    assert.ok(Buffer.compare(cat.stdout, data) === 0, 'curl reads the file back byte for byte')

    // 2. Every server exposes /metrics and /health.
    const metrics = await (await fetch(`${nn}/metrics`)).text()
    assert.match(metrics, /hops_namenode_ops_total\{op="webhdfs.GETFILESTATUS",status="200"\} \d+/)
    const dnUrls = [...first.out.matchAll(/http:\/\/127\.0\.0\.1:\d+/g)]
      .map((m) => m[0])
      .filter((u) => u !== nn)
    assert.ok(dnUrls.length >= 3, first.out)
    for (const dn of new Set(dnUrls)) {
      const health = (await (await fetch(`${dn}/health`)).json()) as {
        status: string
        capacityBytes: number
      }
      assert.equal(health.status, 'UP')
      assert.ok(health.capacityBytes > 0)
      assert.match(await (await fetch(`${dn}/metrics`)).text(), /hops_datanode_capacity_bytes \d+/)
    }
    assert.equal((await fetch(`${nn}/health`)).status, 200)

    // 3. Ctrl-C stops it cleanly.
    first.child.kill('SIGINT')
    assert.equal(await stopped(first.child), 0)

    // 4. A restart keeps every file.
    const second = await hopsUp(dataDir, port)
    children.push(second.child)
    const out = join(tmpDir(), 'back.bin')
    await dfs('-get', '/user/alice/big.bin', out)
    assert.ok(Buffer.compare(await readFile(out), data) === 0)
    const ls = await dfs('-ls', '/user/alice')
    assert.match(ls.stdout, /Found 2 items/)
    second.child.kill('SIGINT')
    assert.equal(await stopped(second.child), 0)
  })

  it('--secure: HTTPS with client certificates; hops dfs finds the written bundle', async () => {
    const dataDir = tmpDir()
    const home = tmpDir('hops-home-')
    const port = await freePort()
    const nn = `https://127.0.0.1:${port}`
    const env = { HOME: home, HOPS_SECRET_KEY: '' }
    const up = await hopsUp(dataDir, port, { args: ['--secure'], env })
    children.push(up.child)
    const me = userInfo().username
    const certDir = join(home, '.hops', 'certs', `default__${me}`)
    assert.match(up.out, /secure mode: HTTPS, client certificates required, you are default__/)
    assert.ok(up.out.includes(certDir), up.out)
    assert.ok(up.out.includes(join(dataDir, 'secret.key')), up.out)
    const secret = (await readFile(join(dataDir, 'secret.key'), 'utf8')).trim()
    assert.ok(!up.out.includes(secret), 'the installation key is never printed')
    assert.equal((await stat(join(dataDir, 'secret.key'))).mode & 0o777, 0o600)
    assert.equal((await stat(join(certDir, 'key.pem'))).mode & 0o777, 0o600)

    // hops dfs with no flags: the default NameNode becomes https, the identity the certificate.
    const dfsEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, HADOOP_USER_NAME: me }
    delete dfsEnv.HOPS_CERT_DIR
    delete dfsEnv.HOPS_NAMENODE
    const dfs = (...args: string[]) =>
      run(process.execPath, [HOPS, 'dfs', '--namenode', nn, ...args], { env: dfsEnv })
    const local = join(tmpDir(), 'a.bin')
    const data = randomBytes(300 * 1024)
    await writeFile(local, data)
    await dfs('-mkdir', '-p', `/user/default__${me}`)
    await dfs('-put', local, `/user/default__${me}/a.bin`)
    const cat = await run(process.execPath, [HOPS, 'dfs', '-cat', `/user/default__${me}/a.bin`], {
      env: { ...dfsEnv, HOPS_NAMENODE: nn },
      encoding: 'buffer',
      maxBuffer: 1 << 24,
    })
    assert.ok(Buffer.compare(cat.stdout, data) === 0)
    const ls = await dfs('-ls', `/user/default__${me}`)
    assert.match(ls.stdout, new RegExp(`default__${me} +supergroup +307200 `))

    // curl with the bundle works; without a client certificate it is refused.
    const url = `${nn}/webhdfs/v1/user/default__${me}/a.bin?op=GETFILESTATUS`
    const tls = ['--cacert', join(certDir, 'ca.pem')]
    const ok = await run('curl', [
      '-sf',
      ...tls,
      '--cert',
      join(certDir, 'cert.pem'),
      '--key',
      join(certDir, 'key.pem'),
      url,
    ])
    assert.match(ok.stdout, /"length":307200/)
    await assert.rejects(run('curl', ['-sf', ...tls, url]))
    await assert.rejects(run('curl', ['-sf', `http://127.0.0.1:${port}/health`]))

    up.child.kill('SIGINT')
    assert.equal(await stopped(up.child), 0)
    // A restart reuses the CA, the secret and the certificates.
    const again = await hopsUp(dataDir, port, { args: ['--secure'], env })
    children.push(again.child)
    const ls2 = await dfs('-ls', `/user/default__${me}`)
    assert.match(ls2.stdout, /Found 1 items/)
    again.child.kill('SIGINT')
    assert.equal(await stopped(again.child), 0)
  })

  it('refuses a bad --port with a one-line error', async () => {
    await assert.rejects(
      run(process.execPath, [HOPS, 'up', '--port', 'abc', '--data-dir', tmpDir()]),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 1)
        assert.equal(err.stderr, "hops up: --port must be an integer 0..65535, got 'abc'\n")
        return true
      },
    )
  })
})
