import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FileStatus } from '../../client/types.js'
import {
  countHeader,
  duRow,
  formatCount,
  formatGetfacl,
  formatLsTime,
  formatStat,
  formatTable,
  humanSize,
  LsFormatter,
} from './dfs-format.js'

const T = Date.UTC(2024, 4, 1, 12, 34, 56)

function status(over: Partial<FileStatus>): FileStatus {
  return {
    pathSuffix: 'f',
    type: 'FILE',
    length: 1234,
    owner: 'alice',
    group: 'supergroup',
    permission: 0o644,
    accessTime: T,
    modificationTime: T,
    blockSize: 134217728,
    replication: 3,
    aclBit: false,
    encBit: false,
    ecBit: false,
    ...over,
  }
}

describe('hops dfs output formats', () => {
  it('formats sizes like TraditionalBinaryPrefix.long2String', () => {
    assert.equal(humanSize(0), '0')
    assert.equal(humanSize(1023), '1023')
    assert.equal(humanSize(1024), '1 K')
    assert.equal(humanSize(1536), '1.5 K')
    assert.equal(humanSize(128 * 1024 * 1024), '128 M')
    assert.equal(humanSize(1024 * 1024 - 1), '1.0 M') // rounds up to the next prefix, as Hadoop
    assert.equal(humanSize(5 * 1024 ** 4), '5 T')
  })

  it('formats -ls lines with Hadoop column widths', () => {
    const fmt = new LsFormatter(false)
    const dir = status({ type: 'DIRECTORY', length: 0, replication: 0, permission: 0o755 })
    const file = status({ aclBit: true })
    fmt.adjust([dir, file])
    const time = formatLsTime(T)
    assert.equal(fmt.format(dir, '/d'), `drwxr-xr-x   - alice supergroup          0 ${time} /d`)
    assert.equal(
      fmt.format(file, '/d/f'),
      `-rw-r--r--+  3 alice supergroup       1234 ${time} /d/f`,
    )
    const sticky = status({ type: 'DIRECTORY', permission: 0o1777, length: 0 })
    assert.match(fmt.format(sticky, '/tmp'), /^drwxrwxrwt /)
  })

  it('widens -ls columns and never narrows them', () => {
    const fmt = new LsFormatter(true)
    fmt.adjust([status({ owner: 'a-much-longer-owner', length: 12345678901 })])
    fmt.adjust([status({ owner: 'b' })])
    const line = fmt.format(status({ owner: 'b', length: 1536 }), 'x')
    assert.match(line, /^-rw-r--r-- {3}3 b {19}supergroup {7}1\.5 K /)
  })

  it('prints -du tables two spaces apart, left-aligned', () => {
    const rows = [
      duRow(
        { directoryCount: 1, fileCount: 1, length: 0, quota: -1, spaceConsumed: 0, spaceQuota: -1 },
        '/a',
        false,
      ),
      duRow(
        {
          directoryCount: 1,
          fileCount: 1,
          length: 1536,
          quota: -1,
          spaceConsumed: 4608,
          spaceQuota: -1,
        },
        '/bb',
        true,
      ),
    ]
    assert.deepEqual(formatTable(rows), ['0      0      /a', '1.5 K  4.5 K  /bb'])
    assert.deepEqual(
      formatTable(
        [
          ['Filesystem', 'Size'],
          ['webhdfs://nn:9870', '10'],
        ],
        new Set([1]),
      ),
      ['Filesystem         Size', 'webhdfs://nn:9870    10'],
    )
  })

  it('prints -count lines with and without quotas', () => {
    const cs = {
      directoryCount: 2,
      fileCount: 3,
      length: 100,
      quota: 10,
      spaceConsumed: 300,
      spaceQuota: -1,
    }
    assert.equal(
      formatCount(cs, '/d', { quotas: false, human: false }),
      '           2            3                100 /d',
    )
    assert.equal(
      formatCount(cs, '/d', { quotas: true, human: false }),
      '          10               5            none             inf            2            3                100 /d',
    )
    assert.equal(countHeader(false), '   DIR_COUNT   FILE_COUNT       CONTENT_SIZE PATHNAME')
  })

  it('formats -stat like Hadoop Stat (times in UTC)', () => {
    const s = status({ permission: 0o755 })
    assert.equal(
      formatStat('%n %b %y %F %a %A %r %o %u:%g %%', s, 'f'),
      'f 1234 2024-05-01 12:34:56 regular file 755 rwxr-xr-x 3 134217728 alice:supergroup %',
    )
    assert.equal(formatStat('%Y', s, 'f'), String(T))
    assert.equal(formatStat('%F', status({ type: 'DIRECTORY' }), 'd'), 'directory')
  })

  it('prints getfacl with the mask applied as #effective', () => {
    const lines = formatGetfacl('/d', {
      owner: 'alice',
      group: 'eng',
      permission: 0o1750, // mask r-x
      stickyBit: true,
      entries: [
        { scope: 'ACCESS', type: 'USER', name: 'bob', permission: 7 },
        { scope: 'ACCESS', type: 'GROUP', name: '', permission: 5 },
        { scope: 'DEFAULT', type: 'USER', name: '', permission: 7 },
        { scope: 'DEFAULT', type: 'GROUP', name: '', permission: 5 },
        { scope: 'DEFAULT', type: 'OTHER', name: '', permission: 0 },
      ],
    })
    assert.deepEqual(lines, [
      '# file: /d',
      '# owner: alice',
      '# group: eng',
      '# flags: --t',
      'user::rwx',
      'user:bob:rwx\t#effective:r-x',
      'group::r-x',
      'mask::r-x',
      'other::---',
      'default:user::rwx',
      'default:group::r-x',
      'default:other::---',
      '',
    ])
    assert.deepEqual(
      formatGetfacl('/f', {
        owner: 'o',
        group: 'g',
        permission: 0o640,
        stickyBit: false,
        entries: [],
      }).slice(3),
      ['user::rw-', 'group::r--', 'other::---', ''],
    )
  })
})
