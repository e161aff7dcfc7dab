// Original file: proto/gateway/config/v1/config.proto


export interface ApiKey {
  'id'?: (string);
  'sha256'?: (string);
  'consumer'?: (string);
}

export interface ApiKey__Output {
  'id': (string);
  'sha256': (string);
  'consumer': (string);
}
