// Original file: proto/gateway/config/v1/config.proto


export interface Idempotency {
  'enabled'?: (boolean);
  'methods'?: (string)[];
  'required'?: (boolean);
  'headerName'?: (string);
  'ttlMs'?: (number);
  'lockTtlMs'?: (number);
  'maxResponseBytes'?: (number);
}

export interface Idempotency__Output {
  'enabled': (boolean);
  'methods': (string)[];
  'required': (boolean);
  'headerName': (string);
  'ttlMs': (number);
  'lockTtlMs': (number);
  'maxResponseBytes': (number);
}
