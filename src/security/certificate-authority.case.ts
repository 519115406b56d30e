/**
 * The certificate authority and verifier, run on one database engine: a handshake matrix against
 * real `node:https` servers on 127.0.0.1 configured by {@link CertificateVerifier.serverOptions},
 * revocation reaching every server, rotation under a kept-alive client, the CRL, keys at rest,
 * and secrets kept out of logs and errors (issue 6).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { X509Certificate, createHash, verify as verifySignature } from 'node:crypto'
import { once } from 'node:events'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import type { TLSSocket } from 'node:tls'
import { pino } from 'pino'
import { profileForUrl } from '../meta/open-meta-engine.js'
import { CaError } from './ca-error.js'
import { CertificateAuthority } from './certificate-authority.js'
import type { CertificateBundle } from './certificate-authority.js'
import { CertificateVerifier } from './certificate-verifier.js'
import { x509 } from './x509.js'

/** A fresh, empty database and a function that drops it. */
export type TestDatabaseFactory = () => Promise<{ url: string; drop: () => Promise<void> }>

const SECRET = 'test-ca-secret-7f3a9c1e-do-not-log'
const DAY = 86_400_000

type Outcome =
  { readonly status: number; readonly body: Record<string, unknown> } | { readonly refused: string }

export function describeCertificateAuthority(name: string, createDb: TestDatabaseFactory): void {
  describe(`certificate authority (${name})`, () => {
    const dbs: { drop: () => Promise<void> }[] = []
    const closers: (() => Promise<void>)[] = []
    const logLines: string[] = []
    const errorTexts: string[] = []
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) })
    let url: string
    let ca: CertificateAuthority
    let verifier: CertificateVerifier
    let service: CertificateBundle
    let port: number
    const keyMaterial: string[] = []

    /** One request on a new connection (or on `agent`'s kept-alive one) presenting `bundle`. */
    function request(
      bundle: { keyPem: string; certPem: string } | undefined,
      options: { agent?: https.Agent; chain?: string } = {},
    ): Promise<Outcome> {
      return new Promise((resolve) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            path: '/whoami',
            servername: 'localhost',
            ca: [ca.rootCertPem],
            ...(bundle !== undefined
              ? {
                  key: bundle.keyPem,
                  cert: bundle.certPem + (options.chain ?? ca.intermediateCertPem),
                }
              : {}),
            agent: options.agent ?? false,
          },
          (res) => {
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (d: string) => (text += d))
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                body: JSON.parse(text) as Record<string, unknown>,
              }),
            )
          },
        )
        req.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ refused: err.code ?? err.message }),
        )
        req.end()
      })
    }

    function refused(outcome: Outcome): outcome is { refused: string } {
      return 'refused' in outcome
    }

    /** The HTTP answer (the handshake succeeded). */
    function answered(outcome: Outcome): { status: number; body: Record<string, unknown> } {
      if ('refused' in outcome) assert.fail(`refused in the handshake: ${outcome.refused}`)
      return outcome
    }

    async function issueUser(
      project: string,
      user: string,
      validity?: { notBefore: Date; notAfter: Date },
    ) {
      const bundle = await ca.issueUser(project, user, validity === undefined ? {} : { validity })
      keyMaterial.push(bundle.keyPem)
      return bundle
    }

    before(async () => {
      const db = await createDb()
      dbs.push(db)
      url = db.url
      ca = await CertificateAuthority.open(url, { secretKey: SECRET })
      closers.push(() => ca.close())
      // refreshMs 0: this server's revocation state moves only when a test calls refresh().
      verifier = await CertificateVerifier.open(url, { refreshMs: 0, logger })
      closers.push(() => verifier.close())
      service = await ca.issueService('localhost', { ipAddresses: ['127.0.0.1'] })
      keyMaterial.push(service.keyPem)
      const server = https.createServer(verifier.serverOptions(service), (req, res) => {
        void verifier.verifySocket(req.socket as TLSSocket, { kind: 'user' }).then((verdict) => {
          res.writeHead(verdict.ok ? 200 : 403, { 'content-type': 'application/json' })
          res.end(JSON.stringify(verdict.ok ? verdict.identity : verdict))
        })
      })
      verifier.watch(server, service)
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      port = (server.address() as AddressInfo).port
      closers.push(async () => {
        server.closeAllConnections()
        await new Promise((r) => server.close(r))
      })
    })

    after(async () => {
      for (const close of closers.reverse()) await close()
      for (const db of dbs) await db.drop()
    })

    it('allows a valid user certificate and names the project user', async () => {
      const alice = await issueUser('demo', 'alice')
      const outcome = await request(alice)
      assert.deepEqual(outcome, {
        status: 200,
        body: { kind: 'user', cn: 'demo__alice', project: 'demo', user: 'alice' },
      })
    })

    it('refuses a connection without a certificate in the handshake', async () => {
      assert.ok(refused(await request(undefined)))
    })

    it('refuses an expired certificate', async () => {
      const now = Date.now()
      const old = await issueUser('demo', 'expired', {
        notBefore: new Date(now - 3 * DAY),
        notAfter: new Date(now - DAY),
      })
      assert.ok(refused(await request(old)), 'the handshake refuses it')
      const verdict = await verifier.verify([pemDer(old.certPem)])
      assert.equal(verdict.ok ? 'ok' : verdict.reason, 'expired')
    })

    it('refuses a certificate that is not yet valid', async () => {
      const now = Date.now()
      const early = await issueUser('demo', 'early', {
        notBefore: new Date(now + DAY),
        notAfter: new Date(now + 3 * DAY),
      })
      assert.ok(refused(await request(early)))
      const verdict = await verifier.verify([pemDer(early.certPem)])
      assert.equal(verdict.ok ? 'ok' : verdict.reason, 'not-yet-valid')
    })

    it('refuses a certificate signed by another CA', async () => {
      const db = await createDb()
      dbs.push(db)
      const other = await CertificateAuthority.open(db.url, { secretKey: SECRET })
      closers.push(() => other.close())
      const mallory = await other.issueUser('demo', 'alice')
      keyMaterial.push(mallory.keyPem)
      assert.notEqual(other.installationId, ca.installationId)
      const outcome = await request(mallory, { chain: other.intermediateCertPem })
      assert.ok(refused(outcome), `the handshake refuses it: ${JSON.stringify(outcome)}`)
      const verdict = await verifier.verify([pemDer(mallory.certPem)], { kind: 'user' })
      assert.equal(verdict.ok ? 'ok' : verdict.reason, 'untrusted')
    })

    it('refuses a service certificate where a user is required, and a user as a service', async () => {
      const host = await ca.issueService('dn1.example.org', { ipAddresses: ['10.0.0.7'] })
      keyMaterial.push(host.keyPem)
      const outcome = answered(await request(host))
      assert.equal(outcome.status, 403)
      assert.equal(outcome.body.reason, 'wrong-kind')
      assert.match(String(outcome.body.message), /dn1\.example\.org' is a service certificate/)
      const user = await issueUser('demo', 'carol')
      const verdict = await verifier.verify([pemDer(user.certPem)], { kind: 'service' })
      assert.equal(verdict.ok ? 'ok' : verdict.reason, 'wrong-kind')
      // The markers: OU and extended key usage.
      const cert = new x509.X509Certificate(host.certPem)
      assert.deepEqual(cert.subjectName.getField('OU'), ['services'])
      const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()
      assert.deepEqual(san, [
        { type: 'dns', value: 'dn1.example.org' },
        { type: 'ip', value: '10.0.0.7' },
      ])
    })

    it('refuses a revoked certificate on the next connection, then in the handshake', async () => {
      const bob = await issueUser('demo', 'bob')
      assert.equal(answered(await request(bob)).status, 200)
      await ca.revoke({ subject: 'demo__bob' }, 'privilegeWithdrawn')
      // 1. This server has not polled yet: its per-connection database check refuses.
      const first = answered(await request(bob))
      assert.equal(first.status, 403)
      assert.equal(first.body.reason, 'revoked')
      // 2. After its poll the new CRL is in the TLS context: the handshake itself refuses.
      await verifier.refresh()
      assert.ok(refused(await request(bob)))
    })

    it('a second server polling every 100 ms drops a kept-alive revoked client', async () => {
      const other = await CertificateVerifier.open(url, { refreshMs: 100 })
      closers.push(() => other.close())
      const dave = await issueUser('demo', 'dave')
      const leaf = [pemDer(dave.certPem)]
      assert.equal((await other.verify(leaf)).ok, true)
      await ca.revoke({ subject: 'demo__dave' })
      const start = Date.now()
      while ((await other.verify(leaf)).ok) {
        assert.ok(Date.now() - start < 2000, 'revocation not seen within 2 s')
        await new Promise((r) => setTimeout(r, 20))
      }
    })

    it('keeps one valid certificate per subject: re-issue needs a revocation', async () => {
      await issueUser('proj2', 'erin')
      await assert.rejects(
        ca.issueUser('proj2', 'erin'),
        (err: unknown) =>
          err instanceof CaError &&
          err.code === 'CERTIFICATE_EXISTS' &&
          /proj2__erin' already has a valid certificate/.test(err.message),
      )
      await ca.revoke({ subject: 'proj2__erin' })
      await issueUser('proj2', 'erin')
      // Two issuers racing for a new subject: exactly one wins.
      const results = await Promise.allSettled([
        ca.issueUser('proj2', 'frank'),
        ca.issueUser('proj2', 'frank'),
      ])
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
      const [valid] = await Promise.all([ca.list({ subject: 'proj2__frank', status: 'valid' })])
      assert.equal(valid.length, 1)
    })

    it('rotation keeps a running client working until the old certificate is revoked', async () => {
      const before = await issueUser('demo', 'grace')
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 })
      closers.push(() => Promise.resolve(agent.destroy()))
      assert.equal(answered(await request(before, { agent })).status, 200)
      const rotated = await ca.rotate('demo__grace')
      keyMaterial.push(rotated.keyPem)
      assert.notEqual(rotated.serial, before.serial)
      // The new certificate works at once, the old one is superseded.
      assert.equal(answered(await request(rotated)).status, 200)
      const old = await ca.get(before.serial)
      assert.equal(old?.status, 'revoked')
      assert.equal(old?.reason, 'superseded')
      const fresh = await request(before)
      assert.ok('refused' in fresh || fresh.status === 403, JSON.stringify(fresh))
      // The kept-alive connection is refused once this server has polled.
      await verifier.refresh()
      const again = answered(await request(before, { agent }))
      assert.equal(again.status, 403)
      assert.equal(again.body.reason, 'revoked')
      await assert.rejects(ca.rotate('demo__nobody'), /'demo__nobody' has no valid certificate/)
    })

    it('revokes a member leaving a project, then the whole project when it is deleted', async () => {
      const dora = await issueUser('gone_p', 'dora')
      const emil = await issueUser('gone_p', 'emil')
      const other = await issueUser('gone_px', 'dora')
      const left = await ca.revokeProject('gone_p', { user: 'dora' })
      assert.deepEqual(
        left.map((r) => r.serial),
        [dora.serial],
      )
      const deleted = await ca.revokeProject('gone_p')
      assert.deepEqual(
        deleted.map((r) => [r.serial, r.reason]),
        [[emil.serial, 'privilegeWithdrawn']],
      )
      assert.equal((await ca.get(other.serial))?.status, 'valid', "'gone_px' is another project")
      assert.deepEqual(await ca.revokeProject('gone_p'), [])
      await verifier.refresh()
      assert.ok(refused(await request(emil)))
      assert.equal(answered(await request(other)).status, 200)
    })

    it('publishes a signed CRL listing the revoked serials with an increasing crlNumber', async () => {
      const first = await ca.crl()
      const victim = await issueUser('demo', 'heidi')
      await ca.revoke({ serial: victim.serial }, 'keyCompromise')
      const crl = await ca.crl()
      assert.ok(crl.crlNumber > first.crlNumber)
      const parsed = new x509.X509Crl(crl.der)
      assert.ok(crlSignedBy(crl.der, ca.intermediateCertPem), 'signed by the intermediate')
      const revoked = (await ca.list({ status: 'revoked' })).filter((r) => r.notAfter > new Date())
      const listed = parsed.entries.map((e) => e.serialNumber.toLowerCase()).sort()
      assert.deepEqual(listed, revoked.map((r) => r.serial).sort())
      assert.equal(parsed.findRevoked(victim.serial)?.reason, x509.X509CrlReason.keyCompromise)
      assert.ok(parsed.nextUpdate !== undefined && parsed.nextUpdate > new Date())
      assert.match(crl.pem, /^-----BEGIN X509 CRL-----\n/)
      const refreshed = await ca.crl({ refresh: true })
      assert.equal(refreshed.crlNumber > crl.crlNumber, true)
    })

    it('stores CA keys encrypted and no issued private key at all', async () => {
      const profile = profileForUrl(url)
      const pool = await profile.open(url, { poolSize: 1 })
      try {
        const material = await pool.transaction(
          (txn) => txn.all<Record<string, unknown>>('SELECT * FROM ca_material'),
          { readOnly: true },
        )
        const certs = await pool.transaction(
          (txn) => txn.all<Record<string, unknown>>('SELECT * FROM ca_certificates'),
          { readOnly: true },
        )
        const dump = JSON.stringify([material, certs])
        assert.doesNotMatch(dump, /PRIVATE KEY/)
        assert.match(String(material[0]!.root_key_enc), /^v1:[\w-]+:[\w-]+$/)
        for (const key of keyMaterial) assert.ok(!dump.includes(keyBody(key)))
      } finally {
        await pool.close()
      }
    })

    it('refuses to load the CA with another secret, without saying the secret', async () => {
      const err = await CertificateAuthority.open(url, {
        secretKey: 'another-secret-key-of-at-least-32-chars',
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(err instanceof CaError && err.code === 'SECRET_MISMATCH', String(err))
      errorTexts.push(String(err), err.stack ?? '')
      await assert.rejects(CertificateAuthority.open(url, { secretKey: 'short' }), TypeError)
    })

    it('creates the CA once when two processes start at the same time', async () => {
      const db = await createDb()
      dbs.push(db)
      const child = (): Promise<{ root: string; issued: string }> =>
        new Promise((resolve, reject) => {
          execFile(
            process.execPath,
            ['--import', 'tsx', 'test/support/ca-open-child.ts', db.url],
            { env: { ...process.env, HOPS_SECRET_KEY: SECRET } },
            (err, stdout, stderr) => {
              if (err !== null) reject(new Error(`child failed: ${stderr}`, { cause: err }))
              else resolve(JSON.parse(stdout) as { root: string; issued: string })
            },
          )
        })
      const [a, b] = await Promise.all([child(), child()])
      assert.equal(a.root, b.root, 'both processes load the same root CA')
      // One process gets the subject; the other is told it has a valid certificate already.
      const winners = [a, b].filter((r) => /^[0-9a-f]{32}$/.test(r.issued))
      assert.equal(winners.length, 1, JSON.stringify([a, b]))
      assert.match([a, b].find((r) => r !== winners[0])!.issued, /already has a valid certificate/)
      const opened = await CertificateAuthority.open(db.url, { secretKey: SECRET })
      closers.push(() => opened.close())
      const root = new x509.X509Certificate(opened.rootCertPem)
      assert.equal(createHash('sha256').update(opened.rootCertPem).digest('hex'), a.root)
      const basic = root.getExtension(x509.BasicConstraintsExtension)!
      assert.equal(basic.ca, true)
      assert.equal(basic.pathLength, 1)
      const intermediate = new x509.X509Certificate(opened.intermediateCertPem)
      assert.equal(intermediate.getExtension(x509.BasicConstraintsExtension)!.pathLength, 0)
    })

    it('measures the revocation check', async (t) => {
      const user = await issueUser('bench', 'ivan')
      const leaf = [pemDer(user.certPem)]
      const time = async (n: number, fn: () => Promise<unknown>): Promise<number> => {
        const start = process.hrtime.bigint()
        for (let i = 0; i < n; i++) await fn()
        return Number(process.hrtime.bigint() - start) / 1000 / n
      }
      await verifier.verify(leaf)
      const memoryUs = await time(2000, () => verifier.verify(leaf, { kind: 'user' }))
      const freshUs = await time(300, () => verifier.verify(leaf, { kind: 'user', fresh: true }))
      const pollUs = await time(300, () => verifier.refresh())
      const handshakeUs = await time(30, () => request(user))
      const line = `${name}: verify (in-memory set) ${memoryUs.toFixed(1)} µs, verify + database check (new connection) ${freshUs.toFixed(1)} µs, poll tick ${pollUs.toFixed(1)} µs, new TLS connection + request ${handshakeUs.toFixed(0)} µs`
      t.diagnostic(line)
    })

    it('never writes the secret or key material to logs or errors', () => {
      const text = logLines.join('\n') + errorTexts.join('\n')
      assert.ok(!text.includes(SECRET))
      for (const key of keyMaterial) assert.ok(!text.includes(keyBody(key)))
    })
  })
}

/** The DER of the first PEM block. */
function pemDer(pem: string): Buffer {
  return Buffer.from(x509.PemConverter.decodeFirst(pem))
}

/** A recognisable slice of a key PEM's base64 body. */
function keyBody(keyPem: string): string {
  return keyPem.split('\n')[1]!
}

/** One DER TLV at `offset`: where its value starts and where it ends. */
function tlv(der: Buffer, offset: number): { start: number; end: number } {
  let len = der[offset + 1]!
  let start = offset + 2
  if (len & 0x80) {
    const n = len & 0x7f
    len = der.subarray(start, start + n).readUIntBE(0, n)
    start += n
  }
  return { start, end: start + len }
}

/** Checks a CRL's signature with OpenSSL (CertificateList = tbsCertList, algorithm, signature). */
function crlSignedBy(crlDer: Buffer, issuerPem: string): boolean {
  const outer = tlv(crlDer, 0)
  const tbs = tlv(crlDer, outer.start)
  const alg = tlv(crlDer, tbs.end)
  const sig = tlv(crlDer, alg.end)
  return verifySignature(
    'sha256',
    crlDer.subarray(outer.start, tbs.end),
    new X509Certificate(issuerPem).publicKey,
    crlDer.subarray(sig.start + 1, sig.end), // a BIT STRING: skip its unused-bits byte
  )
}
