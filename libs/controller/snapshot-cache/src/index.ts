export { SnapshotCache, isNewer, RECENT_SNAPSHOTS, type SnapshotListener } from './snapshot-cache.js';
