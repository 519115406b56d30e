/**
 * @module
 * The namespace commands of `hops dfs`, one function each, mirroring Hadoop's FsShell commands
 * (`Ls`, `Mkdir`, `Delete`, `MoveCommands`, `FsUsage`, `Count`, `Stat`, `SetReplication`, `Test`,
 * `FsShellPermissions`, `AclCommands`, `XAttrCommands`). The data commands are in
 * `dfs-transfer.ts`.
 */
import { posix } from 'node:path'
import { FsError } from '../../common/fs-error.js'
import { parseAclSpec } from '../../client/acl-spec.js'
import type { FileStatus } from '../../client/types.js'
import { decodeXAttrValue, encodeXAttrValue, parseXAttrEncoding } from '../../client/xattr-codec.js'
import { applyChmod, childDisplay, parseOptions, parseOwnerGroup, UsageError } from './dfs-args.js'
import {
  countHeader,
  DU_HEADER,
  duRow,
  formatCount,
  formatGetfacl,
  formatQuotaUsage,
  formatSize,
  formatStat,
  formatTable,
  LsFormatter,
} from './dfs-format.js'
import { PathError } from './dfs-shell.js'
import type { DfsShell, ExistingItem } from './dfs-shell.js'

function sortEntries(entries: FileStatus[], flags: ReadonlySet<string>): FileStatus[] {
  if (flags.has('t')) entries.sort((a, b) => b.modificationTime - a.modificationTime)
  else if (flags.has('S')) entries.sort((a, b) => b.length - a.length)
  if (flags.has('r')) entries.reverse()
  return entries
}

/** `-ls [-C] [-d] [-h] [-R] [-t] [-S] [-r] [<path> ...]`. */
export async function lsCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['C', 'd', 'h', 'R', 't', 'S', 'r', 'u', 'q', 'e'] })
  const fmt = new LsFormatter(o.flags.has('h'))
  const recursive = o.flags.has('R')
  const pathOnly = o.flags.has('C')
  const print = (status: FileStatus, display: string): void =>
    sh.out(pathOnly ? display : fmt.format(status, display))
  const listDir = async (item: ExistingItem): Promise<void> => {
    const children = sortEntries(await sh.fs.listStatusAll(item.path), o.flags)
    if (!recursive && children.length > 0 && !pathOnly) sh.out(`Found ${children.length} items`)
    fmt.adjust(children)
    for (const child of children) {
      const display = childDisplay(item.display, child.pathSuffix)
      print(child, display)
      if (recursive && child.type === 'DIRECTORY') {
        try {
          await listDir({ display, path: posix.join(item.path, child.pathSuffix), status: child })
        } catch (err) {
          sh.error(err, display)
        }
      }
    }
  }
  await sh.forEachExisting(o.operands.length > 0 ? o.operands : ['.'], async (item) => {
    if (item.status.type === 'DIRECTORY' && !o.flags.has('d')) return listDir(item)
    fmt.adjust([item.status])
    print(item.status, item.display)
  })
}

/** `-mkdir [-p] <path> ...`. */
export async function mkdirCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['p'], min: 1 })
  const parents = o.flags.has('p')
  for (const arg of o.operands) {
    try {
      const path = sh.resolve(arg)
      const status = await sh.fs.getFileStatusIfExists(path)
      if (status?.type === 'DIRECTORY') {
        if (!parents) throw new PathError(arg, 'File exists')
        continue
      }
      if (status) throw new PathError(arg, parents ? 'Is not a directory' : 'File exists')
      if (!parents && (await sh.fs.getFileStatusIfExists(posix.dirname(path))) === undefined)
        throw new PathError(arg, 'No such file or directory')
      await sh.fs.mkdirs(path)
    } catch (err) {
      sh.error(err, arg)
    }
  }
}

/** `-rm [-f] [-r|-R] [-skipTrash] [-safely] <src> ...`: prints `Deleted <path>` (no trash). */
export async function rmCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['f', 'r', 'R', 'skipTrash', 'safely'] })
  const force = o.flags.has('f')
  const recursive = o.flags.has('r') || o.flags.has('R')
  if (o.operands.length === 0 && !force)
    throw new UsageError('Not enough arguments: expected 1 but got 0')
  for (const arg of o.operands) {
    let items
    try {
      items = await sh.expandExisting(arg)
    } catch (err) {
      if (!force) sh.error(err, arg)
      continue
    }
    for (const item of items) {
      try {
        if (item.status.type === 'DIRECTORY' && !recursive)
          throw new PathError(item.display, 'Is a directory')
        if (item.path === '/') throw new PathError(item.display, 'Input/output error')
        if (!(await sh.fs.delete(item.path, { recursive })) && !force)
          throw new PathError(item.display, 'No such file or directory')
        sh.out(`Deleted ${item.display}`)
      } catch (err) {
        sh.error(err, item.display)
      }
    }
  }
}

/** `-rmdir [--ignore-fail-on-non-empty] <dir> ...`. */
export async function rmdirCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['-ignore-fail-on-non-empty'], min: 1 })
  await sh.forEachExisting(o.operands, async (item) => {
    if (item.status.type !== 'DIRECTORY') throw new PathError(item.display, 'Is not a directory')
    try {
      await sh.fs.delete(item.path, { recursive: false })
    } catch (err) {
      if (err instanceof FsError && err.code === 'DIRECTORY_NOT_EMPTY') {
        if (o.flags.has('-ignore-fail-on-non-empty')) return
        throw new PathError(item.display, 'Directory is not empty')
      }
      throw err
    }
  })
}

/** `-mv <src> ... <dst>`: a rename on the NameNode (HDFS `rename`). */
export async function mvCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { min: 2 })
  const dstArg = o.operands[o.operands.length - 1]!
  const dst = sh.resolve(dstArg)
  const dstStatus = await sh.fs.getFileStatusIfExists(dst)
  const srcArgs = o.operands.slice(0, -1)
  if (srcArgs.length > 1 && dstStatus?.type !== 'DIRECTORY') {
    sh.error(new PathError(dstArg, dstStatus ? 'Is not a directory' : 'No such file or directory'))
    return
  }
  await sh.forEachExisting(srcArgs, async (item) => {
    const intoDir = dstStatus?.type === 'DIRECTORY'
    const name = posix.basename(item.path)
    const target = intoDir ? posix.join(dst, name) : dst
    const targetDisplay = intoDir ? childDisplay(dstArg, name) : dstArg
    if (target === item.path) throw new PathError(item.display, 'Input/output error')
    if (!intoDir && dstStatus !== undefined) throw new PathError(dstArg, 'File exists')
    if (intoDir && (await sh.fs.getFileStatusIfExists(target)))
      throw new PathError(targetDisplay, 'File exists')
    if (!(await sh.fs.rename(item.path, target)))
      throw new PathError(item.display, 'Input/output error')
  })
}

/** `-du [-s] [-h] [-v] [-x] <path> ...`: size, space consumed with all replicas, path. */
export async function duCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['s', 'h', 'v', 'x'] })
  const human = o.flags.has('h')
  const rows: string[][] = o.flags.has('v') ? [DU_HEADER] : []
  await sh.forEachExisting(o.operands.length > 0 ? o.operands : ['.'], async (item) => {
    if (item.status.type !== 'DIRECTORY' || o.flags.has('s')) {
      rows.push(duRow(await sh.fs.getContentSummary(item.path), item.display, human))
      return
    }
    for (const child of await sh.fs.listStatusAll(item.path)) {
      const path = posix.join(item.path, child.pathSuffix)
      rows.push(
        duRow(
          await sh.fs.getContentSummary(path),
          childDisplay(item.display, child.pathSuffix),
          human,
        ),
      )
    }
  })
  for (const line of formatTable(rows)) sh.out(line)
}

/** `-count [-q] [-u] [-h] [-v] <path> ...`. */
export async function countCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['q', 'u', 'h', 'v', 't', 'x', 'e'], min: 1 })
  const human = o.flags.has('h')
  const quotasOnly = o.flags.has('u')
  const quotas = o.flags.has('q')
  if (o.flags.has('v')) {
    if (quotasOnly)
      sh.out(
        `${'QUOTA'.padStart(12)} ${'REM_QUOTA'.padStart(15)} ${'SPACE_QUOTA'.padStart(15)} ${'REM_SPACE_QUOTA'.padStart(15)} PATHNAME`,
      )
    else sh.out(countHeader(quotas))
  }
  await sh.forEachExisting(o.operands, async (item) => {
    if (quotasOnly)
      sh.out(formatQuotaUsage(await sh.fs.getQuotaUsage(item.path), item.display, human))
    else
      sh.out(formatCount(await sh.fs.getContentSummary(item.path), item.display, { quotas, human }))
  })
}

/** `-stat [format] <path> ...` (default `%y`). */
export async function statCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { min: 1 })
  const operands = [...o.operands]
  const format = operands.length > 1 && operands[0]!.includes('%') ? operands.shift()! : '%y'
  await sh.forEachExisting(operands, (item) => {
    sh.out(formatStat(format, item.status, posix.basename(item.path) || '/'))
    return Promise.resolve()
  })
}

/** `-chmod [-R] <MODE[,MODE]... | OCTALMODE> PATH...`. */
export async function chmodCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['R'], min: 2 })
  const [mode, ...paths] = o.operands as [string, ...string[]]
  applyChmod(mode, 0, false) // reject a malformed mode before touching anything
  await sh.forEachExisting(paths, (root) =>
    sh.walk(root, async (item) => {
      if (!o.flags.has('R') && item !== root) return false
      const next = applyChmod(mode, item.status.permission, item.status.type === 'DIRECTORY')
      if (next !== (item.status.permission & 0o1777)) await sh.fs.setPermission(item.path, next)
      return o.flags.has('R')
    }),
  )
}

async function chownPaths(
  sh: DfsShell,
  recursive: boolean,
  owner: string | undefined,
  group: string | undefined,
  paths: string[],
): Promise<void> {
  await sh.forEachExisting(paths, (root) =>
    sh.walk(root, async (item) => {
      const same =
        (owner === undefined || owner === item.status.owner) &&
        (group === undefined || group === item.status.group)
      if (!same) await sh.fs.setOwner(item.path, owner, group)
      return recursive
    }),
  )
}

/** `-chown [-R] [OWNER][:[GROUP]] PATH...`. */
export async function chownCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['R'], min: 2 })
  const [spec, ...paths] = o.operands as [string, ...string[]]
  const { owner, group } = parseOwnerGroup(spec)
  await chownPaths(sh, o.flags.has('R'), owner, group, paths)
}

/** `-chgrp [-R] GROUP PATH...`. */
export async function chgrpCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['R'], min: 2 })
  const [group, ...paths] = o.operands as [string, ...string[]]
  if (!/^[-_a-zA-Z0-9.@/$]+$/.test(group))
    throw new UsageError(`'${group}' does not match expected pattern for group`)
  await chownPaths(sh, o.flags.has('R'), undefined, group, paths)
}

/** `-setrep [-R] [-w] <rep> <path> ...`: `Replication N set: <path>` per file (dirs: all files). */
export async function setrepCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['R', 'w'], min: 2 })
  const [repArg, ...paths] = o.operands as [string, ...string[]]
  const rep = Number(repArg)
  if (!/^\d+$/.test(repArg) || rep < 1)
    throw new UsageError(`Invalid replication factor: ${repArg}`)
  await sh.forEachExisting(paths, (root) =>
    sh.walk(root, async (item) => {
      if (item.status.type !== 'FILE') return true
      if (await sh.fs.setReplication(item.path, rep))
        sh.out(`Replication ${rep} set: ${item.display}`)
      else throw new PathError(item.display, 'Input/output error')
    }),
  )
}

/** `-test -[defswrz] <path>`: exit code 0 when true, 1 otherwise; no output. */
export async function testCommand(sh: DfsShell, args: string[]): Promise<number> {
  const o = parseOptions(args, { flags: ['e', 'd', 'f', 's', 'z', 'w', 'r'], min: 1, max: 1 })
  if (o.flags.size !== 1) throw new UsageError('No test flag given')
  const flag = [...o.flags][0]!
  const status = await sh.fs.getFileStatusIfExists(sh.resolve(o.operands[0]!))
  if (status === undefined) return 1
  const ok =
    flag === 'e' ||
    flag === 'r' ||
    flag === 'w' ||
    (flag === 'd' && status.type === 'DIRECTORY') ||
    (flag === 'f' && status.type === 'FILE') ||
    (flag === 's' && status.length > 0) ||
    (flag === 'z' && status.length === 0)
  return ok ? 0 : 1
}

/** `-getfacl [-R] <path>`. */
export async function getfaclCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['R'], min: 1, max: 1 })
  await sh.forEachExisting(o.operands, (root) =>
    sh.walk(root, async (item) => {
      for (const line of formatGetfacl(item.display, await sh.fs.getAclStatus(item.path)))
        sh.out(line)
      return o.flags.has('R')
    }),
  )
}

/** `-setfacl [-R] [-b|-k -m|-x <acl_spec> <path>]|[--set <acl_spec> <path>]`. */
export async function setfaclCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['R', 'b', 'k'], values: ['m', 'x', '-set'] })
  const actions = ['b', 'k'].filter((f) => o.flags.has(f)).length + o.values.size
  if (actions !== 1) throw new UsageError('Specified flags contains both remove and modify flags')
  if (o.operands.length !== 1) throw new UsageError('<path> is missing')
  let run: (path: string) => Promise<void>
  const parse = (spec: string, withPermissions: boolean): string => {
    try {
      parseAclSpec(spec, withPermissions)
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    return spec
  }
  if (o.flags.has('b')) run = (p) => sh.fs.removeAcl(p)
  else if (o.flags.has('k')) run = (p) => sh.fs.removeDefaultAcl(p)
  else if (o.values.has('m')) {
    const spec = parse(o.values.get('m')!, true)
    run = (p) => sh.fs.modifyAclEntries(p, spec)
  } else if (o.values.has('x')) {
    const spec = parse(o.values.get('x')!, false)
    run = (p) => sh.fs.removeAclEntries(p, spec)
  } else {
    const spec = parse(o.values.get('-set')!, true)
    run = (p) => sh.fs.setAcl(p, spec)
  }
  await sh.forEachExisting(o.operands, (root) =>
    sh.walk(root, async (item) => {
      await run(item.path)
      return o.flags.has('R')
    }),
  )
}

/** `-getfattr [-R] {-n name | -d} [-e en] <path>`. */
export async function getfattrCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['R', 'd'], values: ['n', 'e'], min: 1, max: 1 })
  const name = o.values.get('n')
  if ((name === undefined) === !o.flags.has('d'))
    throw new UsageError("Must specify '-n name' or '-d' option.")
  let encoding
  try {
    encoding = o.values.has('e') ? parseXAttrEncoding(o.values.get('e')!) : 'TEXT'
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  await sh.forEachExisting(o.operands, (root) =>
    sh.walk(root, async (item) => {
      sh.out(`# file: ${item.display}`)
      const xattrs = await sh.fs.getXAttrs(item.path, name === undefined ? undefined : [name])
      for (const [key, value] of xattrs)
        sh.out(value.length > 0 ? `${key}=${encodeXAttrValue(value, encoding)}` : key)
      return o.flags.has('R')
    }),
  )
}

/** `-setfattr {-n name [-v value] | -x name} <path>`. */
export async function setfattrCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { values: ['n', 'v', 'x'], min: 1, max: 1 })
  const name = o.values.get('n')
  const remove = o.values.get('x')
  if ((name === undefined) === (remove === undefined))
    throw new UsageError("Must specify '-n name' or '-x name' option.")
  if (remove !== undefined && o.values.has('v'))
    throw new UsageError("Can not specify both '-v value' and '-x name'.")
  let value: Buffer = Buffer.alloc(0)
  try {
    if (o.values.has('v')) value = decodeXAttrValue(o.values.get('v')!)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  await sh.forEachExisting(o.operands, async (item) => {
    if (remove !== undefined) await sh.fs.removeXAttr(item.path, remove)
    else await sh.fs.setXAttr(item.path, name!, value)
  })
}

/**
 * `-df [-h] [<path> ...]`: `Filesystem  Size  Used  Available  Use%`. Capacity comes from
 * GETSTATUS; a server without it gets the content summary of `/` (Used = space consumed, Size
 * = the space quota of `/` or `-`, Available/Use% `-` when unknown).
 */
export async function dfCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['h'] })
  const human = o.flags.has('h')
  const rows: string[][] = [['Filesystem', 'Size', 'Used', 'Available', 'Use%']]
  const uri = sh.fsUri
  let size: number | undefined
  let used: number
  let remaining: number | undefined
  try {
    const status = await sh.fs.getStatus(o.operands[0] ? sh.resolve(o.operands[0]) : '/')
    ;({ capacity: size, used, remaining } = status)
  } catch (err) {
    if (!(err instanceof FsError) || !['UNSUPPORTED', 'INVALID_ARGUMENT'].includes(err.code))
      throw err
    const summary = await sh.fs.getContentSummary('/')
    used = summary.spaceConsumed
    if (summary.spaceQuota >= 0) {
      size = summary.spaceQuota
      remaining = Math.max(0, size - used)
    }
  }
  const f = (n: number | undefined): string => (n === undefined ? '-' : formatSize(n, human))
  const pct =
    size === undefined || size === 0
      ? size === 0
        ? '0%'
        : '-'
      : `${Math.round((used / size) * 100)}%`
  rows.push([uri, f(size), f(used), f(remaining), pct])
  for (const line of formatTable(rows, new Set([1, 2, 3, 4]))) sh.out(line)
}
