// Original file: proto/gateway/config/v1/config.proto

import type { Long } from '@grpc/proto-loader';

export interface Resource {
  'type'?: (string);
  'name'?: (string);
  'version'?: (number | string | Long);
  'hash'?: (string);
  'content'?: (string);
}

export interface Resource__Output {
  'type': (string);
  'name': (string);
  'version': (number);
  'hash': (string);
  'content': (string);
}
