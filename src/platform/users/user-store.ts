/**
 * @module
 * What every part of the user service shares: the pool and its dialect profile, the clock, the
 * logger, the installation's secret box, write transactions with retry, user rows and the audit
 * log. The parts (accounts, login, TOTP, sessions, API keys) each take one {@link UserStore}.
 */
import type { Logger } from 'pino'
import type { SqlDialectProfile, SqlPool, SqlTxn } from '../../meta/sql/sql-dialect.js'
import type { SecretBox } from '../../security/secret-box.js'
import { appendAudit } from './audit-log.js'
import type { AuditEvent } from './audit-log.js'
import { AuthError } from './auth-error.js'
import { USER_COLUMNS, normalizeUsername } from './user.js'
import type { UserRole, UserRow } from './user.js'

/** Who acts and from where, for the audit log. */
export interface RequestContext {
  /** The authenticated user name, `cli:<os user>`, or `system`. */
  readonly actor: string
  readonly remoteAddress?: string
}

/** A new row of `users` (see {@link UserStore.insertUser}). */
export interface NewUser {
  readonly username: string
  readonly role: UserRole
  readonly authSource: 'local' | 'ldap'
  readonly passwordHash?: string
  readonly email?: string | undefined
  readonly displayName?: string | undefined
  readonly ldapDn?: string
  /** The password is temporary: valid for the store's `temporaryPasswordTtlMs`, then changed. */
  readonly temporary?: boolean
}

/** The dependencies of a {@link UserStore}. */
export interface UserStoreDeps {
  readonly pool: SqlPool
  readonly profile: SqlDialectProfile
  /** Milliseconds since the epoch. */
  readonly clock: () => number
  readonly log: Logger
  /** The installation's secret box; undefined when no secret key is configured. */
  readonly box: SecretBox | undefined
  /** How long a temporary password is valid, ms. */
  readonly temporaryPasswordTtlMs: number
}

/** Transactions, user rows and audit entries over one SQL database. */
export class UserStore {
  readonly pool: SqlPool
  readonly profile: SqlDialectProfile
  readonly clock: () => number
  readonly log: Logger
  readonly temporaryPasswordTtlMs: number
  readonly #box: SecretBox | undefined

  constructor(deps: UserStoreDeps) {
    this.pool = deps.pool
    this.profile = deps.profile
    this.clock = deps.clock
    this.log = deps.log
    this.temporaryPasswordTtlMs = deps.temporaryPasswordTtlMs
    this.#box = deps.box
  }

  /** One write transaction, run again (bounded, jittered) while the database says it may be. */
  async write<T>(fn: (txn: SqlTxn) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.pool.transaction(fn, { readOnly: false })
      } catch (err) {
        if (attempt >= 8 || !this.profile.isRetryable(err)) throw err
        await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** attempt))
      }
    }
  }

  /** One read-only transaction. */
  read<T>(fn: (txn: SqlTxn) => Promise<T>): Promise<T> {
    return this.pool.transaction(fn, { readOnly: true })
  }

  /** The row of an already normalized user name. */
  rowByName(txn: SqlTxn, username: string): Promise<UserRow | undefined> {
    return txn.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username])
  }

  /** @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (malformed name) */
  async requireRow(username: string): Promise<UserRow> {
    const name = normalizeUsername(username)
    const row = await this.read((txn) => this.rowByName(txn, name))
    if (row === undefined) throw new AuthError('USER_NOT_FOUND', `no user '${name}'`)
    return row
  }

  /** Appends an audit entry, stamped with the clock, in `txn`. */
  audit(txn: SqlTxn, event: AuditEvent): Promise<void> {
    return appendAudit(txn, this.clock(), event)
  }

  /** @throws AuthError CONFIGURATION when no secret key is configured (`what` needs it) */
  requireBox(what: string): SecretBox {
    if (this.#box === undefined) {
      throw new AuthError(
        'CONFIGURATION',
        `${what} needs the installation's secret key (HOPS_SECRET_KEY), which is not configured`,
      )
    }
    return this.#box
  }

  /** Inserts an active account; unique violations propagate to the caller. */
  async insertUser(txn: SqlTxn, u: NewUser): Promise<void> {
    const now = this.clock()
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
        u.temporary === true ? now + this.temporaryPasswordTtlMs : null,
        u.passwordHash !== undefined ? now : null,
        now,
        now,
      ],
    )
  }
}
