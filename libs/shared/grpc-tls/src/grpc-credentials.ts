import * as grpc from '@grpc/grpc-js';
import type { ReloadingTlsFiles } from './reloading-tls-files.js';

/**
 * Server credentials that demand a client certificate chaining to the files' CA: a client
 * without one, or with one from another CA or expired, fails the handshake and never
 * reaches a handler. New handshakes use the newest files; open connections keep theirs.
 */
export function mutualTlsServerCredentials(files: ReloadingTlsFiles): grpc.ServerCredentials {
  // grpc-js 1.14 passes the first two arguments to its constructor swapped relative to their
  // names; one provider serves as both, so the order cannot matter.
  return grpc.experimental.createCertificateProviderServerCredentials(files, files, true);
}

/** Channel credentials presenting the files' certificate and trusting only their CA. */
export function mutualTlsChannelCredentials(files: ReloadingTlsFiles): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(files, files);
}

/**
 * Channel options that check the server certificate against `serverName` instead of the
 * host of the address (e.g. addresses are IPs, the certificate names a service).
 */
export function serverNameOptions(serverName: string | undefined): grpc.ChannelOptions {
  return serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {};
}
