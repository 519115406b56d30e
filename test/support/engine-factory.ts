/** Engine factories for the conformance suite: a fresh database per engine handle. */
import type { EngineFactory, TestEngine } from '../../src/meta/meta-engine.case.js'
import { openMetaEngine } from '../../src/meta/open-meta-engine.js'
import type { SqlMetaEngine, SqlMetaEngineOptions } from '../../src/meta/sql/sql-meta-engine.js'
import { galeraCluster } from './galera.js'
import { createTestDatabase as createMysqlDatabase } from './mysql.js'
import { createTestDatabase } from './postgres.js'
import { tmpFile } from './tmp.js'

/** `urls`: the same database through one or more servers; `another` takes the next in turn. */
async function handleFor(
  urls: string | readonly string[],
  drop: () => Promise<void>,
  options?: SqlMetaEngineOptions,
): Promise<TestEngine> {
  const all = typeof urls === 'string' ? [urls] : urls
  const url = all[0]!
  const engines: SqlMetaEngine[] = []
  const engine = await openMetaEngine(url, options)
  engines.push(engine)
  return {
    engine,
    url,
    async another(more) {
      const e = await openMetaEngine(all[engines.length % all.length]!, { ...options, ...more })
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

/**
 * A fresh database on the Galera test cluster (test/support/galera.ts): the first engine on node
 * 1, each `another()` engine on the next node, so multi-engine cases run across nodes.
 */
export const galeraFactory: EngineFactory = async (options) => {
  const db = await (await galeraCluster()).createDatabase()
  return handleFor(db.urls, db.drop, { poolSize: 8, ...options })
}
