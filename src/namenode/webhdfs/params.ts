/**
 * @module
 * WebHDFS parameters with Hadoop's names, defaults and value rules (`web/resources/*Param.java`).
 * Names are case-insensitive (Hadoop's `ParamFilter` lower-cases them); unknown names are ignored.
 * A bad value is a 400 `IllegalArgumentException` worded like Hadoop's:
 * `Invalid value for webhdfs parameter "permission": …`.
 */
import { parseOctalPermission } from '../../common/permission.js'
import type { QueryParam } from '../http-util.js'
import { invalidParam } from '../remote-exception.js'

/** `Long.MAX_VALUE` as Hadoop sends it for "no quota change" (not exactly representable). */
export const LONG_MAX = 9223372036854775807n

/** The parameters of one WebHDFS request. */
export class WebHdfsParams {
  readonly #params: readonly QueryParam[]

  constructor(params: readonly QueryParam[]) {
    this.#params = params
  }

  /** Every parameter as received (lower-case names), in order. */
  get list(): readonly QueryParam[] {
    return this.#params
  }

  /** The first value of `name` (lower-case), or undefined. */
  get(name: string): string | undefined {
    for (const p of this.#params) if (p.name === name) return p.value
    return undefined
  }

  /** Every value of a repeatable parameter (e.g. `xattr.name`). */
  getAll(name: string): string[] {
    const out: string[] = []
    for (const p of this.#params) if (p.name === name) out.push(p.value)
    return out
  }

  /** A required string parameter. */
  required(name: string, hadoopName = name): string {
    const v = this.get(name)
    if (v === undefined || v === '') throw invalidParam(hadoopName, '', `${hadoopName} is required`)
    return v
  }

  /** `true`/`false` (case-insensitive), else `fallback` when absent or empty. */
  bool(name: string, fallback: boolean): boolean {
    const v = this.get(name)
    if (v === undefined || v === '') return fallback
    const lower = v.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
    throw invalidParam(name, v, `Failed to parse "${v}" as a boolean`)
  }

  /** A decimal integer within [min, max], else `fallback` when absent or empty. */
  int(name: string, fallback: number, min?: number, max?: number): number
  int(name: string, fallback: undefined, min?: number, max?: number): number | undefined
  int(
    name: string,
    fallback: number | undefined,
    min = -Infinity,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined {
    const v = this.get(name)
    if (v === undefined || v === '' || v.toLowerCase() === 'null') return fallback
    if (!/^[+-]?\d+$/.test(v))
      throw invalidParam(name, v, `Failed to parse "${v}" as a radix-10 long integer.`)
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw invalidParam(name, v, `Invalid value ${v}: out of range [${min}, ${max}]`)
    }
    return n
  }

  /**
   * A quota value: -1 clears (HDFS `HdfsConstants.QUOTA_RESET`), `Long.MAX_VALUE` or absent means
   * "leave unchanged" (HDFS `QUOTA_DONT_SET`), else a non-negative count.
   */
  quota(name: string): number | undefined {
    const v = this.get(name)
    if (v === undefined || v === '') return undefined
    if (!/^-?\d+$/.test(v))
      throw invalidParam(name, v, `Failed to parse "${v}" as a radix-10 long integer.`)
    if (BigInt(v) === LONG_MAX) return undefined
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < -1) throw invalidParam(name, v, `Invalid quota ${v}`)
    return n
  }

  /** An octal permission (`755`, `0755`, `1777`), else `fallback`. */
  permission(fallback: number): number
  permission(fallback: undefined): number | undefined
  permission(fallback: number | undefined): number | undefined {
    const v = this.get('permission')
    if (v === undefined || v === '') return fallback
    const mode = parseOctalPermission(v.length === 5 && v.startsWith('0') ? v.slice(1) : v)
    if (mode === undefined) {
      throw invalidParam(
        'permission',
        v,
        `Invalid permission ${v}: must be an octal number in [0, 1777]`,
      )
    }
    return mode
  }

  /** `replication`: 1..32767, else `fallback`. */
  replication(fallback: number): number
  replication(fallback: undefined): number | undefined
  replication(fallback: number | undefined): number | undefined {
    return fallback === undefined
      ? this.int('replication', undefined, 1, 32767)
      : this.int('replication', fallback, 1, 32767)
  }
}
