/** Test helper: runs `fn` with a fresh engine and always closes it. */
import type { EngineFactory } from '../meta-engine.case.js'
import type { SqlMetaEngine, SqlMetaEngineOptions } from '../sql/sql-meta-engine.js'
import type { TestEngine } from '../meta-engine.case.js'

export async function withEngine(
  factory: EngineFactory,
  fn: (engine: SqlMetaEngine, handle: TestEngine) => Promise<void>,
  options?: SqlMetaEngineOptions,
): Promise<void> {
  const handle = await factory(options)
  try {
    await fn(handle.engine, handle)
  } finally {
    await handle.close()
  }
}

/** The superuser's and a plain user's caller contexts. */
export const SUPER = { user: 'hdfs' } as const
export const ALICE = { user: 'alice', groups: ['staff'] } as const
export const BOB = { user: 'bob', groups: ['users'] } as const
