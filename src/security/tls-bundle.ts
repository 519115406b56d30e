/**
 * @module
 * Certificate bundles on disk, the form servers (`hops namenode --secure --tls-dir`) and clients
 * (`hops dfs --cert-dir`, the SDK's `tls` option) read them in. A bundle directory holds:
 *
 * - `key.pem`: the private key (PKCS#8), mode 0600;
 * - `cert.pem`: the leaf certificate;
 * - `chain.pem`: intermediate then root (optional);
 * - `ca.pem`: the root certificate, the only trust anchor.
 *
 * What `hops ca issue-* -o DIR` writes (`<cn>.key.pem`, `<cn>.cert.pem`, `<cn>.chain.pem`,
 * `ca.pem`) is read too when the directory holds exactly one `<cn>.key.pem`.
 *
 * User bundles live in `~/.hops/certs/<project>__<user>/` (the CN names the directory); `hops up
 * --secure` writes the embedded default's there and `hops dfs` finds it with no flags.
 */
import { X509Certificate } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** A key, its certificate and the CA certificate to trust (PEM strings). */
export interface PemBundle {
  readonly keyPem: string
  readonly certPem: string
  /** Intermediate then root; sent after the leaf when present. */
  readonly chainPem?: string | undefined
  /** The root certificate. */
  readonly caPem: string
}

/** What a bundle directory must contain, for error messages. */
const LAYOUT = 'key.pem, cert.pem, ca.pem (and optionally chain.pem)'

/**
 * Reads the bundle in `dir`.
 * @throws Error naming the missing file when the directory is not a bundle
 */
export function readBundleDir(dir: string): PemBundle {
  let prefix = ''
  if (!existsSync(join(dir, 'key.pem'))) {
    let keys: string[]
    try {
      keys = readdirSync(dir).filter((f) => f.endsWith('.key.pem'))
    } catch (err) {
      throw new Error(`cannot read certificate directory ${dir}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    if (keys.length !== 1) {
      throw new Error(`certificate directory ${dir} must hold ${LAYOUT}`)
    }
    prefix = keys[0]!.slice(0, -'key.pem'.length)
  }
  const read = (name: string, required: boolean): string | undefined => {
    const file = join(dir, name)
    if (!existsSync(file)) {
      if (required) throw new Error(`certificate directory ${dir} has no ${name} (${LAYOUT})`)
      return undefined
    }
    return readFileSync(file, 'utf8')
  }
  return {
    keyPem: read(`${prefix}key.pem`, true)!,
    certPem: read(`${prefix}cert.pem`, true)!,
    chainPem: read(`${prefix}chain.pem`, false),
    caPem: read('ca.pem', true)!,
  }
}

/** Writes `bundle` into `dir` (created 0700): key.pem 0600, cert.pem, chain.pem, ca.pem. */
export function writeBundleDir(dir: string, bundle: PemBundle): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const key = join(dir, 'key.pem')
  writeFileSync(key, bundle.keyPem, { mode: 0o600 })
  chmodSync(key, 0o600)
  writeFileSync(join(dir, 'cert.pem'), bundle.certPem)
  if (bundle.chainPem !== undefined) writeFileSync(join(dir, 'chain.pem'), bundle.chainPem)
  writeFileSync(join(dir, 'ca.pem'), bundle.caPem)
}

/** The CN of a PEM certificate (the first CN of its subject). */
export function commonNameOf(certPem: string): string {
  const subject = new X509Certificate(certPem).subject
  const cn = subject.split('\n').find((line) => line.startsWith('CN='))
  if (cn === undefined) throw new Error('the certificate names no CN')
  return cn.slice(3)
}

/** Where user bundles live: `~/.hops/certs`. */
export function userCertsRoot(home: string = homedir()): string {
  return join(home, '.hops', 'certs')
}

/** The bundle directory of the user certificate `cn` (`~/.hops/certs/<cn>`). */
export function userCertDir(cn: string, home: string = homedir()): string {
  return join(userCertsRoot(home), cn)
}
