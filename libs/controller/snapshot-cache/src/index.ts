export { SnapshotCache, isNewer, type SnapshotListener } from './snapshot-cache.js';
