// Original file: proto/gateway/config/v1/config.proto


export interface Retries {
  'attempts'?: (number);
  'on'?: (string)[];
  'backoffBaseMs'?: (number);
  'backoffMaxMs'?: (number);
  'budgetPercent'?: (number);
  'budgetMinPerSecond'?: (number);
}

export interface Retries__Output {
  'attempts': (number);
  'on': (string)[];
  'backoffBaseMs': (number);
  'backoffMaxMs': (number);
  'budgetPercent': (number);
  'budgetMinPerSecond': (number);
}
