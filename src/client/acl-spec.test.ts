import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatAclSpec, parseAclEntry, parseAclSpec, parseFsAction } from './acl-spec.js'

describe('ACL specs', () => {
  it('parses named, unnamed and default entries like Hadoop', () => {
    assert.deepEqual(parseAclSpec('user:bob:rwx,group::r-x,default:mask::rw-,other::---', true), [
      { scope: 'ACCESS', type: 'USER', name: 'bob', permission: 7 },
      { scope: 'ACCESS', type: 'GROUP', name: '', permission: 5 },
      { scope: 'DEFAULT', type: 'MASK', name: '', permission: 6 },
      { scope: 'ACCESS', type: 'OTHER', name: '', permission: 0 },
    ])
  })

  it('accepts entries without permissions for removal, with or without the trailing colon', () => {
    assert.deepEqual(parseAclSpec('user:bob,default:group:eng:', false), [
      { scope: 'ACCESS', type: 'USER', name: 'bob' },
      { scope: 'DEFAULT', type: 'GROUP', name: 'eng' },
    ])
  })

  it('rejects malformed entries with Hadoop messages', () => {
    assert.throws(() => parseAclEntry('user:bob', true), /Invalid <aclSpec> : user:bob/)
    assert.throws(() => parseAclEntry('owner:bob:rwx', true), /Invalid type of acl/)
    assert.throws(() => parseAclEntry('user:bob:rwz', true), /Invalid permission/)
    assert.throws(() => parseAclEntry('user:bob:rwx:x', true), /Invalid <aclSpec>/)
    assert.throws(() => parseAclEntry('user:bob:rwx', false), /Invalid <aclSpec>/)
    assert.throws(() => parseAclEntry('default', true), /Invalid <aclSpec>/)
  })

  it('round-trips through formatAclSpec', () => {
    const spec = 'user::rwx,user:bob:r--,group::r-x,mask::r-x,other::---,default:user:bob:rw-'
    assert.equal(formatAclSpec(parseAclSpec(spec, true)), spec)
    assert.equal(
      formatAclSpec(parseAclSpec('user:bob,default:group:eng', false)),
      'user:bob,default:group:eng',
    )
  })

  it('parses FsAction symbols', () => {
    assert.equal(parseFsAction('r-x'), 5)
    assert.equal(parseFsAction('---'), 0)
    assert.equal(parseFsAction('rwx'), 7)
    assert.equal(parseFsAction('xwr'), undefined)
  })
})
