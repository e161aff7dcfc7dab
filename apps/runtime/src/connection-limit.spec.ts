import { describe, expect, it } from 'vitest';
import { FALLBACK_MAX_CONNECTIONS, defaultMaxConnections } from './connection-limit.js';

const limits = (openFiles: string) => `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            ${openFiles}                 seconds
Max locked memory         8388608              8388608              bytes
`;

describe('MAX_CONNECTIONS default', () => {
  it('is half of the open-file limit after the reserve', () => {
    expect(defaultMaxConnections(() => limits('20000                1048576              files'))).toBe(9_872);
    expect(defaultMaxConnections(() => limits('1048576              1048576              files'))).toBe(524_160);
  });

  it('stays usable with a tiny limit, and falls back when the limit is unknown', () => {
    expect(defaultMaxConnections(() => limits('100                  100                  files'))).toBe(16);
    expect(defaultMaxConnections(() => limits('unlimited            unlimited            files'))).toBe(FALLBACK_MAX_CONNECTIONS);
    expect(defaultMaxConnections(() => {
      throw new Error('no /proc');
    })).toBe(FALLBACK_MAX_CONNECTIONS);
  });

  it('reads this process on Linux', () => {
    expect(defaultMaxConnections()).toBeGreaterThanOrEqual(16);
  });
});
