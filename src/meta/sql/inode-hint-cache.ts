/**
 * @module
 * The inode-hint cache: path → inode id, bounded LRU, one per engine (per NameNode). Entries are
 * hints only: every use is validated inside the transaction by reading the rows by primary key and
 * checking each (parent_id, name) link (DESIGN §4, HopsFS `InMemoryCache`).
 */

export class InodeHintCache {
  readonly #entries = new Map<string, number>()
  readonly #maxEntries: number
  hits = 0
  misses = 0

  /** @param maxEntries LRU bound; default 200 000 (about 30 MB for 60-byte paths). */
  constructor(maxEntries = 200_000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new TypeError('maxEntries must be a positive integer')
    this.#maxEntries = maxEntries
  }

  get size(): number {
    return this.#entries.size
  }

  get(path: string): number | undefined {
    const id = this.#entries.get(path)
    if (id === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    // Refresh recency only now and then: a Map delete+set per hit costs more than the lookup.
    if ((this.hits & 7) === 0) {
      this.#entries.delete(path)
      this.#entries.set(path, id)
    }
    return id
  }

  set(path: string, inodeId: number): void {
    if (this.#entries.has(path)) this.#entries.delete(path)
    else if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(path, inodeId)
  }

  delete(path: string): void {
    this.#entries.delete(path)
  }

  clear(): void {
    this.#entries.clear()
  }
}
