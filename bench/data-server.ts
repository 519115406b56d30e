/**
 * @module
 * The server side of the data-path benchmark, run as a child process of `bench/main.ts`
 * (`fork(…, { execArgv: ['--import', 'tsx'] })`) so that no load generator shares its event loop:
 *
 * - `cluster <dataDir> <datanodes>`: `startLocalCluster` on port 0 (SQLite metadata, a NameNode
 *   and the DataNodes in this one process), as `hops up` runs it;
 * - `bare <jsonFile>`: a plain `node:http` server, the ceiling for the same requests:
 *   `GET /json` answers the bytes of `jsonFile` (a real GETFILESTATUS reply) as
 *   `application/json`, `PUT /sink` discards its body (201), `GET /source?bytes=N` streams N
 *   bytes from one 1 MiB buffer.
 *
 * Sends `{ url, pid }` to the parent over IPC once listening, and stops on the message `'stop'`
 * (cleanly, so that `--cpu-prof` can write its profile).
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { startLocalCluster } from '../src/cluster/local-cluster.js'

/** What the server tells its parent once it listens. */
export interface ServerReady {
  readonly url: string
  readonly pid: number
}

const CHUNK = Buffer.alloc(1 << 20, 0x61)

/** Streams `bytes` bytes from {@link CHUNK}, honouring back-pressure. */
function streamBytes(res: http.ServerResponse, bytes: number): void {
  let left = bytes
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length)
      left -= n
      const more = res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))
      if (!more) {
        res.once('drain', pump)
        return
      }
    }
    res.end()
  }
  pump()
}

async function startBare(jsonFile: string): Promise<{ url: string; stop(): Promise<void> }> {
  const json = readFileSync(jsonFile)
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.method === 'GET' && url.pathname === '/json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length })
      res.end(json)
    } else if (req.method === 'PUT' && url.pathname === '/sink') {
      req.on('data', () => undefined)
      req.on('end', () => {
        res.writeHead(201, { 'content-length': 0 })
        res.end()
      })
    } else if (req.method === 'GET' && url.pathname === '/source') {
      const bytes = Number(url.searchParams.get('bytes') ?? 0)
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes })
      streamBytes(res, bytes)
    } else {
      req.resume()
      res.writeHead(404, { 'content-length': 0 })
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function main(): Promise<void> {
  const [mode, arg1, arg2] = process.argv.slice(2)
  let running: { url: string; stop(): Promise<void> }
  if (mode === 'cluster' && arg1 !== undefined) {
    const cluster = await startLocalCluster({
      dataDir: arg1,
      port: 0,
      datanodes: Number(arg2 ?? 3),
    })
    running = { url: cluster.namenodeUrl, stop: () => cluster.stop() }
  } else if (mode === 'bare' && arg1 !== undefined) {
    running = await startBare(arg1)
  } else {
    throw new Error('usage: data-server.ts cluster <dataDir> <datanodes> | bare <jsonFile>')
  }
  process.on('message', (msg) => {
    if (msg !== 'stop') return
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
  process.on('disconnect', () => process.exit(0))
  const ready: ServerReady = { url: running.url, pid: process.pid }
  process.send?.(ready)
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
