/**
 * @module
 * What a server needs to run in secure mode (HTTPS with client certificates): the verifier (CA
 * certificates, CRLs, revocation state from the metadata database) and its own service key and
 * certificate. NameNodes and DataNodes take it as their `tls` option.
 */
import type { CertificateVerifier, TlsIdentity } from './certificate-verifier.js'

export interface ServerTls {
  readonly verifier: CertificateVerifier
  /** This server's service certificate (`OU=services`, CN = its host) and key. */
  readonly identity: TlsIdentity
}

/** The Java class of the RemoteException a refused peer is answered with (403). */
export const ACCESS_CONTROL_EXCEPTION = 'org.apache.hadoop.security.AccessControlException'
