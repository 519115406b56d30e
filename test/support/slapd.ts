/**
 * A real OpenLDAP `slapd` for tests: a generated `slapd.conf` (mdb backend) in a temp dir, the
 * directory loaded offline with `slapadd`, then the server started on a free loopback port. Never
 * the system service. Needs the Debian packages `slapd` and `ldap-utils` (`.ci/run` installs
 * them); when `slapd` is missing the tests fail and say so.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { freePort } from './net.js'
import { tmpDir } from './tmp.js'

const SLAPD = ['/usr/sbin/slapd', '/usr/local/sbin/slapd'].find((p) => existsSync(p))
const SLAPADD = ['/usr/sbin/slapadd', '/usr/local/sbin/slapadd'].find((p) => existsSync(p))
const MODULE_PATHS = ['/usr/lib/ldap', '/usr/lib/x86_64-linux-gnu/ldap', '/usr/lib64/openldap']
const SCHEMA_DIR = '/etc/ldap/schema'

/** A running test directory server. */
export interface TestSlapd {
  /** `ldap://127.0.0.1:<port>` */
  readonly url: string
  /** `dc=hops,dc=test` */
  readonly baseDn: string
  /** The rootdn and its password (a service account for search-then-bind). */
  readonly adminDn: string
  readonly adminPassword: string
  stop(): Promise<void>
}

export interface SlapdUser {
  readonly uid: string
  readonly password: string
  readonly mail?: string
  readonly cn?: string
}

export interface SlapdGroup {
  readonly cn: string
  /** uids of the members */
  readonly members: readonly string[]
}

const BASE_DN = 'dc=hops,dc=test'

function ldif(users: readonly SlapdUser[], groups: readonly SlapdGroup[]): string {
  const entries = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: hops\ndc: hops`,
    `dn: ou=people,${BASE_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ou=groups,${BASE_DN}\nobjectClass: organizationalUnit\nou: groups`,
    ...users.map(
      (u) =>
        `dn: uid=${u.uid},ou=people,${BASE_DN}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\n` +
        `cn: ${u.cn ?? u.uid}\nsn: ${u.uid}\n` +
        (u.mail !== undefined ? `mail: ${u.mail}\n` : '') +
        `userPassword: ${u.password}`,
    ),
    ...groups.map(
      (g) =>
        `dn: cn=${g.cn},ou=groups,${BASE_DN}\nobjectClass: groupOfNames\ncn: ${g.cn}\n` +
        // groupOfNames requires one member at least: the base DN stands in for an empty group.
        (g.members.length === 0
          ? `member: ${BASE_DN}`
          : g.members.map((m) => `member: uid=${m},ou=people,${BASE_DN}`).join('\n')),
    ),
  ]
  return entries.join('\n\n') + '\n'
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) {
        reject(new Error(`slapd exited with code ${child.exitCode}`))
        return
      }
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve()
      })
      socket.once('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`slapd did not listen on ${port}`))
        else setTimeout(attempt, 25)
      })
    }
    attempt()
  })
}

/** Starts slapd with `users` under ou=people and `groups` (groupOfNames) under ou=groups. */
export async function startSlapd(
  users: readonly SlapdUser[],
  groups: readonly SlapdGroup[],
): Promise<TestSlapd> {
  if (SLAPD === undefined || SLAPADD === undefined) {
    throw new Error(
      'slapd is not installed: apt-get install -y slapd ldap-utils (the LDAP tests need a real OpenLDAP server)',
    )
  }
  const modulePath = MODULE_PATHS.find((p) => existsSync(join(p, 'back_mdb.so')))
  const dir = tmpDir('hops-slapd-')
  const dbDir = join(dir, 'db')
  mkdirSync(dbDir)
  const adminPassword = 'slapd-admin-secret'
  const adminDn = `cn=admin,${BASE_DN}`
  const conf = [
    ...['core', 'cosine', 'inetorgperson'].map((s) => `include ${SCHEMA_DIR}/${s}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    ...(modulePath !== undefined ? [`modulepath ${modulePath}`, 'moduleload back_mdb'] : []),
    'database mdb',
    `suffix "${BASE_DN}"`,
    `rootdn "${adminDn}"`,
    `rootpw ${adminPassword}`,
    `directory ${dbDir}`,
    'maxsize 16777216',
    'index objectClass eq',
    'index uid,member eq',
    'access to attrs=userPassword by anonymous auth by self read by * none',
    'access to * by * read',
  ].join('\n')
  const confFile = join(dir, 'slapd.conf')
  writeFileSync(confFile, conf + '\n')
  const ldifFile = join(dir, 'data.ldif')
  writeFileSync(ldifFile, ldif(users, groups))
  const add = spawnSync(SLAPADD, ['-q', '-f', confFile, '-l', ldifFile], { encoding: 'utf8' })
  if (add.status !== 0) throw new Error(`slapadd failed: ${add.stderr}`)

  const port = await freePort()
  const url = `ldap://127.0.0.1:${port}`
  // -d 0: stay in the foreground (so the child is slapd itself) and log nothing.
  const child = spawn(SLAPD, ['-d', '0', '-f', confFile, '-h', `${url}/`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const kill = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
  process.once('exit', kill)
  try {
    await waitForPort(port, child, 10_000)
  } catch (err) {
    kill()
    throw new Error(`${(err as Error).message}: ${stderr.trim()}`, { cause: err })
  }
  return {
    url,
    baseDn: BASE_DN,
    adminDn,
    adminPassword,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', kill)
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
