/**
 * @module
 * The load generator of the data-path benchmark, run as a child process of `bench/main.ts` so it
 * never shares the server's event loop. It receives {@link LoadSpec} messages over IPC, runs each
 * with raw `node:http` keep-alive connections (one `http.Agent` per spec, `maxSockets` = callers,
 * so each server sees at most that many connections) and answers a {@link LoadResult}.
 *
 * WebHDFS's two-step protocol is followed by hand: the NameNode request (no body) answers 307
 * with `Location` at a DataNode, where the body is sent (CREATE) or read (OPEN). Bodies are
 * counted and dropped, never buffered whole.
 */
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import { runTimed } from './timed-loop.js'
import type { LoopOptions, Measurement } from './timed-loop.js'

/** The user every request runs as (the superuser: no permission checks in the way). */
const USER = 'hdfs'
const CHUNK = Buffer.alloc(1 << 20, 0x62)

/** What the parent asks for. Timed specs use `runTimed`; stream specs move one large body. */
export type LoadSpec =
  | {
      /** GET each of `urls` in turn (caller k starts at its own offset), expect 200. */
      readonly kind: 'get'
      readonly urls: readonly string[]
      readonly timing: LoopOptions
    }
  | {
      /** Two-step CREATE of `${dir}/c<caller>/f<seq>` with a body of `bytes` bytes. */
      readonly kind: 'create'
      readonly namenode: string
      readonly dir: string
      readonly bytes: number
      readonly timing: LoopOptions
    }
  | {
      /** Two-step OPEN of the files a `create` run made (`counts[k]` files under `c<k>`). */
      readonly kind: 'open'
      readonly namenode: string
      readonly dir: string
      readonly counts: readonly number[]
      readonly bytes: number
      readonly timing: LoopOptions
    }
  | {
      /** One PUT of `bytes` bytes: a two-step CREATE when `twoStep`, else straight to `url`. */
      readonly kind: 'put-stream'
      readonly url: string
      readonly twoStep: boolean
      readonly bytes: number
    }
  | {
      /** One GET of `bytes` bytes: a two-step OPEN when `twoStep`, else straight from `url`. */
      readonly kind: 'get-stream'
      readonly url: string
      readonly twoStep: boolean
      readonly bytes: number
    }

/** The answer to a spec. */
export type LoadResult =
  | { readonly ok: true; readonly measurement?: Measurement; readonly counts?: number[] }
  | { readonly ok: true; readonly bytes: number; readonly seconds: number }
  | { readonly ok: false; readonly error: string }

interface Reply {
  readonly status: number
  readonly location: string | undefined
  readonly bytes: number
  readonly text: string
}

/** One request; the reply body is counted (and kept as text only when small). */
function request(
  agent: http.Agent,
  method: string,
  url: string,
  body?: Buffer | number,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? 0 : typeof body === 'number' ? body : body.length
    const headers: http.OutgoingHttpHeaders = {}
    if (method === 'PUT' || method === 'POST') {
      headers['content-length'] = length
      if (length > 0) headers['content-type'] = 'application/octet-stream'
    }
    const req = http.request(url, { method, agent, headers }, (res) => {
      let bytes = 0
      const kept: Buffer[] = []
      res.on('data', (chunk: Buffer) => {
        if (bytes < 4096) kept.push(chunk)
        bytes += chunk.length
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          bytes,
          text: Buffer.concat(kept).toString('utf8', 0, 4096),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    if (typeof body === 'number') void writeStream(req, body).catch(reject)
    else req.end(body)
  })
}

/** Writes `bytes` bytes of {@link CHUNK} to `req` with back-pressure, then ends it. */
async function writeStream(req: http.ClientRequest, bytes: number): Promise<void> {
  let left = bytes
  while (left > 0) {
    const n = Math.min(left, CHUNK.length)
    left -= n
    if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(err)
        req.once('error', onError)
        req.once('drain', () => {
          req.off('error', onError)
          resolve()
        })
      })
    }
  }
  req.end()
}

function expect(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) {
    throw new Error(`${what}: HTTP ${reply.status} ${reply.text.slice(0, 300)}`)
  }
  return reply
}

/** The two-step protocol: the NameNode's 307, then the DataNode request. */
async function twoStep(
  agent: http.Agent,
  method: 'PUT' | 'GET',
  nnUrl: string,
  body: Buffer | number | undefined,
  okStatus: number,
): Promise<Reply> {
  const first = expect(await request(agent, method, nnUrl), 307, `${method} ${nnUrl}`)
  if (first.location === undefined) throw new Error(`no Location from ${nnUrl}`)
  return expect(await request(agent, method, first.location, body), okStatus, first.location)
}

function webhdfs(namenode: string, path: string, op: string, extra = ''): string {
  return `${namenode}/webhdfs/v1${path}?op=${op}&user.name=${USER}${extra}`
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const callers = 'timing' in spec ? spec.timing.callers : 1
  const agent = new http.Agent({ keepAlive: true, maxSockets: callers, maxFreeSockets: callers })
  try {
    switch (spec.kind) {
      case 'get': {
        const stride = Math.max(1, Math.floor(spec.urls.length / callers))
        const measurement = await runTimed(spec.timing, async (k, seq) => {
          const url = spec.urls[(k * stride + seq) % spec.urls.length]!
          expect(await request(agent, 'GET', url), 200, url)
        })
        return { ok: true, measurement }
      }
      case 'create': {
        const body = Buffer.alloc(spec.bytes, 0x63)
        const counts = new Array<number>(callers).fill(0)
        const measurement = await runTimed(spec.timing, async (k, seq) => {
          const url = webhdfs(spec.namenode, `${spec.dir}/c${k}/f${seq}`, 'CREATE')
          await twoStep(agent, 'PUT', url, body.length > 0 ? body : undefined, 201)
          counts[k] = seq + 1
        })
        return { ok: true, measurement, counts }
      }
      case 'open': {
        const measurement = await runTimed(spec.timing, async (k, seq) => {
          const n = spec.counts[k % spec.counts.length] ?? 0
          if (n === 0) return false
          // As the Hops SDK reads: `inlineread=true` lets the NameNode answer a small file
          // itself (200); a file in blocks still gets the 307 to a DataNode.
          const url = webhdfs(
            spec.namenode,
            `${spec.dir}/c${k % spec.counts.length}/f${seq % n}`,
            'OPEN',
            '&inlineread=true',
          )
          const first = await request(agent, 'GET', url)
          const reply =
            first.status === 200
              ? first
              : expect(await request(agent, 'GET', expect(first, 307, url).location!), 200, url)
          if (reply.bytes !== spec.bytes) throw new Error(`${url}: ${reply.bytes} bytes`)
        })
        return { ok: true, measurement }
      }
      case 'put-stream': {
        const t0 = performance.now()
        if (spec.twoStep) await twoStep(agent, 'PUT', spec.url, spec.bytes, 201)
        else expect(await request(agent, 'PUT', spec.url, spec.bytes), 201, spec.url)
        return { ok: true, bytes: spec.bytes, seconds: (performance.now() - t0) / 1000 }
      }
      case 'get-stream': {
        const t0 = performance.now()
        const reply = spec.twoStep
          ? await twoStep(agent, 'GET', spec.url, undefined, 200)
          : expect(await request(agent, 'GET', spec.url), 200, spec.url)
        if (reply.bytes !== spec.bytes) throw new Error(`${spec.url}: ${reply.bytes} bytes`)
        return { ok: true, bytes: reply.bytes, seconds: (performance.now() - t0) / 1000 }
      }
    }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  } finally {
    agent.destroy()
  }
}

/** The URL helper, shared with the parent. */
export { webhdfs }

if (process.send !== undefined && process.argv[1]?.endsWith('data-load.ts')) {
  process.on('message', (msg: { id: number; spec: LoadSpec } | 'stop') => {
    if (msg === 'stop') process.exit(0)
    void run(msg.spec).then((result) => process.send?.({ id: msg.id, result }))
  })
  process.on('disconnect', () => process.exit(0))
  process.send('ready')
}
