/**
 * @module
 * API keys of users: create (the key text is shown once, only a hash is stored), list, revoke,
 * and verify a presented key into a {@link Principal} with the key's scopes. The key format and
 * the scopes are in api-key.ts.
 */
import { apiKeySecretMatches, newApiKey, parseApiKey, parseScopes } from './api-key.js'
import type { ApiKeyScope } from './api-key.js'
import { AuthError } from './auth-error.js'
import type { Principal } from './sessions.js'
import type { UserRole } from './user.js'
import type { RequestContext, UserStore } from './user-store.js'

/** An API key without its secret. */
export interface ApiKeyInfo {
  readonly id: string
  readonly username: string
  readonly name: string
  readonly scopes: readonly ApiKeyScope[]
  readonly createdAt: number
  readonly lastUsedAt?: number
  readonly expiresAt?: number
  readonly revokedAt?: number
}

/** What {@link ApiKeys.createApiKey} takes. */
export interface CreateApiKeyRequest {
  readonly name: string
  readonly scopes: string | readonly string[]
  /** ms since the epoch; none: the key does not expire */
  readonly expiresAt?: number
}

/** `last_used_at` of an API key is written at most once per this many ms (a write per request is too many). */
const LAST_USED_RESOLUTION_MS = 60_000

interface ApiKeyRow {
  id: string
  user_id: number
  name: string
  secret_hash: string
  scopes: string
  created_at: number
  last_used_at: number | null
  expires_at: number | null
  revoked_at: number | null
}

function apiKeyFromRow(r: ApiKeyRow, username: string): ApiKeyInfo {
  return {
    id: r.id,
    username,
    name: r.name,
    scopes: parseScopes(r.scopes),
    createdAt: Number(r.created_at),
    ...(r.last_used_at !== null ? { lastUsedAt: Number(r.last_used_at) } : {}),
    ...(r.expires_at !== null ? { expiresAt: Number(r.expires_at) } : {}),
    ...(r.revoked_at !== null ? { revokedAt: Number(r.revoked_at) } : {}),
  }
}

/** The `api_keys` table: every change and every refused use is audited. */
export class ApiKeys {
  readonly #store: UserStore

  constructor(store: UserStore) {
    this.#store = store
  }

  /**
   * Creates an API key for `username`; the key text is returned once and never stored.
   * @throws AuthError USER_NOT_FOUND, INVALID_ARGUMENT (scopes, name, expiry), SCOPE_DENIED
   *   (`admin` for a non-admin)
   */
  async createApiKey(
    username: string,
    req: CreateApiKeyRequest,
    ctx: RequestContext,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const store = this.#store
    const row = await store.requireRow(username)
    const scopes = parseScopes(req.scopes)
    const name = req.name.trim()
    if (name.length === 0 || name.length > 64) {
      throw new AuthError('INVALID_ARGUMENT', 'an API key name has 1 to 64 characters')
    }
    if (scopes.includes('admin') && row.role !== 'admin') {
      throw new AuthError(
        'SCOPE_DENIED',
        `'${row.username}' is not an administrator: no admin scope`,
      )
    }
    const now = store.clock()
    if (req.expiresAt !== undefined && !(req.expiresAt > now)) {
      throw new AuthError('INVALID_ARGUMENT', 'the expiry of an API key must be in the future')
    }
    const { id, key, secretHash } = newApiKey()
    await store.write(async (txn) => {
      await txn.run(
        'INSERT INTO api_keys (id, user_id, name, secret_hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, row.id, name, secretHash, scopes.join(' '), now, req.expiresAt ?? null],
      )
      await store.audit(txn, {
        ...ctx,
        action: 'apikey.create',
        target: row.username,
        outcome: 'allowed',
        details: {
          keyId: id,
          name,
          scopes,
          ...(req.expiresAt !== undefined ? { expiresAt: req.expiresAt } : {}),
        },
      })
    })
    return {
      key,
      info: {
        id,
        username: row.username,
        name,
        scopes,
        createdAt: now,
        ...(req.expiresAt !== undefined ? { expiresAt: req.expiresAt } : {}),
      },
    }
  }

  /** A user's API keys (revoked and expired ones included), newest first. */
  async listApiKeys(username: string): Promise<ApiKeyInfo[]> {
    const row = await this.#store.requireRow(username)
    const rows = await this.#store.read((txn) =>
      txn.all<ApiKeyRow>('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id', [
        row.id,
      ]),
    )
    return rows.map((r) => apiKeyFromRow(r, row.username))
  }

  /**
   * Revokes a key of `username` at once. Revoking a revoked key changes nothing.
   * @throws AuthError USER_NOT_FOUND, API_KEY_NOT_FOUND
   */
  async revokeApiKey(username: string, keyId: string, ctx: RequestContext): Promise<void> {
    const store = this.#store
    const row = await store.requireRow(username)
    const id = keyId.startsWith('hops_') ? (parseApiKey(keyId)?.id ?? keyId) : keyId
    await store.write(async (txn) => {
      const key = await txn.get<{ revoked_at: number | null }>(
        'SELECT revoked_at FROM api_keys WHERE id = ? AND user_id = ?',
        [id, row.id],
      )
      if (key === undefined) {
        throw new AuthError(
          'API_KEY_NOT_FOUND',
          `'${row.username}' has no API key ${id.slice(0, 12)}`,
        )
      }
      if (key.revoked_at !== null) return
      await txn.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', [store.clock(), id])
      await store.audit(txn, {
        ...ctx,
        action: 'apikey.revoke',
        target: row.username,
        outcome: 'allowed',
        details: { keyId: id },
      })
    })
  }

  /**
   * The caller an API key belongs to, with the key's scopes (less `admin` when the user is no
   * longer an administrator). A refused key is audited.
   * @throws AuthError INVALID_API_KEY, API_KEY_REVOKED, API_KEY_EXPIRED, ACCOUNT_LOCKED, ACCOUNT_DISABLED
   */
  async verifyApiKey(key: string, ctx: Omit<RequestContext, 'actor'> = {}): Promise<Principal> {
    const store = this.#store
    const parsed = parseApiKey(key)
    if (parsed === undefined) throw new AuthError('INVALID_API_KEY', 'malformed API key')
    const found = await store.read((txn) =>
      txn.get<ApiKeyRow & { username: string; role: string; status: string }>(
        'SELECT k.*, u.username, u.role, u.status FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = ?',
        [parsed.id],
      ),
    )
    const now = store.clock()
    const refuse = async (
      code:
        | 'INVALID_API_KEY'
        | 'API_KEY_REVOKED'
        | 'API_KEY_EXPIRED'
        | 'ACCOUNT_LOCKED'
        | 'ACCOUNT_DISABLED',
      message: string,
    ): Promise<never> => {
      store.log.info(
        { keyId: parsed.id, remoteAddress: ctx.remoteAddress, reason: code },
        'API key refused',
      )
      await store.write((txn) =>
        store.audit(txn, {
          actor: found?.username ?? '-',
          ...ctx,
          action: 'apikey.use',
          ...(found !== undefined ? { target: found.username } : {}),
          outcome: 'denied',
          details: { keyId: parsed.id, reason: code },
        }),
      )
      throw new AuthError(code, message)
    }
    if (found === undefined || !apiKeySecretMatches(parsed.secret, found.secret_hash)) {
      return refuse('INVALID_API_KEY', `unknown API key ${parsed.id}`)
    }
    if (found.revoked_at !== null)
      return refuse('API_KEY_REVOKED', `the API key ${parsed.id} was revoked`)
    if (found.expires_at !== null && Number(found.expires_at) <= now) {
      return refuse('API_KEY_EXPIRED', `the API key ${parsed.id} has expired`)
    }
    if (found.status === 'locked')
      return refuse('ACCOUNT_LOCKED', `the account '${found.username}' is locked`)
    if (found.status !== 'active')
      return refuse('ACCOUNT_DISABLED', `the account '${found.username}' is disabled`)
    if (
      found.last_used_at === null ||
      now - Number(found.last_used_at) >= LAST_USED_RESOLUTION_MS
    ) {
      await store.write((txn) =>
        txn.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [now, parsed.id]),
      )
    }
    const role: UserRole = found.role === 'admin' ? 'admin' : 'user'
    const scopes = parseScopes(found.scopes).filter((s) => s !== 'admin' || role === 'admin')
    return {
      userId: Number(found.user_id),
      username: found.username,
      role,
      scopes,
      via: 'apikey',
      apiKeyId: parsed.id,
    }
  }
}
