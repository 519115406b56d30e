/**
 * @module
 * A platform user as the service returns it, the row it is read from, and the rules for user
 * names. A user name is the user's identity on the filesystem too (`project__user`, DESIGN §6),
 * so it is lowercase, starts with a letter, has at most 32 characters from `a-z 0-9 . _ -` and
 * never contains `__` (the project separator).
 */
import { AuthError } from './auth-error.js'

export type UserRole = 'admin' | 'user'
/** `locked`: by an administrator, until unlocked; `disabled`: the account is switched off. */
export type UserStatus = 'active' | 'locked' | 'disabled'
/** Where the password is checked. */
export type AuthSource = 'local' | 'ldap'

export const USER_ROLES: readonly UserRole[] = ['admin', 'user']
export const USER_STATUSES: readonly UserStatus[] = ['active', 'locked', 'disabled']

/** A user, without any secret. */
export interface User {
  readonly id: number
  readonly username: string
  readonly email?: string
  readonly displayName?: string
  readonly role: UserRole
  readonly status: UserStatus
  readonly authSource: AuthSource
  readonly totpEnabled: boolean
  /** The password is temporary (set by an administrator): the next login must change it. */
  readonly mustChangePassword: boolean
  readonly failedAttempts: number
  /** Locked after too many failures until this time (ms since the epoch), when in the future. */
  readonly lockedUntil?: number
  readonly createdAt: number
  readonly lastLoginAt?: number
}

/** Columns of `users`, as every engine returns them. */
export interface UserRow {
  id: number
  username: string
  email: string | null
  display_name: string | null
  role: string
  status: string
  auth_source: string
  ldap_dn: string | null
  password_hash: string | null
  must_change_password: number
  password_expires_at: number | null
  failed_attempts: number
  locked_until: number | null
  totp_secret: string | null
  totp_enabled: number
  totp_last_step: number | null
  session_version: number
  created_at: number
  last_login_at: number | null
}

export const USER_COLUMNS =
  'id, username, email, display_name, role, status, auth_source, ldap_dn, password_hash, must_change_password, password_expires_at, failed_attempts, locked_until, totp_secret, totp_enabled, totp_last_step, session_version, created_at, last_login_at'

/** The public form of a row. */
export function userFromRow(r: UserRow): User {
  return {
    id: Number(r.id),
    username: r.username,
    ...(r.email !== null ? { email: r.email } : {}),
    ...(r.display_name !== null ? { displayName: r.display_name } : {}),
    role: r.role === 'admin' ? 'admin' : 'user',
    status: USER_STATUSES.includes(r.status as UserStatus) ? (r.status as UserStatus) : 'disabled',
    authSource: r.auth_source === 'ldap' ? 'ldap' : 'local',
    totpEnabled: Number(r.totp_enabled) === 1,
    mustChangePassword: Number(r.must_change_password) === 1,
    failedAttempts: Number(r.failed_attempts),
    ...(r.locked_until !== null ? { lockedUntil: Number(r.locked_until) } : {}),
    createdAt: Number(r.created_at),
    ...(r.last_login_at !== null ? { lastLoginAt: Number(r.last_login_at) } : {}),
  }
}

const USERNAME = /^[a-z][a-z0-9._-]{0,31}$/

/**
 * The canonical (lowercase, trimmed) form of a user name.
 * @throws AuthError INVALID_ARGUMENT when it breaks the rules
 */
export function normalizeUsername(username: string): string {
  const name = username.trim().toLowerCase()
  if (!USERNAME.test(name) || name.includes('__')) {
    throw new AuthError(
      'INVALID_ARGUMENT',
      `invalid user name '${username.slice(0, 64)}': use 1-32 characters a-z 0-9 . _ -, starting with a letter, without '__'`,
    )
  }
  return name
}

/** @throws AuthError INVALID_ARGUMENT for an unknown role */
export function parseRole(role: string): UserRole {
  if (role === 'admin' || role === 'user') return role
  throw new AuthError('INVALID_ARGUMENT', `unknown role '${role}': use admin or user`)
}

/** @throws AuthError INVALID_ARGUMENT for an address without `@` */
export function checkEmail(email: string): string {
  const e = email.trim()
  if (!/^[^\s@]+@[^\s@]+$/.test(e) || e.length > 254) {
    throw new AuthError('INVALID_ARGUMENT', `invalid e-mail address '${e.slice(0, 64)}'`)
  }
  return e
}
