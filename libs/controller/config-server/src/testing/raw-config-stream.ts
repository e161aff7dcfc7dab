import * as grpc from '@grpc/grpc-js';
import type { ConfigSnapshot } from '@gw/config-contract';
import { loadConfigProto, type ConfigRequest, type ConfigResponse__Output } from '@gw/config-proto';

/**
 * The runtime end of a plaintext config stream for this library's specs: it sends exactly
 * the requests it is told to and keeps every response. `onCleanup` is handed what closes it.
 */
export function openRawConfigStream(address: string, onCleanup: (close: () => void) => void) {
  const Ctor = loadConfigProto().gateway.config.v1.ConfigDiscovery;
  const client = new Ctor(address, grpc.credentials.createInsecure());
  const call = client.StreamConfig();
  const responses: ConfigResponse__Output[] = [];
  call.on('data', (r: ConfigResponse__Output) => responses.push(r));
  call.on('error', () => undefined);
  onCleanup(() => {
    call.cancel();
    client.close();
  });
  /** A request from runtime rt-1 (zone a) that runs `runs` (undefined: nothing yet), in delta mode unless `extra` says otherwise. */
  const request = (runs: ConfigSnapshot | undefined, extra: Partial<ConfigRequest> = {}): ConfigRequest => ({
    node: { id: 'rt-1', zone: 'a' },
    versionInfo: runs?.version ?? 0,
    epoch: runs?.epoch ?? 0,
    hash: runs?.hash ?? '',
    responseNonce: '',
    delta: true,
    ...extra,
  });
  return {
    responses,
    send: (runs: ConfigSnapshot | undefined, extra: Partial<ConfigRequest> = {}) => call.write(request(runs, extra)),
    end: () => call.end(),
  };
}
