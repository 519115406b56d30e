/**
 * Extended attributes (HDFS `FSDirXAttrOp`, `XAttrPermissionFilter`, `XAttrHelper`).
 *
 * A name is `<namespace>.<name>`; the namespace prefix is case-insensitive and stored as a small
 * integer (`ns`, HDFS's `XAttr.NameSpace` ordinal), the rest case-sensitively. Who may do what:
 * - `user.`: set/remove need WRITE on the inode (on a sticky-bit directory: its owner instead),
 *   get needs READ; everyone who can traverse to the inode sees the names.
 * - `trusted.`: the superuser only, for everything.
 * - `security.`: only `security.hdfs.unreadable.by.superuser`, on files, without a value; it can
 *   never be removed. Unlike HDFS, setting it needs the same access as a `user.` xattr (HDFS lets
 *   anyone who can traverse to a file set it).
 * - `system.`, `raw.`: never through this API (there is no `/.reserved/raw` path here).
 *
 * One deliberate difference from HDFS: an empty flag list means CREATE|REPLACE (what
 * `FileSystem.setXAttr(path, name, value)` sends) instead of HDFS's "A flag must be specified".
 */
import { FsError } from '../../../common/fs-error.js'
import type { HdfsPath } from '../../../common/hdfs-path.js'
import { FsAction, STICKY_BIT } from '../../../common/permission.js'
import type { XAttr, XAttrSetFlag } from '../../meta-engine.js'
import { logChange } from '../changelog.js'
import { isDirectory, isFile } from '../inode-row.js'
import type { InodeRow } from '../inode-row.js'
import type { Op } from '../op.js'
import { lockInodes, resolvePath } from '../path-resolver.js'
import { checkPermission } from '../permission-checker.js'
import type { PermissionCheck } from '../permission-checker.js'

/** Namespaces by their stored code (HDFS `XAttr.NameSpace` order). */
export const XATTR_NAMESPACES = ['user', 'trusted', 'security', 'system', 'raw'] as const
export type XAttrNamespace = (typeof XATTR_NAMESPACES)[number]

const USER = 0
const TRUSTED = 1

/** HDFS `SECURITY_XATTR_UNREADABLE_BY_SUPERUSER`: set on a file, no value, never removed. */
export const UNREADABLE_BY_SUPERUSER = 'security.hdfs.unreadable.by.superuser'

/** A parsed xattr name. */
export interface XAttrName {
  /** Index into {@link XATTR_NAMESPACES}. */
  readonly ns: number
  /** The name after the namespace prefix, case-sensitive. */
  readonly name: string
  /** `<namespace>.<name>` with the namespace in lower case (HDFS `getPrefixedName`). */
  readonly prefixed: string
}

const BAD_PREFIX =
  "An XAttr name must be prefixed with user/trusted/security/system/raw, followed by a '.'"

/**
 * Splits `user.foo` into namespace and name (HDFS `XAttrHelper.buildXAttr`).
 * @throws FsError INVALID_ARGUMENT for a missing or unknown prefix or an empty name
 */
export function parseXAttrName(fullName: unknown): XAttrName {
  if (typeof fullName !== 'string' || fullName === '')
    throw new FsError('INVALID_ARGUMENT', 'XAttr name cannot be null.')
  const dot = fullName.indexOf('.')
  if (dot < 3) throw new FsError('INVALID_ARGUMENT', BAD_PREFIX) // a prefix has >= 3 letters
  if (dot === fullName.length - 1)
    throw new FsError('INVALID_ARGUMENT', 'XAttr name cannot be empty.')
  const prefix = fullName.slice(0, dot).toLowerCase()
  const ns = XATTR_NAMESPACES.indexOf(prefix as XAttrNamespace)
  if (ns < 0) throw new FsError('INVALID_ARGUMENT', BAD_PREFIX)
  const name = fullName.slice(dot + 1)
  return { ns, name, prefixed: `${prefix}.${name}` }
}

function prefixedName(ns: number, name: string): string {
  return `${XATTR_NAMESPACES[ns]}.${name}`
}

/**
 * Refuses namespaces the caller may never use through this API (HDFS
 * `XAttrPermissionFilter.checkPermissionForApi`). `value` is undefined for get and remove.
 * @throws FsError ACCESS_DENIED
 */
function checkPermissionForApi(op: Op, x: XAttrName, value: Uint8Array | undefined): void {
  if (x.ns === USER || (x.ns === TRUSTED && op.user.isSuperuser)) return
  if (x.prefixed === UNREADABLE_BY_SUPERUSER) {
    if (value !== undefined && value.length > 0) {
      throw new FsError(
        'ACCESS_DENIED',
        `Attempt to set a value for '${UNREADABLE_BY_SUPERUSER}'. Values are not allowed for this xattr.`,
      )
    }
    return
  }
  throw new FsError('ACCESS_DENIED', `User doesn't have permission for xattr: ${x.prefixed}`)
}

/** True when the caller may see an xattr (HDFS `filterXAttrsForApi`, never a raw path here). */
function isVisible(op: Op, ns: number, name: string): boolean {
  if (ns === USER) return true
  if (ns === TRUSTED) return op.user.isSuperuser
  return prefixedName(ns, name) === UNREADABLE_BY_SUPERUSER
}

/** `user.` and `trusted.` xattrs count towards the per-inode limit (HDFS `isUserVisible`). */
const USER_VISIBLE_NS = [USER, TRUSTED]

/** The access a change of `x` on `target` needs (HDFS `checkXAttrChangeAccess`). */
function changeAccess(x: XAttrName, target: InodeRow | undefined): PermissionCheck {
  if (x.ns === TRUSTED || target === undefined) return {}
  if (isDirectory(target) && (target.permission & STICKY_BIT) !== 0) return { owner: true }
  return { access: FsAction.WRITE }
}

/** Resolves, checks and exclusively locks the target of an xattr change. */
async function lockXAttrTarget(op: Op, path: HdfsPath, x: XAttrName): Promise<InodeRow> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, changeAccess(x, resolved.target))
  const target = resolved.requireTarget()
  await lockInodes(op, [{ row: target, depth: resolved.depth, exclusive: true }], [resolved])
  return target
}

function toBuffer(value: unknown): Buffer {
  if (!(value instanceof Uint8Array))
    throw new FsError('INVALID_ARGUMENT', 'An XAttr value must be bytes (a Uint8Array)')
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length)
}

function validateFlags(flags: readonly XAttrSetFlag[]): { create: boolean; replace: boolean } {
  if (!Array.isArray(flags)) throw new FsError('INVALID_ARGUMENT', 'XAttr flags must be a list')
  for (const f of flags) {
    if (f !== 'CREATE' && f !== 'REPLACE')
      throw new FsError('INVALID_ARGUMENT', `Invalid XAttr flag: ${String(f)}`)
  }
  const create = flags.includes('CREATE')
  const replace = flags.includes('REPLACE')
  // No flag at all: create or replace (see the module comment).
  return create || replace ? { create, replace } : { create: true, replace: true }
}

/**
 * Sets one xattr. `flags`: CREATE fails when it exists, REPLACE when it does not; both or none
 * allow either.
 * @throws FsError INVALID_ARGUMENT (bad name, too big), ACCESS_DENIED, FILE_NOT_FOUND,
 *   IO_ERROR (flag violated, per-inode limit, unreadable-by-superuser on a directory)
 */
export async function setXAttr(
  op: Op,
  path: HdfsPath,
  xattr: XAttr,
  flags: readonly XAttrSetFlag[],
): Promise<void> {
  const x = parseXAttrName(xattr?.name)
  const value = toBuffer(xattr.value)
  const { create, replace } = validateFlags(flags)
  const { maxXAttrSize, maxXAttrsPerInode } = op.env.settings
  const size = Buffer.byteLength(x.name, 'utf8') + value.length
  if (size > maxXAttrSize) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `The XAttr is too big. The maximum combined size of the name and value is ${maxXAttrSize}, but the total size is ${size}`,
    )
  }
  checkPermissionForApi(op, x, value)
  const target = await lockXAttrTarget(op, path, x)
  const existing = await op.txn.get<{ ns: number }>(
    'SELECT ns FROM xattrs WHERE inode_id = ? AND ns = ? AND name = ?',
    [target.id, x.ns, x.name],
  )
  if (existing !== undefined && !replace) {
    throw new FsError(
      'IO_ERROR',
      `XAttr: ${x.name} already exists. The REPLACE flag must be specified.`,
    )
  }
  if (existing === undefined && !create) {
    throw new FsError(
      'IO_ERROR',
      `XAttr: ${x.name} does not exist. The CREATE flag must be specified.`,
    )
  }
  if (x.prefixed === UNREADABLE_BY_SUPERUSER && !isFile(target)) {
    throw new FsError('IO_ERROR', `Can only set '${UNREADABLE_BY_SUPERUSER}' on a file.`)
  }
  if (existing === undefined && USER_VISIBLE_NS.includes(x.ns)) {
    const row = await op.txn.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM xattrs WHERE inode_id = ? AND ns IN (?, ?)',
      [target.id, USER, TRUSTED],
    )
    if (Number(row?.n ?? 0) + 1 > maxXAttrsPerInode) {
      throw new FsError(
        'IO_ERROR',
        `Cannot add additional XAttr to inode, would exceed limit of ${maxXAttrsPerInode}`,
      )
    }
  }
  if (existing === undefined) {
    await op.txn.run('INSERT INTO xattrs (inode_id, ns, name, value) VALUES (?, ?, ?, ?)', [
      target.id,
      x.ns,
      x.name,
      value,
    ])
  } else {
    await op.txn.run('UPDATE xattrs SET value = ? WHERE inode_id = ? AND ns = ? AND name = ?', [
      value,
      target.id,
      x.ns,
      x.name,
    ])
  }
  await logChange(op, 'UPDATE', target)
}

interface XAttrRow {
  ns: number
  name: string
  value: Uint8Array
}

/**
 * The caller-visible xattrs of the inode (all of them when `names` is undefined or empty), or the
 * named ones in the order asked. Needs READ on the inode.
 * @throws FsError INVALID_ARGUMENT (bad name), ACCESS_DENIED, FILE_NOT_FOUND, IO_ERROR when a
 *   named xattr does not exist or is not visible
 */
export async function getXAttrs(
  op: Op,
  path: HdfsPath,
  names: readonly string[] | undefined,
): Promise<XAttr[]> {
  const wanted = names === undefined || names.length === 0 ? undefined : names.map(parseXAttrName)
  for (const x of wanted ?? []) checkPermissionForApi(op, x, undefined)
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, { access: FsAction.READ })
  const target = resolved.requireTarget()
  const rows = await op.txn.all<XAttrRow>(
    'SELECT ns, name, value FROM xattrs WHERE inode_id = ? ORDER BY ns, name',
    [target.id],
  )
  const visible = rows.filter((r) => isVisible(op, r.ns, r.name))
  const toXAttr = (r: XAttrRow): XAttr => ({ name: prefixedName(r.ns, r.name), value: r.value })
  if (wanted === undefined) return visible.map(toXAttr)
  return wanted.map((x) => {
    const row = visible.find((r) => r.ns === x.ns && r.name === x.name)
    if (row === undefined)
      throw new FsError('IO_ERROR', 'At least one of the attributes provided was not found.')
    return toXAttr(row)
  })
}

/**
 * The names of the caller-visible xattrs. As in HDFS, this needs only EXECUTE on the ancestors
 * (the parent's EXECUTE is the permission to see names), not READ on the inode.
 * @throws FsError ACCESS_DENIED, FILE_NOT_FOUND
 */
export async function listXAttrs(op: Op, path: HdfsPath): Promise<string[]> {
  const resolved = await resolvePath(op, path)
  await checkPermission(op, resolved, { parentAccess: FsAction.EXECUTE })
  const target = resolved.requireTarget()
  const rows = await op.txn.all<{ ns: number; name: string }>(
    'SELECT ns, name FROM xattrs WHERE inode_id = ? ORDER BY ns, name',
    [target.id],
  )
  return rows.filter((r) => isVisible(op, r.ns, r.name)).map((r) => prefixedName(r.ns, r.name))
}

/**
 * Removes one xattr.
 * @throws FsError INVALID_ARGUMENT (bad name), ACCESS_DENIED (also for the unreadable-by-superuser
 *   xattr, which can never be removed), FILE_NOT_FOUND, IO_ERROR when it does not exist
 */
export async function removeXAttr(op: Op, path: HdfsPath, name: string): Promise<void> {
  const x = parseXAttrName(name)
  checkPermissionForApi(op, x, undefined)
  const target = await lockXAttrTarget(op, path, x)
  if (x.prefixed === UNREADABLE_BY_SUPERUSER) {
    throw new FsError('ACCESS_DENIED', `The xattr '${UNREADABLE_BY_SUPERUSER}' can not be deleted.`)
  }
  const { changes } = await op.txn.run(
    'DELETE FROM xattrs WHERE inode_id = ? AND ns = ? AND name = ?',
    [target.id, x.ns, x.name],
  )
  if (changes === 0)
    throw new FsError('IO_ERROR', 'No matching attributes found for remove operation')
  await logChange(op, 'UPDATE', target)
}
