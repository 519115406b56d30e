/**
 * @module
 * Argument handling of `hops dfs`, written by hand because Hadoop's spelling (`-ls -R /`,
 * `-rm -skipTrash`, `-setfacl --set spec`) is not what commander expects: global options, each
 * command's flags (Hadoop `CommandFormat`), paths, globs, chmod modes and chown owners.
 */
import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join, posix } from 'node:path'
import { commonNameOf, readBundleDir, userCertDir } from '../../security/tls-bundle.js'

/** A usage error: Hadoop prints `-cmd: message` plus the command's usage and exits -1 (255). */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Options that apply to every `hops dfs` command. */
export interface DfsGlobalOptions {
  readonly namenodes: string[]
  /** The user: `-u`, else the certificate's CN in secure mode, else the OS user. */
  readonly user: string
  /** Secure mode: the certificate bundle directory (absent: insecure, `user.name`). */
  readonly certDir?: string
}

/** Default NameNode when neither `--namenode` nor `HOPS_NAMENODE` is given. */
export const DEFAULT_NAMENODE = 'http://127.0.0.1:9870'
/** Default NameNode in secure mode (a certificate bundle in use). */
export const DEFAULT_SECURE_NAMENODE = 'https://127.0.0.1:9870'

/**
 * Splits `hops dfs` argv into global options and the command. Global options come before the
 * command (`--namenode URL[,URL…]`, `-fs URL`, `-u/--user NAME`); `--namenode` and `--user` are
 * also taken after it (they clash with no FsShell option).
 *
 * Secure mode: `--cert-dir DIR` (default `HOPS_CERT_DIR`, else
 * `~/.hops/certs/<HOPS_PROJECT or default>__<user>/` when it exists) names the user's certificate
 * bundle; the identity is then its CN, the default NameNode `https://127.0.0.1:9870`.
 */
export function parseGlobalArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): { global: DfsGlobalOptions; command: string | undefined; args: string[] } {
  let namenode: string | undefined
  let user: string | undefined
  let certDir: string | undefined
  const rest: string[] = []
  let command: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const takeValue = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${arg} needs a value`)
      return v
    }
    const long = /^--(namenode|user|cert-dir)=(.*)$/.exec(arg)
    if (long) {
      if (long[1] === 'namenode') namenode = long[2]
      else if (long[1] === 'cert-dir') certDir = long[2]
      else user = long[2]
    } else if (arg === '--namenode') namenode = takeValue()
    else if (arg === '--cert-dir') certDir = takeValue()
    else if (arg === '--user') user = takeValue()
    else if (command === undefined && (arg === '-fs' || arg === '--fs')) namenode = takeValue()
    else if (command === undefined && arg === '-u') user = takeValue()
    else if (command === undefined) command = arg
    else rest.push(arg)
  }
  const osUser = user ?? env.HADOOP_USER_NAME ?? userInfo().username
  certDir ??= env.HOPS_CERT_DIR
  if (certDir === undefined) {
    const dflt = userCertDir(`${env.HOPS_PROJECT ?? 'default'}__${osUser}`, env.HOME ?? homedir())
    if (existsSync(join(dflt, 'key.pem'))) certDir = dflt
  }
  const dfltNamenode = certDir === undefined ? DEFAULT_NAMENODE : DEFAULT_SECURE_NAMENODE
  const list = (namenode ?? env.HOPS_NAMENODE ?? dfltNamenode)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => s.replace(/^webhdfs:/, 'http:').replace(/^swebhdfs:/, 'https:'))
  // A certificate only means something over HTTPS: against http:// NameNodes it stays unused
  // (a bundle left in ~/.hops/certs must not change how an insecure cluster is addressed).
  if (!list.some((u) => u.startsWith('https:'))) certDir = undefined
  let certUser: string | undefined
  if (certDir !== undefined) {
    try {
      certUser = commonNameOf(readBundleDir(certDir).certPem)
    } catch (err) {
      throw new UsageError(`--cert-dir ${certDir}: ${(err as Error).message}`)
    }
  }
  return {
    global: {
      namenodes: list,
      user: user ?? certUser ?? osUser,
      ...(certDir === undefined ? {} : { certDir }),
    },
    command,
    args: rest,
  }
}

/** What a command accepts: flag names (`R`, `skipTrash`) and options with a value (`n`, `-set`). */
export interface OptionSpec {
  readonly flags?: readonly string[]
  readonly values?: readonly string[]
  readonly min?: number
  readonly max?: number
}

/** Parsed command options: flags present, option values, and the remaining operands. */
export interface ParsedOptions {
  readonly flags: ReadonlySet<string>
  readonly values: ReadonlyMap<string, string>
  readonly operands: string[]
}

/**
 * Parses a command's options as Hadoop's `CommandFormat` does: options come first, each with one
 * dash (`-R`, `-skipTrash`; `--set` for setfacl); `-` alone and the first non-option end them, as
 * does `--`. Unlike Hadoop, single-letter flags may be combined (`-rf`).
 * @throws UsageError `Illegal option -z`, `Not enough arguments: expected 1 but got 0`,
 *   `Too many arguments: expected 1 but got 2`
 */
export function parseOptions(args: readonly string[], spec: OptionSpec): ParsedOptions {
  const flags = new Set<string>()
  const values = new Map<string, string>()
  const known = new Set(spec.flags ?? [])
  const valued = new Set(spec.values ?? [])
  let i = 0
  for (; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') {
      i++
      break
    }
    if (!arg.startsWith('-') || arg === '-') break
    const name = arg.slice(1)
    if (valued.has(name)) {
      const v = args[++i]
      if (v === undefined) throw new UsageError(`Not enough arguments: expected 1 but got 0`)
      values.set(name, v)
    } else if (known.has(name)) flags.add(name)
    else if (/^[a-zA-Z]+$/.test(name) && [...name].every((c) => known.has(c)))
      for (const c of name) flags.add(c)
    else throw new UsageError(`Illegal option ${arg}`)
  }
  const operands = args.slice(i)
  const min = spec.min ?? 0
  if (operands.length < min)
    throw new UsageError(`Not enough arguments: expected ${min} but got ${operands.length}`)
  if (spec.max !== undefined && operands.length > spec.max)
    throw new UsageError(`Too many arguments: expected ${spec.max} but got ${operands.length}`)
  return { flags, values, operands }
}

/**
 * Resolves a path argument to an absolute HDFS path: `hdfs://`, `webhdfs://` and `hops://` URIs
 * lose their authority (the NameNode comes from `--namenode`), relative paths are taken from the
 * home directory `/user/<user>`, and `.`/`..` are normalised.
 */
export function resolveHdfsPath(arg: string, home: string): string {
  let p = arg
  const uri = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*(\/.*)?$/.exec(p)
  if (uri) p = uri[1] ?? '/'
  if (!p.startsWith('/')) p = `${home}/${p}`
  const normal = posix.normalize(p)
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal
}

/** How a child of `display` is shown: `dir/name`, `/name` under `/`, `name` under `.`. */
export function childDisplay(display: string, name: string): string {
  if (display === '' || display === '.') return name
  return display.endsWith('/') ? `${display}${name}` : `${display}/${name}`
}

/** True when a path component holds glob characters (`*`, `?`, `[…]`, `{a,b}`). */
export function hasGlob(s: string): boolean {
  return /[*?[{]/.test(s)
}

/**
 * A regular expression for one glob component (Hadoop `GlobPattern`): `*`, `?`, `[abc]`, `[!a]`,
 * `[^a]`, `{a,b}`, and `\` escapes.
 */
export function globToRegExp(glob: string): RegExp {
  let re = ''
  let inClass = false
  let braces = 0
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '\\' && i + 1 < glob.length) {
      re += '\\' + glob[++i]!
    } else if (inClass) {
      if (c === ']') inClass = false
      re += c === '\\' ? '\\\\' : c
    } else if (c === '[') {
      inClass = true
      re += '['
      if (glob[i + 1] === '!' || glob[i + 1] === '^') {
        re += '^'
        i++
      }
    } else if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '{') {
      braces++
      re += '(?:'
    } else if (c === '}' && braces > 0) {
      braces--
      re += ')'
    } else if (c === ',' && braces > 0) re += '|'
    else re += c.replace(/[.+^$()|\]\\/]/g, '\\$&')
  }
  if (inClass || braces > 0) throw new UsageError(`Illegal file pattern: ${glob}`)
  return new RegExp(`^${re}$`, 's')
}

/**
 * Applies a chmod mode to `current`: octal (`755`, `1777`) or symbolic clauses like Hadoop's
 * `ChmodParser` (`u+x,go-w`, `a=rX`, `+t`). `X` sets execute only on directories or where some
 * execute bit is already set. An empty `who` means all (no umask, as Hadoop).
 * @throws UsageError for a malformed mode
 */
export function applyChmod(mode: string, current: number, isDirectory: boolean): number {
  const oct = /^\s*\+?([01]?)([0-7]{3})\s*$/.exec(mode)
  if (oct) return parseInt((oct[1] ?? '') + oct[2]!, 8)
  let result = current & 0o1777
  const clause = /^([ugoa]*)([+=-])([rwxXt]*)$/
  const parts = mode.split(',')
  for (const part of parts) {
    const m = clause.exec(part.trim())
    if (m === null)
      throw new UsageError(`chmod : mode '${mode}' does not match the expected pattern.`)
    const who = m[1] === '' || m[1]!.includes('a') ? 'ugo' : m[1]!
    const op = m[2]!
    const perms = m[3]!
    let bits = 0
    if (perms.includes('r')) bits |= 4
    if (perms.includes('w')) bits |= 2
    if (perms.includes('x') || (perms.includes('X') && (isDirectory || (current & 0o111) !== 0)))
      bits |= 1
    let mask = 0
    let set = 0
    for (const [letter, shift] of [
      ['u', 6],
      ['g', 3],
      ['o', 0],
    ] as const) {
      if (!who.includes(letter)) continue
      mask |= 7 << shift
      set |= bits << shift
    }
    const sticky = perms.includes('t') && who.includes('o') ? 0o1000 : 0
    if (op === '+') result |= set | sticky
    else if (op === '-') result &= ~(set | sticky)
    else result = (result & ~mask & ~(who.includes('o') ? 0o1000 : 0)) | set | sticky
  }
  return result
}

/**
 * Parses `OWNER[:GROUP]` (or `:GROUP`) as Hadoop's `chown` does; an empty part means unchanged.
 * @throws UsageError when it does not match
 */
export function parseOwnerGroup(spec: string): { owner?: string; group?: string } {
  const m = /^\s*([-_a-zA-Z0-9.@/$]+)?(?::([-_a-zA-Z0-9.@/$]*))?\s*$/.exec(spec)
  if (m === null || (m[1] === undefined && !m[2]))
    throw new UsageError(`'${spec}' does not match expected pattern for [owner][:group].`)
  return {
    ...(m[1] !== undefined ? { owner: m[1] } : {}),
    ...(m[2] ? { group: m[2] } : {}),
  }
}
