/** Conformance cases: HDFS permission checks. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { EngineFactory } from '../meta-engine.case.js'
import { rejectsWith } from './namespace.case.js'
import { ALICE, BOB, SUPER, withEngine } from './with-engine.js'

export function permissionCases(factory: EngineFactory): void {
  describe('permissions', () => {
    it('needs EXECUTE on every ancestor and WRITE on the parent', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/home/alice', permission: 0o755 }, SUPER)
        await e.setOwner('/home/alice', 'alice', 'staff', SUPER)
        await e.mkdirs({ path: '/home/alice/private', permission: 0o700 }, ALICE)
        await e.create({ path: '/home/alice/private/f', clientName: 'c' }, ALICE)
        await rejectsWith(e.getFileInfo('/home/alice/private/f', BOB), 'ACCESS_DENIED')
        await rejectsWith(
          e.create({ path: '/home/alice/g', clientName: 'c' }, BOB),
          'ACCESS_DENIED',
        )
        await rejectsWith(e.mkdirs({ path: '/home/alice/x/y' }, BOB), 'ACCESS_DENIED')
        await rejectsWith(e.listStatus({ path: '/home/alice/private' }, BOB), 'ACCESS_DENIED')
        const err = await rejectsWith(
          e.delete({ path: '/home/alice/private/f' }, BOB),
          'ACCESS_DENIED',
        )
        assert.match(err.message, /user=bob/)
        assert.ok(
          await e.getFileInfo('/home/alice/private/f', SUPER),
          'the superuser passes every check',
        )
        assert.ok(
          await e.getFileInfo('/home/alice/private/f', { user: 'carol', groups: ['supergroup'] }),
          'so does the supergroup',
        )
      }))

    it('only the owner changes permissions; only the superuser changes owners', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/shared', permission: 0o777, umask: 0 }, SUPER)
        await e.create({ path: '/shared/f', clientName: 'c' }, ALICE)
        await rejectsWith(e.setPermission('/shared/f', 0o777, BOB), 'ACCESS_DENIED')
        await e.setPermission('/shared/f', 0o640, ALICE)
        await rejectsWith(e.setOwner('/shared/f', 'bob', undefined, ALICE), 'ACCESS_DENIED')
        await rejectsWith(e.setOwner('/shared/f', undefined, 'users', ALICE), 'ACCESS_DENIED')
        await e.setOwner('/shared/f', undefined, 'staff', ALICE)
        await e.setOwner('/shared/f', 'bob', undefined, SUPER)
        assert.equal((await e.getFileInfo('/shared/f', SUPER)).owner, 'bob')
      }))

    it('the sticky bit protects other users’ entries', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/tmp', permission: 0o1777, umask: 0 }, SUPER)
        await e.create({ path: '/tmp/alice', clientName: 'c' }, ALICE)
        await rejectsWith(e.delete({ path: '/tmp/alice' }, BOB), 'ACCESS_DENIED')
        await rejectsWith(e.rename2({ src: '/tmp/alice', dst: '/tmp/bob' }, BOB), 'ACCESS_DENIED')
        assert.equal(await e.delete({ path: '/tmp/alice' }, ALICE), true)
      }))

    it('group membership comes from the user_groups table', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/proj', permission: 0o770, umask: 0 }, SUPER)
        await e.setOwner('/proj', undefined, 'proj_members', SUPER)
        await rejectsWith(
          e.create({ path: '/proj/f', clientName: 'c' }, { user: 'dave' }),
          'ACCESS_DENIED',
        )
        await e.setUserGroups('dave', ['proj_members'])
        await e.create({ path: '/proj/f', clientName: 'c' }, { user: 'dave' })
        await e.setUserGroups('dave', [])
        await rejectsWith(e.listStatus({ path: '/proj' }, { user: 'dave' }), 'ACCESS_DENIED')
      }))

    it('recursive delete needs rwx on every directory below', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/w', permission: 0o777, umask: 0 }, SUPER)
        await e.mkdirs({ path: '/w/a/locked' }, ALICE)
        await e.create({ path: '/w/a/locked/f', clientName: 'c' }, ALICE)
        await e.setPermission('/w/a/locked', 0o555, ALICE)
        await e.setOwner('/w/a', 'bob', undefined, SUPER)
        await rejectsWith(e.delete({ path: '/w/a', recursive: true }, BOB), 'ACCESS_DENIED')
        assert.ok(await e.getFileInfo('/w/a/locked/f', SUPER), 'nothing was deleted')
      }))
  })
}
