/**
 * Runs async tasks one at a time, in arrival order. Used where one connection can hold only one
 * transaction at a time (SQLite). When idle, a task starts at once (no extra tick).
 */
export class AsyncQueue {
  #tail: Promise<unknown> = Promise.resolve()
  /** Tasks queued or running. */
  #pending = 0

  run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.#pending === 0 ? this.#start(task) : this.#tail.then(() => this.#start(task))
    this.#pending++
    this.#tail = p.then(
      () => this.#pending--,
      () => this.#pending--,
    )
    return p
  }

  #start<T>(task: () => Promise<T>): Promise<T> {
    try {
      return task()
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }
}
