/**
 * @module
 * The conformance suite every metadata engine passes (Hono `common.case.test.ts`, JuiceFS
 * `testMeta`). Each engine's entry file is one call of {@link describeMetaEngine}.
 */
import { describe } from 'node:test'
import type { SqlMetaEngine, SqlMetaEngineOptions } from './sql/sql-meta-engine.js'
import { namespaceCases } from './cases/namespace.case.js'
import { permissionCases } from './cases/permission.case.js'
import { quotaCases } from './cases/quota.case.js'
import { xattrAclCases } from './cases/xattr-acl.case.js'
import { blockLeaseCases } from './cases/block-lease.case.js'
import { dataPathCases } from './cases/data-path.case.js'

/** A fresh engine on an empty database, and a way to open more engines on the same one. */
export interface TestEngine {
  readonly engine: SqlMetaEngine
  /** The database URL, for a second engine (a second NameNode) on the same namespace. */
  readonly url: string
  /** Closes every engine opened through this handle and drops the database. */
  close(): Promise<void>
  /** Opens another engine on the same database (closed by `close`). */
  another(options?: SqlMetaEngineOptions): Promise<SqlMetaEngine>
}

export type EngineFactory = (options?: SqlMetaEngineOptions) => Promise<TestEngine>

export function describeMetaEngine(name: string, factory: EngineFactory): void {
  describe(`MetaEngine conformance on ${name}`, () => {
    namespaceCases(factory)
    permissionCases(factory)
    quotaCases(factory)
    xattrAclCases(factory)
    blockLeaseCases(factory)
    dataPathCases(factory)
  })
}
