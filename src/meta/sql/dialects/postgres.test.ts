import { describeMetaEngine } from '../../meta-engine.case.js'
import { postgresFactory } from '../../../../test/support/engine-factory.js'

// Uses META_TEST_POSTGRES_URL, the local server, or an embedded one: never skipped.
describeMetaEngine('postgres', postgresFactory)
