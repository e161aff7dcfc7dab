export { HealthChecker, type HealthCheckerOptions, type CheckRecord } from './health-checker.js';
export { probe, probeTargetOf, type ProbeTarget, type ProbeResult } from './probe.js';
