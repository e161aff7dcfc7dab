import { describe, expect, it } from 'vitest';
import { classifyUpstreamFailure } from './upstream-failure.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('classifyUpstreamFailure', () => {
  it('answers 502 GW_UPSTREAM_UNREACHABLE for connection failures, connect timeouts included', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNECT_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']) {
      expect(classifyUpstreamFailure(withCode(code))).toMatchObject({ status: 502, code: 'GW_UPSTREAM_UNREACHABLE' });
    }
    expect(classifyUpstreamFailure(withCode('ECONNECT_TIMEOUT')).message).toMatch(/in time/);
    expect(classifyUpstreamFailure(withCode('UND_ERR_CONNECT_TIMEOUT')).message).toMatch(/in time/);
  });
  it('names an unparseable upstream response as such', () => {
    for (const code of ['HPE_INVALID_CONSTANT', 'UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']) {
      expect(classifyUpstreamFailure(withCode(code))).toMatchObject({ status: 502, message: 'the upstream sent an invalid response' });
    }
  });
  it('names a request undici refused to send as not forwardable', () => {
    expect(classifyUpstreamFailure(withCode('UND_ERR_INVALID_ARG'))).toMatchObject({ status: 502, message: 'the request could not be forwarded to the upstream' });
  });
  it('copes with values that are not errors', () => {
    expect(classifyUpstreamFailure(undefined)).toMatchObject({ status: 502 });
    expect(classifyUpstreamFailure(null)).toMatchObject({ status: 502 });
  });
});
