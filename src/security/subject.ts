/**
 * @module
 * Certificate subjects. A user certificate names a project-specific user, `CN=<project>__<user>`,
 * with `OU=users`; a service certificate names a host, `CN=<host>`, with `OU=services`. The OU is
 * the marker that keeps a service certificate from being used as a user and vice versa (the
 * extended key usages differ too: services serverAuth + clientAuth, users clientAuth only).
 */
import { isIP } from 'node:net'
import { CaError } from './ca-error.js'

/** What a certificate identifies. */
export type CertificateKind = 'service' | 'user'

/** The organizational unit that marks each kind. */
export const KIND_OU: Record<CertificateKind, string> = { service: 'services', user: 'users' }

/** The organization of every leaf certificate. */
export const LEAF_ORGANIZATION = 'Hops'

/** Who a peer is, read from a verified certificate. */
export type PeerIdentity =
  | { readonly kind: 'user'; readonly cn: string; readonly project: string; readonly user: string }
  | { readonly kind: 'service'; readonly cn: string }

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

/**
 * The CN of a project user, `<project>__<user>` (Hopsworks' project-specific user name).
 * @throws CaError INVALID_ARGUMENT for a name with characters other than letters, digits, `.`,
 * `_`, `-`, longer than 63, or containing `__` (the separator)
 */
export function userCn(project: string, user: string): string {
  for (const [what, value] of [
    ['project', project],
    ['user', user],
  ] as const) {
    if (!NAME.test(value) || value.includes('__')) {
      throw new CaError(
        'INVALID_ARGUMENT',
        `invalid ${what} name '${value}': use letters, digits, '.', '_', '-' (no '__'), at most 63`,
      )
    }
  }
  return `${project}__${user}`
}

/**
 * Checks a host name (or IP literal) used as a service certificate's CN.
 * @throws CaError INVALID_ARGUMENT when it is neither
 */
export function serviceCn(host: string): string {
  const ok =
    isIP(host) !== 0 ||
    (host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label)))
  if (!ok) throw new CaError('INVALID_ARGUMENT', `invalid host name '${host}'`)
  return host.toLowerCase()
}

/** The kind a CN has the form of: `a__b` is a user, anything else a host. */
export function kindOfCn(cn: string): CertificateKind {
  return cn.includes('__') ? 'user' : 'service'
}

/** The distinguished name of a leaf certificate. */
export function leafSubject(kind: CertificateKind, cn: string): string {
  return `CN=${cn}, OU=${KIND_OU[kind]}, O=${LEAF_ORGANIZATION}`
}

/**
 * The identity a leaf certificate's CN and OU state, or undefined when they do not form one
 * (a certificate of this CA always does; the caller has checked the signature).
 */
export function identityOf(cn: string, ou: readonly string[]): PeerIdentity | undefined {
  if (ou.length !== 1) return undefined
  if (ou[0] === KIND_OU.service && kindOfCn(cn) === 'service') return { kind: 'service', cn }
  if (ou[0] === KIND_OU.user) {
    const sep = cn.indexOf('__')
    if (sep <= 0 || sep + 2 >= cn.length) return undefined
    return { kind: 'user', cn, project: cn.slice(0, sep), user: cn.slice(sep + 2) }
  }
  return undefined
}
