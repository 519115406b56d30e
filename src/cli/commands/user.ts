/**
 * `hops user …`: platform accounts managed directly on the metadata database (an administrator's
 * tool, like `hops meta`): add, list, passwd (reset to a temporary password), lock, unlock, role,
 * apikey create|list|revoke, audit. Passwords and API keys are printed once, on stdout; errors
 * are one line, `hops user <cmd>: <reason>`, exit code 1. Every change is audited with the actor
 * `cli:<OS user>`.
 */
import type { Command } from 'commander'
import { userInfo } from 'node:os'
import { AuthError } from '../../platform/users/auth-error.js'
import { API_KEY_SCOPES } from '../../platform/users/api-key.js'
import { UserService } from '../../platform/users/user-service.js'
import type { RequestContext } from '../../platform/users/user-service.js'
import { parseRole } from '../../platform/users/user.js'
import { metaUrlOf } from '../meta-url.js'
import type { MetaLocationOptions } from '../meta-url.js'

type Action = (
  users: UserService,
  ctx: RequestContext,
  out: (line: string) => void,
) => Promise<void>

const DAY_MS = 86_400_000

async function runAction(command: Command, name: string, action: Action): Promise<void> {
  const options = command.optsWithGlobals<MetaLocationOptions>()
  const ctx: RequestContext = { actor: `cli:${userInfo().username}` }
  let users: UserService | undefined
  try {
    users = await UserService.open(metaUrlOf(options))
    await action(users, ctx, (line) => process.stdout.write(line + '\n'))
  } catch (err) {
    // AuthError and TypeError messages are written for users and never hold secrets; anything
    // else is reported by class and first line only.
    const reason =
      err instanceof AuthError || err instanceof TypeError
        ? err.message
        : err instanceof Error
          ? `${err.name}: ${err.message.split('\n')[0]}`
          : String(err)
    process.stderr.write(`hops user ${name}: ${reason}\n`)
    process.exitCode = 1
  } finally {
    await users?.close()
  }
}

/** The first line of stdin (a password piped in, never a command-line argument). */
async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
  if (line === '') throw new TypeError('--password-stdin: nothing on stdin')
  return line
}

function date(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  )
}

/** Registers `hops user` and its subcommands on `program`. */
export function registerUserCommands(program: Command): void {
  const user = program
    .command('user')
    .description('platform users, passwords and API keys, on the metadata database')
    .option(
      '--meta <url>',
      'metadata database URL (sqlite:PATH, postgres://…, mysql://…); default sqlite:<data-dir>/meta.db',
    )
    .option(
      '--data-dir <dir>',
      'data directory of the embedded default (default ./hops-data or HOPS_DATA_DIR)',
    )

  user
    .command('add')
    .description('create a local user; without --password-stdin a temporary password is printed')
    .argument('<username>')
    .option('-r, --role <role>', 'admin or user', 'user')
    .option('-e, --email <address>')
    .option('-n, --name <display name>')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(
      async (
        username: string,
        opts: { role: string; email?: string; name?: string; passwordStdin?: boolean },
        cmd: Command,
      ) => {
        await runAction(cmd, 'add', async (users, ctx, out) => {
          const password = opts.passwordStdin === true ? await readStdinLine() : undefined
          const r = await users.createUser(
            {
              username,
              role: parseRole(opts.role),
              ...(password !== undefined ? { password } : {}),
              ...(opts.email !== undefined ? { email: opts.email } : {}),
              ...(opts.name !== undefined ? { displayName: opts.name } : {}),
            },
            ctx,
          )
          out(`created ${r.user.role} '${r.user.username}'`)
          if (r.temporaryPassword !== undefined) {
            out(`temporary password (shown once; change at first login): ${r.temporaryPassword}`)
          }
        })
      },
    )

  user
    .command('list')
    .description('list users')
    .action(async (_opts: unknown, cmd: Command) => {
      await runAction(cmd, 'list', async (users, _ctx, out) => {
        const now = Date.now()
        const rows = (await users.listUsers()).map((u) => [
          u.username,
          u.role,
          u.lockedUntil !== undefined && u.lockedUntil > now ? 'locked (failures)' : u.status,
          u.authSource,
          u.totpEnabled ? 'totp' : '-',
          date(u.createdAt),
          date(u.lastLoginAt),
          u.email ?? '-',
        ])
        const header = ['USER', 'ROLE', 'STATUS', 'SOURCE', '2FA', 'CREATED', 'LAST LOGIN', 'EMAIL']
        for (const line of table([header, ...rows])) out(line)
      })
    })

  user
    .command('passwd')
    .description(
      'reset a password (administrator): a temporary password, to be changed at the next login',
    )
    .argument('<username>')
    .option('--password-stdin', 'set this temporary password (first line of stdin)')
    .action(async (username: string, opts: { passwordStdin?: boolean }, cmd: Command) => {
      await runAction(cmd, 'passwd', async (users, ctx, out) => {
        const password = opts.passwordStdin === true ? await readStdinLine() : undefined
        const r = await users.resetPassword(
          username,
          ctx,
          password !== undefined ? { password } : {},
        )
        if (password === undefined) out(`temporary password (shown once): ${r.temporaryPassword}`)
        out(`'${username}' must change the password at the next login`)
      })
    })

  for (const [name, description] of [
    ['lock', 'lock an account until unlocked; ends its sessions, stops its API keys'],
    ['unlock', 'unlock an account (also after too many failed logins)'],
  ] as const) {
    user
      .command(name)
      .description(description)
      .argument('<username>')
      .action(async (username: string, _opts: unknown, cmd: Command) => {
        await runAction(cmd, name, async (users, ctx, out) => {
          const u =
            name === 'lock'
              ? await users.lockUser(username, ctx)
              : await users.unlockUser(username, ctx)
          out(`'${u.username}' is ${u.status}`)
        })
      })
  }

  user
    .command('role')
    .description("change a user's role (admin or user)")
    .argument('<username>')
    .argument('<role>')
    .action(async (username: string, role: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'role', async (users, ctx, out) => {
        const u = await users.setRole(username, parseRole(role), ctx)
        out(`'${u.username}' is ${u.role}`)
      })
    })

  const apikey = user.command('apikey').description('API keys of a user')
  apikey
    .command('create')
    .description('create an API key; the key is printed once')
    .argument('<username>')
    .requiredOption('-s, --scopes <list>', `comma-separated: ${API_KEY_SCOPES.join(', ')}`)
    .option('-n, --name <name>', 'what the key is for', 'cli')
    .option('--expires-days <days>', 'days until it expires (default: never)')
    .action(
      async (
        username: string,
        opts: { scopes: string; name: string; expiresDays?: string },
        cmd: Command,
      ) => {
        await runAction(cmd, 'apikey create', async (users, ctx, out) => {
          let expiresAt: number | undefined
          if (opts.expiresDays !== undefined) {
            const days = Number(opts.expiresDays)
            if (!(days > 0)) throw new TypeError('--expires-days must be a positive number')
            expiresAt = Date.now() + days * DAY_MS
          }
          const { key, info } = await users.createApiKey(
            username,
            { name: opts.name, scopes: opts.scopes, ...(expiresAt ? { expiresAt } : {}) },
            ctx,
          )
          out(key)
          process.stderr.write(
            `API key ${info.id} for '${info.username}' (${info.scopes.join(' ')}), expires ${date(info.expiresAt)}: shown once, store it now\n`,
          )
        })
      },
    )

  apikey
    .command('list')
    .description("list a user's API keys (never their secrets)")
    .argument('<username>')
    .action(async (username: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'apikey list', async (users, _ctx, out) => {
        const now = Date.now()
        const rows = (await users.listApiKeys(username)).map((k) => [
          k.id,
          k.revokedAt !== undefined
            ? 'revoked'
            : k.expiresAt !== undefined && k.expiresAt <= now
              ? 'expired'
              : 'valid',
          k.scopes.join(','),
          date(k.createdAt),
          date(k.lastUsedAt),
          date(k.expiresAt),
          k.name,
        ])
        const header = ['ID', 'STATE', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'NAME']
        for (const line of table([header, ...rows])) out(line)
      })
    })

  apikey
    .command('revoke')
    .description('revoke an API key at once')
    .argument('<username>')
    .argument('<id>', 'the key id (the part after hops_)')
    .action(async (username: string, id: string, _opts: unknown, cmd: Command) => {
      await runAction(cmd, 'apikey revoke', async (users, ctx, out) => {
        await users.revokeApiKey(username, id, ctx)
        out(`revoked ${id}`)
      })
    })

  user
    .command('audit')
    .description('the audit log, newest first')
    .option('-u, --user <name>', 'entries whose actor or target is this user')
    .option('-a, --action <action>', 'e.g. login, password.reset, apikey.create')
    .option('-l, --limit <n>', 'at most this many', '50')
    .action(async (opts: { user?: string; action?: string; limit: string }, cmd: Command) => {
      await runAction(cmd, 'audit', async (users, _ctx, out) => {
        const limit = Number(opts.limit)
        const base = { ...(opts.action ? { action: opts.action } : {}), limit }
        const entries =
          opts.user === undefined
            ? await users.queryAudit(base)
            : [
                ...(await users.queryAudit({ ...base, target: opts.user })),
                ...(await users.queryAudit({ ...base, actor: opts.user })),
              ]
                .filter((e, i, all) => all.findIndex((x) => x.id === e.id) === i)
                .sort((a, b) => b.id - a.id)
                .slice(0, limit)
        for (const e of entries) {
          out(
            `${new Date(e.time).toISOString()} ${e.outcome.padEnd(7)} ${e.action} actor=${e.actor}` +
              `${e.target !== undefined ? ` target=${e.target}` : ''}` +
              `${e.remoteAddress !== undefined ? ` from=${e.remoteAddress}` : ''}` +
              `${e.details !== undefined ? ` ${JSON.stringify(e.details)}` : ''}`,
          )
        }
      })
    })
}
