export { VersionFollower, type VersionFollowerOptions } from './version-follower.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { createChangeFeed, type ChangeFeed, type ChangeFeedMode, type ChangeFeedOptions } from './change-feed.js';
