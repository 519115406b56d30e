/**
 * `hops namenode` / `hops datanode` processes for the fault tests, with the fast timings they
 * share (200 ms heartbeats, 1 s leader duties) on 127.0.0.1 and a free port each.
 */
import { HopsProcess, waitFor } from './hops-process.js'
import { freePort } from './net.js'
import { tmpDir } from './tmp.js'

/** A NameNode process over `dbUrl` (not started); `extraArgs` are appended to the flags. */
export async function namenodeProcess(
  name: string,
  dbUrl: string,
  options: { superuser: string; extraArgs?: readonly string[]; env?: Record<string, string> },
): Promise<HopsProcess> {
  const port = await freePort()
  return new HopsProcess(
    name,
    `http://127.0.0.1:${port}`,
    [
      'namenode',
      '--meta',
      dbUrl,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--heartbeat-interval-ms',
      '200',
      '--housekeeping-interval-ms',
      '1000',
      '--replication-check-interval-ms',
      '1000',
      '--datanode-dead-after-ms',
      '10000',
      '--superuser',
      options.superuser,
      '--log-level',
      'warn',
      ...(options.extraArgs ?? []),
    ],
    options.env,
  )
}

/** A DataNode process reporting to `namenodeUrls` (not started), with its own temp dir. */
export async function datanodeProcess(
  name: string,
  namenodeUrls: readonly string[],
  env: Record<string, string> = {},
): Promise<HopsProcess> {
  const port = await freePort()
  return new HopsProcess(
    name,
    `http://127.0.0.1:${port}`,
    [
      'datanode',
      '--namenodes',
      namenodeUrls.join(','),
      '--dir',
      tmpDir('hops-dn-'),
      '--port',
      String(port),
    ],
    { DATANODE_HEARTBEAT_INTERVAL_MS: '200', DATANODE_LOG_LEVEL: 'warn', ...env },
  )
}

/** Waits until the NameNode at `nnUrl` counts `n` DataNodes in state NORMAL. */
export async function waitForLiveDatanodes(nnUrl: string, n: number, timeoutMs = 15_000) {
  await waitFor(
    `${n} live DataNodes`,
    async () => {
      const metrics = await (await fetch(`${nnUrl}/metrics`)).text()
      return new RegExp(`hops_datanodes\\{state="NORMAL"\\} ${n}\\b`).test(metrics)
    },
    timeoutMs,
  )
}
