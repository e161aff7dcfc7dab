export { VersionFollower, type VersionFollowerOptions } from './version-follower.js';
export { createChangeFeed, DEFAULT_COALESCE_MS, type ChangeFeed, type ChangeFeedMode, type ChangeFeedOptions, type ResolvedChangeFeedMode } from './change-feed.js';
export { probeCrossConnectionNotify, type NotifyProbeOptions, type NotifyProbeResult } from './notify-probe.js';
