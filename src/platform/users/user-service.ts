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
import type { SqlDialectProfile, SqlPool } from '../../meta/sql/sql-dialect.js'
import { SecretBox } from '../../security/secret-box.js'
import { Accounts } from './accounts.js'
import type { ChangePasswordRequest, CreateUserRequest } from './accounts.js'
import { ApiKeys } from './api-keys.js'
import type { ApiKeyInfo, CreateApiKeyRequest } from './api-keys.js'
import { queryAuditLog } from './audit-log.js'
import type { AuditEntry, AuditQuery } from './audit-log.js'
import { LdapAuthenticator } from './ldap-authenticator.js'
import type { LdapOptions } from './ldap-authenticator.js'
import { LoginFlow } from './login-flow.js'
import type { LoginRequest, LoginResult } from './login-flow.js'
import { DEFAULT_PASSWORD_POLICY } from './password.js'
import type { PasswordPolicy } from './password.js'
import { Sessions } from './sessions.js'
import type { Principal } from './sessions.js'
import { TotpEnrolments } from './totp-enrolments.js'
import type { TotpEnrolment } from './totp-enrolments.js'
import type { User, UserRole, UserStatus } from './user.js'
import { UserStore } from './user-store.js'
import type { RequestContext } from './user-store.js'

export type { ApiKeyInfo } from './api-keys.js'
export type { LoginRequest, LoginResult } from './login-flow.js'
export type { Principal } from './sessions.js'
export type { TotpEnrolment } from './totp-enrolments.js'
export type { RequestContext } from './user-store.js'

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

function toBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key
}

/**
 * Users, login, sessions, API keys and the audit log over one SQL database: a façade over
 * {@link Accounts}, {@link LoginFlow}, {@link TotpEnrolments}, {@link Sessions} and
 * {@link ApiKeys}, which share one {@link UserStore}.
 */
export class UserService {
  readonly #pool: SqlPool
  readonly #ownsPool: boolean
  readonly #store: UserStore
  readonly #accounts: Accounts
  readonly #login: LoginFlow
  readonly #totp: TotpEnrolments
  readonly #sessions: Sessions
  readonly #apiKeys: ApiKeys

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
    this.#ownsPool = ownsPool
    const box = options.secretKey !== undefined ? new SecretBox(options.secretKey) : undefined
    const ldap = options.ldap !== undefined ? new LdapAuthenticator(options.ldap) : undefined
    const ldapGroupMapping = Object.freeze({ ...options.ldap?.groupMapping })
    const clock = options.clock ?? Date.now
    const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'platform.users' })
    const policy: PasswordPolicy = Object.freeze({
      ...DEFAULT_PASSWORD_POLICY,
      ...options.passwordPolicy,
    })
    const maxFailedLogins = options.maxFailedLogins ?? 5
    const lockoutMs = options.lockoutMs ?? 15 * 60_000
    const temporaryPasswordTtlMs = options.temporaryPasswordTtlMs ?? 72 * 3_600_000
    const sessionTtlMs = options.sessionTtlMs ?? 3_600_000
    let sessionKey: Uint8Array | undefined
    if (options.sessionKey !== undefined) {
      sessionKey = toBytes(options.sessionKey)
      if (sessionKey.length < 32) throw new TypeError('sessionKey must be at least 32 bytes')
    }
    if (!(maxFailedLogins >= 1)) throw new TypeError('maxFailedLogins must be at least 1')
    if (!(lockoutMs > 0)) throw new TypeError('lockoutMs must be positive')
    if (policy.minLength < 8) throw new TypeError('passwordPolicy.minLength must be ≥ 8')
    this.#store = new UserStore({ pool, profile, clock, log, box, temporaryPasswordTtlMs })
    this.#sessions = new Sessions(this.#store, sessionKey, sessionTtlMs)
    this.#login = new LoginFlow(this.#store, this.#sessions, {
      policy,
      maxFailedLogins,
      lockoutMs,
      ldap,
      ldapGroupMapping,
    })
    this.#accounts = new Accounts(this.#store, this.#login, policy)
    this.#totp = new TotpEnrolments(this.#store, options.totpIssuer ?? 'Hops')
    this.#apiKeys = new ApiKeys(this.#store)
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

  // ---------------------------------------------------------------- accounts (accounts.ts)

  /**
   * Creates the `admin` account when no administrator exists (first start).
   * @returns its user name and random password, to print once; undefined when an admin exists
   * @throws AuthError USER_EXISTS when a non-admin user is called `admin`
   */
  ensureAdmin(
    ctx: RequestContext = { actor: 'system' },
  ): Promise<{ username: string; password: string } | undefined> {
    return this.#accounts.ensureAdmin(ctx)
  }

  /**
   * Creates a local account. Without `password` a temporary one is generated and returned (the
   * first login must change it).
   * @throws AuthError USER_EXISTS, INVALID_ARGUMENT, PASSWORD_POLICY
   */
  createUser(
    req: CreateUserRequest,
    ctx: RequestContext,
  ): Promise<{ user: User; temporaryPassword?: string }> {
    return this.#accounts.createUser(req, ctx)
  }

  /** @throws AuthError USER_NOT_FOUND */
  getUser(username: string): Promise<User> {
    return this.#accounts.getUser(username)
  }

  /** Every user, by name. */
  listUsers(): Promise<User[]> {
    return this.#accounts.listUsers()
  }

  /** The groups of a user on the filesystem (`user_groups`: from LDAP group mapping, projects). */
  groupsOf(username: string): Promise<string[]> {
    return this.#accounts.groupsOf(username)
  }

  /**
   * Changes a user's role; the user's sessions end (their tokens carry the role).
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (demoting the last administrator)
   */
  setRole(username: string, role: UserRole, ctx: RequestContext): Promise<User> {
    return this.#accounts.setRole(username, role, ctx)
  }

  /**
   * Locks (`locked`, until unlocked), disables or re-activates an account; locking or disabling
   * ends the user's sessions. `active` also clears a lockout after failed logins.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (the last active administrator)
   */
  setStatus(username: string, status: UserStatus, ctx: RequestContext): Promise<User> {
    return this.#accounts.setStatus(username, status, ctx)
  }

  /** An administrator's lock: no login, no API key, sessions ended. */
  lockUser(username: string, ctx: RequestContext): Promise<User> {
    return this.setStatus(username, 'locked', ctx)
  }

  /** Lifts an administrator's lock and a lockout after failed logins. */
  unlockUser(username: string, ctx: RequestContext): Promise<User> {
    return this.setStatus(username, 'active', ctx)
  }

  /**
   * Changes a local user's password after checking the current one (a wrong one counts as a
   * failed login). Ends the user's other sessions.
   * @throws AuthError INVALID_CREDENTIALS, ACCOUNT_LOCKED, PASSWORD_POLICY, INVALID_ARGUMENT (LDAP user)
   */
  changePassword(req: ChangePasswordRequest, ctx: RequestContext): Promise<void> {
    return this.#accounts.changePassword(req, ctx)
  }

  /**
   * An administrator's reset: a temporary password (random, or `password`) that the next login
   * must change, valid for `temporaryPasswordTtlMs`; clears a lockout, ends the user's sessions.
   * @returns the temporary password, to hand to the user
   * @throws AuthError USER_NOT_FOUND, PASSWORD_POLICY, INVALID_ARGUMENT (LDAP user)
   */
  resetPassword(
    username: string,
    ctx: RequestContext,
    options: { readonly password?: string } = {},
  ): Promise<{ temporaryPassword: string }> {
    return this.#accounts.resetPassword(username, ctx, options)
  }

  // ---------------------------------------------------------------- login (login-flow.ts)

  /**
   * Checks a user's password (locally, or with LDAP for LDAP users and unknown names when LDAP is
   * configured), the TOTP or recovery code when TOTP is enabled, and starts a session.
   * @throws AuthError INVALID_CREDENTIALS, TOTP_REQUIRED, INVALID_TOTP, ACCOUNT_LOCKED,
   *   ACCOUNT_DISABLED, PASSWORD_CHANGE_REQUIRED, PASSWORD_POLICY, LDAP_UNAVAILABLE, CONFIGURATION
   */
  login(req: LoginRequest, ctx: Omit<RequestContext, 'actor'> = {}): Promise<LoginResult> {
    return this.#login.login(req, ctx)
  }

  // ---------------------------------------------------------------- TOTP (totp-enrolments.ts)

  /**
   * Starts TOTP enrolment: a new secret (stored encrypted, not yet required) and ten new recovery
   * codes. TOTP is required at login once {@link confirmTotp} accepted a first code.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (already enabled), CONFIGURATION
   */
  enrolTotp(username: string, ctx: RequestContext): Promise<TotpEnrolment> {
    return this.#totp.enrolTotp(username, ctx)
  }

  /**
   * Completes enrolment with a first code from the app; from now on login needs a code.
   * @throws AuthError INVALID_TOTP, INVALID_ARGUMENT (no enrolment pending)
   */
  confirmTotp(username: string, code: string, ctx: RequestContext): Promise<void> {
    return this.#totp.confirmTotp(username, code, ctx)
  }

  /** Turns TOTP off and deletes the secret and the recovery codes. */
  disableTotp(username: string, ctx: RequestContext): Promise<void> {
    return this.#totp.disableTotp(username, ctx)
  }

  // ---------------------------------------------------------------- sessions (sessions.ts)

  /**
   * The caller a session token belongs to.
   * @throws AuthError TOKEN_EXPIRED, INVALID_TOKEN (bad signature, malformed, or the session was
   *   ended by a password change, reset, lock or role change)
   */
  verifySession(token: string): Promise<Principal> {
    return this.#sessions.verifySession(token)
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

  // ---------------------------------------------------------------- API keys (api-keys.ts)

  /**
   * Creates an API key for `username`; the key text is returned once and never stored.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (scopes, name, expiry), SCOPE_DENIED
   *   (`admin` for a non-admin)
   */
  createApiKey(
    username: string,
    req: CreateApiKeyRequest,
    ctx: RequestContext,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    return this.#apiKeys.createApiKey(username, req, ctx)
  }

  /** A user's API keys (revoked and expired ones included), newest first. */
  listApiKeys(username: string): Promise<ApiKeyInfo[]> {
    return this.#apiKeys.listApiKeys(username)
  }

  /**
   * Revokes a key of `username` at once. Revoking a revoked key changes nothing.
   * @throws AuthError USER_NOT_FOUND, API_KEY_NOT_FOUND
   */
  revokeApiKey(username: string, keyId: string, ctx: RequestContext): Promise<void> {
    return this.#apiKeys.revokeApiKey(username, keyId, ctx)
  }

  /**
   * The caller an API key belongs to, with the key's scopes (less `admin` when the user is no
   * longer an administrator). A refused key is audited.
   * @throws AuthError INVALID_API_KEY, API_KEY_REVOKED, API_KEY_EXPIRED, ACCOUNT_LOCKED, ACCOUNT_DISABLED
   */
  verifyApiKey(key: string, ctx: Omit<RequestContext, 'actor'> = {}): Promise<Principal> {
    return this.#apiKeys.verifyApiKey(key, ctx)
  }

  // ---------------------------------------------------------------- audit

  /** Audit entries, newest first (see {@link AuditQuery}). */
  queryAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    return this.#store.read((txn) => queryAuditLog(txn, query))
  }

  toJSON(): string {
    return '[UserService]'
  }
}
