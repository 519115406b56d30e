/**
 * @module
 * A whole Hops cluster in one process: the metadata engine, one NameNode and N DataNodes, each
 * DataNode with its own directory and port (HDFS's `MiniDFSCluster`). `hops up` runs it as the
 * embedded default; integration tests start it on port 0 in a temp directory.
 *
 * With `secure`, every server speaks HTTPS and requires client certificates (`secure-setup.ts`
 * creates the CA, the service certificate and the user's bundle), and block access tokens are
 * turned on (the cluster setting `blockAccessTokens`, stored).
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import { pino } from 'pino'
import { DataNode } from '../datanode/datanode.js'
import { openMetaEngine } from '../meta/open-meta-engine.js'
import type { SqlMetaEngine, SqlMetaEngineOptions } from '../meta/sql/sql-meta-engine.js'
import { NameNodeServer } from '../namenode/namenode-server.js'
import type { NameNodeServerOptions } from '../namenode/namenode-server.js'
import { prepareSecureSetup } from './secure-setup.js'
import type { SecureSetup, SecureSetupOptions } from './secure-setup.js'

export interface LocalClusterOptions {
  /** Data directory: `meta.db` (unless `metaUrl`), `datanode-1`, `datanode-2`, … */
  readonly dataDir: string
  /** Metadata database; default `sqlite:<dataDir>/meta.db`. */
  readonly metaUrl?: string
  /** Interface to bind every server to. Default `127.0.0.1`. */
  readonly host?: string
  /** NameNode HTTP port (WebHDFS). Default 9870; 0 picks a free one. */
  readonly port?: number
  /** Number of DataNodes. Default 3. */
  readonly datanodes?: number
  /** DataNode heartbeat interval. Default 1000 ms. */
  readonly heartbeatIntervalMs?: number
  /** Engine options (settings such as smallFileMaxBytes, datanodeDeadAfterMs, minReplication). */
  readonly engine?: SqlMetaEngineOptions
  /** NameNode server options (intervals, users). */
  readonly namenode?: Partial<Omit<NameNodeServerOptions, 'engine' | 'host' | 'port' | 'logger'>>
  /** Secure mode: the user whose certificate is written, and where (see `secure-setup.ts`). */
  readonly secure?: Omit<SecureSetupOptions, 'metaUrl' | 'dataDir' | 'host' | 'logger'>
  /** Default: silent. */
  readonly logger?: Logger
}

/** A running local cluster. */
export interface LocalCluster {
  readonly engine: SqlMetaEngine
  readonly namenode: NameNodeServer
  /** The NameNode's base URL, e.g. `http://127.0.0.1:9870`. */
  readonly namenodeUrl: string
  readonly datanodes: readonly DataNode[]
  /** Secure mode's certificates and verifier; undefined when insecure. */
  readonly secure: SecureSetup | undefined
  /** Stops one DataNode (as a crash would: no goodbye to the NameNode). */
  stopDatanode(index: number): Promise<void>
  /** Stops everything and closes the database. */
  stop(): Promise<void>
}

/** Starts the engine, the NameNode, then the DataNodes, and waits until all DataNodes registered. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const logger = options.logger ?? pino({ level: 'silent' })
  const host = options.host ?? '127.0.0.1'
  const metaUrl = options.metaUrl ?? `sqlite:${join(options.dataDir, 'meta.db')}`
  // The CA first: it migrates the database, and two pools migrating one SQLite file at once stall.
  const secure =
    options.secure === undefined
      ? undefined
      : await prepareSecureSetup({
          ...options.secure,
          metaUrl,
          dataDir: options.dataDir,
          host,
          logger: logger.child({ role: 'security' }),
        })
  let engine: SqlMetaEngine
  try {
    engine = await openMetaEngine(metaUrl, { ...options.engine })
    if (secure !== undefined && !engine.settings.blockAccessTokens) {
      await engine.updateSettings({ blockAccessTokens: true })
    }
  } catch (err) {
    await secure?.close()
    throw err
  }
  const namenode = new NameNodeServer({
    ...options.namenode,
    tls: secure?.tls,
    engine,
    host,
    port: options.port ?? 9870,
    logger: logger.child({ role: 'namenode' }),
  })
  const datanodes: DataNode[] = []
  const stopped = new Set<number>()
  try {
    const namenodeUrl = await namenode.start()
    for (let i = 1; i <= (options.datanodes ?? 3); i++) {
      const dn = new DataNode({
        dir: join(options.dataDir, `datanode-${i}`),
        namenodeUrls: [namenodeUrl],
        host,
        port: 0,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
        tls: secure?.tls,
        logger: logger.child({ role: `datanode-${i}` }),
      })
      await dn.start()
      datanodes.push(dn)
    }
    await waitForDatanodes(engine, datanodes)
    return {
      engine,
      namenode,
      namenodeUrl,
      datanodes,
      secure,
      async stopDatanode(index) {
        if (stopped.has(index)) return
        stopped.add(index)
        await datanodes[index]!.stop()
      },
      async stop() {
        for (const [i, dn] of datanodes.entries()) if (!stopped.has(i)) await dn.stop()
        await namenode.stop()
        await engine.close()
        await secure?.close()
      },
    }
  } catch (err) {
    for (const dn of datanodes) await dn.stop().catch(() => undefined)
    await namenode.stop().catch(() => undefined)
    await engine.close()
    await secure?.close()
    throw err
  }
}

async function waitForDatanodes(
  engine: SqlMetaEngine,
  datanodes: readonly DataNode[],
): Promise<void> {
  const wanted = new Set(datanodes.map((d) => d.datanodeUuid))
  for (let i = 0; i < 100; i++) {
    const live = (await engine.listDatanodes()).filter(
      (d) => d.state === 'NORMAL' && wanted.has(d.datanodeUuid),
    )
    if (live.length === wanted.size) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('DataNodes did not register within 5 s')
}
