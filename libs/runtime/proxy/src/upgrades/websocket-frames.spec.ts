import { describe, expect, it } from 'vitest';
import { FrameBoundary, closeFrame } from './websocket-frames.js';

function frame(payloadLength: number, masked: boolean): Buffer {
  const head =
    payloadLength < 126
      ? Buffer.from([0x81, (masked ? 0x80 : 0) | payloadLength])
      : payloadLength < 65_536
        ? Buffer.from([0x82, (masked ? 0x80 : 0) | 126, payloadLength >> 8, payloadLength & 0xff])
        : Buffer.concat([Buffer.from([0x82, (masked ? 0x80 : 0) | 127]), Buffer.from([0, 0, 0, 0, (payloadLength >>> 24) & 0xff, (payloadLength >> 16) & 0xff, (payloadLength >> 8) & 0xff, payloadLength & 0xff])]);
  return Buffer.concat([head, masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0), Buffer.alloc(payloadLength, 7)]);
}

describe('FrameBoundary', () => {
  it('is at a boundary after whole frames of every length encoding, masked or not', () => {
    const tracker = new FrameBoundary();
    expect(tracker.atBoundary).toBe(true);
    for (const [len, masked] of [[0, false], [5, true], [125, false], [126, true], [300, false], [70_000, true]] as const) {
      tracker.feed(frame(len, masked));
      expect(tracker.atBoundary, `${len} ${masked}`).toBe(true);
    }
  });

  it('knows it is inside a frame whatever the chunking', () => {
    const bytes = Buffer.concat([frame(300, true), frame(3, false), frame(70_000, false)]);
    const boundaries = new Set([0, frame(300, true).length, frame(300, true).length + frame(3, false).length, bytes.length]);
    // Feed one byte at a time around the interesting spots, bigger slices elsewhere.
    const tracker = new FrameBoundary();
    let at = 0;
    while (at < bytes.length) {
      const step = at < 400 ? 1 : 997;
      const end = Math.min(bytes.length, at + step);
      tracker.feed(bytes.subarray(at, end));
      at = end;
      if (step === 1) expect(tracker.atBoundary, `after ${at}`).toBe(boundaries.has(at));
    }
    expect(tracker.atBoundary).toBe(true);
  });

  it('builds close frames a peer can read: unmasked for clients, masked for upstreams', () => {
    const plain = closeFrame(1001, 'bye', false);
    expect([...plain.subarray(0, 4)]).toEqual([0x88, 5, 0x03, 0xe9]);
    expect(plain.subarray(4).toString()).toBe('bye');
    const masked = closeFrame(1001, 'bye', true);
    expect(masked[1]).toBe(0x80 | 5);
    const mask = masked.subarray(2, 6);
    const payload = Buffer.from(masked.subarray(6).map((b, i) => b ^ mask[i & 3]!));
    expect(payload.readUInt16BE(0)).toBe(1001);
    expect(payload.subarray(2).toString()).toBe('bye');
    const tracker = new FrameBoundary();
    tracker.feed(masked);
    expect(tracker.atBoundary).toBe(true);
  });
});
