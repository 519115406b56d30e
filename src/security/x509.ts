/**
 * @module
 * The one place that loads @peculiar/x509: its 2.x releases need a Reflect metadata polyfill
 * imported before them, and its crypto provider is Node's WebCrypto. PEM helpers that OpenSSL
 * (and so Node's tls) accepts live here too.
 */
import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

// The project compiles without the DOM lib: WebCrypto types come from node:crypto.
export type CryptoKey = webcrypto.CryptoKey
export type CryptoKeyPair = webcrypto.CryptoKeyPair

x509.cryptoProvider.set(webcrypto as ReturnType<typeof x509.cryptoProvider.get>)

export { x509 }

const crypto = webcrypto

/** ECDSA P-256 with SHA-256: key generation, import and signing parameters. */
export const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

/** Generates an extractable ECDSA P-256 key pair. */
export function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify'])
}

/** A PKCS#8 DER private key as a signing key (not extractable). */
export function importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('pkcs8', pkcs8, EC_ALGORITHM, false, ['sign'])
}

/** The PKCS#8 DER encoding of an extractable private key. */
export async function exportPkcs8(key: CryptoKey): Promise<Buffer> {
  return Buffer.from(await crypto.subtle.exportKey('pkcs8', key))
}

/** PEM text with a trailing newline, so that blocks can be concatenated into a chain. */
export function pem(
  der: ArrayBuffer | Uint8Array,
  tag: 'CERTIFICATE' | 'PRIVATE KEY' | 'X509 CRL',
): string {
  // @peculiar/x509 writes CRLs as 'BEGIN CRL'; OpenSSL reads only 'BEGIN X509 CRL'.
  return x509.PemConverter.encode(der, tag) + '\n'
}

/** A certificate's PEM (with trailing newline). */
export function certPem(cert: x509.X509Certificate): string {
  return pem(cert.rawData, 'CERTIFICATE')
}

/**
 * Lower-case hex of the serial's value, whole bytes, no leading zero bytes (`AB:CD` and `00abcd`
 * read `abcd`): one spelling for serial numbers everywhere.
 */
export function normalizeSerial(serial: string): string {
  const hex = serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+(?=.)/, '')
  return hex.length % 2 === 1 ? '0' + hex : hex
}
