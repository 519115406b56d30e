/**
 * @module
 * Leader election through the metadata database, as HopsFS does it (no ZooKeeper). Every
 * NameNode's engine heartbeats its `namenodes` row (`last_heartbeat`, every heartbeat period);
 * every NameNode reads all rows each round and **the live NameNode with the smallest id leads**.
 * Ids come from a counter, so a restarted NameNode gets a new, larger id and never takes the lead
 * back from a running one.
 *
 * Liveness does not compare clocks across machines: like HopsFS's per-row counters, a row's
 * `last_heartbeat` is only watched for change, timed by this NameNode's own clock. A row whose
 * value has not moved for `deadAfterMs` (heartbeat period × (missed beats + 1)) is dead; a row
 * seen for the first time counts as alive unless its timestamp is ten times that old already (a
 * leftover of a crash long ago). This NameNode is leader only while its own row is alive too, so
 * one that cannot write its heartbeat, or cannot read the table, steps down at once.
 */
import type { Logger } from 'pino'

/** What a NameNode server needs to know about the election. */
export interface LeaderStatus {
  readonly isLeader: boolean
  /** The current leader's id, undefined until the first round (or while the table is unreadable). */
  readonly leaderId: number | undefined
}

/** One heartbeat row as read from the database. */
export interface HeartbeatRow {
  readonly id: number
  readonly lastHeartbeat: number
}

export interface LeaderElectionOptions {
  /** This NameNode's id (its row in `namenodes`). */
  readonly selfId: number
  /** Reads every NameNode's heartbeat row. */
  readonly listNamenodes: () => Promise<readonly HeartbeatRow[]>
  /** Round period, ms: the heartbeat period. */
  readonly intervalMs: number
  /** A heartbeat that has not changed for this long is dead, ms. */
  readonly deadAfterMs: number
  /** Clock (tests). Default `Date.now`. */
  readonly now?: () => number
  readonly logger?: Logger
  /** Called when this NameNode gains or loses the lead. */
  readonly onChange?: (isLeader: boolean, leaderId: number | undefined) => void
}

interface Seen {
  value: number
  changedAt: number
}

/** One NameNode's view of the election; {@link start} runs a round every `intervalMs`. */
export class LeaderElection implements LeaderStatus {
  readonly #o: LeaderElectionOptions
  readonly #now: () => number
  readonly #seen = new Map<number, Seen>()
  #isLeader = false
  #leaderId: number | undefined
  #liveIds: readonly number[] = []
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> | undefined
  #failing = false

  constructor(options: LeaderElectionOptions) {
    if (!(options.intervalMs > 0) || !(options.deadAfterMs > options.intervalMs)) {
      throw new TypeError('LeaderElection needs intervalMs > 0 and deadAfterMs > intervalMs')
    }
    this.#o = Object.freeze({ ...options })
    this.#now = options.now ?? Date.now
  }

  get isLeader(): boolean {
    return this.#isLeader
  }

  get leaderId(): number | undefined {
    return this.#leaderId
  }

  get selfId(): number {
    return this.#o.selfId
  }

  /** The ids this NameNode considers alive, ascending (after the last round). */
  get liveIds(): readonly number[] {
    return this.#liveIds
  }

  /** Runs a round now and then every `intervalMs` (rounds never overlap). */
  async start(): Promise<void> {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => {
      this.#round ??= this.round().finally(() => (this.#round = undefined))
    }, this.#o.intervalMs)
    this.#timer.unref()
    await this.round()
  }

  /** Stops the rounds; this NameNode no longer considers itself leader. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#round
    this.#set(false, undefined)
  }

  /** One round: read the rows, update liveness, pick the smallest live id. Never throws. */
  async round(): Promise<void> {
    let rows: readonly HeartbeatRow[]
    try {
      rows = await this.#o.listNamenodes()
    } catch (err) {
      if (!this.#failing) this.#o.logger?.warn({ err }, 'leader election: cannot read heartbeats')
      this.#failing = true
      this.#liveIds = []
      this.#set(false, undefined)
      return
    }
    this.#failing = false
    const now = this.#now()
    const { deadAfterMs } = this.#o
    const present = new Set<number>()
    const live: number[] = []
    for (const row of rows) {
      present.add(row.id)
      let seen = this.#seen.get(row.id)
      if (seen === undefined) {
        // First sight: alive, unless the beat is far older than any plausible clock skew.
        const stale = row.lastHeartbeat < now - 10 * deadAfterMs
        seen = { value: row.lastHeartbeat, changedAt: stale ? -Infinity : now }
        this.#seen.set(row.id, seen)
      } else if (seen.value !== row.lastHeartbeat) {
        seen.value = row.lastHeartbeat
        seen.changedAt = now
      }
      if (now - seen.changedAt < deadAfterMs) live.push(row.id)
    }
    for (const id of this.#seen.keys()) if (!present.has(id)) this.#seen.delete(id)
    live.sort((a, b) => a - b)
    this.#liveIds = Object.freeze(live)
    const selfAlive = live.includes(this.#o.selfId)
    const leaderId = live[0]
    this.#set(selfAlive && leaderId === this.#o.selfId, leaderId)
  }

  #set(isLeader: boolean, leaderId: number | undefined): void {
    const changed = isLeader !== this.#isLeader
    const leaderChanged = leaderId !== this.#leaderId
    this.#isLeader = isLeader
    this.#leaderId = leaderId
    if (changed) {
      this.#o.logger?.info(
        { namenodeId: this.#o.selfId, leaderId, live: this.#liveIds },
        isLeader ? 'became leader' : 'no longer leader',
      )
      this.#o.onChange?.(isLeader, leaderId)
    } else if (leaderChanged && leaderId !== undefined) {
      this.#o.logger?.info({ namenodeId: this.#o.selfId, leaderId }, 'leader changed')
    }
  }
}
