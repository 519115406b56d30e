/**
 * `hops dfs`: the Hadoop FsShell (`hdfs dfs`) over the client SDK. Arguments are parsed by hand
 * (`dfs-args.ts`) so that Hadoop's spelling works: `hops dfs -ls -R /`, `hops dfs -rm -r -skipTrash
 * /tmp/x`. Global options come before the command: `--namenode URL[,URL…]` (default
 * `HOPS_NAMENODE`, else `http://127.0.0.1:9870`; several URLs fail over), `-u/--user NAME`
 * (default `HADOOP_USER_NAME`, else the OS user), `--cert-dir DIR` (secure mode: the user's
 * certificate bundle; default `HOPS_CERT_DIR`, else `~/.hops/certs/default__<user>/` when present;
 * the identity is then the certificate's CN and `user.name` is not sent).
 *
 * Exit codes follow Hadoop's FsShell: 0 on success; 1 when a command reported an error (printed
 * as `ls: \`/nope': No such file or directory`); 255 (FsShell's -1) for usage errors (`-ls:
 * Illegal option -z` plus the usage line), unknown commands (`-foo: Unknown command`) and no
 * command at all. `-test` exits 0 or 1 by its result.
 */
import type { Command } from 'commander'
import { FileSystem } from '../../client/file-system.js'
import { parseGlobalArgs, UsageError } from './dfs-args.js'
import {
  chgrpCommand,
  chmodCommand,
  chownCommand,
  countCommand,
  dfCommand,
  duCommand,
  getfaclCommand,
  getfattrCommand,
  lsCommand,
  mkdirCommand,
  mvCommand,
  rmCommand,
  rmdirCommand,
  setfaclCommand,
  setfattrCommand,
  setrepCommand,
  statCommand,
  testCommand,
} from './dfs-commands.js'
import { DfsShell } from './dfs-shell.js'
import type { DfsIo } from './dfs-shell.js'
import {
  appendToFileCommand,
  catCommand,
  cpCommand,
  getCommand,
  putCommand,
  tailCommand,
  touchzCommand,
} from './dfs-transfer.js'

type Runner = (sh: DfsShell, args: string[]) => Promise<void | number>

interface DfsCommandSpec {
  readonly usage: string
  readonly run: Runner
}

/** Every command, by name without the dash, with Hadoop's usage text. */
export const DFS_COMMANDS: Readonly<Record<string, DfsCommandSpec>> = {
  appendToFile: { usage: '-appendToFile <localsrc> ... <dst>', run: appendToFileCommand },
  cat: { usage: '-cat [-ignoreCrc] <src> ...', run: catCommand },
  chgrp: { usage: '-chgrp [-R] GROUP PATH...', run: chgrpCommand },
  chmod: { usage: '-chmod [-R] <MODE[,MODE]... | OCTALMODE> PATH...', run: chmodCommand },
  chown: { usage: '-chown [-R] [OWNER][:[GROUP]] PATH...', run: chownCommand },
  copyFromLocal: {
    usage: '-copyFromLocal [-f] [-p] [-l] [-d] <localsrc> ... <dst>',
    run: putCommand,
  },
  copyToLocal: {
    usage: '-copyToLocal [-f] [-p] [-ignoreCrc] [-crc] <src> ... <localdst>',
    run: getCommand,
  },
  count: { usage: '-count [-q] [-h] [-v] [-u] <path> ...', run: countCommand },
  cp: { usage: '-cp [-f] [-p] <src> ... <dst>', run: cpCommand },
  df: { usage: '-df [-h] [<path> ...]', run: dfCommand },
  du: { usage: '-du [-s] [-h] [-v] [-x] <path> ...', run: duCommand },
  get: { usage: '-get [-f] [-p] [-ignoreCrc] [-crc] <src> ... <localdst>', run: getCommand },
  getfacl: { usage: '-getfacl [-R] <path>', run: getfaclCommand },
  getfattr: { usage: '-getfattr [-R] {-n name | -d} [-e en] <path>', run: getfattrCommand },
  ls: { usage: '-ls [-C] [-d] [-h] [-R] [-t] [-S] [-r] [<path> ...]', run: lsCommand },
  mkdir: { usage: '-mkdir [-p] <path> ...', run: mkdirCommand },
  mv: { usage: '-mv <src> ... <dst>', run: mvCommand },
  put: { usage: '-put [-f] [-p] [-l] [-d] <localsrc> ... <dst>', run: putCommand },
  rm: { usage: '-rm [-f] [-r|-R] [-skipTrash] [-safely] <src> ...', run: rmCommand },
  rmdir: { usage: '-rmdir [--ignore-fail-on-non-empty] <dir> ...', run: rmdirCommand },
  setfacl: {
    usage: '-setfacl [-R] [{-b|-k} {-m|-x <acl_spec>} <path>]|[--set <acl_spec> <path>]',
    run: setfaclCommand,
  },
  setfattr: { usage: '-setfattr {-n name [-v value] | -x name} <path>', run: setfattrCommand },
  setrep: { usage: '-setrep [-R] [-w] <rep> <path> ...', run: setrepCommand },
  stat: { usage: '-stat [format] <path> ...', run: statCommand },
  tail: { usage: '-tail [-f] <file>', run: tailCommand },
  test: { usage: '-test -[defswrz] <path>', run: testCommand },
  touchz: { usage: '-touchz <path> ...', run: touchzCommand },
}

const USAGE_PREFIX = 'Usage: hops dfs [--namenode URL[,URL...]] [-u USER] [--cert-dir DIR]'

function printUsage(out: DfsIo['stdout']): void {
  out.write(`${USAGE_PREFIX}\n`)
  for (const spec of Object.values(DFS_COMMANDS)) out.write(`\t[${spec.usage}]\n`)
}

function processIo(): DfsIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stderrIsTTY: process.stderr.isTTY,
  }
}

/**
 * Runs one `hops dfs` invocation (`argv` after `dfs`) and returns its exit code.
 * @param env the environment the defaults come from (`HOPS_NAMENODE`, `HADOOP_USER_NAME`)
 */
export async function runDfs(
  argv: readonly string[],
  io: DfsIo = processIo(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let parsed
  try {
    parsed = parseGlobalArgs(argv, env)
  } catch (err) {
    io.stderr.write(`dfs: ${(err as Error).message}\n`)
    return 255
  }
  const { global, command, args } = parsed
  if (command === undefined) {
    printUsage(io.stderr)
    return 255
  }
  if (command === '-help' || command === '-usage' || command === '--help' || command === '-h') {
    printUsage(io.stdout)
    return 0
  }
  const spec = command.startsWith('-') ? DFS_COMMANDS[command.slice(1)] : undefined
  if (spec === undefined || !Object.hasOwn(DFS_COMMANDS, command.slice(1))) {
    io.stderr.write(`${command}: Unknown command\n`)
    if (!command.startsWith('-') && Object.hasOwn(DFS_COMMANDS, command))
      io.stderr.write(`Did you mean -${command}?  This command begins with a dash.\n`)
    return 255
  }
  let fs: FileSystem
  try {
    fs = new FileSystem(
      global.certDir === undefined
        ? { namenodes: global.namenodes, user: global.user }
        : { namenodes: global.namenodes, tls: global.certDir },
    )
  } catch (err) {
    io.stderr.write(`${command}: ${(err as Error).message}\n`)
    return 255
  }
  const sh = new DfsShell(fs, io, global.user, command.slice(1))
  sh.fsUri = `webhdfs://${new URL(global.namenodes[0]!).host}`
  try {
    const code = await spec.run(sh, args)
    if (typeof code === 'number') return code
    return sh.errors > 0 ? 1 : 0
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${command}: ${err.message}\n`)
      io.stderr.write(`${USAGE_PREFIX} ${spec.usage}\n`)
      return 255
    }
    sh.error(err)
    return 1
  } finally {
    fs.close()
  }
}

/** Registers `hops dfs` on `program`; everything after `dfs` goes to {@link runDfs} untouched. */
export function registerDfsCommand(program: Command): void {
  program
    .command('dfs')
    .description('run a filesystem command (like hdfs dfs): hops dfs -ls -R /')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'an FsShell command and its arguments (hops dfs -help lists them)')
    .action(async (_args: string[], _opts: unknown, cmd: Command) => {
      process.exitCode = await runDfs(cmd.args)
    })
}
