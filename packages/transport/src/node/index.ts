/** @ssh/transport/node: Node stream adapters for the transport machine. @module */
export { connectTcp, driveTransport, type SocketDriver, type SocketDriverOptions } from './socket-driver.ts';
