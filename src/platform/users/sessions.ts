/**
 * @module
 * Sessions: signed JWTs carrying the user's id, role and `session_version`, signed with a
 * configured key or one generated at first start and stored encrypted in `auth_secrets`. A token
 * stops verifying once the user's `session_version` moves (password change, reset, lock, role).
 */
import type { SqlTxn } from '../../meta/sql/sql-dialect.js'
import { API_KEY_SCOPES } from './api-key.js'
import type { ApiKeyScope } from './api-key.js'
import { AuthError } from './auth-error.js'
import { SessionSigner } from './session-tokens.js'
import type { UserRole, UserRow } from './user.js'
import type { UserStore } from './user-store.js'

/** An authenticated caller, from a session or an API key. */
export interface Principal {
  readonly userId: number
  readonly username: string
  readonly role: UserRole
  /** What the caller may do: a session has every scope of its role, an API key its own. */
  readonly scopes: readonly ApiKeyScope[]
  readonly via: 'session' | 'apikey'
  /** The API key's id when `via` is `apikey`. */
  readonly apiKeyId?: string
}

const SESSION_KEY_NAME = 'session-signing-key'

function scopesOfRole(role: UserRole): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((s) => s !== 'admin' || role === 'admin')
}

/** Issues and verifies session tokens. */
export class Sessions {
  readonly #store: UserStore
  readonly #sessionKey: Uint8Array | undefined
  readonly #ttlMs: number
  #signer: Promise<SessionSigner> | undefined

  /**
   * @param sessionKey the signing key (≥ 32 bytes, checked by the caller); undefined: generated
   *   at first start and stored sealed with the installation's secret box
   * @param ttlMs session lifetime, ms
   */
  constructor(store: UserStore, sessionKey: Uint8Array | undefined, ttlMs: number) {
    this.#store = store
    this.#sessionKey = sessionKey
    this.#ttlMs = ttlMs
  }

  /**
   * A token for the user of `row` (read after the login committed).
   * @throws AuthError CONFIGURATION (no session key and no secret key)
   */
  async issue(row: UserRow): Promise<{ token: string; expiresAt: number }> {
    const signer = await this.#sessionSigner()
    return signer.sign({
      sub: row.username,
      uid: Number(row.id),
      role: row.role === 'admin' ? 'admin' : 'user',
      sv: Number(row.session_version),
    })
  }

  #sessionSigner(): Promise<SessionSigner> {
    this.#signer ??= this.#loadSigner().catch((err: unknown) => {
      this.#signer = undefined
      throw err
    })
    return this.#signer
  }

  async #loadSigner(): Promise<SessionSigner> {
    const store = this.#store
    if (this.#sessionKey !== undefined) {
      return new SessionSigner(this.#sessionKey, this.#ttlMs, store.clock)
    }
    const box = store.requireBox('signing sessions')
    const context = `session-key:${SESSION_KEY_NAME}`
    const read = (txn: SqlTxn) =>
      txn.get<{ value: string }>('SELECT value FROM auth_secrets WHERE name = ?', [
        SESSION_KEY_NAME,
      ])
    let stored = await store.read(read)
    if (stored === undefined) {
      // First start: generate; a server starting at the same moment keeps whichever was first.
      const sealed = box.seal(Buffer.from(SessionSigner.generateKey()).toString('base64'), context)
      stored = await store.write(async (txn) => {
        await txn.run(
          `INSERT INTO auth_secrets (name, value, created_at) VALUES (?, ?, ?)${store.profile.onConflict('name')}`,
          [SESSION_KEY_NAME, sealed, store.clock()],
        )
        return read(txn)
      })
    }
    const key = Buffer.from(box.open(stored!.value, context), 'base64')
    return new SessionSigner(key, this.#ttlMs, store.clock)
  }

  /**
   * The caller a session token belongs to.
   * @throws AuthError TOKEN_EXPIRED, INVALID_TOKEN (bad signature, malformed, or the session was
   *   ended by a password change, reset, lock or role change)
   */
  async verifySession(token: string): Promise<Principal> {
    const claims = await (await this.#sessionSigner()).verify(token)
    const row = await this.#store.read((txn) => this.#store.rowByName(txn, claims.sub))
    if (
      row === undefined ||
      Number(row.id) !== claims.uid ||
      row.status !== 'active' ||
      Number(row.session_version) !== claims.sv
    ) {
      throw new AuthError(
        'INVALID_TOKEN',
        'the session was ended (password changed, account locked or role changed): log in again',
      )
    }
    const role = row.role === 'admin' ? 'admin' : 'user'
    return {
      userId: claims.uid,
      username: row.username,
      role,
      scopes: scopesOfRole(role),
      via: 'session',
    }
  }
}
