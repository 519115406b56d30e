/**
 * @module
 * Encryption at rest with the installation's secret key (`HOPS_SECRET_KEY` or
 * `<data-dir>/secret.key`, see `installation-key.ts`), the one sealing module of Hops: users and
 * login seal TOTP secrets and the session-signing key with it, the certificate authority its
 * private keys (contexts `ca:root`, `ca:intermediate`). AES-256-GCM under a key derived (HKDF-
 * SHA-256) per purpose, with a context string bound in as associated data, so a value sealed for
 * one user or purpose cannot be moved to another. The key lives in a `#private` field and is
 * never part of a message, a log line or `util.inspect` output.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'

const FORMAT = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
/** The shortest secret key accepted (characters of a passphrase, or bytes). */
export const MIN_SECRET_KEY_LENGTH = 32

/**
 * A sealed value that cannot be opened: another installation key, another context, or damage.
 * The message names the kind of value (the context's first part), never its content or the key.
 */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError'
  constructor(
    /** The context the value was to be opened with (e.g. `totp:42`, `ca:root`). */
    readonly context: string,
    message: string,
  ) {
    super(message)
  }
}

/** Seals and opens small secrets (TOTP secrets, signing keys, CA keys) with the installation key. */
export class SecretBox {
  readonly #ikm: Buffer

  /**
   * @param secretKey the installation's secret key: at least {@link MIN_SECRET_KEY_LENGTH}
   *   characters (any text, e.g. 32 random bytes in base64) or bytes
   * @throws TypeError when the key is too short
   */
  constructor(secretKey: string | Uint8Array) {
    const ikm =
      typeof secretKey === 'string' ? Buffer.from(secretKey, 'utf8') : Buffer.from(secretKey)
    if (ikm.length < MIN_SECRET_KEY_LENGTH) {
      throw new TypeError(
        `the secret key is too short: at least ${MIN_SECRET_KEY_LENGTH} characters are required`,
      )
    }
    this.#ikm = ikm
  }

  /** A 32-byte key for one purpose (`'aead'`, `'recovery-codes'`, …), derived from the secret key. */
  subkey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#ikm, 'hops-installation', purpose, 32))
  }

  /** HMAC-SHA-256 of `value` under the subkey for `purpose`, hex. */
  mac(purpose: string, value: string): string {
    return createHmac('sha256', this.subkey(purpose)).update(value).digest('hex')
  }

  /** Encrypts `plaintext`; `context` (e.g. `totp:42`) must be given again to open it. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.subkey('aead'), iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ])
    return `${FORMAT}:${iv.toString('base64url')}:${body.toString('base64url')}`
  }

  /**
   * Decrypts a value from {@link seal}.
   * @throws SecretBoxError when it cannot be opened: another installation key, another context, or
   *   a damaged value (the message says which value, never its content)
   */
  open(sealed: string, context: string): string {
    const [format, ivText, bodyText] = sealed.split(':')
    try {
      if (format !== FORMAT || ivText === undefined || bodyText === undefined) {
        throw new Error('unknown format')
      }
      const body = Buffer.from(bodyText, 'base64url')
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.subkey('aead'),
        Buffer.from(ivText, 'base64url'),
      )
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8')
    } catch {
      // No cause: the OpenSSL error says nothing useful and must not carry buffers around.
      throw new SecretBoxError(
        context,
        `cannot decrypt the stored ${context.split(':')[0]} secret: the installation's secret key (HOPS_SECRET_KEY) differs from the one it was stored with, or the value is damaged`,
      )
    }
  }

  toJSON(): string {
    return '[SecretBox]'
  }
}
