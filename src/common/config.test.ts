import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError, envName, flagName, loadConfig, redactConfig } from './config.js'
import type { ConfigSpec } from './config.js'
import { DATANODE_CONFIG, loadDataNodeConfig } from '../datanode/config.js'
import { loadNameNodeConfig, namenodeDeadAfterMs } from '../namenode/config.js'

const SPEC = {
  meta: { type: 'string', required: true, secret: true, doc: 'db' },
  port: { type: 'int', default: 9870, min: 0, max: 65535, doc: 'port' },
  heartbeatIntervalMs: {
    type: 'int',
    default: 1000,
    min: 10,
    doc: 'hb',
    hadoop: { name: 'dfs.heartbeat.interval', scale: 1000 },
  },
  blockSize: { type: 'int', size: true, doc: 'bs', hadoop: { name: 'dfs.blocksize' } },
  sync: { type: 'bool', default: false, doc: 'sync' },
  urls: { type: 'list', doc: 'urls' },
} as const satisfies ConfigSpec

function file(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hops-config-')), 'c.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

describe('loadConfig', () => {
  it('names: env UPPER_SNAKE with the prefix, flags kebab-case', () => {
    assert.equal(envName('NAMENODE', 'heartbeatIntervalMs'), 'NAMENODE_HEARTBEAT_INTERVAL_MS')
    assert.equal(flagName('heartbeatIntervalMs'), 'heartbeat-interval-ms')
  })

  it('defaults < file < env < flags', () => {
    const f = file({ meta: 'sqlite:/f.db', port: 1, heartbeatIntervalMs: 11, sync: true })
    const c = loadConfig(SPEC, 'NN', {
      file: f,
      env: { NN_PORT: '2', NN_META: 'sqlite:/e.db', OTHER_X: 'ignored' },
      flags: { port: '3', urls: undefined },
    })
    assert.deepEqual(
      { ...c },
      {
        meta: 'sqlite:/e.db',
        port: 3,
        heartbeatIntervalMs: 11,
        sync: true,
      },
    )
    assert.ok(Object.isFrozen(c))
    const d = loadConfig(SPEC, 'NN', { env: { NN_META: 'x' } })
    assert.equal(d.port, 9870)
    assert.equal(d.blockSize, undefined)
  })

  it('accepts Hadoop names in files, with their units', () => {
    const c = loadConfig(SPEC, 'NN', {
      file: file({ meta: 'm', 'dfs.heartbeat.interval': 3, 'dfs.blocksize': '128m' }),
    })
    assert.equal(c.heartbeatIntervalMs, 3000)
    assert.equal(c.blockSize, 128 * 1024 * 1024)
  })

  it('parses lists and booleans from strings; freezes lists', () => {
    const c = loadConfig(SPEC, 'NN', {
      env: { NN_META: 'm', NN_URLS: 'http://a:1, http://b:2', NN_SYNC: 'true' },
    })
    assert.deepEqual(c.urls, ['http://a:1', 'http://b:2'])
    assert.ok(Object.isFrozen(c.urls))
    assert.equal(c.sync, true)
  })

  it('refuses unknown keys, bad values and missing required keys with one-line errors', () => {
    const bad: [Parameters<typeof loadConfig>[2], RegExp][] = [
      [{ file: file({ meta: 'm', prot: 1 }) }, /^unknown key 'prot' in .*c\.json \(known: meta,/],
      [{ env: { NN_META: 'm', NN_PROT: '1' } }, /^unknown environment variable NN_PROT/],
      [
        { env: { NN_META: 'm' }, flags: { port: '70000' } },
        /^port must be an integer in 0\.\.65535, got "70000" \(from --port\)$/,
      ],
      [{ env: { NN_META: 'm', NN_PORT: '1.5' } }, /^port must be an integer .*\(from NN_PORT\)$/],
      [{ env: { NN_META: 'm', NN_SYNC: 'yes' } }, /^sync must be true or false/],
      [{ file: file({ meta: 'm', port: 'x' }) }, /^port must be an integer .*'port' in /],
      [{ file: file('{nope') }, /^config file .* is not JSON/],
      [{ file: file([1]) }, /must hold a JSON object/],
      [{ file: '/nonexistent/x.json' }, /^cannot read config file/],
      [{}, /^meta is required: set --meta, NN_META or "meta" in the config file$/],
    ]
    for (const [sources, message] of bad) {
      assert.throws(
        () => loadConfig(SPEC, 'NN', sources),
        (err: Error) => {
          assert.ok(err instanceof ConfigError)
          assert.match(err.message, message)
          assert.ok(!err.message.includes('\n'))
          return true
        },
      )
    }
  })

  it('redacts secrets for the log', () => {
    const c = loadConfig(SPEC, 'NN', {
      env: { NN_META: 'postgres://hops:s3cret@db:5432/hops?password=x' },
    })
    const r = redactConfig(SPEC, c)
    assert.equal(r.meta, 'postgres://hops:****@db:5432/hops?password=****')
    assert.ok(!JSON.stringify(r).includes('s3cret'))
  })
})

describe('role configs', () => {
  it('namenode: Hadoop names, dead-after from the heartbeat settings', () => {
    const c = loadNameNodeConfig({
      file: file({
        meta: 'sqlite:/x.db',
        'dfs.replication': 2,
        'dfs.blocksize': '1m',
        'dfs.namenode.replication.interval': 1,
      }),
      env: { NAMENODE_HEARTBEAT_INTERVAL_MS: '200' },
    })
    assert.equal(c.replication, 2)
    assert.equal(c.blockSize, 1 << 20)
    assert.equal(c.replicationCheckIntervalMs, 1000)
    assert.equal(namenodeDeadAfterMs(c), 600)
    assert.throws(
      () => loadNameNodeConfig({ env: { NAMENODE_META: 'm', NAMENODE_BLOCK_SIZE: '1000' } }),
      /blockSize must be a multiple of 512/,
    )
    assert.throws(
      () => loadNameNodeConfig({ env: { NAMENODE_META: 'm', NAMENODE_MISSED_HEARTBEATS: '1' } }),
      /missedHeartbeats must be an integer in 2\.\.1000/,
    )
  })

  it('datanode: NameNode URLs validated, dfs.heartbeat.interval in seconds', () => {
    const c = loadDataNodeConfig({
      file: file({ 'dfs.heartbeat.interval': 3, 'dfs.datanode.synconclose': true }),
      flags: { namenodes: 'http://a:1,http://b:2', dir: '/d' },
    })
    assert.equal(c.heartbeatIntervalMs, 3000)
    assert.equal(c.syncOnClose, true)
    assert.deepEqual(c.namenodes, ['http://a:1', 'http://b:2'])
    assert.equal(c.port, DATANODE_CONFIG.port.default)
    assert.throws(
      () => loadDataNodeConfig({ flags: { namenodes: 'a:1', dir: '/d' } }),
      /namenodes must be http\(s\) URLs/,
    )
  })
})
