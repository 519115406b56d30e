/**
 * @module
 * WebHDFS GET operations answered from metadata alone (no redirect).
 */
import { FsError } from '../../common/fs-error.js'
import { FsAction, hasAccess } from '../../common/permission.js'
import type { InodeRecord } from '../../meta/meta-engine.js'
import { invalidParam } from '../remote-exception.js'
import {
  aclStatusJson,
  contentSummaryJson,
  directoryListingJson,
  fileStatusJson,
  fileStatusObject,
  fileStatusesJson,
  pathJson,
  quotaUsageJson,
  xattrNamesJson,
  xattrsJson,
} from './json.js'
import type { XAttrEncoding } from './json.js'
import { allStoragePoliciesJson, storagePolicyObject } from './storage-policies.js'
import type { WebHdfsCall, WebHdfsReply } from './webhdfs-context.js'
import { OK_EMPTY, ok } from './webhdfs-context.js'

/** GETFILESTATUS: `{"FileStatus":{…}}` (a symlink is not followed: type SYMLINK). */
export async function getFileStatusOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  return ok(fileStatusJson(await call.svc.engine.getFileInfo(call.path, call.ctx)))
}

/** GETFILELINKSTATUS: the same as GETFILESTATUS here (links are never followed). */
export const getFileLinkStatusOp = getFileStatusOp

/** LISTSTATUS: the whole directory, read in `lsLimit` pages; a file lists as itself. */
export async function listStatusOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const entries: Record<string, unknown>[] = []
  let startAfter = ''
  for (;;) {
    const page = await call.svc.engine.listStatus(
      { path: call.path, startAfter, limit: call.svc.lsLimit },
      call.ctx,
    )
    const self = startAfter === '' && (await listsItself(call, page.entries))
    for (const r of page.entries) entries.push(fileStatusObject(r, self ? '' : r.name))
    const last = page.entries.at(-1)
    if (page.remaining === 0 || last === undefined) break
    startAfter = last.name
  }
  return ok(fileStatusesJson(entries))
}

/**
 * LISTSTATUS_BATCH: one page of `dfs.ls.limit` entries after `startAfter`, with the number of
 * entries left (`remainingEntries`); the client asks again with `startAfter=<last pathSuffix>`.
 */
export async function listStatusBatchOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const startAfter = call.params.get('startafter') ?? ''
  const page = await call.svc.engine.listStatus(
    { path: call.path, startAfter, limit: call.svc.lsLimit },
    call.ctx,
  )
  const self = startAfter === '' && (await listsItself(call, page.entries))
  const entries = page.entries.map((r) => fileStatusObject(r, self ? '' : r.name))
  return ok(directoryListingJson(entries, page.remaining))
}

/**
 * True when a listing is the listed path itself (a file or symlink lists as itself, with
 * pathSuffix ""). Only a one-entry page whose entry has the path's own name can be; a directory
 * `/a/x` holding a file `x` looks the same, so that rare case is settled by the inode id.
 */
async function listsItself(call: WebHdfsCall, entries: readonly InodeRecord[]): Promise<boolean> {
  const only = entries.length === 1 ? entries[0] : undefined
  if (only === undefined || only.type === 'DIRECTORY' || call.path === '/') return false
  if (call.path.slice(call.path.lastIndexOf('/') + 1) !== only.name) return false
  const st = await call.svc.engine.getFileInfo(call.path, call.ctx)
  return st.inodeId === only.inodeId
}

/** GETCONTENTSUMMARY. */
export async function getContentSummaryOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  return ok(contentSummaryJson(await call.svc.engine.getContentSummary(call.path, call.ctx)))
}

/** GETQUOTAUSAGE. */
export async function getQuotaUsageOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  return ok(quotaUsageJson(await call.svc.engine.getQuotaUsage(call.path, call.ctx)))
}

/** GETHOMEDIRECTORY: `/user/<user>`. */
export function getHomeDirectoryOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  return Promise.resolve(ok(pathJson(`/user/${call.user}`)))
}

/** GETTRASHROOT: `/user/<user>/.Trash` (no encryption zones here). */
export function getTrashRootOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  return Promise.resolve(ok(pathJson(`/user/${call.user}/.Trash`)))
}

const ENCODINGS: Record<string, XAttrEncoding> = { TEXT: 'TEXT', HEX: 'HEX', BASE64: 'BASE64' }

/** GETXATTRS: `xattr.name` (repeatable, none = all), `encoding` text|hex|base64. */
export async function getXAttrsOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const raw = call.params.get('encoding')
  let encoding: XAttrEncoding = 'TEXT'
  if (raw !== undefined && raw !== '') {
    const e = ENCODINGS[raw.toUpperCase()]
    if (e === undefined) throw invalidParam('encoding', raw, `No enum constant XAttrCodec.${raw}`)
    encoding = e
  }
  const names = call.params.getAll('xattr.name').filter((n) => n !== '')
  const xattrs = await call.svc.engine.getXAttrs(
    call.path,
    names.length > 0 ? names : undefined,
    call.ctx,
  )
  return ok(xattrsJson(xattrs, encoding))
}

/** LISTXATTRS: `{"XAttrNames":"[…]"}`. */
export async function listXAttrsOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  return ok(xattrNamesJson(await call.svc.engine.listXAttrs(call.path, call.ctx)))
}

/** GETACLSTATUS. */
export async function getAclStatusOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  return ok(aclStatusJson(await call.svc.engine.getAclStatus(call.path, call.ctx)))
}

/**
 * CHECKACCESS `fsaction=[r-][w-][x-]`: empty 200 when allowed, 403 AccessControlException when
 * not. Evaluated here from the ACL status (owner, named-user entries, other bits; the owning group
 * and named groups only for the groups the caller names): the engine does not expose a user's
 * groups, so a group-only grant is refused (conservative).
 */
export async function checkAccessOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const fsaction = call.params.get('fsaction') ?? ''
  if (!/^[r-][w-][x-]$/.test(fsaction)) {
    throw invalidParam(
      'fsaction',
      fsaction,
      `Invalid value: "${fsaction}" does not belong to the domain ^[rwx-]{3}$`,
    )
  }
  const action =
    (fsaction[0] === 'r' ? FsAction.READ : 0) |
    (fsaction[1] === 'w' ? FsAction.WRITE : 0) |
    (fsaction[2] === 'x' ? FsAction.EXECUTE : 0)
  const s = await call.svc.engine.getAclStatus(call.path, call.ctx)
  const user = {
    user: call.user,
    groups: new Set(call.ctx.groups ?? []),
    isSuperuser: call.user === call.svc.defaults().superuser,
  }
  const acl = s.entries.filter((e) => e.scope === 'ACCESS')
  if (!hasAccess({ owner: s.owner, group: s.group, permission: s.permission, acl }, user, action)) {
    throw new FsError(
      'ACCESS_DENIED',
      `Permission denied: user=${call.user}, access=${fsaction}, inode="${call.path}":${s.owner}:${s.group}`,
    )
  }
  return OK_EMPTY
}

/** GETSTORAGEPOLICY: the policy in force (own or inherited). */
export async function getStoragePolicyOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const name = await call.svc.engine.getStoragePolicy(call.path, call.ctx)
  return ok(JSON.stringify({ BlockStoragePolicy: storagePolicyObject(name) }))
}

/** GETALLSTORAGEPOLICY. */
export function getAllStoragePoliciesOp(): Promise<WebHdfsReply> {
  return Promise.resolve(ok(allStoragePoliciesJson()))
}

/** GETLINKTARGET: `{"Path": target}` of a symlink. */
export async function getLinkTargetOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const st = await call.svc.engine.getFileInfo(call.path, call.ctx)
  if (st.type !== 'SYMLINK' || st.symlink === undefined) {
    throw new FsError('IO_ERROR', `Path ${call.path} is not a symbolic link`)
  }
  return ok(pathJson(st.symlink))
}

/**
 * GETFILEBLOCKLOCATIONS `offset`, `length`: Hadoop's `BlockLocations` JSON. An inline (small)
 * file is one location without hosts (its bytes are in the database).
 */
export async function getFileBlockLocationsOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const offset = call.params.int('offset', 0, 0)
  const length = call.params.int('length', Number.MAX_SAFE_INTEGER, 0)
  const locs = await call.svc.engine.getBlockLocations(
    { path: call.path, offset, length },
    call.ctx,
  )
  const out: Record<string, unknown>[] = []
  if (locs.inlineData !== undefined) {
    out.push(blockLocation(0, locs.file.length, []))
  }
  for (const b of locs.blocks) {
    const dns = await call.svc.datanodes.byUuids(b.datanodes)
    out.push(blockLocation(b.offset, b.numBytes, dns))
  }
  return ok(JSON.stringify({ BlockLocations: { BlockLocation: out } }))
}

function blockLocation(
  offset: number,
  length: number,
  dns: readonly { hostname: string; httpAddress: string }[],
): Record<string, unknown> {
  const names = dns.map((d) => hostPort(d.httpAddress))
  return {
    cachedHosts: [],
    corrupt: false,
    hosts: dns.map((d) => d.hostname),
    length,
    names,
    offset,
    storageIds: [],
    storageTypes: dns.map(() => 'DISK'),
    topologyPaths: names.map((n) => `/default-rack/${n}`),
  }
}

function hostPort(httpAddress: string): string {
  try {
    return new URL(httpAddress).host
  } catch {
    return httpAddress
  }
}

/** GETSTATUS: `{"FsStatus":{capacity, used, remaining}}` over live DataNodes. */
export async function getStatusOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  let capacity = 0
  let used = 0
  let remaining = 0
  for (const d of await call.svc.datanodes.all()) {
    if (d.state === 'DEAD' || d.state === 'DECOMMISSIONED') continue
    capacity += d.capacityBytes
    used += d.usedBytes
    remaining += d.remainingBytes
  }
  return ok(JSON.stringify({ FsStatus: { capacity, remaining, used } }))
}

/** GETSERVERDEFAULTS: `{"FsServerDefaults":{…}}`. */
export function getServerDefaultsOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const d = call.svc.defaults()
  return Promise.resolve(
    ok(
      JSON.stringify({
        FsServerDefaults: {
          blockSize: d.blockSize,
          bytesPerChecksum: 512,
          checksumType: 'CRC32C',
          defaultStoragePolicyId: 0,
          encryptDataTransfer: false,
          fileBufferSize: 4096,
          keyProviderUri: '',
          replication: d.replication,
          trashInterval: 0,
          writePacketSize: 65536,
        },
      }),
    ),
  )
}

/**
 * GETDELEGATIONTOKEN: `{"Token":null}`, what Hadoop answers with security off (no secret manager
 * runs; clients then go on with `user.name`).
 */
export function getDelegationTokenOp(): Promise<WebHdfsReply> {
  return Promise.resolve(ok('{"Token":null}'))
}
