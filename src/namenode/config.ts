/**
 * @module
 * The NameNode process's configuration (`hops namenode`): keys, defaults (units in the names) and
 * the Hadoop names accepted in config files. Environment variables are `NAMENODE_<UPPER_SNAKE>`
 * (`NAMENODE_META`, `NAMENODE_HEARTBEAT_INTERVAL_MS`), flags `--kebab-case`.
 */
import { loadConfig } from '../common/config.js'
import type { ConfigOf, ConfigSources, ConfigSpec } from '../common/config.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const NAMENODE_CONFIG = {
  meta: {
    type: 'string',
    required: true,
    secret: true,
    doc: 'metadata database URL: sqlite:PATH or postgres://user:password@host:port/db',
  },
  host: {
    type: 'string',
    default: '127.0.0.1',
    doc: 'interface to listen on',
    hadoop: { name: 'dfs.namenode.http-bind-host' },
  },
  port: { type: 'int', default: 9870, min: 0, max: 65535, doc: 'HTTP (WebHDFS) port; 0 = any' },
  publicUrl: {
    type: 'string',
    doc: 'base URL clients and DataNodes reach this NameNode at (default http://host:port)',
    check: (v: string) => (/^https?:\/\/[^/]+/.test(v) ? undefined : 'must be an http(s) URL'),
  },
  heartbeatIntervalMs: {
    type: 'int',
    default: 1000,
    min: 10,
    max: 600_000,
    doc: 'NameNode heartbeat (and leader check) period, ms',
    hadoop: { name: 'dfs.leader.check.interval' },
  },
  missedHeartbeats: {
    type: 'int',
    default: 2,
    min: 2,
    max: 1000,
    doc: 'heartbeat periods without a beat after which a NameNode counts as dead (HopsFS: at least 2)',
    hadoop: { name: 'dfs.leader.missed.hb' },
  },
  replicationCheckIntervalMs: {
    type: 'int',
    default: 3000,
    min: 0,
    doc: 'leader: under-replication check period, ms (0 = never)',
    hadoop: { name: 'dfs.namenode.replication.interval', scale: 1000 },
  },
  housekeepingIntervalMs: {
    type: 'int',
    default: 10_000,
    min: 0,
    doc: 'leader: housekeeping period (lease recovery, dead NameNodes, retry cache, quotas), ms',
  },
  datanodeDeadAfterMs: {
    type: 'int',
    min: 100,
    doc: 'a DataNode silent this long is dead (default: the cluster setting, 30 s)',
  },
  replication: {
    type: 'int',
    min: 1,
    max: 512,
    doc: 'default replication of new files (default: the cluster setting, 3)',
    hadoop: { name: 'dfs.replication' },
  },
  blockSize: {
    type: 'int',
    size: true,
    min: 512,
    doc: 'default block size of new files, bytes (default: the cluster setting, 128m)',
    hadoop: { name: 'dfs.blocksize' },
    check: (v: number) => (v % 512 === 0 ? undefined : 'must be a multiple of 512'),
  },
  superuser: {
    type: 'string',
    doc: 'superuser recorded when this NameNode creates the namespace (default: the OS user)',
  },
  staticUser: {
    type: 'string',
    default: 'dr.who',
    doc: 'user of WebHDFS requests without user.name',
    hadoop: { name: 'hadoop.http.staticuser.user' },
  },
  lsLimit: {
    type: 'int',
    default: 1000,
    min: 1,
    max: 100_000,
    doc: 'LISTSTATUS_BATCH page size',
    hadoop: { name: 'dfs.ls.limit' },
  },
  poolSize: { type: 'int', default: 16, min: 1, max: 1024, doc: 'database connections' },
  metaUnavailableRetryMs: {
    type: 'int',
    default: 10_000,
    min: 0,
    max: 600_000,
    doc: 'how long a request waits for an unreachable metadata database (retrying) before it is answered RetriableException, ms',
  },
  secure: {
    type: 'bool',
    default: false,
    doc: 'secure mode: HTTPS only, client certificates required, identities from certificates, block access tokens on',
  },
  tlsDir: {
    type: 'string',
    doc: "secure mode: directory with this host's service certificate (key.pem, cert.pem, ca.pem; or what hops ca issue-service -o writes)",
  },
  logLevel: { type: 'string', default: 'info', values: LOG_LEVELS, doc: 'log level' },
} as const satisfies ConfigSpec

export type NameNodeConfig = ConfigOf<typeof NAMENODE_CONFIG>

/** Loads the NameNode configuration. @throws ConfigError */
export function loadNameNodeConfig(sources: ConfigSources): NameNodeConfig {
  return loadConfig(NAMENODE_CONFIG, 'NAMENODE', sources)
}

/** How long a NameNode's heartbeat may stand still before it counts as dead. */
export function namenodeDeadAfterMs(config: NameNodeConfig): number {
  return config.heartbeatIntervalMs * (config.missedHeartbeats + 1)
}
