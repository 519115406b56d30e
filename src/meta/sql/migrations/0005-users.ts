/**
 * Platform users and login (src/platform/users): accounts, TOTP recovery codes, API keys, the
 * service's own secrets (the session-signing key, encrypted) and the audit log of
 * security-relevant actions. Secrets are never stored in the clear: password hashes (argon2id),
 * recovery-code and API-key hashes, TOTP secrets and keys encrypted with the installation's key.
 */
import type { SqlTypes } from '../sql-dialect.js'

export const version = 5

export function up(t: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS users (
  id ${t.serialPk},
  username ${t.text} NOT NULL,
  email ${t.text},
  display_name ${t.text},
  role ${t.text} NOT NULL,
  status ${t.text} NOT NULL,
  auth_source ${t.text} NOT NULL,
  ldap_dn ${t.text},
  password_hash ${t.text},
  must_change_password ${t.int} NOT NULL DEFAULT 0,
  password_expires_at ${t.bigint},
  password_changed_at ${t.bigint},
  failed_attempts ${t.int} NOT NULL DEFAULT 0,
  locked_until ${t.bigint},
  totp_secret ${t.longText},
  totp_enabled ${t.int} NOT NULL DEFAULT 0,
  totp_last_step ${t.bigint},
  session_version ${t.int} NOT NULL DEFAULT 0,
  created_at ${t.bigint} NOT NULL,
  updated_at ${t.bigint} NOT NULL,
  last_login_at ${t.bigint},
  UNIQUE (username)
);

CREATE TABLE IF NOT EXISTS user_recovery_codes (
  user_id ${t.bigint} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash ${t.text} NOT NULL,
  used_at ${t.bigint},
  PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE IF NOT EXISTS api_keys (
  id ${t.text} PRIMARY KEY,
  user_id ${t.bigint} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name ${t.text} NOT NULL,
  secret_hash ${t.text} NOT NULL,
  scopes ${t.text} NOT NULL,
  created_at ${t.bigint} NOT NULL,
  last_used_at ${t.bigint},
  expires_at ${t.bigint},
  revoked_at ${t.bigint}
);
${t.createIndex} api_keys_user ON api_keys (user_id);

CREATE TABLE IF NOT EXISTS auth_secrets (
  name ${t.text} PRIMARY KEY,
  value ${t.longText} NOT NULL,
  created_at ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_log (
  id ${t.serialPk},
  occurred_at ${t.bigint} NOT NULL,
  actor ${t.text} NOT NULL,
  action ${t.text} NOT NULL,
  target ${t.text},
  outcome ${t.text} NOT NULL,
  remote_address ${t.text},
  details ${t.longText}
);
${t.createIndex} audit_log_time ON audit_log (occurred_at);
${t.createIndex} audit_log_actor ON audit_log (actor, occurred_at);
${t.createIndex} audit_log_target ON audit_log (target, occurred_at);
`
}
