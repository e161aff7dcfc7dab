export { ConfigServer, type ConfigServerOptions } from './config-server.js';
export type { RuntimeSession, ConfigServerCallbacks } from './runtime-session.js';
