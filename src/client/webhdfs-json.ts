/**
 * @module
 * Reading WebHDFS JSON replies into the SDK's types (Hadoop `JsonUtilClient`). Missing optional
 * fields get HDFS defaults; a missing required field is an IO_ERROR naming the field, so a broken
 * server fails loudly instead of handing out `undefined`.
 */
import { FsError } from '../common/fs-error.js'
import { parseAclEntry } from './acl-spec.js'
import { decodeXAttrValue } from './xattr-codec.js'
import type {
  AclStatus,
  ContentSummary,
  FileChecksum,
  FileStatus,
  FsStatus,
  QuotaUsage,
  StorageTypeQuota,
} from './types.js'

type Json = Record<string, unknown>

function bad(what: string): FsError {
  return new FsError('IO_ERROR', `Malformed WebHDFS reply: ${what}`)
}

/** The object under `key` of a reply, e.g. `FileStatus` of `{"FileStatus":{…}}`. */
export function member(json: unknown, key: string): Json {
  const v = typeof json === 'object' && json !== null ? (json as Json)[key] : undefined
  if (typeof v !== 'object' || v === null) throw bad(`missing "${key}"`)
  return v as Json
}

function num(o: Json, key: string, fallback?: number): number {
  const v = o[key]
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v)
  if (fallback !== undefined) return fallback
  throw bad(`"${key}" is not a number`)
}

function str(o: Json, key: string, fallback?: string): string {
  const v = o[key]
  if (typeof v === 'string') return v
  if (fallback !== undefined) return fallback
  throw bad(`"${key}" is not a string`)
}

/** Parses WebHDFS's octal permission string (`"755"`, `"1777"`). */
export function parsePermission(value: unknown): number {
  const s = typeof value === 'number' ? String(value) : value
  if (typeof s !== 'string' || !/^[0-7]{1,4}$/.test(s)) throw bad(`permission ${String(value)}`)
  return parseInt(s, 8)
}

/** `{"FileStatus":{…}}`'s inner object (or a listing entry) as a {@link FileStatus}. */
export function toFileStatus(o: Json): FileStatus {
  const type = str(o, 'type')
  if (type !== 'FILE' && type !== 'DIRECTORY' && type !== 'SYMLINK') throw bad(`type ${type}`)
  return {
    pathSuffix: str(o, 'pathSuffix', ''),
    type: type,
    length: num(o, 'length'),
    owner: str(o, 'owner'),
    group: str(o, 'group'),
    permission: parsePermission(o.permission),
    accessTime: num(o, 'accessTime', 0),
    modificationTime: num(o, 'modificationTime'),
    blockSize: num(o, 'blockSize', 0),
    replication: num(o, 'replication', 0),
    symlink: typeof o.symlink === 'string' ? o.symlink : undefined,
    fileId: typeof o.fileId === 'number' ? o.fileId : undefined,
    childrenNum: typeof o.childrenNum === 'number' ? o.childrenNum : undefined,
    storagePolicy: typeof o.storagePolicy === 'number' ? o.storagePolicy : undefined,
    aclBit: o.aclBit === true,
    encBit: o.encBit === true,
    ecBit: o.ecBit === true,
  }
}

/** `{"FileStatuses":{"FileStatus":[…]}}` as a list. */
export function toFileStatuses(json: unknown): FileStatus[] {
  const list = member(json, 'FileStatuses').FileStatus
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw bad('FileStatuses.FileStatus is not a list')
  return (list as Json[]).map(toFileStatus)
}

/** `{"DirectoryListing":{"partialListing":{…},"remainingEntries":n}}`. */
export function toDirectoryListing(json: unknown): {
  entries: FileStatus[]
  remainingEntries: number
} {
  const listing = member(json, 'DirectoryListing')
  return {
    entries: toFileStatuses(member(listing, 'partialListing')),
    remainingEntries: num(listing, 'remainingEntries', 0),
  }
}

function typeQuota(o: Json): Record<string, StorageTypeQuota> | undefined {
  const tq = o.typeQuota
  if (typeof tq !== 'object' || tq === null) return undefined
  const out: Record<string, StorageTypeQuota> = {}
  for (const [k, v] of Object.entries(tq as Json)) {
    if (typeof v === 'object' && v !== null)
      out[k] = { consumed: num(v as Json, 'consumed', 0), quota: num(v as Json, 'quota', -1) }
  }
  return out
}

/** `{"ContentSummary":{…}}`. */
export function toContentSummary(json: unknown): ContentSummary {
  const o = member(json, 'ContentSummary')
  return {
    directoryCount: num(o, 'directoryCount'),
    fileCount: num(o, 'fileCount'),
    length: num(o, 'length'),
    quota: num(o, 'quota', -1),
    spaceConsumed: num(o, 'spaceConsumed', 0),
    spaceQuota: num(o, 'spaceQuota', -1),
    typeQuota: typeQuota(o),
  }
}

/** `{"QuotaUsage":{…}}`. */
export function toQuotaUsage(json: unknown): QuotaUsage {
  const o = member(json, 'QuotaUsage')
  return {
    fileAndDirectoryCount: num(o, 'fileAndDirectoryCount'),
    quota: num(o, 'quota', -1),
    spaceConsumed: num(o, 'spaceConsumed', 0),
    spaceQuota: num(o, 'spaceQuota', -1),
    typeQuota: typeQuota(o),
  }
}

/** `{"AclStatus":{entries,group,owner,permission,stickyBit}}`. */
export function toAclStatus(json: unknown): AclStatus {
  const o = member(json, 'AclStatus')
  const entries = Array.isArray(o.entries) ? (o.entries as unknown[]) : []
  const permission = o.permission === undefined ? 0 : parsePermission(o.permission)
  const stickyBit = o.stickyBit === true
  return {
    entries: entries.map((e) => {
      if (typeof e !== 'string') throw bad('AclStatus.entries holds a non-string')
      return parseAclEntry(e, true)
    }),
    owner: str(o, 'owner', ''),
    group: str(o, 'group', ''),
    permission: stickyBit ? permission | 0o1000 : permission,
    stickyBit,
  }
}

/** `{"FileChecksum":{algorithm,bytes,length}}`. */
export function toFileChecksum(json: unknown): FileChecksum {
  const o = member(json, 'FileChecksum')
  return { algorithm: str(o, 'algorithm'), bytes: str(o, 'bytes'), length: num(o, 'length') }
}

/** `{"FsStatus":{capacity,used,remaining}}`. */
export function toFsStatus(json: unknown): FsStatus {
  const o = member(json, 'FsStatus')
  return { capacity: num(o, 'capacity'), used: num(o, 'used'), remaining: num(o, 'remaining') }
}

/** `{"XAttrs":[{"name","value"}]}` with values encoded; a null value is empty. */
export function toXAttrs(json: unknown): Map<string, Buffer> {
  const list = typeof json === 'object' && json !== null ? (json as Json).XAttrs : undefined
  if (!Array.isArray(list)) throw bad('missing "XAttrs"')
  const out = new Map<string, Buffer>()
  for (const item of list as Json[]) {
    const name = str(item, 'name')
    const value = item.value
    out.set(name, typeof value === 'string' ? decodeXAttrValue(value) : Buffer.alloc(0))
  }
  return out
}

/** `{"XAttrNames":"[\"user.a\"]"}`: the value is a string holding a JSON array. */
export function toXAttrNames(json: unknown): string[] {
  const raw = typeof json === 'object' && json !== null ? (json as Json).XAttrNames : undefined
  const list: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw
  if (!Array.isArray(list) || !list.every((n) => typeof n === 'string'))
    throw bad('XAttrNames is not a list of names')
  return list
}

/** `{"boolean":b}`. */
export function toBoolean(json: unknown): boolean {
  const v = typeof json === 'object' && json !== null ? (json as Json).boolean : undefined
  if (typeof v !== 'boolean') throw bad('missing "boolean"')
  return v
}

/** `{"Path":"/…"}`. */
export function toPath(json: unknown): string {
  const v = typeof json === 'object' && json !== null ? (json as Json).Path : undefined
  if (typeof v !== 'string') throw bad('missing "Path"')
  return v
}
