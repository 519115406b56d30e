/**
 * `hops datanode`: one DataNode process reporting to any of the given NameNodes.
 */
import type { Command } from 'commander'
import { DATANODE_CONFIG, loadDataNodeConfig } from '../../datanode/config.js'
import { startDataNode } from '../../datanode/main.js'
import { addConfigFlags, runRole } from './role-options.js'

export function registerDataNodeCommand(program: Command): void {
  const cmd = program
    .command('datanode')
    .description('run a DataNode that stores blocks and reports to the NameNodes')
  addConfigFlags(cmd, DATANODE_CONFIG, 'DATANODE').action(
    async (options: Record<string, unknown>) => {
      const { config: file, ...flags } = options
      await runRole(
        'datanode',
        DATANODE_CONFIG,
        () => loadDataNodeConfig({ file: file as string | undefined, env: process.env, flags }),
        startDataNode,
      )
    },
  )
}
