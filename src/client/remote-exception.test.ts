import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FsError } from '../common/fs-error.js'
import {
  decodeErrorReply,
  isStandbyException,
  parseRemoteException,
  remoteExceptionOf,
} from './remote-exception.js'

function body(exception: string, javaClassName: string | undefined, message: string): string {
  return JSON.stringify({ RemoteException: { exception, javaClassName, message } })
}

describe('RemoteException decoding', () => {
  it('maps javaClassName onto FsError codes', () => {
    const cases: [string, string, FsError['code']][] = [
      ['FileNotFoundException', 'java.io.FileNotFoundException', 'FILE_NOT_FOUND'],
      [
        'AccessControlException',
        'org.apache.hadoop.security.AccessControlException',
        'ACCESS_DENIED',
      ],
      [
        'FileAlreadyExistsException',
        'org.apache.hadoop.fs.FileAlreadyExistsException',
        'FILE_EXISTS',
      ],
      [
        'PathIsNotEmptyDirectoryException',
        'org.apache.hadoop.fs.PathIsNotEmptyDirectoryException',
        'DIRECTORY_NOT_EMPTY',
      ],
      [
        'NSQuotaExceededException',
        'org.apache.hadoop.hdfs.protocol.NSQuotaExceededException',
        'NS_QUOTA_EXCEEDED',
      ],
      ['IllegalArgumentException', 'java.lang.IllegalArgumentException', 'INVALID_ARGUMENT'],
      ['UnsupportedOperationException', 'java.lang.UnsupportedOperationException', 'UNSUPPORTED'],
      ['SecurityException', 'java.lang.SecurityException', 'ACCESS_DENIED'],
    ]
    for (const [simple, cls, code] of cases) {
      const err = decodeErrorReply(403, body(simple, cls, `boom ${simple}`), 'X /a')
      assert.ok(err instanceof FsError)
      assert.equal(err.code, code, cls)
      assert.equal(err.message, `boom ${simple}`)
      assert.equal(remoteExceptionOf(err)?.javaClassName, cls)
    }
  })

  it('falls back to the simple exception name when javaClassName is missing', () => {
    assert.equal(
      decodeErrorReply(404, body('FileNotFoundException', undefined, 'x'), 'X').code,
      'FILE_NOT_FOUND',
    )
  })

  it('turns an unknown class into IO_ERROR with the remote message', () => {
    const err = decodeErrorReply(
      403,
      body('WeirdException', 'com.example.WeirdException', 'odd'),
      'X',
    )
    assert.equal(err.code, 'IO_ERROR')
    assert.equal(err.message, 'odd')
  })

  it('recognises StandbyException', () => {
    const info = parseRemoteException(
      body('StandbyException', 'org.apache.hadoop.ipc.StandbyException', 'standby'),
    )
    assert.ok(info && isStandbyException(info))
    const other = parseRemoteException(
      body('RetriableException', 'org.apache.hadoop.ipc.RetriableException', 'r'),
    )
    assert.ok(other && !isStandbyException(other))
  })

  it('maps bodies that are not RemoteExceptions by HTTP status', () => {
    assert.equal(decodeErrorReply(500, '<html>oops</html>', 'GETFILESTATUS /a').code, 'IO_ERROR')
    assert.match(
      decodeErrorReply(500, 'oops', 'GETFILESTATUS /a').message,
      /GETFILESTATUS \/a: HTTP 500: oops/,
    )
    assert.equal(decodeErrorReply(401, '', 'X').code, 'ACCESS_DENIED')
    assert.equal(decodeErrorReply(404, '', 'X').code, 'FILE_NOT_FOUND')
    assert.equal(parseRemoteException('{"boolean":true}'), undefined)
    assert.equal(parseRemoteException('not json'), undefined)
  })
})
