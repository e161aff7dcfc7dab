// Original file: proto/gateway/config/v1/config.proto

import type { Upstream as _gateway_config_v1_Upstream, Upstream__Output as _gateway_config_v1_Upstream__Output } from '../../../gateway/config/v1/Upstream.js';
import type { Route as _gateway_config_v1_Route, Route__Output as _gateway_config_v1_Route__Output } from '../../../gateway/config/v1/Route.js';

export interface Api {
  'name'?: (string);
  'hosts'?: (string)[];
  'basePath'?: (string);
  'stripBasePath'?: (boolean);
  'upstream'?: (_gateway_config_v1_Upstream | null);
  'routes'?: (_gateway_config_v1_Route)[];
}

export interface Api__Output {
  'name': (string);
  'hosts': (string)[];
  'basePath': (string);
  'stripBasePath': (boolean);
  'upstream': (_gateway_config_v1_Upstream__Output | null);
  'routes': (_gateway_config_v1_Route__Output)[];
}
