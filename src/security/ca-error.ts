/**
 * @module
 * The certificate authority's error model: one code table ({@link CA_ERRORS}) and one class
 * ({@link CaError}). Messages name subjects and serial numbers, never secrets or key material.
 */

/** Each code with the HTTP status a platform route answers with. */
export const CA_ERRORS = {
  /** The subject already has a valid certificate: revoke it (or rotate) first. */
  CERTIFICATE_EXISTS: { http: 409 },
  CERTIFICATE_NOT_FOUND: { http: 404 },
  /** The certificate is already revoked. */
  ALREADY_REVOKED: { http: 409 },
  /** The CA material exists but the configured secret does not decrypt its keys. */
  SECRET_MISMATCH: { http: 500 },
  /** No CA yet in this database (servers only read it; `hops ca init` creates it). */
  NOT_INITIALIZED: { http: 503 },
  INVALID_ARGUMENT: { http: 400 },
} as const satisfies Record<string, { http: number }>

export type CaErrorCode = keyof typeof CA_ERRORS

export class CaError extends Error {
  override readonly name = 'CaError'
  constructor(
    readonly code: CaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
