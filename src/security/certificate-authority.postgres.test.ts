import { createTestDatabase } from '../../test/support/postgres.js'
import { describeCertificateAuthority } from './certificate-authority.case.js'

// Uses META_TEST_POSTGRES_URL, the local server, or an embedded one: never skipped.
describeCertificateAuthority('postgres', createTestDatabase)
