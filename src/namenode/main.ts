/**
 * @module
 * One NameNode process (`hops namenode`): opens the metadata engine from the loaded
 * configuration (which registers this NameNode and heartbeats its `namenodes` row), starts the
 * leader election and the HTTP server, and stops all three in reverse order.
 */
import { userInfo } from 'node:os'
import type { Logger } from 'pino'
import { openMetaEngine } from '../meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../meta/sql/sql-meta-engine.js'
import type { EngineSettings } from '../meta/sql/op.js'
import { namenodeDeadAfterMs } from './config.js'
import type { NameNodeConfig } from './config.js'
import { LeaderElection } from './leader-election.js'
import { NameNodeServer } from './namenode-server.js'
import { openServerTls } from '../security/server-tls.js'
import type { ServerTls } from '../security/server-tls.js'

/** A running NameNode process's parts. */
export interface RunningNameNode {
  readonly url: string
  readonly engine: SqlMetaEngine
  readonly server: NameNodeServer
  readonly election: LeaderElection
  /** Stops the election, the server and the engine (idempotent). */
  stop(): Promise<void>
}

/** Starts a NameNode from its configuration. */
export async function startNameNode(
  config: NameNodeConfig,
  logger: Logger,
): Promise<RunningNameNode> {
  const deadAfterMs = namenodeDeadAfterMs(config)
  const settings: Partial<EngineSettings> = {
    namenodeDeadAfterMs: deadAfterMs,
    ...(config.datanodeDeadAfterMs !== undefined
      ? { datanodeDeadAfterMs: config.datanodeDeadAfterMs }
      : {}),
    ...(config.replication !== undefined ? { defaultReplication: config.replication } : {}),
    ...(config.blockSize !== undefined ? { defaultBlockSize: config.blockSize } : {}),
  }
  // Secure mode: the verifier reads the CA's state from the same database.
  const tls: ServerTls | undefined = config.secure
    ? await openServerTls(config.meta, config.tlsDir, logger)
    : undefined
  const scheme = tls === undefined ? 'http' : 'https'
  let engine: SqlMetaEngine
  try {
    engine = await openMetaEngine(config.meta, {
      poolSize: config.poolSize,
      unavailableRetryMs: config.metaUnavailableRetryMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      settings,
      initialSettings: { ...settings, superuser: config.superuser ?? userInfo().username },
      address: config.publicUrl ?? `${scheme}://${config.host}:${config.port}`,
    })
    // Secure mode turns block access tokens on for the cluster (stored: every NameNode signs).
    if (tls !== undefined && !engine.settings.blockAccessTokens) {
      await engine.updateSettings({ blockAccessTokens: true })
    }
  } catch (err) {
    await tls?.verifier.close()
    throw err
  }
  const election = new LeaderElection({
    selfId: engine.namenodeId,
    listNamenodes: () => engine.listNamenodes(),
    intervalMs: config.heartbeatIntervalMs,
    deadAfterMs,
    logger: logger.child({ component: 'leader-election' }),
  })
  const server = new NameNodeServer({
    engine,
    host: config.host,
    port: config.port,
    publicUrl: config.publicUrl,
    logger,
    replicationCheckIntervalMs: config.replicationCheckIntervalMs,
    housekeepingIntervalMs: config.housekeepingIntervalMs,
    staticUser: config.staticUser,
    lsLimit: config.lsLimit,
    tls,
    leader: election,
    // The live rows of the last election round, with the address each NameNode registered.
    liveNamenodes: async () => {
      const live = new Set(election.liveIds)
      return (await engine.listNamenodes())
        .filter((r) => live.has(r.id))
        .map((r) => ({ id: r.id, url: r.address }))
    },
  })
  let url: string
  try {
    await election.start()
    url = await server.start()
  } catch (err) {
    await election.stop()
    await server.stop()
    await engine.close()
    await tls?.verifier.close()
    throw err
  }
  let stopping: Promise<void> | undefined
  return {
    url,
    engine,
    server,
    election,
    stop() {
      stopping ??= (async () => {
        await election.stop()
        await server.stop()
        await engine.close()
        await tls?.verifier.close()
      })()
      return stopping
    },
  }
}
