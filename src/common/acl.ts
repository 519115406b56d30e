/**
 * @module
 * Pure POSIX ACL transformations with HDFS semantics (`AclTransformation`, `AclStorage`,
 * `AclUtil`). No I/O: the metadata engine reads an inode's stored entries, calls these functions
 * and writes the result back in its transaction.
 *
 * Two shapes of an ACL appear here:
 * - the **logical ACL**: every entry, sorted (access before default; user, group, mask, other;
 *   unnamed before named), with the owner, group (or mask) and other entries of the access scope
 *   included. This is what the transformations take and return.
 * - the **stored ACL** ({@link StoredAcl}): the mode bits (owner, group-or-mask, other, sticky)
 *   and the *feature entries* HDFS keeps in an `AclFeature`: the named users, the unnamed group
 *   and the named groups of the access scope, plus every default entry. An inode with no feature
 *   entries has no ACL (`has_acl = 0`). {@link toStoredAcl} and {@link readLogicalAcl} convert.
 */
import { FsError } from './fs-error.js'
import { actionSymbol, STICKY_BIT } from './permission.js'
import type { AclEntry, FsActionBits } from './permission.js'

/** At most this many entries per scope, and per ACL spec (HDFS `AclTransformation.MAX_ENTRIES`). */
export const MAX_ACL_ENTRIES = 32

type Scope = AclEntry['scope']
type EntryType = AclEntry['type']

const SCOPE_ORDER: Record<Scope, number> = { ACCESS: 0, DEFAULT: 1 }
const TYPE_ORDER: Record<EntryType, number> = { USER: 0, GROUP: 1, MASK: 2, OTHER: 3 }
const SCOPES: readonly Scope[] = ['ACCESS', 'DEFAULT']
const BASE_TYPES: readonly EntryType[] = ['USER', 'GROUP', 'OTHER']

/** The mode bits and feature entries an inode stores for an ACL (see the module comment). */
export interface StoredAcl {
  /** Mode bits: owner, group (the mask when the access ACL is extended), other, sticky bit. */
  readonly permission: number
  /** Feature entries in HDFS order; empty means the inode has no ACL. */
  readonly entries: readonly AclEntry[]
}

/**
 * Orders entries as HDFS does (`ACL_ENTRY_COMPARATOR`): scope (access first), type (user, group,
 * mask, other), then name with the unnamed entry first. Returns 0 for entries with the same key
 * (scope, type, name) whatever their permissions.
 */
export function compareAclEntries(a: AclEntry, b: AclEntry): number {
  return (
    SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope] ||
    TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
    (a.name === b.name ? 0 : a.name < b.name ? -1 : 1)
  )
}

/** Formats an entry as Hadoop's `AclEntry.toString` does: `default:user:bob:rwx`, `mask::r-x`. */
export function aclEntryToString(e: AclEntry): string {
  return `${e.scope === 'DEFAULT' ? 'default:' : ''}${e.type.toLowerCase()}:${e.name}:${actionSymbol(e.permission)}`
}

/** True when the ACL has only the three base entries (owner, group, other). */
export function isMinimalAcl(acl: readonly AclEntry[]): boolean {
  return acl.length === 3
}

function aclError(message: string): FsError {
  return new FsError('ACL_EXCEPTION', message)
}

/**
 * Checks the shape of one entry given by a caller (what Hadoop's ACL spec parser refuses).
 * @throws FsError INVALID_ARGUMENT for an unknown scope or type, a permission outside 0..7, or a
 *   name that an ACL spec could not express
 */
export function validateAclEntryShape(e: AclEntry, requirePermission = true): void {
  const bad = (why: string): FsError =>
    new FsError('INVALID_ARGUMENT', `Invalid ACL entry ${JSON.stringify(e)}: ${why}`)
  if (typeof e !== 'object' || e === null) throw bad('not an object')
  if (!Object.hasOwn(SCOPE_ORDER, e.scope)) throw bad('scope must be ACCESS or DEFAULT')
  if (!Object.hasOwn(TYPE_ORDER, e.type)) throw bad('type must be USER, GROUP, MASK or OTHER')
  if (typeof e.name !== 'string') throw bad('name must be a string ("" when unnamed)')
  if (/[:,\s]/.test(e.name)) throw bad('name must not contain ":", "," or whitespace')
  if (
    requirePermission &&
    (!Number.isInteger(e.permission) || e.permission < 0 || e.permission > 7)
  ) {
    throw bad('permission must be an integer from 0 to 7')
  }
}

/**
 * Validates an ACL spec as Hadoop's `ValidatedAclSpec` does and returns it sorted.
 * @throws FsError ACL_EXCEPTION for more than {@link MAX_ACL_ENTRIES} entries or duplicates
 */
function validatedAclSpec(spec: readonly AclEntry[], withPermissions: boolean): AclEntry[] {
  const input: unknown = spec // callers outside TypeScript may pass anything
  if (!Array.isArray(input)) throw new FsError('INVALID_ARGUMENT', 'An ACL spec must be a list')
  for (const e of spec) validateAclEntryShape(e, withPermissions)
  if (spec.length > MAX_ACL_ENTRIES) {
    throw aclError(
      `Invalid ACL: ACL spec has ${spec.length} entries, which exceeds maximum of ${MAX_ACL_ENTRIES}.`,
    )
  }
  const sorted = spec.map(copyEntry).sort(compareAclEntries)
  for (let i = 1; i < sorted.length; i++) {
    if (compareAclEntries(sorted[i - 1]!, sorted[i]!) === 0)
      throw aclError('Invalid ACL: multiple entries with same scope, type and name.')
  }
  return sorted
}

function copyEntry(e: AclEntry): AclEntry {
  return { scope: e.scope, type: e.type, name: e.name, permission: e.permission }
}

function findByKey(sorted: readonly AclEntry[], key: AclEntry): AclEntry | undefined {
  return sorted.find((e) => compareAclEntries(e, key) === 0)
}

/** What the transformations track while building a new ACL (HDFS `calculateMasks` inputs). */
class AclBuilder {
  readonly entries: AclEntry[] = []
  readonly providedMask = new Map<Scope, AclEntry>()
  readonly maskDirty = new Set<Scope>()
  readonly scopeDirty = new Set<Scope>()

  /** Keeps a mask aside (masks are recalculated at the end) or adds the entry. */
  keep(e: AclEntry, fromSpec: boolean): void {
    if (fromSpec) this.scopeDirty.add(e.scope)
    if (e.type === 'MASK') {
      this.providedMask.set(e.scope, e)
      if (fromSpec) this.maskDirty.add(e.scope)
    } else {
      this.entries.push(e)
    }
  }

  build(): AclEntry[] {
    copyDefaultsIfNeeded(this.entries)
    this.#calculateMasks()
    return buildAndValidateAcl(this.entries)
  }

  #calculateMasks(): void {
    const found = new Set<Scope>()
    const union = new Map<Scope, FsActionBits>()
    const maskNeeded = new Set<Scope>()
    for (const e of this.entries) {
      found.add(e.scope)
      if (e.type === 'GROUP' || e.name !== '')
        union.set(e.scope, (union.get(e.scope) ?? 0) | e.permission)
      if (e.name !== '') maskNeeded.add(e.scope)
    }
    for (const scope of SCOPES) {
      if (!found.has(scope)) continue
      const provided = this.providedMask.get(scope)
      if (provided === undefined && maskNeeded.has(scope) && this.maskDirty.has(scope)) {
        // The caller removed the mask explicitly, but named entries need one.
        throw aclError('Invalid ACL: mask is required and cannot be deleted.')
      } else if (
        provided !== undefined &&
        (!this.scopeDirty.has(scope) || this.maskDirty.has(scope))
      ) {
        // A new mask from the caller, or the old one in a scope that did not change.
        this.entries.push(provided)
      } else if (maskNeeded.has(scope) || provided !== undefined) {
        this.entries.push({ scope, type: 'MASK', name: '', permission: union.get(scope) ?? 0 })
      }
    }
  }
}

/** A default ACL missing owner, group or other entries gets them from the access ACL. */
function copyDefaultsIfNeeded(entries: AclEntry[]): void {
  entries.sort(compareAclEntries)
  const defaults = entries.filter((e) => e.scope === 'DEFAULT')
  if (defaults.length === 0) return
  const copied: AclEntry[] = []
  for (const type of BASE_TYPES) {
    if (defaults.some((e) => e.type === type && e.name === '')) continue
    const access = entries.find((e) => e.scope === 'ACCESS' && e.type === type && e.name === '')
    if (access !== undefined) copied.push({ ...access, scope: 'DEFAULT' })
  }
  entries.push(...copied)
}

/**
 * Sorts and validates a complete ACL (HDFS `buildAndValidateAcl`).
 * @throws FsError ACL_EXCEPTION on duplicates, a named mask or other entry, too many entries in a
 *   scope, or missing owner, group or other entries
 */
function buildAndValidateAcl(entries: AclEntry[]): AclEntry[] {
  entries.sort(compareAclEntries)
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    if (i > 0 && compareAclEntries(entries[i - 1]!, e) === 0)
      throw aclError('Invalid ACL: multiple entries with same scope, type and name.')
    if (e.name !== '' && (e.type === 'MASK' || e.type === 'OTHER'))
      throw aclError(`Invalid ACL: this entry type must not have a name: ${aclEntryToString(e)}.`)
  }
  const access = entries.filter((e) => e.scope === 'ACCESS')
  const defaults = entries.filter((e) => e.scope === 'DEFAULT')
  if (access.length > MAX_ACL_ENTRIES) {
    throw aclError(
      `Invalid ACL: ACL has ${access.length} access entries, which exceeds maximum of ${MAX_ACL_ENTRIES}.`,
    )
  }
  if (defaults.length > MAX_ACL_ENTRIES) {
    throw aclError(
      `Invalid ACL: ACL has ${defaults.length} default entries, which exceeds maximum of ${MAX_ACL_ENTRIES}.`,
    )
  }
  for (const type of BASE_TYPES) {
    if (!access.some((e) => e.type === type && e.name === ''))
      throw aclError('Invalid ACL: the user, group and other entries are required.')
    if (defaults.length > 0 && !defaults.some((e) => e.type === type && e.name === ''))
      throw aclError('Invalid default ACL: the user, group and other entries are required.')
  }
  return entries
}

/**
 * `modifyAclEntries`: entries of the spec replace existing ones with the same key or are added;
 * the mask of every changed scope is recalculated unless the spec gives one.
 * @param existing the current logical ACL ({@link readLogicalAcl})
 * @throws FsError ACL_EXCEPTION or INVALID_ARGUMENT when the spec or the result is invalid
 */
export function mergeAclEntries(
  existing: readonly AclEntry[],
  spec: readonly AclEntry[],
): AclEntry[] {
  const sortedSpec = validatedAclSpec(spec, true)
  const b = new AclBuilder()
  const found: AclEntry[] = []
  for (const e of existing) {
    const replacement = findByKey(sortedSpec, e)
    if (replacement !== undefined) found.push(replacement)
    b.keep(replacement ?? e, replacement !== undefined)
  }
  for (const e of sortedSpec) if (!found.includes(e)) b.keep(e, true)
  return b.build()
}

/**
 * `removeAclEntries`: drops the entries whose key (scope, type, name) is in the spec; the spec's
 * permissions are ignored. Masks are recalculated in the changed scopes.
 * @throws FsError ACL_EXCEPTION when the result is invalid (e.g. removing a required mask)
 */
export function filterAclEntriesByAclSpec(
  existing: readonly AclEntry[],
  spec: readonly AclEntry[],
): AclEntry[] {
  const sortedSpec = validatedAclSpec(spec, false)
  const b = new AclBuilder()
  for (const e of existing) {
    if (findByKey(sortedSpec, e) !== undefined) {
      b.scopeDirty.add(e.scope)
      if (e.type === 'MASK') b.maskDirty.add(e.scope)
    } else {
      b.keep(e, false)
    }
  }
  return b.build()
}

/** `removeDefaultAcl`: keeps the access entries only. */
export function filterDefaultAclEntries(existing: readonly AclEntry[]): AclEntry[] {
  return buildAndValidateAcl(existing.filter((e) => e.scope === 'ACCESS').map(copyEntry))
}

/**
 * `setAcl`: the spec replaces every scope it mentions; a scope it does not mention is kept.
 * @throws FsError ACL_EXCEPTION or INVALID_ARGUMENT when the spec or the result is invalid
 */
export function replaceAclEntries(
  existing: readonly AclEntry[],
  spec: readonly AclEntry[],
): AclEntry[] {
  const sortedSpec = validatedAclSpec(spec, true)
  const b = new AclBuilder()
  for (const e of sortedSpec) b.keep(e, true)
  for (const e of existing) if (!b.scopeDirty.has(e.scope)) b.keep(e, false)
  return b.build()
}

/** The minimal ACL the mode bits alone describe (`AclUtil.getMinimalAcl`). */
export function minimalAcl(permission: number): AclEntry[] {
  return [
    { scope: 'ACCESS', type: 'USER', name: '', permission: (permission >> 6) & 7 },
    { scope: 'ACCESS', type: 'GROUP', name: '', permission: (permission >> 3) & 7 },
    { scope: 'ACCESS', type: 'OTHER', name: '', permission: permission & 7 },
  ]
}

/**
 * The logical ACL of an inode from its mode bits and stored feature entries
 * (HDFS `AclStorage.readINodeLogicalAcl`).
 */
export function readLogicalAcl(permission: number, feature: readonly AclEntry[]): AclEntry[] {
  const access = feature.filter((e) => e.scope === 'ACCESS')
  const defaults = feature.filter((e) => e.scope === 'DEFAULT')
  const acl: AclEntry[] =
    access.length === 0
      ? minimalAcl(permission)
      : [
          { scope: 'ACCESS', type: 'USER', name: '', permission: (permission >> 6) & 7 },
          ...access,
          { scope: 'ACCESS', type: 'MASK', name: '', permission: (permission >> 3) & 7 },
          { scope: 'ACCESS', type: 'OTHER', name: '', permission: permission & 7 },
        ]
  return [...acl, ...defaults].map(copyEntry).sort(compareAclEntries)
}

function modeOf(owner: FsActionBits, group: FsActionBits, other: FsActionBits, sticky: number) {
  return (sticky & STICKY_BIT) | (owner << 6) | (group << 3) | other
}

/**
 * Splits a valid logical ACL into mode bits and feature entries (HDFS `AclStorage.updateINodeAcl`).
 * The sticky bit is kept from `permission`.
 * @param path named in the error message
 * @throws FsError ACL_EXCEPTION when a file would get a default ACL
 */
export function toStoredAcl(
  acl: readonly AclEntry[],
  permission: number,
  isDirectory: boolean,
  path: string,
): StoredAcl {
  if (isMinimalAcl(acl)) {
    return {
      permission: modeOf(acl[0]!.permission, acl[1]!.permission, acl[2]!.permission, permission),
      entries: [],
    }
  }
  const access = acl.filter((e) => e.scope === 'ACCESS')
  const defaults = acl.filter((e) => e.scope === 'DEFAULT')
  if (defaults.length > 0 && !isDirectory) {
    throw aclError(`Invalid ACL: only directories may have a default ACL. Path: ${path}`)
  }
  return storedFrom(access, defaults, permission)
}

/** Feature entries and mode bits for sorted access entries and default entries. */
function storedFrom(
  access: readonly AclEntry[],
  defaults: readonly AclEntry[],
  permission: number,
): StoredAcl {
  const n = access.length
  return {
    // With an extended access ACL the entry before `other` is the mask; else the group entry.
    permission: modeOf(
      access[0]!.permission,
      access[n - 2]!.permission,
      access[n - 1]!.permission,
      permission,
    ),
    entries: [...(isMinimalAcl(access) ? [] : access.slice(1, n - 2)), ...defaults],
  }
}

/**
 * The mode bits after `removeAcl` (HDFS `AclStorage.removeINodeAcl`): the owning group's entry
 * goes back into the group bits, replacing the mask.
 */
export function permissionWithoutAcl(permission: number, feature: readonly AclEntry[]): number {
  const group = feature.find((e) => e.scope === 'ACCESS' && e.type === 'GROUP' && e.name === '')
  if (group === undefined) return permission
  return (permission & ~0o070) | (group.permission << 3)
}

/**
 * The ACL a new inode inherits from its parent's default entries (HDFS
 * `AclStorage.copyINodeDefaultAcl`): the defaults become its access ACL, with the owner, mask (or
 * group, for a minimal default ACL) and other permissions limited by the create mode; a directory
 * also gets the default entries. Returns undefined when there are no default entries.
 * @param parentDefaults the parent's DEFAULT-scope entries, sorted
 * @param mode the child's initial mode bits (sticky bit kept)
 */
export function inheritedAcl(
  parentDefaults: readonly AclEntry[],
  mode: number,
  isDirectory: boolean,
): StoredAcl | undefined {
  if (parentDefaults.length === 0) return undefined
  const minimalDefault = isMinimalAcl(parentDefaults)
  const ownerBits = (mode >> 6) & 7
  const groupBits = (mode >> 3) & 7
  const otherBits = mode & 7
  const access = parentDefaults.map((e): AclEntry => {
    let permission = e.permission
    if (e.type === 'USER' && e.name === '') permission &= ownerBits
    else if (e.type === 'GROUP' && minimalDefault) permission &= groupBits
    else if (e.type === 'MASK') permission &= groupBits
    else if (e.type === 'OTHER') permission &= otherBits
    return { scope: 'ACCESS', type: e.type, name: e.name, permission }
  })
  const defaults = isDirectory ? parentDefaults.map(copyEntry) : []
  return storedFrom(access, defaults, mode)
}
