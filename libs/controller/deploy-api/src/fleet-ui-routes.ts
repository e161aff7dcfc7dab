import { existsSync, readdirSync } from 'node:fs';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { OperationDoc } from './operation-doc.js';
import { sendProblem } from './problem-details.js';
import { declareRoute } from './route-access.js';

export interface FleetUiRoutesOptions {
  /** The directory holding the built page (`fleetUiRoot` of @gw/fleet-ui): index.html, its script and stylesheet. */
  root: string;
  logger?: Logger;
}

/**
 * No inline script or style, nothing from another origin, no framing: the page only talks
 * to the controller that served it (its data comes from `/v1` with the viewer's token).
 */
export const FLEET_UI_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const ASSET = /^[a-z0-9][a-z0-9.-]*\.(?:html|js|css|svg)$/;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': FLEET_UI_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // Not fingerprinted: the browser revalidates every time (Last-Modified; the app sets no ETags), so an upgrade shows at once.
  'Cache-Control': 'no-cache',
};

const FILE = z.string().describe('The file’s content.');
const DOCS = {
  redirect: { operationId: 'redirectFleetPage', summary: 'Redirect to the fleet page', tags: ['fleet page'], responses: { 301: { description: 'To `/ui/` (with a short note as text or HTML, as express words it).', headers: { Location: '`/ui/`' }, contentType: ['text/plain', 'text/html'], schema: FILE } } },
  page: {
    operationId: 'getFleetPage',
    summary: 'The fleet page (HTML)',
    description: 'A static page for people; its data comes from /v1 with the viewer’s token (`#token=` fragment).',
    tags: ['fleet page'],
    responses: { 200: { description: 'The page.', contentType: 'text/html', schema: FILE } },
    problems: { 404: 'This build has no fleet page (GW_NOT_FOUND).' },
  },
  file: {
    operationId: 'getFleetPageFile',
    summary: 'A file of the fleet page (script, stylesheet, image)',
    tags: ['fleet page'],
    parameters: [{ name: 'file', in: 'path', description: 'A file name the build produced.', schema: z.string() }],
    responses: { 200: { description: 'The file.', contentType: ['text/html', 'text/javascript', 'text/css', 'image/svg+xml'], schema: FILE } },
    problems: { 404: 'No such file (GW_NOT_FOUND).' },
  },
} satisfies Record<string, OperationDoc>;

/**
 * The fleet page at `/ui/`: static files only (no data in them), public like the health
 * endpoints. Only the files the build produced are served; `/ui` redirects to `/ui/`
 * (the browser keeps the `#token=` fragment across the redirect).
 */
export function createFleetUiRouter(options: FleetUiRoutesOptions): Router {
  const files = new Set(existsSync(options.root) ? readdirSync(options.root).filter((f) => ASSET.test(f)) : []);
  // A build without the page must not stop a controller: the page is for people, the API carries on.
  const built = files.has('index.html');
  if (!built) (options.logger ?? silentLogger).error({ root: options.root }, 'the fleet page is not built (no index.html); /ui/ answers 404');
  const send = (file: string, req: Request, res: Response, next: NextFunction) => {
    if (!built) return sendProblem(req, res, { status: 404, code: ErrorCodes.GW_NOT_FOUND, detail: 'The fleet page is not part of this build (its files are missing).' });
    res.sendFile(file, { root: options.root, dotfiles: 'deny', cacheControl: false, lastModified: true, headers: SECURITY_HEADERS }, (err) => err && next(err));
  };
  const router = express.Router({ caseSensitive: true, strict: true });

  declareRoute(router, '/ui', { get: ['public', DOCS.redirect, (_req, res) => res.redirect(301, '/ui/')] });
  declareRoute(router, '/ui/', { get: ['public', DOCS.page, (req, res, next) => send('index.html', req, res, next)] });
  declareRoute(router, '/ui/:file', {
    get: [
      'public',
      DOCS.file,
      (req: Request, res, next) => {
        const file = req.params['file'];
        // next() would reach the route's 405: a file the build did not produce is simply not there.
        if (typeof file !== 'string' || !files.has(file)) return sendProblem(req, res, { status: 404, code: ErrorCodes.GW_NOT_FOUND, detail: 'No such file.' });
        send(file, req, res, next);
      },
    ],
  });
  return router;
}
