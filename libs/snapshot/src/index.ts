export type { Snapshot, SnapshotContent, SnapshotApi, SnapshotUpstream, SnapshotTarget } from './snapshot.js';
export { canonicalJson } from './canonical-json.js';
export { hashSnapshotContent } from './snapshot-hash.js';
export { validateSnapshotContent, verifySnapshot, type SnapshotProblem, type SnapshotVerdict } from './snapshot-validation.js';
