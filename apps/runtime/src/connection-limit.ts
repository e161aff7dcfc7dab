import { readFileSync } from 'node:fs';

/** Descriptors kept out of MAX_CONNECTIONS' default: admin listener, config stream, Redis, health checks, files. */
export const DESCRIPTOR_RESERVE = 256;
/** When the descriptor limit cannot be read (not Linux). */
export const FALLBACK_MAX_CONNECTIONS = 10_000;

/**
 * The default of `MAX_CONNECTIONS`: half of what the process's open-file limit (soft,
 * from /proc/self/limits) leaves after `DESCRIPTOR_RESERVE`, because each client
 * connection may hold an upstream connection too. Node has no getrlimit.
 */
export function defaultMaxConnections(limits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number {
  let soft: number | undefined;
  try {
    const line = limits()
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const value = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    soft = value === undefined || value === 'unlimited' ? undefined : Number(value);
  } catch {
    soft = undefined;
  }
  if (soft === undefined || !Number.isFinite(soft)) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(16, Math.floor((soft - DESCRIPTOR_RESERVE) / 2));
}
