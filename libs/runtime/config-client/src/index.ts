export {
  ConfigClient,
  DEFAULT_CONFIG_STREAM_MODE,
  type ConfigClientOptions,
  type ConfigClientReceived,
  type ConfigClientStatus,
  type ConfigStreamMode,
  type AppliedState,
  type ApplyVerdict,
  type SnapshotSource,
} from './config-client.js';
export { parseControllerAddresses, orderControllerAddresses, fnv1a, type ControllerAddress } from './controller-addresses.js';
