/**
 * @module
 * ACL spec strings (`user:bob:rwx,group::r-x,default:mask::rwx`) as Hadoop's
 * `AclEntry.parseAclSpec` reads them and `AclEntry.toStringStable` writes them.
 */
import { actionSymbol } from '../common/permission.js'
import type { AclEntry } from '../common/permission.js'

/** An entry of an ACL spec; `permission` is absent in specs of entries to remove. */
export type AclSpecEntry = Omit<AclEntry, 'permission'> & { readonly permission?: number }

const TYPES = new Set(['USER', 'GROUP', 'MASK', 'OTHER'])

/** Parses `rwx`, `r-x`, `---` (`FsAction.getFsAction`); undefined when malformed. */
export function parseFsAction(symbol: string): number | undefined {
  const m = /^([r-])([w-])([x-])$/.exec(symbol)
  if (m === null) return undefined
  return (m[1] === 'r' ? 4 : 0) | (m[2] === 'w' ? 2 : 0) | (m[3] === 'x' ? 1 : 0)
}

/**
 * Parses one entry (`AclEntry.parseAclEntry`). Java's `split(":")` drops trailing empty strings,
 * so `user:bob:` and `user:bob` are the same entry; `group::r-x` has an empty name.
 * @param includePermission whether the entry must end with a permission (false for `-x` specs)
 * @throws TypeError with Hadoop's message (`Invalid <aclSpec> : …`) when malformed
 */
export function parseAclEntry(entry: string, includePermission: true): AclEntry
export function parseAclEntry(entry: string, includePermission: boolean): AclSpecEntry
export function parseAclEntry(entry: string, includePermission: boolean): AclSpecEntry {
  const split = entry.split(':')
  while (split.length > 0 && split[split.length - 1] === '') split.pop()
  if (split.length === 0) throw new TypeError(`Invalid <aclSpec> : ${entry}`)
  let index = 0
  let scope: AclEntry['scope'] = 'ACCESS'
  if (split[0] === 'default') {
    index++
    scope = 'DEFAULT'
  }
  if (split.length <= index) throw new TypeError(`Invalid <aclSpec> : ${entry}`)
  const type = split[index]!.toUpperCase()
  if (!TYPES.has(type)) throw new TypeError(`Invalid type of acl in <aclSpec> :${entry}`)
  index++
  let name = ''
  if (split.length > index) {
    name = split[index]!
    index++
  }
  let permission: number | undefined
  if (includePermission) {
    if (split.length <= index) throw new TypeError(`Invalid <aclSpec> : ${entry}`)
    permission = parseFsAction(split[index]!)
    if (permission === undefined) throw new TypeError(`Invalid permission in <aclSpec> : ${entry}`)
    index++
  }
  if (split.length > index) throw new TypeError(`Invalid <aclSpec> : ${entry}`)
  const base = { scope, type: type as AclEntry['type'], name }
  return permission === undefined ? base : { ...base, permission }
}

/**
 * Parses a comma-separated ACL spec (`AclEntry.parseAclSpec`); blank items are skipped.
 * @throws TypeError when an entry is malformed
 */
export function parseAclSpec(spec: string, includePermission: true): AclEntry[]
export function parseAclSpec(spec: string, includePermission: boolean): AclSpecEntry[]
export function parseAclSpec(spec: string, includePermission: boolean): AclSpecEntry[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => parseAclEntry(s, includePermission))
}

/** Formats an entry as `AclEntry.toStringStable` does: `default:user:bob:rwx`, `mask::r-x`. */
export function formatAclEntry(e: AclSpecEntry): string {
  const head = `${e.scope === 'DEFAULT' ? 'default:' : ''}${e.type.toLowerCase()}:${e.name}`
  return e.permission === undefined ? head : `${head}:${actionSymbol(e.permission)}`
}

/** Formats entries as a comma-separated ACL spec. */
export function formatAclSpec(entries: readonly AclSpecEntry[]): string {
  return entries.map(formatAclEntry).join(',')
}
