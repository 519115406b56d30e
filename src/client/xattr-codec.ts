/**
 * @module
 * xattr value encoding as WebHDFS and Hadoop's `XAttrCodec` do: text values travel quoted
 * (`"abc"`), binary ones as `0x` + hex or `0s` + base64. On decode an unquoted value without a
 * prefix is taken as UTF-8 text.
 */
import type { XAttrEncoding } from './types.js'

/** Encodes bytes for `xattr.value` or for `getfattr` output (`XAttrCodec.encodeValue`). */
export function encodeXAttrValue(value: Uint8Array, encoding: XAttrEncoding = 'TEXT'): string {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (encoding === 'HEX') return '0x' + buf.toString('hex')
  if (encoding === 'BASE64') return '0s' + buf.toString('base64')
  return `"${buf.toString('utf8')}"`
}

/**
 * Decodes a value written as `"text"`, `0x…` (hex) or `0s…` (base64); anything else is UTF-8
 * text as given (`XAttrCodec.decodeValue`).
 * @throws TypeError for malformed hex or base64
 */
export function decodeXAttrValue(value: string): Buffer {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return Buffer.from(value.slice(1, -1), 'utf8')
  const prefix = value.slice(0, 2).toLowerCase()
  if (prefix === '0x') {
    const hex = value.slice(2)
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
      throw new TypeError(`Invalid hex xattr value: ${value}`)
    return Buffer.from(hex, 'hex')
  }
  if (prefix === '0s') {
    const b64 = value.slice(2)
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1)
      throw new TypeError(`Invalid base64 xattr value: ${value}`)
    return Buffer.from(b64, 'base64')
  }
  return Buffer.from(value, 'utf8')
}

/** Parses an encoding name as Hadoop's shell accepts it (`text`, `hex`, `base64`, any case). */
export function parseXAttrEncoding(name: string): XAttrEncoding {
  const upper = name.toUpperCase()
  if (upper === 'TEXT' || upper === 'HEX' || upper === 'BASE64') return upper
  throw new TypeError(`Invalid/unsupported encoding option specified: ${name}`)
}
