/**
 * @module
 * Parses WebHDFS `aclspec` values (Hadoop `AclEntry.parseAclSpec`):
 * `[default:]user|group|mask|other:[name]:[rwx-]{3}` joined by commas. Removal specs
 * (REMOVEACLENTRIES) may leave the permission out.
 */
import type { AclEntry } from '../../common/permission.js'
import { invalidParam } from '../remote-exception.js'

const TYPES: Record<string, AclEntry['type']> = {
  user: 'USER',
  group: 'GROUP',
  mask: 'MASK',
  other: 'OTHER',
}

/**
 * Parses an ACL spec.
 * @throws RemoteError 400 IllegalArgumentException for a malformed entry
 */
export function parseAclSpec(spec: string, includePermission: boolean): AclEntry[] {
  const bad = (why: string) => invalidParam('aclspec', spec, `Invalid ACL spec ${spec}: ${why}`)
  if (spec.trim() === '') throw bad('empty')
  return spec.split(',').map((raw) => {
    const text = raw.trim()
    const parts = text.split(':')
    let i = 0
    let scope: AclEntry['scope'] = 'ACCESS'
    if (parts[0] === 'default') {
      scope = 'DEFAULT'
      i = 1
    }
    const type = TYPES[parts[i]?.toLowerCase() ?? '']
    if (type === undefined) throw bad(`invalid type in <${text}>`)
    const name = parts[i + 1] ?? ''
    const rest = parts.length - i
    if (includePermission ? rest !== 3 : rest < 2 || rest > 3) {
      throw bad(`<${text}> must be [default:]type:name${includePermission ? ':perm' : '[:perm]'}`)
    }
    if ((type === 'MASK' || type === 'OTHER') && name !== '') {
      throw bad(`<${text}>: ${type.toLowerCase()} entries cannot be named`)
    }
    const perm = parts[i + 2]
    let permission = 0
    if (perm !== undefined && (includePermission || perm !== '')) {
      if (!/^[r-][w-][x-]$/.test(perm)) throw bad(`invalid permission in <${text}>`)
      permission = (perm[0] === 'r' ? 4 : 0) | (perm[1] === 'w' ? 2 : 0) | (perm[2] === 'x' ? 1 : 0)
    }
    return { scope, type, name, permission }
  })
}
