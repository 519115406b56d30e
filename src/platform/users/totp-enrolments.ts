/**
 * @module
 * TOTP enrolment: a new secret (stored sealed with the installation's secret box) and ten
 * recovery codes (stored as keyed hashes), confirmation with a first code, and disabling. The
 * login flow checks the codes (login-flow.ts).
 */
import type { SqlTxn } from '../../meta/sql/sql-dialect.js'
import type { SecretBox } from '../../security/secret-box.js'
import { AuthError } from './auth-error.js'
import {
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  totpUri,
} from './totp.js'
import type { RequestContext, UserStore } from './user-store.js'

export interface TotpEnrolment {
  /** `otpauth://totp/…` for a QR code; it holds the secret. */
  readonly uri: string
  /** The secret in base32, for typing into an app. */
  readonly secret: string
  /** Ten single-use codes, shown once. */
  readonly recoveryCodes: readonly string[]
}

/** A user's second factor: enrol, confirm, disable. */
export class TotpEnrolments {
  readonly #store: UserStore
  readonly #issuer: string

  /** @param issuer the issuer shown by authenticator apps */
  constructor(store: UserStore, issuer: string) {
    this.#store = store
    this.#issuer = issuer
  }

  /**
   * Starts TOTP enrolment: a new secret (stored encrypted, not yet required) and ten new recovery
   * codes. TOTP is required at login once {@link confirmTotp} accepted a first code.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (already enabled), CONFIGURATION
   */
  async enrolTotp(username: string, ctx: RequestContext): Promise<TotpEnrolment> {
    const box = this.#store.requireBox('TOTP')
    const row = await this.#store.requireRow(username)
    if (Number(row.totp_enabled) === 1) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `TOTP is already enabled for '${row.username}': disable it first`,
      )
    }
    const secret = newTotpSecret()
    const recoveryCodes = newRecoveryCodes()
    await this.#store.write(async (txn) => {
      await txn.run(
        'UPDATE users SET totp_secret = ?, totp_enabled = 0, totp_last_step = NULL, updated_at = ? WHERE id = ?',
        [box.seal(secret, `totp:${row.id}`), this.#store.clock(), row.id],
      )
      await this.#replaceRecoveryCodes(txn, box, row.id, recoveryCodes)
      await this.#store.audit(txn, {
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
    const box = this.#store.requireBox('TOTP')
    const row = await this.#store.requireRow(username)
    if (row.totp_secret === null || Number(row.totp_enabled) === 1) {
      throw new AuthError('INVALID_ARGUMENT', `no TOTP enrolment is pending for '${row.username}'`)
    }
    const step = matchTotp(box.open(row.totp_secret, `totp:${row.id}`), code, this.#store.clock())
    if (step === undefined) {
      await this.#store.write((txn) =>
        this.#store.audit(txn, {
          ...ctx,
          action: 'totp.confirm',
          target: row.username,
          outcome: 'denied',
        }),
      )
      throw new AuthError('INVALID_TOTP', 'invalid TOTP code')
    }
    await this.#store.write(async (txn) => {
      await txn.run(
        'UPDATE users SET totp_enabled = 1, totp_last_step = ?, updated_at = ? WHERE id = ?',
        [step, this.#store.clock(), row.id],
      )
      await this.#store.audit(txn, {
        ...ctx,
        action: 'totp.confirm',
        target: row.username,
        outcome: 'allowed',
      })
    })
  }

  /** Turns TOTP off and deletes the secret and the recovery codes. */
  async disableTotp(username: string, ctx: RequestContext): Promise<void> {
    const row = await this.#store.requireRow(username)
    await this.#store.write(async (txn) => {
      await txn.run(
        'UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = NULL, updated_at = ? WHERE id = ?',
        [this.#store.clock(), row.id],
      )
      await txn.run('DELETE FROM user_recovery_codes WHERE user_id = ?', [row.id])
      await this.#store.audit(txn, {
        ...ctx,
        action: 'totp.disable',
        target: row.username,
        outcome: 'allowed',
      })
    })
  }
}
