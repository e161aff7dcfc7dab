import path from 'node:path';
import { helloApi } from './sample-api.js';
import { repoRoot, type Topology } from './topology.js';

/** The text `npm start` prints once everything is ready: endpoints, token, commands to paste. */
export function banner(t: Topology, stateFile: string): string {
  const s = t.state();
  const pad = (v: string, n: number) => v.padEnd(n);
  const lines: string[] = [];
  const db = s.database.embedded
    ? `${s.database.url}  (embedded PGlite; data in ${s.database.dataDir})`
    : `${redact(s.database.url)}  (DATABASE_URL)`;
  lines.push(
    '',
    `Gateway demo is up: ${s.controllers.length} controller(s), ${s.runtimes.length} runtime(s) in zone(s) ${s.zones.join(', ')}, ${s.redisUrl ? 'Redis at REDIS_URL' : 'no Redis (local limits)'}`,
    '',
    `  PostgreSQL   ${db}`,
  );
  s.controllers.forEach((c, i) =>
    lines.push(`  ${i === 0 ? 'controllers ' : '            '} ${pad(`${c.name} (zone ${c.zone})`, 16)} http ${pad(c.http, 24)} grpc ${pad(c.grpc, 17)} pid ${c.pid}`),
  );
  s.runtimes.forEach((r, i) =>
    lines.push(`  ${i === 0 ? 'runtimes    ' : '            '} ${pad(`${r.name} (zone ${r.zone})`, 16)} proxy ${pad(r.proxy, 23)} admin ${pad(r.admin, 24)} pid ${r.pid}`),
  );
  s.upstreams.forEach((u, i) => lines.push(`  ${i === 0 ? 'upstreams   ' : '            '} ${pad(`${u.name}`, 16)} ${pad(u.url, 29)} pid ${u.pid}`));
  lines.push(
    `  admin token  ${s.adminToken}`,
    `  certificates ${s.certsDir}  (the demo's CA and one certificate per member: mutual TLS on the config stream)`,
    `  logs         ${s.logsDir}`,
    `  state        ${stateFile}`,
    '',
  );

  const ctl = s.controllers[0]!;
  const other = s.controllers[s.controllers.length - 1]!;
  lines.push(
    'Try it (copy and paste):',
    '',
    `  export TOKEN='${s.adminToken}'`,
    '',
    `  # deploy an API through ${ctl.name}; its targets are the sample upstreams of every zone`,
    `  R=$(curl -sS -X PUT ${ctl.http}/v1/apis/hello -H "Authorization: Bearer $TOKEN" \\`,
    `    -H 'Content-Type: application/json' -d '${JSON.stringify(helloApi(t.upstreams))}'); echo "$R"`,
    `  V=$(echo "$R" | sed -n 's/.*"configVersion":\\([0-9]*\\).*/\\1/p')    # the config version it made`,
    '',
    '  # wait until every runtime runs that config version (answers at once when they do)',
    `  curl -sS -o /dev/null -w "config version $V: HTTP %{http_code}\\n" -H "Authorization: Bearer $TOKEN" \\`,
    `    "${ctl.http}/v1/status?waitForVersion=$V&timeoutMs=10000"`,
    '',
    '  # send traffic through each zone (every answer names the upstream and its zone)',
  );
  for (const zone of s.zones) {
    const r = s.runtimes.find((x) => x.zone === zone)!;
    lines.push(`  curl -sS ${r.proxy}/hello/world    # zone ${zone}, ${r.name}`);
  }
  const r0 = s.runtimes[0]!;
  lines.push(
    '',
    `  # the fleet page: runtimes by zone, controllers, APIs (refreshes itself; any replica serves it)`,
    `  ${ctl.http}/ui/#token=${s.adminToken}`,
    '',
    '  # what a runtime applied (version, hash, source), and the fleet as any controller sees it',
    `  curl -sS ${r0.admin}/config`,
    `  curl -sS -H "Authorization: Bearer $TOKEN" ${other.http}/v1/runtimes`,
    '',
    '  # the same with gatewayctl, the operator CLI (npx gatewayctl --help; README, "gatewayctl")',
    `  export GATEWAY_URL=${s.controllers.map((c) => c.http).join(',')} GATEWAY_TOKEN="$TOKEN"`,
    '  npx gatewayctl status && npx gatewayctl get apis',
    '',
    `  # who ${r0.name} is to the controllers: the identity in its certificate (and the CA all of them trust)`,
    `  node ${path.join(repoRoot, 'apps', 'gatewayctl', 'dist', 'main.js')} certs show ${path.join(s.certsDir, `runtime-${r0.name}.crt`)}`,
    '',
    `  # a failure to watch: runtimes move to another controller, traffic keeps flowing`,
    `  kill -9 ${ctl.pid}    # ${ctl.name}; then \`curl -sS ${r0.admin}/config\` shows the new controller`,
    '',
    'Press Ctrl-C to stop everything.',
    '',
  );
  return lines.join('\n');
}

/** A connection string without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}
