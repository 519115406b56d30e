/**
 * @module
 * Small helpers for the NameNode's `node:http` handlers: replies, JSON bodies, query strings.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { RemoteError } from './remote-exception.js'

/** Content type of every JSON reply (Hadoop's Java client insists on `application/json`). */
export const JSON_TYPE = 'application/json'

/** Sends a JSON string with the given status. */
export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

/** Sends an empty reply (`Content-Length: 0`), as WebHDFS does for ops without a result. */
export function sendEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'content-length': 0 })
  res.end()
}

/** Sends text (HTML, Prometheus exposition) with a content type. */
export function sendText(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** True when the request announces a body (a non-zero length or chunked framing). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  if (length !== undefined) return length !== '0'
  return req.headers['transfer-encoding'] !== undefined
}

/**
 * Reads and parses a JSON request body of at most `limitBytes`.
 * @throws RemoteError 400 IllegalArgumentException for malformed JSON or a body over the limit
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limitBytes) {
      throw new RemoteError(
        'java.lang.IllegalArgumentException',
        400,
        `Request body exceeds ${limitBytes} bytes`,
      )
    }
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new RemoteError('java.lang.IllegalArgumentException', 400, 'Malformed JSON request body')
  }
}

function decode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s
  try {
    return decodeURIComponent(s.replaceAll('+', ' '))
  } catch {
    throw new RemoteError('java.lang.IllegalArgumentException', 400, `Malformed URL encoding: ${s}`)
  }
}

/** One query parameter as it came: its decoded lower-case name and value, and its raw text. */
export interface QueryParam {
  readonly name: string
  readonly value: string
  readonly raw: string
}

/**
 * Parses a query string. Names are lower-cased, as Hadoop's `ParamFilter` does, so `startAfter`
 * and `startafter` are the same parameter.
 */
export function parseQuery(query: string): QueryParam[] {
  const out: QueryParam[] = []
  if (query === '') return out
  for (const raw of query.split('&')) {
    if (raw === '') continue
    const eq = raw.indexOf('=')
    const name = decode(eq < 0 ? raw : raw.slice(0, eq)).toLowerCase()
    const value = eq < 0 ? '' : decode(raw.slice(eq + 1))
    out.push({ name, value, raw })
  }
  return out
}
