import { envVar, readEnv } from '@gw/app-kit';

/**
 * Every variable gatewayctl reads (README: "gatewayctl"). `--url` and `--token` win over
 * them, so a script can name one controller without touching its environment.
 */
export const GATEWAYCTL_ENV = {
  /** Comma-separated deploy-API base URLs of controller replicas, tried in turn. */
  GATEWAY_URL: envVar.string(),
  /** The bearer token (an ADMIN_TOKEN or a named token from POST /v1/tokens). */
  GATEWAY_TOKEN: envVar.string(),
  /** Any value turns colour off even on a terminal (https://no-color.org). */
  NO_COLOR: envVar.string(),
};

export type GatewayctlEnv = ReturnType<typeof readGatewayctlEnv>;

export function readGatewayctlEnv(env: NodeJS.ProcessEnv) {
  return readEnv(GATEWAYCTL_ENV, env);
}
