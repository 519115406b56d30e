/**
 * @module
 * The installation's certificate authority (DESIGN §6, reference hops.md §4.9): a root CA
 * (pathLen 1) and an intermediate CA (pathLen 0), created at first start, that issue service
 * certificates (one per host) and user certificates (one per project member, `CN=<project>__<user>`),
 * revoke and rotate them, and publish CRLs. State lives in the metadata database (migration 0004);
 * the CA private keys are sealed with the installation key ({@link SecretBox}) and held in memory only as
 * non-extractable WebCrypto keys.
 *
 * Keys of issued certificates are generated here and returned once in a {@link CertificateBundle}
 * (key, certificate, chain); only the certificate is stored. Users never handle certificates:
 * `hops login` fetches the bundle for them.
 */
import { isIP } from 'node:net'
import { profileForUrl } from '../meta/open-meta-engine.js'
import { migrate } from '../meta/sql/schema.js'
import type { SqlDialectProfile, SqlPool, SqlTxn } from '../meta/sql/sql-dialect.js'
import { CaError } from './ca-error.js'
import {
  CRL_NUMBER,
  REVOCATION_SEQ,
  bumpState,
  certificateBySerial,
  listCertificates,
  loadCrls,
  loadMaterial,
  loadState,
  revokedUnexpired,
  seedState,
  validCertificateOf,
} from './ca-store.js'
import type { CertificateRow, CrlRow } from './ca-store.js'
import {
  CA_KEY_CONTEXTS,
  REVOCATION_REASONS,
  createMaterial,
  signCrl,
  signLeaf,
} from './certificate-signer.js'
import type { CaKeys, RevocationReason } from './certificate-signer.js'
import { SecretBox, SecretBoxError } from './secret-box.js'
import { kindOfCn, serviceCn, userCn } from './subject.js'
import type { CertificateKind } from './subject.js'
import { certPem, importSigningKey, normalizeSerial, x509 } from './x509.js'

const DAY_MS = 86_400_000

export { REVOCATION_REASONS }
export type { RevocationReason }

export interface CertificateAuthorityOptions {
  /**
   * The installation's secret key the CA keys are sealed with (≥ 32 characters or bytes;
   * `HOPS_SECRET_KEY` or `<data-dir>/secret.key`, see `installation-key.ts`), the same key users
   * and login seal their secrets with.
   */
  readonly secretKey: string | Uint8Array
  /** The clock, epoch ms. Default `Date.now`; tests move it. */
  readonly now?: () => number
  /** Validity of service certificates. Default 365 days. */
  readonly serviceValidityMs?: number
  /** Validity of user certificates. Default 365 days. */
  readonly userValidityMs?: number
  /** CRL lifetime (`nextUpdate − thisUpdate`); a CRL past half of it is re-signed. Default 7 days. */
  readonly crlValidityMs?: number
  /** Connections of the pool {@link CertificateAuthority.open} creates. Default 4. */
  readonly poolSize?: number
}

export interface IssueOptions {
  /**
   * An explicit validity period instead of now − 1 min … now + the default validity (tests issue
   * expired and not-yet-valid certificates with it).
   */
  readonly validity?: { readonly notBefore: Date; readonly notAfter: Date }
}

export interface ServiceIssueOptions extends IssueOptions {
  /** More DNS names for the subjectAltName (the host itself is always there). */
  readonly dnsNames?: readonly string[]
  /** IP addresses for the subjectAltName (an IP-literal host is always there). */
  readonly ipAddresses?: readonly string[]
}

/** What an issuance returns: the private key appears here once and is never stored. */
export interface CertificateBundle {
  readonly serial: string
  readonly kind: CertificateKind
  readonly cn: string
  readonly notBefore: Date
  readonly notAfter: Date
  /** PKCS#8 PEM of the new key (ECDSA P-256). */
  readonly keyPem: string
  /** The leaf certificate (PEM). */
  readonly certPem: string
  /** Intermediate then root certificate (PEM): what a peer needs to build the chain. */
  readonly chainPem: string
  /** The root certificate alone (PEM): the trust anchor. */
  readonly caPem: string
}

/** An issued certificate as stored. */
export interface CertificateRecord {
  readonly serial: string
  readonly cn: string
  readonly kind: CertificateKind
  readonly notBefore: Date
  readonly notAfter: Date
  readonly status: 'valid' | 'revoked'
  readonly issuedAt: Date
  readonly revokedAt?: Date
  readonly reason?: RevocationReason
  readonly certPem: string
}

/** The current CRL of the intermediate CA. */
export interface CrlInfo {
  readonly crlNumber: number
  readonly thisUpdate: Date
  readonly nextUpdate: Date
  readonly pem: string
  readonly der: Buffer
}

/** Which certificate to revoke: by serial number, or the subject's valid one. */
export type RevokeTarget = { readonly serial: string } | { readonly subject: string }

/** A CRL to sign: its number and entries were fixed in the transaction that reserved it. */
interface CrlPlan {
  readonly issuer: 'root' | 'intermediate'
  readonly crlNumber: number
  readonly revocationSeq: number
  readonly now: number
  readonly entries: readonly { serial: string; revoked_at: number; reason: string | null }[]
}

/** Retries a unit this many times on deadlocks / serialization failures / SQLITE_BUSY. */
const MAX_ATTEMPTS = 10

export class CertificateAuthority {
  readonly #pool: SqlPool
  readonly #profile: SqlDialectProfile
  readonly #ownsPool: boolean
  readonly #keys: CaKeys
  readonly #now: () => number
  readonly #serviceValidityMs: number
  readonly #userValidityMs: number
  readonly #crlValidityMs: number

  private constructor(
    pool: SqlPool,
    profile: SqlDialectProfile,
    ownsPool: boolean,
    keys: CaKeys,
    options: CertificateAuthorityOptions,
  ) {
    this.#pool = pool
    this.#profile = profile
    this.#ownsPool = ownsPool
    this.#keys = keys
    this.#now = options.now ?? Date.now
    this.#serviceValidityMs = options.serviceValidityMs ?? 365 * DAY_MS
    this.#userValidityMs = options.userValidityMs ?? 365 * DAY_MS
    this.#crlValidityMs = options.crlValidityMs ?? 7 * DAY_MS
  }

  /**
   * Connects to the metadata database at `url`, migrates it, and loads the CA, creating it when
   * the database has none (two processes starting at once: one creates, the other loads it).
   * @throws CaError SECRET_MISMATCH when the secret key does not decrypt an existing CA
   * @throws TypeError for a secret key shorter than 32 characters or an unknown URL scheme
   */
  static async open(
    url: string,
    options: CertificateAuthorityOptions,
  ): Promise<CertificateAuthority> {
    const box = new SecretBox(options.secretKey)
    const profile = profileForUrl(url)
    const pool = await profile.open(url, { poolSize: options.poolSize ?? 4 })
    try {
      await migrate(pool, profile)
      return await CertificateAuthority.#load(pool, profile, true, box, options)
    } catch (err) {
      await pool.close()
      throw err
    }
  }

  /** Like {@link open} on a pool the caller owns (and closes); the schema must be migrated. */
  static openOn(
    pool: SqlPool,
    profile: SqlDialectProfile,
    options: CertificateAuthorityOptions,
  ): Promise<CertificateAuthority> {
    return CertificateAuthority.#load(
      pool,
      profile,
      false,
      new SecretBox(options.secretKey),
      options,
    )
  }

  static async #load(
    pool: SqlPool,
    profile: SqlDialectProfile,
    ownsPool: boolean,
    box: SecretBox,
    options: CertificateAuthorityOptions,
  ): Promise<CertificateAuthority> {
    await seedState(pool, profile)
    const now = (options.now ?? Date.now)()
    let row = await pool.transaction(loadMaterial, { readOnly: true })
    if (row === undefined) {
      const created = await createMaterial(box, now)
      await pool.transaction(
        (txn) =>
          txn.run(
            `INSERT INTO ca_material (id, installation_id, kdf_salt, root_cert_pem, root_key_enc, intermediate_cert_pem, intermediate_key_enc, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)${profile.onConflict('id')}`,
            [
              created.installation_id,
              created.kdf_salt,
              created.root_cert_pem,
              created.root_key_enc,
              created.intermediate_cert_pem,
              created.intermediate_key_enc,
              created.created_at,
            ],
          ),
        { readOnly: false },
      )
      // Whoever won the insert, everyone continues with what the database holds.
      row = await pool.transaction(loadMaterial, { readOnly: true })
      if (row === undefined) throw new Error('the CA material vanished after it was created')
    }
    const keys: CaKeys = {
      root: new x509.X509Certificate(row.root_cert_pem),
      intermediate: new x509.X509Certificate(row.intermediate_cert_pem),
      rootKey: await importSigningKey(openCaKey(box, row.root_key_enc, 'root')),
      intermediateKey: await importSigningKey(
        openCaKey(box, row.intermediate_key_enc, 'intermediate'),
      ),
      installationId: row.installation_id,
    }
    const ca = new CertificateAuthority(pool, profile, ownsPool, keys, options)
    await ca.#refreshCrls(false)
    return ca
  }

  /** A random id naming this installation's CAs (their OU). */
  get installationId(): string {
    return this.#keys.installationId
  }

  /** The root certificate (PEM): the trust anchor every peer is given. */
  get rootCertPem(): string {
    return certPem(this.#keys.root)
  }

  /** The intermediate certificate (PEM), which signs every leaf and the CRL. */
  get intermediateCertPem(): string {
    return certPem(this.#keys.intermediate)
  }

  /**
   * Issues the certificate of a NameNode/DataNode host: CN = host, subjectAltName DNS (and IP for
   * an IP literal), extended key usage serverAuth + clientAuth, OU=services.
   * @throws CaError CERTIFICATE_EXISTS when the host has a valid certificate (revoke or rotate)
   * @throws CaError INVALID_ARGUMENT for a bad host name or IP address
   */
  issueService(host: string, options: ServiceIssueOptions = {}): Promise<CertificateBundle> {
    const cn = serviceCn(host)
    return this.#withRetry(() => this.#issueIn(this.#sans(cn, options), 'service', cn, options))
  }

  /**
   * Issues the certificate of project member `user` in `project`: CN = `<project>__<user>`,
   * extended key usage clientAuth, OU=users.
   * @throws CaError CERTIFICATE_EXISTS when the subject has a valid certificate (revoke or rotate)
   * @throws CaError INVALID_ARGUMENT for a bad project or user name
   */
  issueUser(project: string, user: string, options: IssueOptions = {}): Promise<CertificateBundle> {
    const cn = userCn(project, user)
    return this.#withRetry(() => this.#issueIn(undefined, 'user', cn, options))
  }

  /**
   * Replaces the subject's valid certificate in one transaction: a new one is issued (same kind,
   * same subjectAltNames) and the old one revoked as `superseded`. Run it before expiry; a
   * client keeps working with the old certificate until this commits.
   * @throws CaError CERTIFICATE_NOT_FOUND when the subject has no valid certificate
   */
  rotate(subject: string, options: IssueOptions = {}): Promise<CertificateBundle> {
    return this.#withRetry(async () => {
      const now = this.#now()
      const prepared = await this.#pool.transaction((txn) => validCertificateOf(txn, subject), {
        readOnly: true,
      })
      if (prepared === undefined) {
        throw new CaError(
          'CERTIFICATE_NOT_FOUND',
          `'${subject}' has no valid certificate to rotate`,
        )
      }
      const old = new x509.X509Certificate(prepared.cert_pem)
      const sans = old.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()
      const issued = await this.#sign(prepared.kind, subject, sans, options, now)
      const plan = await this.#pool.transaction(
        async (txn) => {
          const current = await validCertificateOf(txn, subject, this.#profile.forUpdate)
          if (current?.serial !== prepared.serial) {
            throw new CaError(
              'CERTIFICATE_NOT_FOUND',
              `'${subject}' was revoked or rotated concurrently; run rotate again`,
            )
          }
          await this.#markRevoked(txn, current.serial, 'superseded', now)
          await this.#insert(txn, issued, now)
          return this.#planCrl(txn, 'intermediate', now)
        },
        { readOnly: false },
      )
      await this.#publishCrls([plan])
      return issued.bundle
    })
  }

  /**
   * Revokes a certificate (by serial, or the subject's valid one) and re-signs the CRL in the same
   * transaction. Servers stop accepting it at their next connection check (see
   * {@link CertificateVerifier}).
   * @throws CaError CERTIFICATE_NOT_FOUND, ALREADY_REVOKED, INVALID_ARGUMENT (unknown reason)
   */
  revoke(
    target: RevokeTarget,
    reason: RevocationReason = 'unspecified',
  ): Promise<CertificateRecord> {
    if (!(reason in REVOCATION_REASONS)) {
      throw new CaError(
        'INVALID_ARGUMENT',
        `unknown revocation reason '${String(reason)}' (one of ${Object.keys(REVOCATION_REASONS).join(', ')})`,
      )
    }
    return this.#withRetry(async () => {
      const { record, plan } = await this.#pool.transaction(
        async (txn) => {
          const now = this.#now()
          const lock = this.#profile.forUpdate
          const row =
            'serial' in target
              ? await certificateBySerial(txn, normalizeSerial(target.serial), lock)
              : await validCertificateOf(txn, target.subject, lock)
          const what = 'serial' in target ? `serial ${target.serial}` : `'${target.subject}'`
          if (row === undefined) {
            throw new CaError(
              'CERTIFICATE_NOT_FOUND',
              'serial' in target
                ? `no certificate with ${what}`
                : `${what} has no valid certificate`,
            )
          }
          if (row.status === 'revoked') {
            throw new CaError('ALREADY_REVOKED', `certificate ${row.serial} is already revoked`)
          }
          await this.#markRevoked(txn, row.serial, reason, now)
          return {
            record: toRecord({ ...row, status: 'revoked', revoked_at: now, reason }),
            plan: await this.#planCrl(txn, 'intermediate', now),
          }
        },
        { readOnly: false },
      )
      await this.#publishCrls([plan])
      return record
    })
  }

  /**
   * Revokes every valid user certificate of `project` (the project was deleted), or of one member
   * (`user` left it), in one transaction with one new CRL. Returns what was revoked (maybe none).
   * @throws CaError INVALID_ARGUMENT for a bad project or user name
   */
  revokeProject(
    project: string,
    options: { readonly user?: string; readonly reason?: RevocationReason } = {},
  ): Promise<CertificateRecord[]> {
    const prefix = userCn(project, options.user ?? 'x').slice(0, project.length + 2)
    const reason = options.reason ?? 'privilegeWithdrawn'
    if (options.user !== undefined) {
      return this.revoke({ subject: `${prefix}${options.user}` }, reason).then(
        (r) => [r],
        (err: unknown) => {
          if (err instanceof CaError && err.code === 'CERTIFICATE_NOT_FOUND') return []
          throw err
        },
      )
    }
    // LIKE with '_' escaped; SQLite's LIKE ignores ASCII case, hence the exact prefix check.
    const pattern = prefix.replace(/[!%_]/g, (c) => `!${c}`) + '%'
    return this.#withRetry(async () => {
      const { records, plan } = await this.#pool.transaction(
        async (txn) => {
          const now = this.#now()
          const rows = (
            await txn.all<CertificateRow>(
              `SELECT serial, subject_cn, kind, not_before, not_after, status, issued_at, revoked_at, reason, revocation_seq, cert_pem FROM ca_certificates WHERE status = 'valid' AND kind = 'user' AND subject_cn LIKE ? ESCAPE '!'${this.#profile.forUpdate}`,
              [pattern],
            )
          ).filter((r) => r.subject_cn.startsWith(prefix))
          for (const row of rows) await this.#markRevoked(txn, row.serial, reason, now)
          return {
            records: rows.map((row) =>
              toRecord({ ...row, status: 'revoked', revoked_at: now, reason }),
            ),
            plan: rows.length > 0 ? await this.#planCrl(txn, 'intermediate', now) : undefined,
          }
        },
        { readOnly: false },
      )
      if (plan !== undefined) await this.#publishCrls([plan])
      return records
    })
  }

  /** One certificate by serial number, or undefined. */
  async get(serial: string): Promise<CertificateRecord | undefined> {
    const row = await this.#pool.transaction(
      (txn) => certificateBySerial(txn, normalizeSerial(serial)),
      { readOnly: true },
    )
    return row === undefined ? undefined : toRecord(row)
  }

  /** Issued certificates, oldest first, optionally of one subject and/or status. */
  async list(
    filter: { readonly subject?: string; readonly status?: 'valid' | 'revoked' } = {},
  ): Promise<CertificateRecord[]> {
    const rows = await this.#pool.transaction(
      (txn) => listCertificates(txn, { cn: filter.subject, status: filter.status }),
      { readOnly: true },
    )
    return rows.map(toRecord)
  }

  /**
   * The intermediate CA's current CRL (every revoked, unexpired serial), re-signed with the next
   * crlNumber when it has passed half its lifetime or `refresh` is set. Something holding the CA
   * must call this at least every `crlValidityMs / 2` (the platform's timer, or `hops ca crl`):
   * servers load CRLs from the database and OpenSSL refuses every handshake once a CRL expires.
   */
  async crl(options: { readonly refresh?: boolean } = {}): Promise<CrlInfo> {
    const rows = await this.#refreshCrls(options.refresh === true)
    const row = rows.find((r) => r.issuer === 'intermediate')!
    return crlInfo(row)
  }

  /** Closes the pool when {@link open} created it. */
  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.close()
  }

  #sans(cn: string, options: ServiceIssueOptions): x509.JsonGeneralNames {
    const sans: x509.JsonGeneralNames = []
    const ips = new Set(options.ipAddresses ?? [])
    if (isIP(cn) !== 0) ips.add(cn)
    else sans.push({ type: 'dns', value: cn })
    for (const name of options.dnsNames ?? []) {
      const dns = serviceCn(name)
      if (isIP(dns) !== 0) ips.add(dns)
      else if (dns !== cn) sans.push({ type: 'dns', value: dns })
    }
    for (const ip of ips) {
      if (isIP(ip) === 0) throw new CaError('INVALID_ARGUMENT', `invalid IP address '${ip}'`)
      sans.push({ type: 'ip', value: ip })
    }
    return sans
  }

  async #issueIn(
    sans: x509.JsonGeneralNames | undefined,
    kind: CertificateKind,
    cn: string,
    options: IssueOptions,
  ): Promise<CertificateBundle> {
    const now = this.#now()
    // Sign first (a few ms of crypto), then hold the write transaction only for the rows.
    const issued = await this.#sign(kind, cn, sans, options, now)
    await this.#pool.transaction(
      async (txn) => {
        // An expired certificate gives up the subject's valid mark; a live one blocks the issue.
        await txn.run(
          'UPDATE ca_certificates SET valid_cn = NULL WHERE valid_cn = ? AND not_after <= ?',
          [cn, now],
        )
        const holder = await validCertificateOf(txn, cn)
        if (holder !== undefined) throw exists(cn, holder.serial)
        await this.#insert(txn, issued, now)
      },
      { readOnly: false },
    )
    return issued.bundle
  }

  async #sign(
    kind: CertificateKind,
    cn: string,
    sans: x509.JsonGeneralNames | undefined,
    options: IssueOptions,
    now: number,
  ): Promise<{ bundle: CertificateBundle; row: Omit<CertificateRow, 'issued_at'> }> {
    if (kindOfCn(cn) !== kind) {
      throw new CaError('INVALID_ARGUMENT', `'${cn}' is not a ${kind} subject`)
    }
    const validityMs = kind === 'service' ? this.#serviceValidityMs : this.#userValidityMs
    // Back-dated a minute so that a peer whose clock is a little behind accepts it at once.
    const notBefore = options.validity?.notBefore ?? new Date(now - 60_000)
    const notAfter = options.validity?.notAfter ?? new Date(now + validityMs)
    if (notAfter.getTime() <= notBefore.getTime()) {
      throw new CaError('INVALID_ARGUMENT', 'notAfter must be later than notBefore')
    }
    const { cert, keyPem } = await signLeaf(this.#keys, { kind, cn, sans, notBefore, notAfter })
    const serial = normalizeSerial(cert.serialNumber)
    const leafPem = certPem(cert)
    return {
      bundle: {
        serial,
        kind,
        cn,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        keyPem,
        certPem: leafPem,
        chainPem: this.intermediateCertPem + this.rootCertPem,
        caPem: this.rootCertPem,
      },
      row: {
        serial,
        subject_cn: cn,
        kind,
        not_before: cert.notBefore.getTime(),
        not_after: cert.notAfter.getTime(),
        status: 'valid',
        revoked_at: null,
        reason: null,
        revocation_seq: null,
        cert_pem: leafPem,
      },
    }
  }

  async #insert(
    txn: SqlTxn,
    issued: { row: Omit<CertificateRow, 'issued_at'> },
    now: number,
  ): Promise<void> {
    const r = issued.row
    await txn
      .run(
        'INSERT INTO ca_certificates (serial, subject_cn, kind, not_before, not_after, status, issued_at, valid_cn, cert_pem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          r.serial,
          r.subject_cn,
          r.kind,
          r.not_before,
          r.not_after,
          'valid',
          now,
          r.subject_cn,
          r.cert_pem,
        ],
      )
      .catch((err: unknown) => {
        // Another issuer took the subject between our check and this insert.
        if (this.#profile.isUniqueViolation(err)) throw exists(r.subject_cn)
        throw err
      })
  }

  async #markRevoked(
    txn: SqlTxn,
    serial: string,
    reason: RevocationReason,
    now: number,
  ): Promise<void> {
    const seq = await bumpState(txn, REVOCATION_SEQ)
    await txn.run(
      "UPDATE ca_certificates SET status = 'revoked', revoked_at = ?, reason = ?, revocation_seq = ?, valid_cn = NULL WHERE serial = ?",
      [now, reason, seq, serial],
    )
  }

  /**
   * Reserves the next crlNumber for `issuer` and reads what its CRL lists. Signing happens after
   * the transaction ({@link #publishCrls}): no asynchronous crypto runs while a write transaction
   * is open (better-sqlite3 waits for SQLite's lock synchronously, so a second pool in the same
   * process would stall the first).
   */
  async #planCrl(txn: SqlTxn, issuer: 'root' | 'intermediate', now: number): Promise<CrlPlan> {
    const crlNumber = await bumpState(txn, CRL_NUMBER)
    const { revocationSeq } = await loadState(txn)
    const entries =
      issuer === 'root'
        ? [] // the root signs only the intermediate, which is never revoked here
        : await revokedUnexpired(txn, now)
    return { issuer, crlNumber, revocationSeq, now, entries }
  }

  /** Signs the planned CRLs and stores each unless a newer one got there first. */
  async #publishCrls(plans: readonly CrlPlan[]): Promise<CrlRow[]> {
    const rows: CrlRow[] = []
    for (const plan of plans) rows.push(await this.#signCrl(plan))
    return this.#withRetry(() =>
      this.#pool.transaction(
        async (txn) => {
          for (const row of rows) {
            const stored = await txn.get<{ crl_number: number }>(
              `SELECT crl_number FROM ca_crls WHERE issuer = ?${this.#profile.forUpdate}`,
              [row.issuer],
            )
            if (stored !== undefined && stored.crl_number >= row.crl_number) continue
            await txn.run(
              `INSERT INTO ca_crls (issuer, crl_number, this_update, next_update, revocation_seq, crl_pem) VALUES (?, ?, ?, ?, ?, ?)${this.#profile.onConflict(
                'issuer',
                'crl_number = excluded.crl_number, this_update = excluded.this_update, next_update = excluded.next_update, revocation_seq = excluded.revocation_seq, crl_pem = excluded.crl_pem',
              )}`,
              [
                row.issuer,
                row.crl_number,
                row.this_update,
                row.next_update,
                row.revocation_seq,
                row.crl_pem,
              ],
            )
          }
          return loadCrls(txn)
        },
        { readOnly: false },
      ),
    )
  }

  async #signCrl(plan: CrlPlan): Promise<CrlRow> {
    // The root CRL changes only if the intermediate were revoked: let it live as long as 10 CRLs.
    const lifetimeMs = this.#crlValidityMs * (plan.issuer === 'root' ? 10 : 1)
    const nextUpdate = plan.now + lifetimeMs
    const crlPem = await signCrl(this.#keys, plan.issuer, {
      crlNumber: plan.crlNumber,
      thisUpdate: new Date(plan.now),
      nextUpdate: new Date(nextUpdate),
      entries: plan.entries.map((r) => ({
        serial: r.serial,
        revokedAt: new Date(r.revoked_at),
        reason: REVOCATION_REASONS[(r.reason ?? 'unspecified') as RevocationReason],
      })),
    })
    return {
      issuer: plan.issuer,
      crl_number: plan.crlNumber,
      this_update: plan.now,
      next_update: nextUpdate,
      revocation_seq: plan.revocationSeq,
      crl_pem: crlPem,
    }
  }

  /**
   * Re-signs each CRL that is missing, past half its lifetime, behind the revocation counter (a
   * revoker stopped between its commit and its CRL), or, with `force`, the intermediate's.
   */
  async #refreshCrls(force: boolean): Promise<CrlRow[]> {
    const stale = (
      rows: CrlRow[],
      revocationSeq: number,
      now: number,
    ): ('root' | 'intermediate')[] =>
      (['root', 'intermediate'] as const).filter((issuer) => {
        const row = rows.find((r) => r.issuer === issuer)
        if (row === undefined) return true
        if (issuer === 'intermediate' && (force || row.revocation_seq < revocationSeq)) return true
        return now >= row.this_update + (row.next_update - row.this_update) / 2
      })
    const read = (txn: SqlTxn) =>
      Promise.all([loadCrls(txn), loadState(txn)]).then(([rows, state]) => ({ rows, state }))
    const current = await this.#pool.transaction(read, { readOnly: true })
    if (stale(current.rows, current.state.revocationSeq, this.#now()).length === 0) {
      return current.rows
    }
    const plans = await this.#withRetry(() =>
      this.#pool.transaction(
        async (txn) => {
          const now = this.#now()
          const { rows, state } = await read(txn)
          const plans: CrlPlan[] = []
          for (const issuer of stale(rows, state.revocationSeq, now)) {
            plans.push(await this.#planCrl(txn, issuer, now))
          }
          return plans
        },
        { readOnly: false },
      ),
    )
    return this.#publishCrls(plans)
  }

  async #withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !this.#profile.isRetryable(err)) throw err
        await new Promise((r) => setTimeout(r, Math.random() * attempt * attempt * 5))
      }
    }
  }
}

/**
 * A CA private key (PKCS#8) opened from its sealed column.
 * @throws CaError SECRET_MISMATCH when the installation key is not the one the CA was created with
 */
function openCaKey(box: SecretBox, sealed: string, which: 'root' | 'intermediate'): Buffer {
  try {
    return Buffer.from(box.open(sealed, CA_KEY_CONTEXTS[which]), 'base64')
  } catch (err) {
    if (!(err instanceof SecretBoxError)) throw err
    throw new CaError(
      'SECRET_MISMATCH',
      `cannot decrypt the ${which} CA key: the installation's secret key (HOPS_SECRET_KEY or <data-dir>/secret.key) is not the one the CA was created with`,
    )
  }
}

function exists(cn: string, serial?: string): CaError {
  return new CaError(
    'CERTIFICATE_EXISTS',
    `'${cn}' already has a valid certificate${serial === undefined ? '' : ` (serial ${serial})`}: revoke or rotate it first`,
  )
}

function toRecord(row: CertificateRow): CertificateRecord {
  return {
    serial: row.serial,
    cn: row.subject_cn,
    kind: row.kind,
    notBefore: new Date(row.not_before),
    notAfter: new Date(row.not_after),
    status: row.status,
    issuedAt: new Date(row.issued_at),
    ...(row.revoked_at !== null ? { revokedAt: new Date(row.revoked_at) } : {}),
    ...(row.reason !== null ? { reason: row.reason as RevocationReason } : {}),
    certPem: row.cert_pem,
  }
}

/** The stored CRL row as {@link CrlInfo}. */
export function crlInfo(row: CrlRow): CrlInfo {
  return {
    crlNumber: row.crl_number,
    thisUpdate: new Date(row.this_update),
    nextUpdate: new Date(row.next_update),
    pem: row.crl_pem,
    der: Buffer.from(x509.PemConverter.decodeFirst(row.crl_pem)),
  }
}
