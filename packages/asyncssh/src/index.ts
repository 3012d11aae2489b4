/**
 * @ssh/asyncssh: the SSH toolkit for TypeScript, with AsyncSSH's API in TypeScript naming.
 * @module
 */

export { connect, SSHClientConnection, type SSHClientConnectionOptions } from './client.ts';
export { SSHClient } from './client-handlers.ts';
export { setLogLevel, setSftpLogLevel, setDebugLevel, setLogSink, SSHLogger, type LogLevel, type LogRecord, type LogSink } from './logging.ts';
export { listen, SSHServerConnection, SSHAcceptor, type SSHServerConnectionOptions } from './server.ts';
export { SSHServer, type KbdintChallenge, type PasswordChangeRequest } from './server-handlers.ts';
export {
  SSHClientChannel,
  SSHServerChannel,
  SSHLineEditorChannel,
  type ChannelLogger,
  SSHClientProcess,
  SSHServerProcess,
  SSHCompletedProcess,
  ProcessError,
  ProcessTimeoutError,
  // AsyncSSH's name for it: run() with a timeout raises TimeoutError (a ProcessError). The same
  // class as ProcessTimeoutError. Importing it by this name shadows any TimeoutError of the
  // importing scope (Node has no such global, but AbortSignal.timeout() rejects with a
  // DOMException *named* 'TimeoutError', which is no instance of this class: test with
  // instanceof, not by name). Import ProcessTimeoutError, or `import * as asyncssh`, to avoid it.
  ProcessTimeoutError as TimeoutError,
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
export { ConfigParseError, HostCanonicalizationError } from '@ssh/config';
export { DEFAULT_CA_SIGNATURE_ALGORITHMS } from './options.ts';
export { pump, collect } from '@ssh/connection';
export * from '@ssh/connection/node';
export * from '@ssh/keys';
// readPrivateKey, loadKeypairs, readKnownHosts, ...; importing it also installs the
// SSHKey/SSHCertificate write/append methods.
export * from '@ssh/keys/node';
export { SSHAgentClient, SSHAgentKeyPair, type AgentClientOptions, type AddKeysOptions } from '@ssh/agent';
export { connectAgent, type ConnectAgentOptions } from '@ssh/agent/node';
export * from './constants.ts';
export { createConnection, createServer, runClient, runServer, connectReverse, listenReverse, getServerHostKey, getServerAuthMethods } from './api.ts';
export * from '@ssh/sftp';
export { LocalSFTPServer, type LocalSFTPServerOptions, nodeLocalFs } from '@ssh/sftp/node';
export { type StartSftpClientOptions, type FileServiceOptions } from './sftp.ts';
export { scp, type ScpPath, type ScpCallOptions } from './scp.ts';
export { KeysignError } from './keysign.ts';
export { ListenHostError } from './listen-addresses.ts';
export * from './forward/index.ts';
export * from './tuntap/index.ts';
export * from './x11/index.ts';
export { SSHTunTapChannel, SSHPacketReader, type SSHTunTapSession } from '@ssh/connection';
