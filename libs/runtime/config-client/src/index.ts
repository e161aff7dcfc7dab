export { ConfigClient, type ConfigClientOptions, type ConfigClientStatus, type AppliedState, type ApplyVerdict, type SnapshotSource } from './config-client.js';
export { parseControllerAddresses, orderControllerAddresses, fnv1a, type ControllerAddress } from './controller-addresses.js';
