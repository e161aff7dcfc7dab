// Original file: proto/gateway/config/v1/config.proto


export interface ResourceVersion {
  'type'?: (string);
  'name'?: (string);
  'hash'?: (string);
}

export interface ResourceVersion__Output {
  'type': (string);
  'name': (string);
  'hash': (string);
}
