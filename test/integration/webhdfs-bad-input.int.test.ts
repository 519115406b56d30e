/**
 * Bad input over WebHDFS, against a real local cluster: malformed parameters, huge or negative
 * offsets and lengths, bad paths, unknown ops, and bodies that do not match their declared
 * length. Each gets Hadoop's RemoteException with the right status, and nothing is stored.
 * (Repeated slashes collapse, as Hadoop's Path does, so `/d//x` is `/d/x`, not an error.)
 */
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { createConnection } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { startLocalCluster } from '../../src/cluster/local-cluster.js'
import type { LocalCluster } from '../../src/cluster/local-cluster.js'
import { tmpDir } from '../support/tmp.js'

const U = 'user.name=hdfs'

interface Remote {
  readonly status: number
  readonly exception?: string
  readonly javaClassName?: string
  readonly message?: string
}

describe('WebHDFS bad input', () => {
  let cluster: LocalCluster
  let nn: string

  before(async () => {
    cluster = await startLocalCluster({
      dataDir: tmpDir(),
      port: 0,
      datanodes: 1,
      heartbeatIntervalMs: 200,
    })
    nn = cluster.namenodeUrl
    const put = await fetch(`${nn}/webhdfs/v1/d?op=MKDIRS&${U}`, { method: 'PUT' })
    assert.equal(put.status, 200)
  })
  after(() => cluster.stop())

  /**
   * Sends a request with the path exactly as written (node:http does not normalise `..` or
   * `//` as fetch and curl do) and decodes a RemoteException body.
   */
  function call(method: string, pathAndQuery: string): Promise<Remote> {
    const url = new URL(nn)
    return new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method, path: `/webhdfs/v1${pathAndQuery}` },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => {
            const status = res.statusCode ?? 0
            if (status < 400) return resolve({ status })
            assert.match(res.headers['content-type'] ?? '', /application\/json/)
            const json = JSON.parse(text) as { RemoteException: Omit<Remote, 'status'> }
            resolve({ status, ...json.RemoteException })
          })
        },
      )
      req.on('error', reject)
      req.end()
    })
  }

  async function exists(path: string): Promise<boolean> {
    return (await fetch(`${nn}/webhdfs/v1${path}?op=GETFILESTATUS&${U}`)).status === 200
  }

  /** Follows the NameNode's CREATE redirect and PUTs `body` to the DataNode. */
  async function dataNodeUrl(path: string, query = ''): Promise<URL> {
    const res = await fetch(`${nn}/webhdfs/v1${path}?op=CREATE&${U}${query}`, {
      method: 'PUT',
      redirect: 'manual',
    })
    assert.equal(res.status, 307)
    return new URL(res.headers.get('location')!)
  }

  const cases: [string, string, string, number, string][] = [
    ['unknown op', 'GET', '/d?op=FROBNICATE', 400, 'IllegalArgumentException'],
    ['missing op', 'GET', '/d?foo=bar', 400, 'IllegalArgumentException'],
    ['op for another method', 'GET', '/d?op=MKDIRS', 400, 'IllegalArgumentException'],
    [
      'malformed permission',
      'PUT',
      '/d/x?op=MKDIRS&permission=999',
      400,
      'IllegalArgumentException',
    ],
    [
      'permission not a number',
      'PUT',
      '/d/x?op=SETPERMISSION&permission=rwx',
      400,
      'IllegalArgumentException',
    ],
    ['bad boolean', 'DELETE', '/d?op=DELETE&recursive=maybe', 400, 'IllegalArgumentException'],
    ['replication 0', 'PUT', '/d/f?op=CREATE&replication=0', 400, 'IllegalArgumentException'],
    [
      'replication not a number',
      'PUT',
      '/d/f?op=CREATE&replication=three',
      400,
      'IllegalArgumentException',
    ],
    ['negative block size', 'PUT', '/d/f?op=CREATE&blocksize=-1', 400, 'IllegalArgumentException'],
    ['negative offset', 'GET', '/d?op=OPEN&offset=-1', 400, 'IllegalArgumentException'],
    [
      'huge offset',
      'GET',
      '/d?op=OPEN&offset=99999999999999999999999',
      400,
      'IllegalArgumentException',
    ],
    ['negative length', 'GET', '/d?op=OPEN&length=-5', 400, 'IllegalArgumentException'],
    ['dot-dot path', 'GET', '/d/../etc?op=GETFILESTATUS', 400, 'InvalidPathException'],
    ['NUL in a name', 'PUT', '/d/a%00b?op=MKDIRS', 400, 'InvalidPathException'],
    ['colon in a name', 'PUT', '/d/a:b?op=MKDIRS', 400, 'InvalidPathException'],
    [
      'over-long name',
      'PUT',
      `/d/${'n'.repeat(300)}?op=MKDIRS`,
      403,
      'PathComponentTooLongException',
    ],
    ['missing file', 'GET', '/d/nope?op=OPEN', 404, 'FileNotFoundException'],
    ['bad quota', 'PUT', '/d?op=SETQUOTA&namespacequota=-7', 400, 'IllegalArgumentException'],
  ]
  for (const [name, method, pathAndQuery, status, exception] of cases) {
    it(`${name} → ${status} ${exception}, nothing changed`, async () => {
      const sep = pathAndQuery.includes('?') ? '&' : '?'
      const r = await call(method, `${pathAndQuery}${sep}${U}`)
      assert.equal(r.status, status, JSON.stringify(r))
      assert.equal(r.exception, exception, JSON.stringify(r))
      assert.ok(r.javaClassName?.endsWith(exception), JSON.stringify(r))
      assert.ok((r.message ?? '').length > 0)
      const listing = (await (await fetch(`${nn}/webhdfs/v1/d?op=LISTSTATUS&${U}`)).json()) as {
        FileStatuses: { FileStatus: unknown[] }
      }
      assert.deepEqual(listing.FileStatuses.FileStatus, [], 'nothing was stored')
    })
  }

  it('a body cut short of its Content-Length stores no file as complete', async () => {
    const url = await dataNodeUrl('/d/short', '&blocksize=1048576')
    await new Promise<void>((resolve) => {
      const sock = createConnection(Number(url.port), url.hostname, () => {
        sock.write(
          `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 3000000\r\n\r\n`,
        )
        sock.write(Buffer.alloc(1_500_000, 1), () => sock.destroy())
      })
      sock.on('close', () => resolve())
      sock.on('error', () => resolve())
    })
    // The writer is gone: the file is absent or still under construction, never a closed file
    // claiming bytes that never came.
    await new Promise((r) => setTimeout(r, 500))
    const st = await fetch(`${nn}/webhdfs/v1/d/short?op=GETFILESTATUS&${U}`)
    if (st.status === 200) {
      const { FileStatus } = (await st.json()) as { FileStatus: { length: number } }
      const info = await cluster.engine.getFileInfo('/d/short', { user: 'hdfs' })
      assert.ok(info.underConstruction || FileStatus.length < 3_000_000, JSON.stringify(info))
    } else {
      assert.equal(st.status, 404)
    }
  })

  it('bytes beyond the declared Content-Length are not stored', async () => {
    const url = await dataNodeUrl('/d/long')
    const response = await new Promise<string>((resolve) => {
      let got = ''
      const sock = createConnection(Number(url.port), url.hostname, () => {
        sock.write(
          `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 10\r\nConnection: close\r\n\r\n`,
        )
        sock.write('0123456789EXTRA-BYTES-THAT-ARE-NOT-PART-OF-THE-BODY')
      })
      sock.on('data', (d: Buffer) => (got += d.toString()))
      sock.on('close', () => resolve(got))
      sock.on('error', () => resolve(got))
    })
    // Node's parser reads the extra bytes as a second, malformed request and closes the
    // connection: the client sees a 201 or a 400, but the file never holds more than 10 bytes.
    assert.match(response, /^HTTP\/1\.1 (201|400)/)
    await new Promise((r) => setTimeout(r, 300))
    const read = await fetch(`${nn}/webhdfs/v1/d/long?op=OPEN&${U}`)
    if (read.status === 200) assert.equal(await read.text(), '0123456789')
    else assert.equal(read.status, 404)
    assert.ok(!(await exists('/d/EXTRA')))
  })
})
