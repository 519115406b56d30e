/**
 * @module
 * The single SQL implementation of {@link MetaEngine}. Each method validates its input, then
 * hands the work to `ops/<op>.ts` inside {@link SqlMetaEngine.withTxn}, the one place that opens
 * transactions and retries them (bounded, jittered backoff) on deadlock, serialization failure,
 * SQLITE_BUSY, a stale path or a subtree lock. Driver errors never leave this module.
 */
import { hostname } from 'node:os'
import { FsError, isFsError } from '../../common/fs-error.js'
import { parseHdfsPath } from '../../common/hdfs-path.js'
import { signBlockToken } from '../../common/block-token.js'
import type { BlockAccessMode, BlockKey } from '../../common/block-token.js'
import { addBlockKey, deleteExpiredBlockKeys, loadBlockKeys } from './block-keys.js'
import * as changelog from './changelog.js'
import type { HdfsPath } from '../../common/hdfs-path.js'
import {
  DEFAULT_DIR_PERMISSION,
  DEFAULT_FILE_PERMISSION,
  DEFAULT_UMASK,
} from '../../common/permission.js'
import type { AclEntry, UserInfo } from '../../common/permission.js'
import type {
  BadBlockRequest,
  BlockReceivedRequest,
  BlockReportBucketsRequest,
  BlockReportHashesRequest,
  DatanodeCommand,
  DatanodeInfo,
  DatanodeRegistration,
  HeartbeatRequest,
} from '../../protocol/datanode-protocol.js'
import type {
  FileLocations,
  ReplicationReport,
  StoragePolicy,
  AbandonBlockRequest,
  AclStatus,
  AddBlockRequest,
  AppendResult,
  BlockRecord,
  CallerContext,
  CompleteRequest,
  ConcatRequest,
  ContentSummary,
  CreateRequest,
  DeleteRequest,
  DirPage,
  InodeRecord,
  LeaseInfo,
  ListStatusRequest,
  MetaEngine,
  MetaEngineStats,
  MkdirsRequest,
  QuotaUsage,
  RecursiveOption,
  Rename2Request,
  RenameRequest,
  SetQuotaRequest,
  TruncateRequest,
  UpdateBlockRequest,
  XAttr,
  XAttrSetFlag,
} from '../meta-engine.js'
import { IdAllocator } from './id-allocator.js'
import { InodeHintCache } from './inode-hint-cache.js'
import { InodeRowCache } from './inode-row-cache.js'
import { ROOT_ID, TYPE_DIRECTORY } from './inode-row.js'
import type { Op, OpEnv, EngineSettings, TxnRunner } from './op.js'
import { DEFAULT_SETTINGS } from './op.js'
import { applyQuotaUpdates } from './quota.js'
import { lookupRetry, recordRetry } from './retry-cache.js'
import { migrate } from './schema.js'
import { CommitOutcomeUnknownError } from './sql-dialect.js'
import type { SqlDialectProfile, SqlPool, SqlTxn } from './sql-dialect.js'
import { TxnRestart } from './txn-restart.js'
import { create, MAX_REPLICATION } from './ops/create.js'
import type { ValidatedCreate } from './ops/create.js'
import { createSymlink } from './ops/create-symlink.js'
import { deleteOp } from './ops/delete.js'
import { getFileInfo } from './ops/get-file-info.js'
import { DEFAULT_LIST_LIMIT, listStatus } from './ops/list-status.js'
import { mkdirs } from './ops/mkdirs.js'
import { getContentSummary, getQuotaUsage, setQuota } from './ops/quota-ops.js'
import { rename } from './ops/rename.js'
import {
  setOwner,
  setPermission,
  setReplication,
  setTimes,
  validateReplication,
} from './ops/set-attributes.js'
import { subtreeDelete } from './ops/subtree-delete.js'
import { setAttributesRecursive } from './ops/subtree-attributes.js'
import * as xattrs from './ops/xattrs.js'
import * as acls from './ops/acls.js'
import * as blocks from './ops/blocks.js'
import * as leaseOps from './ops/lease-ops.js'
import { append } from './ops/append.js'
import { truncate } from './ops/truncate.js'
import { concat } from './ops/concat.js'
import * as inline from './ops/inline-data.js'
import * as datanodes from './ops/datanodes.js'
import type { SubtreeProgress } from './ops/subtree-delete.js'

/** Options of {@link SqlMetaEngine.open}; all optional. */
export interface SqlMetaEngineOptions {
  /** Connections (PostgreSQL/MySQL); default 16. SQLite always uses one. */
  readonly poolSize?: number
  /** Local overrides of the cluster-wide settings stored in the `settings` table. */
  readonly settings?: Partial<EngineSettings>
  /**
   * Values stored in the `settings` table when this engine creates the namespace (first start);
   * ignored afterwards. E.g. the superuser: the user who starts the embedded default.
   */
  readonly initialSettings?: Partial<EngineSettings>
  /** Inode-hint cache bound (entries); default 200 000. */
  readonly hintCacheSize?: number
  /** Ids reserved per trip to `counters`; default 10 000. */
  readonly idRangeSize?: number
  /** How often this engine writes its `namenodes` heartbeat; default 1000 ms. */
  readonly heartbeatIntervalMs?: number
  /** Run housekeeping (quota folding, retry-cache trim, lease recovery) this often; 0 = never (default). */
  readonly housekeepingIntervalMs?: number
  /** How long a user's groups from `user_groups` are cached; default 5000 ms. */
  readonly groupsCacheMs?: number
  /** Attempts per transaction before giving up with RETRIABLE; default 12. */
  readonly maxTxnAttempts?: number
  /**
   * How long a transaction waits for an unavailable database (stopped, restarting, unreachable),
   * retrying, before it fails with RETRIABLE ("metadata database unavailable"); default 10 000 ms.
   * A unit whose COMMIT was cut off (outcome unknown) is re-run only when it is recorded in the
   * retry cache (a mutation carrying clientid/callid); otherwise it fails with RETRIABLE at once.
   */
  readonly unavailableRetryMs?: number
  /** Address recorded in `namenodes` (informational). */
  readonly address?: string
  /** Test hook: called after each batch of a subtree delete. */
  readonly onSubtreeProgress?: SubtreeProgress
}

/** A row of `namenodes`: a NameNode and its last heartbeat (its own clock, ms). */
export interface NamenodeRow {
  readonly id: number
  readonly address: string
  readonly startedAt: number
  readonly lastHeartbeat: number
}

interface TxnOptions {
  readonly readOnly: boolean
  readonly subtreeRootId?: number
  /** The unit looks up and records its outcome in the retry cache (a re-run answers the same). */
  readonly retryCached?: boolean
}

export class SqlMetaEngine implements MetaEngine {
  readonly dialect: SqlDialectProfile['name']
  readonly #pool: SqlPool
  readonly #profile: SqlDialectProfile
  readonly #options: SqlMetaEngineOptions
  readonly #hints: InodeHintCache
  readonly #inodeIds: IdAllocator
  readonly #blockIds: IdAllocator
  readonly #genStamps: IdAllocator
  readonly #groups = new Map<string, { info: UserInfo; expires: number }>()
  #settings: EngineSettings = DEFAULT_SETTINGS
  /** Block token keys still verifying, newest first (reloaded at each heartbeat when in use). */
  #blockKeys: (BlockKey & { createdAt: number })[] = []
  #settingsSeen = -1
  #env: OpEnv | undefined
  #namenodeId = 0
  #txnRestarts = 0
  #timers: NodeJS.Timeout[] = []
  #closed = false

  private constructor(pool: SqlPool, profile: SqlDialectProfile, options: SqlMetaEngineOptions) {
    this.#pool = pool
    this.#profile = profile
    this.dialect = profile.name
    this.#options = Object.freeze({ ...options })
    this.#hints = new InodeHintCache(options.hintCacheSize)
    this.#inodeIds = new IdAllocator(pool, profile, 'inode_id', options.idRangeSize)
    this.#blockIds = new IdAllocator(pool, profile, 'block_id', options.idRangeSize)
    this.#genStamps = new IdAllocator(pool, profile, 'gen_stamp', options.idRangeSize)
  }

  /** Connects, migrates the schema (idempotent), registers this engine as a NameNode. */
  static async open(
    url: string,
    profile: SqlDialectProfile,
    options: SqlMetaEngineOptions = {},
  ): Promise<SqlMetaEngine> {
    const pool = await profile.open(url, { poolSize: options.poolSize ?? 16 })
    const engine = new SqlMetaEngine(pool, profile, options)
    try {
      // NameNodes starting at once (on Galera: on different nodes, where GET_LOCK is local)
      // may conflict over the schema, the settings and the id counter: those steps retry.
      await engine.#retryConflicts(() => engine.migrate())
      await engine.#retryConflicts(() => engine.#register())
    } catch (err) {
      await pool.close()
      throw err
    }
    return engine
  }

  get namenodeId(): number {
    return this.#namenodeId
  }

  /** The settings in force (cluster-wide values with local overrides). */
  get settings(): EngineSettings {
    return this.#settings
  }

  async migrate(): Promise<void> {
    await migrate(this.#pool, this.#profile)
    const initial = { ...DEFAULT_SETTINGS, ...this.#options.initialSettings }
    await this.#pool.transaction(
      async (txn) => {
        await txn.run(
          `INSERT INTO inodes (id, parent_id, name, type, owner, grp, permission, mtime, atime) VALUES (?, NULL, '', ?, ?, ?, ?, ?, ?)${this.#profile.onConflict('id')}`,
          [
            ROOT_ID,
            TYPE_DIRECTORY,
            initial.superuser,
            initial.supergroup,
            0o755,
            Date.now(),
            Date.now(),
          ],
        )
        for (const [name, value] of Object.entries(initial)) {
          await txn.run(
            `INSERT INTO settings (name, value) VALUES (?, ?)${this.#profile.onConflict('name')}`,
            [name, JSON.stringify(value)],
          )
        }
      },
      { readOnly: false },
    )
  }

  async #register(): Promise<void> {
    await this.#loadSettings()
    const nnIds = new IdAllocator(this.#pool, this.#profile, 'namenode_id', 1)
    await nnIds.ensure(1)
    this.#namenodeId = nnIds.take()
    const now = Date.now()
    await this.#pool.transaction(
      (txn) =>
        txn.run(
          'INSERT INTO namenodes (id, address, started_at, last_heartbeat) VALUES (?, ?, ?, ?)',
          [this.#namenodeId, this.#options.address ?? `${hostname()}:${process.pid}`, now, now],
        ),
      { readOnly: false },
    )
    this.#env = this.#makeEnv()
    this.#every(this.#options.heartbeatIntervalMs ?? 1000, () => this.heartbeat())
    const housekeeping = this.#options.housekeepingIntervalMs ?? 0
    if (housekeeping > 0) this.#every(housekeeping, () => this.housekeeping())
  }

  /**
   * Runs `fn` (whole transactions outside `withTxn`: start-up, settings) again on a deadlock,
   * serialization failure, certification conflict or unique-key race, up to 8 attempts.
   */
  async #retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        const conflict = this.#profile.isRetryable(err) || this.#profile.isUniqueViolation(err)
        if (!conflict || attempt >= 8) throw err
        await sleep(Math.min(20 * 2 ** attempt, 1000) * (0.5 + Math.random()))
      }
    }
  }

  #every(ms: number, task: () => Promise<unknown>): void {
    let running = false
    const timer = setInterval(() => {
      if (running || this.#closed) return
      running = true
      task()
        .catch(() => undefined) // a missed beat is retried on the next tick
        .finally(() => {
          running = false
        })
    }, ms)
    timer.unref()
    this.#timers.push(timer)
  }

  #makeEnv(): OpEnv {
    return {
      profile: this.#profile,
      settings: this.#settings,
      hints: this.#hints,
      rowCache: this.#env?.rowCache ?? new InodeRowCache(),
      inodeIds: this.#inodeIds,
      blockIds: this.#blockIds,
      genStamps: this.#genStamps,
      namenodeId: this.#namenodeId,
    }
  }

  /** Reads the cluster-wide settings (with this engine's local overrides on top). */
  async #loadSettings(): Promise<void> {
    const { stored, version } = await this.#pool.transaction(
      async (txn) => ({
        stored: await txn.all<{ name: string; value: string }>('SELECT name, value FROM settings'),
        version: await this.#settingsVersion(txn),
      }),
      { readOnly: true },
    )
    const fromDb = Object.fromEntries(stored.map((r) => [r.name, JSON.parse(r.value) as unknown]))
    this.#settings = Object.freeze({ ...DEFAULT_SETTINGS, ...fromDb, ...this.#options.settings })
    this.#settingsSeen = version
    if (this.#env !== undefined) this.#env = this.#makeEnv()
  }

  async #settingsVersion(txn: SqlTxn): Promise<number> {
    const row = await txn.get<{ next_value: number }>(
      'SELECT next_value FROM counters WHERE name = ?',
      ['settings_version'],
    )
    return Number(row?.next_value ?? 0)
  }

  /**
   * Changes cluster-wide settings for every NameNode: stored in `settings` with the version
   * bumped in the same transaction; each engine reloads at its next heartbeat (settings are never
   * read per request). Unknown names are refused.
   */
  async updateSettings(changes: Partial<EngineSettings>): Promise<void> {
    for (const [name, value] of Object.entries(changes)) {
      if (!(name in DEFAULT_SETTINGS))
        throw new FsError('INVALID_ARGUMENT', `Unknown setting '${name}'`)
      if (typeof value !== typeof DEFAULT_SETTINGS[name as keyof EngineSettings]) {
        throw new FsError(
          'INVALID_ARGUMENT',
          `Invalid value for setting '${name}': ${String(value)}`,
        )
      }
    }
    await this.#retryConflicts(() =>
      this.#pool.transaction(
        async (txn) => {
          for (const [name, value] of Object.entries(changes)) {
            await txn.run(
              `INSERT INTO settings (name, value) VALUES (?, ?)${this.#profile.onConflict('name', 'value = excluded.value')}`,
              [name, JSON.stringify(value)],
            )
          }
          await txn.run('UPDATE counters SET next_value = next_value + 1 WHERE name = ?', [
            'settings_version',
          ])
        },
        { readOnly: false },
      ),
    )
    await this.#loadSettings()
  }

  /** Writes this engine's heartbeat row (re-creating it if housekeeping removed it). */
  async heartbeat(): Promise<void> {
    const version = await this.#pool.transaction((txn) => this.#settingsVersion(txn), {
      readOnly: true,
    })
    if (version !== this.#settingsSeen) await this.#loadSettings()
    if (this.#settings.blockAccessTokens) await this.#loadBlockKeys()
    await this.#pool.transaction(
      async (txn) => {
        const res = await txn.run('UPDATE namenodes SET last_heartbeat = ? WHERE id = ?', [
          Date.now(),
          this.#namenodeId,
        ])
        if (res.changes === 0) {
          await txn.run(
            'INSERT INTO namenodes (id, address, started_at, last_heartbeat) VALUES (?, ?, ?, ?)',
            [
              this.#namenodeId,
              this.#options.address ?? `${hostname()}:${process.pid}`,
              Date.now(),
              Date.now(),
            ],
          )
        }
      },
      { readOnly: false },
    )
  }

  // ---- block access tokens ----------------------------------------------------------------------

  async #loadBlockKeys(): Promise<void> {
    const now = Date.now()
    this.#blockKeys = await this.#pool.transaction((txn) => loadBlockKeys(txn, now), {
      readOnly: true,
    })
  }

  /** The newest key that may still sign, adding one to the database when there is none. */
  async #signingKey(): Promise<BlockKey> {
    const { blockKeyUpdateIntervalMs: signFor, blockTokenLifetimeMs: lifetime } = this.#settings
    const fit = () => this.#blockKeys.find((k) => k.createdAt + signFor > Date.now())
    let key = fit()
    if (key !== undefined) return key
    await this.#loadBlockKeys()
    key = fit()
    if (key !== undefined) return key
    const now = Date.now()
    this.#blockKeys = await this.#pool.transaction(
      async (txn) => {
        await addBlockKey(txn, now, signFor, lifetime)
        return loadBlockKeys(txn, now)
      },
      { readOnly: false },
    )
    key = fit()
    if (key === undefined) throw new FsError('INTERNAL', 'no block key after adding one')
    return key
  }

  async blockToken(
    user: string,
    blockId: number,
    mode: BlockAccessMode,
  ): Promise<string | undefined> {
    if (!this.#settings.blockAccessTokens) return undefined
    const key = await this.#signingKey()
    const expiresAt = Math.min(Date.now() + this.#settings.blockTokenLifetimeMs, key.expiresAt)
    return signBlockToken(key, { keyId: key.id, user, blockId, mode, expiresAt })
  }

  async blockKeys(): Promise<BlockKey[] | undefined> {
    if (!this.#settings.blockAccessTokens) return undefined
    await this.#signingKey()
    return this.#blockKeys.map(({ id, secret, expiresAt }) => ({ id, secret, expiresAt }))
  }

  /**
   * Every registered NameNode's heartbeat row, by id (leader election reads it each round; `GET
   * /namenodes` too). One attempt: callers poll.
   * @throws FsError RETRIABLE while the database is unavailable
   */
  async listNamenodes(): Promise<NamenodeRow[]> {
    const rows = await this.#pool
      .transaction(
        (txn) =>
          txn.all<{ id: number; address: string; started_at: number; last_heartbeat: number }>(
            'SELECT id, address, started_at, last_heartbeat FROM namenodes ORDER BY id',
          ),
        { readOnly: true },
      )
      .catch((err: unknown) => {
        if (!this.#profile.isUnavailable(err)) throw err
        throw new FsError('RETRIABLE', 'metadata database unavailable', { cause: err })
      })
    return rows.map((r) => ({
      id: Number(r.id),
      address: r.address,
      startedAt: Number(r.started_at),
      lastHeartbeat: Number(r.last_heartbeat),
    }))
  }

  /**
   * Leader housekeeping: folds quota deltas, trims the retry cache, clears the subtree marks and
   * rows of dead NameNodes, recovers expired leases.
   */
  async housekeeping(): Promise<void> {
    await this.clearDeadNamenodes()
    while ((await this.applyQuotaUpdates()) > 0) {
      /* fold until none are pending */
    }
    await this.#pool.transaction(
      (txn) => txn.run('DELETE FROM retry_cache WHERE expires_at < ?', [Date.now()]),
      { readOnly: false },
    )
    while ((await this.trimChangelog()) > 0) {
      /* trim in batches until nothing is due */
    }
    await this.#pool.transaction((txn) => deleteExpiredBlockKeys(txn, Date.now()), {
      readOnly: false,
    })
    await this.recoverExpiredLeases()
  }

  /**
   * Deletes up to `batch` changelog rows older than `changelogRetentionMs`, never one with a
   * `seq` above the smallest acknowledged by a registered consumer; returns how many went.
   */
  async trimChangelog(nowMs: number = Date.now(), batch = 5000): Promise<number> {
    const cutoff = nowMs - this.#settings.changelogRetentionMs
    return this.#pool.transaction((txn) => changelog.trimChangelog(txn, cutoff, batch), {
      readOnly: false,
    })
  }

  /** Changelog rows after `afterSeq`, oldest first (see `changelog.ts`). */
  async readChangelog(afterSeq: number, limit = 1000): Promise<changelog.ChangelogEntry[]> {
    return this.#pool.transaction((txn) => changelog.readChangelog(txn, afterSeq, limit), {
      readOnly: true,
    })
  }

  /** Records that `consumer` processed every changelog row up to `seq` (registers it first). */
  async ackChangelog(consumer: string, seq: number): Promise<void> {
    if (consumer === '' || !Number.isSafeInteger(seq) || seq < 0)
      throw new FsError('INVALID_ARGUMENT', 'ackChangelog needs a consumer name and a seq >= 0')
    await this.#pool.transaction(
      (txn) => changelog.ackChangelog(txn, this.#profile, consumer, seq, Date.now()),
      { readOnly: false },
    )
  }

  /**
   * Clears subtree marks whose owner's heartbeat is older than `namenodeDeadAfterMs` (their work
   * is finished by the client's retry), and forgets NameNodes silent for ten times that long.
   * Returns how many marks were cleared.
   */
  async clearDeadNamenodes(nowMs: number = Date.now()): Promise<number> {
    const deadAfter = this.#settings.namenodeDeadAfterMs
    return this.#pool.transaction(
      async (txn) => {
        const stale = await txn.all<{ inode_id: number }>(
          `SELECT s.inode_id FROM subtree_ops s LEFT JOIN namenodes n ON n.id = s.namenode_id
           WHERE s.namenode_id <> ? AND (n.id IS NULL OR n.last_heartbeat < ?)`,
          [this.#namenodeId, nowMs - deadAfter],
        )
        for (const { inode_id } of stale) {
          await txn.run(
            'UPDATE inodes SET subtree_owner = NULL, subtree_time = NULL WHERE id = ?',
            [inode_id],
          )
          await txn.run('DELETE FROM subtree_ops WHERE inode_id = ?', [inode_id])
        }
        await txn.run('DELETE FROM namenodes WHERE id <> ? AND last_heartbeat < ?', [
          this.#namenodeId,
          nowMs - 10 * deadAfter,
        ])
        return stale.length
      },
      { readOnly: false },
    )
  }

  /**
   * Stops the timers, removes this NameNode's `namenodes` row (so leadership moves at once and
   * its marks count as dead), and closes the connections.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const t of this.#timers) clearInterval(t)
    await this.#pool
      .transaction((txn) => txn.run('DELETE FROM namenodes WHERE id = ?', [this.#namenodeId]), {
        readOnly: false,
      })
      .catch(() => undefined) // the database may be gone already: the heartbeat just goes stale
    await this.#pool.close()
  }

  /**
   * Stops this engine's heartbeats and drops its connections without clearing anything, as a
   * killed NameNode would (fault tests): its row stays until its heartbeat is stale.
   */
  async crash(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const t of this.#timers) clearInterval(t)
    await this.#pool.close()
  }

  stats(): MetaEngineStats {
    return {
      txnRestarts: this.#txnRestarts,
      hintCacheSize: this.#hints.size,
      hintCacheHits: this.#hints.hits,
      hintCacheMisses: this.#hints.misses,
    }
  }

  // ---- transactions -------------------------------------------------------------------------

  /** The caller with its groups; cached per user for `groupsCacheMs` (one Map lookup when warm). */
  #cachedUser(ctx: CallerContext): UserInfo | undefined {
    const cached = this.#groups.get(ctx?.user)
    if (cached === undefined || cached.expires < Date.now()) return undefined
    if (ctx.groups === undefined || ctx.groups.length === 0) return cached.info
    const groups = new Set([...cached.info.groups, ...ctx.groups])
    return {
      user: ctx.user,
      groups,
      isSuperuser: cached.info.isSuperuser || groups.has(this.#settings.supergroup),
    }
  }

  async #loadUser(ctx: CallerContext): Promise<UserInfo> {
    if (typeof ctx?.user !== 'string' || ctx.user === '') {
      throw new FsError('INVALID_ARGUMENT', 'A caller user name is required')
    }
    const rows = await this.#pool.transaction(
      (txn) =>
        txn.all<{ group_name: string }>('SELECT group_name FROM user_groups WHERE user_name = ?', [
          ctx.user,
        ]),
      { readOnly: true },
    )
    const groups = new Set(rows.map((r) => r.group_name))
    const s = this.#settings
    const info = {
      user: ctx.user,
      groups,
      isSuperuser: ctx.user === s.superuser || groups.has(s.supergroup),
    }
    this.#groups.set(ctx.user, {
      info,
      expires: Date.now() + (this.#options.groupsCacheMs ?? 5000),
    })
    return this.#cachedUser(ctx) ?? info
  }

  /**
   * Runs `fn` as one transaction; retries (jittered exponential backoff, bounded) on retryable
   * database errors, unique-key races and {@link TxnRestart}. The only place transactions start.
   */
  async withTxn<T>(
    ctx: CallerContext,
    options: TxnOptions,
    fn: (op: Op) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw new FsError('IO_ERROR', 'metadata engine is closed')
    const maxAttempts = this.#options.maxTxnAttempts ?? 12
    let unavailableSince: number | undefined
    let waits = 0
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#runTxn(ctx, options, fn)
      } catch (err) {
        if (isFsError(err)) throw err
        if (err instanceof CommitOutcomeUnknownError || this.#profile.isUnavailable(err)) {
          // The database is down or restarting (DESIGN §4; HopsFS retries transient storage
          // errors the same way): wait for it, bounded, then tell the client to retry.
          const now = Date.now()
          unavailableSince ??= now
          const waitedMs = now - unavailableSince
          const ambiguous = err instanceof CommitOutcomeUnknownError
          if (
            this.#closed ||
            (ambiguous && !(options.retryCached === true && hasRetryIds(ctx))) ||
            waitedMs >= (this.#options.unavailableRetryMs ?? 10_000)
          ) {
            throw new FsError(
              'RETRIABLE',
              ambiguous
                ? 'metadata database connection lost during commit, retry the call'
                : `metadata database unavailable for ${waitedMs} ms, retry later`,
              { cause: err },
            )
          }
          await sleep(Math.min(50 * 2 ** waits++, 500) * (0.5 + Math.random()))
          attempt = 0 // conflicts after the outage get their full budget
          continue
        }
        const retryable =
          err instanceof TxnRestart ||
          this.#profile.isRetryable(err) ||
          this.#profile.isUniqueViolation(err)
        if (!retryable)
          throw new FsError('INTERNAL', `metadata operation failed: ${describe(err)}`, {
            cause: err,
          })
        this.#txnRestarts++
        if (attempt >= maxAttempts) {
          throw new FsError(
            'RETRIABLE',
            `operation kept conflicting, retry later: ${describe(err)}`,
            { cause: err },
          )
        }
        const base = Math.max(
          err instanceof TxnRestart ? err.waitMs : 0,
          Math.min(2 ** attempt, 200),
        )
        await sleep(base / 2 + Math.random() * base)
      }
    }
  }

  /** One attempt of {@link withTxn}: the caller's groups (first use), ids, the transaction. */
  async #runTxn<T>(
    ctx: CallerContext,
    options: TxnOptions,
    fn: (op: Op) => Promise<T>,
  ): Promise<T> {
    const user = this.#cachedUser(ctx) ?? (await this.#loadUser(ctx))
    const env = this.#env!
    const idsLow =
      this.#inodeIds.available < 64 || this.#blockIds.available < 8 || this.#genStamps.available < 8
    if (!options.readOnly && idsLow) {
      await Promise.all([
        this.#inodeIds.ensure(64),
        this.#blockIds.ensure(8),
        this.#genStamps.ensure(8),
      ])
    }
    return this.#pool.transaction(
      (txn) =>
        fn({
          txn,
          env,
          user,
          readOnly: options.readOnly,
          now: Date.now(),
          subtreeRootId: options.subtreeRootId,
        }),
      options,
    )
  }

  /**
   * Runs a mutation with the retry cache: a retried call returns the first outcome. With
   * `deferred`, an outcome for which it answers true is not recorded (the operation goes on in
   * later transactions, which record the final one).
   */
  #mutate<T>(
    ctx: CallerContext,
    fn: (op: Op) => Promise<T>,
    deferred?: (result: T) => boolean,
  ): Promise<T> {
    return this.withTxn(ctx, { readOnly: false, retryCached: true }, async (op) => {
      const cached = await lookupRetry(op, ctx)
      if (cached !== undefined) return cached.value as T
      this.#refuseInSafeMode()
      const result = await fn(op)
      if (deferred?.(result) !== true) await recordRetry(op, ctx, result)
      return result
    })
  }

  #read<T>(ctx: CallerContext, fn: (op: Op) => Promise<T>): Promise<T> {
    return this.withTxn(ctx, { readOnly: true }, fn)
  }

  /** Client operations that run as several transactions (subtree operations). */
  #runner(ctx: CallerContext): TxnRunner {
    return (fn, options) => {
      if (!options.readOnly) this.#refuseInSafeMode()
      return this.withTxn(ctx, options, fn)
    }
  }

  /**
   * Client mutations are refused while the cluster is in safe mode. Each NameNode sees a change
   * of the setting at its next heartbeat (the one that made it, at once).
   * @throws FsError SAFE_MODE
   */
  #refuseInSafeMode(): void {
    if (!this.#settings.safeMode) return
    throw new FsError(
      'SAFE_MODE',
      'Cannot change the namespace: the NameNodes are in safe mode (read-only). ' +
        "An administrator turns it off with 'hops meta safemode leave'.",
    )
  }

  // ---- namespace ------------------------------------------------------------------------------

  async getFileInfo(path: string, ctx: CallerContext): Promise<InodeRecord> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => getFileInfo(op, p))
  }

  async mkdirs(req: MkdirsRequest, ctx: CallerContext): Promise<boolean> {
    const p = parseHdfsPath(req.path)
    const mode = maskedMode(req.permission, DEFAULT_DIR_PERMISSION, req.umask)
    return this.#mutate(ctx, (op) => mkdirs(op, p, mode))
  }

  async create(req: CreateRequest, ctx: CallerContext): Promise<InodeRecord> {
    const p = parseHdfsPath(req.path)
    if (typeof req.clientName !== 'string' || req.clientName === '')
      throw new FsError('INVALID_ARGUMENT', 'create needs a clientName')
    const v = this.#validateCreate(req)
    return this.#mutate(ctx, (op) => create(op, p, req, v))
  }

  /** Checks and defaults what create and createInline share. */
  #validateCreate(req: Omit<CreateRequest, 'clientName' | 'path'>): ValidatedCreate {
    const replication = req.replication ?? this.#settings.defaultReplication
    validateReplication(replication)
    const blockSize = req.blockSize ?? this.#settings.defaultBlockSize
    if (!Number.isSafeInteger(blockSize) || blockSize <= 0 || blockSize % 512 !== 0) {
      throw new FsError(
        'IO_ERROR',
        `Invalid block size ${blockSize}: must be a positive multiple of 512`,
      )
    }
    return {
      mode: maskedMode(req.permission, DEFAULT_FILE_PERMISSION, req.umask),
      dirMode: maskedMode(undefined, DEFAULT_DIR_PERMISSION, req.umask),
      replication,
      blockSize,
    }
  }

  async listStatus(req: ListStatusRequest, ctx: CallerContext): Promise<DirPage> {
    const p = parseHdfsPath(req.path)
    return this.#read(ctx, (op) =>
      listStatus(op, p, req.startAfter ?? '', req.limit ?? DEFAULT_LIST_LIMIT),
    )
  }

  async rename(req: RenameRequest, ctx: CallerContext): Promise<boolean> {
    const src = parseHdfsPath(req.src)
    const dst = parseHdfsPath(req.dst)
    return this.#mutate(ctx, (op) => rename(op, src, dst, { legacy: true, overwrite: false }))
  }

  async rename2(req: Rename2Request, ctx: CallerContext): Promise<void> {
    const src = parseHdfsPath(req.src)
    const dst = parseHdfsPath(req.dst)
    await this.#mutate(ctx, (op) =>
      rename(op, src, dst, { legacy: false, overwrite: req.overwrite === true }),
    )
  }

  async delete(req: DeleteRequest, ctx: CallerContext): Promise<boolean> {
    const p = parseHdfsPath(req.path)
    const outcome = await this.#mutate(
      ctx,
      async (op) => {
        const o = await deleteOp(op, p, req.recursive === true)
        return 'deleted' in o ? o.deleted : undefined
      },
      // A subtree delete records its outcome when it finishes.
      (deleted) => deleted === undefined,
    )
    if (outcome !== undefined && outcome !== null) return outcome
    return subtreeDelete(this.#runner(ctx), p, {
      progress: this.#options.onSubtreeProgress,
      record: (op, deleted) => recordRetry(op, ctx, deleted),
    })
  }

  async setPermission(
    path: string,
    permission: number,
    ctx: CallerContext,
    options?: RecursiveOption,
  ): Promise<void> {
    const p = parseHdfsPath(path)
    if (!Number.isInteger(permission) || permission < 0 || permission > 0o1777) {
      throw new FsError('INVALID_ARGUMENT', `Invalid permission ${permission}: must be 0..01777`)
    }
    if (options?.recursive === true) {
      return setAttributesRecursive(this.#runner(ctx), p, { permission })
    }
    await this.#mutate(ctx, (op) => setPermission(op, p, permission))
  }

  async setOwner(
    path: string,
    owner: string | undefined,
    group: string | undefined,
    ctx: CallerContext,
    options?: RecursiveOption,
  ): Promise<void> {
    const p = parseHdfsPath(path)
    if (options?.recursive === true && (owner || group)) {
      const change = { ...(owner ? { owner } : {}), ...(group ? { group } : {}) }
      return setAttributesRecursive(this.#runner(ctx), p, change)
    }
    await this.#mutate(ctx, (op) => setOwner(op, p, owner || undefined, group || undefined))
  }

  async setTimes(path: string, mtime: number, atime: number, ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => setTimes(op, p, mtime, atime))
  }

  async setReplication(path: string, replication: number, ctx: CallerContext): Promise<boolean> {
    const p = parseHdfsPath(path)
    return this.#mutate(ctx, (op) => setReplication(op, p, replication))
  }

  async getContentSummary(path: string, ctx: CallerContext): Promise<ContentSummary> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => getContentSummary(op, p))
  }

  async setQuota(req: SetQuotaRequest, ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(req.path)
    await setQuota(this.#runner(ctx), p, req)
  }

  async getQuotaUsage(path: string, ctx: CallerContext): Promise<QuotaUsage> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => getQuotaUsage(op, p))
  }

  async createSymlink(
    target: string,
    link: string,
    createParent: boolean,
    ctx: CallerContext,
  ): Promise<void> {
    const p = parseHdfsPath(link)
    const dirMode = maskedMode(undefined, DEFAULT_DIR_PERMISSION, undefined)
    await this.#mutate(ctx, (op) => createSymlink(op, target, p, createParent, dirMode))
  }

  // ---- xattrs and ACLs --------------------------------------------------------------------------

  async setXAttr(
    path: string,
    xattr: XAttr,
    flags: readonly XAttrSetFlag[],
    ctx: CallerContext,
  ): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => xattrs.setXAttr(op, p, xattr, flags))
  }

  async getXAttrs(
    path: string,
    names: readonly string[] | undefined,
    ctx: CallerContext,
  ): Promise<XAttr[]> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => xattrs.getXAttrs(op, p, names))
  }

  async listXAttrs(path: string, ctx: CallerContext): Promise<string[]> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => xattrs.listXAttrs(op, p))
  }

  async removeXAttr(path: string, name: string, ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => xattrs.removeXAttr(op, p, name))
  }

  async modifyAclEntries(
    path: string,
    entries: readonly AclEntry[],
    ctx: CallerContext,
  ): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => acls.modifyAclEntries(op, p, entries))
  }

  async removeAclEntries(
    path: string,
    entries: readonly AclEntry[],
    ctx: CallerContext,
  ): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => acls.removeAclEntries(op, p, entries))
  }

  async removeDefaultAcl(path: string, ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => acls.removeDefaultAcl(op, p))
  }

  async removeAcl(path: string, ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => acls.removeAcl(op, p))
  }

  async setAcl(path: string, entries: readonly AclEntry[], ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => acls.setAcl(op, p, entries))
  }

  async getAclStatus(path: string, ctx: CallerContext): Promise<AclStatus> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => acls.getAclStatus(op, p))
  }

  // ---- file lifecycle, leases, blocks -------------------------------------------------------------

  async append(path: string, clientName: string, ctx: CallerContext): Promise<AppendResult> {
    const p = parseHdfsPath(path)
    return this.#mutate(ctx, (op) => append(op, p, clientName))
  }

  async truncate(req: TruncateRequest, ctx: CallerContext): Promise<boolean> {
    const p = parseHdfsPath(req.path)
    return this.#mutate(ctx, (op) => truncate(op, p, req.newLength, req.clientName))
  }

  async concat(req: ConcatRequest, ctx: CallerContext): Promise<void> {
    const target = parseHdfsPath(req.target)
    const sources = req.sources.map((s) => parseHdfsPath(s))
    await this.#mutate(ctx, (op) => concat(op, target, sources))
  }

  async renewLease(clientName: string, ctx: CallerContext): Promise<void> {
    await this.#mutate(ctx, (op) => leaseOps.renewLease(op, clientName))
  }

  async recoverLease(path: string, clientName: string, ctx: CallerContext): Promise<boolean> {
    const p = parseHdfsPath(path)
    return this.#mutate(ctx, (op) => leaseOps.recoverLease(op, p, clientName))
  }

  async getLease(clientName: string): Promise<LeaseInfo | undefined> {
    return this.#read(this.#systemCtx(), (op) => leaseOps.getLease(op, clientName))
  }

  recoverExpiredLeases(nowMs: number = Date.now()): Promise<number> {
    return leaseOps.recoverExpiredLeases(this.#runner(this.#systemCtx()), nowMs)
  }

  async addBlock(req: AddBlockRequest, ctx: CallerContext): Promise<BlockRecord> {
    const p = parseHdfsPath(req.path)
    return this.#mutate(ctx, (op) => blocks.addBlock(op, p, req))
  }

  async complete(req: CompleteRequest, ctx: CallerContext): Promise<boolean> {
    const p = parseHdfsPath(req.path)
    return this.#mutate(ctx, (op) => blocks.complete(op, p, req))
  }

  async abandonBlock(req: AbandonBlockRequest, ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(req.path)
    await this.#mutate(ctx, (op) => blocks.abandonBlock(op, p, req))
  }

  async updateBlock(req: UpdateBlockRequest, ctx: CallerContext): Promise<BlockRecord> {
    return this.#mutate(ctx, (op) => blocks.updateBlock(op, req))
  }

  async getBlocks(path: string, ctx: CallerContext): Promise<BlockRecord[]> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => blocks.getBlocks(op, p))
  }

  /** The caller for housekeeping: the superuser. */
  #systemCtx(): CallerContext {
    return { user: this.#settings.superuser }
  }

  // ---- data path: small files and block locations -----------------------------------------------

  async smallFileLimit(path: string, ctx: CallerContext): Promise<number> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => inline.smallFileLimit(op, p))
  }

  async createInline(
    req: Omit<CreateRequest, 'clientName'> & { readonly data: Uint8Array },
    ctx: CallerContext,
  ): Promise<InodeRecord> {
    const p = parseHdfsPath(req.path)
    const v = this.#validateCreate(req)
    return this.#mutate(ctx, (op) => inline.createInline(op, p, req, v))
  }

  async completeInline(
    req: { readonly path: string; readonly clientName: string; readonly data: Uint8Array },
    ctx: CallerContext,
  ): Promise<InodeRecord> {
    const p = parseHdfsPath(req.path)
    return this.#mutate(ctx, (op) => inline.completeInline(op, p, req.clientName, req.data))
  }

  async getBlockLocations(
    req: { readonly path: string; readonly offset: number; readonly length: number },
    ctx: CallerContext,
  ): Promise<FileLocations> {
    const p = parseHdfsPath(req.path)
    return this.#read(ctx, (op) => inline.getBlockLocations(op, p, req.offset, req.length))
  }

  async setStoragePolicy(path: string, policy: StoragePolicy, ctx: CallerContext): Promise<void> {
    const p = parseHdfsPath(path)
    await this.#mutate(ctx, (op) => inline.setStoragePolicy(op, p, policy))
  }

  async getStoragePolicy(path: string, ctx: CallerContext): Promise<StoragePolicy> {
    const p = parseHdfsPath(path)
    return this.#read(ctx, (op) => inline.getStoragePolicy(op, p))
  }

  // ---- DataNodes ------------------------------------------------------------------------------------

  async registerDatanode(reg: DatanodeRegistration): Promise<void> {
    await this.withTxn(this.#systemCtx(), { readOnly: false }, (op) =>
      datanodes.registerDatanode(op, reg),
    )
  }

  async datanodeHeartbeat(req: HeartbeatRequest): Promise<DatanodeCommand[]> {
    return this.withTxn(this.#systemCtx(), { readOnly: false }, (op) =>
      datanodes.heartbeat(op, req),
    )
  }

  async blockReceived(req: BlockReceivedRequest): Promise<void> {
    await this.withTxn(this.#systemCtx(), { readOnly: false }, (op) =>
      datanodes.blockReceived(op, req),
    )
  }

  async blockReportHashes(req: BlockReportHashesRequest): Promise<number[]> {
    return this.withTxn(this.#systemCtx(), { readOnly: true }, (op) =>
      datanodes.blockReportHashes(op, req),
    )
  }

  async blockReportBuckets(req: BlockReportBucketsRequest): Promise<void> {
    await this.withTxn(this.#systemCtx(), { readOnly: false }, (op) =>
      datanodes.blockReportBuckets(op, req),
    )
  }

  async reportBadBlock(req: BadBlockRequest): Promise<void> {
    await this.withTxn(this.#systemCtx(), { readOnly: false }, (op) =>
      datanodes.reportBadBlock(op, req),
    )
  }

  async listDatanodes(): Promise<DatanodeInfo[]> {
    return this.withTxn(this.#systemCtx(), { readOnly: true }, (op) => datanodes.listDatanodes(op))
  }

  async decommissionDatanode(datanodeUuid: string): Promise<void> {
    await this.withTxn(this.#systemCtx(), { readOnly: false }, (op) =>
      datanodes.decommissionDatanode(op, datanodeUuid),
    )
  }

  async checkReplication(nowMs: number = Date.now()): Promise<ReplicationReport> {
    return datanodes.checkReplication(this.#runner(this.#systemCtx()), nowMs)
  }

  // ---- groups and quotas -------------------------------------------------------------------------

  async setUserGroups(user: string, groups: readonly string[]): Promise<void> {
    await this.#pool.transaction(
      async (txn) => {
        await txn.run('DELETE FROM user_groups WHERE user_name = ?', [user])
        for (const g of new Set(groups))
          await txn.run('INSERT INTO user_groups (user_name, group_name) VALUES (?, ?)', [user, g])
      },
      { readOnly: false },
    )
    this.#groups.delete(user)
  }

  applyQuotaUpdates(): Promise<number> {
    return this.withTxn(this.#systemCtx(), { readOnly: false }, (op) => applyQuotaUpdates(op.txn))
  }
}

/** Applies the umask to a requested mode (or the default), keeping the sticky bit. */
function maskedMode(
  permission: number | undefined,
  fallback: number,
  umask: number | undefined,
): number {
  const mode = permission ?? fallback
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o1777)
    throw new FsError('INVALID_ARGUMENT', `Invalid permission ${mode}`)
  const mask = umask ?? DEFAULT_UMASK
  if (!Number.isInteger(mask) || mask < 0 || mask > 0o777)
    throw new FsError('INVALID_ARGUMENT', `Invalid umask ${mask}`)
  return mode & ~mask
}

/** Whether the call carries the exactly-once ids the retry cache is keyed by. */
function hasRetryIds(ctx: CallerContext): boolean {
  return ctx.clientId !== undefined && ctx.callId !== undefined
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export { MAX_REPLICATION }
export type { HdfsPath }
