/**
 * Block access token keys (see `src/common/block-token.ts`): HMAC secrets the NameNodes sign
 * tokens with and hand to DataNodes in heartbeat replies. A key signs for
 * `blockKeyUpdateIntervalMs` after `created_at` and verifies until `expires_at`.
 */
import type { SqlTypes } from '../sql-dialect.js'

export const version = 6

export function up(t: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS block_keys (
  id ${t.serialPk},
  secret ${t.text} NOT NULL,
  created_at ${t.bigint} NOT NULL,
  expires_at ${t.bigint} NOT NULL
);
`
}
