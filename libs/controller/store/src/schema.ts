import type { AdminTokenTable } from './admin-token.table.js';
import type { ApiRevisionTable } from './api-revision.table.js';
import type { ApiTable } from './api.table.js';
import type { AuditLogTable } from './audit-log.table.js';
import type { ConfigStateTable } from './config-state.table.js';
import type { ControllerHeartbeatTable } from './controller-heartbeat.table.js';
import type { RuntimeSessionTable } from './runtime-session.table.js';

/** The tables as the current code sees them (migrations keep their own frozen view). */
export interface DatabaseSchema {
  config_state: ConfigStateTable;
  apis: ApiTable;
  api_revisions: ApiRevisionTable;
  audit_log: AuditLogTable;
  runtime_sessions: RuntimeSessionTable;
  admin_tokens: AdminTokenTable;
  controller_heartbeats: ControllerHeartbeatTable;
}
