import { ErrorCodes, GatewayError } from '@gw/errors';
import { ReloadingTlsFiles, type TlsMaterialInfo } from '@gw/grpc-tls';
import type { Logger } from '@gw/logging';
// The identity entry only: the runtime never issues certificates, so it does not load the X.509 builder.
import { peerIdentity } from '@gw/pki/identity';
import type { RuntimeConfig } from './env.js';

/** The runtime's config with its id settled. */
export type ResolvedRuntimeConfig = RuntimeConfig & { runtimeId: string };

/**
 * The runtime id a process runs as. With mutual TLS the certificate decides (its SPIFFE URI
 * SAN `spiffe://gateway/runtime/<id>`; CN and DNS names are not identities): RUNTIME_ID may
 * be left unset, and one that differs from the certificate is refused, since controllers
 * would refuse every stream it opens. Insecure: RUNTIME_ID (default: the host name).
 */
export function settleRuntimeId(configuredId: string | undefined, certificate: TlsMaterialInfo | undefined): string {
  if (!certificate) {
    if (configuredId === undefined) throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, 'RUNTIME_ID is required');
    return configuredId;
  }
  const id = peerIdentity('runtime', certificate.subjectAltName);
  if (id === undefined) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `CONTROLLER_TLS_CERT_FILE names no runtime identity: it needs exactly one URI SAN spiffe://gateway/runtime/<id> (it has: ${certificate.subjectAltName || 'no subjectAltName'})`);
  }
  if (configuredId !== undefined && configuredId !== id) {
    throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `RUNTIME_ID "${configuredId}" differs from the runtime id in CONTROLLER_TLS_CERT_FILE ("${id}"): unset RUNTIME_ID or use a certificate issued for it`);
  }
  return id;
}

/** Opens the TLS files (a start-up error when unusable) and settles the runtime id. */
export function openControllerTls(config: RuntimeConfig, logger: Logger): { config: ResolvedRuntimeConfig; tls: ReloadingTlsFiles | undefined } {
  let tls: ReloadingTlsFiles | undefined;
  if (config.controllerTls) {
    try {
      tls = new ReloadingTlsFiles(config.controllerTls, {
        onLoaded: (info) => logger.info({ certificateNotAfter: info.certificateNotAfter, caNotAfter: info.caNotAfter, fingerprint256: info.fingerprint256 }, 'controller TLS files loaded'),
        onError: (err) => logger.error({ err }, 'controller TLS files changed but cannot be used; the previous ones stay in use'),
      });
    } catch (err) {
      throw new GatewayError(ErrorCodes.GW_CONFIG_ENV, `controller TLS files unusable: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    return { config: { ...config, runtimeId: settleRuntimeId(config.runtimeId, tls?.info) }, tls };
  } catch (err) {
    tls?.close();
    throw err;
  }
}
