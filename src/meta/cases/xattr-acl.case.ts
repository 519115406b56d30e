/** Conformance cases: extended attributes and ACLs (HDFS `FSDirXAttrOp`, `FSDirAclOp`). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AclEntry } from '../../common/permission.js'
import type { EngineFactory } from '../meta-engine.case.js'
import type { SqlMetaEngine } from '../sql/sql-meta-engine.js'
import { rejectsWith } from './namespace.case.js'
import { ALICE, BOB, SUPER, withEngine } from './with-engine.js'

/** Parses Hadoop's ACL spec syntax: `user:bob:r-x,default:mask::rwx`. */
function aclSpec(spec: string): AclEntry[] {
  return spec.split(',').map((text) => {
    const parts = text.split(':')
    const scope = parts[0] === 'default' ? 'DEFAULT' : 'ACCESS'
    if (scope === 'DEFAULT') parts.shift()
    const [type = '', name = '', perm = '---'] = parts
    const permission =
      (perm[0] === 'r' ? 4 : 0) | (perm[1] === 'w' ? 2 : 0) | (perm[2] === 'x' ? 1 : 0)
    return { scope, type: type.toUpperCase() as AclEntry['type'], name, permission }
  })
}

/** Formats entries back into spec syntax, for readable assertions. */
function specOf(entries: readonly AclEntry[]): string {
  const sym = (p: number): string => (p & 4 ? 'r' : '-') + (p & 2 ? 'w' : '-') + (p & 1 ? 'x' : '-')
  return entries
    .map(
      (e) =>
        `${e.scope === 'DEFAULT' ? 'default:' : ''}${e.type.toLowerCase()}:${e.name}:${sym(e.permission)}`,
    )
    .join(',')
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Rows of a table, counted in the database itself (to see cascades). */
async function countRows(e: SqlMetaEngine, table: 'xattrs' | 'acl_entries'): Promise<number> {
  const row = await e.withTxn(SUPER, { readOnly: true }, (op) =>
    op.txn.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`),
  )
  return Number(row?.n ?? 0)
}

/** A home directory for alice with one file, as the superuser sets it up. */
async function aliceHome(e: SqlMetaEngine): Promise<void> {
  await e.mkdirs({ path: '/home/alice', permission: 0o755, umask: 0 }, SUPER)
  await e.setOwner('/home/alice', 'alice', 'staff', SUPER)
  await e.create({ path: '/home/alice/f', clientName: 'c', permission: 0o644, umask: 0 }, ALICE)
}

export function xattrAclCases(factory: EngineFactory): void {
  describe('xattrs', () => {
    it('sets, gets, lists and removes binary values', () =>
      withEngine(factory, async (e) => {
        await aliceHome(e)
        const binary = Uint8Array.from({ length: 256 }, (_, i) => i)
        await e.setXAttr('/home/alice/f', { name: 'user.bin', value: binary }, [], ALICE)
        await e.setXAttr('/home/alice/f', { name: 'USER.Tag', value: bytes('v1') }, [], ALICE)
        await e.setXAttr(
          '/home/alice/f',
          { name: 'user.empty', value: new Uint8Array() },
          [],
          ALICE,
        )
        assert.deepEqual(await e.listXAttrs('/home/alice/f', ALICE), [
          'user.Tag',
          'user.bin',
          'user.empty',
        ])
        const all = await e.getXAttrs('/home/alice/f', undefined, ALICE)
        assert.deepEqual(
          all.map((x) => x.name),
          ['user.Tag', 'user.bin', 'user.empty'],
        )
        assert.deepEqual(Uint8Array.from(all[1]!.value), binary, 'bytes come back unchanged')
        assert.equal(all[2]!.value.length, 0)
        const some = await e.getXAttrs('/home/alice/f', ['user.bin', 'uSeR.Tag'], ALICE)
        assert.deepEqual(
          some.map((x) => [x.name, Buffer.from(x.value).toString('latin1')]),
          [
            ['user.bin', Buffer.from(binary).toString('latin1')],
            ['user.Tag', 'v1'],
          ],
          'named xattrs come back in the order asked; the prefix is case-insensitive',
        )
        await rejectsWith(e.getXAttrs('/home/alice/f', ['user.tag'], ALICE), 'IO_ERROR') // names are case-sensitive
        await e.removeXAttr('/home/alice/f', 'user.bin', ALICE)
        assert.deepEqual(await e.listXAttrs('/home/alice/f', ALICE), ['user.Tag', 'user.empty'])
        const err = await rejectsWith(e.removeXAttr('/home/alice/f', 'user.bin', ALICE), 'IO_ERROR')
        assert.match(err.message, /No matching attributes found/)
        await e.setXAttr('/', { name: 'user.root', value: bytes('r') }, [], SUPER)
        assert.deepEqual(await e.listXAttrs('/', ALICE), ['user.root'])
      }))

    it('honours the CREATE and REPLACE flags', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, SUPER)
        const set = (value: string, flags: ('CREATE' | 'REPLACE')[]) =>
          e.setXAttr('/f', { name: 'user.a', value: bytes(value) }, flags, SUPER)
        const value = async () =>
          Buffer.from((await e.getXAttrs('/f', ['user.a'], SUPER))[0]!.value).toString()
        let err = await rejectsWith(set('x', ['REPLACE']), 'IO_ERROR')
        assert.match(err.message, /XAttr: a does not exist/)
        await set('1', ['CREATE'])
        err = await rejectsWith(set('2', ['CREATE']), 'IO_ERROR')
        assert.match(err.message, /XAttr: a already exists/)
        assert.equal(await value(), '1')
        await set('3', ['REPLACE'])
        assert.equal(await value(), '3')
        await set('4', ['CREATE', 'REPLACE'])
        await set('5', [])
        assert.equal(await value(), '5')
        await e.setXAttr('/f', { name: 'user.b', value: bytes('b') }, ['CREATE', 'REPLACE'], SUPER)
        assert.deepEqual(await e.listXAttrs('/f', SUPER), ['user.a', 'user.b'])
      }))

    it('refuses names without a known namespace prefix', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, SUPER)
        for (const name of ['plain', 'a.b', 'bogus.x', 'usr.x', '.user', ''])
          await rejectsWith(
            e.setXAttr('/f', { name, value: bytes('v') }, [], SUPER),
            'INVALID_ARGUMENT',
          )
        const err = await rejectsWith(
          e.setXAttr('/f', { name: 'user.', value: bytes('v') }, [], SUPER),
          'INVALID_ARGUMENT',
        )
        assert.match(err.message, /cannot be empty/)
        await rejectsWith(e.getXAttrs('/f', ['nope'], SUPER), 'INVALID_ARGUMENT')
        await rejectsWith(e.removeXAttr('/f', 'nope.x', SUPER), 'INVALID_ARGUMENT')
        await rejectsWith(
          e.setXAttr('/missing', { name: 'user.a', value: bytes('v') }, [], SUPER),
          'FILE_NOT_FOUND',
        )
        await rejectsWith(e.getXAttrs('/missing', undefined, SUPER), 'FILE_NOT_FOUND')
        await rejectsWith(e.listXAttrs('/missing', SUPER), 'FILE_NOT_FOUND')
        const notFound = await rejectsWith(e.getXAttrs('/f', ['user.none'], SUPER), 'IO_ERROR')
        assert.equal(notFound.message, 'At least one of the attributes provided was not found.')
      }))

    it('user xattrs need WRITE to change and READ to get; names need only traversal', () =>
      withEngine(factory, async (e) => {
        await aliceHome(e)
        await e.setXAttr('/home/alice/f', { name: 'user.a', value: bytes('1') }, [], ALICE)
        await rejectsWith(
          e.setXAttr('/home/alice/f', { name: 'user.b', value: bytes('2') }, [], BOB),
          'ACCESS_DENIED',
        )
        await rejectsWith(e.removeXAttr('/home/alice/f', 'user.a', BOB), 'ACCESS_DENIED')
        assert.equal((await e.getXAttrs('/home/alice/f', undefined, BOB)).length, 1)
        await e.setPermission('/home/alice/f', 0o600, ALICE)
        await rejectsWith(e.getXAttrs('/home/alice/f', undefined, BOB), 'ACCESS_DENIED')
        await rejectsWith(e.getXAttrs('/home/alice/f', ['user.a'], BOB), 'ACCESS_DENIED')
        assert.deepEqual(await e.listXAttrs('/home/alice/f', BOB), ['user.a'])
        await e.setPermission('/home/alice', 0o700, ALICE)
        await rejectsWith(e.listXAttrs('/home/alice/f', BOB), 'ACCESS_DENIED')
        await e.setPermission('/home/alice/f', 0o666, ALICE)
        await e.setPermission('/home/alice', 0o755, ALICE)
        await e.setXAttr('/home/alice/f', { name: 'user.b', value: bytes('2') }, [], BOB)
        await e.removeXAttr('/home/alice/f', 'user.a', BOB)
        assert.deepEqual(await e.listXAttrs('/home/alice/f', ALICE), ['user.b'])
      }))

    it('on a sticky-bit directory only its owner changes user xattrs', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/tmp', permission: 0o1777, umask: 0 }, SUPER)
        await e.setOwner('/tmp', 'alice', undefined, SUPER)
        await rejectsWith(
          e.setXAttr('/tmp', { name: 'user.a', value: bytes('1') }, [], BOB),
          'ACCESS_DENIED',
        )
        await e.setXAttr('/tmp', { name: 'user.a', value: bytes('1') }, [], ALICE)
        await e.setPermission('/tmp', 0o777, ALICE)
        await e.setXAttr('/tmp', { name: 'user.b', value: bytes('1') }, [], BOB)
      }))

    it('trusted is for the superuser; system and raw for nobody; security for one name', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d', permission: 0o777, umask: 0 }, SUPER)
        await e.create({ path: '/d/f', clientName: 'c', permission: 0o666, umask: 0 }, ALICE)
        const v = bytes('v')
        await rejectsWith(
          e.setXAttr('/d/f', { name: 'trusted.t', value: v }, [], ALICE),
          'ACCESS_DENIED',
        )
        await e.setXAttr('/d/f', { name: 'TRUSTED.t', value: v }, [], SUPER)
        await e.setXAttr('/d/f', { name: 'user.u', value: v }, [], ALICE)
        for (const name of ['system.s', 'raw.r', 'security.other']) {
          const err = await rejectsWith(
            e.setXAttr('/d/f', { name, value: v }, [], SUPER),
            'ACCESS_DENIED',
          )
          assert.match(err.message, /User doesn't have permission for xattr/)
          await rejectsWith(e.getXAttrs('/d/f', [name], SUPER), 'ACCESS_DENIED')
        }
        assert.deepEqual(await e.listXAttrs('/d/f', ALICE), ['user.u'], 'trusted is hidden')
        assert.deepEqual(await e.listXAttrs('/d/f', SUPER), ['user.u', 'trusted.t'])
        await rejectsWith(e.getXAttrs('/d/f', ['trusted.t'], ALICE), 'ACCESS_DENIED')
        assert.equal((await e.getXAttrs('/d/f', undefined, ALICE)).length, 1)
        await rejectsWith(e.removeXAttr('/d/f', 'trusted.t', ALICE), 'ACCESS_DENIED')

        const unreadable = 'security.hdfs.unreadable.by.superuser'
        await rejectsWith(
          e.setXAttr('/d/f', { name: unreadable, value: v }, [], ALICE),
          'ACCESS_DENIED',
        )
        const onDir = await rejectsWith(
          e.setXAttr('/d', { name: unreadable, value: new Uint8Array() }, [], SUPER),
          'IO_ERROR',
        )
        assert.match(onDir.message, /Can only set .* on a file/)
        await e.setXAttr('/d/f', { name: unreadable, value: new Uint8Array() }, [], ALICE)
        assert.deepEqual(await e.listXAttrs('/d/f', BOB), ['user.u', unreadable])
        await rejectsWith(e.removeXAttr('/d/f', unreadable, SUPER), 'ACCESS_DENIED')
        await e.removeXAttr('/d/f', 'trusted.t', SUPER)
      }))

    it('limits the size of one xattr and the number per inode', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, SUPER)
        const max = 16384
        // The size counts the name without its prefix, plus the value.
        await e.setXAttr('/f', { name: 'user.ab', value: new Uint8Array(max - 2) }, [], SUPER)
        const err = await rejectsWith(
          e.setXAttr('/f', { name: 'user.abc', value: new Uint8Array(max - 2) }, [], SUPER),
          'INVALID_ARGUMENT',
        )
        assert.match(err.message, /The XAttr is too big/)
        await e.setXAttr('/f', { name: 'trusted.t', value: bytes('t') }, [], SUPER)
        for (let i = 0; i < 30; i++)
          await e.setXAttr('/f', { name: `user.x${i}`, value: bytes('v') }, [], SUPER)
        const full = await rejectsWith(
          e.setXAttr('/f', { name: 'user.one-more', value: bytes('v') }, [], SUPER),
          'IO_ERROR',
        )
        assert.match(full.message, /would exceed limit of 32/)
        await e.setXAttr('/f', { name: 'user.x0', value: bytes('replaced') }, [], SUPER)
        await e.setXAttr(
          '/f',
          { name: 'security.hdfs.unreadable.by.superuser', value: bytes('') },
          [],
          SUPER,
        )
        await e.removeXAttr('/f', 'trusted.t', SUPER)
        await e.setXAttr('/f', { name: 'user.one-more', value: bytes('v') }, [], SUPER)
        assert.equal((await e.listXAttrs('/f', SUPER)).length, 33)
      }))

    it('honours the configured limits', () =>
      withEngine(
        factory,
        async (e) => {
          await e.create({ path: '/f', clientName: 'c' }, SUPER)
          await e.setXAttr('/f', { name: 'user.a', value: bytes('12345') }, [], SUPER)
          await rejectsWith(
            e.setXAttr('/f', { name: 'user.b', value: bytes('123456') }, [], SUPER),
            'INVALID_ARGUMENT',
          )
          await e.setXAttr('/f', { name: 'user.b', value: bytes('1') }, [], SUPER)
          await rejectsWith(
            e.setXAttr('/f', { name: 'user.c', value: bytes('1') }, [], SUPER),
            'IO_ERROR',
          )
        },
        { settings: { maxXAttrsPerInode: 2, maxXAttrSize: 6 } },
      ))

    it('go away with their inode', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d/sub' }, SUPER)
        for (const path of ['/d', '/d/sub', '/f']) {
          if (path === '/f') await e.create({ path, clientName: 'c' }, SUPER)
          await e.setXAttr(path, { name: 'user.a', value: bytes('1') }, [], SUPER)
          await e.setXAttr(path, { name: 'user.b', value: bytes('2') }, [], SUPER)
        }
        await e.create({ path: '/d/sub/g', clientName: 'c' }, SUPER)
        await e.setXAttr('/d/sub/g', { name: 'user.a', value: bytes('1') }, [], SUPER)
        assert.equal(await countRows(e, 'xattrs'), 7)
        await e.create({ path: '/f', clientName: 'c', overwrite: true }, SUPER)
        assert.deepEqual(await e.listXAttrs('/f', SUPER), [], 'an overwritten file starts bare')
        assert.equal(await countRows(e, 'xattrs'), 5)
        assert.equal(await e.delete({ path: '/d', recursive: true }, SUPER), true)
        assert.equal(await countRows(e, 'xattrs'), 0)
      }))
  })

  describe('ACLs', () => {
    it('setAcl, getAclStatus, modify, remove entries, remove default, remove all', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d', permission: 0o1750, umask: 0 }, SUPER)
        await e.setOwner('/d', 'alice', 'staff', SUPER)
        let status = await e.getAclStatus('/d', BOB)
        assert.deepEqual(status, {
          owner: 'alice',
          group: 'staff',
          permission: 0o1750,
          stickyBit: true,
          entries: [],
        })
        await e.setAcl(
          '/d',
          aclSpec('user::rwx,user:bob:r-x,group::r--,group:users:rw-,other::---'),
          ALICE,
        )
        status = await e.getAclStatus('/d', ALICE)
        assert.equal(specOf(status.entries), 'user:bob:r-x,group::r--,group:users:rw-')
        assert.equal(status.permission, 0o1770, 'the group bits hold the calculated mask rwx')
        let info = await e.getFileInfo('/d', ALICE)
        assert.equal(info.hasAcl, true)
        assert.equal(info.permission, 0o1770)

        await e.modifyAclEntries('/d', aclSpec('user:carol:--x,default:user:bob:rwx'), ALICE)
        status = await e.getAclStatus('/d', ALICE)
        assert.equal(
          specOf(status.entries),
          'user:bob:r-x,user:carol:--x,group::r--,group:users:rw-,' +
            'default:user::rwx,default:user:bob:rwx,default:group::r--,default:mask::rwx,default:other::---',
        )
        assert.equal(status.permission, 0o1770)

        await e.removeAclEntries('/d', aclSpec('group:users:---,user:carol:---'), ALICE)
        status = await e.getAclStatus('/d', ALICE)
        assert.equal(
          specOf(status.entries.filter((x) => x.scope === 'ACCESS')),
          'user:bob:r-x,group::r--',
        )
        assert.equal(status.permission, 0o1750, 'mask recalculated: r-x')

        await e.removeDefaultAcl('/d', ALICE)
        status = await e.getAclStatus('/d', ALICE)
        assert.equal(specOf(status.entries), 'user:bob:r-x,group::r--')

        await e.removeAcl('/d', ALICE)
        status = await e.getAclStatus('/d', ALICE)
        assert.deepEqual(status.entries, [])
        assert.equal(status.permission, 0o1740, 'the owning group’s r-- is back in the group bits')
        info = await e.getFileInfo('/d', ALICE)
        assert.equal(info.hasAcl, false)
        await e.removeAcl('/d', ALICE) // no ACL: nothing to do
        assert.equal(await countRows(e, 'acl_entries'), 0)
      }))

    it('a default-only ACL keeps the group bits and marks the inode', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d', permission: 0o750, umask: 0 }, SUPER)
        await e.modifyAclEntries('/d', aclSpec('default:group:users:r-x'), SUPER)
        const status = await e.getAclStatus('/d', SUPER)
        assert.equal(status.permission, 0o750)
        assert.equal(
          specOf(status.entries),
          'default:user::rwx,default:group::r-x,default:group:users:r-x,default:mask::r-x,default:other::---',
        )
        assert.equal((await e.getFileInfo('/d', SUPER)).hasAcl, true)
        await e.removeDefaultAcl('/d', SUPER)
        assert.equal((await e.getFileInfo('/d', SUPER)).hasAcl, false)
        assert.equal((await e.getFileInfo('/d', SUPER)).permission, 0o750)
      }))

    it('only the owner or the superuser changes an ACL', () =>
      withEngine(factory, async (e) => {
        await aliceHome(e)
        const spec = aclSpec('user:bob:rw-')
        await rejectsWith(e.modifyAclEntries('/home/alice/f', spec, BOB), 'ACCESS_DENIED')
        await rejectsWith(
          e.setAcl('/home/alice/f', aclSpec('user::rw-,group::r--,other::---'), BOB),
          'ACCESS_DENIED',
        )
        await rejectsWith(e.removeAcl('/home/alice/f', BOB), 'ACCESS_DENIED')
        await rejectsWith(e.removeDefaultAcl('/home/alice/f', BOB), 'ACCESS_DENIED')
        await rejectsWith(e.removeAclEntries('/home/alice/f', spec, BOB), 'ACCESS_DENIED')
        await e.modifyAclEntries('/home/alice/f', spec, SUPER)
        await e.removeAclEntries('/home/alice/f', spec, ALICE)
        await rejectsWith(e.getAclStatus('/home/alice/missing', ALICE), 'FILE_NOT_FOUND')
        await rejectsWith(e.setAcl('/home/alice/missing', spec, ALICE), 'FILE_NOT_FOUND')
      }))

    it('named users and groups are enforced, limited by the mask', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/home/alice/private', permission: 0o755, umask: 0 }, SUPER)
        await e.setOwner('/home/alice', 'alice', 'staff', SUPER)
        await e.setOwner('/home/alice/private', 'alice', 'staff', SUPER)
        await e.setPermission('/home/alice/private', 0o700, ALICE)
        const carol = { user: 'carol', groups: ['auditors'] }
        await rejectsWith(e.listStatus({ path: '/home/alice/private' }, BOB), 'ACCESS_DENIED')

        // 1. A named user entry grants bob what the mask allows.
        await e.modifyAclEntries('/home/alice/private', aclSpec('user:bob:rwx'), ALICE)
        await e.listStatus({ path: '/home/alice/private' }, BOB)
        await e.create({ path: '/home/alice/private/bob1', clientName: 'b' }, BOB)

        // 2. The mask limits named entries: r-x lets bob list but not create.
        await e.modifyAclEntries('/home/alice/private', aclSpec('mask::r-x'), ALICE)
        await e.listStatus({ path: '/home/alice/private' }, BOB)
        await rejectsWith(
          e.create({ path: '/home/alice/private/bob2', clientName: 'b' }, BOB),
          'ACCESS_DENIED',
        )

        // 3. chmod sets the mask (group bits): 0700 takes bob's access away.
        await e.setPermission('/home/alice/private', 0o700, ALICE)
        await rejectsWith(e.listStatus({ path: '/home/alice/private' }, BOB), 'ACCESS_DENIED')
        await e.setPermission('/home/alice/private', 0o770, ALICE)
        await e.create({ path: '/home/alice/private/bob2', clientName: 'b' }, BOB)

        // 4. A named group: carol, in auditors, gets r-x; other stays ---.
        await rejectsWith(e.listStatus({ path: '/home/alice/private' }, carol), 'ACCESS_DENIED')
        await e.modifyAclEntries('/home/alice/private', aclSpec('group:auditors:r-x'), ALICE)
        await e.listStatus({ path: '/home/alice/private' }, carol)
        await rejectsWith(
          e.create({ path: '/home/alice/private/c', clientName: 'c' }, carol),
          'ACCESS_DENIED',
        )

        // 5. Removing the ACL restores plain mode bits.
        await e.removeAcl('/home/alice/private', ALICE)
        await rejectsWith(e.listStatus({ path: '/home/alice/private' }, BOB), 'ACCESS_DENIED')
        await rejectsWith(e.listStatus({ path: '/home/alice/private' }, carol), 'ACCESS_DENIED')
      }))

    it('new files and directories inherit the default ACL', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/proj', permission: 0o770, umask: 0 }, SUPER)
        await e.setOwner('/proj', 'alice', 'staff', SUPER)
        await e.setAcl(
          '/proj',
          aclSpec(
            'user::rwx,user:bob:--x,group::rwx,other::---,' +
              'default:user::rwx,default:user:bob:rwx,default:group::r-x,default:mask::rwx,default:other::---',
          ),
          ALICE,
        )
        // 1. mkdirs with missing parents: every new directory gets access and default entries.
        await e.mkdirs({ path: '/proj/a/b', permission: 0o770, umask: 0 }, ALICE)
        for (const path of ['/proj/a', '/proj/a/b']) {
          const status = await e.getAclStatus(path, ALICE)
          assert.equal(
            specOf(status.entries),
            'user:bob:rwx,group::r-x,default:user::rwx,default:user:bob:rwx,default:group::r-x,default:mask::rwx,default:other::---',
            path,
          )
          assert.equal((await e.getFileInfo(path, ALICE)).hasAcl, true)
        }
        // Mode 0770 (intermediate directories 0770|0300): mask rwx ∩ rwx, other --- ∩ ---.
        assert.equal((await e.getAclStatus('/proj/a/b', ALICE)).permission, 0o770)
        assert.equal((await e.getAclStatus('/proj/a', ALICE)).permission, 0o770)

        // 2. A file gets the access entries only, filtered by its create mode.
        await e.create({ path: '/proj/a/f', clientName: 'c', permission: 0o640, umask: 0 }, ALICE)
        const file = await e.getAclStatus('/proj/a/f', ALICE)
        assert.equal(specOf(file.entries), 'user:bob:rwx,group::r-x')
        assert.equal(file.permission, 0o640, 'mask rwx ∩ r-- lands in the group bits')
        await e.getXAttrs('/proj/a/f', undefined, BOB) // bob may read (rwx ∩ mask r--)
        await rejectsWith(
          e.setXAttr('/proj/a/f', { name: 'user.w', value: bytes('1') }, [], BOB),
          'ACCESS_DENIED',
        )

        // 3. bob can work in the inherited directory through his named entry.
        await e.create({ path: '/proj/a/b/bob', clientName: 'b' }, BOB)

        // 4. Without a default ACL nothing is inherited (the access entry of /proj stays).
        await e.removeDefaultAcl('/proj', ALICE)
        await e.mkdirs({ path: '/proj/plain', permission: 0o755, umask: 0 }, ALICE)
        const plain = await e.getFileInfo('/proj/plain', ALICE)
        assert.equal(plain.hasAcl, false)
        assert.equal(plain.permission, 0o755)
      }))

    it('a minimal default ACL filters the mode and stores nothing on files', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d', permission: 0o777, umask: 0 }, SUPER)
        await e.modifyAclEntries(
          '/d',
          aclSpec('default:user::rwx,default:group::r-x,default:other::---'),
          SUPER,
        )
        await e.create({ path: '/d/f', clientName: 'c', permission: 0o666, umask: 0 }, SUPER)
        const f = await e.getFileInfo('/d/f', SUPER)
        assert.equal(f.permission, 0o640)
        assert.equal(f.hasAcl, false)
        await e.mkdirs({ path: '/d/sub', permission: 0o777, umask: 0 }, SUPER)
        const sub = await e.getAclStatus('/d/sub', SUPER)
        assert.equal(sub.permission, 0o750)
        assert.equal(specOf(sub.entries), 'default:user::rwx,default:group::r-x,default:other::---')
      }))

    it('refuses invalid ACLs and changes nothing', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d', permission: 0o750, umask: 0 }, SUPER)
        await e.create({ path: '/d/f', clientName: 'c', permission: 0o640, umask: 0 }, SUPER)
        await e.modifyAclEntries('/d', aclSpec('user:bob:r-x,default:user:bob:r-x'), SUPER)
        await e.modifyAclEntries('/d/f', aclSpec('user:bob:r--'), SUPER)
        const before = {
          d: await e.getAclStatus('/d', SUPER),
          f: await e.getAclStatus('/d/f', SUPER),
          rows: await countRows(e, 'acl_entries'),
        }
        const bad: [string, () => Promise<unknown>, RegExp][] = [
          [
            'duplicate',
            () => e.modifyAclEntries('/d', aclSpec('user:carol:r--,user:carol:rwx'), SUPER),
            /multiple entries with same scope, type and name/,
          ],
          [
            'missing base entries',
            () => e.setAcl('/d', aclSpec('user::rwx,user:bob:rwx,other::---'), SUPER),
            /the user, group and other entries are required/,
          ],
          [
            'default ACL on a file',
            () => e.modifyAclEntries('/d/f', aclSpec('default:user:bob:rwx'), SUPER),
            /only directories may have a default ACL/,
          ],
          [
            'required mask removed',
            () => e.removeAclEntries('/d', aclSpec('mask::---'), SUPER),
            /mask is required and cannot be deleted/,
          ],
          [
            'named other entry',
            () => e.modifyAclEntries('/d', aclSpec('other:bob:r--'), SUPER),
            /must not have a name/,
          ],
          [
            'too many entries',
            () =>
              e.modifyAclEntries(
                '/d',
                Array.from({ length: 33 }, (_, i) => aclSpec(`user:u${i}:r--`)[0]!),
                SUPER,
              ),
            /ACL spec has 33 entries, which exceeds maximum of 32/,
          ],
          [
            'too many entries in the result',
            () =>
              e.modifyAclEntries(
                '/d',
                Array.from({ length: 28 }, (_, i) => aclSpec(`user:u${i}:r--`)[0]!),
                SUPER,
              ),
            /ACL has 33 access entries, which exceeds maximum of 32/,
          ],
        ]
        for (const [what, attempt, message] of bad) {
          const err = await rejectsWith(attempt(), 'ACL_EXCEPTION')
          assert.match(err.message, message, what)
          assert.equal(err.javaClassName, 'org.apache.hadoop.hdfs.protocol.AclException')
        }
        await rejectsWith(
          e.modifyAclEntries(
            '/d',
            [{ scope: 'ACCESS', type: 'USER', name: 'x', permission: 9 }],
            SUPER,
          ),
          'INVALID_ARGUMENT',
        )
        assert.deepEqual(await e.getAclStatus('/d', SUPER), before.d)
        assert.deepEqual(await e.getAclStatus('/d/f', SUPER), before.f)
        assert.equal(await countRows(e, 'acl_entries'), before.rows)
      }))

    it('go away with their inode', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d/sub' }, SUPER)
        await e.modifyAclEntries('/d', aclSpec('user:bob:rwx,default:user:bob:rwx'), SUPER)
        await e.mkdirs({ path: '/d/sub2' }, SUPER)
        await e.create({ path: '/d/sub2/f', clientName: 'c' }, SUPER)
        assert.ok((await countRows(e, 'acl_entries')) > 0)
        assert.equal(await e.delete({ path: '/d', recursive: true }, SUPER), true)
        assert.equal(await countRows(e, 'acl_entries'), 0)
      }))
  })
}
