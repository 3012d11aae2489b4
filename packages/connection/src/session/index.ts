export { SSHChannel, type SSHSession, type ChannelData, type ChannelConnection, type ChannelLogger, type SSHChannelOptions } from './channel.ts';
export {
  SSHClientChannel,
  SIGNAL_NUMBERS,
  type SSHClientSession,
  type SessionRequest,
  type X11ForwardingRequest,
  type TermSize,
  type ExitSignal,
} from './client-channel.ts';
export { MAX_ENV_VARIABLES, SSHServerChannel, SSHLineEditorChannel, type SSHServerSession, type ServerChannelPolicy, type X11ServerRequest } from './server-channel.ts';
export { StreamSession, type RawByteStream, type StreamOptions } from './stream-session.ts';
export { SSHClientProcess, type RedirectOptions, type WaitOptions } from './client-process.ts';
export { MAX_PENDING_STDIN_EVENTS, SSHServerProcess, ServerProcessSession, type ProcessFactory, type ServerProcessOptions } from './server-process.ts';
export {
  SSHCompletedProcess,
  ProcessError,
  ProcessTimeoutError,
  BreakReceived,
  SignalReceived,
  TerminalSizeChanged,
  type ProcessResult,
} from './process-errors.ts';
export { pump, collect, discard, type Pump, type RedirectSource, type RedirectSink, type WritableLike, type PipeMode } from './redirect.ts';
export { encodeEnv, type Environment } from './env.ts';
export { checkEncoding, encodeText, textDecoder, type StreamDecoder } from './text.ts';
export {
  SSHSubprocessProtocol,
  SSHSubprocessTransport,
  SSHSubprocessReadPipe,
  SSHSubprocessWritePipe,
  SubprocessSession,
} from './subprocess.ts';
