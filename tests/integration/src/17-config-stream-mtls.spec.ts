// Mutual TLS on the config stream, end to end with real processes and certificates made by
// @gw/pki: strangers (plaintext, TLS without a certificate, another CA, an expired
// certificate, a valid certificate claiming another runtime's id) get no config and leave
// no trace in GET /v1/runtimes; a valid runtime gets its config and shows its identity.
// Rotation: the controller's and the runtime's files are re-issued in place while traffic
// flows; new handshakes present the new certificate, the open stream keeps going, the
// fleet shows the new certificate after the runtime reconnects, and no request fails.
// Start-up refusals: without TLS settings (and no CONFIG_INSECURE=true) both apps exit 1.
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { certificateFiles, certificateNotAfter, createCertificateAuthority, issueCertificate, issueToDirectory, readCertificateAuthority, spiffeId } from '@gw/pki';
import { createTempDatabase } from '@gw/store/testing';
import { metricSample, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingUpstream, type CountingUpstream } from './support/counting-upstream.js';
import {
  authHeaders,
  logRecords,
  putApi,
  runtimeConfig,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { startLoadLoop } from './support/load-loop.js';
import { repoRoot, startApp, stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';
import { testCertificate, testPkiDir } from './support/test-pki.js';

const CTL = 'ctl-mtls';
const RT = 'rt-good';
const EXPIRY = 'gateway_tls_certificate_expiry_timestamp_seconds';

let db: { url: string; drop(): Promise<void> };
let up: CountingUpstream;
let ctl: ControllerProcess;
let rt: RuntimeProcess;

// A client that is not the project's: the proto from proto/, loaded by @grpc/proto-loader.
const definition = protoLoader.loadSync(path.join(repoRoot, 'proto/gateway/config/v1/config.proto'), { longs: Number, defaults: true });
const ConfigDiscovery = (grpc.loadPackageDefinition(definition) as any).gateway.config.v1.ConfigDiscovery as grpc.ServiceClientConstructor;

interface Attempt {
  responses: number;
  code: grpc.status | undefined;
  details: string;
}

/** Opens a stream as `nodeId`, sends one request, and reports what came back before the stream ended (or 5 s). */
function attempt(credentials: grpc.ChannelCredentials, nodeId: string): Promise<Attempt> {
  const client = new ConfigDiscovery(ctl.grpc, credentials);
  const call = client['StreamConfig']!() as grpc.ClientDuplexStream<unknown, unknown>;
  const result: Attempt = { responses: 0, code: undefined, details: '' };
  return new Promise((resolve) => {
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ ...result }); // before cancel(), whose CANCELLED is ours, not the controller's
      call.cancel();
      client.close();
    };
    const timer = setTimeout(done, 5_000);
    call.on('data', () => {
      result.responses++;
      done();
    });
    call.on('error', (err: grpc.ServiceError) => {
      result.code = err.code;
      result.details = err.details;
      done();
    });
    call.on('end', done);
    call.write({ node: { id: nodeId, zone: 'a' }, versionInfo: 0, epoch: 0, hash: '', responseNonce: '' });
  });
}

const pem = (file: string) => readFileSync(file);

/** The runtimes a controller lists, by id. */
async function fleet(): Promise<Record<string, any>> {
  const res = await http('GET', `${ctl.http}/v1/runtimes`, { headers: authHeaders, timeoutMs: 10_000 });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.json().runtimes.map((r: any) => [r.runtimeId, r]));
}

/** The certificate a fresh TLS handshake with the controller's config port presents. */
function serverFingerprint(): Promise<string> {
  const client = testCertificate('runtime', RT);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: ctl.grpcPort, ca: pem(client.ca), cert: pem(client.cert), key: pem(client.key), ALPNProtocols: ['h2'] }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

const fingerprintOf = (file: string) => new X509Certificate(pem(file)).fingerprint256;
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

beforeAll(async () => {
  db = await createTempDatabase();
  up = await startCountingUpstream('up');
  ctl = await startControllerProcess({ id: CTL, databaseUrl: db.url });
  await waitControllerReady(ctl);
  expect((await putApi(ctl, 'svc', simpleApi('svc', up.url))).status).toBe(201);
  rt = await startRuntimeProcess({ id: RT, controllers: ctl.grpc });
  await waitRuntimeVersion(rt, 1);
});

afterAll(async () => {
  await stopAll();
  await up?.close();
  await db?.drop();
});

describe('config stream: mutual TLS', () => {
  it('a runtime with a certificate from the fleet CA gets its config, and the fleet shows its identity and certificate expiry', async () => {
    const files = testCertificate('runtime', RT);
    const row = await waitFor('rt-good recorded with its identity', async () => {
      const r = (await fleet())[RT];
      return r?.connected && r.identity ? r : undefined;
    });
    expect(row.identity).toBe(spiffeId('runtime', RT));
    expect(row.certificateNotAfter).toBe(certificateNotAfter(pem(files.cert)).toISOString());
    expect((await http('GET', `${rt.proxy}/svc/x`, { timeoutMs: 5_000 })).status).toBe(200);
    // Both sides export when their certificates run out.
    const ctlFiles = testCertificate('controller', CTL);
    expect(metricSample(await scrape(ctl.http), EXPIRY, { certificate: 'server' })).toBe(seconds(certificateNotAfter(pem(ctlFiles.cert))));
    expect(metricSample(await scrape(ctl.http), EXPIRY, { certificate: 'client_ca' })).toBe(seconds(certificateNotAfter(pem(ctlFiles.ca))));
    expect(metricSample(await scrape(rt.admin), EXPIRY, { certificate: 'client' })).toBe(seconds(certificateNotAfter(pem(files.cert))));
  });

  it('strangers get no config and leave no trace; the same client with a valid certificate does get config', async () => {
    const dir = testPkiDir();
    const ca = pem(certificateFiles(dir).caCert);
    const fleetCa = await readCertificateAuthority(dir);
    const otherCa = await createCertificateAuthority({ commonName: 'another CA' });
    const fromOtherCa = await issueCertificate(otherCa, { kind: 'runtime', id: 'rt-other-ca' });
    const day = 86_400_000;
    const expired = await issueCertificate(fleetCa, { kind: 'runtime', id: 'rt-expired', notBefore: new Date(Date.now() - 3 * day), notAfter: new Date(Date.now() - day) });
    const impostor = testCertificate('runtime', 'rt-impostor');
    const tlsWith = (cert: string | Buffer, key: string | Buffer) => grpc.credentials.createSsl(ca, Buffer.from(key), Buffer.from(cert));

    const before = (await fleet())[RT];
    const strangers: [string, grpc.ChannelCredentials, string][] = [
      ['plaintext', grpc.credentials.createInsecure(), 'rt-plaintext'],
      ['TLS without a client certificate', grpc.credentials.createSsl(ca), 'rt-no-cert'],
      ['certificate from another CA', tlsWith(fromOtherCa.certPem, fromOtherCa.keyPem), 'rt-other-ca'],
      ['expired certificate', tlsWith(expired.certPem, expired.keyPem), 'rt-expired'],
      // A valid certificate for rt-impostor that claims to be rt-good.
      ['valid certificate claiming another runtime id', tlsWith(pem(impostor.cert), pem(impostor.key)), RT],
    ];
    const codes: Record<string, string> = {};
    for (const [what, credentials, nodeId] of strangers) {
      const result = await attempt(credentials, nodeId);
      expect({ what, responses: result.responses, refused: result.code !== undefined }).toEqual({ what, responses: 0, refused: true });
      codes[what] = grpc.status[result.code!];
    }
    // The handshake refuses the first four; the impostor passes it and is refused by the config server.
    expect(codes['valid certificate claiming another runtime id']).toBe('PERMISSION_DENIED');
    // The impostor was refused by the controller itself, after the handshake, with a log naming it.
    // (Waited for: the child's log line travels through a pipe and may arrive after the status.)
    const refusal = await waitFor('the refusal is logged', async () => logRecords(ctl.proc).find((r) => r.msg?.includes('claims another runtime id')));
    expect(refusal).toMatchObject({ identity: spiffeId('runtime', 'rt-impostor'), claimed: RT });

    // The control: the very same client with a valid certificate for its own id is served.
    const valid = testCertificate('runtime', 'rt-direct');
    const served = await attempt(tlsWith(pem(valid.cert), pem(valid.key)), 'rt-direct');
    expect(served.responses).toBe(1);

    const after = await waitFor('rt-direct recorded', async () => {
      const f = await fleet();
      return f['rt-direct'] ? f : undefined;
    });
    expect(Object.keys(after).sort()).toEqual(['rt-direct', RT]);
    // rt-good's row is its own stream's, untouched by the impostor.
    expect(after[RT]).toMatchObject({ identity: spiffeId('runtime', RT), connected: true, connectedAt: before.connectedAt, lastNack: null });
    expect(after['rt-direct'].identity).toBe(spiffeId('runtime', 'rt-direct'));
    // No phantom runtime to wait for: a wait for the current version ends at once.
    const wait = await http('GET', `${ctl.http}/v1/status?waitForVersion=1&timeoutMs=5000`, { headers: authHeaders, timeoutMs: 10_000 });
    expect(wait.status).toBe(200);
  });

  it('a runtime checks the controller certificate against CONTROLLER_TLS_SERVER_NAME when set', async () => {
    // The controller certificate names localhost and 127.0.0.1; the runtimes dial 127.0.0.1.
    const named = await startRuntimeProcess({ id: 'rt-sni', controllers: ctl.grpc, env: { CONTROLLER_TLS_SERVER_NAME: 'localhost' } });
    const wrong = await startRuntimeProcess({ id: 'rt-wrong-name', controllers: ctl.grpc, env: { CONTROLLER_TLS_SERVER_NAME: 'controller.elsewhere.example' } });
    await waitRuntimeVersion(named, 1);
    const down = await withOutput(
      wrong.proc,
      waitFor('the wrong name refused', async () => logRecords(wrong.proc).find((r) => r.msg === 'config stream down, moving to next controller' && String(r.reason).includes('controller.elsewhere.example'))),
    );
    expect(down.reason).toMatch(/altnames/);
    expect((await runtimeConfig(wrong)).version ?? null).toBeNull();
    await wrong.proc.stop();
    await named.proc.stop();
  });

  it('rotation: new certificates are used by new handshakes, open streams keep going, no request fails', async () => {
    const dir = testPkiDir();
    const load = startLoadLoop({ url: () => `${rt.proxy}/svc/load`, maxRequests: 100_000, maxMs: 110_000 });
    try {
      await waitFor('traffic flowing', async () => load.ok >= 20);
      const before = await runtimeConfig(rt);
      expect(before.controller.connected).toBe(true);
      const oldServer = await serverFingerprint();

      const day = 86_400_000;
      const ctlNotAfter = new Date(Math.floor((Date.now() + 40 * day) / 1000) * 1000);
      const rtNotAfter = new Date(Math.floor((Date.now() + 50 * day) / 1000) * 1000);
      const ctlFiles = await issueToDirectory(dir, { kind: 'controller', id: CTL, dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], notAfter: ctlNotAfter });
      const rtFiles = await issueToDirectory(dir, { kind: 'runtime', id: RT, notAfter: rtNotAfter });
      const newServer = fingerprintOf(ctlFiles.cert);
      expect(newServer).not.toBe(oldServer);

      // New handshakes present the new server certificate (files are re-read every 5 s).
      await withOutput(ctl.proc, waitFor('controller presents its new certificate', async () => (await serverFingerprint()) === newServer, { timeoutMs: 20_000, intervalMs: 200 }));
      await waitFor('controller exports its new expiry', async () => metricSample(await scrape(ctl.http), EXPIRY, { certificate: 'server' }) === seconds(ctlNotAfter), { timeoutMs: 20_000 });
      await withOutput(
        rt.proc,
        waitFor('runtime loaded its new certificate', async () => metricSample(await scrape(rt.admin), EXPIRY, { certificate: 'client' }) === seconds(rtNotAfter), { timeoutMs: 20_000 }),
      );
      // The open stream was not touched by either reload.
      const during = await runtimeConfig(rt);
      expect(during.controller).toMatchObject({ connected: true, connects: before.controller.connects });
      expect((await fleet())[RT].certificateNotAfter).not.toBe(rtNotAfter.toISOString());

      // A new stream (the controller restarts on its ports) authenticates with the runtime's new certificate.
      await ctl.proc.stop();
      ctl = await startControllerProcess({ id: CTL, databaseUrl: db.url, httpPort: ctl.httpPort, grpcPort: ctl.grpcPort });
      await waitControllerReady(ctl);
      const row = await withOutput(
        rt.proc,
        waitFor(
          'fleet shows the runtime on its new certificate',
          async () => {
            const r = (await fleet())[RT];
            return r?.connected && r.certificateNotAfter === rtNotAfter.toISOString() ? r : undefined;
          },
          { timeoutMs: 30_000 },
        ),
      );
      expect(row.identity).toBe(spiffeId('runtime', RT));
      expect(certificateNotAfter(pem(rtFiles.cert)).toISOString()).toBe(rtNotAfter.toISOString());
    } finally {
      const result = await load.stop();
      expect(result.failures).toEqual([]);
      expect(result.ok).toBeGreaterThan(20);
    }
  });

  // docs/operations.md "Revoking (a new CA)", step by step with the documented gatewayctl
  // commands: a certificate left from the old CA is refused once only the new CA is
  // trusted, while every re-issued one keeps working and no request fails.
  it('revoking by a CA swap: the old CA\'s certificates are refused afterwards, re-issued ones work, no request fails', async () => {
    const dir = testPkiDir();
    const next = path.join(dir, 'next');
    const files = certificateFiles(dir);
    const gatewayctl = (...args: string[]) => execFileSync(process.execPath, [path.join(repoRoot, 'apps/gatewayctl/dist/main.js'), ...args], { cwd: repoRoot, timeout: 30_000, stdio: 'pipe' });
    const replace = (file: string, content: Buffer) => {
      writeFileSync(`${file}.tmp`, content);
      renameSync(`${file}.tmp`, file);
    };
    // A runtime whose certificate is revoked: issued by the old CA and never re-issued.
    const revoked = testCertificate('runtime', 'rt-revoked');
    const revokedPair = { cert: pem(revoked.cert), key: pem(revoked.key) };
    const served = async (ca: Buffer, pair: { cert: Buffer; key: Buffer }, id: string) => (await attempt(grpc.credentials.createSsl(ca, pair.key, pair.cert), id)).responses === 1;
    const load = startLoadLoop({ url: () => `${rt.proxy}/svc/load`, maxRequests: 100_000, maxMs: 110_000 });
    try {
      await waitFor('traffic flowing', async () => load.ok >= 20);
      const oldCa = pem(files.caCert);
      expect(await served(oldCa, revokedPair, 'rt-revoked')).toBe(true);

      // 1. a new CA; the apps trust a bundle of both.
      gatewayctl('certs', 'init', next);
      const newCa = pem(certificateFiles(next).caCert);
      replace(files.caCert, Buffer.concat([oldCa, newCa]));
      gatewayctl('certs', 'issue', 'runtime', 'rt-probe', '--dir', next);
      const probe = { cert: pem(certificateFiles(next).leaf('runtime', 'rt-probe').cert), key: pem(certificateFiles(next).leaf('runtime', 'rt-probe').key) };
      await withOutput(ctl.proc, waitFor('controller trusts the new CA', () => served(Buffer.concat([oldCa, newCa]), probe, 'rt-probe'), { timeoutMs: 20_000, intervalMs: 250 }));

      // 2. the certificates kept, re-issued by the new CA and moved into place.
      gatewayctl('certs', 'issue', 'controller', CTL, '--dir', next, '--dns', 'localhost', '--ip', '127.0.0.1');
      gatewayctl('certs', 'issue', 'runtime', RT, '--dir', next);
      for (const [kind, id] of [['controller', CTL], ['runtime', RT]] as const) {
        const from = certificateFiles(next).leaf(kind, id);
        const to = files.leaf(kind, id);
        renameSync(from.key, to.key);
        renameSync(from.cert, to.cert);
      }
      const newServer = fingerprintOf(files.leaf('controller', CTL).cert);
      await withOutput(ctl.proc, waitFor('controller presents its re-issued certificate', async () => (await serverFingerprint()) === newServer, { timeoutMs: 20_000, intervalMs: 250 }));

      // 3. only the new CA is trusted: the revoked certificate no longer passes the handshake.
      renameSync(certificateFiles(next).caKey, files.caKey);
      renameSync(certificateFiles(next).caCert, files.caCert);
      await withOutput(ctl.proc, waitFor('the old CA\'s certificate is refused', async () => !(await served(Buffer.concat([oldCa, newCa]), revokedPair, 'rt-revoked')), { timeoutMs: 20_000, intervalMs: 250 }));
      const refusedAttempt = await attempt(grpc.credentials.createSsl(newCa, revokedPair.key, revokedPair.cert), 'rt-revoked');
      expect({ responses: refusedAttempt.responses, refused: refusedAttempt.code !== undefined }).toEqual({ responses: 0, refused: true });
      expect(await served(newCa, probe, 'rt-probe')).toBe(true);

      // A new stream of the kept runtime authenticates with its re-issued certificate.
      await ctl.proc.stop();
      ctl = await startControllerProcess({ id: CTL, databaseUrl: db.url, httpPort: ctl.httpPort, grpcPort: ctl.grpcPort });
      await waitControllerReady(ctl);
      const rtCertNotAfter = certificateNotAfter(pem(files.leaf('runtime', RT).cert)).toISOString();
      await withOutput(
        rt.proc,
        waitFor('the kept runtime is back on its re-issued certificate', async () => {
          const r = (await fleet())[RT];
          return r?.connected && r.certificateNotAfter === rtCertNotAfter;
        }, { timeoutMs: 30_000 }),
      );
    } finally {
      const result = await load.stop();
      expect(result.failures).toEqual([]);
      expect(result.ok).toBeGreaterThan(20);
    }
  });
});

describe('start-up refusals', () => {
  /** Starts an app with exactly `env` for its TLS choice and returns its exit code and output. */
  async function refused(app: 'controller' | 'runtime', env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const base: Record<string, string> =
      app === 'controller'
        ? { DATABASE_URL: db.url, CONTROLLER_HOST: '127.0.0.1', CONTROLLER_HTTP_PORT: '0', CONTROLLER_GRPC_PORT: '0' }
        : { CONTROLLER_ADDRESSES: ctl.grpc, RUNTIME_HOST: '127.0.0.1', RUNTIME_ADMIN_HOST: '127.0.0.1', RUNTIME_HTTP_PORT: '0', RUNTIME_ADMIN_PORT: '0' };
    const proc = startApp(app, `${app}-refused`, { ...base, ...env });
    const timer = setTimeout(() => void proc.stop('SIGKILL'), 20_000);
    const code = await proc.exited;
    clearTimeout(timer);
    return { code, output: proc.output() };
  }

  it('the controller without TLS settings and without CONFIG_INSECURE=true exits 1 saying what to set', async () => {
    // CONFIG_INSECURE=false: an explicit choice, so the test support adds no certificates.
    const { code, output } = await refused('controller', { CONFIG_INSECURE: 'false' });
    expect(code).toBe(1);
    expect(output).toMatch(/CONFIG_TLS_CERT_FILE, CONFIG_TLS_KEY_FILE, CONFIG_TLS_CLIENT_CA_FILE are required.*set CONFIG_INSECURE=true/);
  });

  it('the controller with a partial TLS set, or TLS files next to CONFIG_INSECURE=true, exits 1', async () => {
    const files = testCertificate('controller', CTL);
    const partial = await refused('controller', { CONFIG_TLS_CERT_FILE: files.cert });
    expect(partial.code).toBe(1);
    expect(partial.output).toContain('CONFIG_TLS_KEY_FILE, CONFIG_TLS_CLIENT_CA_FILE are required with CONFIG_TLS_CERT_FILE');
    const both = await refused('controller', { CONFIG_INSECURE: 'true', CONFIG_TLS_CERT_FILE: files.cert, CONFIG_TLS_KEY_FILE: files.key, CONFIG_TLS_CLIENT_CA_FILE: files.ca });
    expect(both.code).toBe(1);
    expect(both.output).toContain('CONFIG_INSECURE=true contradicts');
  });

  it('the runtime without TLS settings and without CONFIG_INSECURE=true exits 1 saying what to set', async () => {
    const { code, output } = await refused('runtime', { RUNTIME_ID: 'rt-refused', CONFIG_INSECURE: 'false' });
    expect(code).toBe(1);
    expect(output).toMatch(/CONTROLLER_TLS_CA_FILE, CONTROLLER_TLS_CERT_FILE, CONTROLLER_TLS_KEY_FILE are required.*set CONFIG_INSECURE=true/);
  });

  it('a runtime whose RUNTIME_ID differs from its certificate exits 1', async () => {
    const files = testCertificate('runtime', 'rt-cert-id');
    const { code, output } = await refused('runtime', { RUNTIME_ID: 'rt-other', CONTROLLER_TLS_CA_FILE: files.ca, CONTROLLER_TLS_CERT_FILE: files.cert, CONTROLLER_TLS_KEY_FILE: files.key });
    expect(code).toBe(1);
    expect(output).toContain('RUNTIME_ID \\"rt-other\\" differs from the runtime id in CONTROLLER_TLS_CERT_FILE');
  });
});
