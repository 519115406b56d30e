import { createTestDatabase } from '../../../test/support/postgres.js'
import { describeUserService } from './user-service.case.js'

describeUserService('postgres', createTestDatabase)
