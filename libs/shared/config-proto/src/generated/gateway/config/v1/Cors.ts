// Original file: proto/gateway/config/v1/config.proto


export interface Cors {
  'enabled'?: (boolean);
  'allowOrigins'?: (string)[];
  'allowMethods'?: (string)[];
  'allowHeaders'?: (string)[];
  'exposeHeaders'?: (string)[];
  'allowCredentials'?: (boolean);
  'maxAgeSec'?: (number);
}

export interface Cors__Output {
  'enabled': (boolean);
  'allowOrigins': (string)[];
  'allowMethods': (string)[];
  'allowHeaders': (string)[];
  'exposeHeaders': (string)[];
  'allowCredentials': (boolean);
  'maxAgeSec': (number);
}
