// Config size on the wire and in memory (issue 13, item 5): the bytes of a full state at
// 1,000 and 10,000 APIs with every default written out (the content before compaction,
// `apiResource` of the validated definition) against the compacted content the compiler
// emits now (`compileApi`), for two mixes; the protobuf ConfigResponse as grpc-js
// serializes it; what gzip would save on it and what it costs (compress on the controller,
// decompress on the runtime), for a full state and for a one-resource delta; the runtime's
// decode of every resource (JSON.parse + validation, which fills the defaults back in); and
// a full state delivered over a real loopback grpc-js stream, and whether grpc-js's own
// compression option compresses that stream at all. In process, no database: the
// definitions are the mixes the other benches seed (tests/integration/src/support/seed-apis.ts
// as 08-scale uses it, and bench/compile.mjs). Timings are the median CPU time of ROUNDS
// (user + system of the whole process), not wall time: they hold on a busy machine.
//
// Usage (from the repo root, after `npm run build`):
//   node bench/config-size.mjs                 # 1,000 and 10,000 APIs
//   COUNTS=1000 ROUNDS=3 node bench/config-size.mjs
//   node bench/config-size.mjs --json
import * as grpc from '@grpc/grpc-js';
import net from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { validateApiDefinition } from '../libs/shared/api-schema/dist/index.js';
import { plainApi } from '../libs/shared/api-schema/dist/testing/index.js';
import { compileApi } from '../libs/controller/compiler/dist/index.js';
import { apiResource, buildSnapshot, decodeApiResource } from '../libs/shared/config-contract/dist/index.js';
import { loadConfigProto, MAX_MESSAGE_BYTES } from '../libs/shared/config-proto/dist/index.js';

const COUNTS = (process.env.COUNTS ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const json = process.argv.includes('--json');
const log = (msg) => {
  if (!json) console.log(msg);
};
const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** A fixed HMAC key (32 bytes, base64url): the figures must not depend on random bytes. */
const HS_KEY = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I';

const MIXES = {
  // 08-scale's seed (seedThroughStore): what an operator writes for a plain API.
  minimal: (i) => ({ name: `api-${String(i).padStart(5, '0')}`, basePath: `/api-${i}`, upstream: { targets: [{ url: 'http://127.0.0.1:8080' }] } }),
  // bench/compile.mjs: plainApi (resilience off, short timeouts), a third with routes, a third host-bound, one in ten with a JWT key and a rate limit.
  'compile-bench': (i) => {
    const name = `api-${String(i).padStart(5, '0')}`;
    const routes = i % 3 === 0 ? [{ name: 'get-item', methods: ['GET'], path: '/items/:id' }, { name: 'create', methods: ['POST'], path: '/items' }] : [];
    const hosts = i % 3 === 1 ? [`h${i}.example.com`] : [];
    const policies = i % 10 === 0 ? { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: HS_KEY }] } }, rateLimits: [{ name: 'ip', limit: 100, windowMs: 1000 }] } : {};
    const base = plainApi(name, `/svc${i}/v1`, ['http://10.0.0.7:8080'], { routes, hosts });
    return { ...base, policies: { ...base.policies, ...policies } };
  },
};

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * The median CPU time (user + system, of every thread of this process: zlib runs on the
 * libuv pool) of `fn` over ROUNDS: the machine these figures come from is shared, so wall
 * time would measure the neighbours.
 */
async function timed(fn) {
  const ms = [];
  let result;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    result = await fn();
    const used = process.cpuUsage(t0);
    ms.push((used.user + used.system) / 1000);
  }
  return { ms: median(ms), result };
}

const proto = loadConfigProto();
const service = proto.gateway.config.v1.ConfigDiscovery.service;
const serialize = (message) => service.StreamConfig.responseSerialize(message);
const deserialize = (bytes) => service.StreamConfig.responseDeserialize(bytes);

function responseOf(snapshot, resources = snapshot.resources) {
  return { version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, nonce: 'n-1', controllerId: 'ctl-a', controllerZone: 'a', resources };
}

/** One full state over a real grpc-js stream on loopback: the runtime asks, the controller answers; CPU time (both ends) until the runtime has the decoded message. */
async function deliverOverGrpc(message) {
  const server = new grpc.Server({ 'grpc.max_send_message_length': MAX_MESSAGE_BYTES, 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES });
  server.addService(service, {
    StreamConfig: (call) => {
      call.on('data', () => call.write(message));
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  });
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const client = new proto.gateway.config.v1.ConfigDiscovery(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  });
  try {
    const once = () =>
      new Promise((resolve, reject) => {
        const call = client.StreamConfig();
        const timer = setTimeout(() => reject(new Error('no response within 60 s')), 60_000);
        call.on('data', (response) => {
          clearTimeout(timer);
          call.cancel();
          resolve(response.resources.length);
        });
        call.on('error', (err) => {
          if (err.code !== grpc.status.CANCELLED) reject(err);
        });
        call.write({ node: { id: 'rt-1', zone: 'a' } });
      });
    await once(); // connect and warm up
    return (await timed(once)).ms;
  } finally {
    client.close();
    await new Promise((resolve) => server.tryShutdown(resolve));
  }
}

/**
 * Bytes the controller → runtime direction puts on the socket for one `message`, with the
 * given compression option on the server and the client (a counting TCP relay between
 * them): whether grpc-js compresses responses at all.
 */
async function bytesDown(message, compression) {
  const options = compression === undefined ? {} : { 'grpc.default_compression_algorithm': compression };
  const server = new grpc.Server({ 'grpc.max_send_message_length': MAX_MESSAGE_BYTES, ...options });
  server.addService(service, {
    StreamConfig: (call) => {
      call.on('data', () => call.write(message));
      call.on('error', () => {});
    },
  });
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  let down = 0;
  const relay = net.createServer((socket) => {
    const upstream = net.connect(port, '127.0.0.1');
    socket.pipe(upstream);
    upstream.on('data', (chunk) => {
      down += chunk.length;
      socket.write(chunk);
    });
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const client = new proto.gateway.config.v1.ConfigDiscovery(`127.0.0.1:${relay.address().port}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, ...options });
  try {
    await new Promise((resolve, reject) => {
      const call = client.StreamConfig();
      const timer = setTimeout(() => reject(new Error('no response within 60 s')), 60_000);
      call.on('data', () => {
        clearTimeout(timer);
        call.cancel();
        resolve();
      });
      call.on('error', (err) => {
        if (err.code !== grpc.status.CANCELLED) reject(err);
      });
      call.write({ node: { id: 'rt-1', zone: 'a' } });
    });
  } finally {
    client.close();
    server.forceShutdown();
    relay.close();
  }
  return down;
}

const mib = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
const ms = (n) => `${n.toFixed(n < 10 ? 2 : 0)} ms`;

async function measure(mix, count) {
  const definitions = Array.from({ length: count }, (_, i) => {
    const checked = validateApiDefinition(MIXES[mix](i));
    if (!checked.ok) throw new Error(`${mix} ${i}: ${JSON.stringify(checked.problems)}`);
    return checked.value;
  });
  const forms = {};
  // Before: the validated definition with every default, as `apiResource` wrote it; after: what `compileApi` emits.
  const before = await timed(() => definitions.map((definition) => apiResource(validateApiDefinition(definition).value, 1)));
  const after = await timed(() => definitions.map((definition) => compileApi({ definition, revision: 1 }).resource));
  for (const [form, { ms: compileMs, result: resources }] of Object.entries({ full: before, compact: after })) {
    const snapshot = buildSnapshot(1, 1, resources);
    const contentBytes = resources.reduce((n, r) => n + Buffer.byteLength(r.content), 0);
    const message = responseOf(snapshot);
    const encoded = await timed(() => serialize(message));
    const bytes = encoded.result;
    const gz = await timed(() => gzip(bytes));
    const gz1 = await timed(() => gzip(bytes, { level: 1 }));
    const unzip = await timed(() => gunzip(gz.result));
    const decodeMessage = await timed(() => deserialize(bytes));
    const decodeApis = await timed(() => resources.map((r) => decodeApiResource(r)));
    if (decodeApis.result.some((d) => !d.ok)) throw new Error(`${mix}/${form}: a resource does not decode`);
    // A one-resource delta: the same message with one API.
    const delta = serialize(responseOf(snapshot, [resources[Math.floor(count / 2)]]));
    const deltaGz = await timed(() => gzip(delta));
    const deltaUnzip = await timed(() => gunzip(deltaGz.result));
    const grpcMs = await deliverOverGrpc(message);
    forms[form] = {
      compileMs: compileMs,
      contentBytes,
      messageBytes: bytes.length,
      encodeMs: encoded.ms,
      decodeMessageMs: decodeMessage.ms,
      decodeApisMs: decodeApis.ms,
      gzipBytes: gz.result.length,
      gzipMs: gz.ms,
      gzipLevel1Bytes: gz1.result.length,
      gzipLevel1Ms: gz1.ms,
      gunzipMs: unzip.ms,
      grpcLoopbackMs: grpcMs,
      delta: { messageBytes: delta.length, gzipBytes: deltaGz.result.length, gzipMs: deltaGz.ms, gunzipMs: deltaUnzip.ms },
    };
    const f = forms[form];
    log(
      `${mix.padEnd(13)} ${String(count).padStart(6)} ${form.padEnd(8)} content ${mib(f.contentBytes)}, message ${mib(f.messageBytes)} (encode ${ms(f.encodeMs)}, decode ${ms(f.decodeMessageMs)}), ` +
        `gzip ${mib(f.gzipBytes)} in ${ms(f.gzipMs)} (level 1: ${mib(f.gzipLevel1Bytes)} in ${ms(f.gzipLevel1Ms)}), gunzip ${ms(f.gunzipMs)}; compile ${ms(f.compileMs)}, runtime decode+validate ${ms(f.decodeApisMs)}; ` +
        `loopback gRPC ${ms(f.grpcLoopbackMs)}; one-resource delta ${f.delta.messageBytes} B, gzip ${f.delta.gzipBytes} B in ${ms(f.delta.gzipMs)}`,
    );
  }
  return forms;
}

async function main() {
  const results = [];
  for (const mix of Object.keys(MIXES)) for (const count of COUNTS) results.push({ mix, count, ...(await measure(mix, count)) });
  // grpc-js's compression option on both ends (2 = gzip), for a 1,000-API compact state.
  const sample = buildSnapshot(1, 1, Array.from({ length: 1_000 }, (_, i) => compileApi({ definition: validateApiDefinition(MIXES.minimal(i)).value, revision: 1 }).resource));
  const grpcCompression = { off: await bytesDown(responseOf(sample)), gzip: await bytesDown(responseOf(sample), 2) };
  log(`grpc-js 'grpc.default_compression_algorithm': 2 on server and client: ${grpcCompression.gzip} bytes down the socket for a 1,000-API state, against ${grpcCompression.off} without (${grpcCompression.gzip < grpcCompression.off * 0.9 ? 'compressed' : 'not compressed: grpc-js servers send responses uncompressed'})`);
  if (json) console.log(JSON.stringify({ rounds: ROUNDS, results, grpcCompression }, null, 2));
  else {
    log('\nsummary (full state, protobuf message bytes):');
    for (const r of results) {
      log(`  ${r.mix.padEnd(13)} ${String(r.count).padStart(6)} APIs: ${mib(r.full.messageBytes)} → ${mib(r.compact.messageBytes)} (${((1 - r.compact.messageBytes / r.full.messageBytes) * 100).toFixed(0)}% less); gzip would take it to ${mib(r.compact.gzipBytes)} for ${ms(r.compact.gzipMs + r.compact.gunzipMs)} of CPU; a delta of one API ${r.compact.delta.messageBytes} B (gzip ${r.compact.delta.gzipBytes} B)`);
    }
    log(`\n(CPU time, medians of ${ROUNDS} rounds)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
