// Original file: proto/gateway/config/v1/config.proto


export interface ErrorDetail {
  'code'?: (string);
  'message'?: (string);
}

export interface ErrorDetail__Output {
  'code': (string);
  'message': (string);
}
