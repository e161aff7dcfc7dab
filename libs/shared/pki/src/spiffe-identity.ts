/**
 * Who a certificate speaks for. Identities are SPIFFE IDs in a URI SAN
 * (`spiffe://gateway/runtime/<id>`, `spiffe://gateway/controller/<id>`): unlike a CN or a
 * DNS name, a URI SAN cannot be mistaken for a host name a client would also accept, and
 * cert-manager (csi-driver-spiffe, or `uris:` on a Certificate) issues it as is.
 */
export const TRUST_DOMAIN = 'gateway';

export type PeerKind = 'runtime' | 'controller';

/** Ids that fit in a URI path segment without escaping, and in file names. */
export const IDENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function spiffeId(kind: PeerKind, id: string): string {
  if (!IDENTITY_ID.test(id)) throw new Error(`${kind} id "${id}" must match ${IDENTITY_ID} (letters, digits, '.', '_', '-')`);
  return `spiffe://${TRUST_DOMAIN}/${kind}/${id}`;
}

/** The id in a SPIFFE ID of this kind, or undefined when the URI is anything else. */
export function idFromSpiffeId(kind: PeerKind, uri: string): string | undefined {
  const prefix = `spiffe://${TRUST_DOMAIN}/${kind}/`;
  if (!uri.startsWith(prefix)) return undefined;
  const id = uri.slice(prefix.length);
  return IDENTITY_ID.test(id) ? id : undefined;
}

/**
 * The URIs of a Node `subjectaltname` string (`DNS:a, URI:spiffe://…, IP Address:…`).
 * Node quotes an entry that contains a comma or quote as a JSON string; such an entry is
 * never a valid identity (IDENTITY_ID has neither), so it is skipped rather than unquoted.
 */
export function urisOfSubjectAltName(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
}

/**
 * The one identity of this kind a peer certificate carries. A certificate with two
 * different ids of the same kind is refused (undefined): it would let one key speak for two.
 */
export function peerIdentity(kind: PeerKind, subjectAltName: string | undefined): string | undefined {
  const ids = new Set(urisOfSubjectAltName(subjectAltName).flatMap((uri) => idFromSpiffeId(kind, uri) ?? []));
  return ids.size === 1 ? [...ids][0] : undefined;
}
