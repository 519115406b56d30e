import { createTestDatabase } from '../../test/support/mysql.js'
import { describeCertificateAuthority } from './certificate-authority.case.js'

// Uses META_TEST_MYSQL_URL or the local MariaDB/MySQL on 127.0.0.1:3306: never skipped.
describeCertificateAuthority('mysql', createTestDatabase)
