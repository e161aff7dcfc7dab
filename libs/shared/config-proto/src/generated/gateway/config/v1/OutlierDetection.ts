// Original file: proto/gateway/config/v1/config.proto


export interface OutlierDetection {
  'enabled'?: (boolean);
  'consecutiveFailures'?: (number);
  'baseEjectionMs'?: (number);
  'maxEjectionMs'?: (number);
  'maxEjectionPercent'?: (number);
}

export interface OutlierDetection__Output {
  'enabled': (boolean);
  'consecutiveFailures': (number);
  'baseEjectionMs': (number);
  'maxEjectionMs': (number);
  'maxEjectionPercent': (number);
}
