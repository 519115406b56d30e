/**
 * @module
 * Whole inode rows kept between read-only units, valid only while the database's change epoch
 * (`SqlTxn.changeEpoch`) stays the same: any commit by another connection or by this engine
 * moves it and empties the cache. So a cached row is exactly the row in the database; the cache
 * saves the statement, never a decision. Only dialects that can tell the epoch cheaply (SQLite's
 * `PRAGMA data_version`) use it.
 */
import type { InodeRow } from './inode-row.js'

export class InodeRowCache {
  readonly #rows = new Map<number, Readonly<InodeRow>>()
  readonly #maxRows: number
  #epoch = Number.NaN

  /** @param maxRows bound; when reached the cache starts over. Default 100 000 (~30 MB). */
  constructor(maxRows = 100_000) {
    this.#maxRows = maxRows
  }

  /** The rows valid at `epoch` (forgetting everything if the epoch moved). */
  at(epoch: number): ReadonlyMap<number, Readonly<InodeRow>> {
    if (epoch !== this.#epoch) {
      this.#rows.clear()
      this.#epoch = epoch
    }
    return this.#rows
  }

  /** Adds a whole row read at the current epoch; the row is frozen (callers must not mutate it). */
  add(row: InodeRow): void {
    if (this.#rows.size >= this.#maxRows) this.#rows.clear()
    this.#rows.set(row.id, Object.freeze(row))
  }
}
