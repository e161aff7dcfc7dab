export { startWebSocketEchoServer, type WebSocketEchoServer } from './websocket-echo-server.js';
