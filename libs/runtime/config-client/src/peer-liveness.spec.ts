// PeerLiveness against a real peer: a child process that echoes each probe over its IPC
// channel (real I/O, read by this process's event loop like a gRPC answer).
import { spawn, type ChildProcess } from 'node:child_process';
import { waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerLiveness } from './peer-liveness.js';

const ECHO = "process.on('message', (m) => process.send(m));";
const INTERVAL_MS = 50;
const TIMEOUT_MS = 300;

const children: ChildProcess[] = [];
const livenesses: PeerLiveness[] = [];
afterEach(() => {
  for (const l of livenesses.splice(0)) l.stop();
  for (const c of children.splice(0)) {
    c.kill('SIGCONT');
    c.kill('SIGKILL');
  }
});

async function echoPeer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** A liveness over `peer`; `afterSend` runs right after each probe is sent. */
function watch(peer: ChildProcess, afterSend: (n: number) => void = () => undefined) {
  const seen = { sent: 0, answered: 0, silent: [] as number[] };
  let next = 0;
  const liveness = new PeerLiveness({
    intervalMs: INTERVAL_MS,
    timeoutMs: TIMEOUT_MS,
    probe: (answered) => {
      const id = ++next;
      const onMessage = (m: unknown) => {
        if (m !== id) return;
        seen.answered++;
        answered();
      };
      peer.on('message', onMessage);
      peer.send(id);
      seen.sent++;
      afterSend(id);
      return () => peer.off('message', onMessage);
    },
    onSilent: (ms) => seen.silent.push(ms),
  });
  livenesses.push(liveness);
  liveness.start();
  return seen;
}

describe('PeerLiveness', () => {
  it('keeps probing an answering peer', async () => {
    const seen = watch(await echoPeer());
    await waitFor('five answered probes', () => seen.answered >= 5);
    expect(seen.silent).toEqual([]);
  });

  it(`does not blame the peer for this loop blocked ${4 * TIMEOUT_MS} ms right after a probe went out, three times`, async () => {
    // The answer arrives while the loop is blocked and waits in the pipe: a plain timer of
    // TIMEOUT_MS would fire before the loop reads it.
    const seen = watch(await echoPeer(), (n) => {
      if (n <= 3) setImmediate(() => blockLoop(4 * TIMEOUT_MS));
    });
    await waitFor('six answered probes', () => seen.answered >= 6, { timeoutMs: 30_000 });
    expect(seen.silent).toEqual([]);
  });

  it('notices a frozen peer (SIGSTOP) within interval + timeout + a tick', async () => {
    const peer = await echoPeer();
    const seen = watch(peer);
    await waitFor('an answered probe', () => seen.answered >= 1);
    peer.kill('SIGSTOP');
    const frozenAt = performance.now();
    await waitFor('the peer given up', () => seen.silent.length > 0, { timeoutMs: 30_000 });
    const noticedMs = performance.now() - frozenAt;
    expect(seen.silent).toHaveLength(1);
    // The bound of the README, with room for a loaded machine's scheduling.
    expect(noticedMs).toBeLessThan(INTERVAL_MS + TIMEOUT_MS + 250 + 1_000);
  });
});
