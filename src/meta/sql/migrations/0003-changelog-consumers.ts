/**
 * Readers of the `changelog` (search indexers, sinks) and how far each has acknowledged:
 * housekeeping trims the changelog by age, but never past the smallest acknowledged `seq` of a
 * registered consumer, so a consumer that lags behind loses nothing.
 */
import type { SqlTypes } from '../sql-dialect.js'

export const version = 3

export function up(t: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS changelog_consumers (
  name ${t.text} PRIMARY KEY,
  acked_seq ${t.bigint} NOT NULL,
  updated_at ${t.bigint} NOT NULL
);
`
}
