/**
 * @module
 * Block access tokens (HDFS `BlockTokenIdentifier`): the NameNodes sign, for one user, one block
 * and one access mode, a short-lived token that DataNodes check before they serve or accept the
 * block's bytes, so a client cannot read or write blocks the NameNode did not authorise. Keys are
 * random 256-bit HMAC-SHA256 secrets shared through the metadata database (NameNodes) and the
 * heartbeat replies (DataNodes), rotated by the leader.
 *
 * Wire form: `<payload>.<signature>`, both base64url; the payload is the JSON of
 * {@link BlockTokenClaims} (short field names) and the signature the HMAC of its base64url text.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { FsError } from './fs-error.js'

/** What a token allows: reading a replica, or writing one (also a re-replication copy). */
export type BlockAccessMode = 'READ' | 'WRITE'

/** A signing key. Tokens signed with it verify until `expiresAt` (ms since the epoch). */
export interface BlockKey {
  readonly id: number
  /** 32 random bytes, base64. */
  readonly secret: string
  readonly expiresAt: number
}

export interface BlockTokenClaims {
  readonly keyId: number
  readonly user: string
  readonly blockId: number
  readonly mode: BlockAccessMode
  /** Ms since the epoch. */
  readonly expiresAt: number
}

interface WireClaims {
  k: number
  u: string
  b: number
  m: BlockAccessMode
  e: number
}

function mac(key: BlockKey, payload: string): Buffer {
  return createHmac('sha256', Buffer.from(key.secret, 'base64')).update(payload).digest()
}

/** Signs `claims` with `key` (whose id must be `claims.keyId`). */
export function signBlockToken(key: BlockKey, claims: BlockTokenClaims): string {
  const wire: WireClaims = {
    k: key.id,
    u: claims.user,
    b: claims.blockId,
    m: claims.mode,
    e: claims.expiresAt,
  }
  const payload = Buffer.from(JSON.stringify(wire)).toString('base64url')
  return `${payload}.${mac(key, payload).toString('base64url')}`
}

/** The key id a token names, to find the key; undefined when it is not a token at all. */
export function blockTokenKeyId(token: string): number | undefined {
  return decode(token)?.claims.k
}

function decode(token: string): { payload: string; sig: string; claims: WireClaims } | undefined {
  const dot = token.indexOf('.')
  if (dot <= 0) return undefined
  const payload = token.slice(0, dot)
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as WireClaims
    if (
      typeof claims.k !== 'number' ||
      typeof claims.u !== 'string' ||
      typeof claims.b !== 'number' ||
      (claims.m !== 'READ' && claims.m !== 'WRITE') ||
      typeof claims.e !== 'number'
    ) {
      return undefined
    }
    return { payload, sig: token.slice(dot + 1), claims }
  } catch {
    return undefined
  }
}

/**
 * Checks `token` for `blockId` and `mode` against `keys`; returns its claims.
 * @throws FsError INVALID_BLOCK_TOKEN naming what is wrong (never the key or the signature)
 */
export function verifyBlockToken(
  keys: ReadonlyMap<number, BlockKey>,
  token: string | null | undefined,
  want: { readonly blockId: number; readonly mode: BlockAccessMode; readonly now?: number },
): BlockTokenClaims {
  const refuse = (why: string): FsError =>
    new FsError('INVALID_BLOCK_TOKEN', `Block token refused for blk_${want.blockId}: ${why}`)
  if (token === null || token === undefined || token === '') throw refuse('no token')
  const d = decode(token)
  if (d === undefined) throw refuse('malformed token')
  const key = keys.get(d.claims.k)
  if (key === undefined) throw refuse(`unknown key ${d.claims.k}`)
  const expected = mac(key, d.payload)
  const given = Buffer.from(d.sig, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw refuse('bad signature')
  }
  const now = want.now ?? Date.now()
  if (d.claims.e <= now || key.expiresAt <= now) throw refuse('expired')
  if (d.claims.b !== want.blockId) throw refuse(`issued for blk_${d.claims.b}`)
  if (d.claims.m !== want.mode) throw refuse(`issued for ${d.claims.m}, not ${want.mode}`)
  return {
    keyId: d.claims.k,
    user: d.claims.u,
    blockId: d.claims.b,
    mode: d.claims.m,
    expiresAt: d.claims.e,
  }
}
