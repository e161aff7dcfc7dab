// Original file: proto/gateway/config/v1/config.proto


export interface HashOn {
  'source'?: (string);
  'name'?: (string);
}

export interface HashOn__Output {
  'source': (string);
  'name': (string);
}
