/**
 * @module
 * Block files on a DataNode's local disk (HDFS `FsDatasetImpl`, much simplified).
 *
 * Layout under the DataNode's `dir`:
 * ```
 * dir/VERSION                                  JSON: datanodeUuid, layoutVersion, createdMs
 * dir/current/subdirA/subdirB/blk_<id>          the block's bytes (A = id>>16 & 31, B = id>>8 & 31)
 * dir/current/subdirA/subdirB/blk_<id>.meta     header + one CRC32C per chunk (see below)
 * dir/tmp/                                      replicas being written (removed at start)
 * ```
 * The `.meta` file is a 32-byte header (magic `HBMT`, format version 1, chunk size, checksum
 * type 1 = CRC32C, generation stamp, length), followed by one big-endian CRC32C per chunk of
 * `chunkSizeBytes` (the last chunk may be shorter). The meta file is authoritative: a data file
 * longer than the meta says holds bytes of an append that did not finish, and is cut back.
 *
 * New replicas are written to `tmp/` and renamed into `current/` on finalize (data first, then
 * meta). An append continues the finalized data file in place and publishes the new length and
 * generation stamp by renaming a new meta file over the old one, so a crash at any point leaves
 * either the old replica or the new one. Every read verifies the checksums of the chunks it
 * touches.
 */
import { crc32c } from '@node-rs/crc32'
import { randomBytes, randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import {
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  statfs,
  unlink,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { FsError } from '../common/fs-error.js'
import type { ReportedBlock } from '../protocol/datanode-protocol.js'

/** Default bytes per checksum: 64 KiB keeps CRC32C (≈4 GB/s here) far above disk speed. */
export const DEFAULT_CHUNK_SIZE_BYTES = 64 * 1024

const META_MAGIC = 0x48424d54 // 'HBMT'
const META_VERSION = 1
const META_HEADER_BYTES = 32
const CHECKSUM_CRC32C = 1
/** How many bytes one read of a data file asks for (a multiple of the chunk size). */
const READ_CHUNKS_PER_IO = 16

/** A replica failed checksum verification (or its files disagree). */
export class ChecksumError extends FsError {
  constructor(
    readonly block: ReportedBlock,
    message: string,
  ) {
    super('IO_ERROR', message)
  }
}

/** What the block store knows about one finalized replica. */
export interface ReplicaInfo extends ReportedBlock {
  /** Checksum of the whole replica: CRC32C over its chunk checksums (compares replicas cheaply). */
  readonly checksum: string
}

export interface BlockStoreOptions {
  /** Bytes per checksum chunk of new replicas. Default {@link DEFAULT_CHUNK_SIZE_BYTES}. */
  readonly chunkSizeBytes?: number
  /** fsync block and meta files before a replica is finalized. Default false (as HDFS `dfs.datanode.synconclose`). */
  readonly syncOnClose?: boolean
}

interface MetaHeader {
  chunkSizeBytes: number
  genStamp: number
  numBytes: number
}

interface ReplicaMeta extends MetaHeader {
  checksums: Buffer
}

/** Finalized replicas on one local directory. Open with {@link BlockStore.open}. */
export class BlockStore {
  readonly #dir: string
  readonly #chunkSizeBytes: number
  readonly #syncOnClose: boolean
  readonly #replicas = new Map<number, ReplicaInfo>()
  #datanodeUuid = ''

  private constructor(dir: string, options: BlockStoreOptions) {
    this.#dir = dir
    this.#chunkSizeBytes = options.chunkSizeBytes ?? DEFAULT_CHUNK_SIZE_BYTES
    if (!Number.isInteger(this.#chunkSizeBytes) || this.#chunkSizeBytes < 512) {
      throw new TypeError(`chunkSizeBytes must be an integer >= 512, got ${this.#chunkSizeBytes}`)
    }
    this.#syncOnClose = options.syncOnClose ?? false
  }

  /**
   * Opens (creating it if needed) the store in `dir`: reads or writes `dir/VERSION`, clears
   * `dir/tmp`, and scans `dir/current` for replicas.
   */
  static async open(dir: string, options: BlockStoreOptions = {}): Promise<BlockStore> {
    const store = new BlockStore(dir, options)
    await mkdir(join(dir, 'current'), { recursive: true })
    await rm(join(dir, 'tmp'), { recursive: true, force: true })
    await mkdir(join(dir, 'tmp'), { recursive: true })
    store.#datanodeUuid = await readOrCreateVersion(dir)
    await store.rescan()
    return store
  }

  /** The stable id of this storage, kept in `dir/VERSION`. */
  get datanodeUuid(): string {
    return this.#datanodeUuid
  }

  get dir(): string {
    return this.#dir
  }

  get chunkSizeBytes(): number {
    return this.#chunkSizeBytes
  }

  /** Rebuilds the in-memory replica index from the meta files on disk. */
  async rescan(): Promise<void> {
    this.#replicas.clear()
    const current = join(this.#dir, 'current')
    for (const a of await readdir(current)) {
      for (const b of await readdir(join(current, a)).catch(() => [])) {
        const sub = join(current, a, b)
        for (const name of await readdir(sub).catch(() => [])) {
          const m = /^blk_(\d+)\.meta$/.exec(name)
          if (m === null) continue
          const blockId = Number(m[1])
          try {
            const meta = await this.#readMeta(blockId)
            this.#replicas.set(blockId, toInfo(blockId, meta))
          } catch {
            // An unreadable meta file: the replica does not count (the next report drops it).
          }
        }
      }
    }
  }

  /** Every finalized replica (for full block reports). */
  replicas(): ReplicaInfo[] {
    return [...this.#replicas.values()]
  }

  /** The finalized replica of `blockId`, or undefined. */
  getReplica(blockId: number): ReplicaInfo | undefined {
    return this.#replicas.get(blockId)
  }

  /** Bytes used by finalized replicas (data and meta files). */
  usedBytes(): number {
    let used = 0
    for (const r of this.#replicas.values()) {
      used += r.numBytes + META_HEADER_BYTES + 4 * Math.ceil(r.numBytes / this.#chunkSizeBytes)
    }
    return used
  }

  /** Capacity and free space of the filesystem holding `dir`, and the bytes our replicas use. */
  async storageReport(): Promise<{
    capacityBytes: number
    usedBytes: number
    remainingBytes: number
  }> {
    const s = await statfs(this.#dir)
    return {
      capacityBytes: s.blocks * s.bsize,
      usedBytes: this.usedBytes(),
      remainingBytes: s.bavail * s.bsize,
    }
  }

  /**
   * Starts writing a new replica (or a new version replacing one: re-replication of a stale
   * replica). Nothing is visible until {@link ReplicaWriter.finalize}.
   */
  async createReplica(blockId: number, genStamp: number): Promise<ReplicaWriter> {
    validateBlock(blockId, genStamp)
    const tmpBase = join(
      this.#dir,
      'tmp',
      `blk_${blockId}_${genStamp}_${randomBytes(4).toString('hex')}`,
    )
    const fh = await open(tmpBase, 'w')
    return new ReplicaWriter(this, {
      blockId,
      genStamp,
      fh,
      tmpDataPath: tmpBase,
      tmpMetaPath: `${tmpBase}.meta`,
      startBytes: 0,
      checksums: [],
      chunkSizeBytes: this.#chunkSizeBytes,
      partialCrc: 0,
    })
  }

  /**
   * Continues the finalized replica of `blockId` (append): it must hold exactly `numBytes`
   * bytes. The result carries `newGenStamp` once finalized.
   * @throws FsError IO_ERROR when the replica is missing or has another length
   * @throws ChecksumError when its last partial chunk fails verification
   */
  async appendReplica(
    blockId: number,
    newGenStamp: number,
    numBytes: number,
  ): Promise<ReplicaWriter> {
    validateBlock(blockId, newGenStamp)
    const info = this.#replicas.get(blockId)
    if (info === undefined) {
      throw new FsError('IO_ERROR', `Replica blk_${blockId} not found for append`)
    }
    if (info.numBytes !== numBytes) {
      throw new FsError(
        'IO_ERROR',
        `Replica blk_${blockId}_${info.genStamp} holds ${info.numBytes} bytes, not ${numBytes}`,
      )
    }
    if (newGenStamp < info.genStamp) {
      throw new FsError(
        'IO_ERROR',
        `Append to blk_${blockId}: genStamp ${newGenStamp} is older than ${info.genStamp}`,
      )
    }
    const meta = await this.#readMeta(blockId)
    const chunk = meta.chunkSizeBytes
    const fullChunks = Math.floor(numBytes / chunk)
    const partialLen = numBytes - fullChunks * chunk
    const checksums: number[] = []
    for (let i = 0; i < fullChunks; i++) checksums.push(meta.checksums.readUInt32BE(i * 4))
    const fh = await open(this.blockPath(blockId), 'r+')
    let partialCrc = 0
    try {
      if (partialLen > 0) {
        const buf = Buffer.alloc(partialLen)
        await readFully(fh, buf, fullChunks * chunk)
        partialCrc = crc32c(buf)
        if (partialCrc !== meta.checksums.readUInt32BE(fullChunks * 4)) {
          throw new ChecksumError(
            info,
            `Checksum error in blk_${blockId}_${info.genStamp} at offset ${fullChunks * chunk}`,
          )
        }
      }
      // Drop bytes of an append that never finished.
      await fh.truncate(numBytes)
    } catch (err) {
      await fh.close()
      throw err
    }
    return new ReplicaWriter(this, {
      blockId,
      genStamp: newGenStamp,
      fh,
      tmpDataPath: undefined,
      tmpMetaPath: join(
        this.#dir,
        'tmp',
        `blk_${blockId}_${newGenStamp}_${randomBytes(4).toString('hex')}.meta`,
      ),
      startBytes: numBytes,
      checksums,
      chunkSizeBytes: chunk,
      partialCrc,
    })
  }

  /**
   * Reads `[offset, offset + length)` of a finalized replica, verifying every chunk it touches.
   * `length` is clipped at the replica's end. With `minGenStamp`, a replica older than that is
   * refused (stale).
   * @throws FsError IO_ERROR (no such replica, stale, bad range); ChecksumError while iterating
   */
  async *readReplica(
    blockId: number,
    offset = 0,
    length = Number.MAX_SAFE_INTEGER,
    minGenStamp?: number,
  ): AsyncGenerator<Buffer, void, undefined> {
    const info = this.#replicas.get(blockId)
    if (info === undefined) throw new FsError('IO_ERROR', `Replica blk_${blockId} not found`)
    if (minGenStamp !== undefined && info.genStamp < minGenStamp) {
      throw new FsError(
        'IO_ERROR',
        `Replica blk_${blockId}_${info.genStamp} is stale (wanted genStamp ${minGenStamp})`,
      )
    }
    const meta = await this.#readMeta(blockId)
    const reported = { blockId, genStamp: meta.genStamp, numBytes: meta.numBytes }
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > meta.numBytes) {
      throw new FsError(
        'IO_ERROR',
        `Offset ${offset} out of range [0, ${meta.numBytes}] of blk_${blockId}`,
      )
    }
    const end = Math.min(meta.numBytes, offset + Math.max(0, length))
    if (end === offset) return
    const chunk = meta.chunkSizeBytes
    const fh = await open(this.blockPath(blockId), 'r')
    try {
      const st = await fh.stat()
      if (st.size < meta.numBytes) {
        throw new ChecksumError(
          reported,
          `blk_${blockId}_${meta.genStamp}: data file has ${st.size} bytes, meta says ${meta.numBytes}`,
        )
      }
      let chunkIndex = Math.floor(offset / chunk)
      let pos = chunkIndex * chunk
      while (pos < end) {
        const ioEnd = Math.min(
          meta.numBytes,
          pos + chunk * READ_CHUNKS_PER_IO,
          Math.ceil(end / chunk) * chunk,
        )
        const buf = Buffer.allocUnsafe(ioEnd - pos)
        await readFully(fh, buf, pos)
        for (let o = 0; o < buf.length; o += chunk) {
          const piece = buf.subarray(o, o + chunk)
          if (crc32c(piece) !== meta.checksums.readUInt32BE(chunkIndex * 4)) {
            throw new ChecksumError(
              reported,
              `Checksum error in blk_${blockId}_${meta.genStamp} at offset ${pos + o}`,
            )
          }
          chunkIndex++
        }
        const from = Math.max(offset, pos) - pos
        const to = Math.min(end, ioEnd) - pos
        yield buf.subarray(from, to)
        pos = ioEnd
      }
    } finally {
      await fh.close()
    }
  }

  /** Reads and verifies a whole replica. @throws ChecksumError */
  async verifyReplica(blockId: number): Promise<void> {
    const it = this.readReplica(blockId)
    // reading verifies
    while (!(await it.next()).done) continue
  }

  /** Deletes a replica's files; false when there was none. */
  async deleteReplica(blockId: number): Promise<boolean> {
    const had = this.#replicas.delete(blockId)
    await unlink(this.metaPath(blockId)).catch(ignoreMissing)
    await unlink(this.blockPath(blockId)).catch(ignoreMissing)
    return had
  }

  /** Path of a replica's data file. */
  blockPath(blockId: number): string {
    return join(this.#subdir(blockId), `blk_${blockId}`)
  }

  /** Path of a replica's meta file. */
  metaPath(blockId: number): string {
    return `${this.blockPath(blockId)}.meta`
  }

  #subdir(blockId: number): string {
    const a = Math.floor(blockId / 65536) % 32
    const b = Math.floor(blockId / 256) % 32
    return join(this.#dir, 'current', `subdir${a}`, `subdir${b}`)
  }

  async #readMeta(blockId: number): Promise<ReplicaMeta> {
    const buf = await readFile(this.metaPath(blockId))
    const header = parseMetaHeader(buf, blockId)
    const n = Math.ceil(header.numBytes / header.chunkSizeBytes)
    if (buf.length !== META_HEADER_BYTES + 4 * n) {
      throw new ChecksumError(
        { blockId, genStamp: header.genStamp, numBytes: header.numBytes },
        `Meta file of blk_${blockId} has ${buf.length} bytes, expected ${META_HEADER_BYTES + 4 * n}`,
      )
    }
    return { ...header, checksums: buf.subarray(META_HEADER_BYTES) }
  }

  /** @internal Publishes a finished replica (called by {@link ReplicaWriter.finalize}). */
  async _publish(
    w: {
      blockId: number
      genStamp: number
      numBytes: number
      chunkSizeBytes: number
      checksums: Buffer
    },
    tmpDataPath: string | undefined,
    tmpMetaPath: string,
  ): Promise<ReplicaInfo> {
    const meta = Buffer.alloc(META_HEADER_BYTES)
    meta.writeUInt32BE(META_MAGIC, 0)
    meta.writeUInt32BE(META_VERSION, 4)
    meta.writeUInt32BE(w.chunkSizeBytes, 8)
    meta.writeUInt32BE(CHECKSUM_CRC32C, 12)
    meta.writeBigUInt64BE(BigInt(w.genStamp), 16)
    meta.writeBigUInt64BE(BigInt(w.numBytes), 24)
    const fh = await open(tmpMetaPath, 'w')
    try {
      await fh.writev([meta, w.checksums])
      if (this.#syncOnClose) await fh.sync()
    } finally {
      await fh.close()
    }
    await mkdir(this.#subdir(w.blockId), { recursive: true })
    if (tmpDataPath !== undefined) await rename(tmpDataPath, this.blockPath(w.blockId))
    await rename(tmpMetaPath, this.metaPath(w.blockId))
    const info = toInfo(w.blockId, w)
    this.#replicas.set(w.blockId, info)
    return info
  }

  /** @internal */
  get _syncOnClose(): boolean {
    return this.#syncOnClose
  }
}

interface WriterState {
  blockId: number
  genStamp: number
  fh: FileHandle
  tmpDataPath: string | undefined
  tmpMetaPath: string
  startBytes: number
  checksums: number[]
  chunkSizeBytes: number
  partialCrc: number
}

/**
 * Writes one replica: {@link write} the bytes in order, then {@link finalize} (visible) or
 * {@link abort} (removed; an append is cut back to its old length).
 */
export class ReplicaWriter {
  readonly #store: BlockStore
  readonly #s: WriterState
  #numBytes: number
  #done = false

  /** @internal use {@link BlockStore.createReplica} / {@link BlockStore.appendReplica} */
  constructor(store: BlockStore, state: WriterState) {
    this.#store = store
    this.#s = state
    this.#numBytes = state.startBytes
  }

  get blockId(): number {
    return this.#s.blockId
  }

  get genStamp(): number {
    return this.#s.genStamp
  }

  /** Bytes in the replica so far. */
  get numBytes(): number {
    return this.#numBytes
  }

  /** Appends `data` (checksummed on the way). */
  async write(data: Uint8Array): Promise<void> {
    if (this.#done) throw new FsError('IO_ERROR', `Replica blk_${this.#s.blockId} is closed`)
    if (data.length === 0) return
    const position = this.#numBytes
    const s = this.#s
    const chunk = s.chunkSizeBytes
    let o = 0
    while (o < data.length) {
      const fill = (this.#numBytes + o) % chunk
      const take = Math.min(chunk - fill, data.length - o)
      s.partialCrc = crc32c(Buffer.from(data.buffer, data.byteOffset + o, take), s.partialCrc)
      o += take
      if (fill + take === chunk) {
        s.checksums.push(s.partialCrc)
        s.partialCrc = 0
      }
    }
    let written = 0
    while (written < data.length) {
      const { bytesWritten } = await s.fh.write(
        data,
        written,
        data.length - written,
        position + written,
      )
      written += bytesWritten
    }
    this.#numBytes += data.length
  }

  /** Makes the replica visible (replacing an older version). */
  async finalize(): Promise<ReplicaInfo> {
    if (this.#done) throw new FsError('IO_ERROR', `Replica blk_${this.#s.blockId} is closed`)
    this.#done = true
    const s = this.#s
    const n = Math.ceil(this.#numBytes / s.chunkSizeBytes)
    const checksums = Buffer.alloc(4 * n)
    s.checksums.forEach((c, i) => checksums.writeUInt32BE(c, i * 4))
    if (s.checksums.length < n) checksums.writeUInt32BE(s.partialCrc, 4 * (n - 1))
    try {
      if (this.#store._syncOnClose) await s.fh.sync()
    } finally {
      await s.fh.close()
    }
    return this.#store._publish(
      {
        blockId: s.blockId,
        genStamp: s.genStamp,
        numBytes: this.#numBytes,
        chunkSizeBytes: s.chunkSizeBytes,
        checksums,
      },
      s.tmpDataPath,
      s.tmpMetaPath,
    )
  }

  /** Throws the replica away (an append is cut back to where it started). Idempotent. */
  async abort(): Promise<void> {
    if (this.#done) return
    this.#done = true
    const s = this.#s
    try {
      if (s.tmpDataPath === undefined) await s.fh.truncate(s.startBytes)
    } finally {
      await s.fh.close()
      if (s.tmpDataPath !== undefined) await unlink(s.tmpDataPath).catch(ignoreMissing)
    }
  }
}

function toInfo(
  blockId: number,
  m: { genStamp: number; numBytes: number; checksums: Buffer },
): ReplicaInfo {
  return {
    blockId,
    genStamp: m.genStamp,
    numBytes: m.numBytes,
    checksum: crc32c(m.checksums).toString(16).padStart(8, '0'),
  }
}

function parseMetaHeader(buf: Buffer, blockId: number): MetaHeader {
  if (
    buf.length < META_HEADER_BYTES ||
    buf.readUInt32BE(0) !== META_MAGIC ||
    buf.readUInt32BE(4) !== META_VERSION ||
    buf.readUInt32BE(12) !== CHECKSUM_CRC32C
  ) {
    throw new ChecksumError(
      { blockId, genStamp: 0, numBytes: 0 },
      `Meta file of blk_${blockId} is not a Hops block meta file`,
    )
  }
  return {
    chunkSizeBytes: buf.readUInt32BE(8),
    genStamp: Number(buf.readBigUInt64BE(16)),
    numBytes: Number(buf.readBigUInt64BE(24)),
  }
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let got = 0
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got)
    if (bytesRead === 0)
      throw new FsError('IO_ERROR', `Unexpected end of block file at ${position + got}`)
    got += bytesRead
  }
}

async function readOrCreateVersion(dir: string): Promise<string> {
  const path = join(dir, 'VERSION')
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as { datanodeUuid?: unknown }
    if (typeof v.datanodeUuid === 'string' && v.datanodeUuid !== '') return v.datanodeUuid
    throw new FsError('IO_ERROR', `${path} has no datanodeUuid`)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const datanodeUuid = randomUUID()
  const tmp = `${path}.tmp`
  await writeFile(
    tmp,
    `${JSON.stringify({ datanodeUuid, layoutVersion: 1, createdMs: Date.now() }, null, 2)}\n`,
  )
  await rename(tmp, path)
  return datanodeUuid
}

function validateBlock(blockId: number, genStamp: number): void {
  if (!Number.isSafeInteger(blockId) || blockId < 0) {
    throw new FsError('INVALID_ARGUMENT', `Invalid block id ${blockId}`)
  }
  if (!Number.isSafeInteger(genStamp) || genStamp < 0) {
    throw new FsError('INVALID_ARGUMENT', `Invalid genStamp ${genStamp}`)
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
}
