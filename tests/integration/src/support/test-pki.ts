import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { certificateFiles } from '@gw/pki';
import { repoRoot } from './processes.js';

/**
 * The fleet PKI of one spec file: a CA in a temp directory (made by @gw/pki, the project's
 * own code) and a certificate per controller and runtime id, issued on first use. Every
 * process a spec starts runs mutual TLS with these unless it asks for CONFIG_INSECURE=true.
 *
 * Issuing is asynchronous (WebCrypto) while startApp is synchronous and called from many
 * specs, so a missing certificate is issued by a short child process; a spec that wants
 * new material mid-run (rotation) calls @gw/pki's issueToDirectory on `dir` itself.
 */
let dir: string | undefined;

const ISSUE = `
import { initCertificateDirectory, issueToDirectory } from '@gw/pki';
const [dir, kind, id, init] = process.argv.slice(1);
if (init === '1') await initCertificateDirectory(dir);
if (kind) await issueToDirectory(dir, { kind, id, dnsNames: kind === 'controller' ? ['localhost'] : [], ipAddresses: kind === 'controller' ? ['127.0.0.1'] : [] });
`;

function runIssuer(args: string[]): void {
  execFileSync(process.execPath, ['--input-type=module', '-e', ISSUE, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
}

/** The CA directory (DIR/ca.crt, DIR/<kind>-<id>.crt …), created on first use and removed at exit. */
export function testPkiDir(): string {
  if (!dir) {
    dir = mkdtempSync(path.join(tmpdir(), 'gw-pki-'));
    const created = dir;
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
    runIssuer([dir, '', '', '1']);
  }
  return dir;
}

/** A controller's or runtime's certificate files, issued when missing. */
export function testCertificate(kind: 'controller' | 'runtime', id: string): { cert: string; key: string; ca: string } {
  const root = testPkiDir();
  const files = certificateFiles(root);
  const leaf = files.leaf(kind, id);
  if (!existsSync(leaf.cert) || !existsSync(leaf.key)) runIssuer([root, kind, id, '0']);
  return { ...leaf, ca: files.caCert };
}

const TLS_FILE_VARS = /^(CONFIG_TLS_|CONTROLLER_TLS_)\w*_FILE$/;

/**
 * The environment that turns mutual TLS on for one process, unless `env` already chose
 * (CONFIG_INSECURE, or TLS variables of its own). The certificate is for CONTROLLER_ID /
 * RUNTIME_ID, else the process name.
 */
export function mutualTlsEnv(app: 'controller' | 'runtime', name: string, env: Record<string, string>): Record<string, string> {
  if (env['CONFIG_INSECURE'] !== undefined || Object.keys(env).some((k) => TLS_FILE_VARS.test(k))) return {};
  if (app === 'controller') {
    const c = testCertificate('controller', env['CONTROLLER_ID'] ?? name);
    return { CONFIG_TLS_CERT_FILE: c.cert, CONFIG_TLS_KEY_FILE: c.key, CONFIG_TLS_CLIENT_CA_FILE: c.ca };
  }
  const r = testCertificate('runtime', env['RUNTIME_ID'] ?? name);
  return { CONTROLLER_TLS_CA_FILE: r.ca, CONTROLLER_TLS_CERT_FILE: r.cert, CONTROLLER_TLS_KEY_FILE: r.key };
}
