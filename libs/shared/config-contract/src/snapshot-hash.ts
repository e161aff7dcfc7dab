import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { SnapshotContent } from './snapshot.js';

/**
 * The content hash: SHA-256 over the canonical JSON of the content only (not the
 * version), so a runtime that already runs the same content under another version
 * can tell that there is nothing to re-apply.
 */
export function hashSnapshotContent(content: SnapshotContent): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
