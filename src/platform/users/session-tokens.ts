/**
 * @module
 * Sessions as signed JWTs (HS256, `jose`): `sub` (user name), `uid`, `role`, `sv` (the user's
 * session version: a password change, reset, lock or role change bumps it and every older token
 * stops working), `iat`, `exp`, `iss: 'hops'`, `aud: 'hops-api'`, a random `jti`. The key is 32
 * bytes or more, shared by every API server of the installation (from config, or generated at
 * first start and stored encrypted in the database, see UserService).
 */
import { randomBytes } from 'node:crypto'
import { SignJWT, errors, jwtVerify } from 'jose'
import { AuthError } from './auth-error.js'

const ALG = 'HS256'
const ISSUER = 'hops'
const AUDIENCE = 'hops-api'
/** Clock skew tolerated between servers when checking `exp`/`iat`, in seconds. */
const CLOCK_TOLERANCE_S = 5

/** What a session token says about its holder. */
export interface SessionClaims {
  /** The user name. */
  readonly sub: string
  readonly uid: number
  readonly role: 'admin' | 'user'
  /** The user's session version when the token was issued. */
  readonly sv: number
}

/** Signs and checks session tokens with one HMAC key. */
export class SessionSigner {
  readonly #key: Uint8Array
  readonly #ttlMs: number
  readonly #clock: () => number

  /**
   * @param key at least 32 bytes
   * @param ttlMs how long a token is valid, in milliseconds
   * @throws TypeError for a short key or a non-positive ttl
   */
  constructor(key: Uint8Array, ttlMs: number, clock: () => number = Date.now) {
    if (key.length < 32) throw new TypeError('the session key must be at least 32 bytes')
    if (!(ttlMs > 0)) throw new TypeError('the session ttl must be positive')
    this.#key = key
    this.#ttlMs = ttlMs
    this.#clock = clock
  }

  /** A fresh random key for {@link SessionSigner}. */
  static generateKey(): Uint8Array {
    return randomBytes(32)
  }

  /** A signed token for `claims` and its expiry time (ms since the epoch). */
  async sign(claims: SessionClaims): Promise<{ token: string; expiresAt: number }> {
    const nowS = Math.floor(this.#clock() / 1000)
    const expS = nowS + Math.ceil(this.#ttlMs / 1000)
    const token = await new SignJWT({ uid: claims.uid, role: claims.role, sv: claims.sv })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(nowS)
      .setExpirationTime(expS)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.#key)
    return { token, expiresAt: expS * 1000 }
  }

  /**
   * The claims of a valid token.
   * @throws AuthError TOKEN_EXPIRED, or INVALID_TOKEN (bad signature, malformed, wrong issuer or
   *   audience, missing claims); the message never repeats the token
   */
  async verify(token: string): Promise<SessionClaims> {
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: new Date(this.#clock()),
        requiredClaims: ['sub', 'exp', 'iat'],
      }))
    } catch (err) {
      if (err instanceof errors.JWTExpired) {
        throw new AuthError('TOKEN_EXPIRED', 'the session has expired: log in again')
      }
      if (err instanceof errors.JWSSignatureVerificationFailed) {
        throw new AuthError('INVALID_TOKEN', 'the session token has a bad signature')
      }
      const why = err instanceof errors.JOSEError ? err.code : 'malformed'
      throw new AuthError('INVALID_TOKEN', `the session token is not valid (${why})`)
    }
    const { sub, uid, role, sv } = payload
    if (
      typeof sub !== 'string' ||
      typeof uid !== 'number' ||
      (role !== 'admin' && role !== 'user') ||
      typeof sv !== 'number'
    ) {
      throw new AuthError('INVALID_TOKEN', 'the session token lacks its claims')
    }
    return { sub, uid, role, sv }
  }

  toJSON(): string {
    return '[SessionSigner]'
  }
}
