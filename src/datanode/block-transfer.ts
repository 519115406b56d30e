/**
 * @module
 * Moving block bytes over HTTP: the client side of the write pipeline ({@link openBlockUpload}),
 * reading a range of a replica held by another DataNode ({@link fetchBlockRange}), and small
 * stream helpers (body pumping with backpressure, a spool for resending a block).
 *
 * Wire format (DataNode ↔ DataNode and writer → first DataNode):
 * - `PUT /datanode/v1/blocks/{blockId}?genStamp=G&targets=URL,URL&fromBytes=N` — the body is the
 *   block's bytes (with `fromBytes`: the bytes after the first N, continuing a replica every
 *   target already holds). 200 `{"blockId","genStamp","numBytes","checksum"}` once every node of
 *   the pipeline finalized and reported its replica; else 500 `{"RemoteException":{…},
 *   "failedTarget":"<httpAddress>"}`.
 * - `GET /datanode/v1/blocks/{blockId}?offset=O&length=L` — the verified bytes.
 *
 * Both carry `token=` (a block access token, `src/common/block-token.ts`) when the cluster uses
 * tokens: WRITE for a PUT (forwarded unchanged down the pipeline), READ for a GET.
 */
import { once } from 'node:events'
import type { FileHandle } from 'node:fs/promises'
import { open, unlink } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ConnectionOptions } from 'node:tls'
import { FsError } from '../common/fs-error.js'
import { fromRemoteException } from './namenode-client.js'

/** Keep-alive agent for DataNode ↔ DataNode traffic. */
export const transferAgent = new http.Agent({ keepAlive: true, maxSockets: 64 })

/**
 * The keep-alive agent for secure mode's DataNode ↔ DataNode traffic: HTTPS presenting the
 * DataNode's service certificate (`tls`: `verifier.clientOptions(identity)`).
 */
export function secureTransferAgent(tls: ConnectionOptions): https.Agent {
  return new https.Agent({ ...tls, keepAlive: true, maxSockets: 64 })
}

/** `http.request` or `https.request` by the URL's scheme; an https URL needs `agent`. */
function request(url: string, options: http.RequestOptions): http.ClientRequest {
  if (url.startsWith('https:')) {
    if (options.agent === transferAgent || options.agent === undefined) {
      throw new FsError('IO_ERROR', `${new URL(url).host}: secure transfers need a TLS agent`)
    }
    return https.request(url, options)
  }
  return http.request(url, options)
}

/** A pipeline failed; `failedTarget` is the httpAddress of the DataNode to blame. */
export class PipelineError extends FsError {
  constructor(
    readonly failedTarget: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('IO_ERROR', message, options)
  }
}

/** What a pipeline answers when every node stored the block. */
export interface TransferAck {
  readonly blockId: number
  readonly genStamp: number
  readonly numBytes: number
  /** CRC32C over the replica's chunk checksums (equal on every replica). */
  readonly checksum: string
}

/** An open PUT of one block into a pipeline. */
export interface BlockUpload {
  /** Sends bytes, waiting while the socket is full. @throws PipelineError */
  write(data: Buffer): Promise<void>
  /** Ends the body and waits for the pipeline's answer. @throws PipelineError */
  end(): Promise<TransferAck>
  /** Gives up (closes the connection). */
  abort(): void
}

/** URL of the pipeline endpoint on `httpAddress`. */
export function blockUrl(
  httpAddress: string,
  blockId: number,
  params: Record<string, string | number | undefined>,
): string {
  const u = new URL(`/datanode/v1/blocks/${blockId}`, httpAddress)
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, String(v))
  return u.toString()
}

/**
 * Opens `PUT {targets[0]}/datanode/v1/blocks/{blockId}` carrying the rest of `targets`.
 * `contentLength` is sent when known (else chunked).
 */
export function openBlockUpload(
  targets: readonly string[],
  blockId: number,
  genStamp: number,
  options: {
    fromBytes?: number | undefined
    contentLength?: number | undefined
    timeoutMs?: number | undefined
    token?: string | undefined
    /** Secure mode: {@link secureTransferAgent}. Default {@link transferAgent} (plain HTTP). */
    agent?: http.Agent | undefined
  } = {},
): BlockUpload {
  const first = targets[0]
  if (first === undefined) throw new FsError('INVALID_ARGUMENT', 'empty pipeline')
  const url = blockUrl(first, blockId, {
    genStamp,
    targets: targets.length > 1 ? targets.slice(1).join(',') : undefined,
    fromBytes: options.fromBytes,
    token: options.token,
  })
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream' }
  if (options.contentLength !== undefined) headers['content-length'] = options.contentLength
  const req = request(url, { method: 'PUT', headers, agent: options.agent ?? transferAgent })
  req.setTimeout(options.timeoutMs ?? 60_000, () => {
    req.destroy(new Error(`timeout talking to ${first}`))
  })
  let failure: PipelineError | undefined
  const answer = new Promise<TransferAck>((resolve, reject) => {
    req.on('response', (res) => {
      readBody(res).then(
        (body) => {
          if (res.statusCode === 200) {
            resolve(JSON.parse(body) as TransferAck)
            return
          }
          let failed = first
          try {
            const f = (JSON.parse(body) as { failedTarget?: unknown }).failedTarget
            if (typeof f === 'string') failed = f
          } catch {
            // not JSON
          }
          const remote = fromRemoteException(res.statusCode ?? 500, body)
          failure = new PipelineError(failed, remote.message, { cause: remote })
          reject(failure)
        },
        (err: unknown) => {
          failure = new PipelineError(first, `lost the answer of ${first}`, { cause: err })
          reject(failure)
        },
      )
    })
    req.on('error', (err) => {
      failure ??= new PipelineError(first, `pipeline target ${first} failed: ${err.message}`, {
        cause: err,
      })
      reject(failure)
    })
  })
  // Errors surface through write()/end(); never leave the promise unhandled.
  answer.catch(() => undefined)
  return {
    async write(data) {
      if (failure !== undefined) throw failure
      if (!req.write(data)) {
        try {
          await Promise.race([once(req, 'drain'), answer])
        } catch (err) {
          throw err instanceof PipelineError
            ? err
            : new PipelineError(first, `pipeline target ${first} failed`, { cause: err })
        }
      }
    },
    async end() {
      if (failure !== undefined) throw failure
      req.end()
      return answer
    },
    abort() {
      req.destroy()
    },
  }
}

/**
 * Streams `[offset, offset + length)` of a replica on another DataNode.
 * @throws FsError IO_ERROR on an error answer or a short body
 */
export async function* fetchBlockRange(
  httpAddress: string,
  blockId: number,
  offset: number,
  length: number,
  token?: string,
  agent: http.Agent = transferAgent,
): AsyncGenerator<Buffer, void, undefined> {
  const url = blockUrl(httpAddress, blockId, { offset, length, token })
  const req = request(url, { agent })
  req.end()
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  if (res.statusCode !== 200) {
    throw fromRemoteException(res.statusCode ?? 500, await readBody(res))
  }
  let got = 0
  try {
    for await (const chunk of res) {
      got += (chunk as Buffer).length
      yield chunk as Buffer
    }
  } catch (err) {
    throw new FsError('IO_ERROR', `reading blk_${blockId} from ${httpAddress} failed`, {
      cause: err,
    })
  } finally {
    if (!res.complete) res.destroy()
  }
  if (got !== length) {
    throw new FsError(
      'IO_ERROR',
      `reading blk_${blockId} from ${httpAddress}: got ${got} of ${length} bytes`,
    )
  }
}

/** Reads a (small) body as a string. */
export async function readBody(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const chunk of res) parts.push(chunk as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

/** Writes to a response, waiting while its buffer is full. @throws when the peer went away */
export async function writeOut(res: ServerResponse, data: Buffer): Promise<void> {
  if (res.destroyed) throw new FsError('IO_ERROR', 'client went away')
  if (!res.write(data)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        res.off('close', onClose)
        resolve()
      }
      const onClose = (): void => {
        res.off('drain', onDrain)
        reject(new FsError('IO_ERROR', 'client went away'))
      }
      res.once('drain', onDrain)
      res.once('close', onClose)
    })
  }
}

/**
 * Pulls a request body on demand (constant memory: the socket is paused between reads).
 * After a failure, {@link discard} reads the rest into the void so an error answer can still
 * reach a client that is sending.
 */
export class BodySource {
  readonly #req: IncomingMessage
  readonly #pending: Buffer[] = []
  #ended = false
  #error: Error | undefined
  #wake: (() => void) | undefined
  #consumed = 0

  constructor(req: IncomingMessage) {
    this.#req = req
    req.pause()
    req.on('data', (b: Buffer) => {
      this.#pending.push(b)
      req.pause()
      this.#notify()
    })
    req.on('end', () => {
      this.#ended = true
      this.#notify()
    })
    req.on('error', (err) => {
      this.#error = err
      this.#notify()
    })
    req.on('close', () => {
      if (!this.#ended) this.#error ??= new Error('client aborted the upload')
      this.#notify()
    })
  }

  /** Bytes handed out so far. */
  get consumed(): number {
    return this.#consumed
  }

  /** Puts bytes back in front (they are read again next). */
  unshift(data: Buffer): void {
    if (data.length === 0) return
    this.#pending.unshift(data)
    this.#consumed -= data.length
  }

  /** True when at least one more byte can be read. */
  async hasMore(): Promise<boolean> {
    await this.#fill()
    return this.#pending.length > 0
  }

  /** Up to `maxBytes` bytes, or null at the end of the body. @throws when the upload broke */
  async read(maxBytes: number): Promise<Buffer | null> {
    await this.#fill()
    const head = this.#pending.shift()
    if (head === undefined) return null
    if (head.length > maxBytes) {
      this.#pending.unshift(head.subarray(maxBytes))
      this.#consumed += maxBytes
      return head.subarray(0, maxBytes)
    }
    this.#consumed += head.length
    return head
  }

  /** Reads up to `maxBytes` into one buffer (for the small-file check). */
  async readUpTo(maxBytes: number): Promise<Buffer> {
    const parts: Buffer[] = []
    let n = 0
    while (n < maxBytes) {
      const b = await this.read(maxBytes - n)
      if (b === null) break
      parts.push(b)
      n += b.length
    }
    return Buffer.concat(parts)
  }

  /** Reads and drops the rest of the body. */
  discard(): void {
    this.#pending.length = 0
    this.#req.removeAllListeners('data')
    this.#req.resume()
  }

  async #fill(): Promise<void> {
    while (this.#pending.length === 0 && !this.#ended) {
      if (this.#error !== undefined) throw new FsError('IO_ERROR', this.#error.message)
      const woken = new Promise<void>((resolve) => (this.#wake = resolve))
      this.#req.resume()
      await woken
    }
    if (this.#pending.length === 0 && this.#error !== undefined) {
      throw new FsError('IO_ERROR', this.#error.message)
    }
  }

  #notify(): void {
    const w = this.#wake
    this.#wake = undefined
    w?.()
  }
}

/** A temp file holding the bytes of the block being sent, to resend them to a new pipeline. */
export class Spool {
  readonly #path: string
  #fh: FileHandle | undefined
  #size = 0

  private constructor(path: string, fh: FileHandle) {
    this.#path = path
    this.#fh = fh
  }

  static async create(path: string): Promise<Spool> {
    return new Spool(path, await open(path, 'w+'))
  }

  get size(): number {
    return this.#size
  }

  async append(data: Buffer): Promise<void> {
    const fh = this.#handle()
    let written = 0
    while (written < data.length) {
      const r = await fh.write(data, written, data.length - written, this.#size + written)
      written += r.bytesWritten
    }
    this.#size += data.length
  }

  /** The spooled bytes, in pieces of up to 1 MiB. */
  async *replay(): AsyncGenerator<Buffer, void, undefined> {
    const fh = this.#handle()
    for (let pos = 0; pos < this.#size;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, this.#size - pos))
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
      if (bytesRead === 0) throw new FsError('IO_ERROR', 'spool file shrank')
      pos += bytesRead
      yield buf.subarray(0, bytesRead)
    }
  }

  /** Forgets the bytes (next block). */
  async reset(): Promise<void> {
    await this.#handle().truncate(0)
    this.#size = 0
  }

  async close(): Promise<void> {
    const fh = this.#fh
    this.#fh = undefined
    await fh?.close()
    await unlink(this.#path).catch(() => undefined)
  }

  #handle(): FileHandle {
    if (this.#fh === undefined) throw new FsError('IO_ERROR', 'spool closed')
    return this.#fh
  }
}
