/** @ssh/transport/node: Node stream adapters for the transport machine. @module */
export { driveTransport, type SocketDriver, type SocketDriverOptions } from './socket-driver.ts';
export { acceptTcp, connectTcp, readIntoReusedBuffer, sharedReadBuffer } from './socket-reads.ts';
