/**
 * @module
 * What a server (NameNode, DataNode, API) uses to authenticate peers by certificate. It needs the
 * metadata database but not the CA secret: it reads the CA certificates, the CRLs and the
 * revocation state the {@link CertificateAuthority} writes.
 *
 * Revocation takes effect "at once on every server" in three layers:
 * 1. Every new TLS connection: {@link CertificateVerifier.verifySocket} looks the peer's serial up
 *    in the database (one primary-key read), so a certificate revoked a moment ago is refused on
 *    its next connection on any server.
 * 2. Every further request on a kept-alive connection: an in-memory revoked-serial set, refreshed
 *    every `refreshMs` (default 1 s) by one poll of the `ca_state` counters (two rows) and, when
 *    the revocation counter moved, an incremental read of the newly revoked serials.
 * 3. The handshake itself: the CRLs are in the TLS context ({@link serverOptions}); when the CRL
 *    number moves, {@link watch}ed servers get a new secure context (`setSecureContext`), so
 *    OpenSSL refuses the revoked certificate before any request.
 */
import { X509Certificate as NodeX509Certificate, createHash } from 'node:crypto'
import type { SecureContextOptions, TLSSocket, TlsOptions, ConnectionOptions } from 'node:tls'
import type { Logger } from 'pino'
import { profileForUrl } from '../meta/open-meta-engine.js'
import { migrate } from '../meta/sql/schema.js'
import type { SqlDialectProfile, SqlPool } from '../meta/sql/sql-dialect.js'
import { CaError } from './ca-error.js'
import { certificateBySerial, loadCrls, loadMaterial, loadState, revokedSince } from './ca-store.js'
import type { CrlRow } from './ca-store.js'
import { identityOf } from './subject.js'
import type { CertificateKind, PeerIdentity } from './subject.js'
import { certPem, normalizeSerial, x509 } from './x509.js'

/** Why a peer certificate is refused. */
export type RefusalReason =
  | 'no-certificate'
  | 'malformed'
  | 'untrusted'
  | 'not-yet-valid'
  | 'expired'
  | 'revoked'
  | 'wrong-kind'

/** The outcome of a verification: the peer's identity, or why it is refused. */
export type Verdict =
  | { readonly ok: true; readonly identity: PeerIdentity; readonly serial: string }
  | { readonly ok: false; readonly reason: RefusalReason; readonly message: string }

export interface VerifyOptions {
  /** The kind the peer must be (a user where a user is required, a service between servers). */
  readonly kind?: CertificateKind
  /** Ask the database for the serial's status instead of trusting the in-memory set. */
  readonly fresh?: boolean
}

export interface CertificateVerifierOptions {
  /** How often the revocation state is polled, ms. Default 1000; 0 disables the timer. */
  readonly refreshMs?: number
  /** The clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number
  /** Connections of the pool {@link CertificateVerifier.open} creates. Default 2. */
  readonly poolSize?: number
  /** Silent when omitted. */
  readonly logger?: Logger
}

/** A server's own key and certificate (a service {@link CertificateBundle}). */
export interface TlsIdentity {
  readonly keyPem: string
  readonly certPem: string
}

/** Options for `https.createServer` / `tls.createServer` / `tls.createSecureContext`. */
export type ServerTlsOptions = SecureContextOptions &
  Pick<TlsOptions, 'requestCert' | 'rejectUnauthorized'>

interface ParsedLeaf {
  readonly serial: string
  readonly notBefore: number
  readonly notAfter: number
  /** undefined when the certificate is not signed by this installation's intermediate. */
  readonly identity: PeerIdentity | undefined
  readonly trusted: boolean
  readonly subject: string
}

const LEAF_CACHE_MAX = 10_000

export class CertificateVerifier {
  readonly #pool: SqlPool
  readonly #ownsPool: boolean
  readonly #root: x509.X509Certificate
  readonly #intermediate: x509.X509Certificate
  readonly #intermediateNode: NodeX509Certificate
  readonly #now: () => number
  readonly #log: Logger | undefined
  readonly #revoked = new Set<string>()
  readonly #leaves = new Map<string, ParsedLeaf>()
  readonly #sockets = new WeakMap<TLSSocket, readonly Buffer[]>()
  readonly #watched = new Map<{ setSecureContext(o: SecureContextOptions): void }, TlsIdentity>()
  #revocationSeq = 0
  #crls: CrlRow[] = []
  #crlNumber = -1
  #timer: NodeJS.Timeout | undefined
  #refreshing: Promise<void> | undefined

  private constructor(
    pool: SqlPool,
    ownsPool: boolean,
    root: string,
    intermediate: string,
    options: CertificateVerifierOptions,
  ) {
    this.#pool = pool
    this.#ownsPool = ownsPool
    this.#root = new x509.X509Certificate(root)
    this.#intermediate = new x509.X509Certificate(intermediate)
    this.#intermediateNode = new NodeX509Certificate(intermediate)
    this.#now = options.now ?? Date.now
    this.#log = options.logger
  }

  /**
   * Connects to the metadata database at `url` (migrating it) and loads the CA certificates,
   * CRLs and revoked serials; then polls every `refreshMs`.
   * @throws CaError NOT_INITIALIZED when no CA exists yet (`hops ca init`)
   */
  static async open(
    url: string,
    options: CertificateVerifierOptions = {},
  ): Promise<CertificateVerifier> {
    const profile = profileForUrl(url)
    const pool = await profile.open(url, { poolSize: options.poolSize ?? 2 })
    try {
      await migrate(pool, profile)
      return await CertificateVerifier.#load(pool, true, options)
    } catch (err) {
      await pool.close()
      throw err
    }
  }

  /** Like {@link open} on a pool the caller owns; the schema must be migrated. */
  static openOn(
    pool: SqlPool,
    _profile: SqlDialectProfile,
    options: CertificateVerifierOptions = {},
  ): Promise<CertificateVerifier> {
    return CertificateVerifier.#load(pool, false, options)
  }

  static async #load(
    pool: SqlPool,
    ownsPool: boolean,
    options: CertificateVerifierOptions,
  ): Promise<CertificateVerifier> {
    const row = await pool.transaction(loadMaterial, { readOnly: true })
    if (row === undefined) {
      throw new CaError(
        'NOT_INITIALIZED',
        'no certificate authority in this database: run hops ca init',
      )
    }
    const verifier = new CertificateVerifier(
      pool,
      ownsPool,
      row.root_cert_pem,
      row.intermediate_cert_pem,
      options,
    )
    await verifier.refresh()
    const refreshMs = options.refreshMs ?? 1000
    if (refreshMs > 0) {
      verifier.#timer = setInterval(() => {
        verifier.refresh().catch((err: unknown) => {
          // The database may be restarting: keep the last state and try again next tick.
          verifier.#log?.warn({ err }, 'certificate revocation refresh failed')
        })
      }, refreshMs)
      verifier.#timer.unref()
    }
    return verifier
  }

  /** The root certificate (PEM): the trust anchor. */
  get rootCertPem(): string {
    return certPem(this.#root)
  }

  /** The intermediate certificate (PEM). */
  get intermediateCertPem(): string {
    return certPem(this.#intermediate)
  }

  /** The current CRLs (PEM), intermediate first. */
  get crlPems(): string[] {
    return [...this.#crls]
      .sort((a, b) => (a.issuer === 'intermediate' ? -1 : b.issuer === 'intermediate' ? 1 : 0))
      .map((r) => r.crl_pem)
  }

  /** Serials known revoked (lower-case hex), as of the last refresh. */
  get revokedCount(): number {
    return this.#revoked.size
  }

  /**
   * Re-reads the revocation state: one query of the two `ca_state` counters; the revoked serials
   * since the last one and the CRLs only when they moved. Concurrent calls share one refresh.
   */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined
    })
    return this.#refreshing
  }

  async #refresh(): Promise<void> {
    const state = await this.#pool.transaction(loadState, { readOnly: true })
    if (state.revocationSeq !== this.#revocationSeq) {
      const rows = await this.#pool.transaction((txn) => revokedSince(txn, this.#revocationSeq), {
        readOnly: true,
      })
      for (const r of rows) {
        this.#revoked.add(r.serial)
        this.#revocationSeq = Math.max(this.#revocationSeq, r.revocation_seq)
      }
    }
    if (state.crlNumber !== this.#crlNumber) {
      this.#crls = await this.#pool.transaction(loadCrls, { readOnly: true })
      this.#crlNumber = state.crlNumber
      for (const [server, identity] of this.#watched) {
        server.setSecureContext(this.serverOptions(identity))
      }
      this.#log?.debug({ crlNumber: state.crlNumber }, 'certificate revocation lists reloaded')
    }
    const soonest = Math.min(...this.#crls.map((r) => r.next_update))
    if (soonest - this.#now() < 86_400_000) {
      this.#log?.warn(
        { nextUpdate: new Date(soonest).toISOString() },
        'a CRL expires within a day: run hops ca crl (or let the platform refresh it)',
      )
    }
  }

  /**
   * Verifies a peer's certificate chain (leaf first, DER; further certificates are ignored: the
   * leaf must be signed by this installation's own intermediate). Checks, in order: parses,
   * signed by our CA, validity period, revocation, identity and kind.
   */
  async verify(chain: readonly Uint8Array[], options: VerifyOptions = {}): Promise<Verdict> {
    const der = chain[0]
    if (der === undefined || der.length === 0) {
      return refuse('no-certificate', 'no client certificate presented')
    }
    const leaf = this.#parse(der)
    if (leaf === undefined) return refuse('malformed', 'the certificate cannot be parsed')
    if (!leaf.trusted) {
      return refuse(
        'untrusted',
        `certificate '${leaf.subject}' is not signed by this installation's CA`,
      )
    }
    const now = this.#now()
    if (now < leaf.notBefore) {
      return refuse(
        'not-yet-valid',
        `certificate ${leaf.serial} is not valid before ${new Date(leaf.notBefore).toISOString()}`,
      )
    }
    if (now > leaf.notAfter) {
      return refuse(
        'expired',
        `certificate ${leaf.serial} expired at ${new Date(leaf.notAfter).toISOString()}`,
      )
    }
    if (this.#revoked.has(leaf.serial)) return revoked(leaf.serial)
    if (options.fresh === true) {
      const row = await this.#pool.transaction((txn) => certificateBySerial(txn, leaf.serial), {
        readOnly: true,
      })
      if (row === undefined) {
        return refuse('untrusted', `certificate ${leaf.serial} is not in this CA's records`)
      }
      if (row.status === 'revoked') {
        this.#revoked.add(leaf.serial)
        return revoked(leaf.serial)
      }
    }
    if (leaf.identity === undefined) {
      return refuse('malformed', `certificate '${leaf.subject}' names no user or service`)
    }
    if (options.kind !== undefined && leaf.identity.kind !== options.kind) {
      return refuse(
        'wrong-kind',
        `certificate '${leaf.identity.cn}' is a ${leaf.identity.kind} certificate; a ${options.kind} certificate is required`,
      )
    }
    return { ok: true, identity: leaf.identity, serial: leaf.serial }
  }

  /**
   * Verifies the peer of a TLS connection (server side, `requestCert: true`). The first call on a
   * socket checks revocation in the database; later calls (more requests on a kept-alive
   * connection) use the in-memory set, so a revocation reaches them within `refreshMs`.
   */
  verifySocket(
    socket: TLSSocket,
    options: { readonly kind?: CertificateKind } = {},
  ): Promise<Verdict> {
    let chain = this.#sockets.get(socket)
    const first = chain === undefined
    if (chain === undefined) {
      chain = peerChain(socket)
      this.#sockets.set(socket, chain)
    }
    return this.verify(chain, { ...options, fresh: first })
  }

  /**
   * Options for `https.createServer` / `tls.createServer` (and `setSecureContext`): the server's
   * key and certificate (with the intermediate), our root and intermediate as the only trusted
   * CAs, both CRLs, a client certificate required and unverified clients refused in the
   * handshake. Node checks every CA's CRL once any CRL is given, hence the root's (empty) one.
   */
  serverOptions(identity: TlsIdentity): ServerTlsOptions {
    return {
      key: identity.keyPem,
      cert: identity.certPem + this.intermediateCertPem,
      ca: [this.rootCertPem, this.intermediateCertPem],
      crl: this.crlPems,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    }
  }

  /** Options for a TLS client (`https.request`, `tls.connect`) presenting `identity`. */
  clientOptions(identity: TlsIdentity): ConnectionOptions {
    return {
      key: identity.keyPem,
      cert: identity.certPem + this.intermediateCertPem,
      ca: [this.rootCertPem],
      minVersion: 'TLSv1.2',
    }
  }

  /**
   * Keeps `server`'s secure context in step with the CRLs: whenever the CRL number moves, the
   * server gets {@link serverOptions} anew. Returns a function that stops it.
   */
  watch(
    server: { setSecureContext(options: SecureContextOptions): void },
    identity: TlsIdentity,
  ): () => void {
    this.#watched.set(server, identity)
    return () => {
      this.#watched.delete(server)
    }
  }

  /** Stops the refresh timer and closes the pool when {@link open} created it. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.#refreshing?.catch(() => undefined)
    if (this.#ownsPool) await this.#pool.close()
  }

  #signedByIntermediate(der: Uint8Array): boolean {
    try {
      return new NodeX509Certificate(der).verify(this.#intermediateNode.publicKey)
    } catch {
      return false
    }
  }

  #parse(der: Uint8Array): ParsedLeaf | undefined {
    const key = createHash('sha256').update(der).digest('hex')
    const cached = this.#leaves.get(key)
    if (cached !== undefined) return cached
    let cert: x509.X509Certificate
    try {
      cert = new x509.X509Certificate(der)
    } catch {
      return undefined
    }
    // OpenSSL checks the signature: @peculiar/x509's verify() refused some valid ECDSA
    // signatures (about one in ten, depending on the signature's bytes).
    const trusted = cert.issuer === this.#intermediate.subject && this.#signedByIntermediate(der)
    const cn = cert.subjectName.getField('CN')
    const leaf: ParsedLeaf = {
      serial: normalizeSerial(cert.serialNumber),
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
      identity:
        trusted && cn.length === 1
          ? identityOf(cn[0]!, cert.subjectName.getField('OU'))
          : undefined,
      trusted,
      subject: cert.subject,
    }
    if (this.#leaves.size >= LEAF_CACHE_MAX) {
      this.#leaves.delete(this.#leaves.keys().next().value!)
    }
    this.#leaves.set(key, leaf)
    return leaf
  }
}

function refuse(reason: RefusalReason, message: string): Verdict {
  return { ok: false, reason, message }
}

function revoked(serial: string): Verdict {
  return refuse('revoked', `certificate ${serial} has been revoked`)
}

/** The DER chain a TLS peer presented, leaf first (empty when it presented none). */
export function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = []
  let cert = socket.getPeerCertificate(true) as
    (ReturnType<TLSSocket['getPeerCertificate']> & { issuerCertificate?: unknown }) | undefined
  const seen = new Set<unknown>()
  while (cert !== undefined && cert !== null && 'raw' in cert && cert.raw !== undefined) {
    if (seen.has(cert)) break
    seen.add(cert)
    chain.push(cert.raw)
    cert = cert.issuerCertificate as typeof cert
  }
  return chain
}
