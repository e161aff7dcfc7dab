import { spawn, type ChildProcess } from 'node:child_process';

/**
 * An upstream target in a process of its own, so a test can kill it with SIGKILL like a
 * crashed server (the kernel resets its connections) and start it again on the same port.
 * `GET /health` answers 200 `ok`; everything else `{ upstream: name, url }` as JSON.
 */
export interface TargetProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILL; resolves when the process is gone. */
  kill9(): Promise<void>;
}

const SERVER = `
const http = require('node:http');
const name = process.env.TARGET_NAME;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      return res.end('ok');
    }
    const body = JSON.stringify({ upstream: name, url: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 30000;
server.listen(Number(process.env.TARGET_PORT), '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;

const running = new Set<TargetProcess>();

/** Starts a target on `port` (0: any free port) and resolves once it listens. */
export async function startTargetProcess(name: string, port = 0, timeoutMs = 15_000): Promise<TargetProcess> {
  const child = spawn(process.execPath, ['-e', SERVER], {
    env: { PATH: process.env['PATH'] ?? '', TARGET_NAME: name, TARGET_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`target ${name} did not listen within ${timeoutMs} ms: ${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`target ${name} exited (${code}) before listening: ${out}`));
    });
  });
  const target: TargetProcess = {
    name,
    port: listening,
    url: `http://127.0.0.1:${listening}`,
    child,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      running.delete(target);
    },
  };
  running.add(target);
  return target;
}

/** Kills every target process this file started. */
export async function stopAllTargets(): Promise<void> {
  await Promise.all([...running].map((t) => t.kill9()));
}
