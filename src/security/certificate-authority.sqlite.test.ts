import { tmpFile } from '../../test/support/tmp.js'
import { describeCertificateAuthority } from './certificate-authority.case.js'

describeCertificateAuthority('sqlite', () =>
  Promise.resolve({ url: `sqlite:${tmpFile()}`, drop: () => Promise.resolve() }),
)
