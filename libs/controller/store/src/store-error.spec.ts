import { ErrorCodes, GatewayError } from '@gw/errors';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailableError, isPoolBusyError, toStoreError } from './store-error.js';

function withCode(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe('toStoreError', () => {
  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['class 08', withCode('08006')],
    ['admin shutdown 57P01', withCode('57P01')],
    ['crash shutdown 57P02', withCode('57P02')],
    ['cannot connect now 57P03', withCode('57P03')],
    ['pg "Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly')],
    ['pg connect timeout', new Error('Connection terminated due to connection timeout')],
    ['AggregateError of refusals', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'all failed')],
    ['wrapped cause', new Error('outer', { cause: withCode('ECONNRESET') })],
  ])('maps %s to GW_DATABASE_UNAVAILABLE and keeps the cause', (_label, err) => {
    expect(isDatabaseUnavailableError(err)).toBe(true);
    const mapped = toStoreError(err);
    expect(mapped.code).toBe(ErrorCodes.GW_DATABASE_UNAVAILABLE);
    expect(mapped.cause).toBe(err);
  });

  it.each([
    ['unique violation', withCode('23505')],
    ['syntax error', withCode('42601')],
    ['plain error', new Error('boom')],
    ['a string', 'boom'],
  ])('maps %s to GW_INTERNAL', (_label, err) => {
    expect(isDatabaseUnavailableError(err)).toBe(false);
    expect(toStoreError(err).code).toBe(ErrorCodes.GW_INTERNAL);
  });

  it('maps a pool checkout that timed out behind busy connections to GW_CONTROLLER_BUSY, not an outage', () => {
    const err = new Error('timeout exceeded when trying to connect');
    expect(isDatabaseUnavailableError(err)).toBe(false);
    expect(isPoolBusyError(err)).toBe(true);
    const mapped = toStoreError(err, 'read');
    expect(mapped.code).toBe(ErrorCodes.GW_CONTROLLER_BUSY);
    expect(mapped.cause).toBe(err);
  });

  it('maps a statement cancelled at the statement timeout (57014) to GW_CONTROLLER_BUSY: the database answered', () => {
    const err = new Error('outer', { cause: withCode('57014', 'canceling statement due to statement timeout') });
    expect(isDatabaseUnavailableError(err)).toBe(false);
    const mapped = toStoreError(err, 'apply APIs');
    expect(mapped.code).toBe(ErrorCodes.GW_CONTROLLER_BUSY);
    expect(mapped.message).toContain('statement timeout');
    expect(mapped.cause).toBe(err);
  });

  it('passes GatewayErrors through unchanged', () => {
    const err = new GatewayError(ErrorCodes.GW_PRECONDITION_FAILED, 'stale');
    expect(toStoreError(err)).toBe(err);
  });
});
