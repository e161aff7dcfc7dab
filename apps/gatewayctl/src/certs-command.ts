import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  certificateFiles,
  certificateNotAfter,
  DEFAULT_CA_DAYS,
  DEFAULT_LEAF_DAYS,
  describeCertificates,
  IDENTITY_ID,
  initCertificateDirectory,
  issueToDirectory,
  type CertificateDescription,
  type PeerKind,
} from '@gw/pki';
import { CommandError, UsageError } from './usage-error.js';

export const CERTS_USAGE = `Usage:
  gatewayctl certs init DIR [--days N] [--force]
      Create the fleet CA in DIR (DIR/ca.crt, DIR/ca.key; default ${DEFAULT_CA_DAYS} days).
      Refuses to replace an existing CA unless --force.
  gatewayctl certs issue controller ID --dir DIR [--dns NAME,...] [--ip ADDR,...] [--days N]
      Issue DIR/controller-ID.crt/.key (default ${DEFAULT_LEAF_DAYS} days). --dns/--ip: the names and
      addresses runtimes dial (at least one). Re-issuing an ID replaces its files (rotation).
  gatewayctl certs issue runtime ID --dir DIR [--days N]
      Issue DIR/runtime-ID.crt/.key: the runtime's identity is spiffe://gateway/runtime/ID.
  gatewayctl certs show FILE
      Print each certificate in FILE: identity, SANs, validity, SHA-256 fingerprint.

IDs: letters, digits, '.', '_', '-' (up to 128, starting with a letter or digit).
Keys are written 0600, a new DIR 0700.`;

type Out = (text: string) => void;
const DAY_MS = 86_400_000;
const MAX_DAYS = 36_500;
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `gatewayctl certs …`: returns the exit code; throws UsageError / CommandError. */
export async function certsCommand(argv: string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help' || sub === 'help') {
    out(`${CERTS_USAGE}\n`);
    return 0;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    out(`${CERTS_USAGE}\n`);
    return 0;
  }
  switch (sub) {
    case 'init':
      return init(rest, out);
    case 'issue':
      return issue(rest, out);
    case 'show':
      return show(rest, out);
    case undefined:
      throw new UsageError('certs needs a subcommand: init, issue or show', CERTS_USAGE);
    default:
      throw new UsageError(`unknown certs subcommand "${sub}"`, CERTS_USAGE);
  }
}

/** node:util parseArgs, its errors (unknown option, missing value) as usage errors. */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), CERTS_USAGE);
  }
}

function positionals(got: string[], names: string[]): string[] {
  if (got.length < names.length) throw new UsageError(`missing ${names.slice(got.length).join(' ')}`, CERTS_USAGE);
  if (got.length > names.length) throw new UsageError(`unexpected argument "${got[names.length]}"`, CERTS_USAGE);
  return got;
}

function days(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_DAYS) throw new UsageError(`--days must be a whole number of days between 1 and ${MAX_DAYS} (got "${raw}")`, CERTS_USAGE);
  return Number(raw);
}

const list = (raw: string | undefined) => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);

async function init(args: string[], out: Out): Promise<number> {
  const { values, positionals: pos } = parse(args, { days: { type: 'string' }, force: { type: 'boolean' } });
  const [dirArg] = positionals(pos, ['DIR']);
  const dir = resolve(dirArg!);
  const d = days(values.days);
  const files = certificateFiles(dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CommandError(`${dir} exists and is not a directory`);
  const existing = [files.caCert, files.caKey].filter((f) => existsSync(f));
  if (existing.length && !values.force) {
    throw new CommandError(`${existing.join(' and ')} already exist: pass --force to replace the CA (every certificate it signed stops being trusted once peers load the new ca.crt)`);
  }
  const written = await initCertificateDirectory(dir, { overwrite: values.force ?? false, ...(d === undefined ? {} : { notAfter: new Date(Date.now() + d * DAY_MS) }) });
  const notAfter = certificateNotAfter(await readFile(written.caCert));
  out(
    [
      `wrote ${written.caCert}  (the fleet CA, valid until ${notAfter.toISOString()}; every controller and runtime trusts it)`,
      `wrote ${written.caKey}  (its private key, mode 0600: only certificate issuing needs it, keep it off the hosts that run the gateway)`,
      '',
      'Next, a certificate per controller and per runtime:',
      `  gatewayctl certs issue controller controller-1 --dir ${shellWord(dir)} --dns controller-1.example.internal`,
      `  gatewayctl certs issue runtime runtime-1 --dir ${shellWord(dir)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function issue(args: string[], out: Out): Promise<number> {
  const { values, positionals: pos } = parse(args, { dir: { type: 'string' }, dns: { type: 'string' }, ip: { type: 'string' }, days: { type: 'string' } });
  const [kindArg, id] = positionals(pos, ['controller|runtime', 'ID']);
  if (kindArg !== 'controller' && kindArg !== 'runtime') throw new UsageError(`the kind must be controller or runtime (got "${kindArg}")`, CERTS_USAGE);
  const kind: PeerKind = kindArg;
  if (!IDENTITY_ID.test(id!)) throw new UsageError(`${kind} id "${id}" is not valid: letters, digits, '.', '_', '-' (up to 128, starting with a letter or digit)`, CERTS_USAGE);
  if (values.dir === undefined) throw new UsageError('--dir DIR is required (the directory `gatewayctl certs init` created)', CERTS_USAGE);
  const dnsNames = list(values.dns);
  const ipAddresses = list(values.ip);
  if (kind === 'runtime' && (dnsNames.length || ipAddresses.length)) {
    throw new UsageError('--dns and --ip are for controllers: a runtime only dials out, its certificate carries just its identity', CERTS_USAGE);
  }
  if (kind === 'controller' && !dnsNames.length && !ipAddresses.length) {
    throw new UsageError('a controller certificate needs the names runtimes dial: pass --dns NAME,... and/or --ip ADDR,... (as in CONTROLLER_ADDRESSES)', CERTS_USAGE);
  }
  for (const n of dnsNames) if (!DNS_NAME.test(n)) throw new UsageError(`--dns "${n}" is not a DNS name`, CERTS_USAGE);
  for (const a of ipAddresses) if (isIP(a) === 0) throw new UsageError(`--ip "${a}" is not an IP address`, CERTS_USAGE);
  const d = days(values.days);

  const dir = resolve(values.dir);
  const files = certificateFiles(dir);
  for (const f of [files.caCert, files.caKey]) {
    if (!existsSync(f)) throw new CommandError(`${f} does not exist: create the CA first with \`gatewayctl certs init ${shellWord(dir)}\``);
  }
  const caNotAfter = certificateNotAfter(await readFile(files.caCert));
  const notAfter = new Date(Date.now() + (d ?? DEFAULT_LEAF_DAYS) * DAY_MS);
  if (notAfter > caNotAfter) throw new CommandError(`the certificate would outlive the CA (valid until ${caNotAfter.toISOString()}): pass fewer --days, or create a new CA`);
  const paths = await issueToDirectory(dir, { kind, id: id!, dnsNames, ipAddresses, notAfter });
  const [desc] = describeCertificates(await readFile(paths.cert, 'utf8'));
  const env =
    kind === 'controller'
      ? [`CONFIG_TLS_CERT_FILE=${shellWord(paths.cert)}`, `CONFIG_TLS_KEY_FILE=${shellWord(paths.key)}`, `CONFIG_TLS_CLIENT_CA_FILE=${shellWord(paths.ca)}`]
      : [`CONTROLLER_TLS_CA_FILE=${shellWord(paths.ca)}`, `CONTROLLER_TLS_CERT_FILE=${shellWord(paths.cert)}`, `CONTROLLER_TLS_KEY_FILE=${shellWord(paths.key)}`];
  out(
    [
      `wrote ${paths.cert}  (${desc!.uris.join(', ')}${names(desc!)}, valid until ${desc!.notAfter.toISOString()})`,
      `wrote ${paths.key}  (mode 0600)`,
      '',
      `The ${kind}'s environment:`,
      ...env.map((line) => `  ${line}`),
      ...(kind === 'runtime' ? [`  # RUNTIME_ID defaults to ${id} (the id in the certificate); if set, it must be ${id}`] : []),
      '',
    ].join('\n'),
  );
  return 0;
}

function names(d: CertificateDescription): string {
  const parts = [...d.dnsNames.map((n) => `DNS:${n}`), ...d.ipAddresses.map((a) => `IP:${a}`)];
  return parts.length ? `, ${parts.join(', ')}` : '';
}

async function show(args: string[], out: Out): Promise<number> {
  const { positionals: pos } = parse(args, {});
  const [file] = positionals(pos, ['FILE']);
  let text: string;
  try {
    text = await readFile(file!, 'utf8');
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let certs: CertificateDescription[];
  try {
    certs = describeCertificates(text);
  } catch (err) {
    throw new CommandError(`${file}: ${(err as Error).message}`);
  }
  const now = Date.now();
  const lines: string[] = [];
  certs.forEach((c, i) => {
    const left = Math.floor((c.notAfter.getTime() - now) / DAY_MS);
    const expiry = c.notAfter.getTime() <= now ? 'EXPIRED' : `${left} day(s) left`;
    const row = (k: string, v: string) => lines.push(`  ${k.padEnd(13)}${v}`);
    lines.push(certs.length > 1 ? `${file} (certificate ${i + 1} of ${certs.length})` : `${file}`);
    row('kind', c.isCA ? 'CA' : (c.identity?.kind ?? 'not a gateway certificate (no spiffe://gateway/ identity)'));
    row('identity', c.identity ? c.identity.uri : c.uris.length ? c.uris.join(', ') : '-');
    row('subject', c.subject);
    row('issuer', c.issuer);
    row('DNS names', c.dnsNames.join(', ') || '-');
    row('IP addresses', c.ipAddresses.join(', ') || '-');
    row('not before', c.notBefore.toISOString());
    row('not after', `${c.notAfter.toISOString()} (${expiry})`);
    row('serial', c.serialNumber);
    row('SHA-256', c.fingerprintSha256);
    lines.push('');
  });
  out(lines.join('\n'));
  return 0;
}

/** A path as one shell word (quoted only when it needs to be), so env lines paste as is. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_/.:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
