// Original file: proto/gateway/config/v1/config.proto


export interface ResourceKey {
  'type'?: (string);
  'name'?: (string);
}

export interface ResourceKey__Output {
  'type': (string);
  'name': (string);
}
