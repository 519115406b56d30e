/** Unit tests of the pure ACL transformations (cases after Hadoop's `TestAclTransformation`). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  MAX_ACL_ENTRIES,
  aclEntryToString,
  compareAclEntries,
  filterAclEntriesByAclSpec,
  filterDefaultAclEntries,
  inheritedAcl,
  mergeAclEntries,
  minimalAcl,
  permissionWithoutAcl,
  readLogicalAcl,
  replaceAclEntries,
  toStoredAcl,
} from './acl.js'
import { FsError } from './fs-error.js'
import type { FsErrorCode } from './fs-error.js'
import type { AclEntry } from './permission.js'

/** Parses `default:user:bruce:rw-` (Hadoop's ACL spec syntax) into an entry. */
function e(spec: string): AclEntry {
  const parts = spec.split(':')
  const scope = parts[0] === 'default' ? 'DEFAULT' : 'ACCESS'
  if (scope === 'DEFAULT') parts.shift()
  const [type, name, perm] = parts as [string, string, string]
  const permission =
    (perm[0] === 'r' ? 4 : 0) | (perm[1] === 'w' ? 2 : 0) | (perm[2] === 'x' ? 1 : 0)
  return { scope, type: type.toUpperCase() as AclEntry['type'], name, permission }
}
const acl = (...specs: string[]): AclEntry[] => specs.map(e)
const show = (entries: readonly AclEntry[]): string[] => entries.map(aclEntryToString)

function throwsCode(fn: () => unknown, code: FsErrorCode, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof FsError, String(err))
    assert.equal(err.code, code, err.message)
    if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

const MINIMAL = acl('user::rwx', 'group::r-x', 'other::---')

describe('ACL entry order', () => {
  it('sorts access before default, user group mask other, unnamed first', () => {
    const sorted = acl(
      'default:other::---',
      'other::r--',
      'mask::rwx',
      'group:b:r--',
      'group::r-x',
      'user:zed:rwx',
      'user:amy:r--',
      'user::rwx',
      'default:user::rwx',
    ).sort(compareAclEntries)
    assert.deepEqual(show(sorted), [
      'user::rwx',
      'user:amy:r--',
      'user:zed:rwx',
      'group::r-x',
      'group:b:r--',
      'mask::rwx',
      'other::r--',
      'default:user::rwx',
      'default:other::---',
    ])
  })
})

describe('mergeAclEntries (modifyAclEntries)', () => {
  it('adds a named user and calculates the mask as the union of the group class', () => {
    const result = mergeAclEntries(MINIMAL, acl('user:bruce:rw-'))
    assert.deepEqual(show(result), [
      'user::rwx',
      'user:bruce:rw-',
      'group::r-x',
      'mask::rwx',
      'other::---',
    ])
  })

  it('replaces an entry with the same key and recalculates the mask', () => {
    const existing = acl('user::rwx', 'user:bruce:rwx', 'group::r--', 'mask::rwx', 'other::---')
    const result = mergeAclEntries(existing, acl('user:bruce:r--'))
    assert.deepEqual(show(result), [
      'user::rwx',
      'user:bruce:r--',
      'group::r--',
      'mask::r--',
      'other::---',
    ])
  })

  it('keeps a mask the spec provides', () => {
    const result = mergeAclEntries(MINIMAL, acl('user:bruce:rwx', 'mask::r--'))
    assert.deepEqual(show(result), [
      'user::rwx',
      'user:bruce:rwx',
      'group::r-x',
      'mask::r--',
      'other::---',
    ])
  })

  it('fills a new default ACL’s base entries from the access ACL', () => {
    const result = mergeAclEntries(MINIMAL, acl('default:user:bruce:rwx'))
    assert.deepEqual(show(result), [
      'user::rwx',
      'group::r-x',
      'other::---',
      'default:user::rwx',
      'default:user:bruce:rwx',
      'default:group::r-x',
      'default:mask::rwx',
      'default:other::---',
    ])
  })

  it('refuses duplicates, named masks and over-long specs', () => {
    throwsCode(
      () => mergeAclEntries(MINIMAL, acl('user:bruce:rwx', 'user:bruce:r--')),
      'ACL_EXCEPTION',
      /multiple entries with same scope, type and name/,
    )
    throwsCode(
      () => mergeAclEntries(MINIMAL, acl('mask:bruce:rwx')),
      'ACL_EXCEPTION',
      /must not have a name: mask:bruce:rwx/,
    )
    const many = Array.from({ length: MAX_ACL_ENTRIES + 1 }, (_, i) => e(`user:u${i}:r--`))
    throwsCode(() => mergeAclEntries(MINIMAL, many), 'ACL_EXCEPTION', /ACL spec has 33 entries/)
  })

  it('refuses a result with more than 32 access entries', () => {
    const named = Array.from({ length: 28 }, (_, i) => e(`user:u${i}:r--`))
    const existing = mergeAclEntries(MINIMAL, named) // 28 + owner, group, mask, other
    assert.equal(existing.length, MAX_ACL_ENTRIES)
    throwsCode(() => mergeAclEntries(existing, acl('user:x:r--')), 'ACL_EXCEPTION', /33 access/)
  })

  it('refuses malformed entries with INVALID_ARGUMENT', () => {
    throwsCode(
      () => mergeAclEntries(MINIMAL, [{ ...e('user:a:r--'), permission: 8 }]),
      'INVALID_ARGUMENT',
    )
    throwsCode(
      () => mergeAclEntries(MINIMAL, [{ ...e('user:a:r--'), type: 'ROLE' as 'USER' }]),
      'INVALID_ARGUMENT',
    )
    throwsCode(() => mergeAclEntries(MINIMAL, [e('user:a,b:r--')]), 'INVALID_ARGUMENT')
  })
})

describe('filterAclEntriesByAclSpec (removeAclEntries)', () => {
  const extended = acl(
    'user::rwx',
    'user:bruce:rwx',
    'user:diana:r--',
    'group::r--',
    'mask::rwx',
    'other::---',
  )

  it('removes the named entries (permissions ignored) and recalculates the mask', () => {
    const result = filterAclEntriesByAclSpec(extended, acl('user:bruce:---'))
    assert.deepEqual(show(result), [
      'user::rwx',
      'user:diana:r--',
      'group::r--',
      'mask::r--',
      'other::---',
    ])
  })

  it('keeps a recalculated mask after the last named entry goes', () => {
    const result = filterAclEntriesByAclSpec(extended, acl('user:bruce:---', 'user:diana:---'))
    assert.deepEqual(show(result), ['user::rwx', 'group::r--', 'mask::r--', 'other::---'])
  })

  it('refuses to remove a mask that named entries need', () => {
    throwsCode(
      () => filterAclEntriesByAclSpec(extended, acl('mask::---')),
      'ACL_EXCEPTION',
      /mask is required and cannot be deleted/,
    )
  })

  it('refuses to remove a base entry', () => {
    throwsCode(
      () => filterAclEntriesByAclSpec(extended, acl('other::---')),
      'ACL_EXCEPTION',
      /user, group and other entries are required/,
    )
  })
})

describe('filterDefaultAclEntries (removeDefaultAcl)', () => {
  it('keeps only the access entries', () => {
    const existing = acl(
      'user::rwx',
      'group::r-x',
      'other::---',
      'default:user::rwx',
      'default:user:bruce:rwx',
      'default:group::r-x',
      'default:mask::rwx',
      'default:other::---',
    )
    assert.deepEqual(show(filterDefaultAclEntries(existing)), show(MINIMAL))
  })
})

describe('replaceAclEntries (setAcl)', () => {
  it('replaces the access scope and calculates the mask', () => {
    const result = replaceAclEntries(
      MINIMAL,
      acl('user::rw-', 'group::r--', 'group:sales:rw-', 'other::---'),
    )
    assert.deepEqual(show(result), [
      'user::rw-',
      'group::r--',
      'group:sales:rw-',
      'mask::rw-',
      'other::---',
    ])
  })

  it('keeps a default scope the spec does not mention', () => {
    const existing = acl(
      'user::rwx',
      'group::r-x',
      'other::---',
      'default:user::rwx',
      'default:group::r-x',
      'default:other::---',
    )
    const result = replaceAclEntries(existing, acl('user::rwx', 'group::---', 'other::---'))
    assert.deepEqual(show(result).slice(3), [
      'default:user::rwx',
      'default:group::r-x',
      'default:other::---',
    ])
  })

  it('needs the owner, group and other entries', () => {
    throwsCode(
      () => replaceAclEntries(MINIMAL, acl('user::rwx', 'user:bruce:r--', 'other::---')),
      'ACL_EXCEPTION',
      /the user, group and other entries are required/,
    )
  })
})

describe('stored form', () => {
  it('keeps the mask in the group bits and the owning group as an entry', () => {
    const logical = acl('user::rwx', 'user:bruce:rw-', 'group::r--', 'mask::rw-', 'other::--x')
    const stored = toStoredAcl(logical, 0o1700, true, '/d')
    assert.equal(stored.permission, 0o1761, 'sticky bit kept, mask rw- in the group bits')
    assert.deepEqual(show(stored.entries), ['user:bruce:rw-', 'group::r--'])
    assert.deepEqual(show(readLogicalAcl(stored.permission, stored.entries)), show(logical))
  })

  it('a minimal ACL stores no entries', () => {
    const stored = toStoredAcl(acl('user::rw-', 'group::r--', 'other::---'), 0o777, false, '/f')
    assert.deepEqual(stored, { permission: 0o640, entries: [] })
    assert.deepEqual(readLogicalAcl(0o640, []), minimalAcl(0o640))
  })

  it('a default-only ACL keeps the group bits as the group', () => {
    const logical = acl(
      'user::rwx',
      'group::r-x',
      'other::---',
      'default:user::rwx',
      'default:group::r-x',
      'default:other::---',
    )
    const stored = toStoredAcl(logical, 0o700, true, '/d')
    assert.equal(stored.permission, 0o750)
    assert.equal(stored.entries.length, 3)
    assert.ok(stored.entries.every((x) => x.scope === 'DEFAULT'))
    assert.deepEqual(show(readLogicalAcl(stored.permission, stored.entries)), show(logical))
  })

  it('refuses a default ACL on a file', () => {
    const logical = mergeAclEntries(MINIMAL, acl('default:user:bruce:rwx'))
    throwsCode(
      () => toStoredAcl(logical, 0o750, false, '/f'),
      'ACL_EXCEPTION',
      /only directories may have a default ACL. Path: \/f/,
    )
  })

  it('removing the ACL puts the owning group back into the group bits', () => {
    assert.equal(permissionWithoutAcl(0o1770, acl('user:bruce:rwx', 'group::r--')), 0o1740)
    assert.equal(permissionWithoutAcl(0o750, acl('default:user::rwx')), 0o750)
  })
})

describe('inheritedAcl (copyINodeDefaultAcl)', () => {
  const defaults = acl(
    'default:user::rwx',
    'default:user:bruce:rwx',
    'default:group::r-x',
    'default:mask::rwx',
    'default:other::r-x',
  )

  it('a file gets the defaults as its access ACL, filtered by the mode', () => {
    const stored = inheritedAcl(defaults, 0o750, false)!
    assert.equal(stored.permission, 0o750, 'owner rwx, mask rwx∩r-x, other r-x∩---')
    assert.deepEqual(show(stored.entries), ['user:bruce:rwx', 'group::r-x'])
  })

  it('a directory also gets the default entries', () => {
    const stored = inheritedAcl(defaults, 0o1755, true)!
    assert.equal(stored.permission, 0o1755)
    assert.deepEqual(show(stored.entries), ['user:bruce:rwx', 'group::r-x', ...show(defaults)])
  })

  it('a minimal default ACL filters the group and leaves a file with mode bits only', () => {
    const minimal = acl('default:user::rwx', 'default:group::rwx', 'default:other::r--')
    assert.deepEqual(inheritedAcl(minimal, 0o755, false), { permission: 0o754, entries: [] })
    const dir = inheritedAcl(minimal, 0o755, true)!
    assert.equal(dir.permission, 0o754)
    assert.deepEqual(show(dir.entries), show(minimal))
  })

  it('no default entries, nothing inherited', () => {
    assert.equal(inheritedAcl([], 0o755, true), undefined)
  })
})
