import type * as grpc from '@grpc/grpc-js';
// The identity entry only: the controller never issues certificates, so it does not load the X.509 builder.
import { peerIdentity, spiffeId } from '@gw/pki/identity';

/** Who a runtime proved to be in its TLS handshake. */
export interface RuntimeIdentity {
  /** The id in its certificate's SPIFFE URI SAN (`spiffe://gateway/runtime/<id>`). */
  runtimeId: string;
  /** The SPIFFE ID itself, as fleet status shows it. */
  spiffeId: string;
  certificateNotAfter: Date;
}

/**
 * The runtime identity of a call's client certificate, or undefined when the connection
 * is not mutual TLS or the certificate names no (or more than one) runtime. Only the URI
 * SAN counts: the CN and DNS names are never read for identity.
 */
export function runtimeIdentityOf(call: Pick<grpc.ServerDuplexStream<unknown, unknown>, 'getAuthContext'>): RuntimeIdentity | undefined {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert) return undefined;
  const id = peerIdentity('runtime', cert.subjectaltname);
  if (id === undefined) return undefined;
  return { runtimeId: id, spiffeId: spiffeId('runtime', id), certificateNotAfter: new Date(cert.valid_to) };
}
