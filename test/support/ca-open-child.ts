/**
 * A child process for the CA start-up race: opens the certificate authority at argv[2] (secret
 * key in HOPS_SECRET_KEY), tries to issue `race__user`, and prints one JSON line.
 */
import { createHash } from 'node:crypto'
import { CertificateAuthority } from '../../src/security/certificate-authority.js'

const ca = await CertificateAuthority.open(process.argv[2]!, {
  secretKey: process.env.HOPS_SECRET_KEY ?? '',
})
try {
  const issued = await ca.issueUser('race', 'user').then(
    (b) => b.serial,
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  )
  const root = createHash('sha256').update(ca.rootCertPem).digest('hex')
  process.stdout.write(JSON.stringify({ root, issued }) + '\n')
} finally {
  await ca.close()
}
