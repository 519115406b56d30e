/**
 * The certificate authority (src/security): the root and intermediate CA with their private keys
 * encrypted at rest, every issued certificate with its status, the current CRLs, and the counters
 * that servers poll to pick up revocations. `valid_cn` holds the subject's CN while the certificate
 * is its valid one and NULL once it is revoked (or expired and replaced): the unique key keeps one
 * valid certificate per subject, also against two issuers racing.
 */
import type { SqlTypes } from '../sql-dialect.js'

export const version = 4

export function up(t: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS ca_material (
  id ${t.int} PRIMARY KEY,
  installation_id ${t.text} NOT NULL,
  kdf_salt ${t.text} NOT NULL,
  root_cert_pem ${t.longText} NOT NULL,
  root_key_enc ${t.longText} NOT NULL,
  intermediate_cert_pem ${t.longText} NOT NULL,
  intermediate_key_enc ${t.longText} NOT NULL,
  created_at ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS ca_certificates (
  serial ${t.text} PRIMARY KEY,
  subject_cn ${t.text} NOT NULL,
  kind ${t.text} NOT NULL,
  not_before ${t.bigint} NOT NULL,
  not_after ${t.bigint} NOT NULL,
  status ${t.text} NOT NULL,
  issued_at ${t.bigint} NOT NULL,
  revoked_at ${t.bigint},
  reason ${t.text},
  revocation_seq ${t.bigint},
  valid_cn ${t.text} UNIQUE,
  cert_pem ${t.longText} NOT NULL
);
${t.createIndex} ca_certificates_cn ON ca_certificates (subject_cn);
${t.createIndex} ca_certificates_revocation ON ca_certificates (revocation_seq);

CREATE TABLE IF NOT EXISTS ca_crls (
  issuer ${t.text} PRIMARY KEY,
  crl_number ${t.bigint} NOT NULL,
  this_update ${t.bigint} NOT NULL,
  next_update ${t.bigint} NOT NULL,
  revocation_seq ${t.bigint} NOT NULL,
  crl_pem ${t.longText} NOT NULL
);

CREATE TABLE IF NOT EXISTS ca_state (
  name ${t.text} PRIMARY KEY,
  value ${t.bigint} NOT NULL
);
`
}
