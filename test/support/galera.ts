/**
 * A private 3-node MariaDB Galera cluster for tests, on loopback ports, run as this test's own
 * processes (the machine's MariaDB on 3306 is never touched).
 *
 * `mariadb-install-db` fills node 1's datadir; node 1 bootstraps the cluster
 * (`--wsrep-new-cluster`), then nodes 2 and 3 join one after the other with an empty datadir and
 * get it by rsync SST (the `rsync` binary must be installed; Debian's mariadb-server and galera-4
 * packages bring the rest). Each node has its own SQL, gcomm, IST and SST port, socket, pid file
 * and log. The helper waits until every node reports `wsrep_cluster_size = 3` and `Synced`
 * (about 10 s here: each SST takes 3–4 s). Running as root, the servers run as the `mysql` user
 * (rsync's daemon would otherwise drop to `nobody` and fail to write the joiner's datadir).
 *
 * Clean-up: {@link GaleraCluster.stop}, an `exit` hook, and a detached watchdog shell that kills
 * the servers and removes the temp dir if this process dies without either (e.g. `kill -9`).
 *
 * `META_TEST_GALERA_URLS` (comma-separated `mysql://user:pass@host:port/db`, one per node of an
 * existing cluster, with rights to CREATE DATABASE) replaces the private cluster.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import mysql from 'mysql2/promise'
import { exited, waitFor } from './hops-process.js'
import { freePort } from './net.js'

/** A running Galera cluster. */
export interface GaleraCluster {
  /** One admin URL per node (`mysql://root@127.0.0.1:<port>/mysql`), node 1 first. */
  readonly adminUrls: readonly string[]
  /** Wall time from the first `mariadb-install-db` to three Synced nodes (0 when external). */
  readonly startMs: number
  /** Creates an empty database (replicated to every node); its URL on each node, and a drop. */
  createDatabase(): Promise<{ urls: string[]; drop: () => Promise<void> }>
  /** A numeric `SHOW GLOBAL STATUS` value of one node (0-based). */
  status(node: number, name: string): Promise<number>
  /** Stops the servers and removes their files (no-op for an external cluster). */
  stop(): Promise<void>
}

/** Options of {@link startGaleraCluster}. */
export interface GaleraOptions {
  /** Number of nodes; default 3. */
  readonly nodes?: number
  /** Time allowed for the whole start; default 90 000 ms. */
  readonly timeoutMs?: number
}

const PROVIDERS = [
  '/usr/lib/galera/libgalera_smm.so',
  '/usr/lib/libgalera_smm.so',
  '/usr/lib/galera-4/libgalera_smm.so',
  '/usr/lib64/galera-4/libgalera_smm.so',
  '/usr/lib64/galera/libgalera_smm.so',
  '/usr/lib/x86_64-linux-gnu/galera/libgalera_smm.so',
  '/usr/lib/aarch64-linux-gnu/galera/libgalera_smm.so',
]

/** `name` on PATH or in one of `dirs`, or undefined. */
function findBinary(names: readonly string[], dirs: readonly string[] = []): string | undefined {
  const path = (process.env.PATH ?? '').split(delimiter)
  for (const name of names) {
    for (const dir of [...path, ...dirs]) {
      const file = join(dir, name)
      if (dir !== '' && existsSync(file)) return file
    }
  }
  return undefined
}

/** `wsrep_provider`: `WSREP_PROVIDER` if set, else the first known location that exists. */
function findProvider(): string | undefined {
  const fromEnv = process.env.WSREP_PROVIDER
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  return PROVIDERS.find((p) => existsSync(p))
}

function required(what: string, value: string | undefined, hint: string): string {
  if (value === undefined) throw new Error(`Galera test cluster: ${what} not found. ${hint}`)
  return value
}

/** uid/gid the servers run as: the `mysql` account when we are root, else ourselves. */
function serverAccount(): { user: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  try {
    const uid = Number(execFileSync('id', ['-u', 'mysql'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'mysql'], { encoding: 'utf8' }).trim())
    return { user: 'mysql', uid, gid }
  } catch (err) {
    throw new Error(
      'Galera test cluster: running as root needs a `mysql` account for the servers ' +
        '(installed with mariadb-server)',
      { cause: err },
    )
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid)
  if (!statSync(path).isDirectory()) return
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid)
}

interface Node {
  readonly name: string
  readonly port: number
  readonly dir: string
  readonly cnf: string
  readonly log: string
  child?: ChildProcess
}

/** Runs `sql` on the server at `url` (one connection). */
async function query<T>(url: string, sql: string): Promise<T[]> {
  const conn = await mysql.createConnection({ uri: url, connectTimeout: 2000 })
  try {
    const [rows] = await conn.query(sql)
    return rows as T[]
  } finally {
    await conn.end()
  }
}

async function statusOf(url: string, name: string): Promise<string | undefined> {
  const rows = await query<{ Value: string }>(url, `SHOW GLOBAL STATUS LIKE '${name}'`)
  return rows[0]?.Value
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/**
 * Starts a private Galera cluster (see the module comment).
 * @throws when a binary is missing or the cluster does not form in time (with the logs' tails)
 */
export async function startGaleraCluster(options: GaleraOptions = {}): Promise<GaleraCluster> {
  const n = options.nodes ?? 3
  const timeoutMs = options.timeoutMs ?? 90_000
  const started = Date.now()
  const mariadbd = required(
    'mariadbd',
    findBinary(['mariadbd', 'mysqld'], ['/usr/sbin', '/usr/libexec', '/usr/local/sbin']),
    'Install mariadb-server.',
  )
  const installDb = required(
    'mariadb-install-db',
    findBinary(['mariadb-install-db', 'mysql_install_db'], ['/usr/bin', '/usr/scripts']),
    'Install mariadb-server.',
  )
  const provider = required(
    'libgalera_smm.so',
    findProvider(),
    'Install galera-4 (or set WSREP_PROVIDER to the library).',
  )
  required('rsync', findBinary(['rsync'], ['/usr/bin']), 'Install rsync (used for SST).')
  const account = serverAccount()

  const base = mkdtempSync(join(tmpdir(), 'hops-galera-'))
  const nodes: Node[] = []
  const clusterName = `hops_test_${randomBytes(4).toString('hex')}`
  const gcomm: number[] = []
  for (let i = 1; i <= n; i++) gcomm.push(await freePort())
  for (let i = 1; i <= n; i++) {
    const [port, ist, sst] = [await freePort(), await freePort(), await freePort()]
    const dir = join(base, `n${i}`)
    mkdirSync(join(dir, 'data'), { recursive: true })
    const node: Node = {
      name: `n${i}`,
      port,
      dir,
      cnf: join(dir, 'my.cnf'),
      log: join(dir, 'error.log'),
    }
    writeFileSync(
      node.cnf,
      `[mysqld]
datadir=${join(dir, 'data')}
socket=${join(dir, 'mysqld.sock')}
pid-file=${join(dir, 'mysqld.pid')}
log-error=${node.log}
port=${port}
bind-address=127.0.0.1
${account !== undefined ? `user=${account.user}` : ''}
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=0
performance_schema=OFF
max_connections=500
wsrep_on=ON
wsrep_provider=${provider}
wsrep_cluster_name=${clusterName}
wsrep_cluster_address=gcomm://${gcomm.map((p) => `127.0.0.1:${p}`).join(',')}
wsrep_node_name=n${i}
wsrep_node_address=127.0.0.1:${gcomm[i - 1]}
wsrep_node_incoming_address=127.0.0.1:${port}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${gcomm[i - 1]};ist.recv_addr=127.0.0.1:${ist};gcache.size=128M"
wsrep_sst_receive_address=127.0.0.1:${sst}
wsrep_sst_method=rsync
wsrep_slave_threads=2
`,
    )
    nodes.push(node)
  }

  if (account !== undefined) chownTree(base, account.uid, account.gid)
  // Node 1's datadir: the system tables, root@127.0.0.1 without password.
  try {
    execFileSync(
      installDb,
      [
        '--no-defaults',
        `--datadir=${join(nodes[0]!.dir, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--innodb-log-file-size=16M',
        ...(account !== undefined ? [`--user=${account.user}`] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    )
  } catch (err) {
    rmSync(base, { recursive: true, force: true })
    const out = err as { stdout?: string; stderr?: string }
    throw new Error(`${installDb} failed: ${out.stderr ?? ''}${out.stdout ?? ''}`, { cause: err })
  }

  const watchdog = spawn(
    'sh',
    [
      '-c',
      // Outlives a kill -9 of this process: then it kills the servers and removes their files.
      `while kill -0 ${process.pid} 2>/dev/null && [ -d '${base}' ]; do sleep 1; done; ` +
        `for f in '${base}'/n*/mysqld.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")"; done; ` +
        `sleep 1; rm -rf '${base}'`,
    ],
    { detached: true, stdio: 'ignore' },
  )
  watchdog.unref()

  let stopped = false
  const killAll = (): void => {
    for (const node of nodes) node.child?.kill('SIGKILL')
  }
  const onExit = (): void => {
    killAll()
    rmSync(base, { recursive: true, force: true })
  }
  process.once('exit', onExit)

  const urlOf = (node: Node, db: string): string => `mysql://root@127.0.0.1:${node.port}/${db}`

  const startNode = async (node: Node, bootstrap: boolean): Promise<void> => {
    const child = spawn(
      mariadbd,
      [`--defaults-file=${node.cnf}`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])],
      { stdio: 'ignore' },
    )
    child.unref() // the exit hook or the watchdog ends it; it must not keep this process alive
    node.child = child
    await waitFor(
      `Galera node ${node.name} to be Synced`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${node.name} exited:\n${tail(node.log)}`)
        return (await statusOf(urlOf(node, 'mysql'), 'wsrep_local_state_comment')) === 'Synced'
      },
      Math.max(1000, started + timeoutMs - Date.now()),
      100,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tail(node.log)}`, {
        cause: err,
      })
    })
  }

  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    process.removeListener('exit', onExit)
    // The data is thrown away: no clean shutdown (Galera's takes ~5 s).
    await Promise.all(
      nodes.map(async (node) => {
        const child = node.child
        if (child === undefined) return
        child.kill('SIGKILL')
        await exited(child)
      }),
    )
    rmSync(base, { recursive: true, force: true })
  }

  try {
    // One joiner at a time: a donor serves one SST at once, a second joiner would wait anyway.
    for (let i = 0; i < nodes.length; i++) await startNode(nodes[i]!, i === 0)
    await waitFor(
      `wsrep_cluster_size = ${n} on every node`,
      async () => {
        for (const node of nodes) {
          if (Number(await statusOf(urlOf(node, 'mysql'), 'wsrep_cluster_size')) !== n) return false
        }
        return true
      },
      10_000,
      100,
    )
  } catch (err) {
    await stop().catch(() => undefined)
    throw err
  }

  return clusterOf(
    nodes.map((node) => urlOf(node, 'mysql')),
    Date.now() - started,
    stop,
  )
}

function clusterOf(
  adminUrls: readonly string[],
  startMs: number,
  stop: () => Promise<void>,
): GaleraCluster {
  return {
    adminUrls,
    startMs,
    stop,
    async createDatabase() {
      const name = `hops_test_${randomBytes(6).toString('hex')}`
      await query(adminUrls[0]!, `CREATE DATABASE ${name}`)
      const urls = adminUrls.map((u) => {
        const url = new URL(u)
        url.pathname = `/${name}`
        return url.toString()
      })
      // DDL replicates in total order; wait until every node has it anyway before handing out.
      for (const u of adminUrls) {
        await waitFor(`database ${name} on ${u}`, async () => {
          const rows = await query(u, `SHOW DATABASES LIKE '${name}'`)
          return rows.length === 1
        })
      }
      return {
        urls,
        drop: async () => {
          await query(adminUrls[0]!, `DROP DATABASE IF EXISTS ${name}`)
        },
      }
    },
    async status(node, name) {
      return Number((await statusOf(adminUrls[node]!, name)) ?? NaN)
    },
  }
}

let shared: Promise<GaleraCluster> | undefined

/**
 * The cluster shared by this process's tests: `META_TEST_GALERA_URLS` if set, else a private
 * cluster started on first use and stopped when the process exits.
 */
export function galeraCluster(): Promise<GaleraCluster> {
  shared ??= (async () => {
    const fromEnv = process.env.META_TEST_GALERA_URLS
    if (fromEnv !== undefined && fromEnv !== '') {
      return clusterOf(
        fromEnv.split(',').map((u) => u.trim()),
        0,
        () => Promise.resolve(),
      )
    }
    const cluster = await startGaleraCluster()
    console.log(
      `Galera test cluster: ${cluster.adminUrls.length} nodes Synced in ${cluster.startMs} ms`,
    )
    return cluster
  })()
  return shared
}
