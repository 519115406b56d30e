/**
 * @module
 * The DataNode process's configuration (`hops datanode`): keys, defaults (units in the names) and
 * the Hadoop names accepted in config files. Environment variables are `DATANODE_<UPPER_SNAKE>`
 * (`DATANODE_NAMENODES`, `DATANODE_DIR`), flags `--kebab-case`.
 */
import { loadConfig } from '../common/config.js'
import type { ConfigOf, ConfigSources, ConfigSpec } from '../common/config.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const DATANODE_CONFIG = {
  namenodes: {
    type: 'list',
    required: true,
    doc: 'NameNode base URLs, comma-separated (any of them; the DataNode fails over)',
    check: (v: readonly string[]) =>
      v.every((u) => /^https?:\/\/[^/]+/.test(u)) ? undefined : 'must be http(s) URLs',
  },
  dir: { type: 'string', required: true, doc: 'data directory (block files)' },
  host: { type: 'string', default: '127.0.0.1', doc: 'interface to listen on' },
  port: {
    type: 'int',
    default: 9864,
    min: 0,
    max: 65535,
    doc: 'HTTP (data) port; 0 = any',
  },
  advertisedHost: {
    type: 'string',
    doc: 'host name put in the URLs clients are sent to (default: the bound address)',
    hadoop: { name: 'dfs.datanode.hostname' },
  },
  heartbeatIntervalMs: {
    type: 'int',
    default: 1000,
    min: 10,
    max: 600_000,
    doc: 'heartbeat period, ms (Hadoop dfs.heartbeat.interval is in seconds)',
    hadoop: { name: 'dfs.heartbeat.interval', scale: 1000 },
  },
  namenodeRefreshIntervalMs: {
    type: 'int',
    default: 10_000,
    min: 0,
    doc: 'ask the NameNodes for the live NameNodes this often, ms, to use ones started later (0 = never)',
  },
  fullReportIntervalMs: {
    type: 'int',
    default: 6 * 3600_000,
    min: 1000,
    doc: 'full block report period, ms',
    hadoop: { name: 'dfs.blockreport.intervalMsec' },
  },
  chunkSizeBytes: {
    type: 'int',
    default: 64 * 1024,
    min: 512,
    max: 16 * 1024 * 1024,
    size: true,
    doc: 'bytes per checksum chunk',
    hadoop: { name: 'dfs.bytes-per-checksum' },
  },
  syncOnClose: {
    type: 'bool',
    default: false,
    doc: 'fsync block files when they are finished',
    hadoop: { name: 'dfs.datanode.synconclose' },
  },
  secure: {
    type: 'bool',
    default: false,
    doc: 'secure mode: HTTPS only, client certificates required, service certificate towards NameNodes and DataNodes',
  },
  tlsDir: {
    type: 'string',
    doc: "secure mode: directory with this host's service certificate (key.pem, cert.pem, ca.pem; or what hops ca issue-service -o writes)",
  },
  meta: {
    type: 'string',
    secret: true,
    doc: 'secure mode: metadata database URL, read by the certificate verifier (CA certificates, CRLs, revocations); a read-only database user suffices',
  },
  logLevel: { type: 'string', default: 'info', values: LOG_LEVELS, doc: 'log level' },
} as const satisfies ConfigSpec

export type DataNodeConfig = ConfigOf<typeof DATANODE_CONFIG>

/** Loads the DataNode configuration. @throws ConfigError */
export function loadDataNodeConfig(sources: ConfigSources): DataNodeConfig {
  return loadConfig(DATANODE_CONFIG, 'DATANODE', sources)
}
