/**
 * @module
 * The DataNode's side of block access tokens: it learns from the NameNodes whether the cluster
 * uses tokens and with which keys (register and heartbeat replies, or a `blockKeys` call), and
 * checks the token of every request for block bytes. Until it has heard from a NameNode it asks
 * one before answering; a token signed with a key it does not know yet (a NameNode just rotated)
 * makes it ask again, at most once a second.
 */
import { blockTokenKeyId, verifyBlockToken } from '../common/block-token.js'
import type { BlockAccessMode, BlockKey } from '../common/block-token.js'
import { FsError } from '../common/fs-error.js'
import type { BlockKeysResponse } from '../protocol/datanode-protocol.js'

const MIN_REFRESH_MS = 1000

export class BlockTokenChecker {
  readonly #fetchKeys: () => Promise<BlockKeysResponse>
  /** undefined: not heard yet; null: the cluster does not use tokens. */
  #keys: ReadonlyMap<number, BlockKey> | null | undefined
  #fetching: Promise<void> | undefined
  #fetchedAt = 0

  constructor(fetchKeys: () => Promise<BlockKeysResponse>) {
    this.#fetchKeys = fetchKeys
  }

  /** Takes the keys from a NameNode reply (absent: tokens are off). */
  update(reply: BlockKeysResponse): void {
    const keys = reply.blockKeys
    this.#keys = keys === undefined ? null : new Map(keys.map((k) => [k.id, k]))
  }

  async #refresh(): Promise<void> {
    if (this.#fetching === undefined && Date.now() - this.#fetchedAt >= MIN_REFRESH_MS) {
      this.#fetchedAt = Date.now()
      this.#fetching = this.#fetchKeys()
        .then((reply) => this.update(reply))
        .finally(() => (this.#fetching = undefined))
    }
    await this.#fetching
  }

  /**
   * Resolves when `token` allows `mode` on `blockId`, or when the cluster does not use tokens.
   * @throws FsError INVALID_BLOCK_TOKEN; IO_ERROR when no NameNode says which keys are in force
   */
  async check(token: string | null, blockId: number, mode: BlockAccessMode): Promise<void> {
    if (this.#keys === undefined) await this.#refresh()
    const keyId = token === null ? undefined : blockTokenKeyId(token)
    if (this.#keys instanceof Map && keyId !== undefined && !this.#keys.has(keyId)) {
      await this.#refresh()
    }
    const keys = this.#keys
    if (keys === undefined) {
      throw new FsError('IO_ERROR', 'No NameNode has said yet whether block tokens are in use')
    }
    if (keys !== null) verifyBlockToken(keys, token, { blockId, mode })
  }
}
