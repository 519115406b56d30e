/** Engine factories for the conformance suite: a fresh database per engine handle. */
import type { EngineFactory, TestEngine } from '../../src/meta/meta-engine.case.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine, SqlMetaEngineOptions } from '../../src/meta/sql/sql-meta-engine.js'
import { createTestDatabase as createMysqlDatabase } from './mysql.js'
import { createTestDatabase } from './postgres.js'
import { tmpFile } from './tmp.js'

async function handleFor(
  url: string,
  drop: () => Promise<void>,
  options?: SqlMetaEngineOptions,
): Promise<TestEngine> {
  const engines: SqlMetaEngine[] = []
  const engine = await openMetaEngine(url, options)
  engines.push(engine)
  return {
    engine,
    url,
    async another(more) {
      const e = await openMetaEngine(url, { ...options, ...more })
      engines.push(e)
      return e
    },
    async close() {
      for (const e of engines) await e.close()
      await drop()
    },
  }
}

export const sqliteFactory: EngineFactory = (options) =>
  handleFor(`sqlite:${tmpFile()}`, () => Promise.resolve(), options)

export const postgresFactory: EngineFactory = async (options) => {
  const db = await createTestDatabase()
  return handleFor(db.url, db.drop, { poolSize: 8, ...options })
}

export const mysqlFactory: EngineFactory = async (options) => {
  const db = await createMysqlDatabase()
  return handleFor(db.url, db.drop, { poolSize: 8, ...options })
}
