/**
 * @module
 * The X.509 objects of the certificate authority, without storage: the CA pair created at first
 * start, leaf certificates and CRLs. ECDSA P-256 with SHA-256 throughout.
 */
import { randomBytes } from 'node:crypto'
import type { CaMaterialRow } from './ca-store.js'
import type { SecretBox } from './secret-box.js'
import { leafSubject } from './subject.js'
import type { CertificateKind } from './subject.js'
import { EC_ALGORITHM, certPem, exportPkcs8, generateKeyPair, pem, x509 } from './x509.js'
import type { CryptoKey } from './x509.js'

const DAY_MS = 86_400_000

/** Revocation reasons (RFC 5280 CRLReason), by their RFC names. */
export const REVOCATION_REASONS = {
  unspecified: x509.X509CrlReason.unspecified,
  keyCompromise: x509.X509CrlReason.keyCompromise,
  affiliationChanged: x509.X509CrlReason.affiliationChanged,
  superseded: x509.X509CrlReason.superseded,
  cessationOfOperation: x509.X509CrlReason.cessationOfOperation,
  privilegeWithdrawn: x509.X509CrlReason.privilegeWithdrawn,
} as const

export type RevocationReason = keyof typeof REVOCATION_REASONS

/** The CA certificates and their signing keys, in memory. */
export interface CaKeys {
  readonly root: x509.X509Certificate
  readonly intermediate: x509.X509Certificate
  readonly rootKey: CryptoKey
  readonly intermediateKey: CryptoKey
  readonly installationId: string
}

/** Builds and signs a leaf certificate with a fresh key pair; the key comes back as PKCS#8 PEM. */
export async function signLeaf(
  ca: CaKeys,
  leaf: {
    readonly kind: CertificateKind
    readonly cn: string
    readonly sans: x509.JsonGeneralNames | undefined
    readonly notBefore: Date
    readonly notAfter: Date
  },
): Promise<{ cert: x509.X509Certificate; keyPem: string }> {
  const keys = await generateKeyPair()
  const eku =
    leaf.kind === 'service'
      ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
      : [x509.ExtendedKeyUsage.clientAuth]
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.intermediate),
  ]
  if (leaf.sans !== undefined && leaf.sans.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(leaf.sans, false))
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: leafSubject(leaf.kind, leaf.cn),
    issuer: ca.intermediate.subjectName,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.intermediateKey,
    signingAlgorithm: EC_ALGORITHM,
    extensions,
  })
  return { cert, keyPem: pem(await exportPkcs8(keys.privateKey), 'PRIVATE KEY') }
}

/** Signs a CRL of `issuer` (PEM, 'X509 CRL') with the crlNumber and authority key id extensions. */
export async function signCrl(
  ca: CaKeys,
  issuer: 'root' | 'intermediate',
  crl: {
    readonly crlNumber: number
    readonly thisUpdate: Date
    readonly nextUpdate: Date
    readonly entries: readonly { serial: string; revokedAt: Date; reason: x509.X509CrlReason }[]
  },
): Promise<string> {
  const cert = issuer === 'root' ? ca.root : ca.intermediate
  const signed = await x509.X509CrlGenerator.create({
    issuer: cert.subjectName,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    signingKey: issuer === 'root' ? ca.rootKey : ca.intermediateKey,
    signingAlgorithm: EC_ALGORITHM,
    entries: crl.entries.map((e) => ({
      serialNumber: e.serial,
      revocationDate: e.revokedAt,
      reason: e.reason,
    })),
    extensions: [
      new x509.Extension('2.5.29.20', false, derInteger(crl.crlNumber)),
      await x509.AuthorityKeyIdentifierExtension.create(cert),
    ],
  })
  return pem(signed.rawData, 'X509 CRL')
}

/** The {@link SecretBox} contexts the CA private keys are sealed under. */
export const CA_KEY_CONTEXTS = { root: 'ca:root', intermediate: 'ca:intermediate' } as const

/** Generates the root and intermediate CA and seals their keys (PKCS#8, base64) with `box`. */
export async function createMaterial(box: SecretBox, now: number): Promise<CaMaterialRow> {
  const installationId = randomBytes(6).toString('hex')
  const caName = (cn: string): string => `CN=${cn}, OU=${installationId}, O=Hops`
  const caUsage = new x509.KeyUsagesExtension(
    x509.KeyUsageFlags.keyCertSign |
      x509.KeyUsageFlags.cRLSign |
      x509.KeyUsageFlags.digitalSignature,
    true,
  )
  const notBefore = new Date(now - 60_000)
  const rootKeys = await generateKeyPair()
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: caName('Hops Root CA'),
    notBefore,
    notAfter: new Date(now + 20 * 365 * DAY_MS),
    keys: rootKeys,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      caUsage,
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  })
  const intermediateKeys = await generateKeyPair()
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: caName('Hops Intermediate CA'),
    issuer: root.subjectName,
    notBefore,
    notAfter: new Date(now + 10 * 365 * DAY_MS),
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: EC_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      caUsage,
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  })
  return {
    installation_id: installationId,
    // Unused: the keys are sealed with the installation key, which needs no salt (the column is
    // kept so that the schema of migration 0004 stays as it is).
    kdf_salt: '',
    root_cert_pem: certPem(root),
    root_key_enc: box.seal(
      Buffer.from(await exportPkcs8(rootKeys.privateKey)).toString('base64'),
      CA_KEY_CONTEXTS.root,
    ),
    intermediate_cert_pem: certPem(intermediate),
    intermediate_key_enc: box.seal(
      Buffer.from(await exportPkcs8(intermediateKeys.privateKey)).toString('base64'),
      CA_KEY_CONTEXTS.intermediate,
    ),
    created_at: now,
  }
}

/** 128 random bits as a positive DER INTEGER without a leading zero byte (lower-case hex). */
function randomSerial(): string {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f || 0x01
  return bytes.toString('hex')
}

/** DER encoding of a non-negative INTEGER (the crlNumber extension's value). */
function derInteger(value: number): Uint8Array {
  let hex = value.toString(16)
  if (hex.length % 2 === 1) hex = '0' + hex
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = '00' + hex
  const body = Buffer.from(hex, 'hex')
  return Buffer.concat([Buffer.from([0x02, body.length]), body])
}
