import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL in this process: PGlite (PostgreSQL compiled to WASM) served over the wire
 * protocol, so the controllers connect with their ordinary pg driver. PGlite has one
 * backend; pglite-socket's multiplexer queues every client's messages onto it and keeps a
 * transaction on the connection that opened it. Two consequences the demo accounts for:
 * NOTIFY is not delivered to other connections (the controllers' change feed detects
 * that and polls), and session-level advisory locks do not exclude anybody (the demo
 * starts the first controller, which migrates, before the others).
 */
export async function startEmbeddedPostgres(options: { dataDir: string; host: string; port: number; maxConnections?: number }): Promise<EmbeddedPostgres> {
  const db = await PGlite.create({ dataDir: options.dataDir });
  const server = new PGLiteSocketServer({
    db,
    host: options.host,
    port: options.port,
    // Each controller's pool and its start-up probe hold connections at once.
    maxConnections: options.maxConnections ?? 64,
  });
  try {
    await server.start();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const [, port] = server.getServerConn().split(':');
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${options.host}:${port}/postgres`,
    port: Number(port),
    dataDir: options.dataDir,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        // Closing flushes PGlite's files to the data directory.
        await db.close();
      })();
      return stopping;
    },
  };
}
