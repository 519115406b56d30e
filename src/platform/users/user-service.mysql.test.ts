import { createTestDatabase } from '../../../test/support/mysql.js'
import { describeUserService } from './user-service.case.js'

describeUserService('mysql', createTestDatabase)
