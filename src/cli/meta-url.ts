/**
 * @module
 * Where the CLI finds the metadata database: `--meta URL`, else `HOPS_META_URL`, else the
 * embedded default `sqlite:<data dir>/meta.db` with the data dir from `--data-dir`,
 * `HOPS_DATA_DIR` or `./hops-data`.
 */
import { resolve } from 'node:path'

export interface MetaLocationOptions {
  readonly meta?: string
  readonly dataDir?: string
}

/** The data directory in force. */
export function dataDirOf(
  options: MetaLocationOptions,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return resolve(options.dataDir ?? env.HOPS_DATA_DIR ?? 'hops-data')
}

/** The metadata URL in force. */
export function metaUrlOf(
  options: MetaLocationOptions,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return options.meta ?? env.HOPS_META_URL ?? `sqlite:${dataDirOf(options, env)}/meta.db`
}
