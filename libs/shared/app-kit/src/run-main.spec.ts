import { EventEmitter } from 'node:events';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { describe, expect, it, vi } from 'vitest';
import { type LogRecord, recordingLogger } from '@gw/logging/testing';
import type { ProcessHooks } from './process-hooks.js';
import { runMain, type RunningApp } from './run-main.js';

/** A process to boot in: signals are emitted by hand, exit codes recorded. */
function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const proc: ProcessHooks = { on: (e, l) => emitter.on(e, l), off: (e, l) => emitter.off(e, l), exit: (code) => void exits.push(code) };
  return { proc, exits, emit: (event: string, arg?: unknown) => emitter.emit(event, arg) };
}

function boot(start: () => Promise<RunningApp>) {
  const p = fakeProcess();
  const boot: LogRecord[] = [];
  const done = runMain({ app: 'runtime', start, bootLogger: recordingLogger(boot), process: p.proc });
  return { ...p, boot, done };
}

function startedApp(stop: () => Promise<void> = async () => undefined) {
  const log: LogRecord[] = [];
  const app = { logger: recordingLogger(log), stop: vi.fn(stop) };
  return { app, log };
}

describe('runMain', () => {
  it('stops once on the first SIGTERM and exits 0', async () => {
    const { app, log } = startedApp();
    const b = boot(async () => app);
    await b.done;
    b.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(b.exits).toEqual([0]));
    expect(app.stop).toHaveBeenCalledTimes(1);
    expect(log).toEqual([{ level: 'info', fields: { signal: 'SIGTERM' }, msg: 'shutdown requested' }]);
  });

  it('exits 1 at once on a second signal while the stop still runs, without stopping twice', async () => {
    const { app, log } = startedApp(() => new Promise(() => undefined));
    const b = boot(async () => app);
    await b.done;
    b.emit('SIGINT', 'SIGINT');
    expect(b.exits).toEqual([]);
    b.emit('SIGTERM', 'SIGTERM');
    expect(b.exits).toEqual([1]);
    expect(app.stop).toHaveBeenCalledTimes(1);
    expect(log.map((l) => l.msg)).toEqual(['shutdown requested', 'second signal: exiting now']);
  });

  it('exits 1 when the stop fails, and logs why', async () => {
    const { app, log } = startedApp(async () => {
      throw new Error('close failed');
    });
    const b = boot(async () => app);
    await b.done;
    b.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(b.exits).toEqual([1]));
    expect(log[1]).toMatchObject({ level: 'error', msg: 'shutdown failed', fields: { err: expect.objectContaining({ message: 'close failed' }) } });
  });

  it('logs a failed start with the error and exits 1, listening for no signal', async () => {
    const b = boot(async () => {
      throw new Error('EADDRINUSE');
    });
    await b.done;
    expect(b.exits).toEqual([1]);
    expect(b.boot).toEqual([{ level: 'error', fields: { err: expect.objectContaining({ message: 'EADDRINUSE' }) }, msg: 'runtime failed to start' }]);
    b.emit('SIGTERM', 'SIGTERM');
    expect(b.exits).toEqual([1]);
  });

  it('logs an invalid environment as its list of problems, without an error and its stack', async () => {
    const problems = ['A must be an integer between 1 and 2, got "3"', 'B is required'];
    const b = boot(async () => {
      throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, problems.join('; '), { details: { problems } });
    });
    await b.done;
    expect(b.exits).toEqual([1]);
    expect(b.boot).toEqual([{ level: 'error', fields: { code: 'GW_CONFIG_ENV', problems }, msg: 'runtime not started: invalid environment' }]);
  });

  it('logs an unhandled rejection, with the boot logger while starting and the app logger after', async () => {
    const { app, log } = startedApp();
    let release!: () => void;
    const b = boot(() => new Promise((resolve) => (release = () => resolve(app))));
    b.emit('unhandledRejection', new Error('early'));
    release();
    await b.done;
    b.emit('unhandledRejection', new Error('late'));
    expect(b.boot).toEqual([{ level: 'error', fields: { err: expect.objectContaining({ message: 'early' }) }, msg: 'unhandled rejection' }]);
    expect(log).toEqual([{ level: 'error', fields: { err: expect.objectContaining({ message: 'late' }) }, msg: 'unhandled rejection' }]);
    expect(b.exits).toEqual([]);
  });
});
