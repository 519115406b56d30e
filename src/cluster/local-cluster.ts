/**
 * @module
 * A whole Hops cluster in one process: the metadata engine, one NameNode and N DataNodes, each
 * DataNode with its own directory and port (HDFS's `MiniDFSCluster`). `hops up` runs it as the
 * embedded default; integration tests start it on port 0 in a temp directory.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import { pino } from 'pino'
import { DataNode } from '../datanode/datanode.js'
import { openMetaEngine } from '../meta/open-meta-engine.js'
import type { SqlMetaEngine, SqlMetaEngineOptions } from '../meta/sql/sql-meta-engine.js'
import { NameNodeServer } from '../namenode/namenode-server.js'
import type { NameNodeServerOptions } from '../namenode/namenode-server.js'

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
  /** Stops one DataNode (as a crash would: no goodbye to the NameNode). */
  stopDatanode(index: number): Promise<void>
  /** Stops everything and closes the database. */
  stop(): Promise<void>
}

/** Starts the engine, the NameNode, then the DataNodes, and waits until all DataNodes registered. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const logger = options.logger ?? pino({ level: 'silent' })
  const host = options.host ?? '127.0.0.1'
  const engine = await openMetaEngine(
    options.metaUrl ?? `sqlite:${join(options.dataDir, 'meta.db')}`,
    {
      ...options.engine,
    },
  )
  const namenode = new NameNodeServer({
    ...options.namenode,
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
      async stopDatanode(index) {
        if (stopped.has(index)) return
        stopped.add(index)
        await datanodes[index]!.stop()
      },
      async stop() {
        for (const [i, dn] of datanodes.entries()) if (!stopped.has(i)) await dn.stop()
        await namenode.stop()
        await engine.close()
      },
    }
  } catch (err) {
    for (const dn of datanodes) await dn.stop().catch(() => undefined)
    await namenode.stop().catch(() => undefined)
    await engine.close()
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
