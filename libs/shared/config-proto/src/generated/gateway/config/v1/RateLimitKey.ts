// Original file: proto/gateway/config/v1/config.proto


export interface RateLimitKey {
  'by'?: (string);
  'name'?: (string);
}

export interface RateLimitKey__Output {
  'by': (string);
  'name': (string);
}
