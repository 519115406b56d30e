/** How ACL scopes and types are stored in `acl_entries` (small integers, index = code). */
import type { AclEntry } from '../../common/permission.js'

export const ACL_SCOPES: readonly AclEntry['scope'][] = ['ACCESS', 'DEFAULT']
export const ACL_TYPES: readonly AclEntry['type'][] = ['USER', 'GROUP', 'MASK', 'OTHER']

export function scopeCode(scope: AclEntry['scope']): number {
  return ACL_SCOPES.indexOf(scope)
}

export function typeCode(type: AclEntry['type']): number {
  return ACL_TYPES.indexOf(type)
}
