/**
 * LDAP login against a real OpenLDAP `slapd` started by the test on a loopback port (issue 6):
 * bind as the user (DN template, and search-then-bind with a service account), group → role
 * mapping, the local account created at first login and refreshed at each, and refusals.
 */
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { Attribute, Change, Client } from 'ldapts'
import { pino } from 'pino'
import { startSlapd } from '../../../test/support/slapd.js'
import type { TestSlapd } from '../../../test/support/slapd.js'
import { freePort } from '../../../test/support/net.js'
import { tmpFile } from '../../../test/support/tmp.js'
import { AuthError } from './auth-error.js'
import type { AuthErrorCode } from './auth-error.js'
import type { LdapOptions } from './ldap-authenticator.js'
import { UserService } from './user-service.js'

const SECRET_KEY = 'ldap-test-installation-key-0123456789'
const PASSWORDS = {
  alice: 'alice-ldap-pw-1',
  bob: 'bob-ldap-pw-22',
  carol: 'carol-ldap-pw-333',
  dave: 'dave-ldap-pw-4444',
}

describe('LDAP login against slapd', () => {
  let slapd: TestSlapd
  const logLines: string[] = []
  const errorTexts: string[] = []
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString())
        done()
      },
    }),
  )
  const services: UserService[] = []

  async function open(ldap: Partial<LdapOptions>): Promise<UserService> {
    const s = await UserService.open(`sqlite:${tmpFile('users.db')}`, {
      secretKey: SECRET_KEY,
      logger,
      ldap: {
        url: slapd.url,
        userDnTemplate: `uid={username},ou=people,${slapd.baseDn}`,
        groupSearchBase: `ou=groups,${slapd.baseDn}`,
        roleMapping: { 'hops-admins': 'admin', 'hops-users': 'user' },
        groupMapping: { 'data-science': 'ds' },
        ...ldap,
      },
    })
    services.push(s)
    return s
  }

  async function refused(p: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
    try {
      await p
    } catch (err) {
      let e: unknown = err
      while (e instanceof Error) {
        errorTexts.push(`${e.message}\n${e.stack ?? ''}`)
        e = e.cause
      }
      assert.ok(err instanceof AuthError, String(err))
      assert.equal(err.code, code, err.message)
      return err
    }
    assert.fail(`expected ${code}`)
  }

  before(async () => {
    slapd = await startSlapd(
      [
        { uid: 'alice', password: PASSWORDS.alice, mail: 'alice@example.org', cn: 'Alice Liddell' },
        { uid: 'bob', password: PASSWORDS.bob },
        { uid: 'carol', password: PASSWORDS.carol },
        { uid: 'dave', password: PASSWORDS.dave },
      ],
      [
        { cn: 'hops-admins', members: ['alice'] },
        { cn: 'hops-users', members: ['alice', 'bob', 'dave'] },
        { cn: 'data-science', members: ['alice'] },
        { cn: 'unrelated', members: ['carol'] },
      ],
    )
  })

  after(async () => {
    for (const s of services) await s.close()
    await slapd.stop()
  })

  it('creates the local account at first login, with the role and groups from LDAP', async () => {
    const s = await open({})
    const r = await s.login(
      { username: 'alice', password: PASSWORDS.alice },
      { remoteAddress: '::1' },
    )
    assert.equal(r.user.role, 'admin')
    assert.equal(r.user.authSource, 'ldap')
    assert.equal(r.user.email, 'alice@example.org')
    assert.equal(r.user.displayName, 'Alice Liddell')
    assert.deepEqual(await s.groupsOf('alice'), ['ds'])
    assert.equal((await s.verifySession(r.token)).role, 'admin')
    const created = await s.queryAudit({ target: 'alice', action: 'user.create' })
    assert.equal(created.length, 1)
    assert.equal(created[0]!.actor, 'ldap')
    // 1. Bad and empty passwords are refused (an empty one would be an anonymous bind).
    await refused(s.login({ username: 'alice', password: 'not-alices' }, {}), 'INVALID_CREDENTIALS')
    await refused(s.login({ username: 'alice', password: '' }, {}), 'INVALID_CREDENTIALS')
    assert.equal((await s.getUser('alice')).failedAttempts, 2)
    // 2. Unknown in the directory: refused, nothing created.
    await refused(
      s.login({ username: 'mallory', password: 'whatever-pw' }, {}),
      'INVALID_CREDENTIALS',
    )
    await refused(s.getUser('mallory'), 'USER_NOT_FOUND')
    // 3. A second login finds the account and resets the failures.
    await s.login({ username: 'ALICE', password: PASSWORDS.alice }, {})
    assert.equal((await s.listUsers()).length, 1)
    assert.equal((await s.getUser('alice')).failedAttempts, 0)
    // 4. An LDAP user's password is not changed here.
    await refused(s.resetPassword('alice', { actor: 'admin' }), 'INVALID_ARGUMENT')
  })

  it('maps groups to roles, refuses a user in no mapped group, follows directory changes', async () => {
    const s = await open({})
    assert.equal(
      (await s.login({ username: 'bob', password: PASSWORDS.bob }, {})).user.role,
      'user',
    )
    const carol = await refused(
      s.login({ username: 'carol', password: PASSWORDS.carol }, {}),
      'ACCOUNT_DISABLED',
    )
    assert.match(carol.message, /not in an LDAP group/)
    await refused(s.getUser('carol'), 'USER_NOT_FOUND')
    // Promote bob in the directory: the next login makes him an admin and ends old sessions.
    const old = await s.login({ username: 'bob', password: PASSWORDS.bob }, {})
    const admin = new Client({ url: slapd.url })
    await admin.bind(slapd.adminDn, slapd.adminPassword)
    await admin.modify(
      `cn=hops-admins,ou=groups,${slapd.baseDn}`,
      new Change({
        operation: 'add',
        modification: new Attribute({
          type: 'member',
          values: [`uid=bob,ou=people,${slapd.baseDn}`],
        }),
      }),
    )
    await admin.unbind()
    const promoted = await s.login({ username: 'bob', password: PASSWORDS.bob }, {})
    assert.equal(promoted.user.role, 'admin')
    await refused(s.verifySession(old.token), 'INVALID_TOKEN')
    const change = await s.queryAudit({ target: 'bob', action: 'user.role' })
    assert.deepEqual(
      { from: change[0]?.details?.from, to: change[0]?.details?.to },
      { from: 'user', to: 'admin' },
    )
  })

  it('search-then-bind with a service account; a local account takes precedence', async () => {
    const s = await open({
      userDnTemplate: undefined,
      userSearchBase: `ou=people,${slapd.baseDn}`,
      bindDn: slapd.adminDn,
      bindPassword: slapd.adminPassword,
    })
    assert.equal(
      (await s.login({ username: 'bob', password: PASSWORDS.bob }, {})).user.role,
      'admin',
    )
    await refused(
      s.login({ username: 'bob', password: PASSWORDS.alice }, {}),
      'INVALID_CREDENTIALS',
    )
    // (bob was promoted in the directory by the previous test.)
    // A filter metacharacter in the name is rejected before it reaches the directory.
    await refused(s.login({ username: 'b*', password: PASSWORDS.bob }, {}), 'INVALID_CREDENTIALS')
    // A local 'dave' is checked locally: the directory's password does not open it.
    await s.createUser({ username: 'dave', password: 'local qnir pw 1' }, { actor: 'admin' })
    await refused(
      s.login({ username: 'dave', password: PASSWORDS.dave }, {}),
      'INVALID_CREDENTIALS',
    )
    assert.equal(
      (await s.login({ username: 'dave', password: 'local qnir pw 1' }, {})).user.authSource,
      'local',
    )
    // A wrong service password is a configuration problem, not a bad user password.
    const broken = await open({
      userDnTemplate: undefined,
      userSearchBase: `ou=people,${slapd.baseDn}`,
      bindDn: slapd.adminDn,
      bindPassword: 'wrong-service-pw',
    })
    await refused(
      broken.login({ username: 'bob', password: PASSWORDS.bob }, {}),
      'LDAP_UNAVAILABLE',
    )
  })

  it('a directory that does not answer is LDAP_UNAVAILABLE', async () => {
    const s = await open({ url: `ldap://127.0.0.1:${await freePort()}`, timeoutMs: 2000 })
    const e = await refused(
      s.login({ username: 'bob', password: PASSWORDS.bob }, {}),
      'LDAP_UNAVAILABLE',
    )
    assert.match(e.message, /did not answer/)
  })

  it('never logs or reports an LDAP password', () => {
    assert.ok(logLines.length > 0 && errorTexts.length > 0)
    const all = [...Object.values(PASSWORDS), slapd.adminPassword, 'wrong-service-pw', SECRET_KEY]
    for (const secret of all) {
      assert.ok(!logLines.join('').includes(secret), 'a secret in the log')
      assert.ok(!errorTexts.join('\n').includes(secret), 'a secret in an error')
    }
  })
})
