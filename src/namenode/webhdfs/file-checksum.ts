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
 * The NameNode can only compute this for inline (small) files, whose bytes it holds.
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

/** The HDFS checksum of a file's whole content, split into blocks of `blockSize` bytes. */
export function md5Md5Crc32c(data: Uint8Array, blockSize: number): FileChecksumJson {
  const blocks = data.length === 0 ? 0 : Math.ceil(data.length / blockSize)
  const md5out = Buffer.alloc(javaBufferCapacity(blocks * 16))
  let crcPerBlock = 0
  for (let b = 0; b < blocks; b++) {
    const start = b * blockSize
    const end = Math.min(data.length, start + blockSize)
    const chunks = Math.ceil((end - start) / BYTES_PER_CRC)
    const crcs = Buffer.alloc(chunks * 4)
    for (let c = 0; c < chunks; c++) {
      const s = start + c * BYTES_PER_CRC
      crcs.writeUInt32BE(crc32c(data, s, Math.min(end, s + BYTES_PER_CRC)), c * 4)
    }
    createHash('md5')
      .update(crcs)
      .digest()
      .copy(md5out, b * 16)
    if (blocks > 1 && b === 0) crcPerBlock = chunks
  }
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
