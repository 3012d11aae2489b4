/**
 * @ssh/asyncssh: the SSH toolkit for TypeScript, with AsyncSSH's API in TypeScript naming.
 * @module
 */

export { connect, SSHClientConnection, type SSHClientConnectionOptions } from './client.ts';
export { SSHClient } from './client-handlers.ts';
export { setLogLevel, setDebugLevel, setLogSink, SSHLogger, type LogLevel, type LogRecord, type LogSink } from './logging.ts';
