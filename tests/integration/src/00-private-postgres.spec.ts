// The support for tests that stop the database: a private server starts, stops and restarts.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';

let server: PrivatePostgres | undefined;
afterAll(async () => server?.destroy());

async function query(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  await client.connect();
  try {
    return (await client.query('select 1 as one')).rows[0].one as number;
  } finally {
    await client.end();
  }
}

describe('private PostgreSQL for failure tests', () => {
  it('starts on its own port, stops, and starts again', async () => {
    server = await startPrivatePostgres();
    expect(server.port).not.toBe(5432);
    expect(await query(server.url)).toBe(1);
    await server.stop();
    await expect(query(server.url)).rejects.toThrow();
    await server.start();
    expect(await query(server.url)).toBe(1);
  });
});
