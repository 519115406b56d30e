/**
 * @module
 * The Spotify operation mix of the HopsFS papers (Niazi et al., FAST '17, Table 2: one day of a
 * 1,600-node Hadoop cluster's NameNode operations), its write-heavy variants, and a weighted
 * picker. Independent of any transport, so every benchmark target (WebHDFS against a cluster,
 * the engine in process, a simulator) can draw the same sequence of operations.
 *
 * ```ts
 * const picker = new OpPicker(withWritePercent(SPOTIFY_MIX, 20), seededRandom(42))
 * const op = picker.pick() // 'read' | 'statFile' | … | 'chmodDir'
 * ```
 */

/** The operations of the mix, most frequent first. */
export const MIX_OPS = [
  'read',
  'statFile',
  'lsDir',
  'statDir',
  'create',
  'rename',
  'delete',
  'lsFile',
  'chownDir',
  'setReplication',
  'chmodFile',
  'mkdir',
  'chmodDir',
] as const

export type MixOp = (typeof MIX_OPS)[number]

/** Relative weight (percent) of each operation. */
export type OpMix = Readonly<Record<MixOp, number>>

/**
 * The Spotify mix, percent of all operations. "read" is opening a file (HDFS
 * `getBlockLocations`); "ls" of a file lists that one file. Mutations add up to 5.26 %.
 */
export const SPOTIFY_MIX: OpMix = Object.freeze({
  read: 68.73,
  statFile: 13.04,
  lsDir: 8.52,
  statDir: 3.96,
  create: 2.7,
  rename: 1.3,
  delete: 0.75,
  lsFile: 0.49,
  chownDir: 0.32,
  setReplication: 0.14,
  chmodFile: 0.02,
  mkdir: 0.02,
  chmodDir: 0.01,
})

/** The operations that change the namespace. */
export const MUTATIONS: ReadonlySet<MixOp> = new Set<MixOp>([
  'create',
  'rename',
  'delete',
  'chownDir',
  'setReplication',
  'chmodFile',
  'mkdir',
  'chmodDir',
])

/** A short human name of each operation, for reports. */
export const OP_LABELS: Readonly<Record<MixOp, string>> = {
  read: 'read (block locations)',
  statFile: 'stat file',
  lsDir: 'ls dir',
  statDir: 'stat dir',
  create: 'create',
  rename: 'rename',
  delete: 'delete',
  lsFile: 'ls file',
  chownDir: 'chown dir',
  setReplication: 'setReplication',
  chmodFile: 'chmod file',
  mkdir: 'mkdir',
  chmodDir: 'chmod dir',
}

/** Percent of `mix` that mutates (0–100). */
export function writePercent(mix: OpMix): number {
  const total = sumOf(mix, () => true)
  return (100 * sumOf(mix, (op) => MUTATIONS.has(op))) / total
}

/**
 * The same proportions within reads and within mutations, with mutations scaled to `percent`
 * of the total (0 gives the read-only mix, 20 the write-heavy mix).
 * @throws RangeError when `percent` is outside [0, 100] or `mix` lacks reads or mutations that
 * the requested share needs
 */
export function withWritePercent(mix: OpMix, percent: number): OpMix {
  if (!(percent >= 0 && percent <= 100)) throw new RangeError(`write percent ${percent}`)
  const writes = sumOf(mix, (op) => MUTATIONS.has(op))
  const reads = sumOf(mix, (op) => !MUTATIONS.has(op))
  if ((percent > 0 && writes === 0) || (percent < 100 && reads === 0))
    throw new RangeError(`cannot scale this mix to ${percent} % writes`)
  const out = {} as Record<MixOp, number>
  for (const op of MIX_OPS) {
    out[op] = MUTATIONS.has(op)
      ? percent === 0
        ? 0
        : (mix[op] * percent) / writes
      : percent === 100
        ? 0
        : (mix[op] * (100 - percent)) / reads
  }
  return Object.freeze(out)
}

function sumOf(mix: OpMix, keep: (op: MixOp) => boolean): number {
  let sum = 0
  for (const op of MIX_OPS) if (keep(op)) sum += mix[op]
  return sum
}

/** Draws operations with the probabilities of a mix (cumulative table, binary search). */
export class OpPicker {
  readonly #ops: MixOp[] = []
  readonly #upTo: number[] = []
  readonly #random: () => number

  /**
   * @param random uniform in [0, 1); default `Math.random`
   * @throws RangeError when no operation has a positive weight
   */
  constructor(mix: OpMix, random: () => number = Math.random) {
    let total = 0
    for (const op of MIX_OPS) {
      if (!(mix[op] > 0)) continue
      total += mix[op]
      this.#ops.push(op)
      this.#upTo.push(total)
    }
    if (total === 0) throw new RangeError('the mix has no operation with a positive weight')
    for (let i = 0; i < this.#upTo.length; i++) this.#upTo[i] = this.#upTo[i]! / total
    this.#random = random
  }

  /** The next operation. */
  pick(): MixOp {
    const r = this.#random()
    let lo = 0
    let hi = this.#upTo.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (r < this.#upTo[mid]!) hi = mid
      else lo = mid + 1
    }
    return this.#ops[lo]!
  }
}

/** A small seeded generator (mulberry32), uniform in [0, 1), for reproducible sequences. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
