// Original file: proto/gateway/config/v1/config.proto


export interface Timeouts {
  'connectMs'?: (number);
  'requestMs'?: (number);
  'totalMs'?: (number);
}

export interface Timeouts__Output {
  'connectMs': (number);
  'requestMs': (number);
  'totalMs': (number);
}
