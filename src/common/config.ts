/**
 * @module
 * The configuration loader every server role shares. A role declares a {@link ConfigSpec}: each
 * key with its type, default (units in the key name: `…Ms`, `…Bytes`), bounds and, where Hadoop
 * users expect one, the Hadoop name (`dfs.replication`) with the factor that turns the Hadoop
 * unit into ours (`dfs.heartbeat.interval` is in seconds). {@link loadConfig} merges, lowest first:
 * defaults, a JSON file (`--config`), environment variables (`<PREFIX>_<UPPER_SNAKE_KEY>`) and
 * command-line flags (`--kebab-key`); validates every value where it comes from (unknown keys,
 * wrong types and out-of-range values are refused with a one-line {@link ConfigError} naming the
 * source) and deep-freezes the result. {@link redactConfig} gives the loggable form: secrets
 * (database URLs) without their passwords. This is the only module that reads `process.env`
 * for a server's settings (its caller passes it in).
 */
import { readFileSync } from 'node:fs'

/** One key of a configuration. */
export interface ConfigKey {
  readonly type: 'string' | 'int' | 'bool' | 'list'
  /** What the key sets (flag help). */
  readonly doc: string
  readonly default?: string | number | boolean | readonly string[]
  /** Without a default: must be given somewhere. Otherwise the key is optional (undefined). */
  readonly required?: boolean
  /** `int`: inclusive bounds. */
  readonly min?: number
  readonly max?: number
  /** `int`: accept size suffixes `k m g t` (powers of 1024), as Hadoop's `dfs.blocksize`. */
  readonly size?: boolean
  /** `string`: the allowed values. */
  readonly values?: readonly string[]
  /** Logged redacted (a URL's password). */
  readonly secret?: boolean
  /** The Hadoop name accepted in config files; `scale` multiplies its value into our unit. */
  readonly hadoop?: { readonly name: string; readonly scale?: number }
  /** Extra check of a parsed value: a message when it is invalid. */
  readonly check?: (value: never) => string | undefined
}

export type ConfigSpec = Readonly<Record<string, ConfigKey>>

type ValueOf<K extends ConfigKey> = K['type'] extends 'int'
  ? number
  : K['type'] extends 'bool'
    ? boolean
    : K['type'] extends 'list'
      ? readonly string[]
      : string

/** The loaded configuration of a spec: keys with a default or `required` are always set. */
export type ConfigOf<S extends ConfigSpec> = {
  readonly [P in keyof S]: S[P] extends { default: unknown } | { required: true }
    ? ValueOf<S[P]>
    : ValueOf<S[P]> | undefined
}

/** An invalid configuration; the message is one line and names the offending source. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export interface ConfigSources {
  /** A JSON file holding one object of keys (ours or the Hadoop names). */
  readonly file?: string | undefined
  /** Usually `process.env`; only variables starting with `<prefix>_` are read. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Parsed flags by camelCase key (commander's `opts()`); undefined = not given. */
  readonly flags?: Readonly<Record<string, unknown>>
}

/** `heartbeatIntervalMs` → `HEARTBEAT_INTERVAL_MS`. */
export function envName(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`
}

/** `heartbeatIntervalMs` → `heartbeat-interval-ms`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

/**
 * Loads a configuration: defaults < file < env < flags.
 * @throws ConfigError on an unreadable file, an unknown key or an invalid value
 */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  envPrefix: string,
  sources: ConfigSources,
): ConfigOf<S> {
  const out: Record<string, unknown> = {}
  for (const [key, k] of Object.entries(spec)) {
    if (k.default !== undefined) out[key] = k.default
  }
  if (sources.file !== undefined) {
    for (const [key, value] of Object.entries(readConfigFile(spec, sources.file))) out[key] = value
  }
  const byEnv = new Map(Object.keys(spec).map((key) => [envName(envPrefix, key), key]))
  for (const [name, raw] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith(`${envPrefix}_`) || raw === undefined) continue
    const key = byEnv.get(name)
    if (key === undefined) {
      throw new ConfigError(
        `unknown environment variable ${name} (known: ${[...byEnv.keys()].join(', ')})`,
      )
    }
    out[key] = parseValue(key, spec[key]!, raw, name, 1)
  }
  for (const [key, raw] of Object.entries(sources.flags ?? {})) {
    const k = spec[key]
    if (k === undefined || raw === undefined) continue
    out[key] = parseValue(key, k, raw, `--${flagName(key)}`, 1)
  }
  for (const [key, k] of Object.entries(spec)) {
    if (k.required === true && out[key] === undefined) {
      throw new ConfigError(
        `${key} is required: set --${flagName(key)}, ${envName(envPrefix, key)} or "${key}" in the config file`,
      )
    }
  }
  return deepFreeze(out) as ConfigOf<S>
}

/** The configuration for logs: secret keys (URLs) without passwords. */
export function redactConfig<S extends ConfigSpec>(
  spec: S,
  config: ConfigOf<S>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config)) {
    if (spec[key]?.secret === true && value !== undefined) {
      out[key] = Array.isArray(value)
        ? value.map((v) => redactSecret(String(v)))
        : redactSecret(String(value))
    } else {
      out[key] = value
    }
  }
  return out
}

/** A URL with its password (userinfo or `password=` parameter) replaced by `****`. */
export function redactSecret(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1****@').replace(/([?&]password=)[^&]*/gi, '$1****')
}

function readConfigFile(spec: ConfigSpec, file: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${file} is not JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`)
  }
  const byHadoop = new Map<string, string>()
  for (const [key, k] of Object.entries(spec)) if (k.hadoop) byHadoop.set(k.hadoop.name, key)
  const out: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(parsed)) {
    const ours = Object.hasOwn(spec, name) ? name : undefined
    const key = ours ?? byHadoop.get(name)
    if (key === undefined) {
      throw new ConfigError(
        `unknown key '${name}' in ${file} (known: ${Object.keys(spec).join(', ')}, ${[...byHadoop.keys()].join(', ')})`,
      )
    }
    const k = spec[key]!
    const scale = ours === undefined ? (k.hadoop?.scale ?? 1) : 1
    out[key] = parseValue(key, k, raw, `'${name}' in ${file}`, scale)
  }
  return out
}

const SIZE_SUFFIX: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

function parseValue(
  key: string,
  k: ConfigKey,
  raw: unknown,
  source: string,
  scale: number,
): unknown {
  const fail = (why: string): never => {
    throw new ConfigError(`${key} ${why}, got ${JSON.stringify(raw)} (from ${source})`)
  }
  let value: unknown
  switch (k.type) {
    case 'int': {
      let n: number = NaN
      if (typeof raw === 'number') n = raw
      else if (typeof raw === 'string') {
        const m = /^\s*(-?\d+(?:\.\d+)?)\s*([kmgt]?)\s*$/i.exec(raw)
        if (m !== null && (m[2] === '' || k.size === true)) {
          n = Number(m[1]) * (m[2] === '' ? 1 : SIZE_SUFFIX[m[2]!.toLowerCase()]!)
        }
      }
      n *= scale
      const range = `${k.min ?? '-∞'}..${k.max ?? '∞'}`
      const bounded = k.min !== undefined || k.max !== undefined ? ` in ${range}` : ''
      const outside = (k.min !== undefined && n < k.min) || (k.max !== undefined && n > k.max)
      if (!Number.isSafeInteger(n) || outside) {
        fail(`must be an integer${bounded}${k.size === true ? ' (suffix k, m, g, t)' : ''}`)
      }
      value = n
      break
    }
    case 'bool':
      if (raw === true || raw === 'true' || raw === '1') value = true
      else if (raw === false || raw === 'false' || raw === '0') value = false
      else fail('must be true or false')
      break
    case 'list': {
      const items = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw.split(',').map((s) => s.trim())
          : fail('must be a list (JSON array or comma-separated)')
      const list = items.filter((s) => s !== '')
      if (list.some((s) => typeof s !== 'string')) fail('must hold strings')
      if (list.length === 0) fail('must not be empty')
      value = Object.freeze(list as string[])
      break
    }
    case 'string':
      if (typeof raw !== 'string' || raw === '') fail('must be a non-empty string')
      if (k.values !== undefined && !k.values.includes(raw as string)) {
        fail(`must be one of ${k.values.join(', ')}`)
      }
      value = raw
      break
  }
  const why = k.check?.(value as never)
  if (why !== undefined) fail(why)
  return value
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
