/**
 * @module
 * HDFS's default file checksum, `MD5-of-<crcPerBlock>MD5-of-<bytesPerCRC>CRC32C`
 * (`MD5MD5CRC32CastagnoliFileChecksum`), computed from a file's bytes as DFSClient and the
 * DataNodes compute it together: a CRC32C per 512-byte chunk, an MD5 of each block's CRCs (big
 * endian), and an MD5 over the block MD5s. Two quirks of Hadoop are reproduced on purpose, so that
 * `distcp -checksum` against real HDFS compares equal:
 * - the final MD5 runs over the whole backing array of Hadoop's `DataOutputBuffer` (a
 *   `ByteArrayOutputStream` of capacity 32, doubling), zero padding included;
 * - `crcPerBlock` is reported only for files of more than one block (0 otherwise), and an empty
 *   file is `MD5-of-0MD5-of-0CRC32`.
 * The NameNode computes it for inline (small) files, whose bytes it holds; a DataNode for files
 * in blocks, streaming each block through {@link BlockCrcMd5}.
 */
import { createHash } from 'node:crypto'

/** `dfs.bytes-per-checksum`. */
export const BYTES_PER_CRC = 512

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** CRC32C (Castagnoli) of `data`. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff
  for (let i = start; i < end; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** The `FileChecksum` JSON object Hadoop's WebHDFS returns. */
export interface FileChecksumJson {
  readonly algorithm: string
  /** Hex of the serialized checksum: int bytesPerCRC, long crcPerBlock, 16-byte MD5. */
  readonly bytes: string
  readonly length: number
}

/** Capacity of a Java `ByteArrayOutputStream()` after writing `n` bytes. */
function javaBufferCapacity(n: number): number {
  let cap = 32
  while (cap < n) cap *= 2
  return cap
}

/** A CRC32C function: the pure one above, or a native one (the DataNode's). */
export type Crc32cFn = (data: Uint8Array) => number

/**
 * The MD5 of one block's CRC32Cs over 512-byte chunks (big endian), fed in pieces of any size:
 * what each DataNode computes for its block (HDFS `BlockChecksumHelper`).
 */
export class BlockCrcMd5 {
  readonly #md5 = createHash('md5')
  readonly #crc: Crc32cFn
  readonly #pending = Buffer.alloc(BYTES_PER_CRC)
  #pendingLength = 0
  #chunks = 0

  constructor(crc: Crc32cFn = (d) => crc32c(d)) {
    this.#crc = crc
  }

  update(data: Uint8Array): void {
    let pos = 0
    if (this.#pendingLength > 0) {
      const take = Math.min(BYTES_PER_CRC - this.#pendingLength, data.length)
      this.#pending.set(data.subarray(0, take), this.#pendingLength)
      this.#pendingLength += take
      pos = take
      if (this.#pendingLength < BYTES_PER_CRC) return
      this.#emit(this.#pending)
      this.#pendingLength = 0
    }
    for (; pos + BYTES_PER_CRC <= data.length; pos += BYTES_PER_CRC) {
      this.#emit(data.subarray(pos, pos + BYTES_PER_CRC))
    }
    if (pos < data.length) {
      this.#pending.set(data.subarray(pos), 0)
      this.#pendingLength = data.length - pos
    }
  }

  #emit(chunk: Uint8Array): void {
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(this.#crc(chunk) >>> 0, 0)
    this.#md5.update(crc)
    this.#chunks++
  }

  /** The block's MD5 and its number of CRC chunks. */
  digest(): { readonly md5: Buffer; readonly chunks: number } {
    if (this.#pendingLength > 0) this.#emit(this.#pending.subarray(0, this.#pendingLength))
    this.#pendingLength = 0
    return { md5: this.#md5.digest(), chunks: this.#chunks }
  }
}

/**
 * The file checksum from its blocks' MD5s (in order) and the chunk count of the first block
 * (HDFS DFSClient `getFileChecksum`, with its padding quirk).
 */
export function fileChecksumOf(
  blockMd5s: readonly Uint8Array[],
  firstBlockChunks: number,
): FileChecksumJson {
  const blocks = blockMd5s.length
  const md5out = Buffer.alloc(javaBufferCapacity(blocks * 16))
  blockMd5s.forEach((md5, b) => md5out.set(md5, b * 16))
  const crcPerBlock = blocks > 1 ? firstBlockChunks : 0
  const fileMd5 = createHash('md5').update(md5out).digest()
  const bytesPerCrc = blocks === 0 ? 0 : BYTES_PER_CRC
  const header = Buffer.alloc(12)
  header.writeInt32BE(bytesPerCrc, 0)
  header.writeBigInt64BE(BigInt(crcPerBlock), 4)
  return {
    algorithm:
      blocks === 0 ? 'MD5-of-0MD5-of-0CRC32' : `MD5-of-${crcPerBlock}MD5-of-${bytesPerCrc}CRC32C`,
    bytes: Buffer.concat([header, fileMd5]).toString('hex'),
    length: 28,
  }
}

/** The HDFS checksum of a file's whole content, split into blocks of `blockSize` bytes. */
export function md5Md5Crc32c(data: Uint8Array, blockSize: number): FileChecksumJson {
  const md5s: Buffer[] = []
  let firstChunks = 0
  for (let start = 0; start < data.length; start += blockSize) {
    const block = new BlockCrcMd5()
    block.update(data.subarray(start, Math.min(data.length, start + blockSize)))
    const { md5, chunks } = block.digest()
    if (start === 0) firstChunks = chunks
    md5s.push(md5)
  }
  return fileChecksumOf(md5s, firstChunks)
}
