/**
 * @module
 * The `hops` command line. One file per subcommand under `commands/`.
 */
import { Command } from 'commander'
import { registerCaCommands } from './commands/ca.js'
import { registerDataNodeCommand } from './commands/datanode.js'
import { registerDfsCommand } from './commands/dfs.js'
import { registerMetaCommands } from './commands/meta.js'
import { registerNameNodeCommand } from './commands/namenode.js'
import { registerUpCommand } from './commands/up.js'
import { registerUserCommands } from './commands/user.js'

// `hops … | head`: a closed pipe ends the output, as it does for other command-line tools.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

const program = new Command()
program
  .name('hops')
  .description('Hops: HDFS-compatible filesystem with metadata in SQL')
  .version('0.1.0')
registerUpCommand(program)
registerNameNodeCommand(program)
registerDataNodeCommand(program)
registerMetaCommands(program)
registerDfsCommand(program)
registerCaCommands(program)
registerUserCommands(program)
await program.parseAsync(process.argv)
