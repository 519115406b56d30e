/**
 * @module
 * WebHDFS JSON shapes (Hadoop `web/JsonUtil.java`), built from metadata-engine records.
 */
import { aclEntryToString } from '../../common/acl.js'
import type {
  AclStatus,
  ContentSummary,
  InodeRecord,
  QuotaUsage,
  XAttr,
} from '../../meta/meta-engine.js'

/** Hadoop's `JsonUtil.toString(FsPermission)`: octal without leading zeros, sticky bit included. */
export function permissionString(permission: number): string {
  return (permission & 0o1777).toString(8)
}

/**
 * One `FileStatus` object: the ten fields Hadoop's Java client requires, plus `fileId`,
 * `childrenNum`, `storagePolicy`, `symlink` for a link and `aclBit` when an ACL exists.
 * `pathSuffix` is the child name in a listing and `""` for the path itself.
 */
export function fileStatusObject(r: InodeRecord, pathSuffix: string): Record<string, unknown> {
  const m: Record<string, unknown> = {
    accessTime: r.accessTime,
    blockSize: r.blockSize,
    childrenNum: r.childrenNum,
    fileId: r.inodeId,
    group: r.group,
    length: r.length,
    modificationTime: r.modificationTime,
    owner: r.owner,
    pathSuffix,
    permission: permissionString(r.permission),
    replication: r.replication,
    storagePolicy: r.storagePolicy,
    type: r.type,
  }
  if (r.type === 'SYMLINK' && r.symlink !== undefined) m.symlink = r.symlink
  if (r.hasAcl) m.aclBit = true
  return m
}

/** `{"FileStatus":{…}}` for the path itself. */
export function fileStatusJson(r: InodeRecord): string {
  return JSON.stringify({ FileStatus: fileStatusObject(r, '') })
}

/** `{"FileStatuses":{"FileStatus":[…]}}`. */
export function fileStatusesJson(entries: readonly Record<string, unknown>[]): string {
  return JSON.stringify({ FileStatuses: { FileStatus: entries } })
}

/** `{"DirectoryListing":{"partialListing":{"FileStatuses":{"FileStatus":[…]}},"remainingEntries":n}}`. */
export function directoryListingJson(
  entries: readonly Record<string, unknown>[],
  remainingEntries: number,
): string {
  return JSON.stringify({
    DirectoryListing: {
      partialListing: { FileStatuses: { FileStatus: entries } },
      remainingEntries,
    },
  })
}

/** `{"boolean":b}`. */
export function booleanJson(b: boolean): string {
  return b ? '{"boolean":true}' : '{"boolean":false}'
}

/** `{"Path":"…"}`. */
export function pathJson(path: string): string {
  return JSON.stringify({ Path: path })
}

/** `{"ContentSummary":{…}}` (quota -1 means none; `directoryCount` counts the directory itself). */
export function contentSummaryJson(s: ContentSummary): string {
  return JSON.stringify({
    ContentSummary: {
      directoryCount: s.directoryCount,
      ecPolicy: '',
      fileCount: s.fileCount,
      length: s.length,
      quota: s.quota,
      spaceConsumed: s.spaceConsumed,
      spaceQuota: s.spaceQuota,
      typeQuota: {},
    },
  })
}

/** `{"QuotaUsage":{…}}`. */
export function quotaUsageJson(q: QuotaUsage): string {
  return JSON.stringify({
    QuotaUsage: {
      fileAndDirectoryCount: q.fileAndDirectoryCount,
      quota: q.quota,
      spaceConsumed: q.spaceConsumed,
      spaceQuota: q.spaceQuota,
      typeQuota: {},
    },
  })
}

/** `{"AclStatus":{entries, group, owner, permission, stickyBit}}` with Hadoop's entry strings. */
export function aclStatusJson(s: AclStatus): string {
  return JSON.stringify({
    AclStatus: {
      entries: s.entries.map(aclEntryToString),
      group: s.group,
      owner: s.owner,
      permission: permissionString(s.permission),
      stickyBit: s.stickyBit,
    },
  })
}

/** The `encoding` of xattr values (`XAttrCodec`); absent means text. */
export type XAttrEncoding = 'TEXT' | 'HEX' | 'BASE64'

/** Encodes an xattr value as Hadoop's `XAttrCodec.encodeValue`: `"text"`, `0x…` or `0s…`. */
export function encodeXAttrValue(value: Uint8Array, encoding: XAttrEncoding): string {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (encoding === 'HEX') return '0x' + buf.toString('hex')
  if (encoding === 'BASE64') return '0s' + buf.toString('base64')
  return '"' + buf.toString('utf8') + '"'
}

/** `{"XAttrs":[{"name","value"}]}`. */
export function xattrsJson(xattrs: readonly XAttr[], encoding: XAttrEncoding): string {
  return JSON.stringify({
    XAttrs: xattrs.map((x) => ({ name: x.name, value: encodeXAttrValue(x.value, encoding) })),
  })
}

/** `{"XAttrNames":"[\"user.a\"]"}`: the value is a string holding a JSON array. */
export function xattrNamesJson(names: readonly string[]): string {
  return JSON.stringify({ XAttrNames: JSON.stringify(names) })
}
