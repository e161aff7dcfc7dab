/**
 * Response headers (gRPC initial metadata) a controller sends as soon as a config stream
 * opens, before any snapshot. A runtime that is already in sync receives no snapshot from
 * a new replica, yet still learns at once whom it is connected to and in which zone.
 * Part of the contract: names never change.
 */
export const CONTROLLER_ID_METADATA = 'gw-controller-id';
export const CONTROLLER_ZONE_METADATA = 'gw-controller-zone';
