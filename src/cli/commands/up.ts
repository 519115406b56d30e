/**
 * `hops up`: the embedded default on this machine — SQLite metadata in the data directory, one
 * NameNode (WebHDFS on `--port`) and three DataNodes (each its own directory and port) in one
 * process. Ctrl-C stops it cleanly; a restart keeps every file.
 *
 * `--secure`: HTTPS with client certificates everywhere (see `cluster/secure-setup.ts`); the
 * user's certificate (`default__<user>`) is written to `~/.hops/certs/default__<user>/`, where
 * `hops dfs` finds it with no flags.
 */
import type { Command } from 'commander'
import { userInfo } from 'node:os'
import { pino } from 'pino'
import { startLocalCluster } from '../../cluster/local-cluster.js'
import { redactUrl } from '../../meta/open-meta-engine.js'
import { dataDirOf, metaUrlOf } from '../meta-url.js'

interface UpOptions {
  readonly meta?: string
  readonly dataDir?: string
  readonly port: string
  readonly host: string
  readonly datanodes: string
  readonly secure?: boolean
}

function portArg(value: string, name: string, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > 65535) {
    throw new Error(`${name} must be an integer ${min}..65535, got '${value}'`)
  }
  return n
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('start Hops on this machine: SQLite metadata, a NameNode and three DataNodes')
    .option('--data-dir <dir>', 'data directory (default ./hops-data or HOPS_DATA_DIR)')
    .option('--port <port>', 'NameNode HTTP (WebHDFS) port', '9870')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--datanodes <n>', 'number of DataNodes', '3')
    .option('--meta <url>', 'metadata database URL (default sqlite:<data-dir>/meta.db)')
    .option(
      '--secure',
      'HTTPS with client certificates (CA keys sealed with HOPS_SECRET_KEY or <data-dir>/secret.key)',
    )
    .action(async (options: UpOptions) => {
      let port: number
      let datanodes: number
      try {
        port = portArg(options.port, '--port', 0)
        datanodes = portArg(options.datanodes, '--datanodes', 1)
      } catch (err) {
        process.stderr.write(`hops up: ${(err as Error).message}\n`)
        process.exitCode = 1
        return
      }
      const log = pino({
        base: { component: 'hops.up' },
        level: process.env.HOPS_LOG_LEVEL ?? 'info',
      })
      const dataDir = dataDirOf(options)
      const metaUrl = metaUrlOf(options)
      const osUser = userInfo().username
      const secure = options.secure === true
      const cluster = await startLocalCluster({
        dataDir,
        metaUrl,
        host: options.host,
        port,
        datanodes,
        logger: log,
        engine: {
          housekeepingIntervalMs: 1000,
          // Secure mode: the identity is the certificate's CN, default__<user>.
          initialSettings: { superuser: secure ? `default__${osUser}` : osUser },
        },
        ...(secure ? { secure: { user: osUser } } : {}),
      }).catch((err: unknown) => {
        process.stderr.write(`hops up: ${(err as Error).message}\n`)
        process.exit(1)
      })
      const url = cluster.namenodeUrl
      const common = [
        `  NameNode + WebHDFS  ${url}/webhdfs/v1/   (cluster overview: ${url}/)`,
        `  DataNodes           ${cluster.datanodes.map((d) => d.httpAddress).join('  ')}`,
        `  metadata            ${redactUrl(metaUrl)}`,
        `  data                ${dataDir}`,
        '',
      ]
      const sec = cluster.secure
      const lines =
        sec === undefined
          ? [
              '',
              `Hops is up (insecure mode: identities come from user.name).`,
              ...common,
              'Try:',
              `  npx hops dfs --namenode ${url} -mkdir -p /user/${osUser}`,
              `  npx hops dfs --namenode ${url} -put README.md /user/${osUser}/`,
              `  curl -L "${url}/webhdfs/v1/user/${osUser}/README.md?op=OPEN&user.name=${osUser}"`,
              'Ctrl-C stops.',
              '',
            ]
          : [
              '',
              `Hops is up in secure mode: HTTPS, client certificates required, you are ${sec.userCn}.`,
              ...common,
              `  your certificate    ${sec.userCertDir}/ (key.pem, cert.pem, chain.pem, ca.pem)`,
              ...(sec.secretFile === undefined
                ? ['  secret key          from HOPS_SECRET_KEY']
                : [`  secret key          ${sec.secretFile} (keep it private)`]),
              '',
              'Try:',
              `  npx hops dfs --namenode ${url} -mkdir -p /user/${sec.userCn}`,
              `  npx hops dfs --namenode ${url} -put README.md /user/${sec.userCn}/`,
              `  curl --cert ${sec.userCertDir}/cert.pem --key ${sec.userCertDir}/key.pem --cacert ${sec.userCertDir}/ca.pem -L "${url}/webhdfs/v1/user/${sec.userCn}/README.md?op=OPEN"`,
              'Ctrl-C stops.',
              '',
            ]
      process.stdout.write(lines.join('\n'))
      let stopping = false
      const stop = (): void => {
        if (stopping) return
        stopping = true
        log.info('stopping')
        void cluster.stop().then(() => process.exit(0))
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
}
