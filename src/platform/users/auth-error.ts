/**
 * @module
 * The error model of users and login: one code table ({@link AUTH_ERRORS}) with the HTTP status
 * the REST layer answers with, and one error class ({@link AuthError}). Messages name the user or
 * the key id, never a password, a code, a token or key material.
 */

export const AUTH_ERRORS = {
  /** Unknown user or wrong password (one answer for both, so names cannot be probed). */
  INVALID_CREDENTIALS: { http: 401 },
  /** The password was right but a TOTP code (or a recovery code) is needed. */
  TOTP_REQUIRED: { http: 401 },
  INVALID_TOTP: { http: 401 },
  /** Locked by too many failures (until a time) or by an administrator. */
  ACCOUNT_LOCKED: { http: 423 },
  ACCOUNT_DISABLED: { http: 403 },
  /** A temporary password set by an administrator: the login must set a new one. */
  PASSWORD_CHANGE_REQUIRED: { http: 403 },
  PASSWORD_POLICY: { http: 400 },
  INVALID_TOKEN: { http: 401 },
  TOKEN_EXPIRED: { http: 401 },
  INVALID_API_KEY: { http: 401 },
  API_KEY_EXPIRED: { http: 401 },
  API_KEY_REVOKED: { http: 401 },
  /** Authenticated, but the key's scopes or the user's role do not allow the action. */
  SCOPE_DENIED: { http: 403 },
  USER_NOT_FOUND: { http: 404 },
  USER_EXISTS: { http: 409 },
  API_KEY_NOT_FOUND: { http: 404 },
  INVALID_ARGUMENT: { http: 400 },
  /** The directory server could not be reached or refused the service account. */
  LDAP_UNAVAILABLE: { http: 503 },
  /** A secret key is missing or cannot decrypt what is stored (wrong installation key). */
  CONFIGURATION: { http: 500 },
} as const satisfies Record<string, { http: number }>

export type AuthErrorCode = keyof typeof AUTH_ERRORS

/** An authentication or account-management failure with a stable code. */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  /** The HTTP status for {@link code}. */
  get httpStatus(): number {
    return AUTH_ERRORS[this.code].http
  }
}
