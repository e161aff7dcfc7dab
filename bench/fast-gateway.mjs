// fast-gateway 5.0.1 (fast-proxy-lite, keep-alive agent) with one prefix route, as its README sets it up.
// Usage: node fast-gateway.mjs <listen port> <target url>
import gateway from 'fast-gateway';

const [port, target] = [Number(process.argv[2]), process.argv[3]];
const server = gateway({ routes: [{ prefix: '/api', target }] });
await server.start(port, '127.0.0.1');
process.send?.('ready');
