/** Conformance cases: namespace and space quotas. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { EngineFactory } from '../meta-engine.case.js'
import { rejectsWith } from './namespace.case.js'
import { ALICE, SUPER, withEngine } from './with-engine.js'

export function quotaCases(factory: EngineFactory): void {
  describe('quotas', () => {
    it('enforces a namespace quota that counts the directory itself', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/q' }, SUPER)
        await e.setQuota({ path: '/q', nsQuota: 3 }, SUPER)
        await e.create({ path: '/q/a', clientName: 'c' }, SUPER)
        await e.mkdirs({ path: '/q/b' }, SUPER)
        const err = await rejectsWith(
          e.create({ path: '/q/c', clientName: 'c' }, SUPER),
          'NS_QUOTA_EXCEEDED',
        )
        assert.match(err.message, /\/q/)
        await rejectsWith(e.mkdirs({ path: '/q/b/c' }, SUPER), 'NS_QUOTA_EXCEEDED')
        await rejectsWith(e.getFileInfo('/q/c', SUPER), 'FILE_NOT_FOUND')
        const u = await e.getQuotaUsage('/q', SUPER)
        assert.deepEqual([u.fileAndDirectoryCount, u.quota, u.spaceQuota], [3, 3, -1])
        await e.delete({ path: '/q/a' }, SUPER)
        await e.create({ path: '/q/c', clientName: 'c' }, SUPER)
      }))

    it('counts existing entries when set on a populated directory, and follows renames', () =>
      withEngine(factory, async (e) => {
        for (let i = 0; i < 4; i++) await e.create({ path: `/p/d/f${i}`, clientName: 'c' }, SUPER)
        await e.setQuota({ path: '/p', nsQuota: 10 }, SUPER)
        assert.equal((await e.getQuotaUsage('/p', SUPER)).fileAndDirectoryCount, 6)
        await e.mkdirs({ path: '/outside/x/y' }, SUPER)
        await e.rename({ src: '/outside/x', dst: '/p/x' }, SUPER)
        assert.equal((await e.getQuotaUsage('/p', SUPER)).fileAndDirectoryCount, 8)
        await e.mkdirs({ path: '/outside/big/1/2/3' }, SUPER)
        await rejectsWith(
          e.rename2({ src: '/outside/big', dst: '/p/big' }, SUPER),
          'NS_QUOTA_EXCEEDED',
        )
        assert.equal(await e.rename({ src: '/p/d', dst: '/outside/d' }, SUPER), true)
        assert.equal((await e.getQuotaUsage('/p', SUPER)).fileAndDirectoryCount, 3)
        assert.ok((await e.applyQuotaUpdates()) > 0)
        assert.equal(
          (await e.getQuotaUsage('/p', SUPER)).fileAndDirectoryCount,
          3,
          'folding deltas keeps the figure',
        )
        const summary = await e.getContentSummary('/p', SUPER)
        assert.equal(summary.fileCount + summary.directoryCount, 3, 'usage equals a recount')
        assert.equal(summary.quota, 10)
      }))

    it('is set and cleared by the superuser only, on directories only', () =>
      withEngine(factory, async (e) => {
        await e.mkdirs({ path: '/q' }, SUPER)
        await e.create({ path: '/f', clientName: 'c' }, SUPER)
        await rejectsWith(e.setQuota({ path: '/q', nsQuota: 5 }, ALICE), 'ACCESS_DENIED')
        await rejectsWith(e.setQuota({ path: '/f', nsQuota: 5 }, SUPER), 'NOT_A_DIRECTORY')
        await rejectsWith(e.setQuota({ path: '/q', nsQuota: 0 }, SUPER), 'INVALID_ARGUMENT')
        await rejectsWith(e.setQuota({ path: '/missing', nsQuota: 5 }, SUPER), 'FILE_NOT_FOUND')
        await e.setQuota({ path: '/q', nsQuota: 1, ssQuota: 1 << 30 }, SUPER)
        await rejectsWith(e.mkdirs({ path: '/q/x' }, SUPER), 'NS_QUOTA_EXCEEDED')
        await e.setQuota({ path: '/q', nsQuota: -1, ssQuota: -1 }, SUPER)
        await e.mkdirs({ path: '/q/x' }, SUPER)
        assert.equal((await e.getQuotaUsage('/q', SUPER)).quota, -1)
        assert.equal((await e.getFileInfo('/q', SUPER)).hasQuota, false)
      }))
  })
}
