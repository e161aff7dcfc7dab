/**
 * Sets the consumer identity header for the upstream, after removing every copy the
 * client sent (Node joins repeated headers under one lower-cased key, so one delete
 * removes them all). Call it for every request of an API, authenticated or not:
 * otherwise a client could name itself on an API without authentication.
 * The proxy must forward `headers`, not `rawHeaders`.
 */
export function setConsumerHeader(headers: Record<string, string | string[] | undefined>, headerName: string, consumer: string | undefined): void {
  const name = headerName.toLowerCase();
  delete headers[name];
  if (consumer !== undefined) headers[name] = consumer;
}

/**
 * Removes a query parameter (every occurrence) from a request target, leaving every
 * other byte of the target as it was: re-serializing with URLSearchParams would change
 * the encoding of the other parameters the upstream sees.
 */
export function removeQueryParam(target: string, param: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const hash = target.indexOf('#', q);
  const query = target.slice(q + 1, hash === -1 ? undefined : hash);
  const kept = query.split('&').filter((part) => part !== '' && decodeName(part) !== param);
  return target.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '') + (hash === -1 ? '' : target.slice(hash));
}

/** The query parameter's values as the client sent them (decoded). */
export function queryParamValues(target: string, param: string): string[] {
  const q = target.indexOf('?');
  if (q === -1) return [];
  const hash = target.indexOf('#', q);
  const out: string[] = [];
  for (const part of target.slice(q + 1, hash === -1 ? undefined : hash).split('&')) {
    if (part === '' || decodeName(part) !== param) continue;
    const eq = part.indexOf('=');
    out.push(eq === -1 ? '' : safeDecode(part.slice(eq + 1)));
  }
  return out;
}

function decodeName(part: string): string {
  const eq = part.indexOf('=');
  return safeDecode(eq === -1 ? part : part.slice(0, eq));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
