// Original file: proto/gateway/config/v1/config.proto


export interface HealthCheck {
  'enabled'?: (boolean);
  'path'?: (string);
  'intervalMs'?: (number);
  'timeoutMs'?: (number);
  'healthyThreshold'?: (number);
  'unhealthyThreshold'?: (number);
}

export interface HealthCheck__Output {
  'enabled': (boolean);
  'path': (string);
  'intervalMs': (number);
  'timeoutMs': (number);
  'healthyThreshold': (number);
  'unhealthyThreshold': (number);
}
