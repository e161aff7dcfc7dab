import type { TokenRole } from '@gw/store';
import type express from 'express';
import { listDeclaredRoutes, type DeclaredRoute } from '../route-access.js';

/** Who calls in the matrix: no token, a token nobody issued, a named token per role, the bootstrap token. */
export type MatrixCaller = 'none' | 'unknown' | TokenRole | 'bootstrap';
export const MATRIX_CALLERS: readonly MatrixCaller[] = ['none', 'unknown', 'viewer', 'deployer', 'admin', 'bootstrap'];

/** `unauthorized`: 401 problem+json with WWW-Authenticate; `forbidden`: 403 problem+json; `allowed`: neither. */
export type MatrixOutcome = 'unauthorized' | 'forbidden' | 'allowed';

export interface MatrixCase {
  route: DeclaredRoute;
  /** The route's path with every parameter filled in (`:name` → `matrix-probe`), plus its query for an elevated entry. */
  url: string;
  caller: MatrixCaller;
  expected: MatrixOutcome;
}

/** Spelled out here rather than taken from access.ts, so a bug there cannot make the matrix agree with itself. */
const RANK: Readonly<Record<TokenRole, number>> = { viewer: 1, deployer: 2, admin: 3 };

/** What the declared access promises for this caller. */
export function expectedOutcome(access: DeclaredRoute['access'], caller: MatrixCaller): MatrixOutcome {
  if (access === 'public') return 'allowed';
  if (caller === 'none' || caller === 'unknown') return 'unauthorized';
  const role: TokenRole = caller === 'bootstrap' ? 'admin' : caller;
  return RANK[role] >= RANK[access] ? 'allowed' : 'forbidden';
}

/** Every declared route of the app × every caller, with the outcome its declaration promises. */
export function routeAccessMatrix(app: express.Express): MatrixCase[] {
  return listDeclaredRoutes(app).flatMap((route) => {
    const path = route.path.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, (p) => (p === ':name' ? 'matrix-probe' : '1'));
    const url = route.query === undefined ? path : `${path}?${route.query}`;
    return MATRIX_CALLERS.map((caller) => ({ route, url, caller, expected: expectedOutcome(route.access, caller) }));
  });
}
