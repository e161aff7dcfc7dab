/** The opt-out of mutual TLS, read by both apps. */
export const INSECURE_VAR = 'CONFIG_INSECURE';

/**
 * The one rule the controller and the runtime apply to their TLS variables: all or none; none only with
 * CONFIG_INSECURE=true; and not both (a file set next to the opt-out is a mistake either way).
 */
export function tlsSettingsProblem(names: readonly string[], e: Record<string, unknown>, why: string): string | undefined {
  const set = names.filter((n) => e[n] !== undefined);
  const insecure = e[INSECURE_VAR] === 'true';
  const list = names.join(', ');
  if (insecure && set.length > 0) return `CONFIG_INSECURE=true contradicts ${set.join(', ')}: unset CONFIG_INSECURE to use mutual TLS, or unset the files to run without it`;
  if (insecure) return undefined;
  if (set.length === 0) return `${list} are required (mutual TLS: ${why}); set CONFIG_INSECURE=true to run without TLS for local experiments only`;
  const missing = names.filter((n) => e[n] === undefined);
  if (missing.length > 0) return `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required with ${set.join(', ')}: mutual TLS needs ${list}`;
  return undefined;
}

