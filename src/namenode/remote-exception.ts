/**
 * @module
 * The WebHDFS error edge: every error leaving the NameNode becomes a `RemoteException` body with
 * the Java class name Hadoop clients rebuild the exception from, and the HTTP status of Hadoop's
 * `ExceptionHandler.java` (FileNotFoundException 404, other IOException 403,
 * IllegalArgument/UnsupportedOperation 400, anything else 500).
 */
import type { Logger } from 'pino'
import { isFsError } from '../common/fs-error.js'

/**
 * An error only the HTTP edge raises (e.g. Hadoop's `AuthorizationException` for a refused
 * `doas`): it carries its own Java class and status instead of an `FsError` code.
 */
export class RemoteError extends Error {
  override readonly name = 'RemoteError'
  constructor(
    readonly javaClassName: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(message)
  }
}

/** `IllegalArgumentException` for a bad WebHDFS parameter, worded like Hadoop's `Param` parsers. */
export function invalidParam(name: string, value: string, why: string): RemoteError {
  return new RemoteError(
    'java.lang.IllegalArgumentException',
    400,
    `Invalid value for webhdfs parameter "${name}": ${why || value}`,
  )
}

/** A translated error: the HTTP status and the JSON body. */
export interface RemoteExceptionReply {
  readonly status: number
  readonly body: string
}

/** Hadoop's `Class.getSimpleName()` of a class name (nested classes after the `$`). */
function simpleName(javaClassName: string): string {
  return javaClassName.slice(
    Math.max(javaClassName.lastIndexOf('.'), javaClassName.lastIndexOf('$')) + 1,
  )
}

/** Builds the `RemoteException` body for a Java class name and a message. */
export function remoteExceptionBody(javaClassName: string, message: string): string {
  return JSON.stringify({
    RemoteException: { exception: simpleName(javaClassName), javaClassName, message },
  })
}

/**
 * Translates any error into a WebHDFS `RemoteException` reply. Unknown errors (bugs) are logged
 * here, once, with their stack, and answered as 500 `java.lang.RuntimeException`.
 */
export function toRemoteException(err: unknown, log?: Logger): RemoteExceptionReply {
  if (isFsError(err)) {
    if (err.httpStatus >= 500) log?.error({ err }, 'internal error')
    return { status: err.httpStatus, body: remoteExceptionBody(err.javaClassName, err.message) }
  }
  if (err instanceof RemoteError) {
    return { status: err.httpStatus, body: remoteExceptionBody(err.javaClassName, err.message) }
  }
  log?.error({ err }, 'unexpected error')
  const message = err instanceof Error ? err.message || err.name : String(err)
  return { status: 500, body: remoteExceptionBody('java.lang.RuntimeException', message) }
}
