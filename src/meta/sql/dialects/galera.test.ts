import { describeMetaEngine } from '../../meta-engine.case.js'
import { galeraFactory } from '../../../../test/support/engine-factory.js'

// A private 3-node MariaDB Galera cluster (test/support/galera.ts); the first engine of a case
// runs on node 1, every further engine on the next node. Never skipped.
describeMetaEngine('galera', galeraFactory)
