// One definition of how proto/ becomes TypeScript, shared by the generator and the drift check.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const protoFiles = ['gateway/config/v1/config.proto'];
export const outDir = path.join(root, 'libs/shared/config-proto/src/generated');

export function genArgs(out) {
  return [
    path.join(root, 'node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js'),
    '--grpcLib=@grpc/grpc-js',
    '--longs=Number',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--importFileExtension=.js',
    '--includeDirs=proto',
    `--outDir=${out}`,
    ...protoFiles,
  ];
}
