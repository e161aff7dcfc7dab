import { UNKNOWN_FIELD, validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { API_RESOURCE_TYPE, type ConfigResource } from './config-resource.js';

export type DecodedApi = { ok: true; api: ApiDefinition } | { ok: false; code: ErrorCode; message: string };

/**
 * An `api` resource → the API definition this build understands, validated with the same
 * schema the deploy API uses (grpc-js-xds style: a value or an error, never half of one).
 * A field this build does not know is GW_SNAPSHOT_UNSUPPORTED naming the field: version
 * skew during an upgrade is explicit, never a silently dropped setting. Anything else
 * wrong is GW_SNAPSHOT_INVALID at its path. Content is trusted to hash correctly
 * (`verifySnapshot` runs first).
 */
export function decodeApiResource(resource: ConfigResource): DecodedApi {
  const where = `${resource.type} "${resource.name}"`;
  if (resource.type !== API_RESOURCE_TYPE) {
    return { ok: false, code: ErrorCodes.GW_SNAPSHOT_UNSUPPORTED, message: `${where}: resource type "${resource.type}" is not known to this runtime; upgrade it` };
  }
  let content: unknown;
  try {
    content = JSON.parse(resource.content);
  } catch {
    return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `${where}: content is not JSON` };
  }
  const result = validateApiDefinition(content, { expectedName: resource.name });
  if (result.ok) return { ok: true, api: result.value };
  const unknown = result.problems.filter((p) => p.message === UNKNOWN_FIELD);
  if (unknown.length > 0) {
    const fields = unknown.map((p) => p.path).join(', ');
    return {
      ok: false,
      code: ErrorCodes.GW_SNAPSHOT_UNSUPPORTED,
      message: `${where}: ${unknown.length === 1 ? 'field' : 'fields'} ${fields} ${unknown.length === 1 ? 'is' : 'are'} not known to this runtime's schema; upgrade the runtime (or stop using the field) and the config applies`,
    };
  }
  const first = result.problems[0]!;
  return { ok: false, code: ErrorCodes.GW_SNAPSHOT_INVALID, message: `${where}: ${first.path || '(content)'} ${first.message}` };
}
