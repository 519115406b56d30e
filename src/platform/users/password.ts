/**
 * @module
 * Password hashing (argon2id, OWASP's minimum parameters: 19 MiB, 2 passes, 1 lane — the
 * library's defaults) and the password policy. Temporary passwords are random and meet the policy.
 */
import { hash, verify } from '@node-rs/argon2'
import { randomBytes } from 'node:crypto'
import { AuthError } from './auth-error.js'

/** Argon2id (`Algorithm.Argon2id`; a const enum, which `isolatedModules` cannot import). */
const ARGON2ID = 2

/** What a new password must satisfy. */
export interface PasswordPolicy {
  /** Minimum length in characters. Default 10. */
  readonly minLength: number
  /** Maximum length in characters (argon2 hashes any length; this bounds the work). Default 256. */
  readonly maxLength: number
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = Object.freeze({
  minLength: 10,
  maxLength: 256,
})

/**
 * Checks `password` against the policy.
 * @throws AuthError PASSWORD_POLICY naming the rule broken (never the password)
 */
export function checkPasswordPolicy(
  password: string,
  username: string,
  policy: PasswordPolicy,
): void {
  const length = [...password].length
  if (length < policy.minLength) {
    throw new AuthError(
      'PASSWORD_POLICY',
      `the password must be at least ${policy.minLength} characters long`,
    )
  }
  if (length > policy.maxLength) {
    throw new AuthError(
      'PASSWORD_POLICY',
      `the password must be at most ${policy.maxLength} characters long`,
    )
  }
  if (password.toLowerCase().includes(username.toLowerCase())) {
    throw new AuthError('PASSWORD_POLICY', 'the password must not contain the user name')
  }
  if (new Set(password).size < 4) {
    throw new AuthError('PASSWORD_POLICY', 'the password must use at least 4 different characters')
  }
}

/** An argon2id hash (PHC string) of `password`. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID })
}

/** Whether `password` matches `passwordHash`; false (not an error) for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

/** A hash of a random password, verified against when the user is unknown (same timing). */
let dummyHash: Promise<string> | undefined
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'))
  return dummyHash
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

/** A random password of `length` characters (≈ 5.8 bits each) without look-alike characters. */
export function randomPassword(length = 20): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 256 - (256 % ALPHABET.length) && out.length < length)
        out += ALPHABET[byte % ALPHABET.length]
    }
  }
  return out
}
