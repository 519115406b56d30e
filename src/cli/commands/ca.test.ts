// `hops ca` end to end on SQLite: real child processes of bin/hops.js (issue 6).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { tmpDir } from '../../../test/support/tmp.js'
import { x509 } from '../../security/x509.js'

const SECRET = 'cli-test-secret-5b1d0e-never-printed'

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

function hops(dir: string, args: string[], secret = SECRET): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/hops.js', 'ca', '--meta', `sqlite:${join(dir, 'meta.db')}`, ...args],
      { env: { ...process.env, HOPS_SECRET_KEY: secret, HOPS_DATA_DIR: join(dir, 'data') } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

describe('hops ca', () => {
  it('inits, issues, lists, revokes, rotates and prints the CRL; errors are one line', async () => {
    const dir = tmpDir()
    const out = join(dir, 'certs')
    // 1. init is idempotent: the same root twice.
    const init1 = await hops(dir, ['init'])
    assert.equal(init1.code, 0, init1.stderr)
    assert.match(init1.stdout, /-----BEGIN CERTIFICATE-----/)
    assert.equal((await hops(dir, ['init'])).stdout, init1.stdout)
    // 2. A user bundle written to a directory, the key readable by its owner only.
    const user = await hops(dir, ['issue-user', 'demo', 'alice', '--out', out])
    assert.equal(user.code, 0, user.stderr)
    const serial = user.stdout.split(' ')[0]!
    assert.match(serial, /^[0-9a-f]{32}$/)
    assert.equal(statSync(join(out, 'demo__alice.key.pem')).mode & 0o777, 0o600)
    const cert = new x509.X509Certificate(readFileSync(join(out, 'demo__alice.cert.pem'), 'utf8'))
    assert.equal(cert.subjectName.getField('CN')[0], 'demo__alice')
    // 3. A second issue for the same subject: one line on stderr, exit code 1.
    const again = await hops(dir, ['issue-user', 'demo', 'alice'])
    assert.equal(again.code, 1)
    assert.equal(again.stderr.trim().split('\n').length, 1)
    assert.match(again.stderr, /^hops ca issue-user: 'demo__alice' already has a valid certificate/)
    // 4. A service certificate on stdout: key, leaf, intermediate, root.
    const svc = await hops(dir, ['issue-service', 'nn1.example.org', '--ip', '10.1.2.3'])
    assert.equal(svc.code, 0, svc.stderr)
    assert.equal(svc.stdout.match(/BEGIN PRIVATE KEY/g)?.length, 1)
    assert.equal(svc.stdout.match(/BEGIN CERTIFICATE/g)?.length, 3)
    // 5. Rotate the service, revoke the user, list, CRL.
    const rotated = await hops(dir, ['rotate', 'nn1.example.org', '--out', out])
    assert.equal(rotated.code, 0, rotated.stderr)
    const revoked = await hops(dir, ['revoke', serial, '--reason', 'privilegeWithdrawn'])
    assert.equal(revoked.stdout.trim(), `revoked ${serial} demo__alice (privilegeWithdrawn)`)
    const list = await hops(dir, ['list'])
    const lines = list.stdout.trim().split('\n')
    assert.equal(lines.length, 3)
    assert.match(list.stdout, new RegExp(`${serial} user +revoked\\(privilegeWithdrawn\\)`))
    assert.match(list.stdout, /service +revoked\(superseded\) .* nn1\.example\.org/)
    assert.match(list.stdout, /service +valid .* nn1\.example\.org/)
    const crl = await hops(dir, ['crl', '--der', join(dir, 'crl.der')])
    assert.equal(crl.code, 0, crl.stderr)
    const parsed = new x509.X509Crl(readFileSync(join(dir, 'crl.der')))
    assert.ok(parsed.findRevoked(serial) !== null)
    assert.match(crl.stdout, /^# crlNumber \d+ nextUpdate /)
    // 6. A wrong secret: one line, and neither secret in any output.
    const wrong = await hops(dir, ['list'], 'a-wrong-secret-of-sufficient-length')
    assert.equal(wrong.code, 1)
    assert.match(
      wrong.stderr,
      /^hops ca list: cannot decrypt the root CA key: the installation's secret key \(HOPS_SECRET_KEY/,
    )
    const everything = [init1, user, again, svc, rotated, revoked, list, crl, wrong]
      .map((r) => r.stdout + r.stderr)
      .join('\n')
    assert.ok(!everything.includes(SECRET))
    assert.ok(!everything.includes('a-wrong-secret-of-sufficient-length'))
    const noSecret = await hops(dir, ['list'], '')
    assert.match(noSecret.stderr, /^hops ca list: no installation secret key: set HOPS_SECRET_KEY/)
    // 7. Without HOPS_SECRET_KEY, the key file of the data dir is read (as every Hops process does).
    mkdirSync(join(dir, 'data'))
    writeFileSync(join(dir, 'data', 'secret.key'), SECRET + '\n', { mode: 0o600 })
    const fromFile = await hops(dir, ['list'], '')
    assert.equal(fromFile.code, 0, fromFile.stderr)
    assert.equal(fromFile.stdout, list.stdout)
    assert.ok(!(fromFile.stdout + fromFile.stderr).includes(SECRET))
  })
})
