/**
 * @module
 * LDAP login (`ldapts`): the password is checked by binding as the user, either at a DN built
 * from a template (`uid={username},ou=people,dc=example,dc=org`) or at the DN found by a search
 * (as a service account, or anonymously). The user's groups are then searched and mapped to a Hops
 * role and Hops groups by configuration. An empty password is refused before any bind (an LDAP
 * simple bind with an empty password is an anonymous bind, which succeeds).
 */
import { Client, InvalidCredentialsError } from 'ldapts'
import { AuthError } from './auth-error.js'

export type LdapRole = 'admin' | 'user'

/** How to reach the directory and read users and groups from it. */
export interface LdapOptions {
  /** `ldap://host:389` or `ldaps://host:636`. */
  readonly url: string
  /**
   * The user's DN with `{username}` in it: bind there directly. Otherwise the DN is searched with
   * {@link userSearchBase} and {@link userSearchFilter}.
   */
  readonly userDnTemplate?: string
  /** Service account for searches; anonymous when absent. */
  readonly bindDn?: string
  readonly bindPassword?: string
  /** Where users are searched (search-then-bind) — required without {@link userDnTemplate}. */
  readonly userSearchBase?: string
  /** Default `(uid={username})`. */
  readonly userSearchFilter?: string
  /** Where groups are searched. Without it the user has no groups. */
  readonly groupSearchBase?: string
  /**
   * Default `(|(member={dn})(uniqueMember={dn})(memberUid={username}))`: groupOfNames,
   * groupOfUniqueNames and posixGroup.
   */
  readonly groupSearchFilter?: string
  /** The attribute naming a group. Default `cn`. */
  readonly groupNameAttribute?: string
  /** Default `mail`. */
  readonly emailAttribute?: string
  /** Default `cn`. */
  readonly displayNameAttribute?: string
  /** LDAP group name → Hops role; a member of any group mapped to `admin` is an admin. */
  readonly roleMapping?: Readonly<Record<string, LdapRole>>
  /** LDAP group name → Hops group the user is put in. */
  readonly groupMapping?: Readonly<Record<string, string>>
  /**
   * Role of a user in no group of {@link roleMapping}; when undefined such a user may not log in.
   * Default `'user'` when no role mapping is configured, else undefined.
   */
  readonly defaultRole?: LdapRole
  /** Connect and operation timeout, ms. Default 5000. */
  readonly timeoutMs?: number
}

/** A user the directory vouched for. */
export interface LdapIdentity {
  readonly dn: string
  readonly email?: string
  readonly displayName?: string
  /** The user's LDAP group names. */
  readonly ldapGroups: readonly string[]
  /** The Hops role from {@link LdapOptions.roleMapping}; undefined: not allowed to log in. */
  readonly role: LdapRole | undefined
  /** Hops groups from {@link LdapOptions.groupMapping}. */
  readonly groups: readonly string[]
}

/** RFC 4514: escapes a value placed in a DN. */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[#\s]/, (c) => `\\${c}`)
    .replace(/\s$/, (c) => `\\${c}`)
}

/** RFC 4515: escapes a value placed in a search filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function firstValue(value: unknown): string | undefined {
  const v = Array.isArray(value) ? (value as unknown[])[0] : value
  if (typeof v === 'string') return v
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined
}

/** Checks passwords against an LDAP directory. */
export class LdapAuthenticator {
  readonly #options: LdapOptions

  /** @throws TypeError when neither a DN template nor a search base is configured */
  constructor(options: LdapOptions) {
    if (options.userDnTemplate === undefined && options.userSearchBase === undefined) {
      throw new TypeError('LDAP: set userDnTemplate or userSearchBase')
    }
    this.#options = Object.freeze({ ...options })
  }

  #client(): Client {
    const timeout = this.#options.timeoutMs ?? 5000
    return new Client({ url: this.#options.url, timeout, connectTimeout: timeout })
  }

  /**
   * Binds as `username` with `password`.
   * @returns the identity, or undefined when the user is unknown or the password is wrong
   * @throws AuthError LDAP_UNAVAILABLE when the directory cannot be reached or refuses the
   *   service account
   */
  async authenticate(username: string, password: string): Promise<LdapIdentity | undefined> {
    if (password === '') return undefined
    const o = this.#options
    const client = this.#client()
    try {
      let dn: string
      let entry: Record<string, unknown> | undefined
      if (o.userDnTemplate !== undefined) {
        dn = o.userDnTemplate.replaceAll('{username}', escapeDnValue(username))
      } else {
        await this.#serviceBind(client)
        const filter = (o.userSearchFilter ?? '(uid={username})').replaceAll(
          '{username}',
          escapeFilterValue(username),
        )
        const { searchEntries } = await client.search(o.userSearchBase!, {
          scope: 'sub',
          filter,
          sizeLimit: 2,
          attributes: [o.emailAttribute ?? 'mail', o.displayNameAttribute ?? 'cn'],
        })
        // Zero or several matches: no unique user to bind as.
        if (searchEntries.length !== 1) return undefined
        entry = searchEntries[0]!
        dn = entry.dn as string
      }
      try {
        await client.bind(dn, password)
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return undefined
        throw err
      }
      if (entry === undefined) {
        // Bound as the user: read its own entry for the mail and name.
        const { searchEntries } = await client.search(dn, {
          scope: 'base',
          attributes: [o.emailAttribute ?? 'mail', o.displayNameAttribute ?? 'cn'],
        })
        entry = searchEntries[0] ?? { dn }
      }
      const ldapGroups = await this.#groups(client, dn, username)
      const email = firstValue(entry[o.emailAttribute ?? 'mail'])
      const displayName = firstValue(entry[o.displayNameAttribute ?? 'cn'])
      return {
        dn,
        ...(email !== undefined ? { email } : {}),
        ...(displayName !== undefined ? { displayName } : {}),
        ldapGroups,
        role: this.#role(ldapGroups),
        groups: [
          ...new Set(
            ldapGroups.flatMap((g) => {
              const mapped = lookup(o.groupMapping, g)
              return mapped === undefined ? [] : [mapped]
            }),
          ),
        ].sort(),
      }
    } catch (err) {
      if (err instanceof AuthError) throw err
      // The message says which server; the driver's text is in `cause`, never the password.
      throw new AuthError('LDAP_UNAVAILABLE', `the LDAP server ${o.url} did not answer the login`, {
        cause: err,
      })
    } finally {
      await client.unbind().catch(() => undefined)
    }
  }

  async #serviceBind(client: Client): Promise<void> {
    const o = this.#options
    if (o.bindDn === undefined) return
    try {
      await client.bind(o.bindDn, o.bindPassword ?? '')
    } catch (err) {
      throw new AuthError(
        'LDAP_UNAVAILABLE',
        `the LDAP server ${o.url} refused the service account ${o.bindDn}`,
        { cause: err instanceof InvalidCredentialsError ? undefined : err },
      )
    }
  }

  async #groups(client: Client, dn: string, username: string): Promise<string[]> {
    const o = this.#options
    if (o.groupSearchBase === undefined) return []
    if (o.bindDn !== undefined) await this.#serviceBind(client)
    const nameAttribute = o.groupNameAttribute ?? 'cn'
    const filter = (
      o.groupSearchFilter ?? '(|(member={dn})(uniqueMember={dn})(memberUid={username}))'
    )
      .replaceAll('{dn}', escapeFilterValue(dn))
      .replaceAll('{username}', escapeFilterValue(username))
    const { searchEntries } = await client.search(o.groupSearchBase, {
      scope: 'sub',
      filter,
      attributes: [nameAttribute],
    })
    const names = searchEntries.flatMap((e) => {
      const name = firstValue(e[nameAttribute])
      return name === undefined ? [] : [name]
    })
    return [...new Set(names)].sort()
  }

  #role(ldapGroups: readonly string[]): LdapRole | undefined {
    const mapping = this.#options.roleMapping
    const roles = ldapGroups.map((g) => lookup(mapping, g))
    if (roles.includes('admin')) return 'admin'
    if (roles.includes('user')) return 'user'
    return this.#options.defaultRole ?? (mapping === undefined ? 'user' : undefined)
  }

  toJSON(): string {
    return `[LdapAuthenticator ${this.#options.url}]`
  }
}

/** Group names compare case-insensitively, as LDAP's `cn` does. */
function lookup<T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  if (map === undefined) return undefined
  const lower = key.toLowerCase()
  for (const [k, v] of Object.entries(map)) if (k.toLowerCase() === lower) return v
  return undefined
}
