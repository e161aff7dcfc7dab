import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const repo = path.resolve(import.meta.dirname, '..');
const script = path.join(repo, 'tools', 'validate-deploy.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const validate = (root?: string) => spawnSync(process.execPath, root ? [script, root] : [script], { encoding: 'utf8' });

/** A copy of what the validator reads: the deploy assets and the apps' sources. */
function copy(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-deploy-'));
  dirs.push(root);
  fs.copyFileSync(path.join(repo, 'docker-compose.yml'), path.join(root, 'docker-compose.yml'));
  fs.cpSync(path.join(repo, 'deploy'), path.join(root, 'deploy'), { recursive: true });
  for (const app of ['controller', 'runtime']) fs.cpSync(path.join(repo, 'apps', app, 'src'), path.join(root, 'apps', app, 'src'), { recursive: true });
  return root;
}

/** Replaces `from` (which must occur) in a copied file. */
function edit(root: string, file: string, from: string, to: string, all = false): void {
  const p = path.join(root, file);
  const text = fs.readFileSync(p, 'utf8');
  expect(text, `${file} contains ${JSON.stringify(from)}`).toContain(from);
  fs.writeFileSync(p, all ? text.replaceAll(from, to) : text.replace(from, to));
}

function expectProblems(root: string, ...messages: string[]): void {
  const r = validate(root);
  expect(r.status, r.stdout + r.stderr).toBe(1);
  for (const m of messages) expect(r.stderr).toContain(m);
}

describe('validate-deploy', () => {
  it('passes the repository as it is', () => {
    const r = validate();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/validate-deploy: .* ok \(controller reads \d+ variables, runtime \d+\)/);
  });

  it('passes an unmodified copy (the copy is faithful)', () => {
    const r = validate(copy());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on a variable no app reads, in compose and in Kubernetes', () => {
    const root = copy();
    edit(root, 'docker-compose.yml', '      RUNTIME_ID: runtime-1a\n', '      RUNTIME_ID: runtime-1a\n      RUNTIME_COLOR: blue\n');
    edit(root, 'deploy/k8s/controller-config.yaml', '  LOG_LEVEL: info\n', '  LOG_LEVEL: info\n  DB_POOL_SIZE: "10"\n');
    expectProblems(
      root,
      'services.runtime-1a: sets RUNTIME_COLOR, which the runtime does not read',
      'Deployment/gateway-controller container controller: sets DB_POOL_SIZE, which the controller does not read',
    );
  });

  it('fails when a required variable is missing, in compose and in Kubernetes', () => {
    const root = copy();
    edit(root, 'docker-compose.yml', '  DATABASE_URL: postgres://gateway:${POSTGRES_PASSWORD:-gateway}@postgres:5432/gateway\n', '');
    edit(root, 'deploy/k8s/runtime-config.yaml', '  CONTROLLER_ADDRESSES: gateway-controller-grpc:9090\n', '');
    expectProblems(
      root,
      'services.controller-1: does not set DATABASE_URL, which the controller requires',
      'services.controller-2: does not set DATABASE_URL, which the controller requires',
      'Deployment/gateway-runtime-zone-a container runtime: does not set CONTROLLER_ADDRESSES, which the runtime requires',
    );
  });

  it('keeps the files in step with the apps: a variable the app stops reading is reported', () => {
    const root = copy();
    // The runtime renames LOG_LEVEL; compose and the ConfigMap still set the old name.
    edit(root, 'apps/runtime/src/env.ts', '  LOG_LEVEL: envVar.', '  RUNTIME_LOG_LEVEL: envVar.');
    expectProblems(root, 'services.runtime-2c: sets LOG_LEVEL, which the runtime does not read', 'Deployment/gateway-runtime-zone-c container runtime: sets LOG_LEVEL');
  });

  it("reads the apps' declarations: their numeric defaults and what they require", () => {
    const root = copy();
    // Nothing sets WEBSOCKET_DRAIN_MS: the drain budget uses the runtime's default.
    edit(root, 'apps/runtime/src/env.ts', 'WEBSOCKET_DRAIN_MS: envVar.int({ default: 5_000,', 'WEBSOCKET_DRAIN_MS: envVar.int({ default: 60_000,');
    edit(root, 'apps/runtime/src/env.ts', 'RUNTIME_MAX_APIS: envVar.int(', 'RUNTIME_MAX_APIS: envVar.required(');
    expectProblems(
      root,
      'services.runtime-1a: stop_grace_period 25 s is shorter than the drain it allows (73 s: DRAIN_GRACE_MS + WEBSOCKET_DRAIN_MS + SHUTDOWN_GRACE_MS)',
      'services.runtime-1a: does not set RUNTIME_MAX_APIS, which the runtime requires',
    );
  });

  it('fails on what the offline build cannot take: a "# syntax=" line, a top-level compose name', () => {
    const root = copy();
    edit(root, 'deploy/Dockerfile', '# One image build', '# syntax=docker/dockerfile:1\n\n# One image build');
    edit(root, 'docker-compose.yml', '\nservices:\n', '\nname: gateway\nservices:\n');
    expectProblems(root, 'deploy/Dockerfile: has a "# syntax=" line', 'docker-compose.yml: top-level "name:" makes docker-compose v1 refuse the file');
  });

  it('fails on compose structure: unknown keys, bad healthcheck waits, missing volumes, YAML errors', () => {
    const root = copy();
    edit(root, 'docker-compose.yml', '  redis:\n    image: ${REDIS_IMAGE:-redis:7.4}\n', '  redis:\n    image: ${REDIS_IMAGE:-redis:7.4}\n    depend_on: [postgres]\n');
    edit(root, 'docker-compose.yml', '    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n      interval: 2s\n      timeout: 3s\n      retries: 30\n', '');
    edit(root, 'docker-compose.yml', '  runtime-2c-cache:\n', '');
    edit(root, 'docker-compose.yml', '      condition: service_healthy\n  healthcheck:', '      condition: service_ready\n  healthcheck:');
    expectProblems(
      root,
      'services.redis: unknown key "depend_on"',
      'services.runtime-1a: waits for redis to be healthy, but redis has no healthcheck',
      'services.runtime-2c: named volume "runtime-2c-cache" is not declared',
      'depends_on.postgres.condition "service_ready" is not one of',
    );
    const broken = copy();
    edit(broken, 'docker-compose.yml', 'services:\n', 'services:\n  oops: [\n');
    expectProblems(broken, 'docker-compose.yml: YAML:');
  });

  it('fails when the config stream is not wired with certificates, in compose and in Kubernetes', () => {
    const root = copy();
    edit(root, 'docker-compose.yml', '      CONTROLLER_TLS_KEY_FILE: /etc/gateway/tls/runtime-runtime-1b.key\n', '');
    edit(root, 'docker-compose.yml', 'CONTROLLER_TLS_CERT_FILE: /etc/gateway/tls/runtime-runtime-2b.crt', 'CONTROLLER_TLS_CERT_FILE: /etc/gateway/tls/runtime-runtime-1b.crt');
    edit(root, 'docker-compose.yml', 'CONFIG_TLS_CERT_FILE: /etc/gateway/tls/controller-controller-2.crt', 'CONFIG_TLS_CERT_FILE: /run/tls/controller-controller-2.crt');
    edit(root, 'docker-compose.yml', 'RUNTIMES: runtime-1a runtime-2a', 'RUNTIMES: runtime-2a');
    edit(root, 'deploy/k8s/runtime-config.yaml', '  CONTROLLER_TLS_CA_FILE: /etc/gateway/ca/ca.crt\n', '');
    edit(root, 'deploy/k8s/controller.yaml', 'secretName: gateway-controller-tls', 'secretName: gateway-controller-cert');
    edit(root, 'deploy/k8s/runtime-zone-c.yaml', '              - key: ca.crt\n', '              - key: bundle.pem\n');
    expectProblems(
      root,
      'services.runtime-1b: does not set CONTROLLER_TLS_KEY_FILE: the runtime refuses to start without TLS on the config stream (unless CONFIG_INSECURE=true)',
      'services.runtime-2b: CONTROLLER_TLS_CERT_FILE=/etc/gateway/tls/runtime-runtime-1b.crt is not this runtime\'s file (runtime-runtime-2b.crt)',
      'services.controller-2: CONFIG_TLS_CERT_FILE=/run/tls/controller-controller-2.crt is not under any mounted volume (/etc/gateway/tls, /etc/gateway/secrets)',
      'services.certs: issues no certificate for runtime runtime-1a (add it to RUNTIMES)',
      'Deployment/gateway-runtime-zone-a container runtime: does not set CONTROLLER_TLS_CA_FILE',
      'Deployment/gateway-controller: volume tls mounts Secret gateway-controller-cert, which is not defined (secret.example.yaml)',
      'Deployment/gateway-runtime-zone-c: volume ca-bundle uses key bundle.pem, which Secret gateway-ca-bundle does not have',
    );
    // CONFIG_INSECURE=true is the explicit way out.
    const insecure = copy();
    edit(insecure, 'docker-compose.yml', '      CONTROLLER_TLS_KEY_FILE: /etc/gateway/tls/runtime-runtime-1b.key\n', '      CONFIG_INSECURE: "true"\n');
    const r = validate(insecure);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails when cert-manager does not issue what the Deployments mount', () => {
    const root = copy();
    edit(root, 'deploy/k8s/cert-manager/controller-certificate.yaml', '    - gateway-controller-grpc\n', '');
    edit(root, 'deploy/k8s/cert-manager/controller-certificate.yaml', '    - server auth\n', '    - client auth\n');
    edit(root, 'deploy/k8s/runtime-zone-a.yaml', 'csi.cert-manager.io/key-usages: digital signature,client auth', 'csi.cert-manager.io/key-usages: digital signature');
    edit(root, 'deploy/k8s/runtime-zone-b.yaml', 'csi.cert-manager.io/uri-sans: spiffe://gateway/runtime/${POD_NAME}', 'csi.cert-manager.io/uri-sans: spiffe://gateway/controller/${POD_NAME}');
    edit(root, 'deploy/k8s/runtime-zone-c.yaml', 'csi.cert-manager.io/issuer-name: gateway-ca', 'csi.cert-manager.io/issuer-name: fleet-ca');
    edit(root, 'deploy/k8s/runtime-zone-c.yaml', 'csi.cert-manager.io/fs-group: "1000"', 'csi.cert-manager.io/fs-group: "0"');
    expectProblems(
      root,
      'Certificate/gateway-controller-tls: dnsNames lacks gateway-controller-grpc, which runtimes dial (CONTROLLER_ADDRESSES)',
      'Certificate/gateway-controller-tls: usages must include "server auth"',
      'Deployment/gateway-runtime-zone-a volume tls (csi-driver): csi.cert-manager.io/key-usages must include "client auth"',
      'Deployment/gateway-runtime-zone-b volume tls (csi-driver): needs exactly one identity spiffe://gateway/runtime/<id>',
      'Deployment/gateway-runtime-zone-c volume tls (csi-driver): names Issuer fleet-ca, which deploy/k8s/cert-manager does not define',
      'Deployment/gateway-runtime-zone-c volume tls (csi-driver): csi.cert-manager.io/fs-group must be the pod\'s fsGroup',
    );
    const unissued = copy();
    edit(unissued, 'deploy/k8s/cert-manager/controller-certificate.yaml', 'secretName: gateway-controller-tls', 'secretName: gateway-controller-cert');
    expectProblems(unissued, 'issues Secret gateway-controller-cert, which no Deployment mounts', 'no Certificate issues Secret gateway-controller-tls, which the controller Deployments mount');
  });

  it("compose's certs service script issues the CA and every certificate once, re-issues on request, gives each app only its own key and makes the secrets key once", () => {
    // The script as compose runs it ($$ is compose's escape for $), with /pki, /tls (each
    // app's volume mounted at /tls/<id>) and /secrets in a temp dir and `gatewayctl` the
    // built CLI (npm run build first).
    const compose = parseYaml(fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: { certs: { entrypoint: string[]; environment: Record<string, string>; volumes: string[]; user?: string } };
    };
    const certs = compose.services.certs;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-certs-'));
    dirs.push(tmp);
    const apps = [...certs.environment['CONTROLLERS']!.split(' ').map((id) => ({ id, file: `controller-${id}` })), ...certs.environment['RUNTIMES']!.split(' ').map((id) => ({ id, file: `runtime-${id}` }))];
    // Every app's volume is mounted into the certs service where the script writes it.
    for (const { id } of apps) expect(certs.volumes).toContain(`tls-${id}:/tls/${id}`);
    for (const d of ['bin', 'pki', 'tls', 'secrets', ...apps.map(({ id }) => `tls/${id}`)]) fs.mkdirSync(path.join(tmp, d), { mode: 0o700 });
    const cli = path.join(repo, 'apps', 'gatewayctl', 'dist', 'main.js');
    fs.writeFileSync(path.join(tmp, 'bin', 'gatewayctl'), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`, { mode: 0o755 });
    // Root only to hand the fresh volumes' mount points to the image's user, then the script
    // (CERTS_SCRIPT) runs as that user: the files it writes belong to the apps' user.
    expect(certs.user).toBe('0:0');
    expect(certs.entrypoint[2]!.trim().split('\n')).toEqual(['chown node:node /tls/*', 'exec setpriv --reuid=node --regid=node --init-groups -- /bin/sh -euc "$$CERTS_SCRIPT" certs "$$@"']);
    const script = certs.environment['CERTS_SCRIPT']!.replaceAll('$$', '$').replaceAll('/pki', path.join(tmp, 'pki')).replaceAll('/tls', path.join(tmp, 'tls')).replaceAll('/secrets/', `${path.join(tmp, 'secrets')}/`);
    const run = (...args: string[]) => {
      const r = spawnSync('/bin/sh', ['-euc', script, 'certs', ...args], { encoding: 'utf8', env: { ...process.env, ...certs.environment, PATH: `${path.join(tmp, 'bin')}:${process.env['PATH']}` } });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    run();
    expect(fs.readdirSync(path.join(tmp, 'tls')).sort()).toEqual(apps.map(({ id }) => id).sort());
    const published = apps.flatMap(({ id, file }) => {
      // ca.crt and this app's own certificate and key: no other app's key, never the CA's.
      expect(fs.readdirSync(path.join(tmp, 'tls', id)).sort(), id).toEqual(['ca.crt', `${file}.crt`, `${file}.key`]);
      expect(fs.statSync(path.join(tmp, 'tls', id, `${file}.key`)).mode & 0o777, id).toBe(0o600);
      return ['ca.crt', `${file}.crt`, `${file}.key`].map((f) => `tls/${id}/${f}`);
    });
    expect(fs.existsSync(path.join(tmp, 'pki', 'ca.key'))).toBe(true);
    const read = (f: string) => fs.readFileSync(path.join(tmp, f), 'utf8');
    for (const { id } of apps) expect(read(`tls/${id}/ca.crt`)).toBe(read('pki/ca.crt'));
    const before = Object.fromEntries(published.map((f) => [f, read(f)]));
    // The controllers' SECRETS_KEY_FILE: 32 random bytes, owner-only.
    const keyFile = path.join(tmp, 'secrets', 'secrets.key');
    expect(fs.readdirSync(path.join(tmp, 'secrets'))).toEqual(['secrets.key']);
    expect(fs.statSync(keyFile).size).toBe(32);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(keyFile);
    // A second `up` changes nothing (the key included); a re-issue replaces exactly that certificate.
    run();
    expect(Object.fromEntries(published.map((f) => [f, read(f)]))).toEqual(before);
    expect(fs.readFileSync(keyFile).equals(key)).toBe(true);
    run('certs', 'issue', 'runtime', 'runtime-1a', '--dir', path.join(tmp, 'pki'));
    const changed = published.filter((f) => read(f) !== before[f]);
    expect(changed).toEqual(['tls/runtime-1a/runtime-runtime-1a.crt', 'tls/runtime-1a/runtime-runtime-1a.key']);
    expect(read('tls/runtime-1a/runtime-runtime-1a.crt')).toBe(read('pki/runtime-runtime-1a.crt'));
  });

  it('fails on open doors in compose: ports on every interface, a default admin token', () => {
    const root = copy();
    edit(root, 'docker-compose.yml', '"127.0.0.1:8404:8404"', '"8404:8404"');
    edit(root, 'docker-compose.yml', '"127.0.0.1:8081:8080"', '"0.0.0.0:8081:8080"');
    const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    fs.writeFileSync(path.join(root, 'docker-compose.yml'), text.replace(/ADMIN_TOKEN: \$\{ADMIN_TOKEN:\?[^\n]*\n/, 'ADMIN_TOKEN: ${ADMIN_TOKEN:-change-me}\n'));
    expectProblems(
      root,
      'services.lb: publishes port "8404:8404" on every interface',
      'services.controller-2: publishes port "0.0.0.0:8081:8080" on every interface',
      'services.controller-1: ADMIN_TOKEN must be required from the environment',
    );
  });

  it('fails when the load balancer does not health-check every runtime on its admin port', () => {
    const root = copy();
    edit(root, 'deploy/haproxy/haproxy.cfg', '    server runtime-2b runtime-2b:8000\n', '');
    edit(root, 'deploy/haproxy/haproxy.cfg', 'check port 9901', 'check port 8000');
    expectProblems(root, 'haproxy.cfg: has no server for runtime runtime-2b', 'health checks go to port 8000, but runtime-1a serves /health/ready on 9901');
  });

  it.skipIf(spawnSync('haproxy', ['-v']).status !== 0 && spawnSync('/usr/sbin/haproxy', ['-v']).status !== 0)('runs haproxy -c where HAProxy is installed, and fails on a directive it rejects', () => {
    expect(validate().stdout).toContain('haproxy -c passed');
    const root = copy();
    edit(root, 'deploy/haproxy/haproxy.cfg', '    balance roundrobin\n', '    balance roundrobin\n    balance-everything now\n');
    expectProblems(root, 'deploy/haproxy/haproxy.cfg: haproxy -c rejects it');
  });

  it('fails on Kubernetes wiring: probe ports, budgets, drain time, Secret keys, selectors', () => {
    const root = copy();
    edit(root, 'deploy/k8s/runtime-zone-b.yaml', '              path: /health/ready\n              port: admin', '              path: /health/ready\n              port: http');
    edit(root, 'deploy/k8s/runtime-zone-a.yaml', 'minAvailable: 2', 'minAvailable: 3');
    edit(root, 'deploy/k8s/controller.yaml', 'terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 10');
    edit(root, 'deploy/k8s/controller.yaml', 'key: admin-token', 'key: admin_token');
    edit(root, 'deploy/k8s/runtime-service.yaml', '      targetPort: http\n', '      targetPort: web\n');
    expectProblems(
      root,
      'Deployment/gateway-runtime-zone-b container runtime: readinessProbe goes to port http, but the health endpoints are on 9901',
      'PodDisruptionBudget/gateway-runtime-zone-a: minAvailable 3 with 3 replica(s) of gateway-runtime-zone-a blocks every voluntary eviction',
      'Deployment/gateway-controller: terminationGracePeriodSeconds 10 is shorter than preStop 5 s',
      'env ADMIN_TOKEN refers to key admin_token, which Secret gateway-secrets does not have',
      'Service/gateway-runtime: targetPort web is not a container port of gateway-runtime-zone-a',
    );
  });

  it('fails on what only the official schemas know: compose-spec and the Kubernetes OpenAPI models', () => {
    const root = copy();
    edit(root, 'docker-compose.yml', '  stop_grace_period: 20s\n', '  stop_grace_period: 20s\n  mem_limit: [1g]\n');
    edit(root, 'deploy/k8s/controller.yaml', '  replicas: 2\n', '  replicas: two\n');
    expectProblems(root, 'docker-compose.yml (compose-spec)', 'Deployment/', '(kubernetes-models)');
  });

  it('fails when an app mounts a volume that holds another app\'s private key', () => {
    const root = copy();
    // Two runtimes on one volume (each can read the other's key), and a controller given a runtime's volume on the side.
    edit(root, 'docker-compose.yml', '      - tls-runtime-1a:/etc/gateway/tls:ro\n', '      - tls-runtime-2a:/etc/gateway/tls:ro\n');
    edit(root, 'docker-compose.yml', '      - tls-controller-2:/etc/gateway/tls:ro\n', '      - tls-controller-2:/etc/gateway/tls:ro\n      - tls-runtime-1c:/etc/gateway/extra:ro\n');
    expectProblems(
      root,
      "services.runtime-1a: mounts tls-runtime-2a, which holds runtime-2a's private key (CONTROLLER_TLS_KEY_FILE=/etc/gateway/tls/runtime-runtime-2a.key)",
      "services.runtime-2a: mounts tls-runtime-2a, which holds runtime-1a's private key (CONTROLLER_TLS_KEY_FILE=/etc/gateway/tls/runtime-runtime-1a.key)",
      "services.controller-2: mounts tls-runtime-1c, which holds runtime-1c's private key",
    );
  });

  it('fails on one volume with every key mounted by every app (the layout before per-app volumes)', () => {
    const root = copy();
    const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8').replace(/- tls-[a-z0-9-]+:\/etc\/gateway\/tls:ro/g, '- tls-runtime-1a:/etc/gateway/tls:ro');
    fs.writeFileSync(path.join(root, 'docker-compose.yml'), text);
    expectProblems(root, "services.runtime-2c: mounts tls-runtime-1a, which holds controller-1's private key", "services.controller-1: mounts tls-runtime-1a, which holds runtime-2c's private key");
  });

  it('fails when a NetworkPolicy lets runtimes reach PostgreSQL', () => {
    const root = copy();
    edit(root, 'deploy/k8s/network-policies.yaml', 'endPort: 5431', 'endPort: 6000');
    expectProblems(root, 'an egress rule lets runtime pods (gateway-runtime-zone-a) reach port 5432');
    const none = copy();
    edit(none, 'deploy/k8s/network-policies.yaml', 'policyTypes: [Egress]', 'policyTypes: [Ingress]');
    expectProblems(none, 'no NetworkPolicy restricts its egress: runtimes could reach PostgreSQL');
  });

  it('fails when the Dockerfile loses a target, its HEALTHCHECK, its non-root user or the runtime\'s GC flag', () => {
    const root = copy();
    edit(root, 'deploy/Dockerfile', 'FROM ${NODE_IMAGE} AS sample-upstream', 'FROM ${NODE_IMAGE} AS upstream');
    const text = fs.readFileSync(path.join(root, 'deploy/Dockerfile'), 'utf8');
    // Drop the runtime stage's USER line (the second one), its HEALTHCHECK and --single-threaded-gc.
    const runtimeStart = text.indexOf('AS runtime');
    const tail = text
      .slice(runtimeStart)
      .replace('USER node\n', '')
      .replace(/HEALTHCHECK [^\n]*\\\n[^\n]*\n/, '')
      .replace('"--single-threaded-gc", ', '');
    fs.writeFileSync(path.join(root, 'deploy/Dockerfile'), text.slice(0, runtimeStart) + tail);
    expectProblems(
      root,
      'deploy/Dockerfile: has no stage (target) named sample-upstream',
      'target runtime has no HEALTHCHECK',
      'target runtime runs as root',
      'target runtime does not start node with --single-threaded-gc',
      'services.upstream-a: build target "sample-upstream" is not a stage',
    );
  });
});
