import { GatewayError } from '@gw/errors';
import type { Logger } from '@gw/logging';
import { describe, expect, it } from 'vitest';
import { createProcessLogger, type ProcessLoggerOptions } from './process-logger.js';

/** A process logger whose lines are kept, parsed, instead of written to stdout. */
function capture(options: Partial<ProcessLoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createProcessLogger({ app: 'runtime', destination: { write: (line: string) => void lines.push(line) }, ...options });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
  return { logger, lines, records };
}

describe('createProcessLogger', () => {
  it('writes one JSON object per line: level as a label, ISO time, app and bindings, fields, msg', () => {
    const { logger, lines, records } = capture({ bindings: { runtimeId: 'rt-1', zone: 'a' } });
    logger.info({ version: 7 }, 'config applied');
    logger.warn({ target: 'http://u' }, 'upstream target ejected');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.endsWith('}\n') && !l.slice(0, -1).includes('\n')).toBe(true);
    const [applied, ejected] = records();
    expect(applied).toEqual({ level: 'info', time: expect.any(String), app: 'runtime', runtimeId: 'rt-1', zone: 'a', version: 7, msg: 'config applied' });
    expect(new Date(applied!['time']).toISOString()).toBe(applied!['time']);
    expect(ejected).toMatchObject({ level: 'warn', msg: 'upstream target ejected' });
  });

  it('drops lines below the level, and everything at silent', () => {
    const warn = capture({ level: 'warn' });
    warn.logger.debug({}, 'd');
    warn.logger.info({}, 'i');
    warn.logger.error({}, 'e');
    expect(warn.records().map((r) => r['msg'])).toEqual(['e']);
    const debug = capture({ level: 'debug' });
    debug.logger.debug({}, 'd');
    expect(debug.records()).toEqual([expect.objectContaining({ level: 'debug', msg: 'd' })]);
    const silent = capture({ level: 'silent' });
    silent.logger.error({}, 'e');
    expect(silent.lines).toEqual([]);
  });

  it('is the Logger libraries take: a child adds its fields to every line', () => {
    const { logger, records } = capture();
    const lib: Logger = logger;
    lib.child({ component: 'shared-state' }).child({ redis: 'redis://h:6379' }).info({ n: 1 }, 'hi');
    expect(records()[0]).toMatchObject({ app: 'runtime', component: 'shared-state', redis: 'redis://h:6379', n: 1, msg: 'hi' });
  });

  it('serializes errors under err, error and cause with type, message, code and stack', () => {
    const { logger, records } = capture();
    const err = new GatewayError('GW_DATABASE_UNAVAILABLE', 'database unavailable', { cause: new Error('ECONNREFUSED') });
    logger.error({ err, cause: err.cause, error: 'timeout' }, 'deploy failed');
    const r = records()[0]!;
    expect(r['err']).toMatchObject({ type: 'GatewayError', message: expect.stringContaining('database unavailable'), code: 'GW_DATABASE_UNAVAILABLE' });
    expect(r['err'].stack).toContain('database unavailable');
    expect(r['cause']).toMatchObject({ type: 'Error', message: 'ECONNREFUSED', stack: expect.stringContaining('ECONNREFUSED') });
    // Not an error: kept as it is.
    expect(r['error']).toBe('timeout');
  });

  it('censors secrets as [REDACTED], and only the credentials of a connection string', () => {
    const { logger, lines, records } = capture({ bindings: { adminToken: 'binding-secret' } });
    logger.info(
      {
        authorization: 'Bearer top-level-token',
        headers: { authorization: 'Basic aGVhZGVy', cookie: 'sid=cookie-secret', 'x-api-key': 'api-key-secret', 'content-type': 'text/plain' },
        req: { method: 'GET', headers: { authorization: 'Bearer req-token', 'proxy-authorization': 'Basic cHJveHk=', host: 'h' } },
        res: { headers: { 'set-cookie': ['sid=set-cookie-secret'] } },
        user: { name: 'alice', password: 'hunter2' },
        password: 'pw-top',
        token: 'plain-token',
        config: { adminToken: 'admin-secret', secret: 'shh', apiKey: 'k-123' },
        keys: [{ kty: 'oct', kid: 'a', k: 'hmac-secret-1' }],
        jwt: { keys: [{ kty: 'oct', kid: 'b', k: 'hmac-secret-2' }, { kty: 'RSA', kid: 'c', n: 'public-modulus', d: 'private-exponent' }] },
        auth: { jwt: { keys: [{ kty: 'oct', k: 'hmac-secret-3' }] } },
        redisUrl: 'redis-sentinel://:redis-pass@s1:26379,s2:26379/mymaster?sentinelPassword=sentinel-pass',
        shared: { databaseUrl: 'postgres://gw:db-pass@db:5432/gateway' },
      },
      'secrets everywhere',
    );
    for (const secret of [
      'binding-secret', 'top-level-token', 'aGVhZGVy', 'cookie-secret', 'api-key-secret', 'req-token', 'cHJveHk=', 'set-cookie-secret', 'hunter2', 'pw-top',
      'plain-token', 'admin-secret', 'shh', 'k-123', 'hmac-secret-1', 'hmac-secret-2', 'private-exponent', 'hmac-secret-3', 'redis-pass', 'sentinel-pass', 'db-pass',
    ]) {
      expect(lines[0], secret).not.toContain(secret);
    }
    const r = records()[0]!;
    expect(r).toMatchObject({
      adminToken: '[REDACTED]',
      authorization: '[REDACTED]',
      headers: { authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-api-key': '[REDACTED]', 'content-type': 'text/plain' },
      req: { method: 'GET', headers: { authorization: '[REDACTED]', 'proxy-authorization': '[REDACTED]', host: 'h' } },
      res: { headers: { 'set-cookie': '[REDACTED]' } },
      user: { name: 'alice', password: '[REDACTED]' },
      config: { adminToken: '[REDACTED]', secret: '[REDACTED]', apiKey: '[REDACTED]' },
      keys: [{ kty: 'oct', kid: 'a', k: '[REDACTED]' }],
      jwt: { keys: [{ kid: 'b', k: '[REDACTED]' }, { kid: 'c', n: 'public-modulus', d: '[REDACTED]' }] },
      redisUrl: 'redis-sentinel://[REDACTED]@s1:26379,s2:26379/mymaster?[REDACTED]',
      shared: { databaseUrl: 'postgres://[REDACTED]@db:5432/gateway' },
      msg: 'secrets everywhere',
    });
  });
});
