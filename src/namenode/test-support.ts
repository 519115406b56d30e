/**
 * Test helper: a real metadata engine on a temp SQLite file and a real NameNodeServer on
 * 127.0.0.1 port 0, and small WebHDFS request helpers over `fetch`.
 */
import { openMetaEngine } from '../meta/open-meta-engine.js'
import type { SqlMetaEngine } from '../meta/sql/sql-meta-engine.js'
import { tmpFile } from '../../test/support/tmp.js'
import { NameNodeServer } from './namenode-server.js'
import type { NameNodeServerOptions } from './namenode-server.js'

/** A started NameNode with its engine. */
export interface TestNameNode {
  readonly engine: SqlMetaEngine
  readonly server: NameNodeServer
  readonly url: string
  /** `GET|PUT|POST|DELETE {url}/webhdfs/v1{path}?{query}` without following redirects. */
  webhdfs(method: string, path: string, query: string, init?: RequestInit): Promise<Response>
  /** `POST {url}/internal/v1/{endpoint}` with a JSON body. */
  internal(endpoint: string, body: unknown): Promise<Response>
  close(): Promise<void>
}

/** Starts an engine and a NameNode; the superuser is `hdfs`. */
export async function startTestNameNode(
  options: Partial<Omit<NameNodeServerOptions, 'engine'>> = {},
): Promise<TestNameNode> {
  const engine = await openMetaEngine(`sqlite:${tmpFile()}`)
  const server = new NameNodeServer({
    engine,
    port: 0,
    replicationCheckIntervalMs: 0,
    housekeepingIntervalMs: 0,
    ...options,
  })
  const url = await server.start()
  return {
    engine,
    server,
    url,
    webhdfs(method, path, query, init) {
      return fetch(`${url}/webhdfs/v1${path}?${query}`, { method, redirect: 'manual', ...init })
    },
    internal(endpoint, body) {
      return fetch(`${url}/internal/v1/${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    },
    async close() {
      await server.stop()
      await engine.close()
    },
  }
}

/** Reads a JSON reply, checking its content type. */
export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  const type = res.headers.get('content-type') ?? ''
  if (!type.startsWith('application/json')) {
    throw new Error(
      `expected application/json, got '${type}' (status ${res.status}): ${await res.text()}`,
    )
  }
  return (await res.json()) as T
}

/** The `RemoteException` of an error reply. */
export async function remoteException(
  res: Response,
): Promise<{ exception: string; javaClassName: string; message: string }> {
  const body = await json<{
    RemoteException: { exception: string; javaClassName: string; message: string }
  }>(res)
  return body.RemoteException
}
