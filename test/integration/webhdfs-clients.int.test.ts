/**
 * WebHDFS conformance through real third-party clients against a real local cluster (SQLite
 * metadata, a NameNode and three DataNodes on 127.0.0.1 port 0): Debian's fsspec
 * (`/usr/bin/python3`, `apt-get install python3-fsspec`), the npm `webhdfs` package, `curl`, and
 * a data matrix (sizes around the small-file limit and block boundaries, append, overwrite, two
 * writers, restart) through the SDK and curl. The clients' wire habits are described in
 * `../shared/reference/webhdfs.md`; this file checks that Hops serves them. Each suite has its
 * own cluster and a time limit (about 10x its usual time; the whole file takes about 10 s).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createConnection, createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { after, before, describe, it } from 'node:test'
import { FileSystem } from '../../src/client/file-system.js'
import { remoteExceptionOf } from '../../src/client/remote-exception.js'
import { startLocalCluster } from '../../src/cluster/local-cluster.js'
import type { LocalCluster } from '../../src/cluster/local-cluster.js'
import { FsError } from '../../src/common/fs-error.js'
import { tmpDir } from '../support/tmp.js'

const SUPER = 'hdfs' // the engine's default superuser
const OTHER = 'alice'
const KIB = 1024
const MIB = 1024 * 1024
const SMALL_LIMIT = 64 * KIB // the engine's default smallFileMaxBytes
const PYTHON = '/usr/bin/python3'
const CURL = '/usr/bin/curl'
const FSSPEC_SCRIPT = join(import.meta.dirname, 'clients', 'fsspec_webhdfs.py')

/** byte(i) = (i * 31 + 7) % 251: the pattern `fsspec_webhdfs.py` writes too. */
function pattern(n: number, start = 0): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = ((start + i) * 31 + 7) % 251
  return b
}

interface Exec {
  readonly code: number
  readonly stdout: Buffer
  readonly stderr: string
}

function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<Exec> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'buffer', maxBuffer: 64 * MIB, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
        if (err !== null && typeof err.code !== 'number')
          return reject(new Error(err.message, { cause: err }))
        resolve({ code, stdout, stderr: stderr.toString() })
      },
    )
  })
}

/** Runs curl; `-w` appends the final status on a line of its own to stdout. */
async function curl(
  args: readonly string[],
): Promise<{ status: number; body: Buffer; err: string }> {
  const r = await run(CURL, ['-sS', '-w', '\n%{http_code}', ...args])
  assert.equal(r.code, 0, `curl ${args.join(' ')} failed: ${r.stderr}`)
  const cut = r.stdout.lastIndexOf(0x0a)
  return {
    status: Number(r.stdout.subarray(cut + 1).toString()),
    body: r.stdout.subarray(0, cut),
    err: r.stderr,
  }
}

function json(body: Buffer): Record<string, unknown> {
  return JSON.parse(body.toString()) as Record<string, unknown>
}

function remoteException(body: Buffer): {
  exception: string
  javaClassName: string
  message: string
} {
  const re = json(body).RemoteException as
    { exception: string; javaClassName: string; message: string } | undefined
  assert.ok(re !== undefined, `not a RemoteException: ${body.toString()}`)
  return re
}

async function waitFor(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

async function startCluster(dataDir = tmpDir('hops-clients-')): Promise<LocalCluster> {
  return startLocalCluster({
    dataDir,
    port: 0,
    datanodes: 3,
    // 1 MiB blocks by default (fsspec and npm webhdfs cannot pass `blocksize`).
    engine: { settings: { defaultBlockSize: MIB } },
    namenode: { replicationCheckIntervalMs: 0, housekeepingIntervalMs: 0 },
  })
}

/** The engine's view of a file (has `inline`, which FileStatus does not show). */
function inodeOf(cluster: LocalCluster, path: string) {
  return cluster.engine.getFileInfo(path, { user: SUPER })
}

/** Checks the FsError code and, given, the server's exception (simple class name). */
function isFsError(code: string, exception?: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof FsError, `not an FsError: ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (exception !== undefined) assert.equal(remoteExceptionOf(e)?.exception, exception)
    return true
  }
}

async function endStream(out: Writable, data?: Buffer): Promise<void> {
  if (data !== undefined) out.end(data)
  else out.end()
  await finished(out)
}

// ------------------------------------------------------------------------------------------ fsspec

describe('fsspec (python3-fsspec) against a local cluster', { timeout: 30_000 }, () => {
  let cluster: LocalCluster
  let fs: FileSystem

  before(async () => {
    cluster = await startCluster()
    fs = new FileSystem({ namenodes: [cluster.namenodeUrl], user: SUPER })
    await fs.mkdirs('/private', { permission: 0o700 })
    await fs.writeFile('/private/secret', 'top secret')
    await fs.mkdirs('/py', { permission: 0o755 })
  })

  after(async () => {
    fs.close()
    await cluster.stop()
  })

  it('runs ls, info, mkdir, chunked writes and appends, whole and ranged reads, mv, rm and errors', async () => {
    const probe = await run(PYTHON, ['-c', 'import fsspec.implementations.webhdfs, requests'])
    assert.equal(
      probe.code,
      0,
      `fsspec is not importable by ${PYTHON} (${probe.stderr.trim()}). ` +
        'Install it with: sudo apt-get install -y python3-fsspec python3-requests',
    )
    const { hostname, port } = new URL(cluster.namenodeUrl)
    const r = await run(PYTHON, [
      FSSPEC_SCRIPT,
      hostname,
      port,
      SUPER,
      OTHER,
      '/py',
      '/private/secret',
    ])
    assert.equal(r.code, 0, `fsspec script failed:\n${r.stderr}`)
    const out = JSON.parse(r.stdout.toString()) as Record<string, unknown>

    assert.equal(out.home, `/user/${SUPER}`)
    assert.equal(out.mkdir_isdir, true)
    assert.deepEqual(out.odd, {
      ls: ['/py/dir', '/py/odd name+ü.txt'],
      data: 'ünïcödé',
      size: Buffer.byteLength('ünïcödé'),
    })
    assert.deepEqual(out.ls, [
      '/py/dir/big.bin',
      '/py/dir/empty.bin',
      '/py/dir/one.bin',
      '/py/dir/small.bin',
      '/py/dir/sub',
    ])
    const bigSize = 2_621_440 + 123
    assert.deepEqual(out.ls_detail, [
      { name: '/py/dir/big.bin', type: 'file', size: bigSize },
      { name: '/py/dir/empty.bin', type: 'file', size: 0 },
      { name: '/py/dir/one.bin', type: 'file', size: 100_001 },
      { name: '/py/dir/small.bin', type: 'file', size: 700 },
      { name: '/py/dir/sub', type: 'directory', size: 0 },
    ])
    assert.deepEqual(out.info, { type: 'file', size: bigSize, owner: SUPER })
    assert.deepEqual(out.reads, {
      'empty.bin': { len: 0, ok: true },
      'one.bin': { len: 100_001, ok: true },
      'small.bin': { len: 700, ok: true },
      'big.bin': { len: bigSize, ok: true },
    })
    assert.equal(out.seek_read, true)
    assert.deepEqual(out.cat_range, { len: MIB + 6, ok: true })
    assert.equal(out.cat_tail, true)
    assert.deepEqual(out.mv, { old_exists: false, new_exists: true, new_sha_ok: true })

    const errors = out.errors as Record<string, { type: string; message: string } | boolean>
    assert.deepEqual(errors.info_missing, {
      type: 'FileNotFoundError',
      message: 'File does not exist: /py/no/such/file',
    })
    assert.equal((errors.cat_missing as { type: string }).type, 'FileNotFoundError')
    assert.equal((errors.ls_missing as { type: string }).type, 'FileNotFoundError')
    assert.equal(errors.exists_missing, false)
    // IllegalArgumentException → ValueError in fsspec.
    assert.equal((errors.chmod_bad as { type: string }).type, 'ValueError')
    for (const k of ['other_info', 'other_cat', 'other_rm']) {
      const e = errors[k] as { type: string; message: string }
      assert.equal(e.type, 'PermissionError', `${k}: ${JSON.stringify(e)}`)
      assert.match(e.message, /Permission denied: user=alice/)
    }
    assert.deepEqual(out.rm, { dir_exists: false, base_ls: ['/py/moved.bin'] })

    // The moved file was written as CREATE (empty) + APPEND chunks and spans three 1 MiB blocks.
    assert.deepEqual(await fs.readFile('/py/moved.bin'), pattern(bigSize))
    const info = await inodeOf(cluster, '/py/moved.bin')
    assert.equal(info.inline, false)
    assert.equal(info.underConstruction, false)
    const locs = await fetchJson(
      `${cluster.namenodeUrl}/webhdfs/v1/py/moved.bin?op=GETFILEBLOCKLOCATIONS&user.name=${SUPER}`,
    )
    const blocks = (locs.BlockLocations as { BlockLocation: { offset: number; length: number }[] })
      .BlockLocation
    assert.deepEqual(
      blocks.map((b) => [b.offset, b.length]),
      [
        [0, MIB],
        [MIB, MIB],
        [2 * MIB, bigSize - 2 * MIB],
      ],
    )
    assert.equal(await fs.exists('/private/secret'), true, 'the intruder did not delete it')

    // fsspec's ukey (GETFILECHECKSUM, Location followed by hand) equals the SDK's checksum.
    const ukey = out.ukey as Record<
      'small' | 'big',
      { algorithm: string; bytes: string; length: number }
    >
    assert.match(ukey.small.algorithm, /^MD5-of-\d+MD5-of-512CRC32C$/)
    assert.equal(ukey.small.length, 28)
    const sum = await fs.getFileChecksum('/py/moved.bin')
    assert.deepEqual(ukey.big, { algorithm: sum.algorithm, bytes: sum.bytes, length: sum.length })
  })
})

async function fetchJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url)
  assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`)
  return (await res.json()) as Record<string, unknown>
}

/** A TCP proxy in front of the NameNode that counts the bytes clients send through it. */
async function countingProxy(
  target: URL,
): Promise<{ url: string; sent(): number; close(): Promise<void> }> {
  let sent = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', (c: Buffer) => (sent += c.length))
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      }),
  }
}

// ------------------------------------------------------------------------------------ npm webhdfs

type Cb<T = void> = (err: Error | null | undefined, value?: T) => void
/** The part of the npm `webhdfs` 1.x API used here (the package ships no types). */
interface NpmWebHdfs {
  mkdir(path: string, mode: string | null, cb: Cb): unknown
  readdir(path: string, cb: Cb<{ pathSuffix: string; type: string; length: number }[]>): unknown
  stat(path: string, cb: Cb<{ type: string; length: number; permission: string }>): unknown
  writeFile(path: string, data: Buffer | string, append: boolean, opts: object, cb: Cb): unknown
  appendFile(path: string, data: Buffer | string, opts: object, cb: Cb): unknown
  readFile(path: string, cb: Cb<Buffer>): unknown
  createWriteStream(path: string, append?: boolean, opts?: object): NodeJS.WritableStream
  createReadStream(path: string, opts?: object): NodeJS.ReadableStream
  rename(path: string, destination: string, cb: Cb): unknown
  unlink(path: string, recursive: boolean, cb: Cb): unknown
}
const npmWebHdfs = createRequire(import.meta.url)('webhdfs') as {
  createClient(opts: { host: string; port: string; user: string; path: string }): NpmWebHdfs
}

function call<T = void>(fn: (cb: Cb<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value as T)))
  })
}

/** Pipes `source` into an npm webhdfs write stream; resolves on 'finish', rejects on 'error'. */
function npmUpload(stream: NodeJS.WritableStream, source: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined
    stream.once('error', (e: Error) => (error = e))
    stream.once('finish', () => (error ? reject(error) : resolve()))
    source.pipe(stream)
  })
}

function npmDownload(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let error: Error | undefined
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.once('error', (e: Error) => (error = e))
    stream.once('finish', () => (error ? reject(error) : resolve(Buffer.concat(chunks))))
  })
}

function pieces(data: Buffer, size: number): Readable {
  const parts: Buffer[] = []
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size))
  return Readable.from(parts)
}

describe('npm webhdfs client against a local cluster', { timeout: 20_000 }, () => {
  let cluster: LocalCluster
  let fs: FileSystem
  let hdfs: NpmWebHdfs
  let alice: NpmWebHdfs

  before(async () => {
    cluster = await startCluster()
    fs = new FileSystem({ namenodes: [cluster.namenodeUrl], user: SUPER })
    const { hostname: host, port } = new URL(cluster.namenodeUrl)
    hdfs = npmWebHdfs.createClient({ host, port, user: SUPER, path: '/webhdfs/v1' })
    alice = npmWebHdfs.createClient({ host, port, user: OTHER, path: '/webhdfs/v1' })
    await fs.mkdirs('/private', { permission: 0o700 })
  })

  after(async () => {
    fs.close()
    await cluster.stop()
  })

  it('mkdir (permission=0755 by default), stat and readdir with lowercase ops', async () => {
    await call((cb) => hdfs.mkdir('/npm/a/b', null, cb))
    await call((cb) => hdfs.mkdir('/npm/locked', '0700', cb))
    const st = await call<{ type: string; permission: string }>((cb) => hdfs.stat('/npm/a/b', cb))
    assert.equal(st.type, 'DIRECTORY')
    assert.equal(st.permission, '755')
    assert.equal((await fs.getFileStatus('/npm/locked')).permission, 0o700)
    const names = (await call<{ pathSuffix: string }[]>((cb) => hdfs.readdir('/npm', cb))).map(
      (f) => f.pathSuffix,
    )
    assert.deepEqual(names, ['a', 'locked'])
  })

  it('writeFile/readFile a small (inline) file and stream a multi-block file up and down', async () => {
    await call((cb) => hdfs.writeFile('/npm/small.txt', 'hello from npm', false, {}, cb))
    const small = await call<Buffer>((cb) => hdfs.readFile('/npm/small.txt', cb))
    assert.equal(small.toString(), 'hello from npm')
    assert.equal((await inodeOf(cluster, '/npm/small.txt')).inline, true)
    // The stat npm's CREATE set: permission=0755 on the file.
    assert.equal((await fs.getFileStatus('/npm/small.txt')).permission, 0o755)

    // createWriteStream uploads to the DataNode with Transfer-Encoding: chunked.
    const big = pattern(2 * MIB + 4321)
    await npmUpload(hdfs.createWriteStream('/npm/big.bin'), pieces(big, 64 * KIB))
    assert.equal((await inodeOf(cluster, '/npm/big.bin')).inline, false)
    assert.deepEqual(await call<Buffer>((cb) => hdfs.readFile('/npm/big.bin', cb)), big)
    assert.deepEqual(await npmDownload(hdfs.createReadStream('/npm/big.bin')), big)
    const part = await npmDownload(
      hdfs.createReadStream('/npm/big.bin', { offset: MIB - 100, length: 200 }),
    )
    assert.deepEqual(part, big.subarray(MIB - 100, MIB + 100))
    // An existing file is replaced (npm sends overwrite=true).
    await call((cb) => hdfs.writeFile('/npm/big.bin', 'short now', false, {}, cb))
    assert.equal((await fs.readFile('/npm/big.bin')).toString(), 'short now')
  })

  it('appendFile (op=append&overwrite=true&permission=0755) grows a file past the small-file limit', async () => {
    const all = pattern(SMALL_LIMIT + 1_500_000)
    const first = 60 * KIB
    const second = SMALL_LIMIT + 10 * KIB
    await call((cb) => hdfs.writeFile('/npm/grow.bin', all.subarray(0, first), false, {}, cb))
    assert.equal((await inodeOf(cluster, '/npm/grow.bin')).inline, true)
    await call((cb) => hdfs.appendFile('/npm/grow.bin', all.subarray(first, second), {}, cb))
    assert.equal((await inodeOf(cluster, '/npm/grow.bin')).inline, false)
    assert.deepEqual(await fs.readFile('/npm/grow.bin'), all.subarray(0, second))
    // Chunked append through a stream, across the 1 MiB block boundary.
    await npmUpload(
      hdfs.createWriteStream('/npm/grow.bin', true),
      pieces(all.subarray(second), 100_000),
    )
    assert.deepEqual(await call<Buffer>((cb) => hdfs.readFile('/npm/grow.bin', cb)), all)
  })

  it('rename and unlink (recursive and not)', async () => {
    await call((cb) => hdfs.writeFile('/npm/r/x.txt', 'x', false, {}, cb))
    // A space is escaped by the client (non-ASCII names are not: it sends raw bytes, which
    // Node's HTTP parser refuses with a bare 400, as a strict server may).
    await call((cb) => hdfs.rename('/npm/r/x.txt', '/npm/r/y z.txt', cb))
    const names = (await call<{ pathSuffix: string }[]>((cb) => hdfs.readdir('/npm/r', cb))).map(
      (f) => f.pathSuffix,
    )
    assert.deepEqual(names, ['y z.txt'])
    assert.equal((await call<Buffer>((cb) => hdfs.readFile('/npm/r/y z.txt', cb))).toString(), 'x')
    await call((cb) => hdfs.unlink('/npm/r/y z.txt', false, cb))
    await call((cb) => hdfs.writeFile('/npm/r/z.txt', 'z', false, {}, cb))
    await assert.rejects(
      call((cb) => hdfs.unlink('/npm/r', false, cb)),
      /is non empty|not empty/i,
    )
    await call((cb) => hdfs.unlink('/npm/r', true, cb))
    assert.equal(await fs.exists('/npm/r'), false)
  })

  it('turns RemoteException bodies into Error objects', async () => {
    await assert.rejects(
      call((cb) => hdfs.stat('/npm/missing', cb)),
      {
        message: 'File does not exist: /npm/missing',
      },
    )
    await assert.rejects(
      call((cb) => hdfs.readdir('/npm/missing', cb)),
      /does not exist/,
    )
    await assert.rejects(
      call((cb) => hdfs.readFile('/npm/missing', cb)),
      {
        message: 'File does not exist: /npm/missing',
      },
    )
    await assert.rejects(
      call((cb) => hdfs.appendFile('/npm/missing', 'x', {}, cb)),
      /does not exist/,
    )
    // CREATE refused by the NameNode before any upload (overwrite=false on an existing file).
    await call((cb) => hdfs.writeFile('/npm/exists.txt', 'v1', false, {}, cb))
    await assert.rejects(
      npmUpload(
        hdfs.createWriteStream('/npm/exists.txt', false, { overwrite: false }),
        Readable.from([Buffer.from('v2')]),
      ),
      /already exists/,
    )
    assert.equal((await fs.readFile('/npm/exists.txt')).toString(), 'v1')
    await assert.rejects(
      call((cb) => alice.mkdir('/private/x', null, cb)),
      /Permission denied: user=alice/,
    )
    await assert.rejects(
      call((cb) => alice.writeFile('/private/x.txt', 'x', false, {}, cb)),
      /Permission denied: user=alice/,
    )
    assert.equal(await fs.exists('/private/x.txt'), false)
  })
})

// ------------------------------------------------------------------------------------------- curl

describe('curl against a local cluster', { timeout: 20_000 }, () => {
  let cluster: LocalCluster
  let fs: FileSystem
  let nn: string
  let dnPorts: Set<string>
  const localDir = tmpDir('hops-curl-')
  const up = pattern(2 * MIB + 333)
  const upFile = join(localDir, 'up.bin')

  before(async () => {
    cluster = await startCluster()
    nn = `${cluster.namenodeUrl}/webhdfs/v1`
    dnPorts = new Set(cluster.datanodes.map((d) => new URL(d.httpAddress).port))
    fs = new FileSystem({ namenodes: [cluster.namenodeUrl], user: SUPER })
    await fs.mkdirs('/private', { permission: 0o700 })
    await fs.writeFile('/private/secret', 'top secret')
    writeFileSync(upFile, up)
  })

  after(async () => {
    fs.close()
    await cluster.stop()
  })

  it('CREATE without a body: 307 to a DataNode URL with a literal op=CREATE, namespace untouched', async () => {
    const r = await curl(['-i', '-X', 'PUT', `${nn}/curl/later.txt?op=CREATE&user.name=${SUPER}`])
    assert.equal(r.status, 307)
    const head = r.body.toString()
    const location = /^location: (.*)\r$/im.exec(head)?.[1]
    assert.ok(location !== undefined, head)
    const loc = new URL(location)
    assert.ok(dnPorts.has(loc.port), `${location} is not a DataNode`)
    assert.equal(loc.pathname, '/webhdfs/v1/curl/later.txt')
    assert.match(loc.search, /^\?op=CREATE&/)
    assert.match(head, /^content-length: 0\r$/im)
    assert.equal(await fs.exists('/curl/later.txt'), false)
  })

  it('curl -L -T with Expect: 100-continue gets the 307 at once; the body goes only to the DataNode', async () => {
    const proxy = await countingProxy(new URL(cluster.namenodeUrl))
    try {
      const r = await curl([
        '-v',
        '-L',
        '-T',
        upFile,
        '-H',
        'Expect: 100-continue',
        `${proxy.url}/webhdfs/v1/curl/up.bin?op=CREATE&user.name=${SUPER}&blocksize=${MIB}`,
      ])
      assert.equal(r.status, 201, r.err)
      const redirect = r.err.indexOf('< HTTP/1.1 307')
      const cont = r.err.indexOf('< HTTP/1.1 100 Continue')
      assert.ok(redirect >= 0 && cont > redirect, `307 before 100 Continue:\n${r.err}`)
      assert.equal(r.err.split('< HTTP/1.1 100 Continue').length, 2, 'one 100 Continue (DataNode)')
      assert.ok(proxy.sent() < 4096, `the NameNode was sent ${proxy.sent()} bytes`)
    } finally {
      await proxy.close()
    }
    assert.deepEqual(await fs.readFile('/curl/up.bin'), up)
    assert.equal((await fs.getFileStatus('/curl/up.bin')).blockSize, MIB)
  })

  it('OPEN with -L, whole and with offset/length across block boundaries', async () => {
    const base = `${nn}/curl/up.bin?op=OPEN&user.name=${SUPER}`
    const whole = await curl(['-L', base])
    assert.equal(whole.status, 200)
    assert.deepEqual(whole.body, up)
    for (const [offset, length] of [
      [MIB - 5, 10],
      [0, 1],
      [2 * MIB, 333],
      [MIB, MIB],
      [2 * MIB + 300, 1000], // past EOF: the rest
    ] as const) {
      const r = await curl(['-L', `${base}&offset=${offset}&length=${length}`])
      assert.equal(r.status, 200)
      assert.deepEqual(r.body, up.subarray(offset, offset + length), `${offset}+${length}`)
    }
    const rest = await curl(['-L', `${base}&offset=${2 * MIB}`])
    assert.deepEqual(rest.body, up.subarray(2 * MIB))
    const atEof = await curl(['-L', `${base}&offset=${up.length}`])
    assert.deepEqual([atEof.status, atEof.body.length], [200, 0])
    const past = await curl(['-L', `${base}&offset=${up.length + 1}`])
    assert.equal(past.status, 403)
    assert.equal(remoteException(past.body).exception, 'IOException')
  })

  it('noredirect=true answers 200 {"Location"} for OPEN and CREATE', async () => {
    const open = await curl([
      `${nn}/curl/up.bin?op=OPEN&user.name=${SUPER}&noredirect=true&offset=7`,
    ])
    assert.equal(open.status, 200)
    const openLoc = new URL(json(open.body).Location as string)
    assert.ok(dnPorts.has(openLoc.port))
    const data = await curl([openLoc.href])
    assert.deepEqual(data.body, up.subarray(7))

    const create = await curl([
      '-X',
      'PUT',
      `${nn}/curl/nr.txt?op=CREATE&user.name=${SUPER}&noredirect=true`,
    ])
    assert.equal(create.status, 200)
    const createLoc = json(create.body).Location as string
    assert.match(createLoc, /\?op=CREATE&/)
    const put = await curl(['-X', 'PUT', '--data-binary', 'no redirect', createLoc])
    assert.equal(put.status, 201)
    assert.equal((await fs.readFile('/curl/nr.txt')).toString(), 'no redirect')
  })

  it('answers errors with RemoteException JSON and Hadoop statuses', async () => {
    const checks: [string[], number, string, string, RegExp][] = [
      [
        [`${nn}/curl/missing?op=GETFILESTATUS&user.name=${SUPER}`],
        404,
        'FileNotFoundException',
        'java.io.FileNotFoundException',
        /^File does not exist: \/curl\/missing$/,
      ],
      [
        ['-L', `${nn}/curl/missing?op=OPEN&user.name=${SUPER}`],
        404,
        'FileNotFoundException',
        'java.io.FileNotFoundException',
        /does not exist/,
      ],
      [
        [`${nn}/private?op=LISTSTATUS&user.name=${OTHER}`],
        403,
        'AccessControlException',
        'org.apache.hadoop.security.AccessControlException',
        /^Permission denied: user=alice/,
      ],
      [
        ['-X', 'DELETE', `${nn}/private/secret?op=DELETE&user.name=${OTHER}`],
        403,
        'AccessControlException',
        'org.apache.hadoop.security.AccessControlException',
        /^Permission denied: user=alice/,
      ],
      [
        ['-X', 'PUT', `${nn}/curl/d?op=MKDIRS&permission=999&user.name=${SUPER}`],
        400,
        'IllegalArgumentException',
        'java.lang.IllegalArgumentException',
        /^Invalid value for webhdfs parameter "permission"/,
      ],
      [
        // Hadoop's InvalidPathException is a HadoopIllegalArgumentException: 400.
        ['--path-as-is', '-X', 'PUT', `${nn}/curl/../etc?op=MKDIRS&user.name=${SUPER}`],
        400,
        'InvalidPathException',
        'org.apache.hadoop.fs.InvalidPathException',
        /\.\./,
      ],
      [
        [`${nn}/curl?op=NOSUCHOP&user.name=${SUPER}`],
        400,
        'IllegalArgumentException',
        'java.lang.IllegalArgumentException',
        /No enum constant org\.apache\.hadoop\.hdfs\.web\.resources\.GetOpParam\.Op\.NOSUCHOP/,
      ],
      [
        ['-X', 'PUT', `${nn}/curl?op=GETFILESTATUS&user.name=${SUPER}`],
        400,
        'IllegalArgumentException',
        'java.lang.IllegalArgumentException',
        /PutOpParam\.Op\.GETFILESTATUS/,
      ],
      [
        ['-X', 'PUT', `${nn}/curl/up.bin?op=CREATE&user.name=${SUPER}`],
        403,
        'FileAlreadyExistsException',
        'org.apache.hadoop.fs.FileAlreadyExistsException',
        /already exists/,
      ],
    ]
    for (const [args, status, exception, javaClassName, message] of checks) {
      const r = await curl(['-D', '-', ...args])
      const text = r.body.toString()
      const cut = text.indexOf('\r\n\r\n')
      const head = text.slice(0, cut)
      const body = Buffer.from(text.slice(cut + 4))
      assert.equal(r.status, status, `${args.join(' ')}: ${text}`)
      assert.match(head, /^content-type: application\/json/im, args.join(' '))
      const re = remoteException(body)
      assert.equal(re.exception, exception, args.join(' '))
      assert.equal(re.javaClassName, javaClassName, args.join(' '))
      assert.match(re.message, message, args.join(' '))
    }
    assert.equal(await fs.exists('/private/secret'), true)
  })
})

// ------------------------------------------------------------------------------------ data matrix

const MATRIX: readonly { size: number; inline: boolean; blocks: readonly number[] }[] = [
  { size: 0, inline: true, blocks: [] },
  { size: 1, inline: true, blocks: [] },
  { size: SMALL_LIMIT, inline: true, blocks: [] }, // at the limit: still in the database
  { size: SMALL_LIMIT + 1, inline: false, blocks: [SMALL_LIMIT + 1] },
  { size: 3.5 * MIB, inline: false, blocks: [MIB, MIB, MIB, MIB / 2] },
]

async function blockLengths(cluster: LocalCluster, path: string): Promise<number[]> {
  const locs = await fetchJson(
    `${cluster.namenodeUrl}/webhdfs/v1${path}?op=GETFILEBLOCKLOCATIONS&user.name=${SUPER}`,
  )
  const list = (locs.BlockLocations as { BlockLocation: { length: number; hosts: string[] }[] })
    .BlockLocation
  return list.filter((b) => b.hosts.length > 0).map((b) => b.length)
}

describe('data matrix through the SDK and curl', { timeout: 40_000 }, () => {
  let cluster: LocalCluster
  let fs: FileSystem
  let nn: string
  const localDir = tmpDir('hops-matrix-')

  before(async () => {
    cluster = await startCluster()
    nn = `${cluster.namenodeUrl}/webhdfs/v1`
    fs = new FileSystem({ namenodes: [cluster.namenodeUrl], user: SUPER })
  })

  after(async () => {
    fs.close()
    await cluster.stop()
  })

  it('writes and reads back 0 B, 1 B, 64 KiB (inline), 64 KiB + 1 and 3.5 MiB (blocks)', async () => {
    for (const { size, inline, blocks } of MATRIX) {
      const path = `/m/sdk-${size}`
      const data = pattern(size)
      await fs.writeFile(path, data, { blockSize: MIB })
      const info = await inodeOf(cluster, path)
      assert.deepEqual([info.length, info.inline, info.underConstruction], [size, inline, false])
      assert.equal((await fs.getFileStatus(path)).length, size)
      assert.deepEqual(await fs.readFile(path), data, path)
      if (!inline) assert.deepEqual(await blockLengths(cluster, path), blocks, path)
    }
  })

  it('reads ranges across block boundaries byte-exact; past EOF is an error', async () => {
    const path = `/m/sdk-${3.5 * MIB}`
    const data = pattern(3.5 * MIB)
    for (const [offset, length] of [
      [0, 1],
      [MIB - 1, 2],
      [MIB - 100, MIB + 200], // spans three blocks
      [2 * MIB, MIB],
      [3 * MIB + 1, MIB], // beyond EOF: the rest
      [3.5 * MIB - 1, 1],
      [3.5 * MIB, 10], // at EOF: nothing
    ] as const) {
      const got = await fs.readFile(path, { offset, length })
      assert.deepEqual(got, data.subarray(offset, offset + length), `${offset}+${length}`)
    }
    await assert.rejects(fs.readFile(path, { offset: 3.5 * MIB + 1 }), isFsError('IO_ERROR'))
    const inline = pattern(SMALL_LIMIT)
    assert.deepEqual(
      await fs.readFile(`/m/sdk-${SMALL_LIMIT}`, { offset: 1000, length: 5000 }),
      inline.subarray(1000, 6000),
    )
  })

  it('curl -L -T uploads at the limit and one past it, and curl -L reads them back', async () => {
    for (const { size, inline, blocks } of MATRIX.filter((m) => m.size >= SMALL_LIMIT)) {
      const local = join(localDir, `c-${size}`)
      const data = pattern(size, 3)
      writeFileSync(local, data)
      const path = `/m/curl-${size}`
      const put = await curl([
        '-L',
        '-T',
        local,
        `${nn}${path}?op=CREATE&user.name=${SUPER}&blocksize=${MIB}`,
      ])
      assert.equal(put.status, 201, put.body.toString())
      assert.equal((await inodeOf(cluster, path)).inline, inline, path)
      if (!inline) assert.deepEqual(await blockLengths(cluster, path), blocks, path)
      const get = await curl(['-L', `${nn}${path}?op=OPEN&user.name=${SUPER}`])
      assert.equal(get.status, 200)
      assert.deepEqual(get.body, data, path)
      const mid = await curl([
        '-L',
        `${nn}${path}?op=OPEN&user.name=${SUPER}&offset=${size - 7}&length=5`,
      ])
      assert.deepEqual(mid.body, data.subarray(size - 7, size - 2), path)
    }
  })

  it('append grows a small file past 64 KiB into blocks with its content intact', async () => {
    const path = '/m/grow.bin'
    const all = pattern(40 * KIB + 20 * KIB + 10 * KIB + 1_200_000)
    let at = 0
    const step = async (n: number, inline: boolean) => {
      const out = await fs.append(path)
      await endStream(out, all.subarray(at, at + n))
      at += n
      const info = await inodeOf(cluster, path)
      assert.deepEqual([info.length, info.inline, info.underConstruction], [at, inline, false])
      assert.deepEqual(await fs.readFile(path), all.subarray(0, at), `after ${at} bytes`)
    }
    await fs.writeFile(path, all.subarray(0, 40 * KIB), { blockSize: MIB })
    at = 40 * KIB
    await step(20 * KIB, true) // 60 KiB: still inline
    await step(0, true) // an empty append changes nothing
    await step(10 * KIB, false) // 70 KiB: moved to blocks
    await step(1_200_000, false) // fills the first block and starts a second
    await step(0, false)
    assert.deepEqual(await blockLengths(cluster, path), [MIB, all.length - MIB])
  })

  it('overwrite replaces blocks with inline bytes and back, and refuses without overwrite', async () => {
    const path = '/m/over.bin'
    await fs.writeFile(path, pattern(2.5 * MIB), { blockSize: MIB })
    await fs.writeFile(path, 'ten bytes!', { overwrite: true })
    assert.equal((await inodeOf(cluster, path)).inline, true)
    assert.equal((await fs.readFile(path)).toString(), 'ten bytes!')
    const big = pattern(MIB + 5, 9)
    await fs.writeFile(path, big, { overwrite: true, blockSize: MIB })
    assert.equal((await inodeOf(cluster, path)).inline, false)
    assert.deepEqual(await fs.readFile(path), big)
    await assert.rejects(fs.create(path), isFsError('FILE_EXISTS', 'FileAlreadyExistsException'))
    const r = await curl([
      '-L',
      '-X',
      'PUT',
      '--data-binary',
      'x',
      `${nn}${path}?op=CREATE&user.name=${SUPER}`,
    ])
    assert.equal(r.status, 403)
    assert.equal(remoteException(r.body).exception, 'FileAlreadyExistsException')
    assert.deepEqual(await fs.readFile(path), big)
  })

  it('refuses a second CREATE of a file another writer holds open', async () => {
    const path = '/m/lease-create.bin'
    const data = pattern(300 * KIB)
    const first = await fs.create(path, { blockSize: MIB })
    // More than the small-file limit: the DataNode creates the file (and takes the lease).
    first.write(data.subarray(0, 100 * KIB))
    await waitFor('the first writer to hold the lease', async () => {
      const info = await inodeOf(cluster, path).catch(() => undefined)
      return info?.underConstruction === true
    })
    await assert.rejects(fs.create(path), isFsError('FILE_EXISTS'))
    const second = (async () => {
      const out = await fs.create(path, { overwrite: true })
      await endStream(out, Buffer.from('second writer'))
    })()
    await assert.rejects(second, isFsError('ALREADY_BEING_CREATED', 'AlreadyBeingCreatedException'))
    await endStream(first, data.subarray(100 * KIB))
    assert.deepEqual(await fs.readFile(path), data)
  })

  it('refuses an APPEND while another append holds the lease (AlreadyBeingCreatedException)', async () => {
    const path = '/m/lease-append.bin'
    const base = pattern(100 * KIB)
    await fs.writeFile(path, base, { blockSize: MIB })
    const tail = pattern(50 * KIB, 100 * KIB)
    const first = await fs.append(path)
    first.write(tail.subarray(0, 10 * KIB))
    await waitFor('the first appender to hold the lease', async () => {
      return (await inodeOf(cluster, path)).underConstruction
    })
    const second = (async () => {
      const out = await fs.append(path)
      await endStream(out, Buffer.from('second writer'))
    })()
    await assert.rejects(second, isFsError('ALREADY_BEING_CREATED', 'AlreadyBeingCreatedException'))
    const viaCurl = await curl([
      '-L',
      '-X',
      'POST',
      '--data-binary',
      'curl writer',
      `${nn}${path}?op=APPEND&user.name=${SUPER}`,
    ])
    assert.equal(viaCurl.status, 403)
    assert.equal(remoteException(viaCurl.body).exception, 'AlreadyBeingCreatedException')
    await endStream(first, tail.subarray(10 * KIB))
    assert.deepEqual(await fs.readFile(path), Buffer.concat([base, tail]))
    // The lease is released: appending works again.
    await endStream(await fs.append(path), Buffer.from('!'))
    assert.equal((await fs.getFileStatus(path)).length, base.length + tail.length + 1)
  })
})

// ---------------------------------------------------------------------------------------- restart

describe('restart on the same data directory', { timeout: 20_000 }, () => {
  const dataDir = tmpDir('hops-restart-')
  let cluster: LocalCluster | undefined

  after(async () => {
    await cluster?.stop()
  })

  it('reads every file back byte-exact from a new cluster on the same dataDir', async () => {
    cluster = await startCluster(dataDir)
    const written = new Map<string, Buffer>()
    let fs = new FileSystem({ namenodes: [cluster.namenodeUrl], user: SUPER })
    for (const { size } of MATRIX) {
      const data = pattern(size, size % 13)
      await fs.writeFile(`/r/f-${size}`, data, { blockSize: MIB })
      written.set(`/r/f-${size}`, data)
    }
    const grown = pattern(60 * KIB + MIB + 7)
    await fs.writeFile('/r/grown', grown.subarray(0, 60 * KIB), { blockSize: MIB })
    await endStream(await fs.append('/r/grown'), grown.subarray(60 * KIB))
    written.set('/r/grown', grown)
    fs.close()
    await cluster.stop()
    cluster = undefined

    cluster = await startCluster(dataDir)
    fs = new FileSystem({ namenodes: [cluster.namenodeUrl], user: SUPER })
    try {
      for (const [path, data] of written) {
        assert.equal((await fs.getFileStatus(path)).length, data.length, path)
        assert.deepEqual(await fs.readFile(path), data, path)
      }
      // The restarted DataNodes still serve the replicas for writes: append to a partial block.
      const more = pattern(MIB / 2, 11)
      await endStream(await fs.append('/r/grown'), more)
      assert.deepEqual(await fs.readFile('/r/grown'), Buffer.concat([grown, more]))
      const big = `/r/f-${3.5 * MIB}`
      const r = await curl([
        '-L',
        `${cluster.namenodeUrl}/webhdfs/v1${big}?op=OPEN&user.name=${SUPER}`,
      ])
      assert.deepEqual(r.body, written.get(big))
    } finally {
      fs.close()
    }
  })
})
