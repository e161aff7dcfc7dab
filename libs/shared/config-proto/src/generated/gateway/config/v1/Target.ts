// Original file: proto/gateway/config/v1/config.proto


export interface Target {
  'url'?: (string);
  'weight'?: (number);
  'zone'?: (string);
}

export interface Target__Output {
  'url': (string);
  'weight': (number);
  'zone': (string);
}
