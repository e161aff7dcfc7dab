import type { HashOn } from '@gw/api-schema';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The value consistent hashing hashes for one request, or `undefined` when the request
 * does not carry it (such a request is balanced without affinity).
 * @param headers Node's lower-cased request headers
 * @param clientIp the client's address as the runtime resolved it
 */
export function hashKeyOf(hashOn: HashOn, headers: Headers, clientIp: string | undefined): string | undefined {
  if ('header' in hashOn) {
    const value = headers[hashOn.header];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(',') : value;
  }
  if ('cookie' in hashOn) return cookieValue(headers['cookie'], hashOn.cookie);
  return clientIp === undefined || clientIp === '' ? undefined : clientIp;
}

/** The first value of cookie `name` in `Cookie` header(s) (RFC 6265 `name=value; …`). */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const line of Array.isArray(header) ? header : [header]) {
    let from = 0;
    while (from < line.length) {
      let end = line.indexOf(';', from);
      if (end === -1) end = line.length;
      const eq = line.indexOf('=', from);
      if (eq !== -1 && eq < end && line.slice(from, eq).trim() === name) {
        let value = line.slice(eq + 1, end).trim();
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        return value;
      }
      from = end + 1;
    }
  }
  return undefined;
}
