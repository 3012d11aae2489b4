/**
 * SSHClientChannel: the client side of a session channel. RFC 4254 §6: env, pty-req, exec /
 * shell / subsystem with want-reply, window-change, signal, break (RFC 4335), and the server's
 * exit-status, exit-signal and xon-xoff requests.
 * @module
 */

import { CHANNEL_OPEN_FAILURE, type ChannelRequestBody, type PtyMode } from '@ssh/wire';
import { ChannelClosedError, ChannelOpenError } from '../errors.ts';
import type { Channel } from '../mux/channel.ts';
import { SSHChannel, type ChannelData, type ChannelConnection, type SSHChannelOptions, type SSHSession } from './channel.ts';
import { encodeEnv, type Environment } from './env.ts';

/** AsyncSSH's SSHClientSession: the callbacks of a client session. */
export interface SSHClientSession<T extends ChannelData = ChannelData> extends SSHSession<T> {
  xonXoffRequested?(clientCanDo: boolean): void;
  exitStatusReceived?(status: number): void;
  exitSignalReceived?(signal: string, coreDumped: boolean, message: string, lang: string): void;
}

/** The terminal size: columns, rows, and optionally pixels. */
export type TermSize = readonly [width: number, height: number, pixelWidth?: number, pixelHeight?: number];

export interface SessionRequest {
  /** exec this command (else a shell, or `subsystem`). */
  readonly command?: string | undefined;
  readonly subsystem?: string | undefined;
  readonly env?: Environment | undefined;
  /** Environment variables to pass from `localEnv` by name or pattern (AsyncSSH send_env). */
  readonly sendEnv?: readonly string[] | undefined;
  readonly localEnv?: Readonly<Record<string, string | undefined>> | undefined;
  /** Request a pty of this terminal type. */
  readonly termType?: string | undefined;
  readonly termSize?: TermSize | undefined;
  /** PTY modes by opcode (PTY_MODE). */
  readonly termModes?: Readonly<Record<number, number>> | undefined;
  /** Force (true) or refuse (false) a pty; 'auto' asks for one only with a termType. */
  readonly requestPty?: boolean | 'force' | 'auto' | undefined;
  readonly agentForwarding?: boolean | undefined;
  /** Ask for X11 forwarding (RFC 4254 §6.3.1) with this x11-req, after the pty request. */
  readonly x11Request?: X11ForwardingRequest | undefined;
  /**
   * Nothing will be written to stdin (it is /dev/null): send EOF right behind the exec, shell or
   * subsystem request, in the same write, rather than a round trip later.
   */
  readonly eofAfterRequest?: boolean | undefined;
}

/**
 * An x11-req: the cookie the server is to hand its X clients (a fake one: the caller keeps the
 * real cookie and swaps it in on the "x11" channels), and what to do when the server refuses.
 */
export interface X11ForwardingRequest {
  readonly singleConnection: boolean;
  readonly authProtocol: string;
  /** The cookie in hex, as x11-req carries it. */
  readonly authCookie: string;
  readonly screen: number;
  /** Go on without X11 when the server refuses (else the session fails: REQUEST_X11_FORWARDING_FAILED). */
  readonly ignoreFailure?: boolean | undefined;
  /** Told whether the server accepted. */
  readonly onResult?: ((ok: boolean) => void) | undefined;
}

/** POSIX signal numbers, for `returncode` of a process killed by a signal (as AsyncSSH). */
export const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, ABRT: 6, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15,
};

export interface ExitSignal {
  readonly signal: string;
  readonly coreDumped: boolean;
  readonly message: string;
  readonly lang: string;
}

export class SSHClientChannel<T extends ChannelData = ChannelData> extends SSHChannel<T> {
  private exitStatus: number | undefined;
  private exitSignal: ExitSignal | undefined;
  private env: Environment = {};
  private command: string | undefined;
  private subsystem: string | undefined;
  private readonly exitWaiters: (() => void)[] = [];

  constructor(connection: ChannelConnection, options: SSHChannelOptions = {}) {
    super(connection, options);
  }

  protected declare session: SSHClientSession<T> | undefined;

  /**
   * Runs the session setup on an open channel: env, agent forwarding, pty, X11 forwarding, then
   * exec / shell / subsystem. Rejects with ChannelOpenError (REQUEST_PTY_FAILED,
   * REQUEST_X11_FORWARDING_FAILED, REQUEST_SESSION_FAILED) as
   * AsyncSSH does; the channel is closed then.
   */
  async start(channel: Channel, session: SSHClientSession<T>, request: SessionRequest): Promise<void> {
    this.attach(channel);
    this.setSession(session);
    this.command = request.command;
    this.subsystem = request.subsystem;
    this.env = { ...request.env };
    session.connectionMade?.(this);
    const envPairs = encodeEnv(request.env, request.sendEnv, request.localEnv);
    for (const [name, value] of envPairs) channel.sendRequest('env', { type: 'env', name, value });
    if (request.agentForwarding) channel.sendRequest('auth-agent-req@openssh.com', { type: 'auth-agent-req@openssh.com' });
    const wantPty = request.requestPty === 'force' || request.requestPty === true || ((request.requestPty ?? 'auto') === 'auto' && request.termType !== undefined && request.termType !== '');
    if (wantPty) {
      const [width, height, pixelWidth, pixelHeight] = request.termSize ?? [80, 24, 0, 0];
      const modes: PtyMode[] = Object.entries(request.termModes ?? {}).map(([k, v]) => [Number(k), v]);
      const ok = await this.request('pty-req', {
        type: 'pty-req',
        term: request.termType ?? 'xterm',
        widthChars: width,
        heightRows: height,
        widthPixels: pixelWidth ?? 0,
        heightPixels: pixelHeight ?? 0,
        modes,
      });
      if (!ok) throw this.failStart(CHANNEL_OPEN_FAILURE.REQUEST_PTY_FAILED, 'PTY request failed');
    }
    const x11 = request.x11Request;
    if (x11) {
      const ok = await this.request('x11-req', { type: 'x11-req', singleConnection: x11.singleConnection, authProtocol: x11.authProtocol, authCookie: x11.authCookie, screenNumber: x11.screen });
      x11.onResult?.(ok);
      if (!ok && x11.ignoreFailure !== true) throw this.failStart(CHANNEL_OPEN_FAILURE.REQUEST_X11_FORWARDING_FAILED, 'X11 forwarding request failed');
    }
    const body: ChannelRequestBody =
      request.command !== undefined
        ? { type: 'exec', command: new TextEncoder().encode(request.command) }
        : request.subsystem !== undefined
          ? { type: 'subsystem', name: request.subsystem }
          : { type: 'shell' };
    const started = this.request(body.type, body);
    if (request.eofAfterRequest === true) this.writeEof();
    // A server may run the command and close the channel before it answers (a Paramiko server
    // whose exec handler runs it): the close then fails the request, but an exit status or
    // signal says the command ran, and its output is here. OpenSSH's ssh shows them; so do we.
    if (!(await started) && this.exitStatus === undefined && this.exitSignal === undefined) {
      throw this.failStart(CHANNEL_OPEN_FAILURE.REQUEST_SESSION_FAILED, 'Session request failed');
    }
    session.sessionStarted?.();
  }

  private failStart(code: number, reason: string): ChannelOpenError {
    this.chan?.close();
    return new ChannelOpenError(code, reason);
  }

  private request(type: string, body: ChannelRequestBody): Promise<boolean> {
    const chan = this.chan;
    if (!chan) return Promise.resolve(false);
    return new Promise((resolve) => chan.sendRequest(type, body, resolve));
  }

  protected override handleRequest(type: string, request: unknown): boolean {
    const session = this.session;
    switch (type) {
      case 'exit-status': {
        const r = request as { exitStatus: number };
        this.exitStatus ??= r.exitStatus;
        session?.exitStatusReceived?.(r.exitStatus);
        this.wakeExit();
        return true;
      }
      case 'exit-signal': {
        const r = request as { signal: string; coreDumped: boolean; errorMessage: string; languageTag: string };
        this.exitSignal ??= { signal: r.signal, coreDumped: r.coreDumped, message: r.errorMessage, lang: r.languageTag };
        session?.exitSignalReceived?.(r.signal, r.coreDumped, r.errorMessage, r.languageTag);
        this.wakeExit();
        return true;
      }
      case 'xon-xoff':
        session?.xonXoffRequested?.((request as { clientCanDo: boolean }).clientCanDo);
        return true;
      default:
        return false;
    }
  }

  private wakeExit(): void {
    for (const w of this.exitWaiters.splice(0)) w();
  }

  // ------------------------------------------------------------------ info

  getEnvironment(): Environment {
    return { ...this.env };
  }

  getCommand(): string | undefined {
    return this.command;
  }

  getSubsystem(): string | undefined {
    return this.subsystem;
  }

  /** The exit status the server reported; -1 when it reported a signal instead; undefined before exit. */
  getExitStatus(): number | undefined {
    if (this.exitStatus !== undefined) return this.exitStatus;
    return this.exitSignal !== undefined || this.muxChannel?.state === 'closed' ? -1 : undefined;
  }

  getExitSignal(): ExitSignal | undefined {
    return this.exitSignal;
  }

  /** AsyncSSH's returncode: the exit status, or minus the signal number. */
  getReturncode(): number | undefined {
    if (this.exitStatus !== undefined) return this.exitStatus;
    // A signal name we have no number for gives -99, as AsyncSSH (not -0, which reads as success).
    // The name is the server's: only the table's own entries count (not `constructor` and the like).
    if (this.exitSignal) {
      const signal = this.exitSignal.signal;
      return -(Object.hasOwn(SIGNAL_NUMBERS, signal) ? (SIGNAL_NUMBERS[signal] as number) : 99);
    }
    return this.muxChannel?.state === 'closed' ? -1 : undefined;
  }

  // ------------------------------------------------------------------ requests to the server

  changeTerminalSize(width: number, height: number, pixelWidth = 0, pixelHeight = 0): void {
    this.requireOpenForRequests().sendRequest('window-change', { type: 'window-change', widthChars: width, heightRows: height, widthPixels: pixelWidth, heightPixels: pixelHeight });
  }

  /** RFC 4335 break, `msec` long. */
  sendBreak(msec: number): void {
    this.requireOpenForRequests().sendRequest('break', { type: 'break', breakLength: msec });
  }

  /** RFC 4254 §6.9 signal, by name without "SIG" ('TERM'); numbers map through SIGNAL_NUMBERS. */
  sendSignal(signal: string | number): void {
    let name = typeof signal === 'number' ? Object.keys(SIGNAL_NUMBERS).find((k) => SIGNAL_NUMBERS[k] === signal) : signal.replace(/^SIG/, '');
    if (name === undefined) throw new RangeError(`unknown signal number ${signal}`);
    name = name.toUpperCase();
    this.requireOpenForRequests().sendRequest('signal', { type: 'signal', signal: name });
  }

  terminate(): void {
    this.sendSignal('TERM');
  }

  kill(): void {
    this.sendSignal('KILL');
  }

  private requireOpenForRequests(): Channel {
    const chan = this.chan;
    if (!chan || chan.state === 'closed' || chan.state === 'closing') throw new ChannelClosedError('channel is not open');
    return chan;
  }

  /** Resolves once exit-status or exit-signal arrived, or the channel closed. */
  waitExit(): Promise<void> {
    if (this.exitStatus !== undefined || this.exitSignal !== undefined || this.muxChannel?.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  protected override onFinish(): void {
    this.wakeExit();
  }
}
