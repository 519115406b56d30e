/**
 * @module
 * Account administration: the bootstrap `admin`, local accounts, roles, status (lock, disable,
 * re-activate), a user's own password change and an administrator's password reset. Changing a
 * role, locking, disabling or any password change ends the user's sessions (`session_version`).
 */
import type { SqlTxn } from '../../meta/sql/sql-dialect.js'
import { AuthError } from './auth-error.js'
import type { LoginFlow } from './login-flow.js'
import { checkPasswordPolicy, hashPassword, randomPassword, verifyPassword } from './password.js'
import type { PasswordPolicy } from './password.js'
import { USER_COLUMNS, checkEmail, normalizeUsername, parseRole, userFromRow } from './user.js'
import type { User, UserRole, UserRow, UserStatus } from './user.js'
import type { RequestContext, UserStore } from './user-store.js'

/** What {@link Accounts.createUser} takes. */
export interface CreateUserRequest {
  readonly username: string
  readonly password?: string
  readonly email?: string
  readonly displayName?: string
  readonly role?: UserRole
}

/** What {@link Accounts.changePassword} takes. */
export interface ChangePasswordRequest {
  readonly username: string
  readonly currentPassword: string
  readonly newPassword: string
}

/** The `users` table, as administrators and users change it. */
export class Accounts {
  readonly #store: UserStore
  readonly #login: LoginFlow
  readonly #policy: PasswordPolicy

  /** @param login counts a wrong current password as a failed login */
  constructor(store: UserStore, login: LoginFlow, policy: PasswordPolicy) {
    this.#store = store
    this.#login = login
    this.#policy = policy
  }

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
    if ((await this.#store.read(hasAdmin)) !== undefined) return undefined
    const password = randomPassword(24)
    const passwordHash = await hashPassword(password)
    const created = await this.#store
      .write(async (txn) => {
        if ((await hasAdmin(txn)) !== undefined) return false
        if ((await this.#store.rowByName(txn, 'admin')) !== undefined) {
          throw new AuthError(
            'USER_EXISTS',
            "no active administrator, and the user 'admin' exists without the admin role: run `hops user role admin admin`",
          )
        }
        await this.#store.insertUser(txn, {
          username: 'admin',
          role: 'admin',
          authSource: 'local',
          passwordHash,
        })
        await this.#store.audit(txn, {
          ...ctx,
          action: 'user.create',
          target: 'admin',
          outcome: 'allowed',
          details: { role: 'admin', bootstrap: true },
        })
        return true
      })
      .catch((err: unknown) => {
        // Another process created it at the same moment: it prints the password, not us.
        if (this.#store.profile.isUniqueViolation(err)) return false
        throw err
      })
    if (!created) return undefined
    this.#store.log.info({ username: 'admin' }, 'created the admin account')
    return { username: 'admin', password }
  }

  /**
   * Creates a local account. Without `password` a temporary one is generated and returned (the
   * first login must change it).
   * @throws AuthError USER_EXISTS, INVALID_ARGUMENT, PASSWORD_POLICY
   */
  async createUser(
    req: CreateUserRequest,
    ctx: RequestContext,
  ): Promise<{ user: User; temporaryPassword?: string }> {
    const username = normalizeUsername(req.username)
    const role = parseRole(req.role ?? 'user')
    const email = req.email !== undefined ? checkEmail(req.email) : undefined
    if (req.password !== undefined) checkPasswordPolicy(req.password, username, this.#policy)
    const temporaryPassword = req.password === undefined ? randomPassword(20) : undefined
    const passwordHash = await hashPassword(req.password ?? temporaryPassword!)
    const row = await this.#store
      .write(async (txn) => {
        await this.#store.insertUser(txn, {
          username,
          role,
          authSource: 'local',
          passwordHash,
          email,
          displayName: req.displayName?.trim(),
          temporary: temporaryPassword !== undefined,
        })
        await this.#store.audit(txn, {
          ...ctx,
          action: 'user.create',
          target: username,
          outcome: 'allowed',
          details: { role, temporaryPassword: temporaryPassword !== undefined },
        })
        return (await this.#store.rowByName(txn, username))!
      })
      .catch((err: unknown) => {
        if (this.#store.profile.isUniqueViolation(err)) {
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
    return userFromRow(await this.#store.requireRow(username))
  }

  /** Every user, by name. */
  async listUsers(): Promise<User[]> {
    const rows = await this.#store.read((txn) =>
      txn.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`),
    )
    return rows.map(userFromRow)
  }

  /** The groups of a user on the filesystem (`user_groups`: from LDAP group mapping, projects). */
  async groupsOf(username: string): Promise<string[]> {
    const row = await this.#store.requireRow(username)
    const rows = await this.#store.read((txn) =>
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
    const row = await this.#store.requireRow(username)
    parseRole(role)
    if (row.role === role) return userFromRow(row)
    return this.#store.write(async (txn) => {
      if (row.role === 'admin') await this.#requireAnotherAdmin(txn, row.id)
      await txn.run(
        'UPDATE users SET role = ?, session_version = session_version + 1, updated_at = ? WHERE id = ?',
        [role, this.#store.clock(), row.id],
      )
      await this.#store.audit(txn, {
        ...ctx,
        action: 'user.role',
        target: row.username,
        outcome: 'allowed',
        details: { from: row.role, to: role },
      })
      return userFromRow((await this.#store.rowByName(txn, row.username))!)
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
    const row = await this.#store.requireRow(username)
    const action =
      status === 'locked' ? 'user.lock' : status === 'active' ? 'user.unlock' : 'user.status'
    return this.#store.write(async (txn) => {
      if (status !== 'active' && row.role === 'admin') await this.#requireAnotherAdmin(txn, row.id)
      await txn.run(
        'UPDATE users SET status = ?, failed_attempts = 0, locked_until = NULL, updated_at = ?' +
          (status === 'active' ? '' : ', session_version = session_version + 1') +
          ' WHERE id = ?',
        [status, this.#store.clock(), row.id],
      )
      await this.#store.audit(txn, {
        ...ctx,
        action,
        target: row.username,
        outcome: 'allowed',
        details: {
          from: row.status,
          to: status,
          ...(row.locked_until !== null && Number(row.locked_until) > this.#store.clock()
            ? { lockedUntil: Number(row.locked_until) }
            : {}),
        },
      })
      return userFromRow((await this.#store.rowByName(txn, row.username))!)
    })
  }

  /**
   * Changes a local user's password after checking the current one (a wrong one counts as a
   * failed login). Ends the user's other sessions.
   * @throws AuthError INVALID_CREDENTIALS, ACCOUNT_LOCKED, PASSWORD_POLICY, INVALID_ARGUMENT (LDAP user)
   */
  async changePassword(req: ChangePasswordRequest, ctx: RequestContext): Promise<void> {
    const row = await this.#store.requireRow(req.username)
    this.#requireLocal(row)
    await this.#login.refuseLocked(row, ctx)
    if (
      row.password_hash === null ||
      !(await verifyPassword(row.password_hash, req.currentPassword))
    ) {
      return this.#login.failed(row, ctx, 'password')
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
    const row = await this.#store.requireRow(username)
    this.#requireLocal(row)
    if (options.password !== undefined)
      checkPasswordPolicy(options.password, row.username, this.#policy)
    const temporaryPassword = options.password ?? randomPassword(20)
    const passwordHash = await hashPassword(temporaryPassword)
    const now = this.#store.clock()
    await this.#store.write(async (txn) => {
      await txn.run(
        'UPDATE users SET password_hash = ?, must_change_password = 1, password_expires_at = ?, password_changed_at = ?, failed_attempts = 0, locked_until = NULL, session_version = session_version + 1, updated_at = ? WHERE id = ?',
        [passwordHash, now + this.#store.temporaryPasswordTtlMs, now, now, row.id],
      )
      await this.#store.audit(txn, {
        ...ctx,
        action: 'password.reset',
        target: row.username,
        outcome: 'allowed',
        details: { expiresAt: now + this.#store.temporaryPasswordTtlMs },
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
    const now = this.#store.clock()
    await this.#store.write(async (txn) => {
      await txn.run(
        'UPDATE users SET password_hash = ?, must_change_password = 0, password_expires_at = NULL, password_changed_at = ?, session_version = session_version + 1, updated_at = ? WHERE id = ?',
        [passwordHash, now, now, row.id],
      )
      await this.#store.audit(txn, { ...ctx, action, target: row.username, outcome: 'allowed' })
      await txnExtra?.(txn)
    })
  }
}
