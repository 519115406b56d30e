/**
 * Thrown inside a transaction when what it read turned out stale (a path changed under it, a
 * subtree lock appeared, an id range ran dry): the transaction is rolled back and run again.
 */
export class TxnRestart extends Error {
  override readonly name = 'TxnRestart'
  /** When set, retrying past the limit becomes this retriable error message. */
  constructor(
    message: string,
    readonly waitMs = 0,
  ) {
    super(message)
  }
}
