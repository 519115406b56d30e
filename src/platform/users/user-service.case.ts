/**
 * @module
 * The behaviour of {@link UserService} on one database engine, run by
 * `user-service.{sqlite,postgres,mysql}.test.ts` against a real database (issue 6). Time is a
 * controlled clock. Every log line and every error message of the suite is captured, and the last
 * test checks that no secret (password, TOTP secret, API key secret, session key) ever appears in
 * them or in the audit log.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { profileForUrl } from '../../meta/open-meta-engine.js'
import { migrate } from '../../meta/sql/schema.js'
import type { SqlDialectProfile, SqlPool } from '../../meta/sql/sql-dialect.js'
import { requireScope, scopeAllows } from './api-key.js'
import { AuthError } from './auth-error.js'
import type { AuthErrorCode } from './auth-error.js'
import { SecretBox } from '../../security/secret-box.js'
import { SessionSigner } from './session-tokens.js'
import { TOTP_PERIOD_S, totpCode } from './totp.js'
import { UserService } from './user-service.js'
import type { UserServiceOptions } from './user-service.js'

/** A fresh empty database: its URL and how to drop it. */
export type DatabaseFactory = () => Promise<{ url: string; drop: () => Promise<void> }>

const SECRET_KEY = 'test-installation-key-0123456789abcdef'
const CTX = { actor: 'tester', remoteAddress: '192.0.2.7' }
const STEP_MS = TOTP_PERIOD_S * 1000

/** Runs the suite on the engine `createDatabase` gives. */
export function describeUserService(name: string, createDatabase: DatabaseFactory): void {
  describe(`UserService on ${name}`, () => {
    let db: { url: string; drop: () => Promise<void> }
    let pool: SqlPool
    let profile: SqlDialectProfile
    let now = Date.UTC(2030, 0, 1, 12, 0, 0)
    const logLines: string[] = []
    const errorTexts: string[] = []
    /** Every secret the suite handles; none may leak. */
    const secrets: string[] = []
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

    function service(options: UserServiceOptions = {}): UserService {
      const s = new UserService(pool, profile, {
        secretKey: SECRET_KEY,
        clock: () => now,
        logger,
        ...options,
      })
      services.push(s)
      return s
    }

    /** Awaits `p`, expects an AuthError with `code`, and keeps its message for the leak check. */
    async function refused(p: Promise<unknown>, code: AuthErrorCode): Promise<AuthError> {
      try {
        await p
      } catch (err) {
        let e: unknown = err
        while (e instanceof Error) {
          errorTexts.push(`${e.name}: ${e.message}\n${e.stack ?? ''}`)
          e = e.cause
        }
        assert.ok(err instanceof AuthError, `expected AuthError ${code}, got ${String(err)}`)
        assert.equal(err.code, code, err.message)
        return err
      }
      assert.fail(`expected AuthError ${code}, but it succeeded`)
    }

    async function user(s: UserService, username: string, password: string, role?: 'admin') {
      secrets.push(password)
      return s.createUser({ username, password, ...(role ? { role } : {}) }, CTX)
    }

    before(async () => {
      db = await createDatabase()
      profile = profileForUrl(db.url)
      pool = await profile.open(db.url, { poolSize: 4 })
      await migrate(pool, profile)
    })

    after(async () => {
      await pool.close()
      await db.drop()
    })

    it('logs in with the right password and refuses a wrong one or an unknown user', async () => {
      const s = service()
      const { user: alice } = await user(s, 'Alice', 'correct horse battery')
      assert.equal(alice.username, 'alice')
      assert.equal(alice.role, 'user')
      const ok = await s.login({ username: 'alice', password: 'correct horse battery' }, CTX)
      assert.equal(ok.user.username, 'alice')
      assert.equal(ok.expiresAt, now + 3_600_000)
      const principal = await s.verifySession(ok.token)
      assert.deepEqual(
        { username: principal.username, role: principal.role, via: principal.via },
        { username: 'alice', role: 'user', via: 'session' },
      )
      assert.ok(!principal.scopes.includes('admin'))
      const bad = await refused(
        s.login({ username: 'alice', password: 'wrong horse battery' }, CTX),
        'INVALID_CREDENTIALS',
      )
      const unknown = await refused(
        s.login({ username: 'nobody', password: 'whatever123' }, CTX),
        'INVALID_CREDENTIALS',
      )
      assert.equal(bad.message, unknown.message, 'the same answer for both: names cannot be probed')
      secrets.push('wrong horse battery', 'whatever123')
      // A password typed into the name field is not echoed.
      await refused(
        s.login({ username: 'My Secret Pw!', password: 'x' }, CTX),
        'INVALID_CREDENTIALS',
      )
      secrets.push('My Secret Pw!')

      const audit = await s.queryAudit({ target: 'alice', action: 'login' })
      assert.deepEqual(
        audit.map((e) => e.outcome),
        ['denied', 'allowed'],
      )
      assert.equal(audit[0]!.remoteAddress, '192.0.2.7')
      assert.equal(audit[0]!.details?.reason, 'bad password')
    })

    it('enforces the password policy with a clear message', async () => {
      const s = service()
      const short = await refused(
        s.createUser({ username: 'bob', password: 'short' }, CTX),
        'PASSWORD_POLICY',
      )
      assert.match(short.message, /at least 10 characters/)
      const named = await refused(
        s.createUser({ username: 'bob', password: 'xxbobxx12345' }, CTX),
        'PASSWORD_POLICY',
      )
      assert.match(named.message, /user name/)
      await refused(
        s.createUser({ username: 'bad__name', password: 'long enough pw 1' }, CTX),
        'INVALID_ARGUMENT',
      )
      await user(s, 'bob', 'oboo password 1')
      await refused(
        s.createUser({ username: 'BOB', password: 'oboo password 2' }, CTX),
        'USER_EXISTS',
      )
    })

    it('locks an account after 5 failures, for the lockout period, and an admin unlocks it', async () => {
      const s = service()
      await user(s, 'carol', 'pnebys password')
      for (let i = 1; i <= 4; i++) {
        await refused(
          s.login({ username: 'carol', password: `wrong-${i}-xxxx` }, CTX),
          'INVALID_CREDENTIALS',
        )
      }
      assert.equal((await s.getUser('carol')).failedAttempts, 4)
      const fifth = await refused(
        s.login({ username: 'carol', password: 'wrong-5-xxxx' }, CTX),
        'ACCOUNT_LOCKED',
      )
      assert.match(fifth.message, /locked until/)
      // 1. Locked: even the right password is refused.
      await refused(
        s.login({ username: 'carol', password: 'pnebys password' }, CTX),
        'ACCOUNT_LOCKED',
      )
      const lockouts = await s.queryAudit({ target: 'carol', action: 'login.lockout' })
      assert.equal(lockouts.length, 1)
      // 2. The lock ends by itself after 15 minutes.
      now += 15 * 60_000 + 1
      await s.login({ username: 'carol', password: 'pnebys password' }, CTX)
      // 3. Locked again, then unlocked by an administrator.
      for (let i = 1; i <= 5; i++) {
        await s
          .login({ username: 'carol', password: `again-${i}-xxxx` }, CTX)
          .catch(() => undefined)
      }
      await refused(
        s.login({ username: 'carol', password: 'pnebys password' }, CTX),
        'ACCOUNT_LOCKED',
      )
      const unlocked = await s.unlockUser('carol', { actor: 'admin' })
      assert.equal(unlocked.failedAttempts, 0)
      assert.equal(unlocked.lockedUntil, undefined)
      await s.login({ username: 'carol', password: 'pnebys password' }, CTX)
      // 4. An administrator's lock holds until unlocked and ends the sessions.
      const session = await s.login({ username: 'carol', password: 'pnebys password' }, CTX)
      await s.lockUser('carol', { actor: 'admin' })
      await refused(
        s.login({ username: 'carol', password: 'pnebys password' }, CTX),
        'ACCOUNT_LOCKED',
      )
      await refused(s.verifySession(session.token), 'INVALID_TOKEN')
      now += 24 * 3_600_000
      await refused(
        s.login({ username: 'carol', password: 'pnebys password' }, CTX),
        'ACCOUNT_LOCKED',
      )
      await s.unlockUser('carol', { actor: 'admin' })
      await s.login({ username: 'carol', password: 'pnebys password' }, CTX)
      const actions = (await s.queryAudit({ target: 'carol' })).map((e) => e.action)
      assert.ok(actions.includes('user.lock') && actions.includes('user.unlock'))
    })

    it('TOTP: enrolment, ±1 step window, no replay, recovery codes single use', async () => {
      const s = service()
      await user(s, 'dave', 'qnirs password')
      const enrol = await s.enrolTotp('dave', { actor: 'dave' })
      secrets.push(enrol.secret, ...enrol.recoveryCodes)
      assert.match(enrol.uri, /^otpauth:\/\/totp\/Hops:dave\?/)
      assert.ok(enrol.uri.includes(`secret=${enrol.secret}`))
      assert.equal(enrol.recoveryCodes.length, 10)
      assert.equal(new Set(enrol.recoveryCodes).size, 10)
      // Not required before confirmation.
      await s.login({ username: 'dave', password: 'qnirs password' }, CTX)
      await refused(s.confirmTotp('dave', '000000', { actor: 'dave' }), 'INVALID_TOTP')
      // 1. Start at the beginning of a step so the boundaries are exact.
      now = Math.ceil(now / STEP_MS) * STEP_MS
      await s.confirmTotp('dave', totpCode(enrol.secret, now), { actor: 'dave' })
      assert.equal((await s.getUser('dave')).totpEnabled, true)
      await refused(s.login({ username: 'dave', password: 'qnirs password' }, CTX), 'TOTP_REQUIRED')
      // 2. The code confirmed with cannot log in (same step): replay refused.
      await refused(
        s.login(
          { username: 'dave', password: 'qnirs password', otp: totpCode(enrol.secret, now) },
          CTX,
        ),
        'INVALID_TOTP',
      )
      // 3. Next step: the previous step's code is still inside the window, but was used: the
      //    current one works; the one after (clock skew +1) works once the step advances.
      now += STEP_MS
      await s.login(
        { username: 'dave', password: 'qnirs password', otp: totpCode(enrol.secret, now) },
        CTX,
      )
      const replay = await refused(
        s.login(
          { username: 'dave', password: 'qnirs password', otp: totpCode(enrol.secret, now) },
          CTX,
        ),
        'INVALID_TOTP',
      )
      assert.match(replay.message, /already used/)
      // 4. A code of the next step (phone clock ahead) is accepted…
      await s.login(
        {
          username: 'dave',
          password: 'qnirs password',
          otp: totpCode(enrol.secret, now + STEP_MS),
        },
        CTX,
      )
      // …and then the current step's code is older than the last used one: refused.
      await refused(
        s.login(
          { username: 'dave', password: 'qnirs password', otp: totpCode(enrol.secret, now) },
          CTX,
        ),
        'INVALID_TOTP',
      )
      // 5. Window edges, with codes never used: at the last millisecond of step n+4 the code of
      //    step n+3 is accepted; at the first millisecond of step n+6 the code of n+4 is not.
      now += 4 * STEP_MS - 1
      await s.login(
        {
          username: 'dave',
          password: 'qnirs password',
          otp: totpCode(enrol.secret, now - STEP_MS),
        },
        CTX,
      )
      now += STEP_MS + 1
      const late = await refused(
        s.login(
          {
            username: 'dave',
            password: 'qnirs password',
            otp: totpCode(enrol.secret, now - 2 * STEP_MS),
          },
          CTX,
        ),
        'INVALID_TOTP',
      )
      assert.match(late.message, /invalid TOTP code/)
      // 6. Recovery codes: each works once, any case and dashes.
      const code = enrol.recoveryCodes[0]!
      await s.login({ username: 'dave', password: 'qnirs password', otp: code.toUpperCase() }, CTX)
      await refused(
        s.login({ username: 'dave', password: 'qnirs password', otp: code }, CTX),
        'INVALID_TOTP',
      )
      await refused(
        s.login({ username: 'dave', password: 'qnirs password', otp: 'aaaaa-bbbbb' }, CTX),
        'INVALID_TOTP',
      )
      const used = await s.queryAudit({ target: 'dave', action: 'recovery-code.use' })
      assert.equal(used[0]?.details?.remaining, 9)
      // 7. Wrong password with a right code is still a wrong password.
      now += STEP_MS
      await refused(
        s.login(
          { username: 'dave', password: 'not the pw of d', otp: totpCode(enrol.secret, now) },
          CTX,
        ),
        'INVALID_CREDENTIALS',
      )
      await s.unlockUser('dave', CTX)
      await s.disableTotp('dave', { actor: 'dave' })
      await s.login({ username: 'dave', password: 'qnirs password' }, CTX)
      const actions = (await s.queryAudit({ target: 'dave' })).map((e) => e.action)
      for (const a of ['totp.enrol', 'totp.confirm', 'totp.disable'])
        assert.ok(actions.includes(a), a)
    })

    it('failed TOTP codes count towards the lockout', async () => {
      const s = service({ maxFailedLogins: 3 })
      await user(s, 'erin', 'revas password')
      const { secret } = await s.enrolTotp('erin', CTX)
      secrets.push(secret)
      await s.confirmTotp('erin', totpCode(secret, now), CTX)
      for (let i = 0; i < 2; i++) {
        await refused(
          s.login({ username: 'erin', password: 'revas password', otp: '123456' }, CTX),
          'INVALID_TOTP',
        )
      }
      await refused(
        s.login({ username: 'erin', password: 'revas password', otp: '123456' }, CTX),
        'ACCOUNT_LOCKED',
      )
    })

    it('session tokens expire, and tampered or foreign tokens are refused', async () => {
      const s = service()
      await user(s, 'frank', 'senaxs password')
      const { token } = await s.login({ username: 'frank', password: 'senaxs password' }, CTX)
      await s.verifySession(token)
      // 1. Tampering: flip a character of the payload, or of the signature.
      const [h, p, sig] = token.split('.') as [string, string, string]
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${sig}`
      const e1 = await refused(s.verifySession(forged), 'INVALID_TOKEN')
      assert.match(e1.message, /bad signature/)
      const flipped = sig.startsWith('A') ? `B${sig.slice(1)}` : `A${sig.slice(1)}`
      await refused(s.verifySession(`${h}.${p}.${flipped}`), 'INVALID_TOKEN')
      await refused(s.verifySession('not.a.jwt'), 'INVALID_TOKEN')
      // 2. Signed with another key.
      const other = new SessionSigner(SessionSigner.generateKey(), 3_600_000, () => now)
      const foreign = await other.sign({ sub: 'frank', uid: 1, role: 'admin', sv: 0 })
      await refused(s.verifySession(foreign.token), 'INVALID_TOKEN')
      // 3. alg=none is never accepted.
      const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`
      await refused(s.verifySession(none), 'INVALID_TOKEN')
      // 4. Expiry (1 h, 5 s of tolerated skew).
      now += 3_600_000 - 1000
      await s.verifySession(token)
      now += 6_000
      const expired = await refused(s.verifySession(token), 'TOKEN_EXPIRED')
      assert.match(expired.message, /expired/)
      // 5. Another service on the same database shares the stored key.
      const { token: t2 } = await s.login({ username: 'frank', password: 'senaxs password' }, CTX)
      assert.equal((await service().verifySession(t2)).username, 'frank')
      // 6. A password change ends the sessions.
      await s.changePassword(
        {
          username: 'frank',
          currentPassword: 'senaxs password',
          newPassword: 'senaxs new password',
        },
        { actor: 'frank' },
      )
      secrets.push('senaxs new password')
      await refused(s.verifySession(t2), 'INVALID_TOKEN')
      await refused(
        s.login({ username: 'frank', password: 'senaxs password' }, CTX),
        'INVALID_CREDENTIALS',
      )
      await s.login({ username: 'frank', password: 'senaxs new password' }, CTX)
    })

    it('API keys: scopes allowed and denied, revoked, expired', async () => {
      const s = service()
      await user(s, 'grace', 'tenprs password')
      await user(s, 'root1', 'ebbg1 password', 'admin')
      const { key, info } = await s.createApiKey(
        'grace',
        { name: 'notebook', scopes: 'fs:read,fs:write' },
        { actor: 'grace' },
      )
      secrets.push(key.split('_').slice(2).join('_'))
      assert.match(key, /^hops_[0-9a-f]{12}_/)
      assert.ok(key.includes(info.id))
      const p = await s.authenticate(key, { remoteAddress: '192.0.2.9' })
      assert.deepEqual([p.username, p.via, p.apiKeyId], ['grace', 'apikey', info.id])
      assert.deepEqual(p.scopes, ['fs:read', 'fs:write'])
      requireScope(p.scopes, 'fs:read')
      requireScope(p.scopes, 'fs:write')
      assert.throws(
        () => requireScope(p.scopes, 'project'),
        (e) => e instanceof AuthError && e.code === 'SCOPE_DENIED',
      )
      assert.throws(() => requireScope(p.scopes, 'admin'), /lacks the scope 'admin'/)
      // Read-only key: write denied.
      const ro = await s.createApiKey('grace', { name: 'reader', scopes: ['fs:read'] }, CTX)
      secrets.push(ro.key.split('_').slice(2).join('_'))
      assert.equal(scopeAllows((await s.verifyApiKey(ro.key)).scopes, 'fs:write'), false)
      // Only an admin may hold the admin scope, and it implies every other.
      await refused(s.createApiKey('grace', { name: 'x', scopes: 'admin' }, CTX), 'SCOPE_DENIED')
      await refused(
        s.createApiKey('grace', { name: 'x', scopes: 'fs:exec' }, CTX),
        'INVALID_ARGUMENT',
      )
      const adm = await s.createApiKey('root1', { name: 'ops', scopes: 'admin' }, CTX)
      secrets.push(adm.key.split('_').slice(2).join('_'))
      assert.ok(scopeAllows((await s.verifyApiKey(adm.key)).scopes, 'fs:write'))
      // A wrong secret for a real id, a malformed key.
      const wrong = `hops_${info.id}_${'A'.repeat(43)}`
      await refused(s.verifyApiKey(wrong), 'INVALID_API_KEY')
      await refused(s.verifyApiKey('hops_nope'), 'INVALID_API_KEY')
      // Revoked at once.
      await s.revokeApiKey('grace', info.id, { actor: 'grace' })
      await refused(s.verifyApiKey(key), 'API_KEY_REVOKED')
      await s.revokeApiKey('grace', info.id, { actor: 'grace' })
      await refused(s.revokeApiKey('grace', 'ffffffffffff', CTX), 'API_KEY_NOT_FOUND')
      // Expiry.
      const soon = await s.createApiKey(
        'grace',
        { name: 'ci', scopes: 'fs:read', expiresAt: now + 60_000 },
        CTX,
      )
      secrets.push(soon.key.split('_').slice(2).join('_'))
      await s.verifyApiKey(soon.key)
      now += 60_000
      await refused(s.verifyApiKey(soon.key), 'API_KEY_EXPIRED')
      await refused(
        s.createApiKey('grace', { name: 'old', scopes: 'fs:read', expiresAt: now - 1 }, CTX),
        'INVALID_ARGUMENT',
      )
      // A locked owner's keys stop working.
      await s.lockUser('grace', CTX)
      await refused(s.verifyApiKey(ro.key), 'ACCOUNT_LOCKED')
      await s.unlockUser('grace', CTX)
      const keys = await s.listApiKeys('grace')
      assert.equal(keys.length, 3)
      assert.ok(keys.find((k) => k.id === info.id)?.revokedAt !== undefined)
      assert.ok(keys.find((k) => k.id === info.id)?.lastUsedAt !== undefined)
      const audit = await s.queryAudit({ target: 'grace' })
      assert.ok(audit.some((e) => e.action === 'apikey.create' && e.details?.keyId === info.id))
      assert.ok(audit.some((e) => e.action === 'apikey.revoke' && e.outcome === 'allowed'))
      assert.ok(audit.some((e) => e.action === 'apikey.use' && e.outcome === 'denied'))
    })

    it('an administrator resets a password: temporary, must be changed at the next login', async () => {
      const s = service()
      await user(s, 'heidi', 'urvqvs password')
      const before = await s.login({ username: 'heidi', password: 'urvqvs password' }, CTX)
      const { temporaryPassword } = await s.resetPassword('heidi', { actor: 'admin' })
      secrets.push(temporaryPassword)
      await refused(s.verifySession(before.token), 'INVALID_TOKEN')
      await refused(
        s.login({ username: 'heidi', password: 'urvqvs password' }, CTX),
        'INVALID_CREDENTIALS',
      )
      const must = await refused(
        s.login({ username: 'heidi', password: temporaryPassword }, CTX),
        'PASSWORD_CHANGE_REQUIRED',
      )
      assert.match(must.message, /temporary/)
      await refused(
        s.login({ username: 'heidi', password: temporaryPassword, newPassword: 'short' }, CTX),
        'PASSWORD_POLICY',
      )
      const r = await s.login(
        { username: 'heidi', password: temporaryPassword, newPassword: 'urvqvs fresh password' },
        CTX,
      )
      secrets.push('urvqvs fresh password')
      assert.equal(r.user.mustChangePassword, false)
      await s.verifySession(r.token)
      await s.login({ username: 'heidi', password: 'urvqvs fresh password' }, CTX)
      // A temporary password expires after 72 h.
      const second = await s.resetPassword('heidi', { actor: 'admin' })
      secrets.push(second.temporaryPassword)
      now += 72 * 3_600_000
      await refused(
        s.login(
          {
            username: 'heidi',
            password: second.temporaryPassword,
            newPassword: 'urvqvs 3rd password',
          },
          CTX,
        ),
        'INVALID_CREDENTIALS',
      )
      assert.ok((await s.queryAudit({ target: 'heidi', action: 'password.reset' })).length === 2)
      // A user created without a password gets a temporary one.
      const created = await s.createUser({ username: 'ivan' }, CTX)
      secrets.push(created.temporaryPassword!)
      assert.equal(created.user.mustChangePassword, true)
      await refused(
        s.login({ username: 'ivan', password: created.temporaryPassword! }, CTX),
        'PASSWORD_CHANGE_REQUIRED',
      )
    })

    it('role changes are audited, end sessions, and keep one administrator', async () => {
      const s = service()
      await user(s, 'judy', 'whqls password')
      const t = await s.login({ username: 'judy', password: 'whqls password' }, CTX)
      await s.setRole('judy', 'admin', { actor: 'root1' })
      await refused(s.verifySession(t.token), 'INVALID_TOKEN')
      const t2 = await s.login({ username: 'judy', password: 'whqls password' }, CTX)
      const p = await s.verifySession(t2.token)
      assert.equal(p.role, 'admin')
      assert.ok(p.scopes.includes('admin'))
      const role = await s.queryAudit({ target: 'judy', action: 'user.role' })
      assert.deepEqual(role[0]?.details, { from: 'user', to: 'admin' })
      assert.equal(role[0]?.actor, 'root1')
    })

    it('ensureAdmin creates admin once, with a password that works', async () => {
      // A database of its own: the other tests made administrators.
      const fresh = await createDatabase()
      const freshProfile = profileForUrl(fresh.url)
      const freshPool = await freshProfile.open(fresh.url, { poolSize: 2 })
      try {
        await migrate(freshPool, freshProfile)
        const s = new UserService(freshPool, freshProfile, {
          secretKey: SECRET_KEY,
          clock: () => now,
          logger,
        })
        const first = await s.ensureAdmin()
        assert.ok(first !== undefined)
        secrets.push(first.password)
        assert.equal(first.username, 'admin')
        assert.equal(await s.ensureAdmin(), undefined)
        assert.equal(
          await new UserService(freshPool, freshProfile, { secretKey: SECRET_KEY }).ensureAdmin(),
          undefined,
        )
        const r = await s.login({ username: 'admin', password: first.password }, CTX)
        assert.equal(r.user.role, 'admin')
        assert.equal(r.user.mustChangePassword, false)
        assert.equal((await s.listUsers()).length, 1)
      } finally {
        await freshPool.close()
        await fresh.drop()
      }
    })

    it('never writes a secret to the logs, error messages or the audit log', async () => {
      // The session-signing key as stored (decrypted here with the installation key).
      const stored = await pool.transaction(
        (txn) =>
          txn.get<{ value: string }>(
            "SELECT value FROM auth_secrets WHERE name = 'session-signing-key'",
          ),
        { readOnly: true },
      )
      assert.ok(stored !== undefined)
      assert.ok(!stored.value.includes(SECRET_KEY))
      const sessionKey = new SecretBox(SECRET_KEY).open(
        stored.value,
        'session-key:session-signing-key',
      )
      // Stored encrypted: the key is not in the row.
      assert.ok(!stored.value.includes(sessionKey))
      const all = [
        ...secrets,
        SECRET_KEY,
        sessionKey,
        Buffer.from(sessionKey, 'base64').toString('hex'),
      ]
      const audit = JSON.stringify(await service().queryAudit({ limit: 1000 }))
      assert.ok(logLines.length > 10, 'the suite logged')
      assert.ok(errorTexts.length > 20, 'the suite collected error messages')
      for (const secret of all) {
        assert.ok(secret.length >= 8, 'only meaningful strings are searched for')
        for (const [where, text] of [
          ['log', logLines.join('')],
          ['errors', errorTexts.join('\n')],
          ['audit', audit],
        ] as const) {
          assert.ok(!text.includes(secret), `a secret appears in the ${where}`)
        }
      }
      // Nothing secret in the users table either: hashes and sealed values only.
      const rows = JSON.stringify(
        await pool.transaction((txn) => txn.all('SELECT * FROM users'), { readOnly: true }),
      )
      for (const secret of all) assert.ok(!rows.includes(secret), 'a secret appears in users')
    })
  })
}
