import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '@gw/test-kit';
import { startPrivateRedis, type PrivateRedis } from './private-redis.js';

const run = promisify(execFile);

/** A Redis Cluster of the test's own: `size` masters (no replicas) on free 127.0.0.1 ports. */
export interface PrivateRedisCluster {
  readonly nodes: PrivateRedis[];
  /** `redis-cluster://127.0.0.1:p1,127.0.0.1:p2,…` */
  readonly url: string;
  destroy(): Promise<void>;
}

/** Starts the nodes, joins them with `redis-cli --cluster create`, and waits for `cluster_state:ok` (takes a few seconds). */
export async function startPrivateRedisCluster(size = 3): Promise<PrivateRedisCluster> {
  const nodes: PrivateRedis[] = [];
  const destroy = async () => {
    await Promise.all(nodes.map((n) => n.destroy()));
  };
  try {
    for (let i = 0; i < size; i++) {
      nodes.push(await startPrivateRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000'] }));
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run(process.env['REDIS_CLI_BIN'] ?? 'redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 });
    // Throwing names the node that is not ok yet and its CLUSTER INFO in the timeout error.
    const everyNodeOk = async () => {
      for (const node of nodes) {
        const info = String(await node.command('CLUSTER', 'INFO'));
        if (!info.includes('cluster_state:ok')) throw new Error(`node ${node.port}: ${info}`);
      }
      return true;
    };
    await waitFor('cluster_state:ok on every node', everyNodeOk, { timeoutMs: 30_000, intervalMs: 100 });
    return { nodes, url: `redis-cluster://${addresses.join(',')}`, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
