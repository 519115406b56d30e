// The installation key (issue 6): from HOPS_SECRET_KEY, else a 0600 file created once; SecretBox
// seals with it, and the one key serves both users/login and the certificate authority.
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { tmpDir } from '../../test/support/tmp.js'
import { profileForUrl } from '../meta/open-meta-engine.js'
import { UserService } from '../platform/users/user-service.js'
import { CaError } from './ca-error.js'
import { loadMaterial } from './ca-store.js'
import { CertificateAuthority } from './certificate-authority.js'
import {
  installationKeyFile,
  loadInstallationKey,
  readInstallationKey,
} from './installation-key.js'
import { SecretBox, SecretBoxError } from './secret-box.js'
import { importSigningKey } from './x509.js'

describe('installation key', () => {
  it('is created once in the data dir (mode 0600), or taken from HOPS_SECRET_KEY', () => {
    const dir = join(tmpDir(), 'data')
    assert.equal(readInstallationKey(dir, {}), undefined, 'reading creates nothing')
    const first = loadInstallationKey(dir, {})
    assert.ok(first.length >= 32)
    assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600)
    assert.equal(installationKeyFile(dir), join(dir, 'secret.key'))
    assert.equal(loadInstallationKey(dir, {}), first)
    assert.equal(readInstallationKey(dir, {}), first)
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
          e instanceof SecretBoxError &&
          e.context === ctx &&
          /HOPS_SECRET_KEY/.test(e.message) &&
          !e.message.includes('JBSWY3DPEHPK3PXP') &&
          !e.message.includes(key),
      )
    }
    assert.equal(JSON.stringify({ box }), '{"box":"[SecretBox]"}')
    assert.throws(() => new SecretBox('too short'), TypeError)
  })

  it('one key opens both the CA keys and what users and login sealed', async () => {
    // 1. One installation: the key file in the data dir, users and the CA in one database.
    const dir = tmpDir()
    const url = `sqlite:${join(dir, 'meta.db')}`
    const key = loadInstallationKey(dir, {})
    const users = await UserService.open(url, { secretKey: key })
    const errors: string[] = []
    try {
      const admin = await users.ensureAdmin()
      assert.ok(admin !== undefined)
      // A login seals the session-signing key with the installation key.
      await users.login(
        { username: 'admin', password: admin.password },
        { remoteAddress: '127.0.0.1' },
      )
      const ca = await CertificateAuthority.open(url, { secretKey: key, poolSize: 1 })
      await ca.close()

      // 2. The same key, read again from the file, opens both kinds of sealed value.
      const box = new SecretBox(loadInstallationKey(dir, {}))
      const profile = profileForUrl(url)
      const pool = await profile.open(url, { poolSize: 1 })
      try {
        const material = await pool.transaction(loadMaterial, { readOnly: true })
        assert.ok(material !== undefined)
        const rootKey = Buffer.from(box.open(material.root_key_enc, 'ca:root'), 'base64')
        await importSigningKey(rootKey)
        Buffer.from(box.open(material.intermediate_key_enc, 'ca:intermediate'), 'base64')
        const stored = await pool.transaction(
          (txn) =>
            txn.get<{ value: string }>(
              "SELECT value FROM auth_secrets WHERE name = 'session-signing-key'",
            ),
          { readOnly: true },
        )
        assert.ok(stored !== undefined)
        const sessionKey = box.open(stored.value, 'session-key:session-signing-key')
        assert.equal(Buffer.from(sessionKey, 'base64').length >= 32, true)
        // The contexts keep them apart: a CA key is not a session key.
        assert.throws(() => box.open(material.root_key_enc, 'session-key:session-signing-key'))
      } finally {
        await pool.close()
      }

      // 3. Another key opens neither, and no message carries a key.
      const other = 'another-installation-key-0123456789abcdef'
      const err = await CertificateAuthority.open(url, { secretKey: other, poolSize: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(err instanceof CaError && err.code === 'SECRET_MISMATCH', String(err))
      assert.match(err.message, /HOPS_SECRET_KEY/)
      errors.push(err.message, err.stack ?? '')
      const otherUsers = await UserService.open(url, { secretKey: other })
      try {
        const loginErr = await otherUsers
          .login({ username: 'admin', password: admin.password }, { remoteAddress: '127.0.0.1' })
          .then(
            () => undefined,
            (e: unknown) => e,
          )
        assert.ok(loginErr instanceof Error, String(loginErr))
        errors.push(loginErr.message, loginErr.stack ?? '')
      } finally {
        await otherUsers.close()
      }
      for (const text of errors) {
        assert.ok(!text.includes(key))
        assert.ok(!text.includes(other))
      }
    } finally {
      await users.close()
    }
  })
})
