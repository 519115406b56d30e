/**
 * @module
 * `FileSystem`: the Hops/HDFS client SDK over WebHDFS (Hadoop's `WebHdfsFileSystem`).
 *
 * ```ts
 * const fs = new FileSystem({ namenodes: ['http://127.0.0.1:9870'], user: 'alice' })
 * await fs.mkdirs('/user/alice/in')
 * await fs.writeFile('/user/alice/in/a.txt', 'hello')
 * for await (const batch of fs.listStatus('/user/alice')) console.log(batch)
 * fs.close()
 * ```
 *
 * Every method takes absolute HDFS paths and throws {@link FsError} decoded from the server's
 * `RemoteException` (see `remote-exception.ts`). Data goes straight to the DataNodes with the
 * two-step redirect; only the NameNode step fails over (a stream cannot be replayed).
 */
import { Readable } from 'node:stream'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { FsError } from '../common/fs-error.js'
import { formatAclSpec, parseAclSpec } from './acl-spec.js'
import type { AclSpecEntry } from './acl-spec.js'
import { decodeErrorReply, remoteExceptionOf } from './remote-exception.js'
import type {
  AclEntry,
  AclStatus,
  ContentSummary,
  CreateOptions,
  FileChecksum,
  FileStatus,
  FsStatus,
  OpenOptions,
  QuotaUsage,
  SetQuotaOptions,
  XAttrSetFlag,
} from './types.js'
import { readBody, WebHdfsClient } from './webhdfs-client.js'
import type { BufferedReply, WebHdfsCall, WebHdfsClientOptions } from './webhdfs-client.js'
import {
  member,
  toAclStatus,
  toBoolean,
  toContentSummary,
  toDirectoryListing,
  toFileChecksum,
  toFileStatus,
  toFileStatuses,
  toFsStatus,
  toPath,
  toQuotaUsage,
  toXAttrNames,
  toXAttrs,
} from './webhdfs-json.js'
import { encodeXAttrValue } from './xattr-codec.js'

export type { WebHdfsClientOptions as FileSystemOptions } from './webhdfs-client.js'

/** An ACL spec: a string (`user:bob:rwx,group::r-x`) or parsed entries. */
export type AclSpec = string | readonly AclSpecEntry[]

function checkPath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw new FsError('INVALID_PATH', `Path is not absolute: ${String(path)}`)
  return path
}

function octal(mode: number | undefined): string | undefined {
  if (mode === undefined) return undefined
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o1777)
    throw new FsError('INVALID_ARGUMENT', `Invalid permission ${mode}`)
  return mode.toString(8)
}

function aclSpecParam(spec: AclSpec, withPermissions: boolean): string {
  if (typeof spec === 'string') {
    try {
      return formatAclSpec(parseAclSpec(spec, withPermissions)) // validates like Hadoop's shell
    } catch (err) {
      throw new FsError('INVALID_ARGUMENT', (err as Error).message, { cause: err })
    }
  }
  return formatAclSpec(spec)
}

/** True when an error says the server does not know an op (old HDFS answering LISTSTATUS_BATCH). */
function isUnsupportedOp(err: unknown, op: string): boolean {
  if (!(err instanceof FsError)) return false
  if (err.code === 'UNSUPPORTED') return true
  if (err.code !== 'INVALID_ARGUMENT') return false
  const message = remoteExceptionOf(err)?.message ?? err.message
  return message.includes(op) || message.includes('No enum constant')
}

/** The HDFS client SDK over WebHDFS (see the module comment). */
export class FileSystem {
  /** The transport; exposed for callers that need raw WebHDFS ops. */
  readonly client: WebHdfsClient
  #batchUnsupported = false

  /** @throws TypeError for invalid options (no NameNodes, a non-http URL) */
  constructor(options: WebHdfsClientOptions) {
    this.client = new WebHdfsClient(options)
  }

  /** Closes idle connections. The instance stays usable (new connections are opened). */
  close(): void {
    this.client.close()
  }

  #json(call: WebHdfsCall): Promise<unknown> {
    return this.client.json(call)
  }

  #get(op: string, path: string, params?: WebHdfsCall['params']): Promise<unknown> {
    return this.#json({ method: 'GET', op, path: checkPath(path), params })
  }

  #put(op: string, path: string, params?: WebHdfsCall['params']): Promise<unknown> {
    return this.#json({ method: 'PUT', op, path: checkPath(path), params })
  }

  // ---------------------------------------------------------------- data

  /**
   * Creates a file and returns a stream for its bytes (CREATE: the NameNode's 307, then the body
   * to the DataNode). Errors of the namespace step (FILE_EXISTS, ACCESS_DENIED, …) reject the
   * promise; errors of the data step fail the stream. The file is complete when the stream emits
   * `finish` (or `await finished(stream)`).
   */
  async create(path: string, options: CreateOptions = {}): Promise<Writable> {
    const step = await this.client.redirect({
      method: 'PUT',
      op: 'CREATE',
      path: checkPath(path),
      params: {
        overwrite: options.overwrite ?? false,
        replication: options.replication,
        blocksize: options.blockSize,
        permission: octal(options.permission),
        createparent: options.createParent,
        buffersize: options.bufferSize,
      },
    })
    if (!('location' in step))
      throw new FsError('IO_ERROR', `CREATE ${path}: the NameNode did not redirect to a DataNode`)
    return this.client.openWriteStream(step.location, 'PUT')
  }

  /** Opens an existing file for appending (APPEND: 307, then POST the bytes to the DataNode). */
  async append(path: string, options: { bufferSize?: number } = {}): Promise<Writable> {
    const step = await this.client.redirect({
      method: 'POST',
      op: 'APPEND',
      path: checkPath(path),
      params: { buffersize: options.bufferSize },
    })
    if (!('location' in step))
      throw new FsError('IO_ERROR', `APPEND ${path}: the NameNode did not redirect to a DataNode`)
    return this.client.openWriteStream(step.location, 'POST')
  }

  /**
   * Opens a file for reading from `offset`, for `length` bytes (default: to the end). Follows the
   * 307 to a DataNode; a small file is served by the NameNode itself (200, one round trip: the
   * request says `inlineread=true`, which Hops NameNodes honour and other servers ignore).
   */
  async open(path: string, options: OpenOptions = {}): Promise<Readable> {
    const call: WebHdfsCall = {
      method: 'GET',
      op: 'OPEN',
      path: checkPath(path),
      params: {
        offset: options.offset,
        length: options.length,
        buffersize: options.bufferSize,
        inlineread: true,
      },
    }
    const step = await this.client.redirect(call)
    if ('response' in step) return step.response
    const res = await this.client.send(step.location, 'GET')
    const status = res.statusCode ?? 0
    if (status !== 200)
      throw decodeErrorReply(status, await readBody(res), `OPEN ${path} at ${step.location.host}`)
    return res
  }

  /** Writes a whole file (CREATE); `overwrite` defaults to true here, as `FileSystem.create`. */
  async writeFile(
    path: string,
    data: string | Uint8Array | Readable | AsyncIterable<Uint8Array>,
    options: CreateOptions = {},
  ): Promise<void> {
    const out = await this.create(path, { overwrite: true, ...options })
    const source =
      typeof data === 'string' || data instanceof Uint8Array
        ? Readable.from([Buffer.from(data)])
        : data
    await pipeline(source, out)
  }

  /** Reads a whole file into memory. */
  async readFile(path: string, options: OpenOptions = {}): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const chunk of await this.open(path, options)) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  }

  /** GETFILECHECKSUM (307 to a DataNode, or answered by the NameNode). */
  async getFileChecksum(path: string): Promise<FileChecksum> {
    const step = await this.client.redirect({
      method: 'GET',
      op: 'GETFILECHECKSUM',
      path: checkPath(path),
    })
    let body: string
    if ('response' in step) {
      body = (step.response as BufferedReply).bufferedBody ?? (await readBody(step.response))
    } else {
      const res = await this.client.send(step.location, 'GET')
      body = await readBody(res)
      if ((res.statusCode ?? 0) !== 200)
        throw decodeErrorReply(res.statusCode ?? 0, body, `GETFILECHECKSUM ${path}`)
    }
    return toFileChecksum(JSON.parse(body))
  }

  // ---------------------------------------------------------------- namespace

  /** GETFILESTATUS. @throws FsError FILE_NOT_FOUND */
  async getFileStatus(path: string): Promise<FileStatus> {
    return toFileStatus(member(await this.#get('GETFILESTATUS', path), 'FileStatus'))
  }

  /** GETFILESTATUS, or undefined when the path does not exist. */
  async getFileStatusIfExists(path: string): Promise<FileStatus | undefined> {
    try {
      return await this.getFileStatus(path)
    } catch (err) {
      if (err instanceof FsError && err.code === 'FILE_NOT_FOUND') return undefined
      throw err
    }
  }

  /** True when the path exists. */
  async exists(path: string): Promise<boolean> {
    return (await this.getFileStatusIfExists(path)) !== undefined
  }

  /**
   * Lists a directory in batches (LISTSTATUS_BATCH with `startAfter`, as Hadoop 3's
   * `listStatusBatch`). Falls back to one LISTSTATUS when the server does not know the batch op
   * (and remembers that). On a file it yields the file's own status (pathSuffix `''`).
   */
  async *listStatus(path: string): AsyncGenerator<FileStatus[], void, undefined> {
    checkPath(path)
    if (!this.#batchUnsupported) {
      let startAfter = ''
      for (let first = true; ; first = false) {
        let page: ReturnType<typeof toDirectoryListing>
        try {
          page = toDirectoryListing(
            await this.#get('LISTSTATUS_BATCH', path, { startAfter: startAfter || undefined }),
          )
        } catch (err) {
          if (first && isUnsupportedOp(err, 'LISTSTATUS_BATCH')) {
            this.#batchUnsupported = true
            break
          }
          throw err
        }
        if (page.entries.length > 0) yield page.entries
        const last = page.entries[page.entries.length - 1]
        if (page.remainingEntries <= 0 || last === undefined || last.pathSuffix === '') return
        startAfter = last.pathSuffix
      }
    }
    const all = toFileStatuses(await this.#get('LISTSTATUS', path))
    if (all.length > 0) yield all
  }

  /** Every entry of a directory (all batches of {@link listStatus}). */
  async listStatusAll(path: string): Promise<FileStatus[]> {
    const out: FileStatus[] = []
    for await (const batch of this.listStatus(path)) out.push(...batch)
    return out
  }

  /** MKDIRS with parents; true also when the directory exists. Default permission 0o755. */
  async mkdirs(path: string, options: { permission?: number } = {}): Promise<boolean> {
    return toBoolean(await this.#put('MKDIRS', path, { permission: octal(options.permission) }))
  }

  /**
   * RENAME with HDFS `rename` semantics: false when the source is missing or the destination
   * exists (into an existing directory it moves to `dst/<name>`).
   */
  async rename(src: string, dst: string): Promise<boolean> {
    return toBoolean(await this.#put('RENAME', src, { destination: checkPath(dst) }))
  }

  /**
   * RENAME with `renameoptions` (HDFS `rename2`): no move into directories; with `overwrite` an
   * existing destination file (or empty directory) is replaced. Throws instead of returning false.
   * @throws FsError FILE_EXISTS, FILE_NOT_FOUND, …
   */
  async rename2(src: string, dst: string, options: { overwrite?: boolean } = {}): Promise<void> {
    // Hadoop answers rename2 with an empty 200 (only the NONE-less rename returns a boolean).
    const reply = await this.#put('RENAME', src, {
      destination: checkPath(dst),
      renameoptions: options.overwrite === true ? 'OVERWRITE' : 'NONE',
    })
    if (reply !== undefined && !toBoolean(reply))
      throw new FsError('IO_ERROR', `Failed to rename ${src} to ${dst}`)
  }

  /** DELETE; false when the path did not exist. @throws FsError DIRECTORY_NOT_EMPTY */
  async delete(path: string, options: { recursive?: boolean } = {}): Promise<boolean> {
    return toBoolean(
      await this.#json({
        method: 'DELETE',
        op: 'DELETE',
        path: checkPath(path),
        params: { recursive: options.recursive ?? false },
      }),
    )
  }

  /** SETPERMISSION (mode bits, sticky bit included). */
  async setPermission(path: string, permission: number): Promise<void> {
    await this.#put('SETPERMISSION', path, { permission: octal(permission) })
  }

  /** SETOWNER; an omitted owner or group is left unchanged. */
  async setOwner(path: string, owner?: string, group?: string): Promise<void> {
    if (owner === undefined && group === undefined)
      throw new FsError('INVALID_ARGUMENT', 'setOwner: both owner and group are unset')
    await this.#put('SETOWNER', path, { owner, group })
  }

  /** SETTIMES in ms since the epoch; -1 (or omitted) leaves a time unchanged. */
  async setTimes(path: string, modificationTime = -1, accessTime = -1): Promise<void> {
    await this.#put('SETTIMES', path, {
      modificationtime: modificationTime,
      accesstime: accessTime,
    })
  }

  /** SETREPLICATION; false for directories and missing files. */
  async setReplication(path: string, replication: number): Promise<boolean> {
    return toBoolean(await this.#put('SETREPLICATION', path, { replication }))
  }

  /** GETCONTENTSUMMARY. */
  async getContentSummary(path: string): Promise<ContentSummary> {
    return toContentSummary(await this.#get('GETCONTENTSUMMARY', path))
  }

  /** GETQUOTAUSAGE. */
  async getQuotaUsage(path: string): Promise<QuotaUsage> {
    return toQuotaUsage(await this.#get('GETQUOTAUSAGE', path))
  }

  /** SETQUOTA: omitted quotas stay as they are, -1 clears one. */
  async setQuota(path: string, options: SetQuotaOptions): Promise<void> {
    await this.#put('SETQUOTA', path, {
      namespacequota: options.namespaceQuota,
      storagespacequota: options.storagespaceQuota,
    })
  }

  /** CONCAT: appends the blocks of `sources` to `target` and deletes the sources. */
  async concat(target: string, sources: readonly string[]): Promise<void> {
    await this.#json({
      method: 'POST',
      op: 'CONCAT',
      path: checkPath(target),
      params: { sources: sources.map(checkPath).join(',') },
    })
  }

  /** TRUNCATE; true when done now, false while the last block is being recovered. */
  async truncate(path: string, newLength: number): Promise<boolean> {
    return toBoolean(
      await this.#json({
        method: 'POST',
        op: 'TRUNCATE',
        path: checkPath(path),
        params: { newlength: newLength },
      }),
    )
  }

  /** CREATESYMLINK at `link` pointing to `target`. */
  async createSymlink(target: string, link: string, createParent = true): Promise<void> {
    await this.#put('CREATESYMLINK', link, { destination: target, createParent })
  }

  /** GETHOMEDIRECTORY (`/user/<user>`). */
  async getHomeDirectory(): Promise<string> {
    return toPath(await this.#json({ method: 'GET', op: 'GETHOMEDIRECTORY', path: '/' }))
  }

  /** GETSTATUS: cluster capacity. Older servers answer UNSUPPORTED/INVALID_ARGUMENT. */
  async getStatus(path = '/'): Promise<FsStatus> {
    return toFsStatus(await this.#get('GETSTATUS', path))
  }

  // ---------------------------------------------------------------- xattrs

  /**
   * SETXATTR. `flag` defaults to both CREATE and REPLACE (set whether or not it exists), like
   * Hadoop's `FileSystem.setXAttr(path, name, value)`. The value travels hex-encoded.
   */
  async setXAttr(
    path: string,
    name: string,
    value: string | Uint8Array,
    flag: XAttrSetFlag | readonly XAttrSetFlag[] = ['CREATE', 'REPLACE'],
  ): Promise<void> {
    const flags = typeof flag === 'string' ? [flag] : flag
    await this.#put('SETXATTR', path, {
      'xattr.name': name,
      'xattr.value': encodeXAttrValue(
        typeof value === 'string' ? Buffer.from(value) : value,
        'HEX',
      ),
      flag: flags.join(','),
    })
  }

  /** GETXATTRS: the named ones (all when `names` is omitted), values as bytes. */
  async getXAttrs(path: string, names?: readonly string[]): Promise<Map<string, Buffer>> {
    return toXAttrs(
      await this.#get('GETXATTRS', path, {
        'xattr.name': names && names.length > 0 ? names : undefined,
        encoding: 'HEX',
      }),
    )
  }

  /** One xattr's value. @throws FsError when it does not exist (the server's error) */
  async getXAttr(path: string, name: string): Promise<Buffer> {
    const value = (await this.getXAttrs(path, [name])).get(name)
    if (value === undefined)
      throw new FsError('IO_ERROR', `At least one of the attributes provided was not found.`)
    return value
  }

  /** LISTXATTRS: the names the caller may see. */
  async listXAttrs(path: string): Promise<string[]> {
    return toXAttrNames(await this.#get('LISTXATTRS', path))
  }

  /** REMOVEXATTR. */
  async removeXAttr(path: string, name: string): Promise<void> {
    await this.#put('REMOVEXATTR', path, { 'xattr.name': name })
  }

  // ---------------------------------------------------------------- ACLs

  /** MODIFYACLENTRIES: adds or updates the given entries. */
  async modifyAclEntries(path: string, spec: AclSpec): Promise<void> {
    await this.#put('MODIFYACLENTRIES', path, { aclspec: aclSpecParam(spec, true) })
  }

  /** REMOVEACLENTRIES: entries without permissions (`user:bob,default:group:eng`). */
  async removeAclEntries(path: string, spec: AclSpec): Promise<void> {
    await this.#put('REMOVEACLENTRIES', path, { aclspec: aclSpecParam(spec, false) })
  }

  /** REMOVEDEFAULTACL. */
  async removeDefaultAcl(path: string): Promise<void> {
    await this.#put('REMOVEDEFAULTACL', path)
  }

  /** REMOVEACL: back to plain mode bits. */
  async removeAcl(path: string): Promise<void> {
    await this.#put('REMOVEACL', path)
  }

  /** SETACL: replaces the whole ACL (must include user::, group:: and other::). */
  async setAcl(path: string, spec: AclSpec): Promise<void> {
    await this.#put('SETACL', path, { aclspec: aclSpecParam(spec, true) })
  }

  /** GETACLSTATUS. */
  async getAclStatus(path: string): Promise<AclStatus> {
    return toAclStatus(await this.#get('GETACLSTATUS', path))
  }
}

export type { AclEntry }
