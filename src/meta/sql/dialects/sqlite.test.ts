import { describeMetaEngine } from '../../meta-engine.case.js'
import { sqliteFactory } from '../../../../test/support/engine-factory.js'

describeMetaEngine('sqlite', sqliteFactory)
