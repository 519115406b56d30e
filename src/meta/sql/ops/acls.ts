/**
 * POSIX ACLs (HDFS `FSDirAclOp`, `AclStorage`): each change reads the inode's logical ACL, applies
 * one pure transformation from `common/acl.ts` and stores the result, under an exclusive lock on
 * the inode. Only the owner or the superuser may change an ACL.
 *
 * Storage, as HDFS's `AclFeature`: the access owner, group-class (the mask when the ACL is
 * extended) and other permissions live in `inodes.permission`; the named users, the owning group,
 * the named groups and all default entries are rows of `acl_entries`, `idx` giving their order.
 * `has_acl` is 1 exactly when the inode has such rows.
 */
import {
  filterAclEntriesByAclSpec,
  filterDefaultAclEntries,
  mergeAclEntries,
  permissionWithoutAcl,
  readLogicalAcl,
  replaceAclEntries,
  toStoredAcl,
} from '../../../common/acl.js'
import type { StoredAcl } from '../../../common/acl.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import type { AclEntry } from '../../../common/permission.js'
import { STICKY_BIT } from '../../../common/permission.js'
import type { AclStatus } from '../../meta-engine.js'
import { ACL_SCOPES, ACL_TYPES, scopeCode, typeCode } from '../acl-codes.js'
import { logChange } from '../changelog.js'
import type { InodeRow } from '../inode-row.js'
import { isDirectory } from '../inode-row.js'
import type { Op } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'

interface AclEntryRow {
  scope: number
  type: number
  name: string
  permission: number
}

function toAclEntry(r: AclEntryRow): AclEntry {
  return {
    scope: ACL_SCOPES[r.scope]!,
    type: ACL_TYPES[r.type]!,
    name: r.name,
    permission: r.permission,
  }
}

/**
 * Reads an inode's stored ACL entries in order (none when `has_acl` is 0), optionally one scope.
 */
export async function readAclFeature(
  op: Op,
  inode: InodeRow,
  scope?: AclEntry['scope'],
): Promise<AclEntry[]> {
  if (inode.has_acl !== 1) return []
  const rows =
    scope === undefined
      ? await op.txn.all<AclEntryRow>(
          'SELECT scope, type, name, permission FROM acl_entries WHERE inode_id = ? ORDER BY idx',
          [inode.id],
        )
      : await op.txn.all<AclEntryRow>(
          'SELECT scope, type, name, permission FROM acl_entries WHERE inode_id = ? AND scope = ? ORDER BY idx',
          [inode.id, scopeCode(scope)],
        )
  return rows.map(toAclEntry)
}

/**
 * Replaces an inode's stored ACL: its `acl_entries` rows, `permission` and `has_acl`, in the
 * database and in `inode`. The caller logs the change.
 * @param hadRows whether `acl_entries` may hold rows for the inode (skips a DELETE when not)
 */
export async function writeStoredAcl(
  op: Op,
  inode: InodeRow,
  stored: StoredAcl,
  hadRows: boolean,
): Promise<void> {
  if (hadRows) await op.txn.run('DELETE FROM acl_entries WHERE inode_id = ?', [inode.id])
  const entries = stored.entries
  if (entries.length > 0) {
    const params: unknown[] = []
    entries.forEach((e, idx) =>
      params.push(inode.id, idx, scopeCode(e.scope), typeCode(e.type), e.name, e.permission),
    )
    await op.txn.run(
      `INSERT INTO acl_entries (inode_id, idx, scope, type, name, permission) VALUES ${'(?, ?, ?, ?, ?, ?), '.repeat(entries.length - 1)}(?, ?, ?, ?, ?, ?)`,
      params,
    )
  }
  const hasAcl = entries.length > 0 ? 1 : 0
  if (stored.permission !== inode.permission || hasAcl !== inode.has_acl) {
    await op.txn.run('UPDATE inodes SET permission = ?, has_acl = ? WHERE id = ?', [
      stored.permission,
      hasAcl,
      inode.id,
    ])
    inode.permission = stored.permission
    inode.has_acl = hasAcl
  }
}

/**
 * Resolves and exclusively locks the target of an ACL change; only its owner or the superuser
 * passes (HDFS `checkOwner`). Like `set-attributes.ts` `lockTarget`, without importing the
 * create path (acl-inheritance.ts, which create.ts imports, imports this module).
 */
async function lockOwnedTarget(op: Op, path: HdfsPath): Promise<InodeRow> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, { owner: true })
  const target = resolved.requireTarget()
  await lockInodes(op, [{ row: target, depth: resolved.depth, exclusive: true }], [resolved])
  return target
}

/** Locks the target (owner or superuser only) and applies `transform` to its logical ACL. */
async function changeAcl(
  op: Op,
  path: HdfsPath,
  transform: (logical: AclEntry[]) => AclEntry[],
): Promise<void> {
  const target = await lockOwnedTarget(op, path)
  const feature = await readAclFeature(op, target)
  const newAcl = transform(readLogicalAcl(target.permission, feature))
  const stored = toStoredAcl(newAcl, target.permission, isDirectory(target), path.path)
  await writeStoredAcl(op, target, stored, target.has_acl === 1)
  await logChange(op, 'UPDATE', target)
}

/**
 * Adds or replaces the given entries; masks are recalculated unless the spec has one.
 * @throws FsError ACCESS_DENIED (not owner), FILE_NOT_FOUND, ACL_EXCEPTION, INVALID_ARGUMENT
 */
export function modifyAclEntries(
  op: Op,
  path: HdfsPath,
  entries: readonly AclEntry[],
): Promise<void> {
  return changeAcl(op, path, (acl) => mergeAclEntries(acl, entries))
}

/**
 * Removes the entries with the given keys (permissions ignored).
 * @throws FsError ACCESS_DENIED (not owner), FILE_NOT_FOUND, ACL_EXCEPTION, INVALID_ARGUMENT
 */
export function removeAclEntries(
  op: Op,
  path: HdfsPath,
  entries: readonly AclEntry[],
): Promise<void> {
  return changeAcl(op, path, (acl) => filterAclEntriesByAclSpec(acl, entries))
}

/** Removes every default entry. @throws FsError ACCESS_DENIED, FILE_NOT_FOUND */
export function removeDefaultAcl(op: Op, path: HdfsPath): Promise<void> {
  return changeAcl(op, path, filterDefaultAclEntries)
}

/**
 * Removes the whole ACL; the owning group's entry goes back into the group bits (HDFS
 * `AclStorage.removeINodeAcl`). @throws FsError ACCESS_DENIED, FILE_NOT_FOUND
 */
export async function removeAcl(op: Op, path: HdfsPath): Promise<void> {
  const target = await lockOwnedTarget(op, path)
  if (target.has_acl !== 1) return
  const feature = await readAclFeature(op, target)
  const permission = permissionWithoutAcl(target.permission, feature)
  await writeStoredAcl(op, target, { permission, entries: [] }, true)
  await logChange(op, 'UPDATE', target)
}

/**
 * Replaces the ACL of every scope the spec names (a scope it leaves out is kept).
 * @throws FsError ACCESS_DENIED (not owner), FILE_NOT_FOUND, ACL_EXCEPTION, INVALID_ARGUMENT
 */
export function setAcl(op: Op, path: HdfsPath, entries: readonly AclEntry[]): Promise<void> {
  return changeAcl(op, path, (acl) => replaceAclEntries(acl, entries))
}

/**
 * Owner, group, mode bits and the stored entries (named users, owning group, named groups,
 * defaults), as WebHDFS GETACLSTATUS shows them. Needs only EXECUTE on the ancestors.
 * @throws FsError FILE_NOT_FOUND, ACCESS_DENIED
 */
export async function getAclStatus(op: Op, path: HdfsPath): Promise<AclStatus> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, {})
  const target = resolved.requireTarget()
  const entries = await readAclFeature(op, target)
  return {
    owner: target.owner,
    group: target.grp,
    permission: target.permission,
    stickyBit: (target.permission & STICKY_BIT) !== 0,
    entries,
  }
}
