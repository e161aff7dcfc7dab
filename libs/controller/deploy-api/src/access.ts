import { TOKEN_ROLES, type TokenRole } from '@gw/store';

/** Who may call a route: anyone (`public`), or a token with at least this role. */
export type Access = 'public' | TokenRole;

/** True when `role` may do what `access` requires (each role includes the weaker ones). */
export function allows(role: TokenRole, access: Access): boolean {
  return access === 'public' || TOKEN_ROLES.indexOf(role) >= TOKEN_ROLES.indexOf(access);
}
