/**
 * The session methods of a client connection: createSession, openSession, createProcess and
 * run, as AsyncSSH's SSHClientConnection has them, with the connection's session defaults
 * (env, sendEnv, pty settings, command, encoding) and redirection to files by name.
 * @module
 */

import { createReadStream, createWriteStream } from 'node:fs';
import net from 'node:net';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import {
  SSHChannel,
  SSHClientChannel,
  SSHClientProcess,
  StreamSession,
  SubprocessSession,
  checkEncoding,
  type SSHSubprocessProtocol,
  type SSHSubprocessTransport,
  type Channel,
  type ChannelConnection,
  type ConnectionMux,
  type Environment,
  type IncomingChannelOpen,
  type RedirectSink,
  type RedirectSource,
  type SSHClientSession,
  type SSHCompletedProcess,
  type SSHReader,
  type SSHWriter,
  type SessionRequest,
  type TermSize,
} from '@ssh/connection';
import { nodePump } from '@ssh/connection/node';
import type { SFTPClient } from '@ssh/sftp';
import { startSftpClientOn, type StartSftpClientOptions } from './sftp.ts';
import { SSHForwarder } from './bridge.ts';
import { ClientX11 } from './x11/client-x11.ts';

export interface SessionDefaults {
  readonly command?: string;
  readonly subsystem?: string;
  readonly env?: Environment;
  readonly sendEnv?: readonly string[];
  readonly requestPty?: boolean | 'force' | 'auto';
  readonly termType?: string;
  readonly termSize?: TermSize;
  readonly termModes?: Readonly<Record<number, number>>;
  /**
   * Ask for X11 forwarding to `x11Display` (default false): true fails the session with
   * ChannelOpenError(OPEN_REQUEST_X11_FORWARDING_FAILED) when it cannot be set up or the server
   * refuses; 'ignore_failure' goes on without it.
   */
  readonly x11Forwarding?: boolean | 'ignore_failure';
  /** The display to forward X11 connections to (default $DISPLAY). */
  readonly x11Display?: string;
  /** The Xauthority file with the display's cookie (default $XAUTHORITY, else ~/.Xauthority). */
  readonly x11AuthPath?: string;
  /** Forward only one X11 connection per session (default false). */
  readonly x11SingleConnection?: boolean;
  /**
   * Forward an agent into sessions: true forwards the one at `agentPath` (default SSH_AUTH_SOCK),
   * a socket path forwards the agent there instead (ssh_config's ForwardAgent <path>), while
   * `agentPath` still serves authentication.
   */
  readonly agentForwarding?: boolean | string;
  readonly encoding?: string | null;
  readonly errors?: 'strict' | 'replace';
  readonly window?: number;
  readonly maxPktsize?: number;
  /** The agent forwarded connections are relayed to (default SSH_AUTH_SOCK; null: none). */
  readonly agentPath?: string | null;
}

export const SESSION_OPTION_NAMES = ['command', 'subsystem', 'env', 'sendEnv', 'requestPty', 'termType', 'termSize', 'termModes', 'x11Forwarding', 'x11Display', 'x11AuthPath', 'x11SingleConnection'] as const;

/** Every field of SessionDefaults: what a session takes from the connection's options. */
const SESSION_DEFAULT_NAMES = [...SESSION_OPTION_NAMES, 'agentForwarding', 'encoding', 'errors', 'window', 'maxPktsize', 'agentPath'] as const satisfies readonly (keyof SessionDefaults)[];

/**
 * The session defaults alone, set ones only: each session merges its options over them, and a
 * copy of the connection's whole options object (every option of connect()) per session made
 * run() measurably slower.
 */
function pickSessionDefaults(options: SessionDefaults): SessionDefaults {
  const picked: Record<string, unknown> = {};
  for (const name of SESSION_DEFAULT_NAMES) if (options[name] !== undefined) picked[name] = options[name];
  return picked as SessionDefaults;
}

export type SessionOptions = Omit<SessionDefaults, 'command'>;

/** A stdin source or an output target: what redirect() takes, plus file names. */
export type ProcessSource = RedirectSource | string;
export type ProcessSink = RedirectSink | string;

export interface ProcessOptions extends SessionOptions {
  readonly stdin?: ProcessSource;
  readonly stdout?: ProcessSink;
  readonly stderr?: ProcessSink;
  /** Sent to stdin, followed by EOF (run()). */
  readonly input?: string | Uint8Array;
  readonly bufsize?: number;
  readonly sendEof?: boolean;
  readonly recvEof?: boolean;
}

export interface RunOptions extends ProcessOptions {
  /** Throw ProcessError on a non-zero exit (default false). */
  readonly check?: boolean;
  /** Seconds before the process is closed and ProcessTimeoutError thrown. */
  readonly timeout?: number;
}

type Text = string | Uint8Array;

export class ClientSessions {
  private readonly mux: ConnectionMux;
  private readonly connection: ChannelConnection;
  private readonly defaults: SessionDefaults;
  private readonly flush: () => void;
  private readonly live = new Set<SSHClientChannel<Text>>();
  private readonly x11: ClientX11;

  constructor(mux: ConnectionMux, connection: ChannelConnection, defaults: SessionDefaults, flush: () => void) {
    this.mux = mux;
    this.connection = connection;
    this.defaults = pickSessionDefaults(defaults);
    this.flush = flush;
    this.x11 = new ClientX11(connection, flush);
  }

  private merged(command: string | undefined, options: SessionOptions): SessionRequest & SessionOptions {
    // Plain JavaScript may pass the options first (AsyncSSH's keyword arguments read that way):
    // they would otherwise run as the command "[object Object]".
    if (command !== undefined && command !== null && typeof command !== 'string') {
      throw new TypeError(`the command must be a string (got ${typeof command}); session options go in the argument after it`);
    }
    const d = this.defaults;
    const o = { ...d, ...options };
    return {
      ...o,
      agentForwarding: o.agentForwarding !== undefined && o.agentForwarding !== false,
      command: command ?? (options.subsystem === undefined ? d.command : undefined),
      localEnv: process.env,
    };
  }

  /**
   * Opens the session channel and runs `start` on it (the session setup: pty, exec...) as soon as
   * the server confirms, in the same turn: the requests go out in the write that follows the
   * confirmation, not a few promise hops later. Settles with the setup.
   */
  private open(channel: SSHClientChannel<Text>, options: SessionOptions, start: (chan: Channel) => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      const base = channel.handler;
      this.mux.openChannel(
        'session',
        { type: 'session' },
        {
          ...base,
          onOpen: (c) => {
            base.onOpen?.(c);
            resolve(start(c));
            this.flush();
          },
          onOpenFailed: (e) => {
            this.x11.detach(channel);
            reject(e);
          },
          onClose: (e) => {
            this.live.delete(channel);
            base.onClose(e);
          },
        },
        {
          ...(options.window !== undefined ? { windowSize: options.window } : {}),
          ...(options.maxPktsize !== undefined ? { maxPacketSize: options.maxPktsize } : {}),
        },
      );
      this.live.add(channel);
      this.flush();
    });
  }

  /** Opens a session run by the SSHClientSession `sessionFactory` makes: [channel, session]. */
  readonly createSession = async <S extends SSHClientSession<T>, T extends Text = string>(
    sessionFactory: () => S,
    command?: string,
    options: SessionOptions = {},
  ): Promise<[SSHClientChannel<T>, S]> => {
    const request = this.merged(command, options);
    if (request.encoding !== undefined) checkEncoding(request.encoding);
    const channel = new SSHClientChannel<T>(this.connection, {
      ...(request.encoding !== undefined ? { encoding: request.encoding } : {}),
      ...(request.errors !== undefined ? { errors: request.errors } : {}),
    });
    const session = sessionFactory();
    const x11Request = await this.x11.request(channel, request);
    await this.open(channel as SSHClientChannel<Text>, request, (chan) => channel.start(chan, session, { ...request, x11Request }));
    return [channel, session];
  };

  /** Starts a process: stdin, stdout and stderr as streams, redirected as asked. */
  readonly createProcess = async <T extends Text = string>(command?: string, options: ProcessOptions = {}): Promise<SSHClientProcess<T>> => {
    const request = this.merged(command, options);
    const encoding = request.encoding === undefined ? 'utf-8' : request.encoding;
    checkEncoding(encoding);
    const channel = new SSHClientChannel<Uint8Array>(this.connection, { encoding: null, manualWindow: true });
    // redirect() of stdin from a local child's pipe or a socket reads it into a reused buffer.
    const streams = new StreamSession<T>(channel, { encoding, pump: nodePump, ...(request.errors !== undefined ? { errors: request.errors } : {}) });
    const x11Request = await this.x11.request(channel, request);
    await this.open(channel as SSHClientChannel<Text>, request, (chan) => channel.start(chan, streams, { ...request, x11Request, eofAfterRequest: options.stdin === 'devnull' }));
    const proc = new SSHClientProcess<T>(channel, streams);
    const redirect = {
      ...(options.stdin !== undefined ? { stdin: typeof options.stdin === 'string' && !isMode(options.stdin) ? createReadStream(options.stdin) : (options.stdin as RedirectSource) } : {}),
      ...(options.stdout !== undefined ? { stdout: typeof options.stdout === 'string' && !isMode(options.stdout) ? createWriteStream(options.stdout) : (options.stdout as RedirectSink) } : {}),
      ...(options.stderr !== undefined ? { stderr: typeof options.stderr === 'string' && !isMode(options.stderr) ? createWriteStream(options.stderr) : (options.stderr as RedirectSink) } : {}),
      ...(options.bufsize !== undefined ? { bufsize: options.bufsize } : {}),
      ...(options.sendEof !== undefined ? { sendEof: options.sendEof } : {}),
      ...(options.recvEof !== undefined ? { recvEof: options.recvEof } : {}),
    };
    proc.redirect(redirect);
    if (options.input !== undefined) {
      proc.stdin.write((typeof options.input === 'string' && encoding === null ? new TextEncoder().encode(options.input) : options.input) as T);
      proc.stdin.writeEof();
    }
    return proc;
  };

  /** asyncio-style: a subprocess driven by an SSHSubprocessProtocol: [transport, protocol]. */
  readonly createSubprocess = async <P extends SSHSubprocessProtocol<T>, T extends Text = string>(
    protocolFactory: () => P,
    command?: string,
    options: SessionOptions = {},
  ): Promise<[SSHSubprocessTransport<T>, P]> => {
    const protocol = protocolFactory();
    const session = new SubprocessSession<T>(protocol);
    await this.createSession<SubprocessSession<T>, T>(() => session, command, options);
    return [session.transport as SSHSubprocessTransport<T>, protocol];
  };

  /** Opens a session and returns its streams: [stdin, stdout, stderr]. */
  readonly openSession = async <T extends Text = string>(
    command?: string,
    options: SessionOptions = {},
  ): Promise<[SSHWriter<T, SSHClientChannel<Uint8Array>>, SSHReader<T, SSHClientChannel<Uint8Array>>, SSHReader<T, SSHClientChannel<Uint8Array>>]> => {
    const proc = await this.createProcess<T>(command, options);
    return [proc.stdin, proc.stdout, proc.stderr];
  };

  /** Runs a command to completion: its output and exit status (AsyncSSH's run()). */
  readonly run = async <T extends Text = string>(command?: string, options: RunOptions = {}): Promise<SSHCompletedProcess<T>> => {
    const { check, timeout, ...processOptions } = options;
    const proc = await this.createProcess<T>(command, { ...processOptions, ...(options.input === undefined && options.stdin === undefined ? { stdin: 'devnull' as const } : {}) });
    return proc.wait({ check, timeout });
  };

  /** Opens the sftp subsystem and starts an SFTP client on it. */
  readonly startSftpClient = (options: StartSftpClientOptions = {}): Promise<SFTPClient> => startSftpClientOn(this, options);

  /**
   * Channels the server opens toward us: agent connections when agent forwarding was asked for
   * (relayed to our agent), X11 connections (refused unless a session forwards X11); anything
   * else is refused by the caller.
   */
  acceptIncoming(request: IncomingChannelOpen): boolean {
    if (this.x11.acceptIncoming(request)) return true;
    const forwarding = this.defaults.agentForwarding;
    if (request.type !== 'auth-agent@openssh.com' || forwarding === undefined || forwarding === false) return false;
    const agentPath = typeof forwarding === 'string' ? forwarding : this.defaults.agentPath === null ? undefined : (this.defaults.agentPath ?? process.env['SSH_AUTH_SOCK']);
    if (!agentPath) return false;
    const socket = net.connect({ path: agentPath });
    socket.once('error', () => {
      socket.destroy();
      request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'cannot reach the local agent');
    });
    socket.once('connect', () => {
      const channel = new SSHChannel<Uint8Array>(this.connection, { encoding: null });
      const bridge = new SSHForwarder(socket);
      channel.setSession(bridge);
      channel.attach(request.accept(channel.handler));
      bridge.start(channel);
      this.flush();
    });
    return true;
  }

  /** The connection ended. */
  closeAll(): void {
    this.live.clear();
  }
}

function isMode(value: string): boolean {
  return value === 'pipe' || value === 'devnull' || value === 'stdout';
}
