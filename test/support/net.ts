/** Loopback ports for tests. */
import { createServer } from 'node:net'

/** A TCP port on 127.0.0.1 that was free a moment ago (bind it soon). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}
