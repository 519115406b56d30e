/**
 * @module
 * Ids from the `counters` table, reserved in ranges inside real transactions (the profile's
 * `reserveRange`: `UPDATE … RETURNING`, or `UPDATE` then `SELECT` under the row lock on MySQL; either
 * is atomic, so two NameNodes can never get the same range). A range is fetched before the
 * operation's own transaction starts (`ensure`), never inside it.
 */
import type { SqlDialectProfile, SqlPool } from './sql-dialect.js'
import { TxnRestart } from './txn-restart.js'

export class IdAllocator {
  readonly #pool: SqlPool
  readonly #profile: SqlDialectProfile
  readonly #counter: string
  readonly #rangeSize: number
  #next = 0
  #end = 0
  #refill: Promise<void> | undefined

  /** @param rangeSize ids reserved per database round trip; default 10 000 */
  constructor(pool: SqlPool, profile: SqlDialectProfile, counter: string, rangeSize = 10_000) {
    this.#pool = pool
    this.#profile = profile
    this.#counter = counter
    this.#rangeSize = rangeSize
  }

  /** Ids left in the current range. */
  get available(): number {
    return this.#end - this.#next
  }

  /** Makes sure at least `n` ids can be taken without I/O. Call outside any transaction. */
  async ensure(n: number): Promise<void> {
    while (this.available < n) {
      this.#refill ??= this.#reserve(Math.max(this.#rangeSize, n)).finally(() => {
        this.#refill = undefined
      })
      await this.#refill
    }
  }

  /** Takes one id; throws {@link TxnRestart} when the range ran dry (the retry calls `ensure`). */
  take(): number {
    if (this.#next >= this.#end) throw new TxnRestart(`${this.#counter} range exhausted`)
    return this.#next++
  }

  async #reserve(count: number): Promise<void> {
    const end = await this.#pool.transaction(
      (txn) => this.#profile.reserveRange(txn, this.#counter, count),
      { readOnly: false },
    )
    if (end === undefined) throw new Error(`counter ${this.#counter} missing: run migrate()`)
    // Unused ids of the previous range are dropped: ids are plentiful, ranges must not overlap.
    this.#end = end
    this.#next = end - count
  }
}
