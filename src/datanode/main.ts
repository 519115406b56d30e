/**
 * @module
 * One DataNode process (`hops datanode`): a {@link DataNode} from the loaded configuration,
 * reporting to any of the configured NameNodes (they share the database, so each one serves the
 * whole cluster; the DataNode fails over between them).
 */
import type { Logger } from 'pino'
import type { DataNodeConfig } from './config.js'
import { DataNode } from './datanode.js'
import { openServerTls } from '../security/server-tls.js'

/** Starts a DataNode from its configuration. */
export async function startDataNode(config: DataNodeConfig, logger: Logger): Promise<DataNode> {
  // Secure mode: the verifier reads revocations from the metadata database (see DataNodeConfig.meta).
  const tls = config.secure ? await openServerTls(config.meta, config.tlsDir, logger) : undefined
  const dn = new DataNode({
    dir: config.dir,
    namenodeUrls: config.namenodes,
    host: config.host,
    port: config.port,
    advertisedHost: config.advertisedHost,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    fullReportIntervalMs: config.fullReportIntervalMs,
    namenodeRefreshIntervalMs: config.namenodeRefreshIntervalMs,
    chunkSizeBytes: config.chunkSizeBytes,
    syncOnClose: config.syncOnClose,
    tls,
    logger,
  })
  try {
    await dn.start()
  } catch (err) {
    await tls?.verifier.close()
    throw err
  }
  return dn
}
