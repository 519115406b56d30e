/**
 * @module
 * HDFS path rules: absolute, '/'-separated, no '.' or '..' components, no ':' or NUL in a name,
 * names at most {@link MAX_COMPONENT_BYTES} UTF-8 bytes, at most {@link MAX_PATH_DEPTH} components.
 * A trailing slash is allowed and ignored (`/a/b/` is `/a/b`).
 */
import { FsError } from './fs-error.js'

/** `dfs.namenode.fs-limits.max-component-length` default. */
export const MAX_COMPONENT_BYTES = 255
/** `dfs.namenode.fs-limits.max-directory-depth`-like bound on path depth (HDFS: 1000 components). */
export const MAX_PATH_DEPTH = 1000

/** A validated, normalised absolute path and its components (root has none). */
export interface HdfsPath {
  /** Normalised path: `/` or `/a/b` (no trailing slash). */
  readonly path: string
  /** Components below the root: `/a/b` → `['a', 'b']`. */
  readonly components: readonly string[]
}

/**
 * Validates and normalises an absolute HDFS path.
 * @throws FsError INVALID_PATH for relative paths, empty, '.', '..', ':' or NUL components;
 *   PATH_COMPONENT_TOO_LONG for a name over 255 bytes.
 */
export function parseHdfsPath(input: unknown): HdfsPath {
  if (typeof input !== 'string') {
    throw new FsError('INVALID_PATH', `Invalid path: expected a string, got ${typeof input}`)
  }
  if (!input.startsWith('/'))
    throw new FsError('INVALID_PATH', `Invalid path name ${input}: not absolute`)
  if (input === '/') return ROOT
  const trimmed = input.endsWith('/') ? input.slice(0, -1) : input
  const components = trimmed.slice(1).split('/')
  if (components.length > MAX_PATH_DEPTH) {
    throw new FsError('INVALID_PATH', `Invalid path name ${input}: deeper than ${MAX_PATH_DEPTH}`)
  }
  for (const name of components) validateName(name, input)
  return { path: trimmed, components }
}

/** The root path `/`. */
export const ROOT: HdfsPath = Object.freeze({ path: '/', components: Object.freeze([]) })

/**
 * Checks one path component (a file or directory name).
 * @throws FsError INVALID_PATH or PATH_COMPONENT_TOO_LONG
 */
export function validateName(name: string, path: string): void {
  if (name === '' || name === '.' || name === '..') {
    throw new FsError('INVALID_PATH', `Invalid path name ${path}: bad component '${name}'`)
  }
  if (name.includes(':') || name.includes('\0')) {
    throw new FsError('INVALID_PATH', `Invalid path name ${path}: component contains ':' or NUL`)
  }
  if (name.length * 3 > MAX_COMPONENT_BYTES && Buffer.byteLength(name) > MAX_COMPONENT_BYTES) {
    throw new FsError(
      'PATH_COMPONENT_TOO_LONG',
      `The maximum path component name limit of ${name.slice(0, 32)}… in ${path} is exceeded: limit=${MAX_COMPONENT_BYTES}`,
    )
  }
}

/** Joins a parent path and a child name. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`
}

/** The path of the first `depth` components of `p` (`depth` 0 is the root). */
export function prefixPath(p: HdfsPath, depth: number): string {
  return depth === 0 ? '/' : '/' + p.components.slice(0, depth).join('/')
}

/** True when `descendant` is `ancestor` itself or lies below it. */
export function isSameOrDescendant(ancestor: string, descendant: string): boolean {
  if (ancestor === '/') return true
  return descendant === ancestor || descendant.startsWith(ancestor + '/')
}

/** The path of child `name` of `parent` (the name must already be valid). */
export function childOf(parent: HdfsPath, name: string): HdfsPath {
  return { path: childPath(parent.path, name), components: [...parent.components, name] }
}
