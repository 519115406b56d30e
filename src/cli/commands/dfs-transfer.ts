/**
 * @module
 * The data commands of `hops dfs`: -put/-copyFromLocal, -get/-copyToLocal, -cat, -tail, -cp,
 * -appendToFile, -touchz. Bytes stream through the SDK (constant memory). Like Hadoop, copies go
 * to `<dst>._COPYING_` and are renamed into place when complete, so a failed copy leaves no
 * half-written destination. A progress line is drawn on stderr for files of 16 MiB and more, only
 * when stderr is a terminal.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import type { Stats } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, join as localJoin, posix } from 'node:path'
import { Transform } from 'node:stream'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { FsError } from '../../common/fs-error.js'
import { childDisplay, parseOptions, UsageError } from './dfs-args.js'
import { humanSize } from './dfs-format.js'
import { PathError } from './dfs-shell.js'
import type { DfsShell, ExistingItem } from './dfs-shell.js'

const COPYING_SUFFIX = '._COPYING_'
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024

/** A pass-through that redraws `name: 42% 12.0 M/28.6 M` on stderr at most 5 times a second. */
function progress(sh: DfsShell, name: string, total: number): Transform | undefined {
  if (!sh.io.stderrIsTTY || total < PROGRESS_MIN_BYTES) return undefined
  let done = 0
  let last = 0
  const draw = (): void => {
    const pct = Math.floor((done / total) * 100)
    sh.io.stderr.write(`\r${name}: ${pct}% ${humanSize(done)}/${humanSize(total)}\x1b[K`)
  }
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length
      const now = Date.now()
      if (now - last > 200) {
        last = now
        draw()
      }
      cb(null, chunk)
    },
    flush(cb) {
      draw()
      sh.io.stderr.write('\n')
      cb()
    },
  })
}

async function copyStream(
  sh: DfsShell,
  source: Readable,
  sink: Writable,
  name: string,
  total: number,
): Promise<void> {
  const bar = progress(sh, name, total)
  if (bar) await pipeline(source, bar, sink)
  else await pipeline(source, sink)
}

async function localStat(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path)
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined
    throw err
  }
}

/** Uploads one local file (or stdin for `-`) to `dst` through `dst._COPYING_`. */
async function putFile(
  sh: DfsShell,
  source: string,
  dst: string,
  dstDisplay: string,
  overwrite: boolean,
): Promise<void> {
  const existing = await sh.fs.getFileStatusIfExists(dst)
  if (existing?.type === 'DIRECTORY') throw new PathError(dstDisplay, 'Is a directory')
  if (existing && !overwrite) throw new PathError(dstDisplay, 'File exists')
  const tmp = dst + COPYING_SUFFIX
  const size = source === '-' ? 0 : ((await localStat(source))?.size ?? 0)
  const input = source === '-' ? sh.io.stdin : createReadStream(source)
  try {
    const out = await sh.fs.create(tmp, { overwrite: true })
    await copyStream(sh, input, out, basename(source), size)
    await sh.fs.rename2(tmp, dst, { overwrite })
  } catch (err) {
    await sh.fs.delete(tmp).catch(() => undefined)
    throw err
  }
}

async function putTree(
  sh: DfsShell,
  local: string,
  dst: string,
  dstDisplay: string,
  overwrite: boolean,
): Promise<void> {
  const st = await localStat(local)
  if (st === undefined) throw new PathError(local, 'No such file or directory')
  if (!st.isDirectory()) return putFile(sh, local, dst, dstDisplay, overwrite)
  const existing = await sh.fs.getFileStatusIfExists(dst)
  if (existing && existing.type !== 'DIRECTORY') throw new PathError(dstDisplay, 'File exists')
  await sh.fs.mkdirs(dst)
  for (const name of (await readdir(local)).sort()) {
    await putTree(
      sh,
      localJoin(local, name),
      posix.join(dst, name),
      childDisplay(dstDisplay, name),
      overwrite,
    )
  }
}

/** `-put [-f] [-p] [-l] [-d] <localsrc> ... <dst>` (also -copyFromLocal); `-` reads stdin. */
export async function putCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['f', 'p', 'l', 'd'], min: 1 })
  const operands = o.operands.length === 1 ? [...o.operands, '.'] : o.operands
  const dstArg = operands[operands.length - 1]!
  const sources = operands.slice(0, -1)
  const dst = sh.resolve(dstArg)
  const dstStatus = await sh.fs.getFileStatusIfExists(dst)
  if (sources.includes('-') && sources.length > 1) throw new UsageError('- must be the only source')
  if (sources.length > 1 && dstStatus?.type !== 'DIRECTORY') {
    sh.error(new PathError(dstArg, dstStatus ? 'Is not a directory' : 'No such file or directory'))
    return
  }
  for (const source of sources) {
    const intoDir = dstStatus?.type === 'DIRECTORY' && source !== '-'
    const name = basename(source)
    const target = intoDir ? posix.join(dst, name) : dst
    const display = intoDir ? childDisplay(dstArg, name) : dstArg
    try {
      if (source === '-') await putFile(sh, '-', target, display, o.flags.has('f'))
      else await putTree(sh, source, target, display, o.flags.has('f'))
    } catch (err) {
      sh.error(err, display)
    }
  }
}

async function getFile(
  sh: DfsShell,
  item: ExistingItem,
  local: string,
  overwrite: boolean,
): Promise<void> {
  const existing = await localStat(local)
  if (existing?.isDirectory()) throw new PathError(local, 'Is a directory')
  if (existing && !overwrite) throw new PathError(local, 'File exists')
  const tmp = local + COPYING_SUFFIX
  try {
    const input = await sh.fs.open(item.path)
    await copyStream(sh, input, createWriteStream(tmp), basename(item.path), item.status.length)
    await rename(tmp, local)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

async function getTree(
  sh: DfsShell,
  item: ExistingItem,
  local: string,
  overwrite: boolean,
): Promise<void> {
  if (item.status.type !== 'DIRECTORY') return getFile(sh, item, local, overwrite)
  await mkdir(local, { recursive: true })
  for (const child of await sh.fs.listStatusAll(item.path)) {
    await getTree(
      sh,
      {
        display: childDisplay(item.display, child.pathSuffix),
        path: posix.join(item.path, child.pathSuffix),
        status: child,
      },
      localJoin(local, child.pathSuffix),
      overwrite,
    )
  }
}

/** `-get [-f] [-p] [-ignoreCrc] [-crc] <src> ... <localdst>` (also -copyToLocal). */
export async function getCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['f', 'p', 'ignoreCrc', 'crc'], min: 1 })
  const operands = o.operands.length === 1 ? [...o.operands, '.'] : o.operands
  const localDst = operands[operands.length - 1]!
  const dstStat = await localStat(localDst)
  const srcArgs = operands.slice(0, -1)
  if (srcArgs.length > 1 && !dstStat?.isDirectory()) {
    sh.error(new PathError(localDst, dstStat ? 'Is not a directory' : 'No such file or directory'))
    return
  }
  await sh.forEachExisting(srcArgs, async (item) => {
    const name = posix.basename(item.path)
    const target = dstStat?.isDirectory() ? localJoin(localDst, name) : localDst
    await getTree(sh, item, target, o.flags.has('f'))
  })
}

/** `-cat [-ignoreCrc] <src> ...`. */
export async function catCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['ignoreCrc'], min: 1 })
  await sh.forEachExisting(o.operands, async (item) => {
    if (item.status.type === 'DIRECTORY') throw new PathError(item.display, 'Is a directory')
    await pipeline(await sh.fs.open(item.path), sh.io.stdout, { end: false })
  })
}

/** `-tail [-f] <file>`: the last 1 KB; `-f` polls every 5 s for more, like Hadoop. */
export async function tailCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['f'], min: 1, max: 1 })
  await sh.forEachExisting(o.operands, async (item) => {
    if (item.status.type === 'DIRECTORY') throw new PathError(item.display, 'Is a directory')
    let offset = Math.max(0, item.status.length - 1024)
    for (;;) {
      const length = (await sh.fs.getFileStatus(item.path)).length
      if (length > offset) {
        await pipeline(await sh.fs.open(item.path, { offset }), sh.io.stdout, { end: false })
        offset = length
      }
      if (!o.flags.has('f')) return
      await sleep(5000)
    }
  })
}

async function copyTree(
  sh: DfsShell,
  item: ExistingItem,
  dst: string,
  dstDisplay: string,
  overwrite: boolean,
): Promise<void> {
  if (item.status.type === 'DIRECTORY') {
    const existing = await sh.fs.getFileStatusIfExists(dst)
    if (existing && existing.type !== 'DIRECTORY') throw new PathError(dstDisplay, 'File exists')
    await sh.fs.mkdirs(dst)
    for (const child of await sh.fs.listStatusAll(item.path)) {
      await copyTree(
        sh,
        {
          display: childDisplay(item.display, child.pathSuffix),
          path: posix.join(item.path, child.pathSuffix),
          status: child,
        },
        posix.join(dst, child.pathSuffix),
        childDisplay(dstDisplay, child.pathSuffix),
        overwrite,
      )
    }
    return
  }
  const existing = await sh.fs.getFileStatusIfExists(dst)
  if (existing?.type === 'DIRECTORY') throw new PathError(dstDisplay, 'Is a directory')
  if (existing && !overwrite) throw new PathError(dstDisplay, 'File exists')
  const tmp = dst + COPYING_SUFFIX
  try {
    const out = await sh.fs.create(tmp, { overwrite: true })
    await copyStream(
      sh,
      await sh.fs.open(item.path),
      out,
      posix.basename(item.path),
      item.status.length,
    )
    await sh.fs.rename2(tmp, dst, { overwrite })
  } catch (err) {
    await sh.fs.delete(tmp).catch(() => undefined)
    throw err
  }
}

/** `-cp [-f] [-p] <src> ... <dst>`: a client-side copy through the streams. */
export async function cpCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['f', 'p', 'd'], min: 2 })
  const dstArg = o.operands[o.operands.length - 1]!
  const dst = sh.resolve(dstArg)
  const dstStatus = await sh.fs.getFileStatusIfExists(dst)
  const srcArgs = o.operands.slice(0, -1)
  if (srcArgs.length > 1 && dstStatus?.type !== 'DIRECTORY') {
    sh.error(new PathError(dstArg, dstStatus ? 'Is not a directory' : 'No such file or directory'))
    return
  }
  await sh.forEachExisting(srcArgs, async (item) => {
    const name = posix.basename(item.path)
    const intoDir = dstStatus?.type === 'DIRECTORY'
    const target = intoDir ? posix.join(dst, name) : dst
    if (
      item.status.type === 'DIRECTORY' &&
      (target === item.path || target.startsWith(item.path + '/'))
    )
      throw new PathError(dstArg, `is a subdirectory of itself`) // Hadoop: PathIsNotDirectory-ish
    await copyTree(
      sh,
      item,
      target,
      intoDir ? childDisplay(dstArg, name) : dstArg,
      o.flags.has('f'),
    )
  })
}

/** `-appendToFile <localsrc> ... <dst>`: creates the file when missing; `-` reads stdin. */
export async function appendToFileCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { flags: ['n'], min: 2 })
  const dstArg = o.operands[o.operands.length - 1]!
  const dst = sh.resolve(dstArg)
  const sources = o.operands.slice(0, -1)
  for (const s of sources) {
    if (s !== '-' && (await localStat(s)) === undefined) {
      sh.error(new PathError(s, 'No such file or directory'))
      return
    }
  }
  try {
    const existing = await sh.fs.getFileStatusIfExists(dst)
    if (existing?.type === 'DIRECTORY') throw new PathError(dstArg, 'Is a directory')
    const out = existing ? await sh.fs.append(dst) : await sh.fs.create(dst)
    const inputs = sources.map((s) => (s === '-' ? sh.io.stdin : createReadStream(s)))
    await pipeline(async function* () {
      for (const input of inputs) for await (const chunk of input) yield chunk as Buffer
    }, out)
  } catch (err) {
    sh.error(err, dstArg)
  }
}

/** `-touchz <path> ...`: creates empty files; an existing empty file is recreated. */
export async function touchzCommand(sh: DfsShell, args: string[]): Promise<void> {
  const o = parseOptions(args, { min: 1 })
  for (const arg of o.operands) {
    try {
      const path = sh.resolve(arg)
      const status = await sh.fs.getFileStatusIfExists(path)
      if (status?.type === 'DIRECTORY') throw new PathError(arg, 'Is a directory')
      if (status && status.length !== 0) throw new PathError(arg, 'Not a zero-length file')
      if (status === undefined) {
        const parent = await sh.fs.getFileStatusIfExists(posix.dirname(path))
        if (parent === undefined) throw new PathError(arg, 'No such file or directory')
      }
      await sh.fs.writeFile(path, Buffer.alloc(0), { overwrite: true })
    } catch (err) {
      if (err instanceof FsError && err.code === 'FILE_NOT_FOUND')
        sh.error(new PathError(arg, 'No such file or directory'))
      else sh.error(err, arg)
    }
  }
}
