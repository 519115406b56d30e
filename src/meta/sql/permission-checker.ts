/**
 * @module
 * HDFS permission enforcement over resolved rows (`FSPermissionChecker.checkPermission`):
 * EXECUTE on every ancestor, then the requested access on the deepest existing ancestor, the
 * parent, the target and (for recursive operations) every directory below. ACL entries are read
 * only for inodes that have one.
 */
import { FsError } from '../../common/fs-error.js'
import {
  FsAction,
  STICKY_BIT,
  actionSymbol,
  hasAccess,
  modeSymbol,
} from '../../common/permission.js'
import type { AclEntry, FsActionBits } from '../../common/permission.js'
import { prefixPath } from '../../common/hdfs-path.js'
import { ACL_SCOPES, ACL_TYPES } from './acl-codes.js'
import type { InodeRow } from './inode-row.js'
import { isDirectory } from './inode-row.js'
import type { Op } from './op.js'
import type { ResolvedPath } from './path-resolver.js'

export interface PermissionCheck {
  /** Access wanted on the deepest existing inode above the target (mkdirs, create). */
  readonly ancestorAccess?: FsActionBits
  /** Access wanted on the parent (delete, rename); WRITE also applies the sticky bit. */
  readonly parentAccess?: FsActionBits
  /** Access wanted on the target itself. */
  readonly access?: FsActionBits
  /** The caller must own the target (setPermission, setOwner, setTimes, ACLs). */
  readonly owner?: boolean
}

interface AclRow {
  inode_id: number
  scope: number
  type: number
  name: string
  permission: number
}

/** Reads the ACCESS-scope ACL entries of the given inodes, by inode id. */
export async function readAccessAcls(
  op: Op,
  rows: readonly InodeRow[],
): Promise<Map<number, AclEntry[]>> {
  const withAcl = rows.filter((r) => r.has_acl === 1).map((r) => r.id)
  const acls = new Map<number, AclEntry[]>()
  if (withAcl.length === 0) return acls
  const entries = await op.txn.all<AclRow>(
    `SELECT inode_id, scope, type, name, permission FROM acl_entries WHERE scope = 0 AND inode_id IN (${'?,'.repeat(withAcl.length - 1)}?) ORDER BY inode_id, idx`,
    withAcl,
  )
  for (const e of entries) {
    const list = acls.get(e.inode_id) ?? []
    list.push({
      scope: ACL_SCOPES[e.scope]!,
      type: ACL_TYPES[e.type]!,
      name: e.name,
      permission: e.permission,
    })
    acls.set(e.inode_id, list)
  }
  return acls
}

function denied(op: Op, resolved: ResolvedPath, index: number, action: FsActionBits): FsError {
  const row = resolved.inodes[index]!
  const type = isDirectory(row) ? 'd' : '-'
  return new FsError(
    'ACCESS_DENIED',
    `Permission denied: user=${op.user.user}, access=${actionSymbol(action)}, inode="${prefixPath(resolved.path, index)}":${row.owner}:${row.grp}:${type}${modeSymbol(row.permission)}`,
  )
}

/**
 * Checks the caller's access along a resolved path.
 * @throws FsError ACCESS_DENIED naming the inode, the user and the access, as HDFS does
 */
export async function checkPermission(
  op: Op,
  resolved: ResolvedPath,
  check: PermissionCheck,
): Promise<void> {
  if (op.user.isSuperuser) return
  const rows = resolved.inodes
  const depth = resolved.depth
  const ancestorsEnd = Math.min(rows.length, depth) // rows[0 .. ancestorsEnd) lie above the target
  const acls = await readAccessAcls(op, rows)
  const allowed = (index: number, action: FsActionBits): boolean => {
    const row = rows[index]!
    return hasAccess(
      { owner: row.owner, group: row.grp, permission: row.permission, acl: acls.get(row.id) },
      op.user,
      action,
    )
  }
  for (let i = 0; i < ancestorsEnd; i++) {
    if (!allowed(i, FsAction.EXECUTE)) throw denied(op, resolved, i, FsAction.EXECUTE)
  }
  if (check.ancestorAccess !== undefined && !allowed(ancestorsEnd - 1, check.ancestorAccess)) {
    throw denied(op, resolved, ancestorsEnd - 1, check.ancestorAccess)
  }
  const target = resolved.target
  if (check.parentAccess !== undefined && depth > 0 && rows.length >= depth) {
    const parentIndex = depth - 1
    if (!allowed(parentIndex, check.parentAccess))
      throw denied(op, resolved, parentIndex, check.parentAccess)
    const parent = rows[parentIndex]!
    if (
      (check.parentAccess & FsAction.WRITE) !== 0 &&
      target !== undefined &&
      (parent.permission & STICKY_BIT) !== 0
    ) {
      if (op.user.user !== parent.owner && op.user.user !== target.owner) {
        throw new FsError(
          'ACCESS_DENIED',
          `Permission denied by sticky bit: user=${op.user.user}, path="${resolved.path.path}":${target.owner}:${target.grp}, parent="${prefixPath(resolved.path, parentIndex)}":${parent.owner}:${parent.grp}`,
        )
      }
    }
  }
  if (target === undefined) return
  if (check.access !== undefined && !allowed(depth, check.access))
    throw denied(op, resolved, depth, check.access)
  if (check.owner === true && op.user.user !== target.owner) {
    throw new FsError(
      'ACCESS_DENIED',
      `Permission denied. user=${op.user.user} is not the owner of inode=${resolved.path.path}`,
    )
  }
}
