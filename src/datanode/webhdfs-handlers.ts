/**
 * @module
 * The WebHDFS data endpoints of a DataNode, where the NameNode's 307 redirects point:
 * - `PUT /webhdfs/v1/{path}?op=CREATE&namenoderpcaddress=&user.name=&overwrite=&replication=&blocksize=&permission=&createparent=`
 *   → 201, `Location: webhdfs://{nn}{path}`, empty body;
 * - `POST /webhdfs/v1/{path}?op=APPEND&…` (the same parameters are accepted: fsspec rewrites the
 *   CREATE URL) → 200, empty body;
 * - `GET /webhdfs/v1/{path}?op=OPEN&offset=&length=&buffersize=` → 200 octet-stream.
 *
 * A DataNode writes on the client's behalf with its own client name per write
 * (`webhdfs-dn-<datanodeUuid>-<n>`), renewing the lease while the write runs. Small bodies (up
 * to the directory's small-file limit) go to the NameNode inline and never touch blocks.
 *
 * Append continues the partial last block in place: every DataNode of the block's locations
 * appends the new bytes to its replica under the new generation stamp the NameNode handed out
 * (`PUT …?fromBytes=<old length>`), as HDFS does; an inline file that outgrows the limit is
 * rewritten through blocks.
 */
import type { Agent, IncomingMessage, ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { FsError } from '../common/fs-error.js'
import type { LocatedBlock } from '../protocol/client-protocol.js'
import type { ReportedBlock } from '../protocol/datanode-protocol.js'
import type { BlockStore } from './block-store.js'
import { ChecksumError } from './block-store.js'
import {
  BodySource,
  PipelineError,
  Spool,
  fetchBlockRange,
  openBlockUpload,
  writeOut,
} from './block-transfer.js'
import type { ClientProtocolRpc, DatanodeProtocolRpc } from './namenode-client.js'
import { crc32c } from '@node-rs/crc32'
import { BlockCrcMd5, fileChecksumOf, md5Md5Crc32c } from '../common/file-checksum.js'

/** What the handlers need from the server. */
export interface DataNodeContext {
  readonly store: BlockStore
  readonly datanodeProtocol: Pick<DatanodeProtocolRpc, 'blockReceived' | 'reportBadBlock'>
  readonly clientProtocol: ClientProtocolRpc & { prefer?(url: string | undefined): void }
  readonly logger: Logger
  httpAddress(): string
  nextClientName(): string
  reportBadBlock(block: ReportedBlock): void
  readonly maxBlockAttempts: number
  readonly leaseRenewIntervalMs: number
  readonly transferTimeoutMs: number
  readonly completeRetries: number
  /** The agent of DataNode ↔ DataNode transfers (secure mode: HTTPS with the service certificate). */
  readonly transferAgent: Agent
}

const DEFAULT_BLOCK_SIZE_BYTES = 128 * 1024 * 1024
/** The static web user of insecure mode (`hadoop.http.staticuser.user`). */
const STATIC_USER = 'dr.who'

/** Serves one `/webhdfs/v1/…` request. */
export async function handleWebHdfs(
  ctx: DataNodeContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  authenticatedUser?: string,
): Promise<void> {
  const q = url.searchParams
  const op = (q.get('op') ?? '').toUpperCase()
  const path = decodeURIComponent(url.pathname.slice('/webhdfs/v1'.length)) || '/'
  let user = q.get('doas') ?? q.get('user.name') ?? STATIC_USER
  if (authenticatedUser !== undefined) {
    // Secure mode: the NameNode's redirect names the user it authorised; the client following
    // it must hold that user's certificate.
    for (const name of ['user.name', 'doas']) {
      const v = q.get(name)
      if (v !== null && v !== '' && v !== authenticatedUser) {
        req.resume()
        throw new FsError(
          'ACCESS_DENIED',
          `${name}=${v} does not match the client certificate, which identifies ${authenticatedUser}`,
        )
      }
    }
    user = authenticatedUser
  }
  ctx.clientProtocol.prefer?.(q.get('namenoderpcaddress') ?? undefined)
  if (op === 'CREATE' && req.method === 'PUT') return create(ctx, req, res, path, user, q)
  if (op === 'APPEND' && req.method === 'POST') return append(ctx, req, res, path, user)
  if (op === 'OPEN' && req.method === 'GET') return openFile(ctx, res, path, user, q)
  if (op === 'GETFILECHECKSUM' && req.method === 'GET') return fileChecksum(ctx, res, path, user)
  req.resume()
  if (op === '') throw new FsError('INVALID_ARGUMENT', 'Missing parameter "op"')
  throw new FsError(
    'INVALID_ARGUMENT',
    `Invalid value for webhdfs parameter "op": ${op} is not a DataNode operation for ${req.method}`,
  )
}

async function create(
  ctx: DataNodeContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  user: string,
  q: URLSearchParams,
): Promise<void> {
  const source = new BodySource(req)
  try {
    const overwrite = boolParam(q, 'overwrite', false)
    const createParent = boolParam(q, 'createparent', true)
    const replication = optionalInt(q, 'replication', 1, 32767)
    const blockSize = optionalInt(q, 'blocksize', 1, Number.MAX_SAFE_INTEGER)
    const permission = permissionParam(q)
    const nn = ctx.clientProtocol
    const base = { user, path, overwrite, replication, blockSize, permission, createParent }
    const { smallFileMaxBytes } = await nn.smallFileLimit({ user, path })
    const head = smallFileMaxBytes > 0 ? await source.readUpTo(smallFileMaxBytes + 1) : undefined
    if (head !== undefined && head.length <= smallFileMaxBytes) {
      await nn.createInline({ ...base, data: head.toString('base64') })
    } else {
      if (head !== undefined) source.unshift(head)
      const clientName = ctx.nextClientName()
      const file = await nn.create({ ...base, clientName })
      await withLease(ctx, user, clientName, async () => {
        const last = await writeBlocks(ctx, source, {
          user,
          path,
          clientName,
          blockSize: file.blockSize || blockSize || DEFAULT_BLOCK_SIZE_BYTES,
        })
        await completeFile(ctx, { user, path, clientName, last })
      })
    }
    const nnUrl = new URL(q.get('namenoderpcaddress') ?? 'http://localhost')
    res.writeHead(201, {
      location: `webhdfs://${nnUrl.host}${encodeURI(path)}`,
      'content-length': 0,
    })
    res.end()
  } catch (err) {
    source.discard()
    throw err
  }
}

async function append(
  ctx: DataNodeContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  user: string,
): Promise<void> {
  const source = new BodySource(req)
  try {
    const nn = ctx.clientProtocol
    const clientName = ctx.nextClientName()
    const reopened = await nn.append({ user, path, clientName })
    await withLease(ctx, user, clientName, async () => {
      const ids = { user, path, clientName }
      if (reopened.inlineData !== undefined) {
        const old = Buffer.from(reopened.inlineData, 'base64')
        const { smallFileMaxBytes } = await nn.smallFileLimit({ user, path })
        const room = smallFileMaxBytes - old.length
        const head = room >= 0 ? await source.readUpTo(room + 1) : Buffer.alloc(0)
        if (room >= 0 && head.length <= room) {
          await nn.completeInline({ ...ids, data: Buffer.concat([old, head]).toString('base64') })
          return
        }
        // Outgrew the limit: the whole content goes to blocks.
        source.unshift(head)
        source.unshift(old)
        const last = await writeBlocks(ctx, source, { ...ids, blockSize: reopened.blockSize })
        await completeFile(ctx, { ...ids, last })
        return
      }
      const last = await writeBlocks(ctx, source, {
        ...ids,
        blockSize: reopened.blockSize,
        continueBlock: reopened.lastBlock,
      })
      await completeFile(ctx, { ...ids, last })
    })
    res.writeHead(200, { 'content-length': 0 })
    res.end()
  } catch (err) {
    source.discard()
    throw err
  }
}

interface BlockRef {
  readonly blockId: number
  readonly numBytes: number
}

/**
 * Cuts the body into blocks of `blockSize` and pushes each through a pipeline the NameNode
 * chooses; a failed pipeline is abandoned and the block resent (from a spool file) to a new one
 * without the failed DataNode. With `continueBlock`, the partial last block is filled first.
 * Returns the last block written (undefined when none).
 */
async function writeBlocks(
  ctx: DataNodeContext,
  source: BodySource,
  w: {
    user: string
    path: string
    clientName: string
    blockSize: number
    continueBlock?: LocatedBlock | undefined
  },
): Promise<BlockRef | undefined> {
  const nn = ctx.clientProtocol
  const ids = { user: w.user, path: w.path, clientName: w.clientName }
  const spool = await Spool.create(
    join(ctx.store.dir, 'tmp', `spool-${w.clientName}-${Date.now()}`),
  )
  try {
    let previous: BlockRef | undefined
    const cb = w.continueBlock
    if (cb !== undefined) {
      // Always rewrite the replicas' genStamp, even with no new bytes: the NameNode bumped it.
      const room = Math.max(0, w.blockSize - cb.numBytes)
      let targets = cb.locations.map((l) => l.httpAddress)
      for (let attempt = 1; ; attempt++) {
        try {
          const ack = await pushBlock(ctx, targets, cb.blockId, cb.genStamp, spool, source, room, {
            fromBytes: cb.numBytes,
            token: cb.blockToken,
          })
          previous = { blockId: cb.blockId, numBytes: ack }
          break
        } catch (err) {
          if (!(err instanceof PipelineError) || attempt >= ctx.maxBlockAttempts) throw err
          targets = targets.filter((t) => t !== err.failedTarget)
          if (targets.length === 0) throw err
          ctx.logger.warn({ err, blockId: cb.blockId }, 'append pipeline failed, retrying')
        }
      }
      await spool.reset()
    }
    while (await source.hasMore()) {
      const exclude: string[] = []
      for (let attempt = 1; ; attempt++) {
        const lb = await nn.addBlock({ ...ids, previous, excludeDatanodes: exclude })
        try {
          if (lb.locations.length === 0) {
            throw new FsError('IO_ERROR', `No DataNode available for a block of ${w.path}`)
          }
          const targets = lb.locations.map((l) => l.httpAddress)
          const numBytes = await pushBlock(
            ctx,
            targets,
            lb.blockId,
            lb.genStamp,
            spool,
            source,
            w.blockSize,
            { token: lb.blockToken },
          )
          previous = { blockId: lb.blockId, numBytes }
          break
        } catch (err) {
          await nn.abandonBlock({ ...ids, blockId: lb.blockId }).catch((e: unknown) => {
            ctx.logger.warn({ err: e, blockId: lb.blockId }, 'abandonBlock failed')
          })
          if (!(err instanceof PipelineError) || attempt >= ctx.maxBlockAttempts) throw err
          const failed = lb.locations.find((l) => l.httpAddress === err.failedTarget)
          if (failed !== undefined) exclude.push(failed.datanodeUuid)
          ctx.logger.warn({ err, blockId: lb.blockId, exclude }, 'pipeline failed, new pipeline')
        }
      }
      await spool.reset()
    }
    return previous
  } finally {
    await spool.close()
  }
}

/**
 * Sends one block: first what the spool holds (from an earlier attempt), then up to
 * `maxBytes` in all from the body, spooling it. Returns the block's length.
 */
async function pushBlock(
  ctx: DataNodeContext,
  targets: readonly string[],
  blockId: number,
  genStamp: number,
  spool: Spool,
  source: BodySource,
  maxBytes: number,
  opts: { fromBytes?: number; token?: string | undefined },
): Promise<number> {
  const upload = openBlockUpload(targets, blockId, genStamp, {
    fromBytes: opts.fromBytes,
    timeoutMs: ctx.transferTimeoutMs,
    token: opts.token,
    agent: ctx.transferAgent,
  })
  try {
    for await (const piece of spool.replay()) await upload.write(piece)
    while (spool.size < maxBytes) {
      const chunk = await source.read(Math.min(1 << 20, maxBytes - spool.size))
      if (chunk === null) break
      // Both settle before a failure is thrown: the retry replays the spool, which must hold
      // this chunk (and no append may still be running when it does).
      const [spooled, sent] = await Promise.allSettled([spool.append(chunk), upload.write(chunk)])
      if (spooled.status === 'rejected') throw spooled.reason
      if (sent.status === 'rejected') throw sent.reason
    }
    const ack = await upload.end()
    return ack.numBytes
  } catch (err) {
    upload.abort()
    throw err
  }
}

async function completeFile(
  ctx: DataNodeContext,
  req: { user: string; path: string; clientName: string; last: BlockRef | undefined },
): Promise<void> {
  let pauseMs = 50
  for (let i = 0; i < ctx.completeRetries; i++) {
    if ((await ctx.clientProtocol.complete(req)).complete) return
    await new Promise((resolve) => setTimeout(resolve, pauseMs))
    pauseMs = Math.min(pauseMs * 2, 2000)
  }
  throw new FsError(
    'IO_ERROR',
    `Unable to close file ${req.path} because the last block does not have enough replicas`,
  )
}

/** Runs `fn` while renewing `clientName`'s lease every `leaseRenewIntervalMs`. */
async function withLease<T>(
  ctx: DataNodeContext,
  user: string,
  clientName: string,
  fn: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => {
    ctx.clientProtocol.renewLease({ user, clientName }).catch((err: unknown) => {
      ctx.logger.warn({ err, clientName }, 'renewLease failed')
    })
  }, ctx.leaseRenewIntervalMs)
  timer.unref()
  try {
    return await fn()
  } finally {
    clearInterval(timer)
  }
}

async function openFile(
  ctx: DataNodeContext,
  res: ServerResponse,
  path: string,
  user: string,
  q: URLSearchParams,
): Promise<void> {
  const offset = optionalInt(q, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0
  const length = optionalInt(q, 'length', 0, Number.MAX_SAFE_INTEGER)
  const located = await ctx.clientProtocol.getBlockLocations({
    user,
    path,
    offset,
    length: length ?? Number.MAX_SAFE_INTEGER - offset,
  })
  if (offset > located.fileLength) {
    throw new FsError(
      'IO_ERROR',
      `Offset=${offset} out of the range [0, ${located.fileLength}]; path=${path}`,
    )
  }
  const end = Math.min(located.fileLength, offset + (length ?? located.fileLength))
  const header = { 'content-type': 'application/octet-stream', 'content-length': end - offset }
  if (located.inlineData !== undefined) {
    const data = Buffer.from(located.inlineData, 'base64').subarray(offset, end)
    res.writeHead(200, { ...header, 'content-length': data.length })
    res.end(data)
    return
  }
  let pos = offset
  let headersSent = false
  for (const lb of located.blocks) {
    const from = Math.max(pos, lb.offset)
    const to = Math.min(end, lb.offset + lb.numBytes)
    if (from >= to) continue
    if (from !== pos) throw new FsError('IO_ERROR', `Missing bytes at ${pos} of ${path}`)
    for await (const chunk of readBlock(ctx, lb, from - lb.offset, to - from)) {
      if (!headersSent) {
        res.writeHead(200, header)
        headersSent = true
      }
      await writeOut(res, chunk)
      pos += chunk.length
    }
  }
  if (pos !== end) throw new FsError('IO_ERROR', `Missing bytes at ${pos} of ${path}`)
  if (!headersSent) res.writeHead(200, header)
  res.end()
}

/**
 * GETFILECHECKSUM of a file in blocks (HDFS's MD5-of-MD5-of-CRC32C): every block's bytes are
 * streamed from a replica (this DataNode's own first) through {@link BlockCrcMd5}.
 */
async function fileChecksum(
  ctx: DataNodeContext,
  res: ServerResponse,
  path: string,
  user: string,
): Promise<void> {
  const located = await ctx.clientProtocol.getBlockLocations({
    user,
    path,
    offset: 0,
    length: Number.MAX_SAFE_INTEGER,
  })
  let checksum
  if (located.inlineData !== undefined) {
    checksum = md5Md5Crc32c(Buffer.from(located.inlineData, 'base64'), DEFAULT_BLOCK_SIZE_BYTES)
  } else {
    const md5s: Buffer[] = []
    let firstChunks = 0
    for (const lb of located.blocks) {
      const block = new BlockCrcMd5((d) =>
        crc32c(Buffer.from(d.buffer, d.byteOffset, d.byteLength)),
      )
      for await (const chunk of readBlock(ctx, lb, 0, lb.numBytes)) block.update(chunk)
      const { md5, chunks } = block.digest()
      if (md5s.length === 0) firstChunks = chunks
      md5s.push(md5)
    }
    checksum = fileChecksumOf(md5s, firstChunks)
  }
  const body = JSON.stringify({ FileChecksum: checksum })
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

/**
 * The bytes `[offset, offset + length)` of a block from its replicas: this DataNode's own first,
 * then the others in the NameNode's order; a failure moves on to the next replica from where
 * the failed one stopped.
 */
async function* readBlock(
  ctx: DataNodeContext,
  lb: LocatedBlock,
  offset: number,
  length: number,
): AsyncGenerator<Buffer, void, undefined> {
  const self = ctx.store.datanodeUuid
  const ordered = [
    ...lb.locations.filter((l) => l.datanodeUuid === self),
    ...lb.locations.filter((l) => l.datanodeUuid !== self),
  ]
  let done = 0
  const errors: string[] = []
  for (const loc of ordered) {
    const local = loc.datanodeUuid === self
    try {
      const it = local
        ? ctx.store.readReplica(lb.blockId, offset + done, length - done)
        : fetchBlockRange(
            loc.httpAddress,
            lb.blockId,
            offset + done,
            length - done,
            lb.blockToken,
            ctx.transferAgent,
          )
      for await (const chunk of it) {
        done += chunk.length
        yield chunk
      }
      if (done === length) return
      errors.push(`${loc.httpAddress}: short replica`)
    } catch (err) {
      if (local && err instanceof ChecksumError) ctx.reportBadBlock(err.block)
      errors.push(`${loc.httpAddress}: ${(err as Error).message}`)
      ctx.logger.warn(
        { err, blockId: lb.blockId, datanode: loc.httpAddress },
        'replica read failed',
      )
    }
  }
  throw new FsError(
    'IO_ERROR',
    `Could not obtain blk_${lb.blockId}_${lb.genStamp} from any DataNode: ${errors.join('; ') || 'no locations'}`,
  )
}

function boolParam(q: URLSearchParams, name: string, dflt: boolean): boolean {
  const raw = q.get(name)
  if (raw === null || raw === '') return dflt
  const v = raw.toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  throw new FsError('INVALID_ARGUMENT', `Invalid value for webhdfs parameter "${name}": ${raw}`)
}

function optionalInt(
  q: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = q.get(name)
  if (raw === null || raw === '') return undefined
  const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new FsError('INVALID_ARGUMENT', `Invalid value for webhdfs parameter "${name}": ${raw}`)
  }
  return n
}

function permissionParam(q: URLSearchParams): number | undefined {
  const raw = q.get('permission')
  if (raw === null || raw === '') return undefined
  const n = /^[0-7]{1,4}$/.test(raw) ? parseInt(raw, 8) : NaN
  if (Number.isNaN(n) || n > 0o1777) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Invalid value for webhdfs parameter "permission": ${raw}`,
    )
  }
  return n
}
