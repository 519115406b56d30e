/**
 * @module
 * What every WebHDFS operation handler gets: the services of the NameNode and one parsed call.
 */
import type { CallerContext, MetaEngine } from '../../meta/meta-engine.js'
import type { BlockPlacement, DatanodeCache } from '../block-placement.js'
import type { WebHdfsParams } from './params.js'

/** Cluster-wide defaults the WebHDFS parameters fall back to. */
export interface WebHdfsDefaults {
  /** The superuser (may `doas` anyone). */
  readonly superuser: string
  /** `dfs.replication`. */
  readonly replication: number
  /** `dfs.blocksize`, bytes. */
  readonly blockSize: number
}

/** The NameNode services a WebHDFS handler uses. */
export interface WebHdfsServices {
  readonly engine: MetaEngine
  readonly placement: BlockPlacement
  readonly datanodes: DatanodeCache
  readonly defaults: () => WebHdfsDefaults
  /** `hadoop.http.staticuser.user`: the user of requests without `user.name`. */
  readonly staticUser: string
  /** Real users besides the superuser allowed to `doas` any user. */
  readonly proxyUsers: ReadonlySet<string>
  /** `dfs.ls.limit`: entries per LISTSTATUS_BATCH page (and per engine page of LISTSTATUS). */
  readonly lsLimit: number
  /** This NameNode's base URL (`http://host:port`), put into DataNode redirects. */
  readonly baseUrl: () => string
  /** Records one operation in the audit log (HDFS `HdfsAuditLogger`). */
  readonly audit: (entry: AuditEntry) => void
}

/** One audit record: who did what to which path, from where, and whether it was allowed. */
export interface AuditEntry {
  readonly allowed: boolean
  readonly user: string
  readonly ip: string
  readonly cmd: string
  readonly src: string
  readonly dst?: string | undefined
}

/** One WebHDFS request after routing. */
export interface WebHdfsCall {
  readonly svc: WebHdfsServices
  /** Upper-case op name. */
  readonly op: string
  /** The normalised absolute path (decoded). */
  readonly path: string
  readonly params: WebHdfsParams
  /** The effective user (after `doas`). */
  readonly user: string
  readonly ctx: CallerContext
}

/** A handler's result: a status and a JSON body (none for an empty reply), or a redirect. */
export interface WebHdfsReply {
  readonly status: number
  /** JSON text; undefined sends `Content-Length: 0`. */
  readonly json?: string
  /** For 307 replies. */
  readonly location?: string
  /** File bytes (`application/octet-stream`), for OPEN of a small file served by the NameNode. */
  readonly data?: Uint8Array
}

/** One operation handler. */
export type WebHdfsOp = (call: WebHdfsCall) => Promise<WebHdfsReply>

/** An empty 200 reply. */
export const OK_EMPTY: WebHdfsReply = Object.freeze({ status: 200 })

/** A 200 reply with a JSON body. */
export function ok(json: string): WebHdfsReply {
  return { status: 200, json }
}
