/**
 * @module
 * WebHDFS PUT, POST and DELETE operations that change metadata only (no redirect). Each is one
 * metadata-engine call; new directories get the requested mode without a umask (as WebHDFS).
 */
import { FsError } from '../../common/fs-error.js'
import { parseHdfsPath } from '../../common/hdfs-path.js'
import type { XAttrSetFlag } from '../../meta/meta-engine.js'
import { invalidParam } from '../remote-exception.js'
import { parseAclSpec } from './acl-spec.js'
import { booleanJson } from './json.js'
import { parseStoragePolicy } from './storage-policies.js'
import type { WebHdfsCall, WebHdfsReply } from './webhdfs-context.js'
import { OK_EMPTY, ok } from './webhdfs-context.js'

/** MKDIRS `permission` (755): `{"boolean":true}`, also when the directory exists. */
export async function mkdirsOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const permission = call.params.permission(0o755)
  const made = await call.svc.engine.mkdirs({ path: call.path, permission, umask: 0 }, call.ctx)
  return ok(booleanJson(made))
}

/** An absolute destination path (no scheme), normalised like the request path. */
function destination(call: WebHdfsCall): string {
  const dst = call.params.required('destination')
  if (!dst.startsWith('/')) {
    throw invalidParam('destination', dst, `Invalid path name ${dst}: not absolute`)
  }
  return parseHdfsPath(dst.replace(/\/{2,}/g, '/')).path
}

/**
 * RENAME `destination`, `renameoptions`: without options HDFS `rename` (`{"boolean":…}`, false
 * when the source is missing or the destination exists); with `NONE` or `OVERWRITE`, `rename2`
 * (throws instead, empty reply).
 */
export async function renameOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const dst = destination(call)
  const raw = call.params.get('renameoptions') ?? ''
  const options = raw === '' ? [] : raw.split(',').map((o) => o.trim().toUpperCase())
  for (const o of options) {
    if (o !== 'NONE' && o !== 'OVERWRITE') {
      throw invalidParam(
        'renameoptions',
        raw,
        `No enum constant org.apache.hadoop.fs.Options.Rename.${o}`,
      )
    }
  }
  if (options.length === 0) {
    return ok(booleanJson(await call.svc.engine.rename({ src: call.path, dst }, call.ctx)))
  }
  await call.svc.engine.rename2(
    { src: call.path, dst, overwrite: options.includes('OVERWRITE') },
    call.ctx,
  )
  return OK_EMPTY
}

/** DELETE `recursive` (false): `{"boolean":…}`, false when nothing was there. */
export async function deleteOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const recursive = call.params.bool('recursive', false)
  return ok(booleanJson(await call.svc.engine.delete({ path: call.path, recursive }, call.ctx)))
}

/** SETPERMISSION `permission` (755). */
export async function setPermissionOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  await call.svc.engine.setPermission(call.path, call.params.permission(0o755), call.ctx)
  return OK_EMPTY
}

/** SETOWNER `owner`, `group` (empty = unchanged; not both). */
export async function setOwnerOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const owner = call.params.get('owner') || undefined
  const group = call.params.get('group') || undefined
  if (owner === undefined && group === undefined) {
    throw new FsError('INVALID_ARGUMENT', 'Both owner and group are empty.')
  }
  await call.svc.engine.setOwner(call.path, owner, group, call.ctx)
  return OK_EMPTY
}

/** SETTIMES `modificationtime`, `accesstime` in ms (-1 = unchanged). */
export async function setTimesOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const mtime = call.params.int('modificationtime', -1, -1)
  const atime = call.params.int('accesstime', -1, -1)
  await call.svc.engine.setTimes(call.path, mtime, atime, call.ctx)
  return OK_EMPTY
}

/** SETREPLICATION `replication` (default `dfs.replication`): `{"boolean":…}`. */
export async function setReplicationOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const replication = call.params.replication(call.svc.defaults().replication)
  return ok(booleanJson(await call.svc.engine.setReplication(call.path, replication, call.ctx)))
}

/** CREATESYMLINK `destination` (the link target), `createParent` (true): the link is the path. */
export async function createSymlinkOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const target = call.params.required('destination')
  const createParent = call.params.bool('createparent', true)
  await call.svc.engine.createSymlink(target, call.path, createParent, call.ctx)
  return OK_EMPTY
}

/** MODIFYACLENTRIES `aclspec`. */
export async function modifyAclEntriesOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const spec = parseAclSpec(call.params.required('aclspec'), true)
  await call.svc.engine.modifyAclEntries(call.path, spec, call.ctx)
  return OK_EMPTY
}

/** REMOVEACLENTRIES `aclspec` (permissions may be left out). */
export async function removeAclEntriesOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const spec = parseAclSpec(call.params.required('aclspec'), false)
  await call.svc.engine.removeAclEntries(call.path, spec, call.ctx)
  return OK_EMPTY
}

/** REMOVEDEFAULTACL. */
export async function removeDefaultAclOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  await call.svc.engine.removeDefaultAcl(call.path, call.ctx)
  return OK_EMPTY
}

/** REMOVEACL. */
export async function removeAclOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  await call.svc.engine.removeAcl(call.path, call.ctx)
  return OK_EMPTY
}

/** SETACL `aclspec` (the full ACL, base entries included). */
export async function setAclOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const spec = parseAclSpec(call.params.required('aclspec'), true)
  await call.svc.engine.setAcl(call.path, spec, call.ctx)
  return OK_EMPTY
}

/**
 * Decodes an `xattr.value` as Hadoop's `XAttrCodec.decodeValue`: `"quoted text"`, `0x` hex,
 * `0s` base64, else the text itself.
 */
export function decodeXAttrValue(value: string | undefined): Uint8Array {
  if (value === undefined || value === '') return new Uint8Array(0)
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return Buffer.from(value.slice(1, -1), 'utf8')
  }
  const prefix = value.slice(0, 2).toLowerCase()
  if (prefix === '0x') {
    const hex = value.slice(2)
    if (!/^([0-9a-fA-F]{2})*$/.test(hex))
      throw invalidParam('xattr.value', value, `Invalid hex value ${value}`)
    return Buffer.from(hex, 'hex')
  }
  if (prefix === '0s') return Buffer.from(value.slice(2), 'base64')
  return Buffer.from(value, 'utf8')
}

/** SETXATTR `xattr.name`, `xattr.value`, `flag` (CREATE, REPLACE or both, comma-separated). */
export async function setXAttrOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const name = call.params.required('xattr.name')
  const value = decodeXAttrValue(call.params.get('xattr.value'))
  const raw = call.params.get('flag') ?? ''
  const flags: XAttrSetFlag[] = []
  for (const f of raw.split(',')) {
    const flag = f.trim().toUpperCase()
    if (flag === '') continue
    if (flag !== 'CREATE' && flag !== 'REPLACE') {
      throw invalidParam('flag', raw, `No enum constant org.apache.hadoop.fs.XAttrSetFlag.${flag}`)
    }
    flags.push(flag)
  }
  await call.svc.engine.setXAttr(call.path, { name, value }, flags, call.ctx)
  return OK_EMPTY
}

/** REMOVEXATTR `xattr.name`. */
export async function removeXAttrOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  await call.svc.engine.removeXAttr(call.path, call.params.required('xattr.name'), call.ctx)
  return OK_EMPTY
}

/** SETSTORAGEPOLICY `storagepolicy` (DEFAULT, DB or HOT). */
export async function setStoragePolicyOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const policy = parseStoragePolicy(call.params.required('storagepolicy'))
  await call.svc.engine.setStoragePolicy(call.path, policy, call.ctx)
  return OK_EMPTY
}

/** UNSETSTORAGEPOLICY (POST): back to DEFAULT (inherit). */
export async function unsetStoragePolicyOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  await call.svc.engine.setStoragePolicy(call.path, 'DEFAULT', call.ctx)
  return OK_EMPTY
}

/**
 * SETQUOTA `namespacequota`, `storagespacequota` (Hadoop 3.4): -1 clears a quota,
 * `Long.MAX_VALUE` (the default) leaves it unchanged.
 */
export async function setQuotaOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const nsQuota = call.params.quota('namespacequota')
  const ssQuota = call.params.quota('storagespacequota')
  await call.svc.engine.setQuota({ path: call.path, nsQuota, ssQuota }, call.ctx)
  return OK_EMPTY
}

/** CONCAT (POST) `sources`: comma-separated absolute paths appended to the path, in order. */
export async function concatOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const sources = call.params
    .required('sources')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  await call.svc.engine.concat({ target: call.path, sources }, call.ctx)
  return OK_EMPTY
}

/**
 * TRUNCATE (POST) `newlength`: `{"boolean":true}` when done at once, false while the last
 * block's DataNodes must recover it first.
 */
export async function truncateOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const newLength = call.params.int('newlength', undefined, 0)
  if (newLength === undefined) throw invalidParam('newlength', '', 'newlength is required')
  const clientName = `DFSClient_WEBHDFS_${call.user}`
  const done = await call.svc.engine.truncate({ path: call.path, newLength, clientName }, call.ctx)
  return ok(booleanJson(done))
}
