// Original file: proto/gateway/config/v1/config.proto


export interface Node {
  'id'?: (string);
  'zone'?: (string);
  'buildVersion'?: (string);
}

export interface Node__Output {
  'id': (string);
  'zone': (string);
  'buildVersion': (string);
}
