// Original file: proto/gateway/config/v1/config.proto

import type { Target as _gateway_config_v1_Target, Target__Output as _gateway_config_v1_Target__Output } from '../../../gateway/config/v1/Target.js';
import type { LoadBalancing as _gateway_config_v1_LoadBalancing, LoadBalancing__Output as _gateway_config_v1_LoadBalancing__Output } from '../../../gateway/config/v1/LoadBalancing.js';
import type { Timeouts as _gateway_config_v1_Timeouts, Timeouts__Output as _gateway_config_v1_Timeouts__Output } from '../../../gateway/config/v1/Timeouts.js';
import type { Retries as _gateway_config_v1_Retries, Retries__Output as _gateway_config_v1_Retries__Output } from '../../../gateway/config/v1/Retries.js';
import type { HealthCheck as _gateway_config_v1_HealthCheck, HealthCheck__Output as _gateway_config_v1_HealthCheck__Output } from '../../../gateway/config/v1/HealthCheck.js';
import type { OutlierDetection as _gateway_config_v1_OutlierDetection, OutlierDetection__Output as _gateway_config_v1_OutlierDetection__Output } from '../../../gateway/config/v1/OutlierDetection.js';
import type { CircuitBreaker as _gateway_config_v1_CircuitBreaker, CircuitBreaker__Output as _gateway_config_v1_CircuitBreaker__Output } from '../../../gateway/config/v1/CircuitBreaker.js';

export interface Upstream {
  'targets'?: (_gateway_config_v1_Target)[];
  'loadBalancing'?: (_gateway_config_v1_LoadBalancing | null);
  'timeouts'?: (_gateway_config_v1_Timeouts | null);
  'retries'?: (_gateway_config_v1_Retries | null);
  'healthCheck'?: (_gateway_config_v1_HealthCheck | null);
  'outlierDetection'?: (_gateway_config_v1_OutlierDetection | null);
  'circuitBreaker'?: (_gateway_config_v1_CircuitBreaker | null);
  'hostRewrite'?: (string);
}

export interface Upstream__Output {
  'targets': (_gateway_config_v1_Target__Output)[];
  'loadBalancing': (_gateway_config_v1_LoadBalancing__Output | null);
  'timeouts': (_gateway_config_v1_Timeouts__Output | null);
  'retries': (_gateway_config_v1_Retries__Output | null);
  'healthCheck': (_gateway_config_v1_HealthCheck__Output | null);
  'outlierDetection': (_gateway_config_v1_OutlierDetection__Output | null);
  'circuitBreaker': (_gateway_config_v1_CircuitBreaker__Output | null);
  'hostRewrite': (string);
}
