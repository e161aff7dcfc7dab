import type { z } from 'zod';

/** A query, path or header parameter of one operation. */
export interface ParameterDoc {
  name: string;
  in: 'query' | 'path' | 'header';
  description: string;
  schema: z.ZodType;
  required?: boolean;
}

/** One answer that is not a problem document: its body schema (JSON unless `contentType` says otherwise). */
export interface ResponseDoc {
  description: string;
  /** Absent: no body (204, 304, 301). */
  schema?: z.ZodType;
  /** Default `application/json`; several (`text/html`, `text/css`) when the route serves files. */
  contentType?: string | readonly string[];
  /** Response headers worth knowing (ETag, X-Config-Version, Location), each with what it holds. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The OpenAPI description of one method of one declared route, given to `declareRoute`
 * next to the access and handlers, so the document at `GET /v1/openapi.json` is built from
 * the same registry that serves the requests. 401/403/503 (guarded routes), 400/413/415
 * (routes reading a JSON body) and 500 are added from the declaration itself.
 */
export interface OperationDoc {
  operationId: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  parameters?: readonly ParameterDoc[];
  requestBody?: { description: string; schema: z.ZodType };
  /** The answers that are not problem documents, by status. */
  responses: Readonly<Record<number, ResponseDoc>>;
  /** The problem+json answers this operation gives on its own (beyond the derived ones), by status, with when. */
  problems?: Readonly<Record<number, string>>;
}

/** True for what `declareRoute` accepts in the slot after the access: a description, not a handler. */
export function isOperationDoc(value: unknown): value is OperationDoc {
  return typeof value === 'object' && value !== null && 'operationId' in value;
}
