// Original file: proto/gateway/config/v1/config.proto


export interface Route {
  'name'?: (string);
  'methods'?: (string)[];
  'path'?: (string);
}

export interface Route__Output {
  'name': (string);
  'methods': (string)[];
  'path': (string);
}
