import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import {
  applyChmod,
  childDisplay,
  globToRegExp,
  parseGlobalArgs,
  parseOptions,
  parseOwnerGroup,
  resolveHdfsPath,
  UsageError,
} from './dfs-args.js'
import { runDfs } from './dfs.js'

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => (out += c.toString()))
  stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await runDfs(
    argv,
    { stdout, stderr, stdin: new PassThrough(), stderrIsTTY: false },
    {},
  )
  return { code, out, err }
}

describe('hops dfs arguments', () => {
  it('splits global options from the command, Hadoop spelling included', () => {
    const p = parseGlobalArgs(
      ['--namenode', 'http://a:1,http://b:2', '-u', 'bob', '-ls', '-R', '/'],
      {},
    )
    assert.deepEqual(p.global, { namenodes: ['http://a:1', 'http://b:2'], user: 'bob' })
    assert.equal(p.command, '-ls')
    assert.deepEqual(p.args, ['-R', '/'])
    const late = parseGlobalArgs(['-count', '-u', '/q', '--namenode=http://c:3'], {
      HADOOP_USER_NAME: 'eve',
    })
    assert.deepEqual(late.args, ['-u', '/q']) // -u after the command is -count's own flag
    assert.deepEqual(late.global, { namenodes: ['http://c:3'], user: 'eve' })
    const env = parseGlobalArgs(['-ls'], { HOPS_NAMENODE: 'webhdfs://x:9870' })
    assert.deepEqual(env.global.namenodes, ['http://x:9870'])
  })

  it('parses command options like CommandFormat', () => {
    const o = parseOptions(['-r', '-skipTrash', '/a', '-f'], { flags: ['r', 'f', 'skipTrash'] })
    assert.deepEqual([...o.flags].sort(), ['r', 'skipTrash'])
    assert.deepEqual(o.operands, ['/a', '-f']) // options end at the first operand
    assert.deepEqual([...parseOptions(['-rf', 'x'], { flags: ['r', 'f'] }).flags].sort(), [
      'f',
      'r',
    ])
    const facl = parseOptions(['-R', '--set', 'user::rwx', '/p'], {
      flags: ['R'],
      values: ['-set'],
    })
    assert.equal(facl.values.get('-set'), 'user::rwx')
    assert.deepEqual(parseOptions(['-', '/dst'], { flags: ['f'] }).operands, ['-', '/dst'])
    assert.throws(
      () => parseOptions(['-z'], { flags: ['r'] }),
      (e: unknown) => e instanceof UsageError && e.message === 'Illegal option -z',
    )
    assert.throws(() => parseOptions([], { min: 1 }), /Not enough arguments: expected 1 but got 0/)
    assert.throws(
      () => parseOptions(['a', 'b'], { max: 1 }),
      /Too many arguments: expected 1 but got 2/,
    )
  })

  it('resolves paths against the home directory and strips URI authorities', () => {
    assert.equal(resolveHdfsPath('/a/b/', '/user/u'), '/a/b')
    assert.equal(resolveHdfsPath('x/../y', '/user/u'), '/user/u/y')
    assert.equal(resolveHdfsPath('.', '/user/u'), '/user/u')
    assert.equal(resolveHdfsPath('hdfs://nn:8020/data', '/user/u'), '/data')
    assert.equal(resolveHdfsPath('webhdfs://nn:9870', '/user/u'), '/')
    assert.equal(childDisplay('/', 'a'), '/a')
    assert.equal(childDisplay('.', 'a'), 'a')
    assert.equal(childDisplay('dir', 'a'), 'dir/a')
  })

  it('matches glob components like GlobPattern', () => {
    assert.ok(globToRegExp('*.csv').test('a.csv'))
    assert.ok(!globToRegExp('*.csv').test('a.csvx'))
    assert.ok(globToRegExp('part-{0,1}?').test('part-07'))
    assert.ok(globToRegExp('[!a]b').test('cb'))
    assert.ok(!globToRegExp('[!a]b').test('ab'))
    assert.ok(globToRegExp('a.b').test('a.b') && !globToRegExp('a.b').test('axb'))
    assert.throws(() => globToRegExp('[ab'), UsageError)
  })

  it('applies octal and symbolic chmod modes', () => {
    assert.equal(applyChmod('755', 0o644, false), 0o755)
    assert.equal(applyChmod('1777', 0, true), 0o1777)
    assert.equal(applyChmod('u+x,go-r', 0o644, false), 0o700)
    assert.equal(applyChmod('a=rX', 0o700, true), 0o555)
    assert.equal(applyChmod('a=rX', 0o600, false), 0o444)
    assert.equal(applyChmod('+t', 0o777, true), 0o1777)
    assert.equal(applyChmod('o-t', 0o1777, true), 0o777)
    assert.throws(() => applyChmod('u+q', 0, false), UsageError)
  })

  it('parses chown specs', () => {
    assert.deepEqual(parseOwnerGroup('bob'), { owner: 'bob' })
    assert.deepEqual(parseOwnerGroup('bob:eng'), { owner: 'bob', group: 'eng' })
    assert.deepEqual(parseOwnerGroup(':eng'), { group: 'eng' })
    assert.throws(() => parseOwnerGroup('bo b'), UsageError)
  })
})

describe('hops dfs dispatcher', () => {
  it('prints usage and exits 255 without a command', async () => {
    const r = await run([])
    assert.equal(r.code, 255)
    assert.match(r.err, /^Usage: hops dfs/)
  })

  it('answers -help on stdout with exit 0', async () => {
    const r = await run(['-help'])
    assert.equal(r.code, 0)
    assert.match(r.out, /-ls \[-C\] \[-d\] \[-h\] \[-R\]/)
  })

  it('rejects unknown commands like FsShell', async () => {
    assert.deepEqual(await run(['-nope']), { code: 255, out: '', err: '-nope: Unknown command\n' })
    const r = await run(['ls'])
    assert.equal(r.code, 255)
    assert.match(r.err, /Did you mean -ls\?/)
  })

  it('reports illegal options with the command usage and exit 255', async () => {
    const r = await run(['--namenode', 'http://127.0.0.1:9', '-mkdir', '-z', '/a'])
    assert.equal(r.code, 255)
    assert.equal(r.err.split('\n')[0], '-mkdir: Illegal option -z')
    assert.match(r.err, /Usage: hops dfs .* -mkdir \[-p\] <path> \.\.\./)
  })

  it('reports connection failures as a command error with exit 1', async () => {
    const r = await run(['--namenode', 'http://127.0.0.1:9', '-ls', '/'])
    assert.equal(r.code, 1)
    assert.match(r.err, /^ls: GETFILESTATUS \/: connect ECONNREFUSED/)
  })
})
