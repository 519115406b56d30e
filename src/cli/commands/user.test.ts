// `hops user` end to end on SQLite: real child processes of bin/hops.js (issue 6).
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { tmpDir } from '../../../test/support/tmp.js'
import { UserService } from '../../platform/users/user-service.js'

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

function hops(dir: string, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['bin/hops.js', 'user', '--meta', `sqlite:${join(dir, 'meta.db')}`, ...args],
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
        resolve({ code, stdout, stderr })
      },
    )
    child.stdin?.end(stdin ?? '')
  })
}

describe('hops user', () => {
  it('adds, lists, resets, locks, unlocks, creates and revokes API keys; errors are one line', async () => {
    const dir = tmpDir()
    const url = `sqlite:${join(dir, 'meta.db')}`
    // 1. A user with a password from stdin, one with a printed temporary password.
    const add = await hops(
      dir,
      ['add', 'alice', '--email', 'a@example.org', '--password-stdin'],
      'Wonderland-Secret-9\n',
    )
    assert.equal(add.code, 0, add.stderr)
    assert.equal(add.stdout, "created user 'alice'\n")
    const bob = await hops(dir, ['add', 'bob', '--role', 'admin'])
    assert.equal(bob.code, 0, bob.stderr)
    const temporary = /temporary password .*: (\S+)/.exec(bob.stdout)?.[1]
    assert.ok(temporary !== undefined && temporary.length >= 16)
    // 2. The same name again: one line on stderr, exit code 1.
    const again = await hops(dir, ['add', 'alice'])
    assert.equal(again.code, 1)
    assert.equal(again.stderr, "hops user add: the user 'alice' already exists\n")
    const weak = await hops(dir, ['add', 'carol', '--password-stdin'], 'short\n')
    assert.equal(weak.stderr, 'hops user add: the password must be at least 10 characters long\n')
    // 3. list
    const list = await hops(dir, ['list'])
    assert.equal(list.code, 0, list.stderr)
    const lines = list.stdout.trim().split('\n')
    assert.match(lines[0]!, /^USER\s+ROLE\s+STATUS/)
    assert.match(lines[1]!, /^alice\s+user\s+active\s+local\s+-/)
    assert.match(lines[2]!, /^bob\s+admin\s+active/)
    // 4. lock / unlock, checked through the service on the same database.
    assert.equal((await hops(dir, ['lock', 'alice'])).stdout, "'alice' is locked\n")
    const users = await UserService.open(url)
    try {
      await assert.rejects(
        users.login({ username: 'alice', password: 'Wonderland-Secret-9' }, {}),
        /locked/,
      )
      assert.equal((await hops(dir, ['unlock', 'alice'])).stdout, "'alice' is active\n")
      // 5. passwd prints a temporary password that must be changed.
      const reset = await hops(dir, ['passwd', 'alice'])
      assert.equal(reset.code, 0, reset.stderr)
      const temp = /: (\S+)\n/.exec(reset.stdout)?.[1]
      assert.ok(temp !== undefined)
      await assert.rejects(
        users.login({ username: 'alice', password: temp }, {}),
        (e: Error) => 'code' in e && e.code === 'PASSWORD_CHANGE_REQUIRED',
      )
      // 6. API keys: printed once on stdout, verified, listed without secret, revoked.
      const created = await hops(dir, [
        'apikey',
        'create',
        'alice',
        '-s',
        'fs:read,fs:write',
        '--expires-days',
        '30',
      ])
      assert.equal(created.code, 0, created.stderr)
      const key = created.stdout.trim()
      assert.match(key, /^hops_[0-9a-f]{12}_\S{43}$/)
      const principal = await users.verifyApiKey(key)
      assert.deepEqual(principal.scopes, ['fs:read', 'fs:write'])
      const listed = await hops(dir, ['apikey', 'list', 'alice'])
      assert.match(listed.stdout, new RegExp(`${principal.apiKeyId}\\s+valid\\s+fs:read,fs:write`))
      assert.ok(!listed.stdout.includes(key.slice(18)))
      const denied = await hops(dir, ['apikey', 'create', 'alice', '-s', 'admin'])
      assert.equal(
        denied.stderr,
        "hops user apikey create: 'alice' is not an administrator: no admin scope\n",
      )
      assert.equal((await hops(dir, ['apikey', 'revoke', 'alice', principal.apiKeyId!])).code, 0)
      await assert.rejects(users.verifyApiKey(key), /revoked/)
      // 7. The audit log names the CLI actor; no secret is in it.
      const audit = await hops(dir, ['audit', '--user', 'alice'])
      assert.match(audit.stdout, /allowed apikey\.revoke actor=cli:\S+ target=alice/)
      assert.match(audit.stdout, /denied {2}login actor=alice target=alice/)
      for (const secret of ['Wonderland-Secret-9', temporary, temp, key.slice(18)]) {
        assert.ok(!audit.stdout.includes(secret))
      }
    } finally {
      await users.close()
    }
  })
})
