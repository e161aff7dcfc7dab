export { createProxyHandler, type ProxyHandler, type ProxyHandlerOptions } from './proxy-handler.js';
export { resolveRequestId } from './request-id.js';
export { sendProxyError, type ProxyError } from './error-response.js';
export { classifyUpstreamFailure } from './upstream-failure.js';
export { UPSTREAM_AGENT_OPTIONS } from './upstream-agents.js';
