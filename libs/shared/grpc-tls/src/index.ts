export { ReloadingTlsFiles, validateTlsMaterial, TLS_RELOAD_INTERVAL_MS, type TlsFiles, type TlsMaterialInfo, type ReloadingTlsFilesOptions } from './reloading-tls-files.js';
export { mutualTlsServerCredentials, mutualTlsChannelCredentials, serverNameOptions } from './grpc-credentials.js';
export { registerTlsExpiryGauge, TLS_EXPIRY_METRIC } from './tls-expiry-gauge.js';
export { tlsSettingsProblem, INSECURE_VAR } from './tls-settings.js';
