/**
 * @module
 * What `hops namenode` and `hops datanode` share: one flag per configuration key (`--kebab-key`,
 * taken as given and validated by the config loader), `--config file.json`, a one-line error and
 * exit 1 on a bad configuration, the effective configuration logged (secrets redacted), and a
 * clean stop on SIGINT / SIGTERM.
 */
import type { Command } from 'commander'
import { pino } from 'pino'
import type { Logger } from 'pino'
import { envName, flagName, redactConfig } from '../../common/config.js'
import type { ConfigOf, ConfigSpec } from '../../common/config.js'

/** Adds `--config` and one flag per key of `spec` to `cmd`. */
export function addConfigFlags(cmd: Command, spec: ConfigSpec, envPrefix: string): Command {
  cmd.option('--config <file>', 'JSON config file (our keys or Hadoop names)')
  for (const [key, k] of Object.entries(spec)) {
    const def = k.default === undefined ? '' : `; default ${JSON.stringify(k.default)}`
    // A bool flag alone means true (`--secure`); `--secure false` still works.
    const value = k.type === 'bool' ? '[value]' : '<value>'
    cmd.option(`--${flagName(key)} ${value}`, `${k.doc} [${envName(envPrefix, key)}${def}]`)
  }
  return cmd
}

/**
 * Runs a server role: loads its config (a bad one prints `hops <role>: <message>` and exits 1),
 * starts it, stops it on SIGINT / SIGTERM (a second signal exits at once).
 */
export async function runRole<S extends ConfigSpec, R extends { stop(): Promise<void> }>(
  role: string,
  spec: S,
  load: () => ConfigOf<S>,
  start: (config: ConfigOf<S>, log: Logger) => Promise<R>,
  onStarted?: (running: R, log: Logger) => void,
): Promise<void> {
  let config: ConfigOf<S>
  try {
    config = load()
  } catch (err) {
    process.stderr.write(`hops ${role}: ${(err as Error).message}\n`)
    process.exitCode = 1
    return
  }
  const level = (config as { logLevel?: string }).logLevel ?? 'info'
  const log = pino({ base: { role, pid: process.pid }, level })
  log.info({ config: redactConfig(spec, config) }, 'effective configuration')
  let running: R
  try {
    running = await start(config, log)
  } catch (err) {
    process.stderr.write(`hops ${role}: ${(err as Error).message}\n`)
    process.exit(1)
  }
  onStarted?.(running, log)
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) {
      process.exit(1)
    }
    stopping = true
    log.info({ signal }, 'stopping')
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}
