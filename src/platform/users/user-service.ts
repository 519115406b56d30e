/**
 * @module
 * Users and login: the service the REST layer and the `hops user` CLI call. Accounts with argon2id
 * passwords, an optional TOTP second factor with recovery codes, LDAP login with group mapping,
 * lockout after repeated failures, password reset by an administrator, API keys with scopes,
 * sessions as signed JWTs, a bootstrap `admin`, and an audit entry for each of these.
 *
 * The service does not decide who may call a method: the REST layer does (a user acts on its own
 * account, an administrator on any), and the CLI is an administrator's tool with database access.
 * Each method takes a {@link RequestContext} naming the actor for the audit log.
 *
 * Password reset by an administrator (design): {@link UserService.resetPassword} sets a random
 * temporary password (or one the administrator gives), valid for `temporaryPasswordTtlMs` (72 h),
 * clears any lockout and ends the user's sessions. A login with a temporary password fails with
 * `PASSWORD_CHANGE_REQUIRED` until it also carries `newPassword`; then the password is changed and
 * the session starts in one step. New accounts created without a password get a temporary one
 * the same way. The generated `admin` password is not temporary: it is random and printed once.
 */
import type { Logger } from 'pino'
import { pino } from 'pino'
import { profileForUrl } from '../../meta/open-meta-engine.js'
import { migrate } from '../../meta/sql/schema.js'
import type { SqlDialectProfile, SqlPool, SqlTxn } from '../../meta/sql/sql-dialect.js'
import {
  API_KEY_SCOPES,
  apiKeySecretMatches,
  newApiKey,
  parseApiKey,
  parseScopes,
} from './api-key.js'
import type { ApiKeyScope } from './api-key.js'
import { appendAudit, queryAuditLog } from './audit-log.js'
import type { AuditEntry, AuditEvent, AuditQuery } from './audit-log.js'
import { AuthError } from './auth-error.js'
import { LdapAuthenticator } from './ldap-authenticator.js'
import type { LdapIdentity, LdapOptions } from './ldap-authenticator.js'
import {
  DEFAULT_PASSWORD_POLICY,
  checkPasswordPolicy,
  dummyPasswordHash,
  hashPassword,
  randomPassword,
  verifyPassword,
} from './password.js'
import type { PasswordPolicy } from './password.js'
import { SecretBox } from './secret-box.js'
import { SessionSigner } from './session-tokens.js'
import {
  isTotpCode,
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  totpUri,
} from './totp.js'
import { USER_COLUMNS, checkEmail, normalizeUsername, parseRole, userFromRow } from './user.js'
import type { User, UserRole, UserRow, UserStatus } from './user.js'

/** Settings of a {@link UserService}; every field has a default. */
export interface UserServiceOptions {
  /**
   * The installation's secret key (≥ 32 characters, see installation-key.ts): encrypts TOTP
   * secrets and the stored session-signing key, keys the recovery-code hashes. Without it TOTP
   * and sessions (unless {@link sessionKey} is set) fail with `CONFIGURATION`.
   */
  readonly secretKey?: string | Uint8Array
  /** The session-signing key (≥ 32 bytes). Default: generated at first start, stored encrypted. */
  readonly sessionKey?: string | Uint8Array
  /** Session lifetime, ms. Default 1 h. */
  readonly sessionTtlMs?: number
  /** Default 10 to 256 characters. */
  readonly passwordPolicy?: Partial<PasswordPolicy>
  /** Consecutive failed logins that lock an account. Default 5. */
  readonly maxFailedLogins?: number
  /** How long such a lock lasts, ms. Default 15 min. */
  readonly lockoutMs?: number
  /** How long a temporary password set by an administrator is valid, ms. Default 72 h. */
  readonly temporaryPasswordTtlMs?: number
  /** The issuer shown by authenticator apps. Default `Hops`. */
  readonly totpIssuer?: string
  /** LDAP login; local accounts only when absent. */
  readonly ldap?: LdapOptions
  /** Milliseconds since the epoch. Default `Date.now` (tests control time with it). */
  readonly clock?: () => number
  /** Default silent. Never receives a password, code, token or key. */
  readonly logger?: Logger
}

/** Who acts and from where, for the audit log. */
export interface RequestContext {
  /** The authenticated user name, `cli:<os user>`, or `system`. */
  readonly actor: string
  readonly remoteAddress?: string
}

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

/** An authenticated caller, from a session or an API key. */
export interface Principal {
  readonly userId: number
  readonly username: string
  readonly role: UserRole
  /** What the caller may do: a session has every scope of its role, an API key its own. */
  readonly scopes: readonly ApiKeyScope[]
  readonly via: 'session' | 'apikey'
  /** The API key's id when `via` is `apikey`. */
  readonly apiKeyId?: string
}

/** An API key without its secret. */
export interface ApiKeyInfo {
  readonly id: string
  readonly username: string
  readonly name: string
  readonly scopes: readonly ApiKeyScope[]
  readonly createdAt: number
  readonly lastUsedAt?: number
  readonly expiresAt?: number
  readonly revokedAt?: number
}

export interface TotpEnrolment {
  /** `otpauth://totp/…` for a QR code; it holds the secret. */
  readonly uri: string
  /** The secret in base32, for typing into an app. */
  readonly secret: string
  /** Ten single-use codes, shown once. */
  readonly recoveryCodes: readonly string[]
}

const SESSION_KEY_NAME = 'session-signing-key'
/** `last_used_at` of an API key is written at most once per this many ms (a write per request is too many). */
const LAST_USED_RESOLUTION_MS = 60_000

function scopesOfRole(role: UserRole): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((s) => s !== 'admin' || role === 'admin')
}

function toBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key
}

interface ApiKeyRow {
  id: string
  user_id: number
  name: string
  secret_hash: string
  scopes: string
  created_at: number
  last_used_at: number | null
  expires_at: number | null
  revoked_at: number | null
}

function apiKeyFromRow(r: ApiKeyRow, username: string): ApiKeyInfo {
  return {
    id: r.id,
    username,
    name: r.name,
    scopes: parseScopes(r.scopes),
    createdAt: Number(r.created_at),
    ...(r.last_used_at !== null ? { lastUsedAt: Number(r.last_used_at) } : {}),
    ...(r.expires_at !== null ? { expiresAt: Number(r.expires_at) } : {}),
    ...(r.revoked_at !== null ? { revokedAt: Number(r.revoked_at) } : {}),
  }
}

/** What a failed step of a login did, decided inside a transaction and thrown after it commits. */
type FailureKind = 'password' | 'totp' | 'recovery-code' | 'totp-replay' | 'ldap'

/** Users, login, sessions, API keys and the audit log over one SQL database. */
export class UserService {
  readonly #pool: SqlPool
  readonly #profile: SqlDialectProfile
  readonly #ownsPool: boolean
  readonly #box: SecretBox | undefined
  readonly #ldap: LdapAuthenticator | undefined
  readonly #clock: () => number
  readonly #log: Logger
  readonly #policy: PasswordPolicy
  readonly #maxFailed: number
  readonly #lockoutMs: number
  readonly #tempTtlMs: number
  readonly #sessionTtlMs: number
  readonly #issuer: string
  readonly #sessionKey: Uint8Array | undefined
  readonly #ldapGroupMapping: Readonly<Record<string, string>>
  #signer: Promise<SessionSigner> | undefined

  /**
   * A service on an open pool whose schema is migrated (see {@link UserService.open}).
   * @throws TypeError for invalid options (short keys, non-positive limits)
   */
  constructor(
    pool: SqlPool,
    profile: SqlDialectProfile,
    options: UserServiceOptions = {},
    ownsPool = false,
  ) {
    this.#pool = pool
    this.#profile = profile
    this.#ownsPool = ownsPool
    this.#box = options.secretKey !== undefined ? new SecretBox(options.secretKey) : undefined
    this.#ldap = options.ldap !== undefined ? new LdapAuthenticator(options.ldap) : undefined
    this.#ldapGroupMapping = Object.freeze({ ...options.ldap?.groupMapping })
    this.#clock = options.clock ?? Date.now
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'platform.users' })
    this.#policy = Object.freeze({ ...DEFAULT_PASSWORD_POLICY, ...options.passwordPolicy })
    this.#maxFailed = options.maxFailedLogins ?? 5
    this.#lockoutMs = options.lockoutMs ?? 15 * 60_000
    this.#tempTtlMs = options.temporaryPasswordTtlMs ?? 72 * 3_600_000
    this.#sessionTtlMs = options.sessionTtlMs ?? 3_600_000
    this.#issuer = options.totpIssuer ?? 'Hops'
    if (options.sessionKey !== undefined) {
      this.#sessionKey = toBytes(options.sessionKey)
      if (this.#sessionKey.length < 32) throw new TypeError('sessionKey must be at least 32 bytes')
    }
    if (!(this.#maxFailed >= 1)) throw new TypeError('maxFailedLogins must be at least 1')
    if (!(this.#lockoutMs > 0)) throw new TypeError('lockoutMs must be positive')
    if (this.#policy.minLength < 8) throw new TypeError('passwordPolicy.minLength must be ≥ 8')
  }

  /** Connects to the metadata database at `url`, migrates it and returns a service owning the pool. */
  static async open(url: string, options: UserServiceOptions = {}): Promise<UserService> {
    const profile = profileForUrl(url)
    const pool = await profile.open(url, { poolSize: 4 })
    try {
      await migrate(pool, profile)
      return new UserService(pool, profile, options, true)
    } catch (err) {
      await pool.close()
      throw err
    }
  }

  /** Closes the pool if this service opened it. */
  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.close()
  }

  // ---------------------------------------------------------------- transactions and rows

  /** One write transaction, run again (bounded, jittered) while the database says it may be. */
  async #write<T>(fn: (txn: SqlTxn) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#pool.transaction(fn, { readOnly: false })
      } catch (err) {
        if (attempt >= 8 || !this.#profile.isRetryable(err)) throw err
        await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt))
      }
    }
  }

  #read<T>(fn: (txn: SqlTxn) => Promise<T>): Promise<T> {
    return this.#pool.transaction(fn, { readOnly: true })
  }

  #rowByName(txn: SqlTxn, username: string): Promise<UserRow | undefined> {
    return txn.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username])
  }

  async #requireRow(username: string): Promise<UserRow> {
    const name = normalizeUsername(username)
    const row = await this.#read((txn) => this.#rowByName(txn, name))
    if (row === undefined) throw new AuthError('USER_NOT_FOUND', `no user '${name}'`)
    return row
  }

  #audit(txn: SqlTxn, event: AuditEvent): Promise<void> {
    return appendAudit(txn, this.#clock(), event)
  }

  #requireBox(what: string): SecretBox {
    if (this.#box === undefined) {
      throw new AuthError(
        'CONFIGURATION',
        `${what} needs the installation's secret key (HOPS_SECRET_KEY), which is not configured`,
      )
    }
    return this.#box
  }

  // ---------------------------------------------------------------- accounts

  /**
   * Creates the `admin` account when no administrator exists (first start).
   * @returns its user name and random password, to print once; undefined when an admin exists
   * @throws AuthError USER_EXISTS when a non-admin user is called `admin`
   */
  async ensureAdmin(
    ctx: RequestContext = { actor: 'system' },
  ): Promise<{ username: string; password: string } | undefined> {
    const hasAdmin = (txn: SqlTxn) =>
      txn.get("SELECT id FROM users WHERE role = 'admin' AND status <> 'disabled' LIMIT 1")
    if ((await this.#read(hasAdmin)) !== undefined) return undefined
    const password = randomPassword(24)
    const passwordHash = await hashPassword(password)
    const created = await this.#write(async (txn) => {
      if ((await hasAdmin(txn)) !== undefined) return false
      if ((await this.#rowByName(txn, 'admin')) !== undefined) {
        throw new AuthError(
          'USER_EXISTS',
          "no active administrator, and the user 'admin' exists without the admin role: run `hops user role admin admin`",
        )
      }
      await this.#insertUser(txn, {
        username: 'admin',
        role: 'admin',
        authSource: 'local',
        passwordHash,
      })
      await this.#audit(txn, {
        ...ctx,
        action: 'user.create',
        target: 'admin',
        outcome: 'allowed',
        details: { role: 'admin', bootstrap: true },
      })
      return true
    }).catch((err: unknown) => {
      // Another process created it at the same moment: it prints the password, not us.
      if (this.#profile.isUniqueViolation(err)) return false
      throw err
    })
    if (!created) return undefined
    this.#log.info({ username: 'admin' }, 'created the admin account')
    return { username: 'admin', password }
  }

  async #insertUser(
    txn: SqlTxn,
    u: {
      username: string
      role: UserRole
      authSource: 'local' | 'ldap'
      passwordHash?: string
      email?: string | undefined
      displayName?: string | undefined
      ldapDn?: string
      temporary?: boolean
    },
  ): Promise<void> {
    const now = this.#clock()
    await txn.run(
      'INSERT INTO users (username, email, display_name, role, status, auth_source, ldap_dn, password_hash, must_change_password, password_expires_at, password_changed_at, created_at, updated_at) ' +
        "VALUES (?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)",
      [
        u.username,
        u.email ?? null,
        u.displayName ?? null,
        u.role,
        u.authSource,
        u.ldapDn ?? null,
        u.passwordHash ?? null,
        u.temporary === true ? 1 : 0,
        u.temporary === true ? now + this.#tempTtlMs : null,
        u.passwordHash !== undefined ? now : null,
        now,
        now,
      ],
    )
  }

  /**
   * Creates a local account. Without `password` a temporary one is generated and returned (the
   * first login must change it).
   * @throws AuthError USER_EXISTS, INVALID_ARGUMENT, PASSWORD_POLICY
   */
  async createUser(
    req: {
      readonly username: string
      readonly password?: string
      readonly email?: string
      readonly displayName?: string
      readonly role?: UserRole
    },
    ctx: RequestContext,
  ): Promise<{ user: User; temporaryPassword?: string }> {
    const username = normalizeUsername(req.username)
    const role = parseRole(req.role ?? 'user')
    const email = req.email !== undefined ? checkEmail(req.email) : undefined
    if (req.password !== undefined) checkPasswordPolicy(req.password, username, this.#policy)
    const temporaryPassword = req.password === undefined ? randomPassword(20) : undefined
    const passwordHash = await hashPassword(req.password ?? temporaryPassword!)
    const row = await this.#write(async (txn) => {
      await this.#insertUser(txn, {
        username,
        role,
        authSource: 'local',
        passwordHash,
        email,
        displayName: req.displayName?.trim(),
        temporary: temporaryPassword !== undefined,
      })
      await this.#audit(txn, {
        ...ctx,
        action: 'user.create',
        target: username,
        outcome: 'allowed',
        details: { role, temporaryPassword: temporaryPassword !== undefined },
      })
      return (await this.#rowByName(txn, username))!
    }).catch((err: unknown) => {
      if (this.#profile.isUniqueViolation(err)) {
        throw new AuthError('USER_EXISTS', `the user '${username}' already exists`)
      }
      throw err
    })
    return {
      user: userFromRow(row),
      ...(temporaryPassword !== undefined ? { temporaryPassword } : {}),
    }
  }

  /** @throws AuthError USER_NOT_FOUND */
  async getUser(username: string): Promise<User> {
    return userFromRow(await this.#requireRow(username))
  }

  /** Every user, by name. */
  async listUsers(): Promise<User[]> {
    const rows = await this.#read((txn) =>
      txn.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`),
    )
    return rows.map(userFromRow)
  }

  /** The groups of a user on the filesystem (`user_groups`: from LDAP group mapping, projects). */
  async groupsOf(username: string): Promise<string[]> {
    const row = await this.#requireRow(username)
    const rows = await this.#read((txn) =>
      txn.all<{ group_name: string }>(
        'SELECT group_name FROM user_groups WHERE user_name = ? ORDER BY group_name',
        [row.username],
      ),
    )
    return rows.map((r) => r.group_name)
  }

  /**
   * Changes a user's role; the user's sessions end (their tokens carry the role).
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (demoting the last administrator)
   */
  async setRole(username: string, role: UserRole, ctx: RequestContext): Promise<User> {
    const row = await this.#requireRow(username)
    parseRole(role)
    if (row.role === role) return userFromRow(row)
    return this.#write(async (txn) => {
      if (row.role === 'admin') await this.#requireAnotherAdmin(txn, row.id)
      await txn.run(
        'UPDATE users SET role = ?, session_version = session_version + 1, updated_at = ? WHERE id = ?',
        [role, this.#clock(), row.id],
      )
      await this.#audit(txn, {
        ...ctx,
        action: 'user.role',
        target: row.username,
        outcome: 'allowed',
        details: { from: row.role, to: role },
      })
      return userFromRow((await this.#rowByName(txn, row.username))!)
    })
  }

  async #requireAnotherAdmin(txn: SqlTxn, userId: number): Promise<void> {
    const other = await txn.get(
      "SELECT id FROM users WHERE role = 'admin' AND status = 'active' AND id <> ? LIMIT 1",
      [userId],
    )
    if (other === undefined) {
      throw new AuthError('INVALID_ARGUMENT', 'this is the last active administrator')
    }
  }

  /**
   * Locks (`locked`, until unlocked), disables or re-activates an account; locking or disabling
   * ends the user's sessions. `active` also clears a lockout after failed logins.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (the last active administrator)
   */
  async setStatus(username: string, status: UserStatus, ctx: RequestContext): Promise<User> {
    const row = await this.#requireRow(username)
    const action =
      status === 'locked' ? 'user.lock' : status === 'active' ? 'user.unlock' : 'user.status'
    return this.#write(async (txn) => {
      if (status !== 'active' && row.role === 'admin') await this.#requireAnotherAdmin(txn, row.id)
      await txn.run(
        'UPDATE users SET status = ?, failed_attempts = 0, locked_until = NULL, updated_at = ?' +
          (status === 'active' ? '' : ', session_version = session_version + 1') +
          ' WHERE id = ?',
        [status, this.#clock(), row.id],
      )
      await this.#audit(txn, {
        ...ctx,
        action,
        target: row.username,
        outcome: 'allowed',
        details: {
          from: row.status,
          to: status,
          ...(row.locked_until !== null && Number(row.locked_until) > this.#clock()
            ? { lockedUntil: Number(row.locked_until) }
            : {}),
        },
      })
      return userFromRow((await this.#rowByName(txn, row.username))!)
    })
  }

  /** An administrator's lock: no login, no API key, sessions ended. */
  lockUser(username: string, ctx: RequestContext): Promise<User> {
    return this.setStatus(username, 'locked', ctx)
  }

  /** Lifts an administrator's lock and a lockout after failed logins. */
  unlockUser(username: string, ctx: RequestContext): Promise<User> {
    return this.setStatus(username, 'active', ctx)
  }

  // ---------------------------------------------------------------- passwords

  /**
   * Changes a local user's password after checking the current one (a wrong one counts as a
   * failed login). Ends the user's other sessions.
   * @throws AuthError INVALID_CREDENTIALS, ACCOUNT_LOCKED, PASSWORD_POLICY, INVALID_ARGUMENT (LDAP user)
   */
  async changePassword(
    req: {
      readonly username: string
      readonly currentPassword: string
      readonly newPassword: string
    },
    ctx: RequestContext,
  ): Promise<void> {
    const row = await this.#requireRow(req.username)
    this.#requireLocal(row)
    await this.#refuseLocked(row, ctx)
    if (
      row.password_hash === null ||
      !(await verifyPassword(row.password_hash, req.currentPassword))
    ) {
      return this.#failed(row, ctx, 'password')
    }
    await this.#setPassword(row, req.newPassword, ctx, 'password.change')
  }

  /**
   * An administrator's reset: a temporary password (random, or `password`) that the next login
   * must change, valid for `temporaryPasswordTtlMs`; clears a lockout, ends the user's sessions.
   * @returns the temporary password, to hand to the user
   * @throws AuthError USER_NOT_FOUND, PASSWORD_POLICY, INVALID_ARGUMENT (LDAP user)
   */
  async resetPassword(
    username: string,
    ctx: RequestContext,
    options: { readonly password?: string } = {},
  ): Promise<{ temporaryPassword: string }> {
    const row = await this.#requireRow(username)
    this.#requireLocal(row)
    if (options.password !== undefined)
      checkPasswordPolicy(options.password, row.username, this.#policy)
    const temporaryPassword = options.password ?? randomPassword(20)
    const passwordHash = await hashPassword(temporaryPassword)
    const now = this.#clock()
    await this.#write(async (txn) => {
      await txn.run(
        'UPDATE users SET password_hash = ?, must_change_password = 1, password_expires_at = ?, password_changed_at = ?, failed_attempts = 0, locked_until = NULL, session_version = session_version + 1, updated_at = ? WHERE id = ?',
        [passwordHash, now + this.#tempTtlMs, now, now, row.id],
      )
      await this.#audit(txn, {
        ...ctx,
        action: 'password.reset',
        target: row.username,
        outcome: 'allowed',
        details: { expiresAt: now + this.#tempTtlMs },
      })
    })
    return { temporaryPassword }
  }

  #requireLocal(row: UserRow): void {
    if (row.auth_source !== 'local') {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `'${row.username}' logs in through LDAP: change the password in the directory`,
      )
    }
  }

  async #setPassword(
    row: UserRow,
    newPassword: string,
    ctx: RequestContext,
    action: 'password.change',
    txnExtra?: (txn: SqlTxn) => Promise<void>,
  ): Promise<void> {
    checkPasswordPolicy(newPassword, row.username, this.#policy)
    if (row.password_hash !== null && (await verifyPassword(row.password_hash, newPassword))) {
      throw new AuthError('PASSWORD_POLICY', 'the new password must differ from the current one')
    }
    const passwordHash = await hashPassword(newPassword)
    const now = this.#clock()
    await this.#write(async (txn) => {
      await txn.run(
        'UPDATE users SET password_hash = ?, must_change_password = 0, password_expires_at = NULL, password_changed_at = ?, session_version = session_version + 1, updated_at = ? WHERE id = ?',
        [passwordHash, now, now, row.id],
      )
      await this.#audit(txn, { ...ctx, action, target: row.username, outcome: 'allowed' })
      await txnExtra?.(txn)
    })
  }

  // ---------------------------------------------------------------- login

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
      await this.#write((txn) =>
        this.#audit(txn, {
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
    let row = await this.#read((txn) => this.#rowByName(txn, username))
    if (this.#ldap !== undefined && (row === undefined || row.auth_source === 'ldap')) {
      row = await this.#ldapLogin(this.#ldap, username, req.password, row, actx)
    } else {
      if (row === undefined) {
        await verifyPassword(await dummyPasswordHash(), req.password)
        await this.#deny(actx, username, 'unknown user')
        throw new AuthError('INVALID_CREDENTIALS', 'invalid user name or password')
      }
      await this.#refuseLocked(row, actx)
      if (row.password_hash === null || !(await verifyPassword(row.password_hash, req.password))) {
        return this.#failed(row, actx, 'password')
      }
    }
    return this.#completeLogin(row, req, actx)
  }

  async #deny(ctx: RequestContext, target: string, reason: string): Promise<void> {
    this.#log.info({ username: target, remoteAddress: ctx.remoteAddress, reason }, 'login denied')
    await this.#write((txn) =>
      this.#audit(txn, { ...ctx, action: 'login', target, outcome: 'denied', details: { reason } }),
    )
  }

  async #refuseLocked(row: UserRow, ctx: RequestContext): Promise<void> {
    if (row.status === 'locked') {
      await this.#deny(ctx, row.username, 'locked by an administrator')
      throw new AuthError(
        'ACCOUNT_LOCKED',
        `the account '${row.username}' is locked: ask an administrator`,
      )
    }
    const until = row.locked_until === null ? 0 : Number(row.locked_until)
    if (until > this.#clock()) {
      await this.#deny(ctx, row.username, 'locked after failed logins')
      throw new AuthError(
        'ACCOUNT_LOCKED',
        `the account '${row.username}' is locked after ${this.#maxFailed} failed logins until ${new Date(until).toISOString()}`,
      )
    }
  }

  /** Counts a failure, locks the account at the limit, and throws. */
  async #failed(row: UserRow, ctx: RequestContext, kind: FailureKind): Promise<never> {
    const now = this.#clock()
    const locked = await this.#write(async (txn) => {
      await txn.run('UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?', [row.id])
      const r = await txn.get<{ failed_attempts: number }>(
        'SELECT failed_attempts FROM users WHERE id = ?',
        [row.id],
      )
      const failures = Number(r?.failed_attempts ?? 0)
      await this.#audit(txn, {
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
      await this.#audit(txn, {
        ...ctx,
        action: 'login.lockout',
        target: row.username,
        outcome: 'denied',
        details: { failures, lockedUntil: now + this.#lockoutMs },
      })
      return true
    })
    this.#log.info(
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
    const now = this.#clock()
    if (row.status === 'disabled') {
      await this.#deny(ctx, row.username, 'disabled')
      throw new AuthError('ACCOUNT_DISABLED', `the account '${row.username}' is disabled`)
    }
    let factor: { kind: 'totp'; step: number } | { kind: 'recovery-code'; hash: string } | undefined
    if (Number(row.totp_enabled) === 1) {
      if (req.otp === undefined || req.otp.trim() === '') {
        throw new AuthError('TOTP_REQUIRED', 'enter the code from your authenticator app')
      }
      const box = this.#requireBox('TOTP')
      if (isTotpCode(req.otp)) {
        const secret = box.open(row.totp_secret ?? '', `totp:${row.id}`)
        const step = matchTotp(secret, req.otp, now)
        if (step === undefined) return this.#failed(row, ctx, 'totp')
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
    const outcome = await this.#write(async (txn) => {
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
        await this.#audit(txn, {
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
        await this.#audit(txn, {
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
      await this.#audit(txn, {
        ...ctx,
        action: 'login',
        target: row.username,
        outcome: 'allowed',
        details: { source: row.auth_source, ...(factor ? { factor: factor.kind } : {}) },
      })
      return (await this.#rowByName(txn, row.username))!
    })
    if (typeof outcome === 'string') return this.#failed(row, ctx, outcome)
    const signer = await this.#sessionSigner()
    const { token, expiresAt } = await signer.sign({
      sub: outcome.username,
      uid: Number(outcome.id),
      role: outcome.role === 'admin' ? 'admin' : 'user',
      sv: Number(outcome.session_version),
    })
    this.#log.info({ username: row.username, remoteAddress: ctx.remoteAddress }, 'login')
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
    if (row !== undefined) await this.#refuseLocked(row, ctx)
    let identity: LdapIdentity | undefined
    try {
      identity = await ldap.authenticate(username, password)
    } catch (err) {
      if (err instanceof AuthError) await this.#deny(ctx, username, err.message)
      throw err
    }
    if (identity === undefined) {
      if (row !== undefined) return this.#failed(row, ctx, 'ldap')
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
      const current = await this.#rowByName(txn, username)
      if (current === undefined) {
        await this.#insertUser(txn, {
          username,
          role,
          authSource: 'ldap',
          email: identity.email,
          displayName: identity.displayName,
          ldapDn: identity.dn,
        })
        await this.#audit(txn, {
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
            this.#clock(),
            current.id,
          ],
        )
        if (roleChanged) {
          await this.#audit(txn, {
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
      return (await this.#rowByName(txn, username))!
    }
    return this.#write(refresh).catch((err: unknown) => {
      // Two first logins at once: the other one created the row; refresh it instead.
      if (this.#profile.isUniqueViolation(err)) return this.#write(refresh)
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
          `INSERT INTO user_groups (user_name, group_name) VALUES (?, ?)${this.#profile.onConflict('user_name, group_name')}`,
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

  // ---------------------------------------------------------------- TOTP

  /**
   * Starts TOTP enrolment: a new secret (stored encrypted, not yet required) and ten new recovery
   * codes. TOTP is required at login once {@link confirmTotp} accepted a first code.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (already enabled), CONFIGURATION
   */
  async enrolTotp(username: string, ctx: RequestContext): Promise<TotpEnrolment> {
    const box = this.#requireBox('TOTP')
    const row = await this.#requireRow(username)
    if (Number(row.totp_enabled) === 1) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `TOTP is already enabled for '${row.username}': disable it first`,
      )
    }
    const secret = newTotpSecret()
    const recoveryCodes = newRecoveryCodes()
    await this.#write(async (txn) => {
      await txn.run(
        'UPDATE users SET totp_secret = ?, totp_enabled = 0, totp_last_step = NULL, updated_at = ? WHERE id = ?',
        [box.seal(secret, `totp:${row.id}`), this.#clock(), row.id],
      )
      await this.#replaceRecoveryCodes(txn, box, row.id, recoveryCodes)
      await this.#audit(txn, {
        ...ctx,
        action: 'totp.enrol',
        target: row.username,
        outcome: 'allowed',
      })
    })
    return { uri: totpUri(secret, row.username, this.#issuer), secret, recoveryCodes }
  }

  async #replaceRecoveryCodes(
    txn: SqlTxn,
    box: SecretBox,
    userId: number,
    codes: readonly string[],
  ): Promise<void> {
    await txn.run('DELETE FROM user_recovery_codes WHERE user_id = ?', [userId])
    for (const code of codes) {
      await txn.run('INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (?, ?)', [
        userId,
        box.mac('recovery-codes', `${userId}:${normalizeRecoveryCode(code)}`),
      ])
    }
  }

  /**
   * Completes enrolment with a first code from the app; from now on login needs a code.
   * @throws AuthError INVALID_TOTP, INVALID_ARGUMENT (no enrolment pending)
   */
  async confirmTotp(username: string, code: string, ctx: RequestContext): Promise<void> {
    const box = this.#requireBox('TOTP')
    const row = await this.#requireRow(username)
    if (row.totp_secret === null || Number(row.totp_enabled) === 1) {
      throw new AuthError('INVALID_ARGUMENT', `no TOTP enrolment is pending for '${row.username}'`)
    }
    const step = matchTotp(box.open(row.totp_secret, `totp:${row.id}`), code, this.#clock())
    if (step === undefined) {
      await this.#write((txn) =>
        this.#audit(txn, {
          ...ctx,
          action: 'totp.confirm',
          target: row.username,
          outcome: 'denied',
        }),
      )
      throw new AuthError('INVALID_TOTP', 'invalid TOTP code')
    }
    await this.#write(async (txn) => {
      await txn.run(
        'UPDATE users SET totp_enabled = 1, totp_last_step = ?, updated_at = ? WHERE id = ?',
        [step, this.#clock(), row.id],
      )
      await this.#audit(txn, {
        ...ctx,
        action: 'totp.confirm',
        target: row.username,
        outcome: 'allowed',
      })
    })
  }

  /** Turns TOTP off and deletes the secret and the recovery codes. */
  async disableTotp(username: string, ctx: RequestContext): Promise<void> {
    const row = await this.#requireRow(username)
    await this.#write(async (txn) => {
      await txn.run(
        'UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = NULL, updated_at = ? WHERE id = ?',
        [this.#clock(), row.id],
      )
      await txn.run('DELETE FROM user_recovery_codes WHERE user_id = ?', [row.id])
      await this.#audit(txn, {
        ...ctx,
        action: 'totp.disable',
        target: row.username,
        outcome: 'allowed',
      })
    })
  }

  // ---------------------------------------------------------------- sessions

  #sessionSigner(): Promise<SessionSigner> {
    this.#signer ??= this.#loadSigner().catch((err: unknown) => {
      this.#signer = undefined
      throw err
    })
    return this.#signer
  }

  async #loadSigner(): Promise<SessionSigner> {
    if (this.#sessionKey !== undefined) {
      return new SessionSigner(this.#sessionKey, this.#sessionTtlMs, this.#clock)
    }
    const box = this.#requireBox('signing sessions')
    const context = `session-key:${SESSION_KEY_NAME}`
    const read = (txn: SqlTxn) =>
      txn.get<{ value: string }>('SELECT value FROM auth_secrets WHERE name = ?', [
        SESSION_KEY_NAME,
      ])
    let stored = await this.#read(read)
    if (stored === undefined) {
      // First start: generate; a server starting at the same moment keeps whichever was first.
      const sealed = box.seal(Buffer.from(SessionSigner.generateKey()).toString('base64'), context)
      stored = await this.#write(async (txn) => {
        await txn.run(
          `INSERT INTO auth_secrets (name, value, created_at) VALUES (?, ?, ?)${this.#profile.onConflict('name')}`,
          [SESSION_KEY_NAME, sealed, this.#clock()],
        )
        return read(txn)
      })
    }
    const key = Buffer.from(box.open(stored!.value, context), 'base64')
    return new SessionSigner(key, this.#sessionTtlMs, this.#clock)
  }

  /**
   * The caller a session token belongs to.
   * @throws AuthError TOKEN_EXPIRED, INVALID_TOKEN (bad signature, malformed, or the session was
   *   ended by a password change, reset, lock or role change)
   */
  async verifySession(token: string): Promise<Principal> {
    const claims = await (await this.#sessionSigner()).verify(token)
    const row = await this.#read((txn) => this.#rowByName(txn, claims.sub))
    if (
      row === undefined ||
      Number(row.id) !== claims.uid ||
      row.status !== 'active' ||
      Number(row.session_version) !== claims.sv
    ) {
      throw new AuthError(
        'INVALID_TOKEN',
        'the session was ended (password changed, account locked or role changed): log in again',
      )
    }
    const role = row.role === 'admin' ? 'admin' : 'user'
    return {
      userId: claims.uid,
      username: row.username,
      role,
      scopes: scopesOfRole(role),
      via: 'session',
    }
  }

  /**
   * The caller behind a credential: an API key (`hops_…`) or a session token.
   * @throws AuthError as {@link verifyApiKey} or {@link verifySession}
   */
  authenticate(credential: string, ctx: Omit<RequestContext, 'actor'> = {}): Promise<Principal> {
    return credential.startsWith('hops_')
      ? this.verifyApiKey(credential, ctx)
      : this.verifySession(credential)
  }

  // ---------------------------------------------------------------- API keys

  /**
   * Creates an API key for `username`; the key text is returned once and never stored.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (scopes, name, expiry), SCOPE_DENIED
   *   (`admin` for a non-admin)
   */
  async createApiKey(
    username: string,
    req: {
      readonly name: string
      readonly scopes: string | readonly string[]
      /** ms since the epoch; none: the key does not expire */
      readonly expiresAt?: number
    },
    ctx: RequestContext,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const row = await this.#requireRow(username)
    const scopes = parseScopes(req.scopes)
    const name = req.name.trim()
    if (name.length === 0 || name.length > 64) {
      throw new AuthError('INVALID_ARGUMENT', 'an API key name has 1 to 64 characters')
    }
    if (scopes.includes('admin') && row.role !== 'admin') {
      throw new AuthError(
        'SCOPE_DENIED',
        `'${row.username}' is not an administrator: no admin scope`,
      )
    }
    const now = this.#clock()
    if (req.expiresAt !== undefined && !(req.expiresAt > now)) {
      throw new AuthError('INVALID_ARGUMENT', 'the expiry of an API key must be in the future')
    }
    const { id, key, secretHash } = newApiKey()
    await this.#write(async (txn) => {
      await txn.run(
        'INSERT INTO api_keys (id, user_id, name, secret_hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, row.id, name, secretHash, scopes.join(' '), now, req.expiresAt ?? null],
      )
      await this.#audit(txn, {
        ...ctx,
        action: 'apikey.create',
        target: row.username,
        outcome: 'allowed',
        details: {
          keyId: id,
          name,
          scopes,
          ...(req.expiresAt !== undefined ? { expiresAt: req.expiresAt } : {}),
        },
      })
    })
    return {
      key,
      info: {
        id,
        username: row.username,
        name,
        scopes,
        createdAt: now,
        ...(req.expiresAt !== undefined ? { expiresAt: req.expiresAt } : {}),
      },
    }
  }

  /** A user's API keys (revoked and expired ones included), newest first. */
  async listApiKeys(username: string): Promise<ApiKeyInfo[]> {
    const row = await this.#requireRow(username)
    const rows = await this.#read((txn) =>
      txn.all<ApiKeyRow>('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id', [
        row.id,
      ]),
    )
    return rows.map((r) => apiKeyFromRow(r, row.username))
  }

  /**
   * Revokes a key of `username` at once. Revoking a revoked key changes nothing.
   * @throws AuthError USER_NOT_FOUND, API_KEY_NOT_FOUND
   */
  async revokeApiKey(username: string, keyId: string, ctx: RequestContext): Promise<void> {
    const row = await this.#requireRow(username)
    const id = keyId.startsWith('hops_') ? (parseApiKey(keyId)?.id ?? keyId) : keyId
    await this.#write(async (txn) => {
      const key = await txn.get<{ revoked_at: number | null }>(
        'SELECT revoked_at FROM api_keys WHERE id = ? AND user_id = ?',
        [id, row.id],
      )
      if (key === undefined) {
        throw new AuthError(
          'API_KEY_NOT_FOUND',
          `'${row.username}' has no API key ${id.slice(0, 12)}`,
        )
      }
      if (key.revoked_at !== null) return
      await txn.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [this.#clock(), id])
      await this.#audit(txn, {
        ...ctx,
        action: 'apikey.revoke',
        target: row.username,
        outcome: 'allowed',
        details: { keyId: id },
      })
    })
  }

  /**
   * The caller an API key belongs to, with the key's scopes (less `admin` when the user is no
   * longer an administrator). A refused key is audited.
   * @throws AuthError INVALID_API_KEY, API_KEY_REVOKED, API_KEY_EXPIRED, ACCOUNT_LOCKED, ACCOUNT_DISABLED
   */
  async verifyApiKey(key: string, ctx: Omit<RequestContext, 'actor'> = {}): Promise<Principal> {
    const parsed = parseApiKey(key)
    if (parsed === undefined) throw new AuthError('INVALID_API_KEY', 'malformed API key')
    const found = await this.#read((txn) =>
      txn.get<ApiKeyRow & { username: string; role: string; status: string }>(
        'SELECT k.*, u.username, u.role, u.status FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = ?',
        [parsed.id],
      ),
    )
    const now = this.#clock()
    const refuse = async (
      code:
        | 'INVALID_API_KEY'
        | 'API_KEY_REVOKED'
        | 'API_KEY_EXPIRED'
        | 'ACCOUNT_LOCKED'
        | 'ACCOUNT_DISABLED',
      message: string,
    ): Promise<never> => {
      this.#log.info(
        { keyId: parsed.id, remoteAddress: ctx.remoteAddress, reason: code },
        'API key refused',
      )
      await this.#write((txn) =>
        this.#audit(txn, {
          actor: found?.username ?? '-',
          ...ctx,
          action: 'apikey.use',
          ...(found !== undefined ? { target: found.username } : {}),
          outcome: 'denied',
          details: { keyId: parsed.id, reason: code },
        }),
      )
      throw new AuthError(code, message)
    }
    if (found === undefined || !apiKeySecretMatches(parsed.secret, found.secret_hash)) {
      return refuse('INVALID_API_KEY', `unknown API key ${parsed.id}`)
    }
    if (found.revoked_at !== null)
      return refuse('API_KEY_REVOKED', `the API key ${parsed.id} was revoked`)
    if (found.expires_at !== null && Number(found.expires_at) <= now) {
      return refuse('API_KEY_EXPIRED', `the API key ${parsed.id} has expired`)
    }
    if (found.status === 'locked')
      return refuse('ACCOUNT_LOCKED', `the account '${found.username}' is locked`)
    if (found.status !== 'active')
      return refuse('ACCOUNT_DISABLED', `the account '${found.username}' is disabled`)
    if (
      found.last_used_at === null ||
      now - Number(found.last_used_at) >= LAST_USED_RESOLUTION_MS
    ) {
      await this.#write((txn) =>
        txn.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [now, parsed.id]),
      )
    }
    const role: UserRole = found.role === 'admin' ? 'admin' : 'user'
    const scopes = parseScopes(found.scopes).filter((s) => s !== 'admin' || role === 'admin')
    return {
      userId: Number(found.user_id),
      username: found.username,
      role,
      scopes,
      via: 'apikey',
      apiKeyId: parsed.id,
    }
  }

  // ---------------------------------------------------------------- audit

  /** Audit entries, newest first (see {@link AuditQuery}). */
  queryAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.#read((txn) => queryAuditLog(txn, query))
  }

  toJSON(): string {
    return '[UserService]'
  }
}
