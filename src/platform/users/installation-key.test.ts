// The installation key (issue 6): from HOPS_SECRET_KEY, else a 0600 file created once.
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { tmpDir } from '../../../test/support/tmp.js'
import { AuthError } from './auth-error.js'
import { loadInstallationKey } from './installation-key.js'
import { SecretBox } from './secret-box.js'

describe('installation key', () => {
  it('is created once in the data dir (mode 0600), or taken from HOPS_SECRET_KEY', () => {
    const dir = join(tmpDir(), 'data')
    const first = loadInstallationKey(dir, {})
    assert.ok(first.length >= 32)
    assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600)
    assert.equal(loadInstallationKey(dir, {}), first)
    const fromEnv = 'x'.repeat(16) + 'y'.repeat(16)
    assert.equal(loadInstallationKey(dir, { HOPS_SECRET_KEY: fromEnv }), fromEnv)
    assert.throws(() => loadInstallationKey(dir, { HOPS_SECRET_KEY: 'short' }), /too short/)
  })

  it('seals per context; another key or context cannot open, and the error names no secret', () => {
    const key = 'k'.repeat(40)
    const box = new SecretBox(key)
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:1')
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'))
    assert.equal(box.open(sealed, 'totp:1'), 'JBSWY3DPEHPK3PXP')
    for (const [b, ctx] of [
      [new SecretBox('z'.repeat(40)), 'totp:1'],
      [box, 'totp:2'],
    ] as const) {
      assert.throws(
        () => b.open(sealed, ctx),
        (e: unknown) =>
          e instanceof AuthError &&
          e.code === 'CONFIGURATION' &&
          !e.message.includes('JBSWY3DPEHPK3PXP') &&
          !e.message.includes(key),
      )
    }
    assert.equal(JSON.stringify({ box }), '{"box":"[SecretBox]"}')
    assert.throws(() => new SecretBox('too short'), TypeError)
  })
})
