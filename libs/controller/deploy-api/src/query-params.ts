import type { FieldProblem } from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import type { Request, Response } from 'express';
import { sendProblem } from './problem-details.js';

export type Query = Record<string, unknown>;

/** Unknown or repeated parameters are refused, so a typo (`waitforVersion`) is never silently ignored. */
export function checkParams(query: Query, allowed: readonly string[], problems: FieldProblem[]): void {
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) problems.push({ path: name, message: `unknown query parameter; allowed: ${allowed.join(', ') || 'none'}` });
    else if (typeof value !== 'string') problems.push({ path: name, message: 'must be given once' });
  }
}

export function intParam(query: Query, name: string, min: number, max: number, problems: FieldProblem[]): number | undefined {
  const raw = query[name];
  if (typeof raw !== 'string') return undefined;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push({ path: name, message: `must be an integer from ${min} to ${max}` });
    return undefined;
  }
  return Number(raw);
}

/** 400 with every problem at its parameter's name. */
export function badQuery(req: Request, res: Response, problems: FieldProblem[]): void {
  sendProblem(req, res, {
    status: 400,
    code: ErrorCodes.GW_BAD_REQUEST,
    detail: `The query has ${problems.length} problem(s).`,
    errors: problems,
  });
}

/** `true` or `false` (absent: `false`); anything else is a problem at the parameter's name. */
export function booleanParam(query: Query, name: string, problems: FieldProblem[]): boolean {
  const raw = query[name];
  if (raw === undefined) return false;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  problems.push({ path: name, message: typeof raw === 'string' ? 'must be true or false' : 'must be given once' });
  return false;
}
