import type * as grpc from '@grpc/grpc-js';

/**
 * The standard gRPC health check (`grpc.health.v1.Health/Check`), always SERVING while the
 * server runs: runtimes probe it on their config stream's connection as their keepalive
 * (an answer proves the controller's event loop runs), and so can `grpc_health_probe`.
 * Messages are passed as bytes: the request is ignored, the answer is fixed.
 */
const SERVING = Buffer.from([0x08, 0x01]); // HealthCheckResponse { status: SERVING (1) }
const bytes = (b: Buffer): Buffer => b;

export const HEALTH_SERVICE: grpc.ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
};

export const HEALTH_HANDLERS: grpc.UntypedServiceImplementation = {
  Check: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, SERVING),
};
