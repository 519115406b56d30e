import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeXAttrValue, encodeXAttrValue, parseXAttrEncoding } from './xattr-codec.js'

describe('xattr value codec', () => {
  const bytes = Buffer.from([0x61, 0x62, 0x00, 0xff])

  it('encodes text quoted, hex with 0x and base64 with 0s', () => {
    assert.equal(encodeXAttrValue(Buffer.from('abc')), '"abc"')
    assert.equal(encodeXAttrValue(bytes, 'HEX'), '0x616200ff')
    assert.equal(encodeXAttrValue(bytes, 'BASE64'), '0sYWIA/w==')
  })

  it('decodes every form, and unprefixed values as UTF-8 text', () => {
    assert.deepEqual(decodeXAttrValue('"abc"'), Buffer.from('abc'))
    assert.deepEqual(decodeXAttrValue('0x616200ff'), bytes)
    assert.deepEqual(decodeXAttrValue('0X616200FF'), bytes)
    assert.deepEqual(decodeXAttrValue('0sYWIA/w=='), bytes)
    assert.deepEqual(decodeXAttrValue('plain'), Buffer.from('plain'))
    assert.deepEqual(decodeXAttrValue('0x'), Buffer.alloc(0))
  })

  it('round-trips binary values through hex and base64', () => {
    for (const enc of ['HEX', 'BASE64'] as const)
      assert.deepEqual(decodeXAttrValue(encodeXAttrValue(bytes, enc)), bytes)
  })

  it('rejects malformed hex and base64, and unknown encodings', () => {
    assert.throws(() => decodeXAttrValue('0x6'), TypeError)
    assert.throws(() => decodeXAttrValue('0xzz'), TypeError)
    assert.throws(() => decodeXAttrValue('0s!!'), TypeError)
    assert.equal(parseXAttrEncoding('hex'), 'HEX')
    assert.throws(() => parseXAttrEncoding('rot13'), /Invalid\/unsupported encoding/)
  })
})
