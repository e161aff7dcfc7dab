// The BUILT gatewayctl as a process, without a controller: help texts, usage mistakes
// (exit 2, nothing sent: GATEWAY_URL points at a port nobody listens on) and the exit
// codes the README documents.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from '@gw/test-kit';
import { describe, expect, it } from 'vitest';

const cli = path.resolve(import.meta.dirname, '..', 'dist', 'main.js');

async function gatewayctl(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('gatewayctl command line', () => {
  it('--help for the CLI and for every deploy-API command exits 0 with its usage', async () => {
    const top = await gatewayctl(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['apply', 'diff', 'get', 'delete', 'history', 'rollback', 'status', 'runtimes', 'export', 'certs']) expect(top.stdout).toContain(`  ${command} `);
    for (const command of ['apply', 'diff', 'get', 'delete', 'history', 'rollback', 'status', 'runtimes', 'export']) {
      const r = await gatewayctl([command, '--help']);
      expect(r, command).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^Usage: gatewayctl ${command}`));
      expect(r.stdout).toContain('--url URL[,URL…]');
    }
  });

  it('is the workspace bin: node_modules/.bin/gatewayctl (what npx gatewayctl runs) prints the usage', async () => {
    const bin = path.resolve(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'gatewayctl');
    const child = spawn(bin, ['--help'], { env: { PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: gatewayctl <command>/);
  });

  it('usage mistakes exit 2 with the usage text, before any request', async () => {
    const env = { GATEWAY_URL: `http://127.0.0.1:${await freePort()}` };
    const cases: [string[], string][] = [
      [['frobnicate'], 'unknown command "frobnicate"'],
      [['apply'], '-f FILE|DIR is required'],
      [['apply', '-f', 'x', '--bogus'], "Unknown option '--bogus'"],
      [['apply', '-f', 'x', '--dry-run', '--wait'], '--wait has nothing to wait for with --dry-run'],
      [['apply', '-f', 'x', '--wait', '--timeout', 'soon'], '--timeout must be a duration like 90s, 2m or 500ms (got "soon")'],
      [['get', 'apis', '-o', 'xml'], '-o must be table, json, yaml (got "xml")'],
      [['get', 'routes'], 'gatewayctl get knows "apis" (got "routes")'],
      [['rollback', 'orders'], '--to REVISION is required'],
      [['rollback', 'orders', '--to', 'last'], '--to must be a revision number (got "last")'],
      [['status', '--timeout', '5s'], '--timeout only applies with --wait-for'],
      [['delete', 'api'], 'missing NAME'],
      [['status', '--url', 'ftp://x'], '"ftp://x" is not an http:// or https:// URL'],
    ];
    for (const [args, message] of cases) {
      const r = await gatewayctl(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`gatewayctl: ${message}`);
      expect(r.stderr).toContain('Usage: gatewayctl');
    }
    const noUrl = await gatewayctl(['get', 'apis']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('no controller URL: set GATEWAY_URL or pass --url');
  });
});
