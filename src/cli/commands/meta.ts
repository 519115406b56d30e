/**
 * `hops meta …`: namespace commands run directly against the metadata database, in process
 * (an administrator's tool, like `hdfs dfs` without a NameNode in between). Output follows
 * `hdfs dfs -ls`; errors are one line, `hops meta <cmd>: <path>: <reason>`, exit code 1.
 */
import type { Command } from 'commander'
import { modeSymbol, parseOctalPermission } from '../../common/permission.js'
import { FsError } from '../../common/fs-error.js'
import type { CallerContext, InodeRecord } from '../../meta/meta-engine.js'
import { openMetaEngine } from '../../meta/open-meta-engine.js'
import type { EngineSettings } from '../../meta/sql/op.js'
import type { SqlMetaEngine } from '../../meta/sql/sql-meta-engine.js'
import { metaUrlOf } from '../meta-url.js'
import type { MetaLocationOptions } from '../meta-url.js'
import { userInfo } from 'node:os'

interface GlobalOptions extends MetaLocationOptions {
  readonly user?: string
}

type Action = (
  engine: SqlMetaEngine,
  ctx: CallerContext,
  out: (line: string) => void,
) => Promise<void>

/** Formats one entry like `hdfs dfs -ls`. */
export function formatListing(status: InodeRecord, path: string): string {
  const type = status.type === 'DIRECTORY' ? 'd' : status.type === 'SYMLINK' ? 'l' : '-'
  const replication = status.type === 'FILE' ? String(status.replication) : '-'
  const time = new Date(status.modificationTime).toISOString().slice(0, 16).replace('T', ' ')
  const acl = status.hasAcl ? '+' : ' '
  const target = status.symlink !== undefined ? ` -> ${status.symlink}` : ''
  return `${type}${modeSymbol(status.permission)}${acl} ${replication.padStart(3)} ${status.owner} ${status.group} ${String(status.length).padStart(10)} ${time} ${path}${target}`
}

function join(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`
}

async function runAction(
  command: Command,
  name: string,
  target: string,
  action: Action,
): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>()
  const ctx: CallerContext = {
    user: options.user ?? process.env.HADOOP_USER_NAME ?? userInfo().username,
  }
  let engine: SqlMetaEngine | undefined
  try {
    engine = await openMetaEngine(metaUrlOf(options), {
      initialSettings: { superuser: userInfo().username },
    })
    await action(engine, ctx, (line) => process.stdout.write(line + '\n'))
  } catch (err) {
    const reason = err instanceof FsError || err instanceof TypeError ? err.message : String(err)
    process.stderr.write(`hops meta ${name}: ${target}: ${reason}\n`)
    process.exitCode = 1
  } finally {
    await engine?.close()
  }
}

/** `name=value` → a settings change; the value is JSON (`3`, `true`) or else a plain string. */
export function settingArg(arg: string): Partial<EngineSettings> {
  const eq = arg.indexOf('=')
  if (eq <= 0) throw new FsError('INVALID_ARGUMENT', `expected name=value, got '${arg}'`)
  const raw = arg.slice(eq + 1)
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    value = raw
  }
  return { [arg.slice(0, eq)]: value }
}

function permissionArg(value: string): number {
  const mode = parseOctalPermission(value)
  if (mode === undefined) throw new FsError('INVALID_ARGUMENT', `invalid octal mode '${value}'`)
  return mode
}

/** Registers `hops meta` and its subcommands on `program`. */
export function registerMetaCommands(program: Command): void {
  const meta = program
    .command('meta')
    .description('namespace commands run directly on the metadata database')
    .option(
      '--meta <url>',
      'metadata database URL (sqlite:PATH, postgres://…, mysql://…); default sqlite:<data-dir>/meta.db',
    )
    .option(
      '--data-dir <dir>',
      'data directory of the embedded default (default ./hops-data or HOPS_DATA_DIR)',
    )
    .option('-u, --user <name>', 'act as this user (default HADOOP_USER_NAME or the OS user)')

  meta
    .command('mkdir')
    .description('create directories (with parents, like -p)')
    .argument('<paths...>')
    .option('-m, --mode <octal>', 'permission before the umask', '777')
    .action(async (paths: string[], opts: { mode: string }, cmd: Command) => {
      for (const p of paths) {
        await runAction(cmd, 'mkdir', p, (e, ctx) =>
          e.mkdirs({ path: p, permission: permissionArg(opts.mode) }, ctx).then(() => undefined),
        )
      }
    })

  meta
    .command('touch')
    .description('create empty files')
    .argument('<paths...>')
    .action(async (paths: string[], _opts: unknown, cmd: Command) => {
      for (const p of paths) {
        await runAction(cmd, 'touch', p, async (e, ctx) => {
          await e.create({ path: p, clientName: `hops-cli-${process.pid}` }, ctx)
          await e.complete({ path: p, clientName: `hops-cli-${process.pid}` }, ctx)
        })
      }
    })

  meta
    .command('ls')
    .description('list a directory (or show a file)')
    .argument('[path]', 'path', '/')
    .action(async (path: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'ls', path, async (e, ctx, out) => {
        const status = await e.getFileInfo(path, ctx)
        if (status.type !== 'DIRECTORY') return out(formatListing(status, path))
        let startAfter = ''
        const lines: string[] = []
        for (;;) {
          const page = await e.listStatus({ path, startAfter, limit: 1000 }, ctx)
          for (const entry of page.entries)
            lines.push(
              formatListing(entry, join(path === '/' ? '/' : path.replace(/\/$/, ''), entry.name)),
            )
          if (page.remaining === 0 || page.entries.length === 0) break
          startAfter = page.entries[page.entries.length - 1]!.name
        }
        out(`Found ${lines.length} items`)
        for (const line of lines) out(line)
      })
    })

  meta
    .command('stat')
    .description('print the status of a path as JSON')
    .argument('<path>')
    .action(async (path: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'stat', path, async (e, ctx, out) =>
        out(JSON.stringify(await e.getFileInfo(path, ctx), null, 2)),
      )
    })

  meta
    .command('mv')
    .description('rename a file or directory')
    .argument('<src>')
    .argument('<dst>')
    .action(async (src: string, dst: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'mv', src, async (e, ctx) => {
        if (!(await e.rename({ src, dst }, ctx)))
          throw new FsError(
            'IO_ERROR',
            `cannot rename to ${dst} (source missing or destination exists)`,
          )
      })
    })

  meta
    .command('rm')
    .description('delete files or directories')
    .argument('<paths...>')
    .option('-r, --recursive', 'delete directories and their contents')
    .action(async (paths: string[], opts: { recursive?: boolean }, cmd: Command) => {
      for (const p of paths) {
        await runAction(cmd, 'rm', p, async (e, ctx) => {
          if (!(await e.delete({ path: p, recursive: opts.recursive === true }, ctx)))
            throw new FsError('FILE_NOT_FOUND', 'No such file or directory')
        })
      }
    })

  meta
    .command('chmod')
    .description('change permissions (octal)')
    .argument('<mode>')
    .argument('<paths...>')
    .option('-R, --recursive', 'change the whole subtree')
    .action(async (mode: string, paths: string[], opts: { recursive?: boolean }, cmd: Command) => {
      for (const p of paths) {
        await runAction(cmd, 'chmod', p, (e, ctx) =>
          e.setPermission(p, permissionArg(mode), ctx, { recursive: opts.recursive === true }),
        )
      }
    })

  meta
    .command('chown')
    .description('change owner and/or group (OWNER[:GROUP] or :GROUP)')
    .argument('<owner>')
    .argument('<paths...>')
    .option('-R, --recursive', 'change the whole subtree')
    .action(async (spec: string, paths: string[], opts: { recursive?: boolean }, cmd: Command) => {
      const [owner, group] = spec.split(':')
      for (const p of paths) {
        await runAction(cmd, 'chown', p, (e, ctx) =>
          e.setOwner(p, owner || undefined, group || undefined, ctx, {
            recursive: opts.recursive === true,
          }),
        )
      }
    })

  meta
    .command('count')
    .description('directories, files and bytes under a path, with quotas (like -count -q)')
    .argument('<path>')
    .action(async (path: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'count', path, async (e, ctx, out) => {
        const s = await e.getContentSummary(path, ctx)
        const q = (n: number) => (n < 0 ? 'none' : String(n))
        out(
          `QUOTA=${q(s.quota)} SPACE_QUOTA=${q(s.spaceQuota)} DIRS=${s.directoryCount} FILES=${s.fileCount} BYTES=${s.length} SPACE_CONSUMED=${s.spaceConsumed} ${path}`,
        )
      })
    })

  meta
    .command('setquota')
    .description('set (or with -1 clear) the namespace and space quota of a directory (superuser)')
    .argument('<path>')
    .option('-n, --namespace <count>', 'max files and directories, the directory included')
    .option('-s, --space <bytes>', 'max raw bytes (length × replication)')
    .action(async (path: string, opts: { namespace?: string; space?: string }, cmd: Command) => {
      await runAction(cmd, 'setquota', path, (e, ctx) =>
        e.setQuota(
          {
            path,
            ...(opts.namespace !== undefined ? { nsQuota: Number(opts.namespace) } : {}),
            ...(opts.space !== undefined ? { ssQuota: Number(opts.space) } : {}),
          },
          ctx,
        ),
      )
    })

  meta
    .command('settings')
    .description(
      'show the cluster-wide settings, or change them (name=value ...); every NameNode picks a change up at its next heartbeat',
    )
    .argument('[changes...]')
    .action(async (changes: string[], _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'settings', changes.join(' ') || '-', async (e, _ctx, out) => {
        if (changes.length > 0)
          await e.updateSettings(
            Object.assign({}, ...changes.map(settingArg)) as Partial<EngineSettings>,
          )
        for (const [name, value] of Object.entries(e.settings)) {
          out(`${name}=${JSON.stringify(value)}`)
        }
      })
    })

  meta
    .command('safemode')
    .description(
      'enter, leave or show safe mode (namespace read-only on every NameNode; like hdfs dfsadmin -safemode)',
    )
    .argument('<action>', 'enter | leave | get')
    .action(async (action: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'safemode', action, async (e, _ctx, out) => {
        if (action === 'enter' || action === 'leave') {
          await e.updateSettings({ safeMode: action === 'enter' })
        } else if (action !== 'get') {
          throw new FsError('INVALID_ARGUMENT', 'expected enter, leave or get')
        }
        out(`Safe mode is ${e.settings.safeMode ? 'ON' : 'OFF'}`)
      })
    })
}
