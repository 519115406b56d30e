/**
 * @module
 * Routes `/webhdfs/v1/{path}?op=…` requests: the operation tables per HTTP method (as Hadoop's
 * `GetOpParam`, `PutOpParam`, `PostOpParam`, `DeleteOpParam`), the caller's identity
 * (`user.name`, `doas`) and the path. `op` is case-insensitive and unknown parameters are
 * ignored. Operations Hadoop has but Hops does not (snapshots, erasure coding, delegation-token
 * renewal) answer 400 `UnsupportedOperationException`.
 */
import { FsError, isFsError } from '../../common/fs-error.js'
import { parseHdfsPath } from '../../common/hdfs-path.js'
import { CLIENT_ID_PATTERN } from '../../protocol/client-protocol.js'
import { parseQuery } from '../http-util.js'
import { invalidParam, RemoteError } from '../remote-exception.js'
import { WebHdfsParams } from './params.js'
import * as r from './read-ops.js'
import * as redirect from './redirect-ops.js'
import type { WebHdfsOp, WebHdfsReply, WebHdfsServices } from './webhdfs-context.js'
import * as w from './write-ops.js'

type OpTable = Readonly<Record<string, WebHdfsOp>>

const GET_OPS: OpTable = {
  OPEN: redirect.openOp,
  GETFILESTATUS: r.getFileStatusOp,
  LISTSTATUS: r.listStatusOp,
  LISTSTATUS_BATCH: r.listStatusBatchOp,
  GETCONTENTSUMMARY: r.getContentSummaryOp,
  GETQUOTAUSAGE: r.getQuotaUsageOp,
  GETFILECHECKSUM: redirect.getFileChecksumOp,
  GETHOMEDIRECTORY: r.getHomeDirectoryOp,
  GETTRASHROOT: r.getTrashRootOp,
  GETDELEGATIONTOKEN: r.getDelegationTokenOp,
  GETXATTRS: r.getXAttrsOp,
  LISTXATTRS: r.listXAttrsOp,
  GETACLSTATUS: r.getAclStatusOp,
  CHECKACCESS: r.checkAccessOp,
  GETALLSTORAGEPOLICY: r.getAllStoragePoliciesOp,
  GETALLSTORAGEPOLICIES: r.getAllStoragePoliciesOp,
  GETSTORAGEPOLICY: r.getStoragePolicyOp,
  GETFILEBLOCKLOCATIONS: r.getFileBlockLocationsOp,
  GETSERVERDEFAULTS: r.getServerDefaultsOp,
  GETSTATUS: r.getStatusOp,
  GETLINKTARGET: r.getLinkTargetOp,
  GETFILELINKSTATUS: r.getFileLinkStatusOp,
}

const PUT_OPS: OpTable = {
  CREATE: redirect.createOp,
  MKDIRS: w.mkdirsOp,
  CREATESYMLINK: w.createSymlinkOp,
  RENAME: w.renameOp,
  SETREPLICATION: w.setReplicationOp,
  SETOWNER: w.setOwnerOp,
  SETPERMISSION: w.setPermissionOp,
  SETTIMES: w.setTimesOp,
  MODIFYACLENTRIES: w.modifyAclEntriesOp,
  REMOVEACLENTRIES: w.removeAclEntriesOp,
  REMOVEDEFAULTACL: w.removeDefaultAclOp,
  REMOVEACL: w.removeAclOp,
  SETACL: w.setAclOp,
  SETXATTR: w.setXAttrOp,
  REMOVEXATTR: w.removeXAttrOp,
  SETSTORAGEPOLICY: w.setStoragePolicyOp,
  SETQUOTA: w.setQuotaOp,
}

const POST_OPS: OpTable = {
  APPEND: redirect.appendOp,
  CONCAT: w.concatOp,
  TRUNCATE: w.truncateOp,
  UNSETSTORAGEPOLICY: w.unsetStoragePolicyOp,
}

const DELETE_OPS: OpTable = {
  DELETE: w.deleteOp,
}

/** Hadoop ops Hops does not implement, per method: 400 UnsupportedOperationException. */
const UNSUPPORTED: Readonly<Record<string, ReadonlySet<string>>> = {
  GET: new Set([
    'GET_BLOCK_LOCATIONS',
    'GETSNAPSHOTDIFF',
    'GETSNAPSHOTDIFFLISTING',
    'GETSNAPSHOTTABLEDIRECTORYLIST',
    'GETSNAPSHOTLIST',
    'GETECPOLICY',
    'GETECPOLICIES',
    'GETECCODECS',
    'GETXATTR',
  ]),
  PUT: new Set([
    'RENEWDELEGATIONTOKEN',
    'CANCELDELEGATIONTOKEN',
    'ALLOWSNAPSHOT',
    'DISALLOWSNAPSHOT',
    'CREATESNAPSHOT',
    'RENAMESNAPSHOT',
    'SATISFYSTORAGEPOLICY',
    'SETQUOTABYSTORAGETYPE',
    'ENABLEECPOLICY',
    'DISABLEECPOLICY',
    'SETECPOLICY',
  ]),
  POST: new Set(['UNSETECPOLICY']),
  DELETE: new Set(['DELETESNAPSHOT']),
}

const TABLES: Readonly<Record<string, OpTable>> = {
  GET: GET_OPS,
  PUT: PUT_OPS,
  POST: POST_OPS,
  DELETE: DELETE_OPS,
}

const OP_PARAM_CLASS: Readonly<Record<string, string>> = {
  GET: 'GetOpParam',
  PUT: 'PutOpParam',
  POST: 'PostOpParam',
  DELETE: 'DeleteOpParam',
}

/** Ops answered with a redirect to a DataNode whose request carries a body. */
const BODY_OPS = new Set(['PUT CREATE', 'POST APPEND'])

/** True for `CREATE`/`APPEND`, whose body goes to the DataNode (no `100 Continue` here). */
export function isRedirectWithBody(method: string, query: string): boolean {
  const m = /(?:^|&)op=([^&]*)/i.exec(query)
  return m !== null && BODY_OPS.has(`${method} ${m[1]!.toUpperCase()}`)
}

/** Hadoop's `UserParam` domain (`dfs.webhdfs.user.provider.user.pattern`). */
const USER_PATTERN = /^[A-Za-z_][A-Za-z0-9._-]*[$]?$/

function userParam(name: string, value: string): string {
  if (!USER_PATTERN.test(value)) {
    throw invalidParam(
      name,
      value,
      `Invalid value: "${value}" does not belong to the domain ${USER_PATTERN.source}`,
    )
  }
  return value
}

/** A routed request: its upper-case op name (for metrics and logs) and how to run it. */
export interface RoutedOp {
  readonly op: string
  readonly run: () => Promise<WebHdfsReply>
}

/**
 * Decodes a `/webhdfs/v1` path suffix (`''`, `/`, `/a/b`) into a normalised absolute path.
 * Repeated slashes collapse, as Hadoop's `Path` does; `.` and `..` are refused by the engine's
 * path rules (400 InvalidPathException).
 */
export function decodeWebHdfsPath(rawSuffix: string): string {
  let path: string
  try {
    path = decodeURIComponent(rawSuffix)
  } catch {
    throw new FsError('INVALID_PATH', `Invalid path name ${rawSuffix}: bad percent-encoding`)
  }
  if (path === '') return '/'
  path = path.replace(/\/{2,}/g, '/')
  return parseHdfsPath(path).path
}

/**
 * Routes one WebHDFS request. Parsing errors throw (the caller turns them into a
 * RemoteException); otherwise returns the op name and a function running it.
 */
export function routeWebHdfs(
  svc: WebHdfsServices,
  method: string,
  rawPathSuffix: string,
  query: string,
  ip = '',
  authenticatedUser?: string,
): RoutedOp {
  const params = new WebHdfsParams(parseQuery(query))
  const opRaw = params.get('op')
  const table = TABLES[method]
  if (table === undefined) {
    throw new FsError('UNSUPPORTED', `HTTP method ${method} is not supported by WebHDFS`)
  }
  const paramClass = `org.apache.hadoop.hdfs.web.resources.${OP_PARAM_CLASS[method]}.Op`
  if (opRaw === undefined || opRaw === '') {
    throw invalidParam('op', '', `No enum constant ${paramClass}.null`)
  }
  const op = opRaw.toUpperCase()
  const handler = table[op]
  if (handler === undefined) {
    if (UNSUPPORTED[method]?.has(op)) {
      throw new RemoteError(
        'java.lang.UnsupportedOperationException',
        400,
        `Operation ${op} is not supported by Hops`,
      )
    }
    throw invalidParam('op', opRaw, `No enum constant ${paramClass}.${op}`)
  }
  return {
    op,
    run: async () => {
      const user =
        authenticatedUser === undefined
          ? effectiveUser(svc, params)
          : certifiedUser(params, authenticatedUser)
      const path = decodeWebHdfsPath(rawPathSuffix)
      const dst = params.get('destination')
      try {
        const ctx = { user, ...retryIdsOf(params) }
        const reply = await handler({ svc, op, path, params, user, ctx })
        svc.audit({ allowed: true, user, ip, cmd: op, src: path, dst })
        return reply
      } catch (err) {
        svc.audit({ allowed: !isFsError(err, 'ACCESS_DENIED'), user, ip, cmd: op, src: path, dst })
        throw err
      }
    },
  }
}

/**
 * The effective user: `user.name` (else the static user `dr.who`, as Hadoop with security off),
 * or `doas` when the real user is the superuser or a configured proxy user.
 * @throws RemoteError 403 AuthorizationException for a refused `doas`
 */
function effectiveUser(svc: WebHdfsServices, params: WebHdfsParams): string {
  const realUser = userParam('user.name', params.get('user.name') || svc.staticUser)
  const doas = params.get('doas')
  if (doas === undefined || doas === '' || doas === realUser) return realUser
  userParam('doas', doas)
  if (realUser !== svc.defaults().superuser && !svc.proxyUsers.has(realUser)) {
    throw new RemoteError(
      'org.apache.hadoop.security.authorize.AuthorizationException',
      403,
      `User: ${realUser} is not allowed to impersonate ${doas}`,
    )
  }
  return doas
}

/**
 * Secure mode: the caller is the CN of its certificate. A `user.name` naming anyone else is
 * refused rather than ignored (a client that believes it acts as someone else should learn it
 * does not), and so is a `doas` for another user: impersonation needs a proxy-user policy for
 * certificate identities, which secure mode does not have yet.
 * @throws RemoteError 403 AccessControlException
 */
function certifiedUser(params: WebHdfsParams, cn: string): string {
  const userName = params.get('user.name')
  if (userName !== undefined && userName !== '' && userName !== cn) {
    throw new RemoteError(
      'org.apache.hadoop.security.AccessControlException',
      403,
      `user.name=${userName} does not match the client certificate, which identifies ${cn}`,
    )
  }
  const doas = params.get('doas')
  if (doas !== undefined && doas !== '' && doas !== cn) {
    throw new RemoteError(
      'org.apache.hadoop.security.AccessControlException',
      403,
      `doas=${doas} refused: ${cn} may not impersonate other users in secure mode`,
    )
  }
  return cn
}

/**
 * The exactly-once key of a retried mutation (DESIGN §4): `clientid` (the Hops SDK sends a random
 * one per client) and `callid` (kept across retries of one call). With both, the engine records
 * the outcome in `retry_cache` and a retry — on any NameNode — gets the first answer.
 */
function retryIdsOf(params: WebHdfsParams): { clientId?: string; callId?: number } {
  const clientId = params.get('clientid')
  const callId = params.int('callid', undefined, 0)
  if (clientId === undefined || callId === undefined) return {}
  if (!CLIENT_ID_PATTERN.test(clientId)) {
    throw new FsError(
      'INVALID_ARGUMENT',
      `Invalid value for webhdfs parameter "clientid": ${clientId}`,
    )
  }
  return { clientId, callId }
}
