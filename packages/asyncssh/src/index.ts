/**
 * @ssh/asyncssh: the SSH toolkit for TypeScript, with AsyncSSH's API in TypeScript naming.
 * @module
 */

export { connect, SSHClientConnection, type SSHClientConnectionOptions } from './client.ts';
export { SSHClient } from './client-handlers.ts';
export { setLogLevel, setDebugLevel, setLogSink, SSHLogger, type LogLevel, type LogRecord, type LogSink } from './logging.ts';
export { listen, SSHServerConnection, SSHAcceptor, type SSHServerConnectionOptions } from './server.ts';
export { SSHServer, type KbdintChallenge, type PasswordChangeRequest } from './server-handlers.ts';
export {
  SSHClientChannel,
  SSHServerChannel,
  SSHClientProcess,
  SSHServerProcess,
  SSHCompletedProcess,
  ProcessError,
  ProcessTimeoutError,
  BreakReceived,
  SignalReceived,
  TerminalSizeChanged,
  SSHReader,
  SSHWriter,
  ChannelOpenError,
  ChannelClosedError,
  IncompleteReadError,
  LimitOverrunError,
  SSHSubprocessProtocol,
  SSHSubprocessTransport,
  SSHSubprocessReadPipe,
  SSHSubprocessWritePipe,
  type SSHClientSession,
  type SSHServerSession,
  type ProcessFactory,
} from '@ssh/connection';
export {
  DisconnectError,
  ProtocolError,
  KeyExchangeFailed,
  MACError,
  CompressionError,
  ServiceNotAvailable,
  ProtocolNotSupported,
  HostKeyNotVerifiable,
  ConnectionLost,
  PermissionDenied,
  IllegalUserName,
  PasswordChangeRequired,
} from '@ssh/transport';
export { AlgorithmListError, UnknownAlgorithmError } from '@ssh/crypto';
export { ConfigParseError } from '@ssh/config';
export { DEFAULT_CA_SIGNATURE_ALGORITHMS } from './options.ts';
export { pump, collect } from '@ssh/connection';
export * from '@ssh/connection/node';
export * from '@ssh/keys';
export { createConnection, createServer, runClient, runServer, connectReverse, listenReverse, getServerHostKey, getServerAuthMethods } from './api.ts';
export * from '@ssh/sftp';
export { LocalSFTPServer, type LocalSFTPServerOptions } from '@ssh/sftp/node';
export { type StartSftpClientOptions, type FileServiceOptions } from './sftp.ts';
export { scp, type ScpPath, type ScpCallOptions } from './scp.ts';
export * from './forward/index.ts';
export * from './tuntap/index.ts';
export { SSHTunTapChannel, SSHPacketReader, type SSHTunTapSession } from '@ssh/connection';
