import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildWebHdfsUrl, webhdfsUrlPath } from './webhdfs-client.js'
import {
  toAclStatus,
  toContentSummary,
  toDirectoryListing,
  toFileStatus,
  toXAttrNames,
  toXAttrs,
} from './webhdfs-json.js'

describe('WebHDFS JSON and URLs', () => {
  it('reads a FileStatus with octal permission strings and optional fields', () => {
    const s = toFileStatus({
      accessTime: 1,
      blockSize: 134217728,
      group: 'supergroup',
      length: 24930,
      modificationTime: 2,
      owner: 'webuser',
      pathSuffix: 'a.patch',
      permission: '1777',
      replication: 1,
      type: 'FILE',
      aclBit: true,
    })
    assert.equal(s.permission, 0o1777)
    assert.equal(s.aclBit, true)
    assert.equal(s.ecBit, false)
    assert.throws(() => toFileStatus({ type: 'FILE' }), /Malformed WebHDFS reply/)
  })

  it('reads a DirectoryListing page', () => {
    const page = toDirectoryListing({
      DirectoryListing: {
        partialListing: { FileStatuses: { FileStatus: [] } },
        remainingEntries: 0,
      },
    })
    assert.deepEqual(page, { entries: [], remainingEntries: 0 })
  })

  it('reads ContentSummary and AclStatus', () => {
    const cs = toContentSummary({
      ContentSummary: {
        directoryCount: 2,
        fileCount: 1,
        length: 24930,
        quota: -1,
        spaceConsumed: 24930,
        spaceQuota: -1,
      },
    })
    assert.equal(cs.directoryCount, 2)
    const acl = toAclStatus({
      AclStatus: {
        entries: ['user:carla:rw-', 'group::r-x'],
        group: 'g',
        owner: 'o',
        permission: '775',
        stickyBit: true,
      },
    })
    assert.equal(acl.permission, 0o1775)
    assert.deepEqual(acl.entries[0], {
      scope: 'ACCESS',
      type: 'USER',
      name: 'carla',
      permission: 6,
    })
  })

  it('reads xattrs with encoded values and XAttrNames as a JSON string', () => {
    const x = toXAttrs({
      XAttrs: [
        { name: 'user.a', value: '0x6869' },
        { name: 'user.b', value: null },
      ],
    })
    assert.deepEqual(x.get('user.a'), Buffer.from('hi'))
    assert.equal(x.get('user.b')?.length, 0)
    assert.deepEqual(toXAttrNames({ XAttrNames: '["user.a","user.b"]' }), ['user.a', 'user.b'])
  })

  it('builds URLs with encoded paths, repeated params and no undefined values', () => {
    assert.equal(webhdfsUrlPath('/a b/c%d'), '/webhdfs/v1/a%20b/c%25d')
    assert.equal(webhdfsUrlPath('/'), '/webhdfs/v1/')
    const url = buildWebHdfsUrl('http://nn:9870/', '/x', 'GETXATTRS', {
      'xattr.name': ['user.a', 'user.b'],
      encoding: 'HEX',
      skipped: undefined,
    })
    assert.equal(
      url.toString(),
      'http://nn:9870/webhdfs/v1/x?op=GETXATTRS&xattr.name=user.a&xattr.name=user.b&encoding=HEX',
    )
  })
})
