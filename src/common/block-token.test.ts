import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { blockTokenKeyId, signBlockToken, verifyBlockToken } from './block-token.js'
import type { BlockKey } from './block-token.js'
import { FsError } from './fs-error.js'

const NOW = 1_800_000_000_000
const key: BlockKey = { id: 7, secret: randomBytes(32).toString('base64'), expiresAt: NOW + 60_000 }
const other: BlockKey = { id: 8, secret: randomBytes(32).toString('base64'), expiresAt: NOW + 1 }
const keys = new Map([
  [key.id, key],
  [other.id, other],
])
const claims = {
  keyId: 7,
  user: 'alice',
  blockId: 42,
  mode: 'READ',
  expiresAt: NOW + 1000,
} as const

function refusal(token: string | undefined, want: Parameters<typeof verifyBlockToken>[2]): string {
  try {
    verifyBlockToken(keys, token, want)
  } catch (err) {
    assert.ok(err instanceof FsError)
    assert.equal(err.code, 'INVALID_BLOCK_TOKEN')
    assert.doesNotMatch(err.message, new RegExp(key.secret.slice(0, 10)))
    return err.message
  }
  assert.fail('the token was accepted')
}

describe('block access tokens', () => {
  it('a token verifies for its block and mode, and names its key', () => {
    const token = signBlockToken(key, claims)
    assert.deepEqual(verifyBlockToken(keys, token, { blockId: 42, mode: 'READ', now: NOW }), claims)
    assert.equal(blockTokenKeyId(token), 7)
  })

  it('refuses missing, malformed, forged, expired and misused tokens', () => {
    const token = signBlockToken(key, claims)
    const want = { blockId: 42, mode: 'READ', now: NOW } as const
    assert.match(refusal(undefined, want), /no token/)
    assert.match(refusal('garbage', want), /malformed/)
    const [payload, sig] = token.split('.') as [string, string]
    const raised = Buffer.from(
      JSON.stringify({ k: 7, u: 'alice', b: 43, m: 'READ', e: NOW + 1000 }),
    )
    assert.match(refusal(`${raised.toString('base64url')}.${sig}`, want), /bad signature/)
    const flipped = Buffer.from(sig, 'base64url')
    flipped[0]! ^= 1
    assert.match(refusal(`${payload}.${flipped.toString('base64url')}`, want), /bad signature/)
    const stranger: BlockKey = { ...key, secret: randomBytes(32).toString('base64') }
    assert.match(refusal(signBlockToken(stranger, claims), want), /bad signature/)
    assert.match(refusal(signBlockToken({ ...key, id: 99 }, claims), want), /unknown key 99/)
    assert.match(refusal(token, { ...want, now: NOW + 1000 }), /expired/)
    assert.match(
      refusal(signBlockToken(other, { ...claims, keyId: 8 }), { ...want, now: NOW + 1 }),
      /expired/,
    )
    assert.match(refusal(token, { ...want, blockId: 43 }), /issued for blk_42/)
    assert.match(refusal(token, { ...want, mode: 'WRITE' }), /issued for READ, not WRITE/)
  })
})
