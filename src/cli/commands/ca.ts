/**
 * `hops ca …`: the certificate authority, run directly against the metadata database (an
 * administrator's tool). The CA keys are sealed with the installation's secret key, read the way
 * every Hops process reads it: `--secret-file` (an override), else `HOPS_SECRET_KEY`, else
 * `<data-dir>/secret.key`. `hops ca` never creates that file and never prints the key. Errors are one line, `hops ca <cmd>: <reason>`, exit code 1.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { CaError } from '../../security/ca-error.js'
import { CertificateAuthority, REVOCATION_REASONS } from '../../security/certificate-authority.js'
import type {
  CertificateBundle,
  CertificateRecord,
  RevocationReason,
} from '../../security/certificate-authority.js'
import { readInstallationKey, SECRET_KEY_ENV } from '../../security/installation-key.js'
import { dataDirOf, metaUrlOf } from '../meta-url.js'
import type { MetaLocationOptions } from '../meta-url.js'

interface GlobalOptions extends MetaLocationOptions {
  readonly secretFile?: string
}

type Action = (ca: CertificateAuthority, out: (line: string) => void) => Promise<void>

const DAY_MS = 86_400_000

/** The installation key: `--secret-file` (first line), else `HOPS_SECRET_KEY`, else the data dir's. */
function secretKeyOf(options: GlobalOptions): string {
  if (options.secretFile !== undefined) {
    return readFileSync(options.secretFile, 'utf8').split('\n')[0]!.trim()
  }
  const dataDir = dataDirOf(options)
  const key = readInstallationKey(dataDir, process.env)
  if (key === undefined) {
    throw new TypeError(
      `no installation secret key: set ${SECRET_KEY_ENV}, pass --secret-file, or use the --data-dir holding secret.key (${dataDir} has none)`,
    )
  }
  return key
}

async function runAction(command: Command, name: string, action: Action): Promise<void> {
  const options = command.optsWithGlobals<GlobalOptions>()
  let ca: CertificateAuthority | undefined
  try {
    ca = await CertificateAuthority.open(metaUrlOf(options), {
      secretKey: secretKeyOf(options),
    })
    await action(ca, (line) => process.stdout.write(line + '\n'))
  } catch (err) {
    // CaError and TypeError messages are written for users and carry no secrets; anything else
    // is reported by its class and message only (a driver error could quote its input).
    const reason =
      err instanceof CaError || err instanceof TypeError
        ? err.message
        : err instanceof Error
          ? `${err.name}: ${err.message}`
          : String(err)
    process.stderr.write(`hops ca ${name}: ${reason}\n`)
    process.exitCode = 1
  } finally {
    await ca?.close()
  }
}

/** Writes a bundle to `dir` (`<cn>.key.pem` mode 0600, `.cert.pem`, `.chain.pem`, `ca.pem`) or stdout. */
function emitBundle(bundle: CertificateBundle, dir: string | undefined, out: (l: string) => void) {
  if (dir === undefined) {
    out(
      `# serial ${bundle.serial} ${bundle.kind} ${bundle.cn} until ${bundle.notAfter.toISOString()}`,
    )
    out((bundle.keyPem + bundle.certPem + bundle.chainPem).trimEnd())
    return
  }
  mkdirSync(dir, { recursive: true })
  const keyFile = join(dir, `${bundle.cn}.key.pem`)
  writeFileSync(keyFile, bundle.keyPem, { mode: 0o600 })
  chmodSync(keyFile, 0o600)
  writeFileSync(join(dir, `${bundle.cn}.cert.pem`), bundle.certPem)
  writeFileSync(join(dir, `${bundle.cn}.chain.pem`), bundle.chainPem)
  writeFileSync(join(dir, 'ca.pem'), bundle.caPem)
  out(`${bundle.serial} ${bundle.kind} ${bundle.cn} ${bundle.notAfter.toISOString()} -> ${dir}`)
}

function formatRecord(r: CertificateRecord, now: number): string {
  const state =
    r.status === 'revoked'
      ? `revoked(${r.reason ?? 'unspecified'})`
      : r.notAfter.getTime() <= now
        ? 'expired'
        : 'valid'
  return `${r.serial} ${r.kind.padEnd(7)} ${state.padEnd(28)} ${r.notAfter.toISOString()} ${r.cn}`
}

function daysOption(days: string | undefined): { validity?: { notBefore: Date; notAfter: Date } } {
  if (days === undefined) return {}
  const n = Number(days)
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`invalid --days '${days}'`)
  const now = Date.now()
  return { validity: { notBefore: new Date(now - 60_000), notAfter: new Date(now + n * DAY_MS) } }
}

function reasonOption(reason: string): RevocationReason {
  if (!(reason in REVOCATION_REASONS)) {
    throw new TypeError(
      `unknown reason '${reason}' (one of ${Object.keys(REVOCATION_REASONS).join(', ')})`,
    )
  }
  return reason as RevocationReason
}

/** Registers `hops ca` and its subcommands on `program`. */
export function registerCaCommands(program: Command): void {
  const ca = program
    .command('ca')
    .description(
      'certificate authority: issue, revoke and rotate TLS certificates, publish the CRL',
    )
    .option(
      '--meta <url>',
      'metadata database URL (sqlite:PATH, postgres://…, mysql://…); default sqlite:<data-dir>/meta.db',
    )
    .option(
      '--data-dir <dir>',
      'data directory of the embedded default (default ./hops-data or HOPS_DATA_DIR)',
    )
    .option(
      '--secret-file <file>',
      "file holding the installation's secret key (default: HOPS_SECRET_KEY, else <data-dir>/secret.key)",
    )

  ca.command('init')
    .description('create the root and intermediate CA (idempotent) and print the root')
    .action(async (_opts: unknown, cmd: Command) => {
      await runAction(cmd, 'init', async (c, out) => {
        await c.crl()
        out(`installation ${c.installationId}`)
        out(c.rootCertPem.trimEnd())
      })
    })

  ca.command('issue-service')
    .description('issue the certificate of a NameNode/DataNode host (key printed or written once)')
    .argument('<host>')
    .option('--ip <addresses...>', 'IP addresses for the subjectAltName')
    .option('--dns <names...>', 'more DNS names for the subjectAltName')
    .option('--days <n>', 'validity in days (default 365)')
    .option('-o, --out <dir>', 'write key, certificate, chain and ca.pem into this directory')
    .action(
      async (
        host: string,
        opts: { ip?: string[]; dns?: string[]; days?: string; out?: string },
        cmd: Command,
      ) => {
        await runAction(cmd, 'issue-service', async (c, out) => {
          const bundle = await c.issueService(host, {
            ...daysOption(opts.days),
            ...(opts.ip !== undefined ? { ipAddresses: opts.ip } : {}),
            ...(opts.dns !== undefined ? { dnsNames: opts.dns } : {}),
          })
          emitBundle(bundle, opts.out, out)
        })
      },
    )

  ca.command('issue-user')
    .description('issue the certificate of <project>__<user> (key printed or written once)')
    .argument('<project>')
    .argument('<user>')
    .option('--days <n>', 'validity in days (default 365)')
    .option('-o, --out <dir>', 'write key, certificate, chain and ca.pem into this directory')
    .action(
      async (
        project: string,
        user: string,
        opts: { days?: string; out?: string },
        cmd: Command,
      ) => {
        await runAction(cmd, 'issue-user', async (c, out) => {
          emitBundle(await c.issueUser(project, user, daysOption(opts.days)), opts.out, out)
        })
      },
    )

  ca.command('revoke')
    .description('revoke a certificate by serial number and re-sign the CRL')
    .argument('<serial>')
    .option('-r, --reason <reason>', Object.keys(REVOCATION_REASONS).join(' | '), 'unspecified')
    .action(async (serial: string, opts: { reason: string }, cmd: Command) => {
      await runAction(cmd, 'revoke', async (c, out) => {
        const record = await c.revoke({ serial }, reasonOption(opts.reason))
        out(`revoked ${record.serial} ${record.cn} (${record.reason ?? 'unspecified'})`)
      })
    })

  ca.command('rotate')
    .description("issue a new certificate for <subject> and revoke the old one ('superseded')")
    .argument('<subject>', 'a host name or <project>__<user>')
    .option('-o, --out <dir>', 'write key, certificate, chain and ca.pem into this directory')
    .action(async (subject: string, opts: { out?: string }, cmd: Command) => {
      await runAction(cmd, 'rotate', async (c, out) => {
        emitBundle(await c.rotate(subject), opts.out, out)
      })
    })

  ca.command('list')
    .description('list issued certificates: serial, kind, state, not-after, subject')
    .option('--subject <cn>', 'only this subject')
    .option('--valid', 'only certificates not revoked')
    .action(async (opts: { subject?: string; valid?: boolean }, cmd: Command) => {
      await runAction(cmd, 'list', async (c, out) => {
        const now = Date.now()
        const records = await c.list({
          ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
          ...(opts.valid === true ? { status: 'valid' as const } : {}),
        })
        for (const r of records) out(formatRecord(r, now))
      })
    })

  ca.command('crl')
    .description('print the current CRL (PEM), re-signing it when due or with --refresh')
    .option('--refresh', 're-sign now with the next crlNumber')
    .option('--der <file>', 'also write the DER encoding to this file')
    .action(async (opts: { refresh?: boolean; der?: string }, cmd: Command) => {
      await runAction(cmd, 'crl', async (c, out) => {
        const crl = await c.crl({ refresh: opts.refresh === true })
        if (opts.der !== undefined) writeFileSync(opts.der, crl.der)
        out(`# crlNumber ${crl.crlNumber} nextUpdate ${crl.nextUpdate.toISOString()}`)
        out(crl.pem.trimEnd())
      })
    })
}
