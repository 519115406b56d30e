/**
 * @module
 * The state one `hops dfs` command runs with (Hadoop's `Command` + `PathData`): the SDK, output
 * streams, path resolution and globbing, and per-argument error reporting
 * (`ls: \`/nope': No such file or directory`, counted towards exit code 1).
 */
import { posix } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { FsError } from '../../common/fs-error.js'
import type { FileSystem } from '../../client/file-system.js'
import type { FileStatus } from '../../client/types.js'
import { childDisplay, globToRegExp, hasGlob, resolveHdfsPath, UsageError } from './dfs-args.js'

/** Where a command reads and writes (process streams in the CLI; buffers in tests). */
export interface DfsIo {
  readonly stdout: Writable
  readonly stderr: Writable
  readonly stdin: Readable
  /** Progress bars for -put/-get only when true. */
  readonly stderrIsTTY: boolean
}

/** Hadoop's `PathIOException` text: `` `path': reason ``. */
export function formatPathError(display: string, reason: string): string {
  return `\`${display}': ${reason}`
}

/** An error about one path, printed as `` cmd: `path': reason `` (Hadoop `PathIOException`). */
export class PathError extends Error {
  override readonly name = 'PathError'
  constructor(
    readonly display: string,
    readonly reason: string,
  ) {
    super(formatPathError(display, reason))
  }
}

/** Hadoop's shell words for our error codes (`PathNotFoundException` …). */
const REASONS: Partial<Record<FsError['code'], string>> = {
  FILE_NOT_FOUND: 'No such file or directory',
  FILE_EXISTS: 'File exists',
  IS_A_DIRECTORY: 'Is a directory',
  NOT_A_DIRECTORY: 'Is not a directory',
  PARENT_NOT_DIRECTORY: 'Is not a directory',
  DIRECTORY_NOT_EMPTY: 'Directory is not empty',
}

/** A path argument after resolution: what to show, the absolute path, its status if it exists. */
export interface PathItem {
  readonly display: string
  readonly path: string
  readonly status: FileStatus | undefined
}

/** An existing path. */
export type ExistingItem = PathItem & { readonly status: FileStatus }

/** One running command: `name` is without the dash (`ls`), as Hadoop prints it. */
export class DfsShell {
  errors = 0
  /** The filesystem URI `-df` prints (`webhdfs://host:port` of the first NameNode). */
  fsUri = 'webhdfs://'

  constructor(
    readonly fs: FileSystem,
    readonly io: DfsIo,
    readonly user: string,
    readonly name: string,
  ) {}

  /** The home directory relative paths start from (`/user/<user>`, computed locally as HDFS does). */
  get home(): string {
    return `/user/${this.user}`
  }

  out(line: string): void {
    this.io.stdout.write(line + '\n')
  }

  /** Prints an error for this command and counts it. */
  error(err: unknown, display?: string): void {
    this.errors++
    this.io.stderr.write(`${this.name}: ${this.describe(err, display)}\n`)
  }

  /** The text Hadoop's shell shows for an error (first line only). */
  describe(err: unknown, display?: string): string {
    if (err instanceof PathError) return err.message
    if (err instanceof FsError) {
      const reason = REASONS[err.code]
      if (reason !== undefined && display !== undefined) return formatPathError(display, reason)
      return err.message.split('\n')[0]!
    }
    if (err instanceof Error) {
      const code = (err as { code?: unknown }).code
      if (code === 'ENOENT' && display !== undefined)
        return formatPathError(display, 'No such file or directory')
      if (code === 'EISDIR' && display !== undefined)
        return formatPathError(display, 'Is a directory')
      if (code === 'EEXIST' && display !== undefined) return formatPathError(display, 'File exists')
      return err.message.split('\n')[0]!
    }
    return String(err)
  }

  /** The absolute HDFS path of an argument. */
  resolve(arg: string): string {
    return resolveHdfsPath(arg, this.home)
  }

  /**
   * Expands one argument: globs against the namespace (no match: `No such file or directory`),
   * otherwise the path with its status, or without one when it does not exist.
   */
  async expand(arg: string): Promise<PathItem[]> {
    const path = this.resolve(arg)
    if (!hasGlob(path))
      return [{ display: arg, path, status: await this.fs.getFileStatusIfExists(path) }]
    let current: { path: string; status: FileStatus | undefined }[] = [
      { path: '/', status: undefined },
    ]
    for (const component of path.split('/').filter((c) => c !== '')) {
      const next: typeof current = []
      if (!hasGlob(component)) {
        for (const c of current)
          next.push({ path: posix.join(c.path, component), status: undefined })
      } else {
        const re = globToRegExp(component)
        for (const c of current) {
          const st = c.status ?? (await this.fs.getFileStatusIfExists(c.path))
          if (st?.type !== 'DIRECTORY') continue
          for (const child of await this.fs.listStatusAll(c.path))
            if (re.test(child.pathSuffix) && !child.pathSuffix.startsWith('.'))
              next.push({ path: posix.join(c.path, child.pathSuffix), status: child })
        }
      }
      current = next
    }
    const items: PathItem[] = []
    for (const c of current) {
      const status = c.status ?? (await this.fs.getFileStatusIfExists(c.path))
      if (status === undefined) continue
      const display =
        arg.startsWith('/') || /^[a-z]+:\/\//i.test(arg)
          ? c.path
          : posix.relative(this.home, c.path)
      items.push({ display, path: c.path, status })
    }
    if (items.length === 0) throw new PathError(arg, 'No such file or directory')
    return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  /** Expands an argument and requires every match to exist. */
  async expandExisting(arg: string): Promise<ExistingItem[]> {
    const items = await this.expand(arg)
    for (const item of items)
      if (item.status === undefined) throw new PathError(item.display, 'No such file or directory')
    return items as ExistingItem[]
  }

  /**
   * Runs `fn` for each existing match of each argument; an error is printed and counted and the
   * next argument goes on (Hadoop `Command.processArguments`). Usage errors propagate.
   */
  async forEachExisting(
    args: readonly string[],
    fn: (item: ExistingItem) => Promise<void>,
  ): Promise<void> {
    for (const arg of args) {
      let items: ExistingItem[]
      try {
        items = await this.expandExisting(arg)
      } catch (err) {
        if (err instanceof UsageError) throw err
        this.error(err, arg)
        continue
      }
      for (const item of items) {
        try {
          await fn(item)
        } catch (err) {
          if (err instanceof UsageError) throw err
          this.error(err, item.display)
        }
      }
    }
  }

  /**
   * Walks a tree depth-first, the directory before its children (Hadoop's `-R`). `fn` may return
   * false to stop descending.
   */
  async walk(
    item: ExistingItem,
    fn: (item: ExistingItem) => Promise<void | boolean>,
  ): Promise<void> {
    const descend = await fn(item)
    if (item.status.type !== 'DIRECTORY' || descend === false) return
    for await (const batch of this.fs.listStatus(item.path)) {
      for (const child of batch) {
        await this.walk(
          {
            display: childDisplay(item.display, child.pathSuffix),
            path: posix.join(item.path, child.pathSuffix),
            status: child,
          },
          fn,
        )
      }
    }
  }
}
