// Runs the BUILT gatewayctl (apps/gatewayctl/dist/main.js, `npm run build` first) as a real
// process, as an operator would, and checks what it wrote: files, modes, and that the
// issued pairs complete a real mutual TLS handshake.
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { listenLocal, tempDirs } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, '..', 'dist', 'main.js');
const dirs = tempDirs('gw-gatewayctl-');
afterEach(() => dirs.removeAll());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function gatewayctl(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

async function ok(...args: string[]): Promise<string> {
  const r = await gatewayctl(...args);
  expect(r.code, `gatewayctl ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** The env lines gatewayctl printed (`  NAME=value`). */
function envLines(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** A controller serving with its files, a runtime dialing with its files, both verifying the other. */
async function mutualTls(controller: Record<string, string>, runtime: Record<string, string>, servername: string, host = '127.0.0.1'): Promise<{ ok: true; clientSan: string } | { ok: false; error: string }> {
  const read = (f: string | undefined) => fs.readFileSync(f!);
  const server = createServer(
    { cert: read(controller['CONFIG_TLS_CERT_FILE']), key: read(controller['CONFIG_TLS_KEY_FILE']), ca: read(controller['CONFIG_TLS_CLIENT_CA_FILE']), requestCert: true, rejectUnauthorized: true },
    (socket: TLSSocket) => socket.end(socket.getPeerCertificate().subjectaltname ?? ''),
  );
  server.on('tlsClientError', () => undefined);
  const port = await listenLocal(server as never);
  try {
    return await new Promise((resolve) => {
      const socket = connect({ host, port, servername, ca: read(runtime['CONTROLLER_TLS_CA_FILE']), cert: read(runtime['CONTROLLER_TLS_CERT_FILE']), key: read(runtime['CONTROLLER_TLS_KEY_FILE']) });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve(data ? { ok: true, clientSan: data } : { ok: false, error: 'closed without an answer' }));
      socket.on('error', (err) => resolve({ ok: false, error: err.message }));
    });
  } finally {
    server.close();
  }
}

describe('gatewayctl certs', () => {
  it('init, issue controller and runtime: files with safe modes, env lines to paste, and a working mutual TLS handshake', async () => {
    const dir = path.join(dirs.make(), 'pki');
    const init = await ok('certs', 'init', dir);
    expect(init).toContain(`wrote ${path.join(dir, 'ca.crt')}`);
    expect(init).toContain(`wrote ${path.join(dir, 'ca.key')}`);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, 'ca.key'))).toBe(0o600);
    expect(new X509Certificate(fs.readFileSync(path.join(dir, 'ca.crt'))).ca).toBe(true);

    const ctlOut = await ok('certs', 'issue', 'controller', 'controller-1', '--dir', dir, '--dns', 'controller-1,localhost', '--ip', '127.0.0.1');
    const rtOut = await ok('certs', 'issue', 'runtime', 'rt-a1', '--dir', dir);
    const controller = envLines(ctlOut);
    const runtime = envLines(rtOut);
    expect(controller).toEqual({
      CONFIG_TLS_CERT_FILE: path.join(dir, 'controller-controller-1.crt'),
      CONFIG_TLS_KEY_FILE: path.join(dir, 'controller-controller-1.key'),
      CONFIG_TLS_CLIENT_CA_FILE: path.join(dir, 'ca.crt'),
    });
    expect(runtime).toEqual({
      CONTROLLER_TLS_CA_FILE: path.join(dir, 'ca.crt'),
      CONTROLLER_TLS_CERT_FILE: path.join(dir, 'runtime-rt-a1.crt'),
      CONTROLLER_TLS_KEY_FILE: path.join(dir, 'runtime-rt-a1.key'),
    });
    for (const key of [controller['CONFIG_TLS_KEY_FILE']!, runtime['CONTROLLER_TLS_KEY_FILE']!]) expect(mode(key)).toBe(0o600);

    // The runtime verifies the controller by DNS name and by IP; the controller sees the runtime's identity.
    for (const servername of ['localhost', 'controller-1']) {
      const r = await mutualTls(controller, runtime, servername);
      expect(r, servername).toEqual({ ok: true, clientSan: 'URI:spiffe://gateway/runtime/rt-a1' });
    }
    // A name the certificate does not carry is refused by the runtime's side.
    const wrong = await mutualTls(controller, runtime, 'controller-2');
    expect(wrong.ok).toBe(false);
    expect((wrong as { error: string }).error).toMatch(/Hostname\/IP does not match|altnames/i);
  });

  it('show prints identity, SANs, not-after and the SHA-256 fingerprint of the certificate', async () => {
    const dir = path.join(dirs.make(), 'pki');
    await ok('certs', 'init', dir);
    await ok('certs', 'issue', 'controller', 'ctl-1', '--dir', dir, '--dns', 'controller-1.gateway.svc', '--ip', '10.0.0.5', '--days', '30');
    const file = path.join(dir, 'controller-ctl-1.crt');
    const x = new X509Certificate(fs.readFileSync(file));
    const out = await ok('certs', 'show', file);
    expect(out).toMatch(/kind +controller/);
    expect(out).toMatch(/identity +spiffe:\/\/gateway\/controller\/ctl-1/);
    expect(out).toMatch(/DNS names +controller-1\.gateway\.svc/);
    expect(out).toMatch(/IP addresses +10\.0\.0\.5/);
    expect(out).toContain(`not after    ${new Date(x.validTo).toISOString()} (29 day(s) left)`);
    expect(out).toContain(`SHA-256      ${x.fingerprint256}`);
    const caOut = await ok('certs', 'show', path.join(dir, 'ca.crt'));
    expect(caOut).toMatch(/kind +CA/);
  });

  it('refuses to replace a CA without --force, and replaces it with --force', async () => {
    const dir = path.join(dirs.make(), 'pki');
    await ok('certs', 'init', dir);
    const before = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    const again = await gatewayctl('certs', 'init', dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exist: pass --force');
    expect(again.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).toBe(before);
    await ok('certs', 'init', dir, '--force');
    expect(fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8')).not.toBe(before);
    expect(mode(path.join(dir, 'ca.key'))).toBe(0o600);
  });

  it('re-issuing an id replaces its pair in place (rotation)', async () => {
    const dir = path.join(dirs.make(), 'pki');
    await ok('certs', 'init', dir);
    await ok('certs', 'issue', 'runtime', 'rt-1', '--dir', dir);
    const first = new X509Certificate(fs.readFileSync(path.join(dir, 'runtime-rt-1.crt')));
    await ok('certs', 'issue', 'runtime', 'rt-1', '--dir', dir);
    const second = new X509Certificate(fs.readFileSync(path.join(dir, 'runtime-rt-1.crt')));
    expect(second.fingerprint256).not.toBe(first.fingerprint256);
    expect(second.checkPrivateKey((await import('node:crypto')).createPrivateKey(fs.readFileSync(path.join(dir, 'runtime-rt-1.key'))))).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.key', 'runtime-rt-1.crt', 'runtime-rt-1.key']);
  });

  it('usage mistakes exit 2 with the usage text and write nothing; failures exit 1 with one clear line', async () => {
    const dir = path.join(dirs.make(), 'pki');
    await ok('certs', 'init', dir);
    const cases: [string[], number, string][] = [
      [['certs', 'issue', 'runtime', '../escape', '--dir', dir], 2, 'runtime id "../escape" is not valid'],
      [['certs', 'issue', 'runtime', 'rt 1', '--dir', dir], 2, 'is not valid'],
      [['certs', 'issue', 'runtime', 'rt-1'], 2, '--dir DIR is required'],
      [['certs', 'issue', 'gateway', 'x', '--dir', dir], 2, 'the kind must be controller or runtime'],
      [['certs', 'issue', 'controller', 'ctl-1', '--dir', dir], 2, 'needs the names runtimes dial'],
      [['certs', 'issue', 'runtime', 'rt-1', '--dir', dir, '--dns', 'x'], 2, '--dns and --ip are for controllers'],
      [['certs', 'issue', 'controller', 'ctl-1', '--dir', dir, '--ip', '300.1.1.1'], 2, '--ip "300.1.1.1" is not an IP address'],
      [['certs', 'issue', 'runtime', 'rt-1', '--dir', dir, '--days', '0'], 2, '--days must be a whole number'],
      [['certs', 'init', dir, '--colour'], 2, "Unknown option '--colour'"],
      [['certs', 'frobnicate'], 2, 'unknown certs subcommand'],
      [['certs'], 2, 'certs needs a subcommand'],
      [[], 2, 'no command given'],
      [['certs', 'issue', 'runtime', 'rt-1', '--dir', path.join(dir, 'missing')], 1, `${path.join(dir, 'missing', 'ca.crt')} does not exist: create the CA first`],
      [['certs', 'issue', 'runtime', 'rt-1', '--dir', dir, '--days', '4000'], 1, 'would outlive the CA'],
      [['certs', 'show', path.join(dir, 'nope.crt')], 1, 'no such file'],
      [['certs', 'show', path.join(dir, 'ca.key')], 1, 'no PEM certificate'],
    ];
    for (const [args, code, message] of cases) {
      const r = await gatewayctl(...args);
      expect(r.code, `gatewayctl ${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      if (code === 2) expect(r.stderr).toContain('Usage:');
      expect(r.stdout).toBe('');
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['ca.crt', 'ca.key']);
  });

  it('--help prints the usage and exits 0', async () => {
    for (const args of [['--help'], ['certs', '--help'], ['certs', 'issue', '--help']]) {
      const out = await ok(...args);
      expect(out).toContain('Usage:');
    }
    expect(await ok('certs', '--help')).toContain('gatewayctl certs issue controller ID --dir DIR');
  });
});
