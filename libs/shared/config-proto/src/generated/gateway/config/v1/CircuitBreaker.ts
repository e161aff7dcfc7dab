// Original file: proto/gateway/config/v1/config.proto


export interface CircuitBreaker {
  'enabled'?: (boolean);
  'maxConcurrent'?: (number);
  'maxPending'?: (number);
  'failureRatePercent'?: (number);
  'windowMs'?: (number);
  'minRequests'?: (number);
  'openMs'?: (number);
  'halfOpenRequests'?: (number);
}

export interface CircuitBreaker__Output {
  'enabled': (boolean);
  'maxConcurrent': (number);
  'maxPending': (number);
  'failureRatePercent': (number);
  'windowMs': (number);
  'minRequests': (number);
  'openMs': (number);
  'halfOpenRequests': (number);
}
