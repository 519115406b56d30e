/**
 * @module
 * Output formats of `hops dfs`, as Hadoop's FsShell prints them (`Ls`, `FsUsage`, `Count`,
 * `Stat`, `GetfaclCommand`): pure functions, unit-tested in `dfs-format.test.ts`.
 */
import { modeSymbol } from '../../common/permission.js'
import { actionSymbol } from '../../common/permission.js'
import type {
  AclEntry,
  AclStatus,
  ContentSummary,
  FileStatus,
  QuotaUsage,
} from '../../client/types.js'
import { formatAclEntry } from '../../client/acl-spec.js'

const PREFIXES = ['K', 'M', 'G', 'T', 'P', 'E'] as const

/**
 * Hadoop's `TraditionalBinaryPrefix.long2String(n, "", 1)`: `100`, `1 K`, `1.5 K`, `128 M`.
 * Exact multiples print without decimals.
 */
export function humanSize(n: number): string {
  if (n < 0) return '-' + humanSize(-n)
  if (n < 1024) return String(n)
  let i = 0
  while (i + 1 < PREFIXES.length && n >= 1024 ** (i + 2)) i++
  let unit = 1024 ** (i + 1)
  if (Number.isInteger(n / unit)) return `${n / unit} ${PREFIXES[i]}`
  let s = (n / unit).toFixed(1)
  if (s.startsWith('1024') && i + 1 < PREFIXES.length) {
    i++
    unit *= 1024
    s = (n / unit).toFixed(1)
  }
  return `${s} ${PREFIXES[i]}`
}

/** A size as `-h` asks: human-readable or the plain number. */
export function formatSize(n: number, human: boolean): string {
  return human ? humanSize(n) : String(n)
}

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

/** `yyyy-MM-dd HH:mm` in local time, as `-ls` prints modification times. */
export function formatLsTime(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`
}

/** `yyyy-MM-dd HH:mm:ss` in UTC, as `-stat %y` prints times. */
export function formatStatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

/**
 * `-ls` lines. Column widths grow over the whole command and never shrink, as in Hadoop's `Ls`
 * (replication at least 3 wide, length at least 10):
 * `drwxr-xr-x   - alice supergroup          0 2024-05-01 12:00 /user/alice/dir`.
 */
export class LsFormatter {
  #repl = 3
  #len = 10
  #owner = 0
  #group = 0
  constructor(readonly human: boolean) {}

  /** Widens the columns for a batch of entries (call before printing them). */
  adjust(items: readonly FileStatus[]): void {
    for (const s of items) {
      this.#repl = Math.max(this.#repl, String(s.replication).length)
      this.#len = Math.max(this.#len, String(s.length).length)
      this.#owner = Math.max(this.#owner, s.owner.length)
      this.#group = Math.max(this.#group, s.group.length)
    }
  }

  /** One line for `status` shown as `display`. */
  format(status: FileStatus, display: string): string {
    const type = status.type === 'DIRECTORY' ? 'd' : status.type === 'SYMLINK' ? 'l' : '-'
    const repl = status.type === 'FILE' ? String(status.replication) : '-'
    const owner = this.#owner > 0 ? status.owner.padEnd(this.#owner) + ' ' : status.owner
    const group = this.#group > 0 ? status.group.padEnd(this.#group) + ' ' : status.group
    const size = formatSize(status.length, this.human).padStart(this.#len)
    const target = status.type === 'SYMLINK' && status.symlink ? ` -> ${status.symlink}` : ''
    return (
      `${type}${modeSymbol(status.permission)}${status.aclBit ? '+' : ' '}` +
      `${repl.padStart(this.#repl)} ${owner}${group}${size} ` +
      `${formatLsTime(status.modificationTime)} ${display}${target}`
    )
  }
}

/**
 * A table as Hadoop's `FsUsage.TableBuilder` prints it: columns two spaces apart, padded to the
 * widest cell, left-aligned unless listed in `rightAlign`; the last left-aligned column is not
 * padded.
 */
export function formatTable(
  rows: readonly (readonly string[])[],
  rightAlign: ReadonlySet<number> = new Set(),
): string[] {
  if (rows.length === 0) return []
  const columns = Math.max(...rows.map((r) => r.length))
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(...rows.map((r) => (r[i] ?? '').length)),
  )
  return rows.map((r) =>
    widths
      .map((w, i) => {
        const cell = r[i] ?? ''
        if (rightAlign.has(i)) return cell.padStart(w)
        return i === columns - 1 ? cell : cell.padEnd(w)
      })
      .join('  '),
  )
}

/** `-du` header with `-v`. */
export const DU_HEADER = ['SIZE', 'DISK_SPACE_CONSUMED_WITH_ALL_REPLICAS', 'FULL_PATH_NAME']

/** One `-du` row: length, space consumed with all replicas, path. */
export function duRow(summary: ContentSummary, display: string, human: boolean): string[] {
  return [formatSize(summary.length, human), formatSize(summary.spaceConsumed, human), display]
}

function quotaPart(quota: number, used: number, human: boolean): [string, string] {
  return quota >= 0 ? [formatSize(quota, human), formatSize(quota - used, human)] : ['none', 'inf']
}

/**
 * A `-count` line (Hadoop 3 `ContentSummary.toString`): `%12s %12s %18s ` for directories, files
 * and bytes, preceded with `-q` by `%12s %15s %15s %15s ` for the quota, remaining quota, space
 * quota and remaining space quota (`none`/`inf` when unset), then the path.
 */
export function formatCount(
  summary: ContentSummary,
  display: string,
  options: { quotas: boolean; human: boolean },
): string {
  const h = options.human
  let prefix = ''
  if (options.quotas) {
    const [q, qRem] = quotaPart(summary.quota, summary.directoryCount + summary.fileCount, h)
    const [sq, sqRem] = quotaPart(summary.spaceQuota, summary.spaceConsumed, h)
    prefix = `${q.padStart(12)} ${qRem.padStart(15)} ${sq.padStart(15)} ${sqRem.padStart(15)} `
  }
  return (
    prefix +
    `${formatSize(summary.directoryCount, h).padStart(12)} ` +
    `${formatSize(summary.fileCount, h).padStart(12)} ` +
    `${formatSize(summary.length, h).padStart(18)} ${display}`
  )
}

/** The `-count -v` header line. */
export function countHeader(quotas: boolean): string {
  const q = quotas
    ? `${'QUOTA'.padStart(12)} ${'REM_QUOTA'.padStart(15)} ${'SPACE_QUOTA'.padStart(15)} ${'REM_SPACE_QUOTA'.padStart(15)} `
    : ''
  return `${q}${'DIR_COUNT'.padStart(12)} ${'FILE_COUNT'.padStart(12)} ${'CONTENT_SIZE'.padStart(18)} PATHNAME`
}

/** A `-count -u` line: quota, remaining quota, space quota, remaining space quota, path. */
export function formatQuotaUsage(usage: QuotaUsage, display: string, human: boolean): string {
  const [q, qRem] = quotaPart(usage.quota, usage.fileAndDirectoryCount, human)
  const [sq, sqRem] = quotaPart(usage.spaceQuota, usage.spaceConsumed, human)
  return `${q.padStart(12)} ${qRem.padStart(15)} ${sq.padStart(15)} ${sqRem.padStart(15)} ${display}`
}

/**
 * `-stat FORMAT` (Hadoop `Stat`): `%a` octal permission, `%A` symbolic, `%b` length, `%F` type,
 * `%g` group, `%n` name, `%o` block size, `%r` replication, `%u` owner, `%x`/`%X` access time
 * (UTC text / ms), `%y`/`%Y` modification time. `\n`-free; unknown `%c` stays as it is.
 */
export function formatStat(format: string, status: FileStatus, name: string): string {
  return format.replace(/%(.)/g, (all, c: string) => {
    switch (c) {
      case 'a':
        return status.permission.toString(8)
      case 'A':
        return modeSymbol(status.permission)
      case 'b':
        return String(status.length)
      case 'F':
        return status.type === 'DIRECTORY'
          ? 'directory'
          : status.type === 'FILE'
            ? 'regular file'
            : 'symlink'
      case 'g':
        return status.group
      case 'n':
        return name
      case 'o':
        return String(status.blockSize)
      case 'r':
        return String(status.replication)
      case 'u':
        return status.owner
      case 'x':
        return formatStatTime(status.accessTime)
      case 'X':
        return String(status.accessTime)
      case 'y':
        return formatStatTime(status.modificationTime)
      case 'Y':
        return String(status.modificationTime)
      case '%':
        return '%'
      default:
        return all
    }
  })
}

/**
 * The full logical ACL from the mode bits and the extended entries of GETACLSTATUS
 * (`AclUtil.getAclFromPermAndEntries`): `user::`, extended access entries, `mask::` (or `group::`
 * when there are none), `other::`, then the default entries.
 */
export function aclFromPermAndEntries(
  permission: number,
  entries: readonly AclEntry[],
): AclEntry[] {
  const access = entries.filter((e) => e.scope === 'ACCESS')
  const defaults = entries.filter((e) => e.scope === 'DEFAULT')
  const base = (type: AclEntry['type'], permission: number): AclEntry => ({
    scope: 'ACCESS',
    type,
    name: '',
    permission,
  })
  return [
    base('USER', (permission >> 6) & 7),
    ...access,
    base(access.length > 0 ? 'MASK' : 'GROUP', (permission >> 3) & 7),
    base('OTHER', permission & 7),
    ...defaults,
  ]
}

function scopeLines(entries: readonly AclEntry[]): string[] {
  if (entries.length === 0) return []
  if (entries.length === 3) return entries.map(formatAclEntry) // minimal: no mask to apply
  const mask = entries.find((e) => e.type === 'MASK')
  return entries.map((e) => {
    const line = formatAclEntry(e)
    const masked = (e.type === 'USER' && e.name !== '') || e.type === 'GROUP'
    if (!masked || mask === undefined) return line
    const effective = e.permission & mask.permission
    return effective === e.permission ? line : `${line}\t#effective:${actionSymbol(effective)}`
  })
}

/** `-getfacl` output for one path, the trailing blank line included. */
export function formatGetfacl(display: string, acl: AclStatus): string[] {
  const lines = [`# file: ${display}`, `# owner: ${acl.owner}`, `# group: ${acl.group}`]
  if (acl.stickyBit) lines.push('# flags: --t')
  const all = aclFromPermAndEntries(acl.permission, acl.entries)
  lines.push(...scopeLines(all.filter((e) => e.scope === 'ACCESS')))
  lines.push(...scopeLines(all.filter((e) => e.scope === 'DEFAULT')))
  lines.push('')
  return lines
}
