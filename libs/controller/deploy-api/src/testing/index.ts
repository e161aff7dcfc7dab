export { routeAccessMatrix, expectedOutcome, MATRIX_CALLERS, type MatrixCaller, type MatrixCase, type MatrixOutcome } from './route-access-matrix.js';
export { issueRoleTokens } from './role-tokens.js';
export { OpenApiConformance, openApiCoverage, type LiveAnswer } from './openapi-conformance.js';
