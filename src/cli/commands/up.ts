/**
 * `hops up`: starts the embedded default on this machine. Today that is the metadata engine on
 * SQLite in the data directory, with its housekeeping; the network roles (NameNode WebHDFS,
 * DataNodes, platform, UI) join it as their issues land.
 */
import type { Command } from 'commander'
import { userInfo } from 'node:os'
import { pino } from 'pino'
import { openMetaEngine, redactUrl } from '../../meta/open-meta-engine.js'
import { dataDirOf, metaUrlOf } from '../meta-url.js'
import type { MetaLocationOptions } from '../meta-url.js'

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('start Hops on this machine (embedded default: SQLite metadata in the data dir)')
    .option('--meta <url>', 'metadata database URL (default sqlite:<data-dir>/meta.db)')
    .option('--data-dir <dir>', 'data directory (default ./hops-data or HOPS_DATA_DIR)')
    .action(async (options: MetaLocationOptions) => {
      const log = pino({ base: { component: 'hops.up' } })
      const url = metaUrlOf(options)
      const engine = await openMetaEngine(url, {
        housekeepingIntervalMs: 1000,
        initialSettings: { superuser: userInfo().username },
      })
      const root = await engine.getContentSummary('/', { user: engine.settings.superuser })
      log.info(
        {
          meta: redactUrl(url),
          dataDir: dataDirOf(options),
          namenodeId: engine.namenodeId,
          files: root.fileCount,
          directories: root.directoryCount,
        },
        'metadata engine up',
      )
      process.stdout.write(
        `Hops is up: metadata ${redactUrl(url)} (${root.directoryCount} directories, ${root.fileCount} files).\n` +
          `Try: npx hops meta mkdir /user/$USER && npx hops meta ls /user   (Ctrl-C stops)\n`,
      )
      const stop = (): void => {
        log.info('stopping')
        void engine.close().then(() => process.exit(0))
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      await new Promise(() => undefined)
    })
}
