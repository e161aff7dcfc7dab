export { RuntimeSessionRecorder, type SessionRecorderOptions, type SessionRecorderStats } from './session-recorder.js';
export { FleetWaiter, type FleetWaiterOptions, type WaitOutcome } from './fleet-waiter.js';
export { FleetStatusService, type FleetStatusServiceOptions, type RuntimesReport, type VersionWait } from './fleet-status-service.js';
export {
  desiredConfig,
  fleetStatus,
  isInSync,
  isNackPending,
  laggards,
  runtimeState,
  runtimeViews,
  toRuntimeView,
  type ConfigRef,
  type DesiredConfig,
  type FleetCounts,
  type FleetStatus,
  type Laggard,
  type NackView,
  type RuntimeState,
  type RuntimeView,
  type ViewContext,
} from './fleet-view.js';
export { ControllerHeartbeat, type ControllerHeartbeatOptions } from './controller-heartbeat.js';
export { controllersReport, controllerState, type ControllerState, type ControllerView, type ControllersReport } from './controller-view.js';
export { NackRecallBatcher, NACK_RECALL_BATCH, NACK_RECALL_GATHER_MS } from './nack-recall-batcher.js';
