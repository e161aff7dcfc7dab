import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer } from '@gw/test-kit';

export interface ScriptedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  res: ServerResponse;
}

/** Decides the answer to one complete request; may also keep `res` and answer later. */
export type Script = (req: ScriptedRequest, upstream: ScriptedUpstream) => void;

export interface ScriptedUpstream {
  name: string;
  url: string;
  port: number;
  /** Complete requests (body read), in order of arrival. */
  requests: ScriptedRequest[];
  /** Requests whose response has not finished, now and at most at once. */
  inFlight: number;
  maxInFlight: number;
  /** Replaced at will by the test. */
  script: Script;
  close(): Promise<void>;
}

/** `{ upstream: name, url }` with status 200. */
export const answerOk: Script = (r, up) => {
  const body = JSON.stringify({ upstream: up.name, url: r.url });
  r.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
};

/**
 * An upstream whose answers the test scripts per request, and which counts the requests
 * in flight at once (to see what a circuit breaker lets through).
 */
export async function startScriptedUpstream(name: string, script: Script = answerOk): Promise<ScriptedUpstream> {
  const up: ScriptedUpstream = { name, url: '', port: 0, requests: [], inFlight: 0, maxInFlight: 0, script, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    up.inFlight++;
    up.maxInFlight = Math.max(up.maxInFlight, up.inFlight);
    res.on('close', () => up.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const r: ScriptedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), res };
      up.requests.push(r);
      up.script(r, up);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  up.port = (server.address() as { port: number }).port;
  up.url = `http://127.0.0.1:${up.port}`;
  up.close = () => closeServer(server);
  return up;
}
