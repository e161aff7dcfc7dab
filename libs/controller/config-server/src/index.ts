export { ConfigServer, type ConfigServerOptions } from './config-server.js';
export { combineCallbacks, type RuntimeSession, type ConfigServerCallbacks } from './runtime-session.js';
