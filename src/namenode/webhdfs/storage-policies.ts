/**
 * @module
 * Storage policies as WebHDFS shows them (`BlockStoragePolicy` JSON). Hops has three: `HOT`
 * (HDFS id 7: every file in blocks on disk), `DB` (HopsFS: small files in the database) and
 * `DEFAULT` (no policy set: small files up to `smallFileMaxBytes` in the database). Every policy
 * stores blocks on `DISK`, the only storage type our DataNodes have.
 */
import type { StoragePolicy } from '../../meta/meta-engine.js'
import { invalidParam } from '../remote-exception.js'

/** HDFS-style numeric ids (HOT is HDFS's; DEFAULT is HDFS's "unspecified" 0; DB is ours). */
export const STORAGE_POLICY_IDS: Readonly<Record<StoragePolicy, number>> = {
  DEFAULT: 0,
  HOT: 7,
  DB: 16,
}

/** The `BlockStoragePolicy` object of a policy. */
export function storagePolicyObject(name: StoragePolicy): Record<string, unknown> {
  return {
    copyOnCreateFile: false,
    creationFallbacks: [],
    id: STORAGE_POLICY_IDS[name],
    name,
    replicationFallbacks: [],
    storageTypes: ['DISK'],
  }
}

/** Every policy, `{"BlockStoragePolicies":{"BlockStoragePolicy":[…]}}`. */
export function allStoragePoliciesJson(): string {
  const names = Object.keys(STORAGE_POLICY_IDS) as StoragePolicy[]
  return JSON.stringify({
    BlockStoragePolicies: { BlockStoragePolicy: names.map(storagePolicyObject) },
  })
}

/**
 * A policy name from the `storagepolicy` parameter (case-insensitive).
 * @throws RemoteError 400 for an unknown name
 */
export function parseStoragePolicy(value: string): StoragePolicy {
  const name = value.toUpperCase()
  if (Object.hasOwn(STORAGE_POLICY_IDS, name)) return name as StoragePolicy
  throw invalidParam('storagepolicy', value, `Cannot find a block policy with the name ${value}`)
}
