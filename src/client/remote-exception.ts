/**
 * @module
 * Decoding WebHDFS error replies into {@link FsError}: the mirror image of the NameNode's
 * `toRemoteException`. A reply body `{"RemoteException":{"exception","javaClassName","message"}}`
 * is mapped by `javaClassName` (or, when that is missing, by the simple `exception` name) onto the
 * code table of `common/fs-error.ts`. An unknown class becomes IO_ERROR with the remote message.
 * `StandbyException` is recognised separately: the SDK fails over to the next NameNode.
 */
import { FS_ERRORS, FsError } from '../common/fs-error.js'
import type { FsErrorCode } from '../common/fs-error.js'

/** The Java class a NameNode uses to send clients elsewhere (HA failover). */
export const STANDBY_EXCEPTION = 'org.apache.hadoop.ipc.StandbyException'

/** The fields of a WebHDFS `RemoteException` body. */
export interface RemoteExceptionInfo {
  readonly exception: string
  readonly javaClassName: string
  readonly message: string
}

// First code wins where two share a class (IS_A_DIRECTORY is a FileNotFoundException on the wire).
const BY_CLASS = new Map<string, FsErrorCode>()
const BY_SIMPLE_NAME = new Map<string, FsErrorCode>()
for (const [code, { javaClassName }] of Object.entries(FS_ERRORS) as [
  FsErrorCode,
  { javaClassName: string },
][]) {
  if (!BY_CLASS.has(javaClassName)) BY_CLASS.set(javaClassName, code)
  const simple = javaClassName.slice(javaClassName.lastIndexOf('.') + 1)
  if (!BY_SIMPLE_NAME.has(simple)) BY_SIMPLE_NAME.set(simple, code)
}
// Classes Hadoop servers send that have no row of their own in our table.
const EXTRA: Record<string, FsErrorCode> = {
  'java.lang.SecurityException': 'ACCESS_DENIED',
  'org.apache.hadoop.security.authorize.AuthorizationException': 'ACCESS_DENIED',
  'org.apache.hadoop.HadoopIllegalArgumentException': 'INVALID_ARGUMENT',
  'org.apache.hadoop.fs.PathNotFoundException': 'FILE_NOT_FOUND',
  'org.apache.hadoop.fs.PathExistsException': 'FILE_EXISTS',
  'org.apache.hadoop.fs.PathIsDirectoryException': 'IS_A_DIRECTORY',
  'org.apache.hadoop.fs.PathAccessDeniedException': 'ACCESS_DENIED',
  'org.apache.hadoop.hdfs.protocol.QuotaExceededException': 'DS_QUOTA_EXCEEDED',
  'org.apache.hadoop.hdfs.protocol.RecoveryInProgressException': 'RETRIABLE',
}
for (const [cls, code] of Object.entries(EXTRA)) {
  BY_CLASS.set(cls, code)
  BY_SIMPLE_NAME.set(cls.slice(cls.lastIndexOf('.') + 1), code)
}

/** Returns the `RemoteException` of a reply body, or undefined when the body is not one. */
export function parseRemoteException(body: string): RemoteExceptionInfo | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const re = (parsed as { RemoteException?: unknown }).RemoteException
  if (typeof re !== 'object' || re === null) return undefined
  const { exception, javaClassName, message } = re as Record<string, unknown>
  const simple = typeof exception === 'string' ? exception : ''
  const cls = typeof javaClassName === 'string' ? javaClassName : ''
  if (simple === '' && cls === '') return undefined
  return {
    exception: simple || cls.slice(cls.lastIndexOf('.') + 1),
    javaClassName: cls,
    message: typeof message === 'string' ? message : '',
  }
}

/** True when the remote exception asks the client to fail over to another NameNode. */
export function isStandbyException(info: RemoteExceptionInfo): boolean {
  return info.javaClassName === STANDBY_EXCEPTION || info.exception === 'StandbyException'
}

/** The {@link FsError} code for a remote exception; IO_ERROR when the class is unknown. */
export function codeOfRemoteException(info: RemoteExceptionInfo): FsErrorCode {
  return (
    (info.javaClassName !== '' ? BY_CLASS.get(info.javaClassName) : undefined) ??
    BY_SIMPLE_NAME.get(info.exception) ??
    'IO_ERROR'
  )
}

/**
 * Turns an HTTP error reply into an {@link FsError}. The `cause` carries the
 * {@link RemoteExceptionInfo} when the body was a `RemoteException`.
 * @param status the HTTP status
 * @param body the reply body (at most a few KiB are looked at)
 * @param what names the request in messages when the body is not a `RemoteException`
 */
export function decodeErrorReply(status: number, body: string, what: string): FsError {
  const info = parseRemoteException(body)
  if (info !== undefined) {
    const message = info.message || info.exception
    return new FsError(codeOfRemoteException(info), message, { cause: info })
  }
  const snippet = body.trim().slice(0, 200)
  const message = `${what}: HTTP ${status}${snippet ? `: ${snippet}` : ''}`
  if (status === 401 || status === 403) return new FsError('ACCESS_DENIED', message)
  if (status === 404) return new FsError('FILE_NOT_FOUND', message)
  if (status === 400) return new FsError('INVALID_ARGUMENT', message)
  return new FsError('IO_ERROR', message)
}

/** The remote exception an {@link FsError} was decoded from, if any. */
export function remoteExceptionOf(err: FsError): RemoteExceptionInfo | undefined {
  const cause = err.cause as Partial<RemoteExceptionInfo> | undefined
  return typeof cause === 'object' && cause !== null && typeof cause.exception === 'string'
    ? (cause as RemoteExceptionInfo)
    : undefined
}
