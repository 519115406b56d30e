/**
 * @module
 * The SQL of the certificate tables (migration 0004), shared by the authority (which writes) and
 * the verifiers on every server (which only read). Serial numbers are lower-case hex; times are
 * epoch milliseconds.
 */
import type { SqlDialectProfile, SqlPool, SqlTxn } from '../meta/sql/sql-dialect.js'
import type { CertificateKind } from './subject.js'

/** `ca_state` names: bumped by every revocation / every CRL written. */
export const REVOCATION_SEQ = 'revocation_seq'
export const CRL_NUMBER = 'crl_number'

/** The one `ca_material` row. */
export interface CaMaterialRow {
  readonly installation_id: string
  readonly kdf_salt: string
  readonly root_cert_pem: string
  readonly root_key_enc: string
  readonly intermediate_cert_pem: string
  readonly intermediate_key_enc: string
  readonly created_at: number
}

/** A `ca_certificates` row. */
export interface CertificateRow {
  readonly serial: string
  readonly subject_cn: string
  readonly kind: CertificateKind
  readonly not_before: number
  readonly not_after: number
  readonly status: 'valid' | 'revoked'
  readonly issued_at: number
  readonly revoked_at: number | null
  readonly reason: string | null
  readonly revocation_seq: number | null
  readonly cert_pem: string
}

/** A `ca_crls` row: the current CRL of one issuer. */
export interface CrlRow {
  readonly issuer: 'root' | 'intermediate'
  readonly crl_number: number
  readonly this_update: number
  readonly next_update: number
  /** The `revocation_seq` the CRL includes: an older one than the counter's is out of date. */
  readonly revocation_seq: number
  readonly crl_pem: string
}

const CERT_COLUMNS =
  'serial, subject_cn, kind, not_before, not_after, status, issued_at, revoked_at, reason, revocation_seq, cert_pem'

/** Creates the `ca_state` counters when missing. */
export async function seedState(pool: SqlPool, profile: SqlDialectProfile): Promise<void> {
  await pool.transaction(
    async (txn) => {
      for (const name of [REVOCATION_SEQ, CRL_NUMBER]) {
        await txn.run(
          `INSERT INTO ca_state (name, value) VALUES (?, 0)${profile.onConflict('name')}`,
          [name],
        )
      }
    },
    { readOnly: false },
  )
}

export function loadMaterial(txn: SqlTxn): Promise<CaMaterialRow | undefined> {
  return txn.get<CaMaterialRow>(
    'SELECT installation_id, kdf_salt, root_cert_pem, root_key_enc, intermediate_cert_pem, intermediate_key_enc, created_at FROM ca_material WHERE id = 1',
  )
}

export function loadCrls(txn: SqlTxn): Promise<CrlRow[]> {
  return txn.all<CrlRow>(
    'SELECT issuer, crl_number, this_update, next_update, revocation_seq, crl_pem FROM ca_crls ORDER BY issuer',
  )
}

/** Both `ca_state` counters in one statement (what servers poll). */
export async function loadState(
  txn: SqlTxn,
): Promise<{ revocationSeq: number; crlNumber: number }> {
  const rows = await txn.all<{ name: string; value: number }>('SELECT name, value FROM ca_state')
  const get = (name: string): number => rows.find((r) => r.name === name)?.value ?? 0
  return { revocationSeq: get(REVOCATION_SEQ), crlNumber: get(CRL_NUMBER) }
}

/** Adds one to a `ca_state` counter and returns the new value (the row lock serialises writers). */
export async function bumpState(txn: SqlTxn, name: string): Promise<number> {
  await txn.run('UPDATE ca_state SET value = value + 1 WHERE name = ?', [name])
  const row = await txn.get<{ value: number }>('SELECT value FROM ca_state WHERE name = ?', [name])
  return row!.value
}

/** Serials revoked with a sequence number above `afterSeq`, with the highest number seen. */
export function revokedSince(
  txn: SqlTxn,
  afterSeq: number,
): Promise<{ serial: string; revocation_seq: number }[]> {
  return txn.all(
    'SELECT serial, revocation_seq FROM ca_certificates WHERE revocation_seq > ? ORDER BY revocation_seq',
    [afterSeq],
  )
}

export function certificateBySerial(
  txn: SqlTxn,
  serial: string,
  lock = '',
): Promise<CertificateRow | undefined> {
  return txn.get<CertificateRow>(
    `SELECT ${CERT_COLUMNS} FROM ca_certificates WHERE serial = ?${lock}`,
    [serial],
  )
}

/** The subject's certificate that holds its valid mark, if any. */
export function validCertificateOf(
  txn: SqlTxn,
  cn: string,
  lock = '',
): Promise<CertificateRow | undefined> {
  return txn.get<CertificateRow>(
    `SELECT ${CERT_COLUMNS} FROM ca_certificates WHERE valid_cn = ?${lock}`,
    [cn],
  )
}

export function listCertificates(
  txn: SqlTxn,
  filter: { readonly cn?: string; readonly status?: 'valid' | 'revoked' },
): Promise<CertificateRow[]> {
  const where: string[] = []
  const params: unknown[] = []
  if (filter.cn !== undefined) {
    where.push('subject_cn = ?')
    params.push(filter.cn)
  }
  if (filter.status !== undefined) {
    where.push('status = ?')
    params.push(filter.status)
  }
  return txn.all<CertificateRow>(
    `SELECT ${CERT_COLUMNS} FROM ca_certificates${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_at, serial`,
    params,
  )
}

/** Revoked certificates not yet expired at `now`: the entries of the intermediate's CRL. */
export function revokedUnexpired(
  txn: SqlTxn,
  now: number,
): Promise<{ serial: string; revoked_at: number; reason: string | null }[]> {
  return txn.all(
    "SELECT serial, revoked_at, reason FROM ca_certificates WHERE status = 'revoked' AND not_after > ? ORDER BY serial",
    [now],
  )
}
