/**
 * The NameNode server's own endpoints: /health, /metrics, the overview page, the periodic
 * replication check, and the RemoteException edge for unknown errors.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { json, startTestNameNode } from './test-support.js'
import type { TestNameNode } from './test-support.js'
import { toRemoteException } from './remote-exception.js'
import { FsError } from '../common/fs-error.js'
import { pino } from 'pino'

describe('NameNodeServer', () => {
  let nn: TestNameNode

  before(async () => {
    nn = await startTestNameNode({ replicationCheckIntervalMs: 20 })
    await nn.internal('datanode/register', {
      datanodeUuid: 'dn-x',
      httpAddress: 'http://dn-x.invalid:9864',
      hostname: 'dn-x.invalid',
      capacityBytes: 2 ** 33,
    })
    await nn.webhdfs('PUT', '/a/b', 'op=MKDIRS&user.name=hdfs')
  })
  after(() => nn.close())

  it('/health answers UP with the NameNode id', async () => {
    const res = await fetch(`${nn.url}/health`)
    assert.equal(res.status, 200)
    const body = await json(res)
    assert.equal(body.status, 'UP')
    assert.equal(body.namenodeId, nn.engine.namenodeId)
  })

  it('/metrics has op counts, latency histograms, restarts and DataNode capacity', async () => {
    await nn.webhdfs('GET', '/a', 'op=GETFILESTATUS&user.name=hdfs')
    await nn.webhdfs('GET', '/zzz', 'op=GETFILESTATUS&user.name=hdfs')
    // let the periodic replication check run at least once
    await new Promise((r) => setTimeout(r, 100))
    const res = await fetch(`${nn.url}/metrics`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    const text = await res.text()
    assert.match(text, /hops_namenode_ops_total\{op="webhdfs.GETFILESTATUS",status="200"\} \d+/)
    assert.match(text, /hops_namenode_ops_total\{op="webhdfs.GETFILESTATUS",status="404"\} 1/)
    assert.match(
      text,
      /hops_namenode_op_duration_seconds_bucket\{op="webhdfs.GETFILESTATUS",le="\+Inf"\} \d+/,
    )
    assert.match(text, /hops_namenode_txn_restarts_total \d+/)
    assert.match(
      text,
      /hops_datanode_capacity_bytes\{datanode="dn-x",host="dn-x.invalid"\} 8589934592/,
    )
    assert.match(text, /hops_datanodes\{state="NORMAL"\} 1/)
    assert.match(text, /hops_under_replicated_blocks \d+/)
  })

  it('/ is an HTML overview with DataNodes and namespace counts', async () => {
    const res = await fetch(`${nn.url}/`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
    const html = await res.text()
    assert.match(html, /Live DataNodes<\/th><td>1</)
    assert.match(html, /dn-x\.invalid/)
    assert.match(html, /Directories<\/th><td>3</)
  })

  it('unknown paths are 404 RemoteExceptions', async () => {
    const res = await fetch(`${nn.url}/nothing-here`)
    assert.equal(res.status, 404)
    const res2 = await fetch(`${nn.url}/webhdfsx/v1/a?op=GETFILESTATUS`)
    assert.equal(res2.status, 404)
  })

  it('toRemoteException: FsError keeps its class and status; unknown errors are 500 RuntimeException', () => {
    const fnf = toRemoteException(new FsError('FILE_NOT_FOUND', 'File does not exist: /x'))
    assert.equal(fnf.status, 404)
    assert.deepEqual(JSON.parse(fnf.body), {
      RemoteException: {
        exception: 'FileNotFoundException',
        javaClassName: 'java.io.FileNotFoundException',
        message: 'File does not exist: /x',
      },
    })
    const nested = toRemoteException(new FsError('PATH_COMPONENT_TOO_LONG', 'too long'))
    assert.equal(
      (JSON.parse(nested.body) as { RemoteException: { exception: string } }).RemoteException
        .exception,
      'PathComponentTooLongException',
    )
    const bug = toRemoteException(new TypeError('x is undefined'))
    assert.equal(bug.status, 500)
    assert.equal(
      (JSON.parse(bug.body) as { RemoteException: { javaClassName: string } }).RemoteException
        .javaClassName,
      'java.lang.RuntimeException',
    )
  })

  it('logs the insecure-mode warning at start and audits operations with allowed true/false', async () => {
    const lines: Record<string, unknown>[] = []
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
    )
    const other = await startTestNameNode({ logger })
    try {
      assert.ok(lines.some((l) => l.level === 40 && /INSECURE/.test(String(l.msg))))
      await other.webhdfs('PUT', '/x', 'op=MKDIRS&user.name=hdfs')
      await other.webhdfs('PUT', '/x/y', 'op=MKDIRS&user.name=bob')
      await other.webhdfs('PUT', '/x', 'op=RENAME&destination=/z&user.name=hdfs')
      const audit = lines.filter((l) => l.component === 'audit')
      assert.deepEqual(
        audit.map((l) => [l.cmd, l.user, l.src, l.dst, l.allowed]),
        [
          ['MKDIRS', 'hdfs', '/x', undefined, true],
          ['MKDIRS', 'bob', '/x/y', undefined, false],
          ['RENAME', 'hdfs', '/x', '/z', true],
        ],
      )
      assert.equal(audit[0]!.ip, '127.0.0.1')
    } finally {
      await other.close()
    }
  })

  it('stop() closes the server and is idempotent', async () => {
    const other = await startTestNameNode()
    await other.close()
    await other.server.stop()
    await assert.rejects(fetch(`${other.url}/health`))
  })
})
