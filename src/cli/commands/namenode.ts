/**
 * `hops namenode`: one NameNode process over a shared metadata database. Start as many as you
 * like over one database; the live one with the smallest id leads and runs housekeeping.
 * SIGUSR2 starts draining (every request answered with StandbyException, clients move on).
 */
import type { Command } from 'commander'
import { NAMENODE_CONFIG, loadNameNodeConfig } from '../../namenode/config.js'
import { startNameNode } from '../../namenode/main.js'
import { addConfigFlags, runRole } from './role-options.js'

export function registerNameNodeCommand(program: Command): void {
  const cmd = program
    .command('namenode')
    .description('run a NameNode (WebHDFS) over a shared metadata database')
  addConfigFlags(cmd, NAMENODE_CONFIG, 'NAMENODE').action(
    async (options: Record<string, unknown>) => {
      const { config: file, ...flags } = options
      await runRole(
        'namenode',
        NAMENODE_CONFIG,
        () => loadNameNodeConfig({ file: file as string | undefined, env: process.env, flags }),
        startNameNode,
        (running, log) => {
          process.on('SIGUSR2', () => {
            log.info('SIGUSR2: draining')
            running.server.drain()
          })
        },
      )
    },
  )
}
