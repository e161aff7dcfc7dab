// Validates the deployment assets without Docker or a cluster:
//   deploy/Dockerfile, docker-compose.yml (+ deploy/haproxy/haproxy.cfg), deploy/k8s (kustomize).
// Structure is checked against the official compose-spec JSON schema (bundled by dclint)
// and the Kubernetes OpenAPI models (kubernetes-models), plus a stricter hand-written subset
// (the fields these files use; unknown compose keys are errors), and the wiring across
// files: depends_on targets and their healthchecks, probe ports, selectors, Secret and
// ConfigMap keys, drain budgets. The key check: every variable set for a controller or
// runtime is one that app reads (apps/<app>/src/**/*.ts: its declarations
// `NAME: envVar.int({ default: 5_000, … })`, see @gw/app-kit, and any direct env['NAME']),
// and every variable the app requires (`NAME: envVar.required(…)`) is set.
// The config stream's certificates: TLS file variables set (or CONFIG_INSECURE=true) and
// under a mount, compose's issuing service and per-id files, no app mounting a volume that
// holds another app's key, Kubernetes Secret volumes and
// the optional deploy/k8s/cert-manager Certificates / csi-driver volumes. No open doors in
// compose: published ports on 127.0.0.1, ADMIN_TOKEN required.
// Usage: node tools/validate-deploy.mjs [repoRoot]   (exit 1 on any problem)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parseDocument } from 'yaml';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const errors = [];
const fail = (where, msg) => errors.push(`${where}: ${msg}`);
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const rel = (p) => path.relative(root, p) || '.';

const ROLES = ['controller', 'runtime'];
/** Variables an image may set that no app reads. */
const IMAGE_EXTRA_ENV = new Set(['NODE_ENV']);
/**
 * The config stream's TLS files, per role (README: Configuration). Every controller and
 * runtime sets all of them (or CONFIG_INSECURE=true), each to a file under a mounted volume.
 */
const TLS_FILES = {
  controller: ['CONFIG_TLS_CERT_FILE', 'CONFIG_TLS_KEY_FILE', 'CONFIG_TLS_CLIENT_CA_FILE'],
  runtime: ['CONTROLLER_TLS_CA_FILE', 'CONTROLLER_TLS_CERT_FILE', 'CONTROLLER_TLS_KEY_FILE'],
};
/** What SIGTERM may take, per role: the drain settings (summed) plus a fixed part (ms). */
const DRAIN = {
  controller: { vars: ['SHUTDOWN_GRACE_MS'], fixedMs: 2_000 }, // stream hand-off (≤ 2 s), then HTTP drain
  runtime: { vars: ['DRAIN_GRACE_MS', 'WEBSOCKET_DRAIN_MS', 'SHUTDOWN_GRACE_MS'], fixedMs: 0 },
};
/** The port each role's health endpoints listen on, and its other listener. */
const PORTS = {
  controller: { health: 'CONTROLLER_HTTP_PORT', other: 'CONTROLLER_GRPC_PORT' },
  runtime: { health: 'RUNTIME_ADMIN_PORT', other: 'RUNTIME_HTTP_PORT' },
};

// ---------------------------------------------------------------------------------------
// The apps' environment: what they read, their numeric defaults, what they require.

function* tsFiles(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts') && !/\.(spec|test)\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

function envCatalogue(app) {
  const known = new Map();
  const required = new Set();
  for (const file of tsFiles(path.join(root, 'apps', app, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\benv\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g)) if (!known.has(m[1])) known.set(m[1], undefined);
    // A declaration: the name, the kind, and a numeric default if the line gives one.
    for (const m of text.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:\s*envVar\.(\w+)\(([^\n]*)/gm)) {
      const def = /\bdefault:\s*(-?[0-9][0-9_]*)\s*[,}]/.exec(m[3]);
      known.set(m[1], def ? Number(def[1].replaceAll('_', '')) : known.get(m[1]));
      if (m[2] === 'required') required.add(m[1]);
    }
  }
  if (known.size === 0) fail(`apps/${app}/src`, 'found no environment variables (did the env parsing break?)');
  return { known, required };
}

const apps = Object.fromEntries(ROLES.map((r) => [r, envCatalogue(r)]));

/** Checks a set of variables given to a role; `where` names the service or container. */
function checkRoleEnv(where, role, provided, { allowExtra = new Set() } = {}) {
  const { known, required } = apps[role];
  for (const name of provided.keys()) {
    if (!known.has(name) && !allowExtra.has(name)) fail(where, `sets ${name}, which the ${role} does not read (apps/${role}/src)`);
  }
  for (const name of required) if (!provided.has(name)) fail(where, `does not set ${name}, which the ${role} requires`);
  if (provided.get('CONFIG_INSECURE') !== 'true') {
    for (const name of TLS_FILES[role]) if (!provided.has(name)) fail(where, `does not set ${name}: the ${role} refuses to start without TLS on the config stream (unless CONFIG_INSECURE=true)`);
  }
}

/** Each TLS file variable with a literal path must point into one of the container's mounts. */
function checkTlsFilesMounted(where, role, env, mountPaths) {
  for (const name of TLS_FILES[role]) {
    const file = env.get(name);
    if (typeof file !== 'string' || !file.startsWith('/')) continue;
    if (!mountPaths.some((m) => file.startsWith(m.replace(/\/?$/, '/')))) fail(where, `${name}=${file} is not under any mounted volume (${mountPaths.join(', ') || 'none'})`);
  }
}

/** A numeric setting: the value given (when a plain number) or the app's default. */
function numericSetting(role, env, name) {
  const raw = env.get(name);
  if (raw !== undefined && /^\d+$/.test(String(raw))) return Number(raw);
  const def = apps[role].known.get(name);
  return typeof def === 'number' ? def : undefined;
}

function drainBudgetMs(role, env) {
  let total = DRAIN[role].fixedMs;
  for (const v of DRAIN[role].vars) if (apps[role].known.has(v)) total += numericSetting(role, env, v) ?? 0;
  return total;
}

// ---------------------------------------------------------------------------------------
// deploy/Dockerfile

function readDockerfile(file) {
  const stages = new Map();
  if (!fs.existsSync(file)) {
    fail(rel(file), 'missing');
    return stages;
  }
  const text = fs.readFileSync(file, 'utf8');
  // A parser directive makes BuildKit fetch a frontend image: the offline build fails.
  if (/^#\s*syntax\s*=/im.test(text.split(/\r?\n\s*\r?\n/)[0] ?? '')) fail(rel(file), 'has a "# syntax=" line: BuildKit would fetch a frontend image, which fails without a registry');
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const args = new Map();
  let stage;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [instr, ...rest] = line.split(/\s+/);
    const body = rest.join(' ');
    switch (instr.toUpperCase()) {
      case 'ARG': {
        const [k, v] = body.split('=');
        if (!stage) args.set(k, v);
        break;
      }
      case 'FROM': {
        const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(body);
        if (!m) {
          fail(rel(file), `cannot read "FROM ${body}"`);
          break;
        }
        const from = m[1].replace(/^\$\{?(\w+)\}?$/, (_, a) => args.get(a) ?? `\${${a}}`);
        const parent = stages.get(from);
        stage = { name: m[2] ?? `#${stages.size}`, from, env: new Map(parent?.env ?? []), healthcheck: parent?.healthcheck ?? null, user: parent?.user ?? 'root', cmd: parent?.cmd ?? null };
        stages.set(stage.name, stage);
        break;
      }
      case 'ENV': {
        if (!stage) break;
        const pairs = [...body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)];
        if (pairs.length) for (const p of pairs) stage.env.set(p[1], p[2].replace(/^"|"$/g, ''));
        else {
          const [k, ...v] = body.split(/\s+/);
          stage.env.set(k, v.join(' '));
        }
        break;
      }
      case 'HEALTHCHECK':
        if (stage) stage.healthcheck = /\bNONE\b/i.test(body) ? null : body;
        break;
      case 'USER':
        if (stage) stage.user = body;
        break;
      case 'CMD':
        if (stage) stage.cmd = body;
        break;
      default:
    }
  }
  return stages;
}

const dockerfilePath = path.join(root, 'deploy', 'Dockerfile');
const stages = readDockerfile(dockerfilePath);
{
  const where = 'deploy/Dockerfile';
  const base = [...stages.values()][0];
  if (base && !/^node:24(\.|-|$)/.test(base.from)) fail(where, `builds on ${base.from}; expected node:24-slim`);
  for (const role of [...ROLES, 'sample-upstream']) {
    const s = stages.get(role);
    if (!s) {
      fail(where, `has no stage (target) named ${role}`);
      continue;
    }
    if (!s.healthcheck) fail(where, `target ${role} has no HEALTHCHECK`);
    if (s.user === 'root' || s.user === '0' || s.user.startsWith('0:')) fail(where, `target ${role} runs as root (add USER)`);
    if (!/^node:24(\.|-|$)/.test(rootImage(s))) fail(where, `target ${role} builds on ${rootImage(s)}; expected node:24-slim`);
    if (!ROLES.includes(role)) continue;
    if (!s.cmd || !s.cmd.includes(`apps/${role}/dist/main.js`)) fail(where, `target ${role} does not run apps/${role}/dist/main.js`);
    // Runtimes run without background GC threads competing with their event loop (README, "Decisions worth knowing").
    if (role === 'runtime' && s.cmd && !s.cmd.includes('--single-threaded-gc')) fail(where, 'target runtime does not start node with --single-threaded-gc');
    for (const name of s.env.keys()) if (!apps[role].known.has(name) && !IMAGE_EXTRA_ENV.has(name)) fail(where, `target ${role} sets ENV ${name}, which the ${role} does not read`);
    for (const m of (s.healthcheck ?? '').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) {
      if (!apps[role].known.has(m[1])) fail(where, `the ${role} HEALTHCHECK reads ${m[1]}, which the ${role} does not read`);
    }
    if (s.healthcheck && !s.healthcheck.includes(`process.env.${PORTS[role].health}`)) fail(where, `the ${role} HEALTHCHECK does not use ${PORTS[role].health}`);
    if (s.healthcheck && !s.healthcheck.includes('/health/')) fail(where, `the ${role} HEALTHCHECK does not call a /health endpoint`);
  }
}

function rootImage(s) {
  let cur = s;
  for (let i = 0; i < 20 && stages.has(cur.from); i++) cur = stages.get(cur.from);
  return cur.from;
}

// ---------------------------------------------------------------------------------------
// docker-compose.yml

const DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h))+$/;
let haproxyChecked = false;
const COMPOSE_TOP = new Set(['name', 'services', 'networks', 'volumes', 'configs', 'secrets', 'include']);
const SERVICE_KEYS = new Set([
  'build', 'image', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'depends_on',
  'healthcheck', 'restart', 'stop_grace_period', 'stop_signal', 'labels', 'networks', 'init', 'user', 'read_only',
  'tmpfs', 'deploy', 'logging', 'container_name', 'hostname', 'ulimits', 'cap_drop', 'cap_add', 'security_opt',
  'profiles', 'working_dir', 'extra_hosts', 'platform', 'pull_policy', 'shm_size',
]);
const BUILD_KEYS = new Set(['context', 'dockerfile', 'target', 'args', 'labels', 'cache_from', 'cache_to', 'network', 'platforms', 'tags', 'pull', 'no_cache']);
const HEALTHCHECK_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable']);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;
const PORT_SHORT = /^((\d{1,3}\.){3}\d{1,3}:|\[[0-9a-fA-F:]+\]:)?((\d+(-\d+)?):)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function durationMs(v) {
  let total = 0;
  for (const m of String(v).matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)) total += Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]];
  return total;
}

function readYaml(file, where) {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), { merge: true, uniqueKeys: true });
  for (const e of doc.errors) fail(where, `YAML: ${e.message.split('\n')[0]}`);
  return doc.errors.length ? undefined : doc.toJS({ maxAliasCount: 1000 });
}

/** Environment as a Map (map or KEY=VALUE list syntax); reports malformed entries. */
function composeEnv(where, env) {
  const out = new Map();
  if (env === undefined) return out;
  if (Array.isArray(env)) {
    for (const e of env) {
      if (typeof e !== 'string') fail(where, `environment entry ${JSON.stringify(e)} is not a string`);
      else {
        const [k, ...v] = e.split('=');
        out.set(k, v.length ? v.join('=') : undefined);
      }
    }
  } else if (isObj(env)) {
    for (const [k, v] of Object.entries(env)) {
      if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) fail(where, `environment ${k} must be a string, number, boolean or null`);
      out.set(k, v === null ? undefined : String(v));
    }
  } else fail(where, 'environment must be a map or a list');
  for (const k of out.keys()) if (!ENV_NAME.test(k)) fail(where, `environment name "${k}" is not valid`);
  return out;
}

function validateCompose() {
  const file = path.join(root, 'docker-compose.yml');
  if (!fs.existsSync(file)) return fail('docker-compose.yml', 'missing');
  const doc = readYaml(file, 'docker-compose.yml');
  if (!isObj(doc)) return fail('docker-compose.yml', 'is not a mapping');
  for (const k of Object.keys(doc)) if (!COMPOSE_TOP.has(k) && !k.startsWith('x-')) fail('docker-compose.yml', `unknown top-level key "${k}"`);
  // Debian's docker-compose (v1, what `npm run compose:up` uses there) refuses the file with it.
  if ('name' in doc) fail('docker-compose.yml', 'top-level "name:" makes docker-compose v1 refuse the file: set the project name with -p or COMPOSE_PROJECT_NAME');
  const services = doc.services;
  if (!isObj(services) || Object.keys(services).length === 0) return fail('docker-compose.yml', 'has no services');
  const volumes = isObj(doc.volumes) ? doc.volumes : {};
  const info = new Map();

  for (const [name, svc] of Object.entries(services)) {
    const where = `docker-compose.yml services.${name}`;
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) fail(where, 'invalid service name');
    if (!isObj(svc)) {
      fail(where, 'is not a mapping');
      continue;
    }
    for (const k of Object.keys(svc)) if (!SERVICE_KEYS.has(k) && !k.startsWith('x-')) fail(where, `unknown key "${k}"`);
    if (svc.image === undefined && svc.build === undefined) fail(where, 'needs image or build');
    if (svc.image !== undefined && typeof svc.image !== 'string') fail(where, 'image must be a string');
    let target;
    if (svc.build !== undefined) {
      const b = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      if (!isObj(b)) fail(where, 'build must be a string or a mapping');
      else {
        for (const k of Object.keys(b)) if (!BUILD_KEYS.has(k) && !k.startsWith('x-')) fail(where, `unknown build key "${k}"`);
        const ctx = path.resolve(root, b.context ?? '.');
        if (!fs.existsSync(ctx)) fail(where, `build context ${b.context} does not exist`);
        const df = path.resolve(ctx, b.dockerfile ?? 'Dockerfile');
        if (df !== dockerfilePath) fail(where, `builds with ${rel(df)}; only deploy/Dockerfile is checked`);
        target = b.target;
        if (target !== undefined && !stages.has(target)) fail(where, `build target "${target}" is not a stage of deploy/Dockerfile`);
      }
    }
    const env = composeEnv(where, svc.environment);
    if (svc.env_file !== undefined) fail(where, 'env_file is not checked by this validator: set variables in environment');
    if (svc.ports !== undefined) {
      if (!Array.isArray(svc.ports)) fail(where, 'ports must be a list');
      else
        for (const p of svc.ports) {
          if (typeof p === 'number') continue;
          if (typeof p === 'string' && PORT_SHORT.test(p)) continue;
          if (isObj(p) && Number.isInteger(p.target)) continue;
          fail(where, `port ${JSON.stringify(p)} is not valid`);
        }
    }
    if (svc.volumes !== undefined) {
      if (!Array.isArray(svc.volumes)) fail(where, 'volumes must be a list');
      else
        for (const v of svc.volumes) {
          if (isObj(v)) {
            if (!v.target) fail(where, `volume ${JSON.stringify(v)} needs a target`);
            continue;
          }
          if (typeof v !== 'string') {
            fail(where, `volume ${JSON.stringify(v)} is not valid`);
            continue;
          }
          const [src, dst, mode] = v.split(':');
          if (!dst || !dst.startsWith('/')) fail(where, `volume "${v}" needs an absolute container path`);
          if (mode !== undefined && !/^(ro|rw|z|Z)(,(ro|rw|z|Z))*$/.test(mode)) fail(where, `volume "${v}" has an unknown mode`);
          if (src.startsWith('.') || src.startsWith('/')) {
            if (!fs.existsSync(path.resolve(root, src))) fail(where, `bind-mounted ${src} does not exist`);
          } else if (!(src in volumes)) fail(where, `named volume "${src}" is not declared under volumes`);
        }
    }
    let healthcheck = null;
    if (svc.healthcheck !== undefined) {
      const h = svc.healthcheck;
      if (!isObj(h)) fail(where, 'healthcheck must be a mapping');
      else {
        for (const k of Object.keys(h)) if (!HEALTHCHECK_KEYS.has(k)) fail(where, `unknown healthcheck key "${k}"`);
        for (const k of ['interval', 'timeout', 'start_period', 'start_interval']) if (h[k] !== undefined && !DURATION.test(String(h[k]))) fail(where, `healthcheck.${k} "${h[k]}" is not a duration`);
        if (h.retries !== undefined && !(Number.isInteger(h.retries) && h.retries >= 0)) fail(where, 'healthcheck.retries must be a non-negative integer');
        const t = h.test;
        const okTest = typeof t === 'string' || (Array.isArray(t) && t.length > 0 && ['CMD', 'CMD-SHELL', 'NONE'].includes(t[0]) && t.every((x) => typeof x === 'string'));
        if (!h.disable && !okTest) fail(where, 'healthcheck.test must be a string or a list starting with CMD, CMD-SHELL or NONE');
        if (!h.disable && !(Array.isArray(t) && t[0] === 'NONE')) healthcheck = Array.isArray(t) ? t.join(' ') : String(t);
      }
    } else if (target && stages.get(target)?.healthcheck) healthcheck = stages.get(target).healthcheck;
    if (svc.restart !== undefined && !RESTART.test(String(svc.restart))) fail(where, `restart "${svc.restart}" is not valid`);
    if (svc.stop_grace_period !== undefined && !DURATION.test(String(svc.stop_grace_period))) fail(where, `stop_grace_period "${svc.stop_grace_period}" is not a duration`);

    let deps = {};
    if (svc.depends_on !== undefined) {
      if (Array.isArray(svc.depends_on)) deps = Object.fromEntries(svc.depends_on.map((d) => [d, { condition: 'service_started' }]));
      else if (isObj(svc.depends_on)) {
        deps = svc.depends_on;
        for (const [d, spec] of Object.entries(deps)) {
          if (!isObj(spec)) fail(where, `depends_on.${d} must be a mapping`);
          else {
            for (const k of Object.keys(spec)) if (!['condition', 'restart', 'required'].includes(k)) fail(where, `unknown depends_on.${d} key "${k}"`);
            if (!CONDITIONS.has(spec.condition)) fail(where, `depends_on.${d}.condition "${spec.condition}" is not one of ${[...CONDITIONS].join(', ')}`);
          }
        }
      } else fail(where, 'depends_on must be a list or a mapping');
    }
    const role = ROLES.includes(target) ? target : ROLES.find((r) => typeof svc.image === 'string' && svc.image.includes(`gateway-${r}`));
    info.set(name, { svc, env, target, role, healthcheck, deps });
  }

  // Cross-service wiring.
  for (const [name, s] of info) {
    const where = `docker-compose.yml services.${name}`;
    for (const [dep, spec] of Object.entries(s.deps)) {
      const d = info.get(dep);
      if (!d) fail(where, `depends on "${dep}", which is not a service`);
      else if (spec?.condition === 'service_healthy' && !d.healthcheck) fail(where, `waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
    }
  }
  const visiting = new Set();
  const done = new Set();
  const visit = (n, trail) => {
    if (done.has(n) || !info.has(n)) return;
    if (visiting.has(n)) return fail('docker-compose.yml', `depends_on cycle: ${[...trail, n].join(' -> ')}`);
    visiting.add(n);
    for (const d of Object.keys(info.get(n).deps)) visit(d, [...trail, n]);
    visiting.delete(n);
    done.add(n);
  };
  for (const n of info.keys()) visit(n, []);

  // The apps' variables, health endpoints and drain budgets.
  const byRole = { controller: [], runtime: [] };
  for (const [name, s] of info) {
    if (!s.role) continue;
    const where = `docker-compose.yml services.${name}`;
    byRole[s.role].push(name);
    const imageEnv = stages.get(s.role)?.env ?? new Map();
    const effective = new Map([...imageEnv, ...s.env]);
    checkRoleEnv(where, s.role, new Map([...s.env, ...[...imageEnv].filter(([k]) => !IMAGE_EXTRA_ENV.has(k))]));
    const mounts = (Array.isArray(s.svc.volumes) ? s.svc.volumes : []).map((v) => (isObj(v) ? v.target : String(v).split(':')[1])).filter(Boolean);
    checkTlsFilesMounted(where, s.role, s.env, mounts);
    const healthPort = numericSetting(s.role, effective, PORTS[s.role].health);
    if (!s.healthcheck) fail(where, 'has no healthcheck');
    else if (!s.healthcheck.includes(`:${healthPort}/health/ready`) && !s.healthcheck.includes(`process.env.${PORTS[s.role].health}`)) {
      fail(where, `healthcheck does not call /health/ready on port ${healthPort} (${PORTS[s.role].health})`);
    }
    const grace = s.svc.stop_grace_period === undefined ? 10_000 : durationMs(s.svc.stop_grace_period);
    const budget = drainBudgetMs(s.role, effective);
    if (grace < budget) fail(where, `stop_grace_period ${grace / 1000} s is shorter than the drain it allows (${budget / 1000} s: ${DRAIN[s.role].vars.join(' + ')})`);
  }

  // No open doors: published ports listen on the loopback interface only, and the admin
  // token has no default (compose stops with the message unless ADMIN_TOKEN is set).
  for (const [n, s] of info) {
    for (const p of Array.isArray(s.svc.ports) ? s.svc.ports : []) {
      const hostIp = isObj(p) ? p.host_ip : typeof p === 'string' && p.split(':').length === 3 ? p.split(':')[0] : undefined;
      if (hostIp !== '127.0.0.1') fail(`docker-compose.yml services.${n}`, `publishes port ${JSON.stringify(p)} on every interface: bind it to 127.0.0.1 ("127.0.0.1:HOST:CONTAINER")`);
    }
  }
  for (const n of byRole.controller) {
    const token = info.get(n).env.get('ADMIN_TOKEN');
    if (token !== undefined && !/^\$\{ADMIN_TOKEN:\?[^}]+\}$/.test(token)) fail(`docker-compose.yml services.${n}`, 'ADMIN_TOKEN must be required from the environment (${ADMIN_TOKEN:?message}), not have a default');
  }

  // Certificates: each app's files name its own id (<role>-<id>.crt/.key, gatewayctl's
  // layout), and the service that issues them (CONTROLLERS / RUNTIMES) lists that id and
  // runs to completion before the app starts.
  const issuers = [...info].filter(([, s]) => s.env.has('CONTROLLERS') || s.env.has('RUNTIMES'));
  for (const role of ROLES) {
    const [certVar, keyVar] = TLS_FILES[role].filter((v) => !/_CA_FILE$/.test(v));
    for (const n of byRole[role]) {
      const s = info.get(n);
      const where = `docker-compose.yml services.${n}`;
      const id = s.env.get(role === 'controller' ? 'CONTROLLER_ID' : 'RUNTIME_ID') ?? n;
      for (const [v, ext] of [[certVar, 'crt'], [keyVar, 'key']]) {
        const file = s.env.get(v);
        if (file !== undefined && path.posix.basename(file) !== `${role}-${id}.${ext}`) fail(where, `${v}=${file} is not this ${role}'s file (${role}-${id}.${ext})`);
      }
      for (const [issuer, is] of issuers) {
        const listed = (is.env.get(role === 'controller' ? 'CONTROLLERS' : 'RUNTIMES') ?? '').split(/\s+/).filter(Boolean);
        if (!listed.includes(id)) fail(`docker-compose.yml services.${issuer}`, `issues no certificate for ${role} ${id} (add it to ${role === 'controller' ? 'CONTROLLERS' : 'RUNTIMES'})`);
        if (s.deps[issuer]?.condition !== 'service_completed_successfully') fail(where, `does not wait for ${issuer} (depends_on condition service_completed_successfully)`);
      }
    }
  }

  // Private keys: the volume holding an app's key (the mount its *_TLS_KEY_FILE is under)
  // is mounted by no other app. A compromised runtime must not read a controller's key, or
  // another runtime's, and speak for it.
  const mountsOf = (s) =>
    (Array.isArray(s.svc.volumes) ? s.svc.volumes : [])
      .map((v) => (isObj(v) ? { source: v.source, target: v.target } : { source: String(v).split(':')[0], target: String(v).split(':')[1] }))
      .filter((m) => m.source && m.target);
  const apps = ROLES.flatMap((role) => byRole[role].map((n) => ({ n, role })));
  for (const { n, role } of apps) {
    const keyVar = TLS_FILES[role].find((v) => /_KEY_FILE$/.test(v));
    const keyFile = info.get(n).env.get(keyVar);
    if (typeof keyFile !== 'string' || !keyFile.startsWith('/')) continue;
    const holding = mountsOf(info.get(n))
      .filter((m) => keyFile.startsWith(m.target.replace(/\/?$/, '/')))
      .sort((a, b) => b.target.length - a.target.length)[0];
    if (!holding) continue; // reported above: not under any mount
    for (const other of apps) {
      if (other.n === n || !mountsOf(info.get(other.n)).some((m) => m.source === holding.source)) continue;
      fail(`docker-compose.yml services.${other.n}`, `mounts ${holding.source}, which holds ${n}'s private key (${keyVar}=${keyFile}): give each app a volume with only its own key and certificate`);
    }
  }

  // The topology the demo promises.
  // `${POSTGRES_IMAGE:-postgres:17}`: the public default counts (the variable is what
  // deploy/local/compose.sh sets to a locally built image).
  const imageOf = (n) => String(info.get(n).svc.image ?? '').replace(/^\$\{[A-Z_][A-Z0-9_]*:-([^}]+)\}$/, '$1');
  const postgres = [...info.keys()].filter((n) => imageOf(n).startsWith('postgres'));
  const redis = [...info.keys()].filter((n) => imageOf(n).startsWith('redis'));
  const lbs = [...info.keys()].filter((n) => imageOf(n).startsWith('haproxy'));
  if (postgres.length !== 1) fail('docker-compose.yml', `expected one PostgreSQL service, found ${postgres.length}`);
  if (redis.length !== 1) fail('docker-compose.yml', `expected one Redis service, found ${redis.length}`);
  if (byRole.controller.length < 2) fail('docker-compose.yml', `expected at least two controllers, found ${byRole.controller.length}`);
  const zones = new Map();
  for (const n of byRole.runtime) {
    const z = info.get(n).env.get('ZONE') ?? 'default';
    zones.set(z, [...(zones.get(z) ?? []), n]);
  }
  if (zones.size < 3 || [...zones.values()].some((l) => l.length < 2)) {
    fail('docker-compose.yml', `expected two runtimes in each of three zones, found ${JSON.stringify(Object.fromEntries(zones))}`);
  }
  for (const n of byRole.controller) {
    const url = info.get(n).env.get('DATABASE_URL') ?? '';
    const host = /@([^:/]+)/.exec(url)?.[1];
    if (!postgres.includes(host)) fail(`docker-compose.yml services.${n}`, `DATABASE_URL host "${host}" is not the PostgreSQL service`);
    if (!('postgres' in info.get(n).deps) && !postgres.some((p) => p in info.get(n).deps)) fail(`docker-compose.yml services.${n}`, 'does not wait for PostgreSQL');
  }
  for (const n of byRole.runtime) {
    const s = info.get(n);
    const where = `docker-compose.yml services.${n}`;
    for (const entry of (s.env.get('CONTROLLER_ADDRESSES') ?? '').split(',').filter(Boolean)) {
      const addr = entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry;
      const [host, port] = addr.split(':');
      const c = info.get(host);
      if (!c || c.role !== 'controller') {
        fail(where, `CONTROLLER_ADDRESSES names "${host}", which is not a controller service`);
        continue;
      }
      const grpc = numericSetting('controller', new Map([...(stages.get('controller')?.env ?? []), ...c.env]), PORTS.controller.other);
      if (Number(port) !== grpc) fail(where, `CONTROLLER_ADDRESSES uses ${host}:${port}, but ${host} serves gRPC on ${grpc}`);
      const zone = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : undefined;
      if (zone !== undefined && zone !== (c.env.get('ZONE') ?? 'default')) fail(where, `CONTROLLER_ADDRESSES tags ${host} with zone ${zone}, but its ZONE is ${c.env.get('ZONE')}`);
    }
    const redisHost = /^redis:\/\/(?:[^@]*@)?([^:/]+)/.exec(s.env.get('REDIS_URL') ?? '')?.[1];
    if (s.env.has('REDIS_URL') && !redis.includes(redisHost)) fail(where, `REDIS_URL host "${redisHost}" is not the Redis service`);
  }
  if (lbs.length !== 1) fail('docker-compose.yml', `expected one HAProxy load balancer service, found ${lbs.length}`);
  else validateHaproxy(lbs[0], info, byRole.runtime);
}

function validateHaproxy(lb, info, runtimes) {
  const where = `docker-compose.yml services.${lb}`;
  const s = info.get(lb);
  for (const r of runtimes) if (s.deps[r]?.condition !== 'service_healthy') fail(where, `does not wait for ${r} to be healthy`);
  const mount = (s.svc.volumes ?? []).find((v) => typeof v === 'string' && v.includes('haproxy.cfg'));
  if (!mount) return fail(where, 'does not mount a haproxy.cfg');
  const file = path.resolve(root, mount.split(':')[0]);
  const cfgWhere = rel(file);
  if (!fs.existsSync(file)) return;
  // The full syntax check, where HAProxy is installed (unresolvable server names are
  // only warnings: the config resolves them through Docker's DNS at run time).
  const haproxy = ['haproxy', '/usr/sbin/haproxy', '/usr/local/sbin/haproxy'].find((bin) => spawnSync(bin, ['-v'], { encoding: 'utf8' }).status === 0);
  if (haproxy) {
    const check = spawnSync(haproxy, ['-c', '-f', file], { encoding: 'utf8' });
    if (check.status !== 0) fail(cfgWhere, `haproxy -c rejects it:\n${(check.stdout + check.stderr).split('\n').filter((l) => /ALERT|error/i.test(l)).join('\n')}`);
  }
  haproxyChecked = haproxy !== undefined;
  const cfg = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/#.*$/, '').trim());
  const servers = cfg.map((l) => /^server\s+(\S+)\s+([^:\s]+):(\d+)/.exec(l)).filter(Boolean);
  const checkPort = Number(/\bcheck\b.*\bport\s+(\d+)/.exec(cfg.find((l) => /^default-server\b/.test(l)) ?? '')?.[1]);
  if (!cfg.some((l) => /^option\s+httpchk\b/.test(l))) fail(cfgWhere, 'has no option httpchk');
  if (!cfg.some((l) => /\/health\/ready\b/.test(l) && /^(option\s+httpchk|http-check\s+send)\b/.test(l))) fail(cfgWhere, 'does not health-check /health/ready');
  const seen = new Set(servers.map((m) => m[2]));
  for (const r of runtimes) if (!seen.has(r)) fail(cfgWhere, `has no server for runtime ${r}`);
  const runtimeImageEnv = stages.get('runtime')?.env ?? new Map();
  for (const m of servers) {
    const rt = info.get(m[2]);
    if (!rt || rt.role !== 'runtime') {
      fail(cfgWhere, `server ${m[1]} points at "${m[2]}", which is not a runtime service`);
      continue;
    }
    const env = new Map([...runtimeImageEnv, ...rt.env]);
    const proxyPort = numericSetting('runtime', env, 'RUNTIME_HTTP_PORT');
    const adminPort = numericSetting('runtime', env, 'RUNTIME_ADMIN_PORT');
    if (Number(m[3]) !== proxyPort) fail(cfgWhere, `server ${m[1]} uses port ${m[3]}, but ${m[2]} proxies on ${proxyPort}`);
    if (checkPort !== adminPort) fail(cfgWhere, `health checks go to port ${checkPort}, but ${m[2]} serves /health/ready on ${adminPort}`);
  }
}

// ---------------------------------------------------------------------------------------
// deploy/k8s (kustomize, plain resources)

const K8S_KINDS = new Set([
  'v1/Namespace', 'v1/ConfigMap', 'v1/Secret', 'v1/Service', 'v1/ServiceAccount', 'apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget', 'autoscaling/v2/HorizontalPodAutoscaler', 'networking.k8s.io/v1/NetworkPolicy',
]);
const KUSTOMIZE_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images']);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subset = (small, big) => isObj(small) && Object.keys(small).length > 0 && Object.entries(small).every(([k, v]) => isObj(big) && big[k] === v);

function validateK8s() {
  const dir = path.join(root, 'deploy', 'k8s');
  const kfile = path.join(dir, 'kustomization.yaml');
  if (!fs.existsSync(kfile)) return fail('deploy/k8s', 'kustomization.yaml is missing');
  const k = readYaml(kfile, 'deploy/k8s/kustomization.yaml');
  if (!isObj(k)) return;
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') fail('deploy/k8s/kustomization.yaml', 'is not a kustomize.config.k8s.io/v1beta1 Kustomization');
  for (const key of Object.keys(k)) if (!KUSTOMIZE_KEYS.has(key)) fail('deploy/k8s/kustomization.yaml', `uses "${key}", which this validator does not render (plain resources only)`);
  const objects = [];
  const load = (file, external) => {
    const where = rel(file);
    if (!fs.existsSync(file)) return fail('deploy/k8s/kustomization.yaml', `resource ${rel(file)} does not exist`);
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'), { uniqueKeys: true })) {
      for (const e of doc.errors) fail(where, `YAML: ${e.message.split('\n')[0]}`);
      const o = doc.toJS();
      if (o === null || o === undefined) continue;
      objects.push({ o, where: `${where} ${o?.kind ?? '?'}/${o?.metadata?.name ?? '?'}`, external });
    }
  };
  for (const r of k.resources ?? []) load(path.join(dir, r), false);
  // Objects the operator creates (not applied by kustomize) but the manifests refer to.
  const secretExample = path.join(dir, 'secret.example.yaml');
  if (fs.existsSync(secretExample)) load(secretExample, true);

  const byKind = new Map();
  for (const { o, where, external } of objects) {
    if (!isObj(o)) {
      fail(where, 'is not a mapping');
      continue;
    }
    if (!K8S_KINDS.has(`${o.apiVersion}/${o.kind}`)) fail(where, `unknown apiVersion/kind ${o.apiVersion}/${o.kind}`);
    const name = o.metadata?.name;
    if (typeof name !== 'string' || name.length > 63 || !DNS_LABEL.test(name)) fail(where, `metadata.name "${name}" is not a DNS-1123 label`);
    const list = byKind.get(o.kind) ?? [];
    if (list.some((x) => x.o.metadata?.name === name)) fail(where, `duplicate ${o.kind} ${name}`);
    list.push({ o, where, external });
    byKind.set(o.kind, list);
  }
  const all = (kind) => byKind.get(kind) ?? [];
  const find = (kind, name) => all(kind).find((x) => x.o.metadata?.name === name);
  const secretsExternal = all('Secret').every((x) => x.external);
  if (!secretsExternal) for (const s of all('Secret').filter((x) => !x.external)) fail(s.where, 'a Secret in the applied resources puts credentials in git: use secret.example.yaml');

  for (const { o, where } of all('ConfigMap')) {
    for (const [key, v] of Object.entries(o.data ?? {})) if (typeof v !== 'string') fail(where, `data.${key} must be a string (quote it)`);
  }

  const deployments = all('Deployment').map(({ o, where }) => ({ o, where, labels: o.spec?.template?.metadata?.labels ?? {} }));
  const hpas = all('HorizontalPodAutoscaler');
  for (const d of deployments) validateDeployment(d, { find, hpas });

  const matching = (selector) => deployments.filter((d) => subset(selector, d.labels));
  for (const { o, where } of all('Service')) {
    const targets = matching(o.spec?.selector);
    if (targets.length === 0) {
      fail(where, 'selects no Deployment');
      continue;
    }
    for (const p of o.spec?.ports ?? []) {
      if (!Number.isInteger(p.port)) fail(where, `port ${JSON.stringify(p)} has no numeric port`);
      const tp = p.targetPort ?? p.port;
      for (const d of targets) {
        const ports = (d.o.spec.template.spec.containers ?? []).flatMap((c) => c.ports ?? []);
        if (!ports.some((cp) => cp.name === tp || cp.containerPort === tp)) fail(where, `targetPort ${tp} is not a container port of ${d.o.metadata.name}`);
      }
    }
  }
  for (const { o, where } of all('PodDisruptionBudget')) {
    const sel = o.spec?.selector?.matchLabels;
    const targets = matching(sel);
    if (targets.length === 0) fail(where, 'selects no Deployment');
    if ((o.spec?.minAvailable === undefined) === (o.spec?.maxUnavailable === undefined)) fail(where, 'needs exactly one of minAvailable and maxUnavailable');
    const min = o.spec?.minAvailable;
    for (const d of targets) {
      const replicas = replicasOf(d, hpas);
      if (Number.isInteger(min) && replicas !== undefined && replicas <= min) fail(where, `minAvailable ${min} with ${replicas} replica(s) of ${d.o.metadata.name} blocks every voluntary eviction (node drains hang)`);
      if (d.labels['app.kubernetes.io/component'] === 'runtime' && min !== 2) fail(where, `runtime budgets keep minAvailable: 2 (found ${min})`);
    }
  }
  for (const { o, where } of hpas) {
    const ref = o.spec?.scaleTargetRef;
    const d = ref?.kind === 'Deployment' ? deployments.find((x) => x.o.metadata?.name === ref.name) : undefined;
    if (!d) {
      fail(where, `scaleTargetRef ${ref?.kind}/${ref?.name} is not a Deployment here`);
      continue;
    }
    const { minReplicas = 1, maxReplicas } = o.spec;
    if (!Number.isInteger(maxReplicas) || minReplicas < 1 || minReplicas > maxReplicas) fail(where, 'needs 1 <= minReplicas <= maxReplicas');
    for (const m of o.spec.metrics ?? []) {
      if (m.type === 'Resource' && m.resource?.target?.type === 'Utilization') {
        for (const c of d.o.spec.template.spec.containers ?? []) {
          if (!c.resources?.requests?.[m.resource.name]) fail(where, `scales on ${m.resource.name} utilization, but container ${c.name} of ${d.o.metadata.name} requests no ${m.resource.name}`);
        }
      }
    }
  }
  const byComponent = (c) => deployments.filter((d) => d.labels['app.kubernetes.io/component'] === c);
  if (byComponent('controller').length === 0) fail('deploy/k8s', 'has no controller Deployment');
  if (byComponent('runtime').length === 0) fail('deploy/k8s', 'has no runtime Deployment');
  for (const d of byComponent('runtime')) {
    if (!hpas.some((h) => h.o.spec?.scaleTargetRef?.name === d.o.metadata.name)) fail(d.where, 'has no HorizontalPodAutoscaler');
    if (!all('PodDisruptionBudget').some((p) => subset(p.o.spec?.selector?.matchLabels, d.labels))) fail(d.where, 'has no PodDisruptionBudget');
  }
  validateNetworkPolicies(all('NetworkPolicy'), byComponent('runtime'));
  validateCertManager(dir, deployments);
}

function replicasOf(d, hpas) {
  const hpa = hpas.find((h) => h.o.spec?.scaleTargetRef?.name === d.o.metadata?.name);
  if (hpa) return hpa.o.spec.minReplicas ?? 1;
  return d.o.spec?.replicas ?? 1;
}

function validateDeployment(d, { find, hpas }) {
  const { o, where, labels } = d;
  const spec = o.spec ?? {};
  const pod = spec.template?.spec ?? {};
  if (!subset(spec.selector?.matchLabels, labels)) fail(where, 'spec.selector.matchLabels must be non-empty and match the pod template labels');
  if (!Array.isArray(pod.containers) || pod.containers.length === 0) return fail(where, 'has no containers');
  if (pod.serviceAccountName && !find('ServiceAccount', pod.serviceAccountName)) fail(where, `serviceAccountName ${pod.serviceAccountName} is not defined here`);
  const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const v of pod.volumes ?? []) {
    if (!v.secret) continue;
    const secret = find('Secret', v.secret.secretName);
    if (!secret) {
      fail(where, `volume ${v.name} mounts Secret ${v.secret.secretName}, which is not defined (secret.example.yaml)`);
      continue;
    }
    const keys = Object.keys({ ...secret.o.data, ...secret.o.stringData });
    for (const item of v.secret.items ?? []) if (!keys.includes(item.key)) fail(where, `volume ${v.name} uses key ${item.key}, which Secret ${v.secret.secretName} does not have`);
  }
  for (const t of pod.topologySpreadConstraints ?? []) {
    if (!t.topologyKey || !Number.isInteger(t.maxSkew) || !['DoNotSchedule', 'ScheduleAnyway'].includes(t.whenUnsatisfiable)) fail(where, 'a topologySpreadConstraint needs topologyKey, maxSkew and whenUnsatisfiable');
    if (!subset(t.labelSelector?.matchLabels, labels)) fail(where, `topologySpreadConstraint on ${t.topologyKey} does not select this Deployment's pods`);
  }
  const role = ROLES.includes(labels['app.kubernetes.io/component']) ? labels['app.kubernetes.io/component'] : undefined;
  if (role === 'controller') {
    if (replicasOf(d, hpas) < 2) fail(where, 'runs fewer than two controller replicas');
    if (!(pod.topologySpreadConstraints ?? []).some((t) => t.topologyKey === 'topology.kubernetes.io/zone')) fail(where, 'does not spread controllers across zones');
  }
  if (role === 'runtime') {
    const zoneEnv = pod.containers.find((c) => c.name === 'runtime')?.env?.find((e) => e.name === 'ZONE')?.value;
    const affinity = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.flatMap((t) => t.matchExpressions ?? []) ?? [];
    const zoneTerm = affinity.find((e) => e.key === 'topology.kubernetes.io/zone');
    const spread = (pod.topologySpreadConstraints ?? []).some((t) => t.topologyKey === 'topology.kubernetes.io/zone');
    if (!zoneTerm && !spread) fail(where, 'neither pins the runtimes to a zone nor spreads them across zones');
    if (zoneTerm && !(zoneTerm.operator === 'In' && zoneTerm.values?.length === 1 && zoneTerm.values[0] === zoneEnv)) fail(where, `is pinned to zone ${JSON.stringify(zoneTerm.values)} but sets ZONE=${zoneEnv}`);
  }
  for (const c of pod.containers) {
    const cw = `${where} container ${c.name}`;
    if (!c.name || !c.image) fail(cw, 'needs name and image');
    const ports = c.ports ?? [];
    const names = new Set();
    for (const p of ports) {
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65_535) fail(cw, `containerPort ${p.containerPort} is not valid`);
      if (p.name !== undefined && (p.name.length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.name) || names.has(p.name))) fail(cw, `port name "${p.name}" is invalid or repeated`);
      names.add(p.name);
    }
    const portNumber = (ref) => (typeof ref === 'number' ? (ports.some((p) => p.containerPort === ref) ? ref : undefined) : ports.find((p) => p.name === ref)?.containerPort);
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) fail(cw, `volumeMount ${m.name} has no volume`);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const pr = c[probe];
      if (pr?.httpGet && portNumber(pr.httpGet.port) === undefined) fail(cw, `${probe} port ${pr.httpGet.port} is not a container port`);
    }
    // The environment, as the process sees it.
    const env = new Map();
    const optional = new Set();
    for (const ef of c.envFrom ?? []) {
      if (ef.configMapRef) {
        const cm = find('ConfigMap', ef.configMapRef.name);
        if (!cm) fail(cw, `envFrom ConfigMap ${ef.configMapRef.name} is not defined here`);
        else for (const [key, v] of Object.entries(cm.o.data ?? {})) env.set(key, v);
      } else if (ef.secretRef) {
        const s = find('Secret', ef.secretRef.name);
        if (!s) fail(cw, `envFrom Secret ${ef.secretRef.name} is not defined (secret.example.yaml)`);
        else for (const key of Object.keys({ ...s.o.data, ...s.o.stringData })) env.set(key, '(secret)');
      } else fail(cw, 'envFrom entry needs configMapRef or secretRef');
    }
    for (const e of c.env ?? []) {
      if (!e.name || !ENV_NAME.test(e.name)) fail(cw, `env name "${e.name}" is not valid`);
      if (e.value !== undefined && typeof e.value !== 'string') fail(cw, `env ${e.name} value must be a string (quote it)`);
      const vf = e.valueFrom;
      if (vf !== undefined) {
        const kinds = Object.keys(vf);
        if (kinds.length !== 1 || !['fieldRef', 'secretKeyRef', 'configMapKeyRef', 'resourceFieldRef'].includes(kinds[0])) fail(cw, `env ${e.name} valueFrom needs exactly one source`);
        const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
        if (ref) {
          const kind = vf.secretKeyRef ? 'Secret' : 'ConfigMap';
          const target = find(kind, ref.name);
          const keys = target ? Object.keys({ ...target.o.data, ...target.o.stringData }) : [];
          if (!target) fail(cw, `env ${e.name} refers to ${kind} ${ref.name}, which is not defined${kind === 'Secret' ? ' (secret.example.yaml)' : ''}`);
          else if (!keys.includes(ref.key)) fail(cw, `env ${e.name} refers to key ${ref.key}, which ${kind} ${ref.name} does not have`);
          if (ref.optional) optional.add(e.name);
        }
      }
      env.set(e.name, e.value ?? '(ref)');
    }
    if (!role || c.name !== role) continue;
    checkRoleEnv(cw, role, env);
    checkTlsFilesMounted(cw, role, env, (c.volumeMounts ?? []).map((m) => m.mountPath).filter(Boolean));
    for (const r of apps[role].required) if (optional.has(r)) fail(cw, `${r} is required by the ${role} but its secretKeyRef is optional`);
    // Listeners, probes and the drain.
    const healthPort = numericSetting(role, env, PORTS[role].health);
    const otherPort = numericSetting(role, env, PORTS[role].other);
    for (const [v, p] of [[PORTS[role].health, healthPort], [PORTS[role].other, otherPort]]) {
      if (!ports.some((cp) => cp.containerPort === p)) fail(cw, `listens on ${p} (${v}) but declares no such containerPort`);
    }
    const expectPath = { livenessProbe: '/health/live', readinessProbe: '/health/ready' };
    for (const [probe, p] of Object.entries(expectPath)) {
      const pr = c[probe];
      if (!pr?.httpGet) {
        fail(cw, `has no HTTP ${probe}`);
        continue;
      }
      if (pr.httpGet.path !== p) fail(cw, `${probe} calls ${pr.httpGet.path}, expected ${p}`);
      if (portNumber(pr.httpGet.port) !== healthPort) fail(cw, `${probe} goes to port ${pr.httpGet.port}, but the health endpoints are on ${healthPort} (${PORTS[role].health})`);
    }
    const pre = c.lifecycle?.preStop;
    let preStopS = 0;
    if (!pre) fail(cw, 'has no preStop hook');
    else if (pre.sleep) preStopS = Number(pre.sleep.seconds ?? 0);
    else if (Array.isArray(pre.exec?.command) && pre.exec.command[0] === 'sleep') preStopS = Number(pre.exec.command[1]);
    else fail(cw, 'preStop should sleep (exec ["sleep", "N"] or sleep.seconds) while endpoints update');
    const tgps = pod.terminationGracePeriodSeconds ?? 30;
    const needS = preStopS + drainBudgetMs(role, env) / 1000;
    if (tgps < needS) fail(where, `terminationGracePeriodSeconds ${tgps} is shorter than preStop ${preStopS} s + drain ${drainBudgetMs(role, env) / 1000} s (${DRAIN[role].vars.join(' + ')})`);
    const sc = { ...pod.securityContext, ...c.securityContext };
    if (sc.runAsNonRoot !== true) fail(cw, 'does not set runAsNonRoot: true');
    if (c.securityContext?.allowPrivilegeEscalation !== false) fail(cw, 'does not set allowPrivilegeEscalation: false');
  }
}

/**
 * deploy/k8s/cert-manager (cert-manager's CRDs, applied on their own): a Certificate issues
 * each TLS Secret the Deployments mount, and the csi-driver volumes name one of its
 * Issuers; both with the identity spiffe://gateway/<role>/<id>, the role's usage and
 * (controllers) the host names runtimes dial in CONTROLLER_ADDRESSES.
 */
function validateCertManager(dir, deployments) {
  const cmDir = path.join(dir, 'cert-manager');
  const kfile = path.join(cmDir, 'kustomization.yaml');
  if (!fs.existsSync(kfile)) return;
  const k = readYaml(kfile, rel(kfile));
  const certs = [];
  const issuers = new Set();
  for (const r of k?.resources ?? []) {
    const file = path.join(cmDir, r);
    if (!fs.existsSync(file)) {
      fail(rel(kfile), `resource ${r} does not exist`);
      continue;
    }
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const o = doc.toJS();
      if (!isObj(o) || o.apiVersion !== 'cert-manager.io/v1') continue;
      if (o.kind === 'Certificate') certs.push({ o, where: `${rel(file)} Certificate/${o.metadata?.name}` });
      if (o.kind === 'Issuer') issuers.add(o.metadata?.name);
    }
  }
  const identity = (role, uris, where) => {
    const ids = (uris ?? []).filter((u) => u.startsWith('spiffe://gateway/'));
    if (ids.length !== 1 || !new RegExp(`^spiffe://gateway/${role}/([A-Za-z0-9][A-Za-z0-9._-]{0,127}|\\$\\{POD_NAME\\})$`).test(ids[0])) {
      fail(where, `needs exactly one identity spiffe://gateway/${role}/<id> in its URI SANs (found ${JSON.stringify(uris ?? [])})`);
    }
  };
  const usageOf = (role) => (role === 'controller' ? 'server auth' : 'client auth');
  // The TLS Secrets each role mounts (volumes named tls), and the hosts runtimes dial.
  const mounted = new Map();
  const dialed = new Set();
  for (const d of deployments) {
    const role = d.labels['app.kubernetes.io/component'];
    if (!ROLES.includes(role)) continue;
    for (const v of d.o.spec?.template?.spec?.volumes ?? []) {
      if (v.name !== 'tls') continue;
      if (v.secret?.secretName) mounted.set(v.secret.secretName, role);
      const attrs = v.csi?.driver === 'csi.cert-manager.io' ? (v.csi.volumeAttributes ?? {}) : undefined;
      if (!attrs) continue;
      const where = `${d.where} volume tls (csi-driver)`;
      const issuer = attrs['csi.cert-manager.io/issuer-name'];
      if ((attrs['csi.cert-manager.io/issuer-kind'] ?? 'Issuer') === 'Issuer' && !issuers.has(issuer)) fail(where, `names Issuer ${issuer}, which deploy/k8s/cert-manager does not define`);
      identity(role, String(attrs['csi.cert-manager.io/uri-sans'] ?? '').split(',').filter(Boolean), where);
      if (!String(attrs['csi.cert-manager.io/key-usages'] ?? '').split(',').includes(usageOf(role))) fail(where, `csi.cert-manager.io/key-usages must include "${usageOf(role)}"`);
      if (attrs['csi.cert-manager.io/fs-group'] !== String(d.o.spec.template.spec.securityContext?.fsGroup)) fail(where, 'csi.cert-manager.io/fs-group must be the pod\'s fsGroup (or the app cannot read its key)');
    }
    for (const c of d.o.spec?.template?.spec?.containers ?? []) {
      for (const ef of c.envFrom ?? []) {
        const cm = ef.configMapRef && readK8sConfigMap(dir, ef.configMapRef.name);
        for (const entry of String(cm?.CONTROLLER_ADDRESSES ?? '').split(',').filter(Boolean)) dialed.add(entry.replace(/^[^=]*=/, '').split(':')[0]);
      }
    }
  }
  const issued = new Set();
  for (const { o, where } of certs) {
    if (o.spec?.isCA) continue;
    const secret = o.spec?.secretName;
    issued.add(secret);
    const role = mounted.get(secret);
    if (!role) {
      fail(where, `issues Secret ${secret}, which no Deployment mounts as its tls volume`);
      continue;
    }
    identity(role, o.spec.uris, where);
    if (!issuers.has(o.spec.issuerRef?.name) && (o.spec.issuerRef?.kind ?? 'Issuer') === 'Issuer') fail(where, `issuerRef names Issuer ${o.spec.issuerRef?.name}, which is not defined here`);
    if (!(o.spec.usages ?? []).includes(usageOf(role))) fail(where, `usages must include "${usageOf(role)}"`);
    if (role === 'controller') for (const host of dialed) if (!(o.spec.dnsNames ?? []).includes(host)) fail(where, `dnsNames lacks ${host}, which runtimes dial (CONTROLLER_ADDRESSES)`);
  }
  for (const [secret, role] of mounted) if (!issued.has(secret)) fail(rel(kfile), `no Certificate issues Secret ${secret}, which the ${role} Deployments mount`);
}

function readK8sConfigMap(dir, name) {
  for (const f of fs.readdirSync(dir).filter((x) => /\.ya?ml$/.test(x))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8'))) {
      const o = doc.toJS();
      if (isObj(o) && o.kind === 'ConfigMap' && o.metadata?.name === name) return o.data ?? {};
    }
  }
  return undefined;
}

/** Runtimes must not reach PostgreSQL: some Egress policy selects them and none of them allows port 5432. */
function validateNetworkPolicies(policies, runtimeDeployments) {
  for (const { o, where } of policies) {
    if (!isObj(o.spec?.podSelector)) fail(where, 'needs spec.podSelector');
    for (const t of o.spec?.policyTypes ?? []) if (!['Ingress', 'Egress'].includes(t)) fail(where, `unknown policyType ${t}`);
    for (const dir of ['ingress', 'egress']) {
      for (const rule of o.spec?.[dir] ?? []) {
        for (const p of rule.ports ?? []) {
          if (p.endPort !== undefined && !(Number.isInteger(p.port) && p.endPort >= p.port)) fail(where, `${dir} port range ${p.port}-${p.endPort} is not valid`);
          if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) fail(where, `unknown protocol ${p.protocol}`);
        }
      }
    }
  }
  for (const d of runtimeDeployments) {
    const selecting = policies.filter(({ o }) => {
      const sel = o.spec?.podSelector?.matchLabels ?? {};
      return Object.entries(sel).every(([k, v]) => d.labels[k] === v);
    });
    const egress = selecting.filter(({ o }) => (o.spec?.policyTypes ?? []).includes('Egress'));
    if (egress.length === 0) {
      fail(d.where, 'no NetworkPolicy restricts its egress: runtimes could reach PostgreSQL');
      continue;
    }
    for (const { o, where } of egress) {
      for (const rule of o.spec.egress ?? []) {
        const ports = rule.ports ?? [];
        const opens5432 =
          ports.length === 0 ||
          ports.some((p) => (p.protocol ?? 'TCP') === 'TCP' && (p.port === undefined || p.port === 5432 || p.port === 'postgresql' || (Number.isInteger(p.endPort) && p.port <= 5432 && p.endPort >= 5432)));
        if (opens5432) fail(where, `an egress rule lets runtime pods (${d.o.metadata.name}) reach port 5432 (PostgreSQL)`);
      }
    }
  }
}

validateCompose();
validateK8s();
await validateAgainstSchemas();

// ---------------------------------------------------------------------------------------
// Official schemas: the compose-spec JSON schema (bundled by dclint) and the Kubernetes
// OpenAPI models (kubernetes-models' validate()), on top of the checks above.

async function validateAgainstSchemas() {
  const { default: Ajv } = await import('ajv');
  const schemaFile = fileURLToPath(new URL('../node_modules/dclint/schemas/compose.schema.json', import.meta.url));
  const composeFile = path.join(root, 'docker-compose.yml');
  if (!fs.existsSync(schemaFile)) fail('docker-compose.yml', 'compose-spec schema not found (npm ci installs dclint)');
  else if (fs.existsSync(composeFile)) {
    // The schema names draft-07 by its https URL, which ajv does not know: skip meta-validation.
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, validateSchema: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
    // Resolve YAML merge keys (<<: *anchor) as Compose does.
    if (!validate(parseDocument(fs.readFileSync(composeFile, 'utf8'), { merge: true }).toJS())) {
      for (const e of validate.errors ?? []) fail('docker-compose.yml (compose-spec)', `${e.instancePath || '/'} ${e.message}`);
    }
  }
  const k8sDir = path.join(root, 'deploy', 'k8s');
  if (!fs.existsSync(k8sDir)) return;
  for (const name of fs.readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort()) {
    const file = path.join(k8sDir, name);
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      const o = doc.toJS();
      if (!isObj(o)) continue;
      const where = `${rel(file)} ${o.kind}/${o.metadata?.name ?? '?'} (kubernetes-models)`;
      let Model;
      try {
        Model = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`))[o.kind];
      } catch {
        fail(where, `no schema for ${o.apiVersion} ${o.kind}`);
        continue;
      }
      try {
        new Model(o).validate();
      } catch (err) {
        fail(where, String(err?.message ?? err).split('\n').slice(0, 4).join(' '));
      }
    }
  }
}

if (errors.length) {
  console.error(`validate-deploy: ${errors.length} problem(s)`);
  for (const e of errors) console.error(`  ${e}`);
  process.exit(1);
}
const count = (role) => apps[role].known.size;
console.log(
  `validate-deploy: deploy/Dockerfile, docker-compose.yml, deploy/haproxy (${haproxyChecked ? 'haproxy -c passed' : 'haproxy not installed: syntax not checked'}), deploy/k8s ok, compose-spec and Kubernetes schemas ok (controller reads ${count('controller')} variables, runtime ${count('runtime')})`,
);
