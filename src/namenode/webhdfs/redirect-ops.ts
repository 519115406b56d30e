/**
 * @module
 * The redirecting operations (WebHDFS §"two-step"): CREATE (PUT), APPEND (POST), OPEN (GET) and
 * GETFILECHECKSUM of block-stored files (GET). The NameNode checks the namespace, picks a
 * DataNode and answers `307` with `Location` at that DataNode's
 * `/webhdfs/v1{path}?op=…&namenoderpcaddress=<NameNode base URL>&user.name=<user>&<the client's
 * params>`; with `noredirect=true` it answers `200 {"Location": …}` instead. The request body is
 * never read here (see `namenode-server.ts`, `checkContinue`).
 */
import { FsError, isFsError } from '../../common/fs-error.js'
import type { DatanodeInfo } from '../../protocol/datanode-protocol.js'
import type { WebHdfsCall, WebHdfsReply } from './webhdfs-context.js'
import { ok } from './webhdfs-context.js'
import { md5Md5Crc32c } from '../../common/file-checksum.js'

/** Parameters the NameNode sets itself in a redirect (the client's values are dropped). */
const OWN_PARAMS = new Set([
  'op',
  'user.name',
  'doas',
  'noredirect',
  'namenoderpcaddress',
  'delegation',
])

/** Percent-encodes each component of a normalised path. */
export function encodePath(path: string): string {
  return path === '/' ? '/' : path.split('/').map(encodeURIComponent).join('/')
}

/**
 * The DataNode URL for `op` on `call.path`: literal `op=<OP>` first (fsspec rewrites `CREATE` to
 * `APPEND` in it), our address and user, then the client's own parameters as they came.
 */
export function datanodeUrl(call: WebHdfsCall, dn: DatanodeInfo, op: string): string {
  const qs = [
    `op=${op}`,
    `namenoderpcaddress=${encodeURIComponent(call.svc.baseUrl())}`,
    `user.name=${encodeURIComponent(call.user)}`,
  ]
  for (const p of call.params.list) if (!OWN_PARAMS.has(p.name)) qs.push(p.raw)
  const base = dn.httpAddress.endsWith('/') ? dn.httpAddress.slice(0, -1) : dn.httpAddress
  return `${base}/webhdfs/v1${encodePath(call.path)}?${qs.join('&')}`
}

function redirectTo(call: WebHdfsCall, dn: DatanodeInfo, op: string): WebHdfsReply {
  const location = datanodeUrl(call, dn, op)
  if (call.params.bool('noredirect', false)) return ok(JSON.stringify({ Location: location }))
  return { status: 307, location }
}

async function statusOrUndefined(call: WebHdfsCall) {
  try {
    return await call.svc.engine.getFileInfo(call.path, call.ctx)
  } catch (err) {
    if (isFsError(err, 'FILE_NOT_FOUND')) return undefined
    throw err
  }
}

/** PUT CREATE: refuses an existing path unless `overwrite=true`, validates the params, redirects. */
export async function createOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const p = call.params
  const d = call.svc.defaults()
  const overwrite = p.bool('overwrite', false)
  p.permission(0o644)
  p.replication(d.replication)
  const blockSize = p.int('blocksize', d.blockSize, 1)
  if (blockSize % 512 !== 0) {
    throw new FsError('IO_ERROR', `Invalid block size ${blockSize}: must be a multiple of 512`)
  }
  p.bool('createparent', true)
  const existing = await statusOrUndefined(call)
  if (existing !== undefined) {
    if (existing.type === 'DIRECTORY') {
      throw new FsError('FILE_EXISTS', `${call.path} already exists as a directory`)
    }
    if (!overwrite) {
      throw new FsError('FILE_EXISTS', `${call.path} for client ${call.user} already exists`)
    }
  }
  return redirectTo(call, await call.svc.placement.chooseWriter(), 'CREATE')
}

/** POST APPEND: the file must exist and be a file. */
export async function appendOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const st = await call.svc.engine.getFileInfo(call.path, call.ctx)
  if (st.type === 'DIRECTORY') {
    throw new FsError(
      'FILE_EXISTS',
      `Cannot append to directory ${call.path}; already exists as a directory.`,
    )
  }
  return redirectTo(call, await call.svc.placement.chooseWriter(), 'APPEND')
}

/**
 * The parameter that asks the NameNode itself for a small file's bytes. The NameNode's own
 * OPEN redirect for an inline file carries it, so any client that follows redirects reads a
 * small file without a DataNode; a client that sends it up front (the Hops SDK) saves the hop.
 * Ignored for files in blocks.
 */
export const INLINE_READ_PARAM = 'inlineread'

/**
 * GET OPEN: a small (inline) file is served by the NameNode from the database — straight away
 * when the request carries `inlineread=true`, else through a 307 to the NameNode's own URL with
 * it (Hadoop clients expect a redirect) — and never touches a DataNode. A file in blocks goes to
 * a DataNode holding the block at `offset`, as in Hadoop.
 */
export async function openOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const offset = call.params.int('offset', 0, 0)
  const length = call.params.int('length', undefined, 0)
  const st = await call.svc.engine.getFileInfo(call.path, call.ctx)
  if (st.type !== 'FILE') throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${call.path}`)
  if (offset > st.length) {
    throw new FsError(
      'IO_ERROR',
      `Offset ${offset} is beyond the end of ${call.path} (${st.length})`,
    )
  }
  if (st.inline) {
    if (call.params.bool(INLINE_READ_PARAM, false)) {
      const locs = await call.svc.engine.getBlockLocations(
        { path: call.path, offset, length: length ?? st.length },
        call.ctx,
      )
      if (locs.inlineData !== undefined) {
        const end = length === undefined ? undefined : offset + length
        return { status: 200, data: locs.inlineData.subarray(offset, end) }
      }
    } else {
      const location = selfUrl(call, 'OPEN', `${INLINE_READ_PARAM}=true`)
      if (call.params.bool('noredirect', false)) return ok(JSON.stringify({ Location: location }))
      return { status: 307, location }
    }
  }
  let holders: readonly string[] = []
  if (st.length > offset) {
    const locs = await call.svc.engine.getBlockLocations(
      { path: call.path, offset, length: 1 },
      call.ctx,
    )
    holders = locs.blocks[0]?.datanodes ?? []
  }
  return redirectTo(call, await call.svc.placement.chooseReader(holders), 'OPEN')
}

/** This NameNode's URL for `op` on the call's path, with the caller's parameters and `extra`. */
function selfUrl(call: WebHdfsCall, op: string, extra: string): string {
  const qs = [`op=${op}`, `user.name=${encodeURIComponent(call.user)}`, extra]
  for (const p of call.params.list) {
    if (!OWN_PARAMS.has(p.name) && p.name !== INLINE_READ_PARAM) qs.push(p.raw)
  }
  return `${call.svc.baseUrl()}/webhdfs/v1${encodePath(call.path)}?${qs.join('&')}`
}

/**
 * GET GETFILECHECKSUM: computed here for inline and empty files (the NameNode has their bytes);
 * for block-stored files redirected, as Hadoop does, to a DataNode holding the first block,
 * which computes it from its per-chunk CRCs.
 */
export async function getFileChecksumOp(call: WebHdfsCall): Promise<WebHdfsReply> {
  const st = await call.svc.engine.getFileInfo(call.path, call.ctx)
  if (st.type !== 'FILE') throw new FsError('FILE_NOT_FOUND', `Path is not a file: ${call.path}`)
  if (st.length === 0)
    return ok(JSON.stringify({ FileChecksum: md5Md5Crc32c(new Uint8Array(0), st.blockSize) }))
  const locs = await call.svc.engine.getBlockLocations(
    { path: call.path, offset: 0, length: st.length },
    call.ctx,
  )
  if (locs.inlineData !== undefined) {
    return ok(JSON.stringify({ FileChecksum: md5Md5Crc32c(locs.inlineData, st.blockSize) }))
  }
  const dn = await call.svc.placement.chooseReader(locs.blocks[0]?.datanodes ?? [])
  return redirectTo(call, dn, 'GETFILECHECKSUM')
}
