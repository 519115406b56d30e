/**
 * @module
 * Where the installation's secret key comes from: `HOPS_SECRET_KEY` (at least 32 characters) when
 * set, else the file `<data dir>/secret.key`, created with 32 random bytes (mode 0600) the first
 * time. It is the one secret of an installation: `SecretBox` seals TOTP secrets, the
 * session-signing key and the certificate authority's private keys with it. Every process of one
 * installation must see the same key: a cluster on several hosts sets `HOPS_SECRET_KEY` (or
 * shares the file). Losing it means re-enrolling TOTP, signing everybody out and a new CA.
 */
import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MIN_SECRET_KEY_LENGTH } from './secret-box.js'

/** The environment variable holding the installation's secret key. */
export const SECRET_KEY_ENV = 'HOPS_SECRET_KEY'

/** The file in the data directory holding the key when {@link SECRET_KEY_ENV} is not set. */
export const SECRET_KEY_FILE = 'secret.key'

/** Where the installation key of `dataDir` is kept when it does not come from the environment. */
export function installationKeyFile(dataDir: string): string {
  return join(dataDir, SECRET_KEY_FILE)
}

/**
 * The installation's secret key from `env`, else from `<dataDir>/secret.key`; undefined when
 * neither has one (nothing is created).
 * @throws TypeError when `HOPS_SECRET_KEY` is set but too short, or the file is too short
 */
export function readInstallationKey(dataDir: string, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = env[SECRET_KEY_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < MIN_SECRET_KEY_LENGTH) {
      throw new TypeError(
        `${SECRET_KEY_ENV} is too short: at least ${MIN_SECRET_KEY_LENGTH} characters are required`,
      )
    }
    return fromEnv
  }
  const file = installationKeyFile(dataDir)
  try {
    const key = readFileSync(file, 'utf8').trim()
    if (key.length < MIN_SECRET_KEY_LENGTH)
      throw new TypeError(`${file} holds a key that is too short`)
    return key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    return undefined
  }
}

/**
 * The installation's secret key, from `env` or from (creating if missing) `<dataDir>/secret.key`.
 * @throws TypeError when `HOPS_SECRET_KEY` is set but too short, or the file is too short
 */
export function loadInstallationKey(dataDir: string, env: NodeJS.ProcessEnv): string {
  const existing = readInstallationKey(dataDir, env)
  if (existing !== undefined) return existing
  const file = installationKeyFile(dataDir)
  mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(32).toString('base64url')
  // Written aside, then linked into place: a process starting at the same moment either wins the
  // link or reads the complete key the other one linked.
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, key + '\n', { mode: 0o600 })
  try {
    linkSync(tmp, file)
    return key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return readFileSync(file, 'utf8').trim()
  } finally {
    rmSync(tmp, { force: true })
  }
}
