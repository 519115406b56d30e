/**
 * The client SDK and `hops dfs` against a real NameNode (SQLite metadata in a temp file) and real
 * DataNodes, all on 127.0.0.1 port 0: metadata ops, NameNode failover, the two-step CREATE/OPEN/
 * APPEND data path, and the CLI spawned as `node bin/hops.js dfs …`.
 */
import assert from 'node:assert/strict'
import { md5Md5Crc32c } from '../../src/common/file-checksum.js'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { FileSystem } from '../../src/client/file-system.js'
import { FsError } from '../../src/common/fs-error.js'
import { DataNode } from '../../src/datanode/datanode.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { MetaEngine } from '../../src/meta/meta-engine.js'
import { NameNodeServer } from '../../src/namenode/namenode-server.js'
import { tmpDir, tmpFile } from '../support/tmp.js'

const USER = 'hdfs' // the engine's default superuser

let engine: MetaEngine
const namenodes: NameNodeServer[] = []
const datanodes: DataNode[] = []
let nnUrl = ''
let fs: FileSystem

async function dfs(
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(
    process.execPath,
    ['bin/hops.js', 'dfs', '--namenode', nnUrl, '-u', USER, ...args],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  child.stdin.end(stdin ?? '')
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)))
  return { code, out, err }
}

describe('client SDK and hops dfs on a mini cluster', () => {
  before(async () => {
    engine = await openMetaEngine(`sqlite:${tmpFile()}`)
    for (let i = 0; i < 2; i++) {
      const nn = new NameNodeServer({
        engine,
        port: 0,
        replicationCheckIntervalMs: 0,
        housekeepingIntervalMs: 0,
      })
      namenodes.push(nn)
      const url = await nn.start()
      if (i === 0) nnUrl = url
    }
    for (let i = 0; i < 3; i++) {
      const dn = new DataNode({ dir: tmpDir('hops-dn-'), namenodeUrls: [nnUrl], port: 0 })
      await dn.start()
      datanodes.push(dn)
    }
    // One URL is dead: a client that starts there (picked at random) fails over to the live one.
    fs = new FileSystem({ namenodes: ['http://127.0.0.1:9', nnUrl], user: USER })
  })

  after(async () => {
    fs.close()
    for (const dn of datanodes) await dn.stop()
    for (const nn of namenodes) await nn.stop()
    await engine.close()
  })

  it('runs metadata ops through the SDK, failing over past a dead NameNode', async () => {
    assert.equal(await fs.mkdirs('/sdk/a/b', { permission: 0o750 }), true)
    const st = await fs.getFileStatus('/sdk/a/b')
    assert.equal(st.type, 'DIRECTORY')
    assert.equal(st.permission, 0o750)
    assert.equal(st.owner, USER)
    await assert.rejects(
      fs.getFileStatus('/sdk/nope'),
      (e: unknown) => e instanceof FsError && e.code === 'FILE_NOT_FOUND',
    )
    assert.equal(await fs.rename('/sdk/a/b', '/sdk/c'), true)
    assert.equal(await fs.rename('/sdk/missing', '/sdk/d'), false)
    await fs.setPermission('/sdk/c', 0o1777)
    assert.equal((await fs.getFileStatus('/sdk/c')).permission, 0o1777)
    await fs.setOwner('/sdk/c', 'alice', 'eng')
    const owned = await fs.getFileStatus('/sdk/c')
    assert.deepEqual([owned.owner, owned.group], ['alice', 'eng'])
    await fs.setTimes('/sdk/c', 1_000_000, -1)
    assert.equal((await fs.getFileStatus('/sdk/c')).modificationTime, 1_000_000)
    await assert.rejects(
      fs.delete('/sdk'),
      (e: unknown) => e instanceof FsError && e.code === 'DIRECTORY_NOT_EMPTY',
    )
    assert.equal(await fs.delete('/sdk', { recursive: true }), true)
    assert.equal(await fs.delete('/sdk'), false)
    assert.equal(await fs.getHomeDirectory(), `/user/${USER}`)
  })

  it('lists directories in batches', async () => {
    await fs.mkdirs('/list')
    for (let i = 0; i < 5; i++) await fs.mkdirs(`/list/d${i}`)
    const names = (await fs.listStatusAll('/list')).map((s) => s.pathSuffix)
    assert.deepEqual(names, ['d0', 'd1', 'd2', 'd3', 'd4'])
  })

  it('sets and reads xattrs, ACLs and quotas', async () => {
    await fs.mkdirs('/attrs')
    await fs.setXAttr('/attrs', 'user.bin', Buffer.from([0, 1, 255]))
    await fs.setXAttr('/attrs', 'user.txt', 'hello')
    assert.deepEqual((await fs.listXAttrs('/attrs')).sort(), ['user.bin', 'user.txt'])
    assert.deepEqual(await fs.getXAttr('/attrs', 'user.bin'), Buffer.from([0, 1, 255]))
    await assert.rejects(fs.setXAttr('/attrs', 'user.txt', 'x', 'CREATE'))
    await fs.removeXAttr('/attrs', 'user.txt')
    assert.deepEqual(await fs.listXAttrs('/attrs'), ['user.bin'])

    await fs.modifyAclEntries('/attrs', 'user:bob:rwx,default:user:bob:r-x')
    const acl = await fs.getAclStatus('/attrs')
    assert.ok(
      acl.entries.some((e) => e.type === 'USER' && e.name === 'bob' && e.scope === 'ACCESS'),
    )
    assert.equal((await fs.getFileStatus('/attrs')).aclBit, true)
    await fs.removeDefaultAcl('/attrs')
    assert.ok((await fs.getAclStatus('/attrs')).entries.every((e) => e.scope === 'ACCESS'))
    await fs.removeAcl('/attrs')
    assert.deepEqual((await fs.getAclStatus('/attrs')).entries, [])

    await fs.setQuota('/attrs', { namespaceQuota: 10 })
    const q = await fs.getQuotaUsage('/attrs')
    assert.equal(q.quota, 10)
    const cs = await fs.getContentSummary('/attrs')
    assert.equal(cs.directoryCount, 1)
    await fs.setQuota('/attrs', { namespaceQuota: -1 })
  })

  it('writes, reads, appends and checksums files through the DataNodes', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17)
    await fs.writeFile('/data/big.bin', data, { replication: 2 })
    const st = await fs.getFileStatus('/data/big.bin')
    assert.equal(st.length, data.length)
    assert.deepEqual(await fs.readFile('/data/big.bin'), data)
    assert.deepEqual(
      await fs.readFile('/data/big.bin', { offset: 1000, length: 50 }),
      data.subarray(1000, 1050),
    )
    await assert.rejects(
      fs.create('/data/big.bin'),
      (e: unknown) => e instanceof FsError && e.code === 'FILE_EXISTS',
    )
    const out = await fs.append('/data/big.bin')
    await new Promise<void>((resolve, reject) =>
      out.end(Buffer.from('tail'), () => resolve()).on('error', reject),
    )
    assert.equal((await fs.getFileStatus('/data/big.bin')).length, data.length + 4)
  })

  it('gets the checksum of a small file from the NameNode', async () => {
    await fs.writeFile('/data/small.txt', 'hello')
    const sum = await fs.getFileChecksum('/data/small.txt')
    assert.match(sum.algorithm, /^MD5-of-\d+MD5-of-\d+CRC32C?$/)
    assert.equal(sum.length, 28)
  })

  it('gets the checksum of a multi-block file through a DataNode, equal to one computed here', async () => {
    const data = Buffer.alloc(2.5 * 1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff
    const out = await fs.create('/data/three-blocks.bin', { blockSize: 1024 * 1024 })
    await new Promise<void>((resolve, reject) => {
      out.on('error', reject)
      out.end(data, () => resolve())
    })
    const sum = await fs.getFileChecksum('/data/three-blocks.bin')
    const expected = md5Md5Crc32c(data, 1024 * 1024)
    assert.deepEqual(
      [sum.algorithm, sum.bytes, sum.length],
      [expected.algorithm, expected.bytes, 28],
    )
    assert.equal(sum.algorithm, 'MD5-of-2048MD5-of-512CRC32C')
  })

  it('drives hops dfs: mkdir, ls, put, cat, get, mv, cp, du, count, stat, rm', async () => {
    let r = await dfs(['-mkdir', '/cli'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-mkdir', '/cli'])
    assert.deepEqual([r.code, r.err], [1, "mkdir: `/cli': File exists\n"])
    r = await dfs(['-mkdir', '/cli/x/y'])
    assert.deepEqual([r.code, r.err], [1, "mkdir: `/cli/x/y': No such file or directory\n"])
    r = await dfs(['-mkdir', '-p', '/cli/x/y'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-ls', '/nope'])
    assert.deepEqual([r.code, r.err], [1, "ls: `/nope': No such file or directory\n"])

    const local = join(tmpDir(), 'in.txt')
    writeFileSync(local, 'hello hops\n')
    r = await dfs(['-put', local, '/cli/in.txt'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-put', local, '/cli/in.txt'])
    assert.deepEqual([r.code, r.err], [1, "put: `/cli/in.txt': File exists\n"])
    r = await dfs(['-put', '-f', '-', '/cli/in.txt'], 'from stdin\n')
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-cat', '/cli/in.txt'])
    assert.deepEqual([r.code, r.out], [0, 'from stdin\n'])
    r = await dfs(['-appendToFile', '-', '/cli/in.txt'], 'more\n')
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-tail', '/cli/in.txt'])
    assert.equal(r.out, 'from stdin\nmore\n')

    const got = join(tmpDir(), 'got.txt')
    r = await dfs(['-get', '/cli/in.txt', got])
    assert.equal(r.code, 0, r.err)
    assert.equal(readFileSync(got, 'utf8'), 'from stdin\nmore\n')

    r = await dfs(['-ls', '/cli'])
    assert.equal(r.code, 0, r.err)
    const lines = r.out.trimEnd().split('\n')
    assert.equal(lines[0], 'Found 2 items')
    assert.match(
      lines[1]!,
      /^-rw-r--r-- +\d+ hdfs +\S+ +16 \d{4}-\d\d-\d\d \d\d:\d\d \/cli\/in\.txt$/,
    )
    assert.match(lines[2]!, /^drwxr-xr-x +- hdfs +\S+ +0 .* \/cli\/x$/)
    r = await dfs(['-ls', '-R', '/cli'])
    assert.deepEqual(
      r.out
        .trimEnd()
        .split('\n')
        .map((l) => l.split(' ').pop()),
      ['/cli/in.txt', '/cli/x', '/cli/x/y'],
    )

    r = await dfs(['-cp', '/cli/in.txt', '/cli/copy.txt'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-mv', '/cli/copy.txt', '/cli/x'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-cat', '/cli/x/copy.txt'])
    assert.equal(r.out, 'from stdin\nmore\n')
    r = await dfs(['-stat', '%n %b %F', '/cli/x/copy.txt'])
    assert.equal(r.out, 'copy.txt 16 regular file\n')
    r = await dfs(['-du', '-s', '/cli'])
    assert.match(r.out, /^32 +\d+ +\/cli\n$/)
    r = await dfs(['-count', '/cli'])
    assert.equal(r.out, '           3            2                 32 /cli\n')
    r = await dfs(['-test', '-d', '/cli/x'])
    assert.equal(r.code, 0)
    r = await dfs(['-test', '-f', '/cli/x'])
    assert.equal(r.code, 1)
    r = await dfs(['-touchz', '/cli/empty'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-test', '-z', '/cli/empty'])
    assert.equal(r.code, 0)

    r = await dfs(['-rm', '/cli/x'])
    assert.deepEqual([r.code, r.err], [1, "rm: `/cli/x': Is a directory\n"])
    r = await dfs(['-rm', '-r', '-skipTrash', '/cli/x'])
    assert.deepEqual([r.code, r.out], [0, 'Deleted /cli/x\n'])
    r = await dfs(['-rm', '-f', '/cli/nothing'])
    assert.equal(r.code, 0)
  })

  it('drives hops dfs: chmod, chown, setrep, ACLs, xattrs, df', async () => {
    await fs.mkdirs('/perm/sub')
    await fs.writeFile('/perm/sub/f', 'x')
    let r = await dfs(['-chmod', '-R', 'go-rx', '/perm'])
    assert.equal(r.code, 0, r.err)
    assert.equal((await fs.getFileStatus('/perm/sub')).permission, 0o700)
    assert.equal((await fs.getFileStatus('/perm/sub/f')).permission, 0o600)
    r = await dfs(['-chown', '-R', 'alice:eng', '/perm'])
    assert.equal(r.code, 0, r.err)
    assert.equal((await fs.getFileStatus('/perm/sub/f')).owner, 'alice')
    r = await dfs(['-chgrp', 'ops', '/perm'])
    assert.equal(r.code, 0, r.err)
    assert.equal((await fs.getFileStatus('/perm')).group, 'ops')
    r = await dfs(['-setrep', '2', '/perm'])
    assert.deepEqual([r.code, r.out], [0, 'Replication 2 set: /perm/sub/f\n'])

    r = await dfs(['-setfacl', '-m', 'user:bob:r-x', '/perm'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-getfacl', '/perm'])
    assert.match(r.out, /^# file: \/perm\n# owner: alice\n# group: ops\nuser::rwx\nuser:bob:r-x\n/)
    r = await dfs(['-setfacl', '-b', '/perm'])
    assert.equal(r.code, 0, r.err)

    r = await dfs(['-setfattr', '-n', 'user.k', '-v', 'v1', '/perm'])
    assert.equal(r.code, 0, r.err)
    r = await dfs(['-getfattr', '-d', '/perm'])
    assert.equal(r.out, '# file: /perm\nuser.k="v1"\n')
    r = await dfs(['-getfattr', '-n', 'user.k', '-e', 'hex', '/perm'])
    assert.equal(r.out, '# file: /perm\nuser.k=0x7631\n')

    r = await dfs(['-df'])
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, /^Filesystem +Size +Used +Available +Use%\nwebhdfs:\/\/127\.0\.0\.1:\d+ /)
  })
})
