/**
 * @module
 * The login flow: the password (local, or an LDAP bind for LDAP users and unknown names when LDAP
 * is configured), the account's status and lockout, the TOTP or recovery code, the change of a
 * temporary password, and the session. Failed attempts are counted here, and the account is
 * locked for `lockoutMs` after `maxFailedLogins` of them in a row.
 */
import type { SqlTxn } from '../../meta/sql/sql-dialect.js'
import { AuthError } from './auth-error.js'
import type { LdapAuthenticator, LdapIdentity } from './ldap-authenticator.js'
import { checkPasswordPolicy, dummyPasswordHash, hashPassword, verifyPassword } from './password.js'
import type { PasswordPolicy } from './password.js'
import type { Sessions } from './sessions.js'
import { isTotpCode, matchTotp, normalizeRecoveryCode } from './totp.js'
import { normalizeUsername, userFromRow } from './user.js'
import type { User, UserRow } from './user.js'
import type { RequestContext, UserStore } from './user-store.js'

export interface LoginRequest {
  readonly username: string
  readonly password: string
  /** A TOTP code or a recovery code, when the user has TOTP enabled. */
  readonly otp?: string
  /** Required when the password is temporary: the new one, set as the login succeeds. */
  readonly newPassword?: string
}

export interface LoginResult {
  /** The session JWT (`Authorization: Bearer …`). */
  readonly token: string
  /** ms since the epoch */
  readonly expiresAt: number
  readonly user: User
}

/** What a failed step of a login did, decided inside a transaction and thrown after it commits. */
export type FailureKind = 'password' | 'totp' | 'recovery-code' | 'totp-replay' | 'ldap'

/** The settings of a {@link LoginFlow}. */
export interface LoginFlowOptions {
  readonly policy: PasswordPolicy
  /** Consecutive failed logins that lock an account. */
  readonly maxFailedLogins: number
  /** How long such a lock lasts, ms. */
  readonly lockoutMs: number
  /** LDAP login; local accounts only when undefined. */
  readonly ldap: LdapAuthenticator | undefined
  /** LDAP group → Hops group; the Hops groups here are managed by LDAP login. */
  readonly ldapGroupMapping: Readonly<Record<string, string>>
}

/** Logins, failed-attempt counting and lockout. */
export class LoginFlow {
  readonly #store: UserStore
  readonly #sessions: Sessions
  readonly #policy: PasswordPolicy
  readonly #maxFailed: number
  readonly #lockoutMs: number
  readonly #ldap: LdapAuthenticator | undefined
  readonly #ldapGroupMapping: Readonly<Record<string, string>>

  constructor(store: UserStore, sessions: Sessions, options: LoginFlowOptions) {
    this.#store = store
    this.#sessions = sessions
    this.#policy = options.policy
    this.#maxFailed = options.maxFailedLogins
    this.#lockoutMs = options.lockoutMs
    this.#ldap = options.ldap
    this.#ldapGroupMapping = options.ldapGroupMapping
  }

  /**
   * Checks a user's password (locally, or with LDAP for LDAP users and unknown names when LDAP is
   * configured), the TOTP or recovery code when TOTP is enabled, and starts a session.
   * @throws AuthError INVALID_CREDENTIALS, TOTP_REQUIRED, INVALID_TOTP, ACCOUNT_LOCKED,
   *   ACCOUNT_DISABLED, PASSWORD_CHANGE_REQUIRED, PASSWORD_POLICY, LDAP_UNAVAILABLE, CONFIGURATION
   */
  async login(req: LoginRequest, ctx: Omit<RequestContext, 'actor'> = {}): Promise<LoginResult> {
    let username: string
    try {
      username = normalizeUsername(req.username)
    } catch {
      // Never echo what was typed as a name: it may be a password typed in the wrong field.
      await this.#store.write((txn) =>
        this.#store.audit(txn, {
          actor: '-',
          action: 'login',
          outcome: 'denied',
          ...ctx,
          details: { reason: 'invalid user name' },
        }),
      )
      throw new AuthError('INVALID_CREDENTIALS', 'invalid user name or password')
    }
    const actx: RequestContext = { ...ctx, actor: username }
    let row = await this.#store.read((txn) => this.#store.rowByName(txn, username))
    if (this.#ldap !== undefined && (row === undefined || row.auth_source === 'ldap')) {
      row = await this.#ldapLogin(this.#ldap, username, req.password, row, actx)
    } else {
      if (row === undefined) {
        await verifyPassword(await dummyPasswordHash(), req.password)
        await this.#deny(actx, username, 'unknown user')
        throw new AuthError('INVALID_CREDENTIALS', 'invalid user name or password')
      }
      await this.refuseLocked(row, actx)
      if (row.password_hash === null || !(await verifyPassword(row.password_hash, req.password))) {
        return this.failed(row, actx, 'password')
      }
    }
    return this.#completeLogin(row, req, actx)
  }

  async #deny(ctx: RequestContext, target: string, reason: string): Promise<void> {
    this.#store.log.info(
      { username: target, remoteAddress: ctx.remoteAddress, reason },
      'login denied',
    )
    await this.#store.write((txn) =>
      this.#store.audit(txn, {
        ...ctx,
        action: 'login',
        target,
        outcome: 'denied',
        details: { reason },
      }),
    )
  }

  /**
   * Refuses (audited) an account locked by an administrator or after failed logins.
   * @throws AuthError ACCOUNT_LOCKED
   */
  async refuseLocked(row: UserRow, ctx: RequestContext): Promise<void> {
    if (row.status === 'locked') {
      await this.#deny(ctx, row.username, 'locked by an administrator')
      throw new AuthError(
        'ACCOUNT_LOCKED',
        `the account '${row.username}' is locked: ask an administrator`,
      )
    }
    const until = row.locked_until === null ? 0 : Number(row.locked_until)
    if (until > this.#store.clock()) {
      await this.#deny(ctx, row.username, 'locked after failed logins')
      throw new AuthError(
        'ACCOUNT_LOCKED',
        `the account '${row.username}' is locked after ${this.#maxFailed} failed logins until ${new Date(until).toISOString()}`,
      )
    }
  }

  /**
   * Counts a failure, locks the account at the limit, and throws.
   * @throws AuthError ACCOUNT_LOCKED, INVALID_TOTP or INVALID_CREDENTIALS, always
   */
  async failed(row: UserRow, ctx: RequestContext, kind: FailureKind): Promise<never> {
    const now = this.#store.clock()
    const locked = await this.#store.write(async (txn) => {
      await txn.run('UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?', [row.id])
      const r = await txn.get<{ failed_attempts: number }>(
        'SELECT failed_attempts FROM users WHERE id = ?',
        [row.id],
      )
      const failures = Number(r?.failed_attempts ?? 0)
      await this.#store.audit(txn, {
        ...ctx,
        action: 'login',
        target: row.username,
        outcome: 'denied',
        details: { reason: `bad ${kind}`, failures },
      })
      if (failures < this.#maxFailed) return false
      await txn.run('UPDATE users SET failed_attempts = 0, locked_until = ? WHERE id = ?', [
        now + this.#lockoutMs,
        row.id,
      ])
      await this.#store.audit(txn, {
        ...ctx,
        action: 'login.lockout',
        target: row.username,
        outcome: 'denied',
        details: { failures, lockedUntil: now + this.#lockoutMs },
      })
      return true
    })
    this.#store.log.info(
      { username: row.username, remoteAddress: ctx.remoteAddress, reason: `bad ${kind}`, locked },
      'login denied',
    )
    if (locked) {
      throw new AuthError(
        'ACCOUNT_LOCKED',
        `too many failed logins: the account '${row.username}' is locked until ${new Date(now + this.#lockoutMs).toISOString()}`,
      )
    }
    if (kind === 'totp' || kind === 'totp-replay' || kind === 'recovery-code') {
      throw new AuthError(
        'INVALID_TOTP',
        kind === 'totp-replay'
          ? 'this TOTP code was already used: wait for the next one'
          : `invalid ${kind === 'totp' ? 'TOTP' : 'recovery'} code`,
      )
    }
    throw new AuthError('INVALID_CREDENTIALS', 'invalid user name or password')
  }

  /** The password was right: status, second factor, temporary password, then the session. */
  async #completeLogin(row: UserRow, req: LoginRequest, ctx: RequestContext): Promise<LoginResult> {
    const now = this.#store.clock()
    if (row.status === 'disabled') {
      await this.#deny(ctx, row.username, 'disabled')
      throw new AuthError('ACCOUNT_DISABLED', `the account '${row.username}' is disabled`)
    }
    let factor: { kind: 'totp'; step: number } | { kind: 'recovery-code'; hash: string } | undefined
    if (Number(row.totp_enabled) === 1) {
      if (req.otp === undefined || req.otp.trim() === '') {
        throw new AuthError('TOTP_REQUIRED', 'enter the code from your authenticator app')
      }
      const box = this.#store.requireBox('TOTP')
      if (isTotpCode(req.otp)) {
        const secret = box.open(row.totp_secret ?? '', `totp:${row.id}`)
        const step = matchTotp(secret, req.otp, now)
        if (step === undefined) return this.failed(row, ctx, 'totp')
        factor = { kind: 'totp', step }
      } else {
        factor = {
          kind: 'recovery-code',
          hash: box.mac('recovery-codes', `${row.id}:${normalizeRecoveryCode(req.otp)}`),
        }
      }
    }
    const temporary = Number(row.must_change_password) === 1
    if (temporary) {
      const expires = row.password_expires_at === null ? Infinity : Number(row.password_expires_at)
      if (expires <= now) {
        await this.#deny(ctx, row.username, 'temporary password expired')
        throw new AuthError(
          'INVALID_CREDENTIALS',
          'the temporary password has expired: ask an administrator for a new one',
        )
      }
      if (req.newPassword === undefined) {
        throw new AuthError(
          'PASSWORD_CHANGE_REQUIRED',
          'the password is temporary: log in again with a new password',
        )
      }
      checkPasswordPolicy(req.newPassword, row.username, this.#policy)
    }
    const newHash = temporary ? await hashPassword(req.newPassword!) : undefined
    const outcome = await this.#store.write(async (txn) => {
      // The second factor is claimed first: a code used twice (a replay, or two logins racing)
      // matches one UPDATE only.
      if (factor?.kind === 'totp') {
        const claimed = await txn.run(
          'UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
          [factor.step, row.id, factor.step],
        )
        if (claimed.changes !== 1) return 'totp-replay' as const
      } else if (factor?.kind === 'recovery-code') {
        const used = await txn.run(
          'UPDATE user_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL',
          [now, row.id, factor.hash],
        )
        if (used.changes !== 1) return 'recovery-code' as const
        const left = await txn.get<{ n: number }>(
          'SELECT COUNT(*) AS n FROM user_recovery_codes WHERE user_id = ? AND used_at IS NULL',
          [row.id],
        )
        await this.#store.audit(txn, {
          ...ctx,
          action: 'recovery-code.use',
          target: row.username,
          outcome: 'allowed',
          details: { remaining: Number(left?.n ?? 0) },
        })
      }
      if (newHash !== undefined) {
        await txn.run(
          'UPDATE users SET password_hash = ?, must_change_password = 0, password_expires_at = NULL, password_changed_at = ?, session_version = session_version + 1 WHERE id = ?',
          [newHash, now, row.id],
        )
        await this.#store.audit(txn, {
          ...ctx,
          action: 'password.change',
          target: row.username,
          outcome: 'allowed',
          details: { temporaryReplaced: true },
        })
      }
      await txn.run(
        'UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login_at = ? WHERE id = ?',
        [now, row.id],
      )
      await this.#store.audit(txn, {
        ...ctx,
        action: 'login',
        target: row.username,
        outcome: 'allowed',
        details: { source: row.auth_source, ...(factor ? { factor: factor.kind } : {}) },
      })
      return (await this.#store.rowByName(txn, row.username))!
    })
    if (typeof outcome === 'string') return this.failed(row, ctx, outcome)
    const { token, expiresAt } = await this.#sessions.issue(outcome)
    this.#store.log.info({ username: row.username, remoteAddress: ctx.remoteAddress }, 'login')
    return { token, expiresAt, user: userFromRow(outcome) }
  }

  /** Binds to LDAP; creates or refreshes the local account of an LDAP user. */
  async #ldapLogin(
    ldap: LdapAuthenticator,
    username: string,
    password: string,
    row: UserRow | undefined,
    ctx: RequestContext,
  ): Promise<UserRow> {
    if (row !== undefined) await this.refuseLocked(row, ctx)
    let identity: LdapIdentity | undefined
    try {
      identity = await ldap.authenticate(username, password)
    } catch (err) {
      if (err instanceof AuthError) await this.#deny(ctx, username, err.message)
      throw err
    }
    if (identity === undefined) {
      if (row !== undefined) return this.failed(row, ctx, 'ldap')
      await this.#deny(ctx, username, 'unknown user or bad password (ldap)')
      throw new AuthError('INVALID_CREDENTIALS', 'invalid user name or password')
    }
    const role = identity.role
    if (role === undefined) {
      await this.#deny(ctx, username, 'in no LDAP group mapped to a role')
      throw new AuthError(
        'ACCOUNT_DISABLED',
        `'${username}' is not in an LDAP group allowed to use Hops`,
      )
    }
    const refresh = async (txn: SqlTxn): Promise<UserRow> => {
      const current = await this.#store.rowByName(txn, username)
      if (current === undefined) {
        await this.#store.insertUser(txn, {
          username,
          role,
          authSource: 'ldap',
          email: identity.email,
          displayName: identity.displayName,
          ldapDn: identity.dn,
        })
        await this.#store.audit(txn, {
          ...ctx,
          actor: 'ldap',
          action: 'user.create',
          target: username,
          outcome: 'allowed',
          details: { role, source: 'ldap', ldapGroups: identity.ldapGroups },
        })
      } else {
        const roleChanged = current.role !== role
        await txn.run(
          `UPDATE users SET email = ?, display_name = ?, ldap_dn = ?, role = ?, updated_at = ?${roleChanged ? ', session_version = session_version + 1' : ''} WHERE id = ?`,
          [
            identity.email ?? null,
            identity.displayName ?? null,
            identity.dn,
            role,
            this.#store.clock(),
            current.id,
          ],
        )
        if (roleChanged) {
          await this.#store.audit(txn, {
            ...ctx,
            actor: 'ldap',
            action: 'user.role',
            target: username,
            outcome: 'allowed',
            details: { from: current.role, to: role, ldapGroups: identity.ldapGroups },
          })
        }
      }
      await this.#syncLdapGroups(txn, username, identity.groups)
      return (await this.#store.rowByName(txn, username))!
    }
    return this.#store.write(refresh).catch((err: unknown) => {
      // Two first logins at once: the other one created the row; refresh it instead.
      if (this.#store.profile.isUniqueViolation(err)) return this.#store.write(refresh)
      throw err
    })
  }

  /**
   * Puts the user in the Hops groups its LDAP groups map to, and out of the other groups the
   * mapping manages, in the filesystem's `user_groups` table; groups outside the mapping (project
   * groups, set by the platform) are left alone.
   */
  async #syncLdapGroups(txn: SqlTxn, username: string, groups: readonly string[]): Promise<void> {
    const managed = new Set(Object.values(this.#ldapGroupMapping))
    for (const group of managed) {
      if (groups.includes(group)) {
        await txn.run(
          `INSERT INTO user_groups (user_name, group_name) VALUES (?, ?)${this.#store.profile.onConflict('user_name, group_name')}`,
          [username, group],
        )
      } else {
        await txn.run('DELETE FROM user_groups WHERE user_name = ? AND group_name = ?', [
          username,
          group,
        ])
      }
    }
  }
}
