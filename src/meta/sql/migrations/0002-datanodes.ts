/**
 * The DataNode registry, commands waiting for DataNodes, and replications in flight. Replicas
 * (`replicas`, from 0001) name DataNodes by uuid.
 */
import type { SqlTypes } from '../sql-dialect.js'

export const version = 2

export function up(t: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS datanodes (
  uuid ${t.text} PRIMARY KEY,
  http_address ${t.text} NOT NULL,
  hostname ${t.text} NOT NULL,
  capacity ${t.bigint} NOT NULL DEFAULT 0,
  used ${t.bigint} NOT NULL DEFAULT 0,
  remaining ${t.bigint} NOT NULL DEFAULT 0,
  failed_volumes ${t.int} NOT NULL DEFAULT 0,
  xceivers ${t.int} NOT NULL DEFAULT 0,
  state ${t.text} NOT NULL,
  registered_at ${t.bigint} NOT NULL,
  last_heartbeat ${t.bigint} NOT NULL
);

${t.createIndex} replicas_datanode ON replicas (datanode_id, block_id);

CREATE TABLE IF NOT EXISTS datanode_commands (
  id ${t.serialPk},
  datanode_uuid ${t.text} NOT NULL,
  command ${t.longText} NOT NULL
);
${t.createIndex} datanode_commands_uuid ON datanode_commands (datanode_uuid, id);

CREATE TABLE IF NOT EXISTS pending_replications (
  block_id ${t.bigint} PRIMARY KEY,
  scheduled_at ${t.bigint} NOT NULL
);
`
}
