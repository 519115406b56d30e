/**
 * @module
 * What a server needs to run in secure mode (HTTPS with client certificates): the verifier (CA
 * certificates, CRLs, revocation state from the metadata database) and its own service key and
 * certificate. NameNodes and DataNodes take it as their `tls` option.
 */
import type { Logger } from 'pino'
import { CertificateVerifier } from './certificate-verifier.js'
import type { TlsIdentity } from './certificate-verifier.js'
import { readBundleDir } from './tls-bundle.js'

export interface ServerTls {
  readonly verifier: CertificateVerifier
  /** This server's service certificate (`OU=services`, CN = its host) and key. */
  readonly identity: TlsIdentity
}

/** The Java class of the RemoteException a refused peer is answered with (403). */
export const ACCESS_CONTROL_EXCEPTION = 'org.apache.hadoop.security.AccessControlException'

/**
 * Opens the verifier on the metadata database at `metaUrl` and reads the service bundle in
 * `tlsDir` (`hops namenode --secure`, `hops datanode --secure`).
 * @throws Error when `tlsDir` is missing or not a bundle; CaError NOT_INITIALIZED without a CA
 */
export async function openServerTls(
  metaUrl: string | undefined,
  tlsDir: string | undefined,
  logger?: Logger,
): Promise<ServerTls> {
  if (tlsDir === undefined || tlsDir === '') {
    throw new Error("secure mode needs --tls-dir: the directory of this host's service certificate")
  }
  if (metaUrl === undefined || metaUrl === '') {
    throw new Error(
      'secure mode needs --meta: the certificate verifier reads the metadata database',
    )
  }
  const bundle = readBundleDir(tlsDir)
  const verifier = await CertificateVerifier.open(metaUrl, {
    logger: logger?.child({ component: 'certificate-verifier' }),
  })
  return { verifier, identity: { keyPem: bundle.keyPem, certPem: bundle.certPem } }
}
