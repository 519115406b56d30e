/** Conformance cases: the namespace operations with HDFS semantics. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FsError } from '../../common/fs-error.js'
import type { FsErrorCode } from '../../common/fs-error.js'
import type { EngineFactory } from '../meta-engine.case.js'
import { SUPER, withEngine } from './with-engine.js'

/** Asserts that `promise` rejects with an FsError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: FsErrorCode): Promise<FsError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof FsError, `expected FsError ${code}, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return err
  }
  assert.fail(`expected FsError ${code}, but it succeeded`)
}

export function namespaceCases(factory: EngineFactory): void {
  const ctx = SUPER
  describe('mkdirs', () => {
    it('creates missing parents and is idempotent', () =>
      withEngine(factory, async (e) => {
        assert.equal(await e.mkdirs({ path: '/a/b/c', permission: 0o750 }, ctx), true)
        const c = await e.getFileInfo('/a/b/c', ctx)
        assert.equal(c.type, 'DIRECTORY')
        assert.equal(c.permission, 0o750 & ~0o022)
        const b = await e.getFileInfo('/a/b', ctx)
        assert.equal(b.permission, (0o750 | 0o300) & ~0o022, 'parents get u+wx')
        assert.equal(b.childrenNum, 1)
        assert.equal(await e.mkdirs({ path: '/a/b/c' }, ctx), true)
        assert.equal((await e.getFileInfo('/a', ctx)).childrenNum, 1)
      }))

    it('refuses a file in the way', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, ctx)
        await rejectsWith(e.mkdirs({ path: '/f' }, ctx), 'FILE_EXISTS')
        await rejectsWith(e.mkdirs({ path: '/f/x/y' }, ctx), 'PARENT_NOT_DIRECTORY')
      }))

    it('keeps names case-sensitive and binary', () =>
      withEngine(factory, async (e) => {
        for (const name of ['Data', 'data', 'DATA', 'dätä', '日本', 'a b', 'x\u00a0'])
          await e.mkdirs({ path: `/${name}` }, ctx)
        const { entries } = await e.listStatus({ path: '/' }, ctx)
        const names = entries.map((x) => x.name)
        assert.deepEqual(
          names,
          [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
        )
        assert.equal(names.length, 7)
      }))
  })

  describe('create', () => {
    it('creates an empty file under construction with a lease', () =>
      withEngine(factory, async (e) => {
        const f = await e.create(
          { path: '/d/f', clientName: 'client-1', replication: 2, blockSize: 1 << 20 },
          ctx,
        )
        assert.equal(f.type, 'FILE')
        assert.equal(f.underConstruction, true)
        assert.equal(f.clientName, 'client-1')
        assert.equal(f.replication, 2)
        assert.equal(f.blockSize, 1 << 20)
        assert.equal(f.permission, 0o644)
        assert.equal(
          (await e.getFileInfo('/d', ctx)).type,
          'DIRECTORY',
          'createParent defaults to true',
        )
      }))

    it('refuses to overwrite unless asked, and never a directory', () =>
      withEngine(factory, async (e) => {
        const first = await e.create({ path: '/f', clientName: 'c' }, ctx)
        await rejectsWith(e.create({ path: '/f', clientName: 'c' }, ctx), 'FILE_EXISTS')
        const second = await e.create({ path: '/f', clientName: 'c', overwrite: true }, ctx)
        assert.notEqual(second.inodeId, first.inodeId)
        assert.equal((await e.getFileInfo('/', ctx)).childrenNum, 1)
        await e.mkdirs({ path: '/d' }, ctx)
        await rejectsWith(
          e.create({ path: '/d', clientName: 'c', overwrite: true }, ctx),
          'FILE_EXISTS',
        )
      }))

    it('refuses to overwrite a file another client is writing', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'writer-1' }, ctx)
        await rejectsWith(
          e.create({ path: '/f', clientName: 'writer-2', overwrite: true }, ctx),
          'ALREADY_BEING_CREATED',
        )
      }))

    it('honours createParent=false', () =>
      withEngine(factory, async (e) => {
        await rejectsWith(
          e.create({ path: '/no/f', clientName: 'c', createParent: false }, ctx),
          'FILE_NOT_FOUND',
        )
        await assert.rejects(e.getFileInfo('/no', ctx))
      }))

    it('validates replication and block size', () =>
      withEngine(factory, async (e) => {
        await rejectsWith(
          e.create({ path: '/f', clientName: 'c', replication: 0 }, ctx),
          'IO_ERROR',
        )
        await rejectsWith(
          e.create({ path: '/f', clientName: 'c', replication: 513 }, ctx),
          'IO_ERROR',
        )
        await rejectsWith(
          e.create({ path: '/f', clientName: 'c', blockSize: 1000 }, ctx),
          'IO_ERROR',
        )
        await rejectsWith(e.getFileInfo('/f', ctx), 'FILE_NOT_FOUND')
      }))
  })

  describe('getFileInfo and listStatus', () => {
    it('reports missing paths and paths below a file as not found', () =>
      withEngine(factory, async (e) => {
        await rejectsWith(e.getFileInfo('/missing', ctx), 'FILE_NOT_FOUND')
        await e.create({ path: '/f', clientName: 'c' }, ctx)
        await rejectsWith(e.getFileInfo('/f/x', ctx), 'FILE_NOT_FOUND')
        const root = await e.getFileInfo('/', ctx)
        assert.equal(root.type, 'DIRECTORY')
        assert.equal(root.name, '')
      }))

    it('pages a large directory in name order with startAfter and limit', () =>
      withEngine(factory, async (e) => {
        const names = Array.from({ length: 250 }, (_, i) => `f${String(i).padStart(4, '0')}`)
        for (const n of [...names].reverse())
          await e.create({ path: `/big/${n}`, clientName: 'c' }, ctx)
        const seen: string[] = []
        let startAfter = ''
        for (;;) {
          const page = await e.listStatus({ path: '/big', startAfter, limit: 64 }, ctx)
          seen.push(...page.entries.map((x) => x.name))
          if (page.remaining === 0) break
          assert.ok(page.entries.length === 64)
          startAfter = page.entries[page.entries.length - 1]!.name
        }
        assert.deepEqual(seen, names)
        const first = await e.listStatus({ path: '/big', limit: 100 }, ctx)
        assert.equal(first.remaining, 150)
      }))

    it('lists a file as itself and refuses bad limits', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, ctx)
        const page = await e.listStatus({ path: '/f' }, ctx)
        assert.deepEqual(
          page.entries.map((x) => x.name),
          ['f'],
        )
        await rejectsWith(e.listStatus({ path: '/', limit: 0 }, ctx), 'INVALID_ARGUMENT')
        await rejectsWith(e.listStatus({ path: '/nope' }, ctx), 'FILE_NOT_FOUND')
      }))
  })

  describe('rename', () => {
    it('moves files and directories with their subtrees', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/a/b' }, ctx)
        await e.create({ path: '/a/b/f', clientName: 'c' }, ctx)
        const id = (await e.getFileInfo('/a/b/f', ctx)).inodeId
        assert.equal(await e.rename({ src: '/a/b', dst: '/x' }, ctx), true)
        assert.equal((await e.getFileInfo('/x/f', ctx)).inodeId, id)
        await rejectsWith(e.getFileInfo('/a/b/f', ctx), 'FILE_NOT_FOUND')
        assert.equal((await e.getFileInfo('/a', ctx)).childrenNum, 0)
        assert.equal(await e.rename({ src: '/x/f', dst: '/a/g' }, ctx), true)
        assert.equal((await e.getFileInfo('/a/g', ctx)).inodeId, id)
      }))

    it('returns false when the source is missing or the destination exists (HDFS contract)', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, ctx)
        await e.create({ path: '/g', clientName: 'c' }, ctx)
        assert.equal(await e.rename({ src: '/missing', dst: '/x' }, ctx), false)
        assert.equal(await e.rename({ src: '/f', dst: '/g' }, ctx), false)
        assert.equal(await e.rename({ src: '/f', dst: '/nodir/f' }, ctx), false)
        assert.equal(await e.rename({ src: '/f', dst: '/f' }, ctx), true)
        assert.ok(await e.getFileInfo('/f', ctx))
      }))

    it('moves into an existing directory (old rename) and refuses its own subtree', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/d' }, ctx)
        await e.mkdirs({ path: '/s/t' }, ctx)
        assert.equal(await e.rename({ src: '/s', dst: '/d' }, ctx), true)
        assert.ok(await e.getFileInfo('/d/s/t', ctx))
        await rejectsWith(e.rename({ src: '/d', dst: '/d/s/t/u' }, ctx), 'IO_ERROR')
        await rejectsWith(e.rename2({ src: '/d', dst: '/d/s/x' }, ctx), 'IO_ERROR')
        assert.ok(await e.getFileInfo('/d/s/t', ctx))
      }))

    it('rename2 throws, and overwrites only when asked and compatible', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, ctx)
        await e.create({ path: '/g', clientName: 'c' }, ctx)
        await e.mkdirs({ path: '/d' }, ctx)
        await e.mkdirs({ path: '/full/x' }, ctx)
        await rejectsWith(e.rename2({ src: '/missing', dst: '/x' }, ctx), 'FILE_NOT_FOUND')
        await rejectsWith(e.rename2({ src: '/f', dst: '/g' }, ctx), 'FILE_EXISTS')
        await rejectsWith(e.rename2({ src: '/f', dst: '/nodir/f' }, ctx), 'FILE_NOT_FOUND')
        await rejectsWith(e.rename2({ src: '/f', dst: '/d', overwrite: true }, ctx), 'IO_ERROR')
        await rejectsWith(e.rename2({ src: '/d', dst: '/full', overwrite: true }, ctx), 'IO_ERROR')
        const fId = (await e.getFileInfo('/f', ctx)).inodeId
        await e.rename2({ src: '/f', dst: '/g', overwrite: true }, ctx)
        assert.equal((await e.getFileInfo('/g', ctx)).inodeId, fId)
        await rejectsWith(e.getFileInfo('/f', ctx), 'FILE_NOT_FOUND')
        assert.equal((await e.getFileInfo('/', ctx)).childrenNum, 3)
      }))

    it('a second engine sees renames made through the first (stale hints are validated)', () =>
      withEngine(factory, async (e, handle) => {
        const other = await handle.another()
        await e.mkdirs({ path: '/p/q/r' }, ctx)
        assert.ok(await other.getFileInfo('/p/q/r', ctx)) // warms the other engine's hint cache
        await e.rename({ src: '/p/q', dst: '/p/z' }, ctx)
        await rejectsWith(other.getFileInfo('/p/q/r', ctx), 'FILE_NOT_FOUND')
        assert.ok(await other.getFileInfo('/p/z/r', ctx))
        await e.mkdirs({ path: '/p/q/r' }, ctx)
        const fresh = await other.getFileInfo('/p/q/r', ctx)
        assert.notEqual(fresh.inodeId, (await other.getFileInfo('/p/z/r', ctx)).inodeId)
      }))
  })

  describe('cluster-wide settings', () => {
    it('a change reaches every NameNode at its next heartbeat, never read per request', () =>
      withEngine(factory, async (e, handle) => {
        const other = await handle.another()
        assert.equal(other.settings.defaultReplication, 3)
        await e.updateSettings({ defaultReplication: 2, smallFileMaxBytes: 1024 })
        assert.equal(e.settings.defaultReplication, 2)
        assert.equal((await e.create({ path: '/a', clientName: 'c' }, ctx)).replication, 2)
        assert.equal(other.settings.defaultReplication, 3, 'not yet: no heartbeat since')
        await other.heartbeat()
        assert.equal(other.settings.defaultReplication, 2)
        assert.equal((await other.create({ path: '/b', clientName: 'c' }, ctx)).replication, 2)
        assert.equal(await other.smallFileLimit('/b', ctx), 1024)
        await rejectsWith(e.updateSettings({ nope: 1 } as never), 'INVALID_ARGUMENT')
        await rejectsWith(
          e.updateSettings({ defaultReplication: 'x' } as never),
          'INVALID_ARGUMENT',
        )
      }))
  })

  describe('safe mode', () => {
    it('makes the namespace read-only on every NameNode until it is left', () =>
      withEngine(factory, async (e, handle) => {
        const other = await handle.another()
        await e.mkdirs({ path: '/d' }, ctx)
        const retried = { ...ctx, clientId: 'client-S', callId: 1 }
        assert.equal(await e.delete({ path: '/d' }, retried), true)
        await e.updateSettings({ safeMode: true })
        await rejectsWith(e.mkdirs({ path: '/x' }, ctx), 'SAFE_MODE')
        await rejectsWith(e.create({ path: '/f', clientName: 'c' }, ctx), 'SAFE_MODE')
        await rejectsWith(e.setPermission('/', 0o700, ctx, { recursive: true }), 'SAFE_MODE')
        assert.equal(
          await e.delete({ path: '/d' }, retried),
          true,
          'a retry of a call made before safe mode still gets its answer',
        )
        assert.equal((await e.getFileInfo('/', ctx)).type, 'DIRECTORY', 'reads go on')
        assert.ok(await other.mkdirs({ path: '/y' }, ctx), 'the other NameNode: no heartbeat yet')
        await other.heartbeat()
        await rejectsWith(other.rename({ src: '/y', dst: '/z' }, ctx), 'SAFE_MODE')
        await e.updateSettings({ safeMode: false })
        assert.ok(await e.mkdirs({ path: '/x' }, ctx))
      }))
  })

  describe('changelog', () => {
    it('records mutations in order; trimming keeps what a consumer has not acknowledged', () =>
      withEngine(factory, async (e) => {
        for (const name of ['a', 'b', 'c', 'd']) await e.mkdirs({ path: `/${name}` }, ctx)
        const rows = await e.readChangelog(0)
        const adds = rows.filter((r) => r.op === 'ADD').map((r) => r.name)
        assert.deepEqual(adds, ['a', 'b', 'c', 'd'])
        const seqs = rows.map((r) => r.seq)
        assert.deepEqual(
          seqs,
          [...seqs].sort((x, y) => x - y),
        )
        const bSeq = rows.find((r) => r.name === 'b')!.seq
        await e.ackChangelog('indexer', bSeq)
        const future = Date.now() + e.settings.changelogRetentionMs + 1000
        assert.equal(await e.trimChangelog(Date.now()), 0, 'nothing is old enough yet')
        await e.trimChangelog(future)
        const left = await e.readChangelog(0)
        // The row after b's, not bSeq + 1: Galera steps AUTO_INCREMENT by the number of nodes.
        const afterB = rows[rows.findIndex((r) => r.seq === bSeq) + 1]?.seq
        assert.equal(left[0]?.seq, afterB, 'rows up to the acknowledged seq went, no more')
        await e.ackChangelog('indexer', seqs.at(-1)!)
        await e.trimChangelog(future)
        assert.deepEqual(await e.readChangelog(0), [])
        await rejectsWith(e.ackChangelog('', 1), 'INVALID_ARGUMENT')
      }))
  })

  describe('caching', () => {
    it('reads through another engine never return stale rows', () =>
      withEngine(factory, async (e, handle) => {
        const other = await handle.another()
        await e.mkdirs({ path: '/c/d' }, ctx)
        for (let i = 0; i < 3; i++)
          assert.equal((await other.getFileInfo('/c/d', ctx)).permission, 0o755)
        await e.setPermission('/c/d', 0o700, ctx)
        assert.equal((await other.getFileInfo('/c/d', ctx)).permission, 0o700)
        await e.setPermission('/c', 0o700, ctx)
        await e.setOwner('/c', 'alice', undefined, ctx)
        await rejectsWith(other.getFileInfo('/c/d', { user: 'bob' }), 'ACCESS_DENIED')
        await e.delete({ path: '/c', recursive: true }, ctx)
        await rejectsWith(other.getFileInfo('/c/d', ctx), 'FILE_NOT_FOUND')
        await rejectsWith(e.getFileInfo('/c/d', ctx), 'FILE_NOT_FOUND')
      }))
  })

  describe('delete', () => {
    it('deletes files and empty directories; false when missing', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/d/f', clientName: 'c' }, ctx)
        assert.equal(await e.delete({ path: '/d/f' }, ctx), true)
        assert.equal(await e.delete({ path: '/d/f' }, ctx), false)
        assert.equal(await e.delete({ path: '/d' }, ctx), true)
        assert.equal((await e.getFileInfo('/', ctx)).childrenNum, 0)
      }))

    it('refuses a non-empty directory without recursive, and never deletes the root', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/d/f', clientName: 'c' }, ctx)
        await rejectsWith(e.delete({ path: '/d' }, ctx), 'DIRECTORY_NOT_EMPTY')
        assert.equal(await e.delete({ path: '/', recursive: true }, ctx), false)
        assert.ok(await e.getFileInfo('/d/f', ctx))
      }))

    it('deletes a subtree recursively, in one transaction when small', () =>
      withEngine(factory, async (e) => {
        for (let i = 0; i < 5; i++)
          await e.create({ path: `/t/a${i}/b/f${i}`, clientName: 'c' }, ctx)
        assert.equal(await e.delete({ path: '/t', recursive: true }, ctx), true)
        await rejectsWith(e.getFileInfo('/t/a1/b', ctx), 'FILE_NOT_FOUND')
        assert.deepEqual((await e.listStatus({ path: '/' }, ctx)).entries, [])
      }))

    it('deletes a subtree larger than a batch through the subtree protocol', () =>
      withEngine(
        factory,
        async (e) => {
          for (let d = 0; d < 4; d++)
            for (let i = 0; i < 9; i++)
              await e.create({ path: `/big/d${d}/s/f${i}`, clientName: 'c' }, ctx)
          await e.create({ path: '/keep/f', clientName: 'c' }, ctx)
          assert.equal(await e.delete({ path: '/big', recursive: true }, ctx), true)
          await rejectsWith(e.getFileInfo('/big', ctx), 'FILE_NOT_FOUND')
          assert.deepEqual(
            (await e.listStatus({ path: '/' }, ctx)).entries.map((x) => x.name),
            ['keep'],
          )
          const summary = await e.getContentSummary('/', ctx)
          assert.equal(summary.fileCount, 1)
          assert.equal(summary.directoryCount, 2)
        },
        { settings: { subtreeBatchSize: 5 } },
      ))

    it('finishes a subtree delete whose NameNode died, from another engine', () =>
      withEngine(factory, async (e, handle) => {
        for (let i = 0; i < 30; i++)
          await e.create({ path: `/doomed/d${i % 3}/f${i}`, clientName: 'c' }, ctx)
        // Engine A dies after its first batch: its mark stays behind.
        const a = await handle.another({
          settings: { subtreeBatchSize: 4 },
          onSubtreeProgress: () => {
            throw new Error('simulated NameNode death')
          },
        })
        await assert.rejects(
          a.delete({ path: '/doomed', recursive: true }, ctx),
          /simulated NameNode death/,
        )
        await a.crash()
        // While A looked alive, others are refused retriably; once its heartbeat is stale, a retry finishes.
        const b = await handle.another({
          settings: { namenodeDeadAfterMs: 300 },
          maxTxnAttempts: 2,
        })
        await new Promise((r) => setTimeout(r, 400))
        // Housekeeping clears the dead NameNode's mark; the retried delete finishes the work.
        assert.equal(await b.clearDeadNamenodes(), 1)
        assert.equal(await b.delete({ path: '/doomed', recursive: true }, ctx), true)
        await rejectsWith(b.getFileInfo('/doomed', ctx), 'FILE_NOT_FOUND')
        assert.equal((await b.getContentSummary('/', ctx)).fileCount, 0)
      }))
  })

  describe('attributes', () => {
    it('setPermission, setOwner, setTimes, setReplication', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/f', clientName: 'c' }, ctx)
        await e.mkdirs({ path: '/d' }, ctx)
        await e.setPermission('/f', 0o600, ctx)
        await e.setPermission('/d', 0o1777, ctx)
        await e.setOwner('/f', 'alice', 'staff', ctx)
        await e.setTimes('/f', 1000, -1, ctx)
        assert.equal(await e.setReplication('/f', 5, ctx), true)
        assert.equal(await e.setReplication('/d', 5, ctx), false)
        const f = await e.getFileInfo('/f', ctx)
        assert.deepEqual(
          [f.permission, f.owner, f.group, f.modificationTime, f.replication],
          [0o600, 'alice', 'staff', 1000, 5],
        )
        assert.equal((await e.getFileInfo('/d', ctx)).permission, 0o1777)
        await rejectsWith(e.setPermission('/f', 0o7777, ctx), 'INVALID_ARGUMENT')
        await rejectsWith(e.setTimes('/f', -5, -1, ctx), 'INVALID_ARGUMENT')
        await rejectsWith(e.setReplication('/f', 0, ctx), 'IO_ERROR')
        await rejectsWith(e.setOwner('/f', undefined, undefined, ctx), 'INVALID_ARGUMENT')
        await rejectsWith(e.setPermission('/missing', 0o600, ctx), 'FILE_NOT_FOUND')
      }))

    it('recursive setPermission and setOwner change the whole subtree', () =>
      withEngine(factory, async (e) => {
        const paths = ['/r/a/f1', '/r/a/b/f2', '/r/c/f3']
        for (const p of paths) await e.create({ path: p, clientName: 'c' }, ctx)
        await e.setPermission('/r', 0o700, ctx, { recursive: true })
        await e.setOwner('/r', 'alice', 'staff', ctx, { recursive: true })
        for (const p of ['/r', '/r/a', '/r/a/b', '/r/c', ...paths]) {
          const s = await e.getFileInfo(p, ctx)
          assert.deepEqual([s.permission, s.owner, s.group], [0o700, 'alice', 'staff'], p)
        }
        await e.setOwner('/r/c/f3', 'bob', undefined, ctx)
        const alice = { user: 'alice', groups: ['staff', 'other'] }
        await rejectsWith(e.setPermission('/r', 0o750, alice, { recursive: true }), 'ACCESS_DENIED')
        assert.equal((await e.getFileInfo('/r/a/f1', ctx)).permission, 0o700, 'nothing changed')
        await e.setPermission('/r/a', 0o750, alice, { recursive: true })
        assert.equal((await e.getFileInfo('/r/a/b/f2', ctx)).permission, 0o750)
        await rejectsWith(
          e.setOwner('/r/a', 'bob', undefined, alice, { recursive: true }),
          'ACCESS_DENIED',
        )
        await rejectsWith(
          e.setPermission('/nope', 0o700, ctx, { recursive: true }),
          'FILE_NOT_FOUND',
        )
        await e.mkdirs({ path: '/r/a/new' }, ctx)
      }))

    it('getContentSummary counts the subtree', () =>
      withEngine(factory, async (e) => {
        await e.create({ path: '/s/a/f1', clientName: 'c' }, ctx)
        await e.create({ path: '/s/b/f2', clientName: 'c' }, ctx)
        await e.mkdirs({ path: '/s/c' }, ctx)
        const s = await e.getContentSummary('/s', ctx)
        assert.deepEqual(
          [s.fileCount, s.directoryCount, s.length, s.quota, s.spaceQuota],
          [2, 4, 0, -1, -1],
        )
      }))

    it('createSymlink stores the target; links are not followed', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/real' }, ctx)
        await e.createSymlink('/real', '/links/l', true, ctx)
        const l = await e.getFileInfo('/links/l', ctx)
        assert.equal(l.type, 'SYMLINK')
        assert.equal(l.symlink, '/real')
        await rejectsWith(e.createSymlink('/real', '/links/l', true, ctx), 'FILE_EXISTS')
        await rejectsWith(e.createSymlink('/real', '/nope/l', false, ctx), 'FILE_NOT_FOUND')
        await rejectsWith(e.getFileInfo('/links/l/x', ctx), 'FILE_NOT_FOUND')
      }))
  })

  describe('bad input', () => {
    const bad: [string, FsErrorCode][] = [
      ['relative/path', 'INVALID_PATH'],
      ['', 'INVALID_PATH'],
      ['/a/../b', 'INVALID_PATH'],
      ['/a/./b', 'INVALID_PATH'],
      ['/a//b', 'INVALID_PATH'],
      ['/a\0b', 'INVALID_PATH'],
      ['/a:b', 'INVALID_PATH'],
      [`/${'x'.repeat(256)}`, 'PATH_COMPONENT_TOO_LONG'],
      [`/${'é'.repeat(128)}`, 'PATH_COMPONENT_TOO_LONG'],
    ]
    it('refuses invalid paths with typed errors and writes nothing', () =>
      withEngine(factory, async (e) => {
        for (const [path, code] of bad) {
          await rejectsWith(e.mkdirs({ path }, ctx), code)
          await rejectsWith(e.create({ path, clientName: 'c' }, ctx), code)
          await rejectsWith(e.getFileInfo(path, ctx), code)
        }
        await rejectsWith(e.getFileInfo(42 as unknown as string, ctx), 'INVALID_PATH')
        await rejectsWith(e.mkdirs({ path: '/x', permission: -1 }, ctx), 'INVALID_ARGUMENT')
        await rejectsWith(e.create({ path: '/x', clientName: '' }, ctx), 'INVALID_ARGUMENT')
        await rejectsWith(e.mkdirs({ path: '/x' }, { user: '' }), 'INVALID_ARGUMENT')
        assert.equal((await e.getFileInfo('/', ctx)).childrenNum, 0)
        assert.ok(
          await e.mkdirs({ path: `/${'x'.repeat(255)}/` }, ctx),
          'a 255-byte name and a trailing slash are fine',
        )
      }))
  })

  describe('exactly-once retries', () => {
    it('a retried create or delete returns the first outcome', () =>
      withEngine(factory, async (e, handle) => {
        const call = { ...ctx, clientId: 'client-A', callId: 1 }
        const first = await e.create({ path: '/f', clientName: 'A' }, call)
        const other = await handle.another()
        const again = await other.create({ path: '/f', clientName: 'A' }, call)
        assert.equal(again.inodeId, first.inodeId)
        const del = { ...ctx, clientId: 'client-A', callId: 2 }
        assert.equal(await e.delete({ path: '/f' }, del), true)
        assert.equal(
          await other.delete({ path: '/f' }, del),
          true,
          'the retried delete answers true again',
        )
        assert.equal(await other.delete({ path: '/f' }, { ...del, callId: 3 }), false)
      }))

    it('two attempts of one call running at once on two engines give one answer', () =>
      withEngine(factory, async (e, handle) => {
        const other = await handle.another()
        for (let i = 0; i < 30; i++) {
          await e.mkdirs({ path: `/race${i}` }, ctx)
          const call = { ...ctx, clientId: 'client-R', callId: i }
          const answers = await Promise.all([
            e.delete({ path: `/race${i}` }, call),
            other.delete({ path: `/race${i}` }, call),
          ])
          assert.deepEqual(answers, [true, true], `call ${i}`)
        }
      }))

    it('a retried subtree delete answers true again, even after it finished', () =>
      withEngine(
        factory,
        async (e, handle) => {
          for (let i = 0; i < 12; i++)
            await e.create({ path: `/big/d${i % 2}/f${i}`, clientName: 'c' }, ctx)
          const del = { ...ctx, clientId: 'client-B', callId: 1 }
          assert.equal(await e.delete({ path: '/big', recursive: true }, del), true)
          const other = await handle.another()
          assert.equal(await other.delete({ path: '/big', recursive: true }, del), true)
          assert.equal(
            await other.delete({ path: '/big', recursive: true }, { ...del, callId: 2 }),
            false,
          )
        },
        { settings: { subtreeBatchSize: 4 } },
      ))
  })
}
