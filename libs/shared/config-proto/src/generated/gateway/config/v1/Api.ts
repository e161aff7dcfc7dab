// Original file: proto/gateway/config/v1/config.proto

import type { Upstream as _gateway_config_v1_Upstream, Upstream__Output as _gateway_config_v1_Upstream__Output } from '../../../gateway/config/v1/Upstream.js';
import type { Route as _gateway_config_v1_Route, Route__Output as _gateway_config_v1_Route__Output } from '../../../gateway/config/v1/Route.js';
import type { Policies as _gateway_config_v1_Policies, Policies__Output as _gateway_config_v1_Policies__Output } from '../../../gateway/config/v1/Policies.js';

export interface Api {
  'name'?: (string);
  'hosts'?: (string)[];
  'basePath'?: (string);
  'stripBasePath'?: (boolean);
  'upstream'?: (_gateway_config_v1_Upstream | null);
  'routes'?: (_gateway_config_v1_Route)[];
  'policies'?: (_gateway_config_v1_Policies | null);
}

export interface Api__Output {
  'name': (string);
  'hosts': (string)[];
  'basePath': (string);
  'stripBasePath': (boolean);
  'upstream': (_gateway_config_v1_Upstream__Output | null);
  'routes': (_gateway_config_v1_Route__Output)[];
  'policies': (_gateway_config_v1_Policies__Output | null);
}
