/**
 * @module
 * TOTP second factor (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, as every authenticator app
 * expects) and one-time recovery codes. Codes are matched within ±1 step; the caller stores the
 * step a code matched and refuses that step and older ones afterwards (no replay).
 */
import { randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'

/** Seconds per TOTP step. */
export const TOTP_PERIOD_S = 30
const DIGITS = 6
/** Steps accepted either side of the current one (clock skew, typing time). */
export const TOTP_WINDOW = 1
/** Recovery codes handed out at enrolment. */
export const RECOVERY_CODE_COUNT = 10

/** A new random TOTP secret (160 bits, RFC 4226's recommendation), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

function totpOf(secretBase32: string, username = '', issuer = ''): TOTP {
  return new TOTP({
    issuer,
    label: username,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: TOTP_PERIOD_S,
  })
}

/** The `otpauth://totp/…` URI an authenticator app scans (as a QR code). It holds the secret. */
export function totpUri(secretBase32: string, username: string, issuer: string): string {
  return totpOf(secretBase32, username, issuer).toString()
}

/** The code for the step holding `timeMs` (for tests and tools). */
export function totpCode(secretBase32: string, timeMs: number): string {
  return totpOf(secretBase32).generate({ timestamp: timeMs })
}

/** The TOTP step (`floor(time / 30 s)`) holding `timeMs`. */
export function totpStep(timeMs: number): number {
  return Math.floor(timeMs / 1000 / TOTP_PERIOD_S)
}

/** Whether `code` looks like a TOTP code (6 digits, spaces allowed) rather than a recovery code. */
export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s/g, ''))
}

/** The step `code` matches at `timeMs` within ±{@link TOTP_WINDOW}, or undefined. */
export function matchTotp(secretBase32: string, code: string, timeMs: number): number | undefined {
  const token = code.replace(/\s/g, '')
  if (!/^\d{6}$/.test(token)) return undefined
  const delta = totpOf(secretBase32).validate({ token, timestamp: timeMs, window: TOTP_WINDOW })
  return delta === null ? undefined : totpStep(timeMs) + delta
}

const CODE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

/** Ten recovery codes `xxxxx-xxxxx` (≈ 49 bits each), shown to the user once. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes: string[] = []
  for (let i = 0; i < count; i++) {
    let raw = ''
    while (raw.length < 10) {
      for (const byte of randomBytes(16)) {
        // 31 letters: rejection sampling keeps them equally likely.
        if (byte < 248 && raw.length < 10) raw += CODE_ALPHABET[byte % CODE_ALPHABET.length]
      }
    }
    codes.push(`${raw.slice(0, 5)}-${raw.slice(5)}`)
  }
  return codes
}

/** The canonical form a recovery code is hashed in (case and dashes do not matter). */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '')
}
