export { ErrorCodes, type ErrorCode } from './error-codes.js';
export { GatewayError, isGatewayError } from './gateway-error.js';
