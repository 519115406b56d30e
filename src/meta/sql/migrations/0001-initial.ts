/**
 * The namespace schema (DESIGN §4). Names are case-sensitive, byte-ordered columns; ids are 64-bit.
 * `inodes.parent_id` references `inodes.id` without cascade, so the database itself refuses to
 * orphan an entry. Per-inode rows (blocks, xattrs, ACL entries, small-file data, quotas) cascade.
 */
import type { SqlTypes } from '../sql-dialect.js'

export const version = 1

export function up(t: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS inodes (
  id ${t.bigint} PRIMARY KEY,
  parent_id ${t.bigint} REFERENCES inodes (id),
  name ${t.name} NOT NULL,
  type ${t.int} NOT NULL,
  symlink ${t.longText},
  owner ${t.text} NOT NULL,
  grp ${t.text} NOT NULL,
  permission ${t.int} NOT NULL,
  mtime ${t.bigint} NOT NULL,
  atime ${t.bigint} NOT NULL,
  length ${t.bigint} NOT NULL DEFAULT 0,
  replication ${t.int} NOT NULL DEFAULT 0,
  block_size ${t.bigint} NOT NULL DEFAULT 0,
  storage_policy ${t.int} NOT NULL DEFAULT 0,
  children_num ${t.bigint} NOT NULL DEFAULT 0,
  under_construction ${t.int} NOT NULL DEFAULT 0,
  client_name ${t.text},
  inline ${t.int} NOT NULL DEFAULT 0,
  has_acl ${t.int} NOT NULL DEFAULT 0,
  has_quota ${t.int} NOT NULL DEFAULT 0,
  subtree_owner ${t.bigint},
  subtree_time ${t.bigint},
  UNIQUE (parent_id, name)
);
${t.createIndex} inodes_client_name ON inodes (client_name)${t.indexWhere('client_name IS NOT NULL')};

CREATE TABLE IF NOT EXISTS blocks (
  id ${t.bigint} PRIMARY KEY,
  inode_id ${t.bigint} NOT NULL REFERENCES inodes (id) ON DELETE CASCADE,
  idx ${t.int} NOT NULL,
  num_bytes ${t.bigint} NOT NULL DEFAULT 0,
  gen_stamp ${t.bigint} NOT NULL,
  state ${t.int} NOT NULL
);
${t.createIndex} blocks_inode ON blocks (inode_id, idx);

CREATE TABLE IF NOT EXISTS replicas (
  block_id ${t.bigint} NOT NULL REFERENCES blocks (id) ON DELETE CASCADE,
  datanode_id ${t.text} NOT NULL,
  state ${t.int} NOT NULL,
  PRIMARY KEY (block_id, datanode_id)
);

CREATE TABLE IF NOT EXISTS file_data (
  inode_id ${t.bigint} PRIMARY KEY REFERENCES inodes (id) ON DELETE CASCADE,
  data ${t.blob} NOT NULL
);

CREATE TABLE IF NOT EXISTS leases (
  holder ${t.text} PRIMARY KEY,
  last_renewed ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS xattrs (
  inode_id ${t.bigint} NOT NULL REFERENCES inodes (id) ON DELETE CASCADE,
  ns ${t.int} NOT NULL,
  name ${t.name} NOT NULL,
  value ${t.blob} NOT NULL,
  PRIMARY KEY (inode_id, ns, name)
);

CREATE TABLE IF NOT EXISTS acl_entries (
  inode_id ${t.bigint} NOT NULL REFERENCES inodes (id) ON DELETE CASCADE,
  idx ${t.int} NOT NULL,
  scope ${t.int} NOT NULL,
  type ${t.int} NOT NULL,
  name ${t.text} NOT NULL,
  permission ${t.int} NOT NULL,
  PRIMARY KEY (inode_id, idx)
);

CREATE TABLE IF NOT EXISTS quotas (
  inode_id ${t.bigint} PRIMARY KEY REFERENCES inodes (id) ON DELETE CASCADE,
  ns_quota ${t.bigint} NOT NULL,
  ss_quota ${t.bigint} NOT NULL,
  ns_used ${t.bigint} NOT NULL,
  ss_used ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS quota_updates (
  id ${t.serialPk},
  inode_id ${t.bigint} NOT NULL REFERENCES inodes (id) ON DELETE CASCADE,
  ns_delta ${t.bigint} NOT NULL,
  ss_delta ${t.bigint} NOT NULL
);
${t.createIndex} quota_updates_inode ON quota_updates (inode_id);

CREATE TABLE IF NOT EXISTS retry_cache (
  client_id ${t.text} NOT NULL,
  call_id ${t.bigint} NOT NULL,
  result ${t.longText} NOT NULL,
  expires_at ${t.bigint} NOT NULL,
  PRIMARY KEY (client_id, call_id)
);

CREATE TABLE IF NOT EXISTS counters (
  name ${t.text} PRIMARY KEY,
  next_value ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS namenodes (
  id ${t.bigint} PRIMARY KEY,
  address ${t.text} NOT NULL,
  started_at ${t.bigint} NOT NULL,
  last_heartbeat ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS subtree_ops (
  inode_id ${t.bigint} PRIMARY KEY,
  path ${t.path} NOT NULL,
  namenode_id ${t.bigint} NOT NULL,
  op ${t.text} NOT NULL,
  started_at ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS changelog (
  seq ${t.serialPk},
  op ${t.text} NOT NULL,
  inode_id ${t.bigint} NOT NULL,
  parent_id ${t.bigint},
  name ${t.name},
  ts ${t.bigint} NOT NULL
);

CREATE TABLE IF NOT EXISTS user_groups (
  user_name ${t.text} NOT NULL,
  group_name ${t.text} NOT NULL,
  PRIMARY KEY (user_name, group_name)
);

CREATE TABLE IF NOT EXISTS settings (
  name ${t.text} PRIMARY KEY,
  value ${t.longText} NOT NULL
);
`
}
