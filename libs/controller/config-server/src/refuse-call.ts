import type * as grpc from '@grpc/grpc-js';

/**
 * Ends a server stream with `code` and `message` as its status. grpc-js turns an emitted
 * 'error' into the trailing status and ends the stream; `destroy(err)` would not: the
 * destroyed stream never sends its status and the client waits until it gives up.
 */
export function refuseCall(call: grpc.ServerDuplexStream<unknown, unknown>, code: grpc.status, message: string): void {
  call.emit('error', Object.assign(new Error(message), { code, details: message }));
}
