import { Gauge, type Registry } from 'prom-client';

/** The one metric both sides export about their TLS files (README: Security between the planes). */
export const TLS_EXPIRY_METRIC = 'gateway_tls_certificate_expiry_timestamp_seconds';

/**
 * `gateway_tls_certificate_expiry_timestamp_seconds{certificate}`: when each certificate
 * in use runs out (Unix seconds), read at scrape time so it follows every reload. Alert on
 * `… - time() < 7 * 86400`. `certificates` maps the label value (`server`, `client_ca` on
 * the controller; `client`, `ca` on the runtime) to its current notAfter.
 */
export function registerTlsExpiryGauge(registry: Registry, certificates: () => Record<string, Date>): Gauge<'certificate'> {
  return new Gauge({
    name: TLS_EXPIRY_METRIC,
    help: 'notAfter of each TLS certificate this process uses on the config stream, as a Unix timestamp in seconds',
    labelNames: ['certificate'],
    registers: [registry],
    collect() {
      for (const [certificate, notAfter] of Object.entries(certificates())) this.set({ certificate }, Math.floor(notAfter.getTime() / 1000));
    },
  });
}
