/**
 * @module
 * The filesystem error model: one code table ({@link FS_ERRORS}) and one error class ({@link FsError}).
 * Codes map to the Java class names Hadoop clients rebuild exceptions from, and to the HTTP status
 * WebHDFS answers with (`ExceptionHandler.java`: FileNotFoundException → 404, other IOException → 403,
 * IllegalArgument/Unsupported → 400, anything else → 500).
 */

export const FS_ERRORS = {
  FILE_NOT_FOUND: { javaClassName: 'java.io.FileNotFoundException', http: 404 },
  ACCESS_DENIED: { javaClassName: 'org.apache.hadoop.security.AccessControlException', http: 403 },
  FILE_EXISTS: { javaClassName: 'org.apache.hadoop.fs.FileAlreadyExistsException', http: 403 },
  PARENT_NOT_DIRECTORY: {
    javaClassName: 'org.apache.hadoop.fs.ParentNotDirectoryException',
    http: 403,
  },
  DIRECTORY_NOT_EMPTY: {
    javaClassName: 'org.apache.hadoop.fs.PathIsNotEmptyDirectoryException',
    http: 403,
  },
  NOT_A_DIRECTORY: { javaClassName: 'org.apache.hadoop.fs.PathIsNotDirectoryException', http: 403 },
  IS_A_DIRECTORY: { javaClassName: 'java.io.FileNotFoundException', http: 404 },
  NS_QUOTA_EXCEEDED: {
    javaClassName: 'org.apache.hadoop.hdfs.protocol.NSQuotaExceededException',
    http: 403,
  },
  DS_QUOTA_EXCEEDED: {
    javaClassName: 'org.apache.hadoop.hdfs.protocol.DSQuotaExceededException',
    http: 403,
  },
  ALREADY_BEING_CREATED: {
    javaClassName: 'org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException',
    http: 403,
  },
  LEASE_EXPIRED: {
    javaClassName: 'org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException',
    http: 403,
  },
  SAFE_MODE: {
    javaClassName: 'org.apache.hadoop.hdfs.server.namenode.SafeModeException',
    http: 403,
  },
  RETRIABLE: { javaClassName: 'org.apache.hadoop.ipc.RetriableException', http: 403 },
  PATH_COMPONENT_TOO_LONG: {
    javaClassName: 'org.apache.hadoop.hdfs.protocol.FSLimitException$PathComponentTooLongException',
    http: 403,
  },
  MAX_DIRECTORY_ITEMS: {
    javaClassName:
      'org.apache.hadoop.hdfs.protocol.FSLimitException$MaxDirectoryItemsExceededException',
    http: 403,
  },
  IO_ERROR: { javaClassName: 'java.io.IOException', http: 403 },
  INVALID_PATH: { javaClassName: 'org.apache.hadoop.fs.InvalidPathException', http: 400 },
  INVALID_ARGUMENT: { javaClassName: 'java.lang.IllegalArgumentException', http: 400 },
  UNSUPPORTED: { javaClassName: 'java.lang.UnsupportedOperationException', http: 400 },
  INTERNAL: { javaClassName: 'java.lang.RuntimeException', http: 500 },
  /** An invalid ACL or ACL change (an IOException in Hadoop, hence 403). */
  ACL_EXCEPTION: { javaClassName: 'org.apache.hadoop.hdfs.protocol.AclException', http: 403 },
  /** A block access token that is missing, forged, expired or for something else. */
  INVALID_BLOCK_TOKEN: {
    javaClassName: 'org.apache.hadoop.security.token.SecretManager$InvalidToken',
    http: 403,
  },
} as const satisfies Record<string, { javaClassName: string; http: number }>

/** One of the codes of {@link FS_ERRORS}. */
export type FsErrorCode = keyof typeof FS_ERRORS

/** A filesystem error with a code from {@link FS_ERRORS}; the message names the path, never SQL. */
export class FsError extends Error {
  override readonly name = 'FsError'
  constructor(
    readonly code: FsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  /** The Java class name Hadoop clients expect for this error. */
  get javaClassName(): string {
    return FS_ERRORS[this.code].javaClassName
  }

  /** The HTTP status WebHDFS answers with. */
  get httpStatus(): number {
    return FS_ERRORS[this.code].http
  }
}

/** True when `err` is an {@link FsError}, optionally with the given code. */
export function isFsError(err: unknown, code?: FsErrorCode): err is FsError {
  return err instanceof FsError && (code === undefined || err.code === code)
}
