/** The part of `process` that boot code hooks into; a test passes an EventEmitter with its own `exit`. */
export interface ProcessHooks {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  exit(code: number): void;
}
