/**
 * @module
 * Secure mode for the embedded cluster (`hops up --secure`): the certificate authority in the
 * metadata database, one service certificate for the host every server runs on, and a user
 * certificate for the person who started it, written where `hops dfs` finds it.
 *
 * - The CA keys are sealed with the installation's secret key, the one users and login use too:
 *   `HOPS_SECRET_KEY`, else `<dataDir>/secret.key` (created with 32 random bytes, mode 0600, on
 *   first start; `installation-key.ts`). It is never printed or logged; only the file's path.
 * - The service certificate (CN = the host, SAN DNS `localhost` and the IP literal) is shared by
 *   the NameNode and the DataNodes: they run on one host, which is what a service certificate
 *   names. It is kept in `<dataDir>/certs/service/`.
 * - The user's certificate is `CN=default__<user>`: certificates name project users and the
 *   embedded cluster has no projects, so its one identity lives in a project called `default`.
 *   It goes to `~/.hops/certs/default__<user>/` (key 0600, directory 0700).
 *
 * Both are reused on the next start while the CA still lists them as valid and more than 30 days
 * from expiry; otherwise they are rotated (or issued, the first time).
 */
import { X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { isIP } from 'node:net'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { CertificateAuthority } from '../security/certificate-authority.js'
import type { CertificateBundle } from '../security/certificate-authority.js'
import { CertificateVerifier } from '../security/certificate-verifier.js'
import {
  SECRET_KEY_ENV,
  installationKeyFile,
  loadInstallationKey,
} from '../security/installation-key.js'
import type { ServerTls } from '../security/server-tls.js'
import { serviceCn, userCn } from '../security/subject.js'
import { readBundleDir, userCertDir, writeBundleDir } from '../security/tls-bundle.js'
import type { PemBundle } from '../security/tls-bundle.js'

const DAY_MS = 86_400_000
/** A certificate this close to expiry is rotated at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS
/** How often a running cluster re-signs the CRL when due (it lives 7 days). */
const CRL_CHECK_MS = 6 * 3600_000

export interface SecureSetupOptions {
  readonly metaUrl: string
  readonly dataDir: string
  /** The interface the servers bind to; names the service certificate. */
  readonly host: string
  /** The user whose certificate is written (`default__<user>`). */
  readonly user: string
  /** The project of the user certificate. Default `default`. */
  readonly project?: string
  /** The installation's secret key. Default `HOPS_SECRET_KEY`, else `<dataDir>/secret.key`. */
  readonly secretKey?: string
  /** The home directory the user bundle goes under (`.hops/certs/…`). Default the OS one. */
  readonly home?: string
  readonly logger?: Logger
}

/** What the secure embedded cluster runs with. */
export interface SecureSetup {
  readonly tls: ServerTls
  /** The user certificate's CN (`default__<user>`). */
  readonly userCn: string
  /** Where the user's bundle was written. */
  readonly userCertDir: string
  /** The file the installation key is kept in, when it is not given or from the environment. */
  readonly secretFile: string | undefined
  /** Stops the CRL timer and closes the verifier and the CA. */
  close(): Promise<void>
}

/** The installation key (read, or created in the data dir) and the file it came from, if any. */
function installationKey(options: SecureSetupOptions): {
  secretKey: string
  file: string | undefined
} {
  if (options.secretKey !== undefined) return { secretKey: options.secretKey, file: undefined }
  const fromEnv = process.env[SECRET_KEY_ENV]
  return {
    secretKey: loadInstallationKey(options.dataDir, process.env),
    file:
      fromEnv !== undefined && fromEnv !== '' ? undefined : installationKeyFile(options.dataDir),
  }
}

/**
 * The bundle in `dir` when the CA lists it as valid and it is not near expiry; else a fresh one
 * (rotating the subject's valid certificate, or issuing the first), written to `dir`.
 */
async function ensureBundle(
  ca: CertificateAuthority,
  dir: string,
  cn: string,
  issue: () => Promise<CertificateBundle>,
): Promise<PemBundle> {
  if (existsSync(join(dir, 'key.pem'))) {
    try {
      const bundle = readBundleDir(dir)
      const serial = new X509Certificate(bundle.certPem).serialNumber
      const record = await ca.get(serial)
      if (
        record !== undefined &&
        record.status === 'valid' &&
        record.cn === cn &&
        record.notAfter.getTime() - Date.now() > RENEW_BEFORE_MS
      ) {
        return bundle
      }
    } catch {
      // unreadable or from another CA: replace it
    }
  }
  const current = await ca.list({ subject: cn, status: 'valid' })
  const fresh = current.length > 0 ? await ca.rotate(cn) : await issue()
  writeBundleDir(dir, fresh)
  return fresh
}

/** The CN of the service certificate for servers bound to `host`. */
function serviceHostOf(host: string): string {
  return host === '0.0.0.0' || host === '::' ? hostname() : host
}

/** Initialises the CA and the certificates of a secure embedded cluster. */
export async function prepareSecureSetup(options: SecureSetupOptions): Promise<SecureSetup> {
  const { secretKey, file } = installationKey(options)
  const ca = await CertificateAuthority.open(options.metaUrl, { secretKey, poolSize: 1 })
  let verifier: CertificateVerifier | undefined
  try {
    const host = serviceCn(serviceHostOf(options.host))
    const ips = [...new Set(['127.0.0.1', ...(isIP(host) !== 0 ? [host] : [])])]
    const service = await ensureBundle(ca, join(options.dataDir, 'certs', 'service'), host, () =>
      ca.issueService(host, {
        dnsNames: host === 'localhost' ? [] : ['localhost'],
        ipAddresses: ips.filter((ip) => ip !== host),
      }),
    )
    const project = options.project ?? 'default'
    const cn = userCn(project, options.user)
    const dir = userCertDir(cn, options.home)
    await ensureBundle(ca, dir, cn, () => ca.issueUser(project, options.user))
    await ca.crl()
    verifier = await CertificateVerifier.open(options.metaUrl, { logger: options.logger })
    const timer = setInterval(() => {
      ca.crl().catch((err: unknown) => options.logger?.warn({ err }, 'CRL refresh failed'))
    }, CRL_CHECK_MS)
    timer.unref()
    const v = verifier
    return {
      tls: { verifier: v, identity: { keyPem: service.keyPem, certPem: service.certPem } },
      userCn: cn,
      userCertDir: dir,
      secretFile: file,
      async close() {
        clearInterval(timer)
        await v.close()
        await ca.close()
      },
    }
  } catch (err) {
    await verifier?.close()
    await ca.close()
    throw err
  }
}
