// Original file: proto/gateway/config/v1/config.proto


export interface Jwk {
  'kty'?: (string);
  'kid'?: (string);
  'alg'?: (string);
  'use'?: (string);
  'crv'?: (string);
  'x'?: (string);
  'y'?: (string);
  'n'?: (string);
  'e'?: (string);
  'k'?: (string);
}

export interface Jwk__Output {
  'kty': (string);
  'kid': (string);
  'alg': (string);
  'use': (string);
  'crv': (string);
  'x': (string);
  'y': (string);
  'n': (string);
  'e': (string);
  'k': (string);
}
