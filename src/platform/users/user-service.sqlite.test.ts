import { tmpFile } from '../../../test/support/tmp.js'
import { describeUserService } from './user-service.case.js'

describeUserService('sqlite', () =>
  Promise.resolve({ url: `sqlite:${tmpFile('users.db')}`, drop: () => Promise.resolve() }),
)
