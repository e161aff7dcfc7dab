/**
 * Told of every HTTP request the proxy handler answered, once its response closed
 * (finished, or cut when the client left). WebSocket upgrades and requests Node's parser
 * refused before the handler saw them are not reported. Called on the hot path: keep it
 * to a few counter updates.
 */
export interface RequestObserver {
  /**
   * `api` is the matched API's name, `''` when none matched (404, edge refusals, not
   * ready); `status` is what the client got, or was getting when its connection closed;
   * `seconds` runs from the handler's first look at the request to the response's close.
   */
  requestEnded(api: string, status: number, seconds: number): void;
}
