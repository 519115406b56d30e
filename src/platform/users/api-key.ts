/**
 * @module
 * API keys: `hops_<id>_<secret>`, where `id` (12 hex digits) names the key in listings and logs and
 * `secret` (32 random bytes, base64url) is shown once and stored as its SHA-256 (a hash suffices:
 * the secret is random, so there is nothing to guess from). Each key carries scopes:
 *
 * | scope | allows |
 * | --- | --- |
 * | `fs:read` | reading the filesystem (list, stat, open) |
 * | `fs:write` | changing the filesystem (create, write, rename, delete); implies `fs:read` |
 * | `project` | project and dataset management as the key's owner (members, sharing, jobs) |
 * | `admin` | administration (users, cluster settings); implies every scope; admins only |
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { AuthError } from './auth-error.js'

export const API_KEY_SCOPES = ['fs:read', 'fs:write', 'project', 'admin'] as const
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number]

const KEY_PATTERN = /^hops_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/

/**
 * Checks and de-duplicates a list of scopes (`'fs:read,fs:write'` or an array).
 * @throws AuthError INVALID_ARGUMENT for an unknown scope or an empty list
 */
export function parseScopes(scopes: string | readonly string[]): ApiKeyScope[] {
  const list = (typeof scopes === 'string' ? scopes.split(/[\s,]+/) : scopes).filter(
    (s) => s !== '',
  )
  if (list.length === 0)
    throw new AuthError('INVALID_ARGUMENT', 'an API key needs at least one scope')
  const out = new Set<ApiKeyScope>()
  for (const s of list) {
    if (!(API_KEY_SCOPES as readonly string[]).includes(s)) {
      throw new AuthError(
        'INVALID_ARGUMENT',
        `unknown scope '${s}': use ${API_KEY_SCOPES.join(', ')}`,
      )
    }
    out.add(s as ApiKeyScope)
  }
  return API_KEY_SCOPES.filter((s) => out.has(s))
}

/** Whether `granted` allows `required` (`admin` allows all, `fs:write` allows `fs:read`). */
export function scopeAllows(granted: readonly ApiKeyScope[], required: ApiKeyScope): boolean {
  if (granted.includes(required) || granted.includes('admin')) return true
  return required === 'fs:read' && granted.includes('fs:write')
}

/**
 * Throws unless `granted` allows `required`.
 * @throws AuthError SCOPE_DENIED naming the missing scope
 */
export function requireScope(granted: readonly ApiKeyScope[], required: ApiKeyScope): void {
  if (!scopeAllows(granted, required)) {
    throw new AuthError('SCOPE_DENIED', `this API key lacks the scope '${required}'`)
  }
}

/** A new key: its id, its full text (shown once) and the hash to store. */
export function newApiKey(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(6).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { id, key: `hops_${id}_${secret}`, secretHash: hashApiKeySecret(secret) }
}

/** The id and secret of a key, or undefined when it is not shaped like one. */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(key.trim())
  return m === null ? undefined : { id: m[1]!, secret: m[2]! }
}

/** SHA-256 of a key's secret, hex. */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Compares a secret with a stored hash in constant time. */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKeySecret(secret), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}
