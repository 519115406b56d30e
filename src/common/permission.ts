/**
 * @module
 * Pure HDFS permission checks: owner/group/other bits, the sticky bit, superuser, and POSIX ACLs
 * (with a mask) as HDFS's `FSPermissionChecker` evaluates them. No I/O here: the metadata engine
 * reads the rows and calls these functions inside its transaction.
 */

/** Read, write and execute bits of one class (`FsAction`). */
export const FsAction = {
  NONE: 0,
  EXECUTE: 1,
  WRITE: 2,
  WRITE_EXECUTE: 3,
  READ: 4,
  READ_EXECUTE: 5,
  READ_WRITE: 6,
  ALL: 7,
} as const
export type FsActionBits = number

/** The sticky bit (`01000`): only a child's owner or the directory's owner may delete or rename it. */
export const STICKY_BIT = 0o1000

/** HDFS defaults: `fs.permissions.umask-mode` 022, directories 0777 and files 0666 before the umask. */
export const DEFAULT_UMASK = 0o022
export const DEFAULT_DIR_PERMISSION = 0o777
export const DEFAULT_FILE_PERMISSION = 0o666

/** Who is calling: the user, the groups it belongs to, whether it is a superuser. */
export interface UserInfo {
  readonly user: string
  readonly groups: ReadonlySet<string>
  readonly isSuperuser: boolean
}

/** One ACL entry as HDFS models it (`AclEntry`). */
export interface AclEntry {
  readonly scope: 'ACCESS' | 'DEFAULT'
  readonly type: 'USER' | 'GROUP' | 'MASK' | 'OTHER'
  /** Named user or group; empty for the owner, owning group, mask and other entries. */
  readonly name: string
  readonly permission: FsActionBits
}

/** The attributes of an inode that permission checks read. */
export interface PermissionSubject {
  readonly owner: string
  readonly group: string
  /** Mode bits including the sticky bit; with an ACL, the group bits hold the mask. */
  readonly permission: number
  /** The extended ACL entries (named users, owning group, named groups), ACCESS scope only. */
  readonly acl?: readonly AclEntry[] | undefined
}

/** True when `user` may perform `action` on `inode` (superusers always may). */
export function hasAccess(inode: PermissionSubject, user: UserInfo, action: FsActionBits): boolean {
  if (user.isSuperuser) return true
  const mode = inode.permission
  if (user.user === inode.owner) return ((mode >> 6) & action) === action
  const acl = inode.acl
  if (acl !== undefined && acl.length > 0) return hasAclAccess(inode, acl, user, action)
  if (user.groups.has(inode.group)) return ((mode >> 3) & action) === action
  return (mode & action) === action
}

function hasAclAccess(
  inode: PermissionSubject,
  acl: readonly AclEntry[],
  user: UserInfo,
  action: FsActionBits,
): boolean {
  const mask = (inode.permission >> 3) & 7
  for (const e of acl) {
    if (e.scope === 'ACCESS' && e.type === 'USER' && e.name === user.user) {
      return (e.permission & mask & action) === action
    }
  }
  let groupMatched = false
  for (const e of acl) {
    if (e.scope !== 'ACCESS' || e.type !== 'GROUP') continue
    const group = e.name === '' ? inode.group : e.name
    if (!user.groups.has(group)) continue
    groupMatched = true
    if ((e.permission & mask & action) === action) return true
  }
  if (groupMatched) return false
  return (inode.permission & action) === action
}

/** Formats an action as `rwx` letters (`FsAction.SYMBOL`). */
export function actionSymbol(action: FsActionBits): string {
  return (action & 4 ? 'r' : '-') + (action & 2 ? 'w' : '-') + (action & 1 ? 'x' : '-')
}

/** Formats mode bits as `drwxr-xr-t`-style symbols without the type letter (e.g. `rwxr-xr-x`). */
export function modeSymbol(permission: number): string {
  const s =
    actionSymbol((permission >> 6) & 7) +
    actionSymbol((permission >> 3) & 7) +
    actionSymbol(permission & 7)
  if (permission & STICKY_BIT) return s.slice(0, 8) + (permission & 1 ? 't' : 'T')
  return s
}

/**
 * Parses an HDFS octal permission string (`755`, `1777`) or number.
 * @throws TypeError-like message via the returned `undefined`: callers turn it into INVALID_ARGUMENT
 */
export function parseOctalPermission(value: string | number): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 && value <= 0o1777 ? value : undefined
  if (!/^[0-1]?[0-7]{1,3}$/.test(value)) return undefined
  return parseInt(value, 8)
}
