/**
 * @module
 * Private keys at rest: AES-256-GCM under a key derived with scrypt from the CA master secret
 * (`HOPS_CA_SECRET`) and a per-installation random salt. Each blob has its own IV and is bound to
 * its purpose (`root`, `intermediate`) as additional authenticated data, so blobs cannot be
 * swapped between columns. The secret and the derived key live only in `#private` fields.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto'
import { CaError } from './ca-error.js'

/** Blob format version; the payload is base64(iv 12 ‖ tag 16 ‖ ciphertext). */
const PREFIX = 'v1:aes-256-gcm:'
/** scrypt cost: N = 2^15, r = 8, p = 1 (about 50–100 ms, once per process). */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const
/** The shortest secret accepted (characters). */
export const MIN_SECRET_LENGTH = 16

/** Encrypts and decrypts CA private keys with the key derived from the master secret. */
export class KeyEncryption {
  readonly #key: Buffer

  private constructor(key: Buffer) {
    this.#key = key
  }

  /**
   * Derives the key from `secret` and `salt` (base64, see {@link newSalt}).
   * @throws TypeError when the secret is shorter than {@link MIN_SECRET_LENGTH}
   */
  static async derive(secret: string, salt: string): Promise<KeyEncryption> {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new TypeError(`the CA secret must be at least ${MIN_SECRET_LENGTH} characters`)
    }
    const key = await new Promise<Buffer>((resolve, reject) =>
      scrypt(secret, Buffer.from(salt, 'base64'), 32, SCRYPT, (err, derived) =>
        err === null ? resolve(derived) : reject(new Error('scrypt failed', { cause: err })),
      ),
    )
    return new KeyEncryption(key)
  }

  /** A fresh random salt (16 bytes, base64). */
  static newSalt(): string {
    return randomBytes(16).toString('base64')
  }

  /** Encrypts `plain` for `purpose`. */
  encrypt(plain: Uint8Array, purpose: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(purpose))
    const body = Buffer.concat([cipher.update(plain), cipher.final()])
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
  }

  /**
   * Decrypts a blob written by {@link encrypt} for the same `purpose`.
   * @throws CaError SECRET_MISMATCH when the secret (or the blob) is not the one it was made with
   */
  decrypt(blob: string, purpose: string): Buffer {
    if (!blob.startsWith(PREFIX)) {
      throw new CaError('SECRET_MISMATCH', `the ${purpose} CA key has an unknown encryption format`)
    }
    const raw = Buffer.from(blob.slice(PREFIX.length), 'base64')
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12))
      decipher.setAAD(Buffer.from(purpose))
      decipher.setAuthTag(raw.subarray(12, 28))
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()])
    } catch {
      // No cause: the OpenSSL error says nothing useful and must not carry buffers around.
      throw new CaError(
        'SECRET_MISMATCH',
        `cannot decrypt the ${purpose} CA key: the CA secret is not the one the CA was created with`,
      )
    }
  }
}
