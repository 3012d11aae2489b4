/**
 * SSHServerChannel: the server side of a session channel. RFC 4254 §6: env, pty-req, one of
 * exec / shell / subsystem, window-change, signal, break (RFC 4335), agent and X11 forwarding
 * requests (§6.3.1), and exit-status / exit-signal when the session ends.
 * @module
 */

import type { PtyMode } from '@ssh/wire';
import { SSHChannel, type ChannelData, type ChannelConnection, type SSHChannelOptions, type SSHSession } from './channel.ts';
import { decodeEnvValue } from './env.ts';
import type { TermSize } from './client-channel.ts';
import type { KeyHandler, LineEditor } from '../line-editor/index.ts';

/**
 * Distinct environment variables a client may set on one session (OpenSSH's sshd takes 128 too);
 * later names are refused. Each request is bounded by the packet size, their number was not: a
 * client could make the server hold memory without limit before the session even started.
 */
export const MAX_ENV_VARIABLES = 128;

/** AsyncSSH's SSHServerSession: the callbacks of a server session. Requests refused by default. */
export interface SSHServerSession<T extends ChannelData = ChannelData> extends SSHSession<T> {
  /** A pty: accept with true. `termModes` maps PTY_MODE opcodes to values. */
  ptyRequested?(termType: string, termSize: TermSize, termModes: Readonly<Record<number, number>>): boolean | Promise<boolean>;
  shellRequested?(): boolean | Promise<boolean>;
  execRequested?(command: string): boolean | Promise<boolean>;
  subsystemRequested?(subsystem: string): boolean | Promise<boolean>;
  breakReceived?(msec: number): boolean;
  signalReceived?(signal: string): void;
  terminalSizeChanged?(width: number, height: number, pixelWidth: number, pixelHeight: number): void;
}

/** An x11-req (RFC 4254 §6.3.1), its cookie decoded from hex. */
export interface X11ServerRequest {
  readonly singleConnection: boolean;
  readonly authProtocol: string;
  readonly authCookie: Uint8Array;
  readonly screen: number;
}

export interface ServerChannelPolicy {
  /** Accept agent forwarding requests (the connection sets the agent path). */
  readonly agentForwarding?: (channel: SSHServerChannel) => boolean | Promise<boolean>;
  /** Accept X11 forwarding requests (the connection sets the display with setX11Display). */
  readonly x11Forwarding?: (channel: SSHServerChannel, request: X11ServerRequest) => boolean | Promise<boolean>;
  /** Accept environment variables by name (default: all). */
  readonly acceptEnv?: (name: string) => boolean;
  /**
   * A command that replaces whatever the client asks to run (authorized_keys command=, a
   * certificate's force-command); the request's own command goes to SSH_ORIGINAL_COMMAND.
   */
  readonly forcedCommand?: () => string | undefined;
  /** NAME=value pairs added to the environment (authorized_keys environment=). */
  readonly environment?: () => readonly string[];
  /**
   * Whether a pty may be requested at all (the server's allowPty, authorized_keys no-pty or
   * restrict, a certificate without permit-pty): checked before any session hears of the request.
   */
  readonly allowPty?: () => boolean;
}

export class SSHServerChannel<T extends ChannelData = ChannelData> extends SSHChannel<T> {
  protected declare session: SSHServerSession<T> | undefined;
  private readonly policy: ServerChannelPolicy;
  /** Names are the client's: no prototype, so that `__proto__` is a name like any other. */
  private readonly env: Record<string, string | Uint8Array> = Object.create(null) as Record<string, string | Uint8Array>;
  private envCount = 0;
  private command: string | undefined;
  private subsystem: string | undefined;
  private termType: string | undefined;
  private termSize: [number, number, number, number] = [0, 0, 0, 0];
  private termModes: Record<number, number> = {};
  private started = false;
  private agentPath: string | undefined;
  private x11Display: string | undefined;
  private x11Pending = false;
  private ptyPending = false;
  private exited = false;
  private startPending = false;
  private lineEditor: LineEditor | undefined;

  constructor(connection: ChannelConnection, policy: ServerChannelPolicy = {}, options: SSHChannelOptions = {}) {
    super(connection, options);
    this.policy = policy;
  }

  /** Binds a session object; its connectionMade runs now. */
  bindSession(session: SSHServerSession<T>): void {
    this.setSession(session);
    session.connectionMade?.(this);
  }

  protected override async handleRequest(type: string, request: unknown): Promise<boolean> {
    const session = this.session;
    if (!session) return false;
    switch (type) {
      case 'env': {
        const r = request as { name: string; value: Uint8Array };
        if (this.started || (this.policy.acceptEnv && !this.policy.acceptEnv(r.name))) return false;
        const known = Object.hasOwn(this.env, r.name);
        if (!known && this.envCount >= MAX_ENV_VARIABLES) return false;
        if (!known) this.envCount++;
        this.env[r.name] = decodeEnvValue(r.value);
        return true;
      }
      case 'pty-req': {
        const r = request as { term: string; widthChars: number; heightRows: number; widthPixels: number; heightPixels: number; modes: PtyMode[] };
        // One pty per session, counting one the session is still deciding on (as sshd).
        if (this.started || this.termType !== undefined || this.ptyPending) return false;
        if (this.policy.allowPty?.() === false) return false;
        const modes: Record<number, number> = {};
        for (const [op, value] of r.modes) modes[op] = value;
        const size: [number, number, number, number] = [r.widthChars, r.heightRows, r.widthPixels, r.heightPixels];
        this.ptyPending = true;
        let ok: boolean;
        try {
          ok = (await session.ptyRequested?.(r.term, size, modes)) === true;
        } finally {
          this.ptyPending = false;
        }
        if (ok) {
          this.termType = r.term;
          this.termSize = size;
          this.termModes = modes;
        }
        return ok;
      }
      case 'shell':
      case 'exec':
      case 'subsystem':
        return this.startRequest(type, request);
      case 'window-change': {
        const r = request as { widthChars: number; heightRows: number; widthPixels: number; heightPixels: number };
        this.termSize = [r.widthChars, r.heightRows, r.widthPixels, r.heightPixels];
        session.terminalSizeChanged?.(r.widthChars, r.heightRows, r.widthPixels, r.heightPixels);
        return true;
      }
      case 'signal':
        session.signalReceived?.((request as { signal: string }).signal);
        return true;
      case 'break':
        return session.breakReceived?.((request as { breakLength: number }).breakLength) === true;
      case 'auth-agent-req@openssh.com':
        return this.policy.agentForwarding ? (await this.policy.agentForwarding(this)) === true : false;
      case 'x11-req': {
        const r = request as { singleConnection: boolean; authProtocol: string; authCookie: string; screenNumber: number };
        // Once per session, before it starts (as sshd); the cookie is hex (AsyncSSH refuses others).
        // One being set up counts: requests sent together would each get a display otherwise.
        if (!this.policy.x11Forwarding || this.started || this.x11Display !== undefined || this.x11Pending) return false;
        if (r.authCookie.length === 0 || r.authCookie.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(r.authCookie)) return false;
        const cookie = new Uint8Array(r.authCookie.length / 2);
        for (let i = 0; i < cookie.length; i++) cookie[i] = parseInt(r.authCookie.slice(i * 2, i * 2 + 2), 16);
        this.x11Pending = true;
        try {
          return (await this.policy.x11Forwarding(this, { singleConnection: r.singleConnection, authProtocol: r.authProtocol, authCookie: cookie, screen: r.screenNumber })) === true;
        } finally {
          this.x11Pending = false;
        }
      }
      default:
        return false;
    }
  }

  private async startRequest(type: 'shell' | 'exec' | 'subsystem', request: unknown): Promise<boolean> {
    const session = this.session;
    if (this.started || !session) return false;
    this.started = true;
    for (const pair of this.policy.environment?.() ?? []) {
      const eq = pair.indexOf('=');
      if (eq > 0) this.env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const forced = this.policy.forcedCommand?.();
    if (forced !== undefined) {
      const original = type === 'exec' ? new TextDecoder('utf-8').decode((request as { command: Uint8Array }).command) : type === 'subsystem' ? (request as { name: string }).name : undefined;
      if (original !== undefined) this.env['SSH_ORIGINAL_COMMAND'] = original;
      type = 'exec';
      request = { command: new TextEncoder().encode(forced) };
    }
    let ok: boolean;
    try {
      if (type === 'shell') ok = (await session.shellRequested?.()) === true;
      else if (type === 'exec') {
        const command = new TextDecoder('utf-8').decode((request as { command: Uint8Array }).command);
        this.command = command;
        ok = (await session.execRequested?.(command)) === true;
      } else {
        this.subsystem = (request as { name: string }).name;
        ok = (await session.subsystemRequested?.(this.subsystem)) === true;
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      this.started = false;
      this.command = undefined;
      this.subsystem = undefined;
      return false;
    }
    this.startPending = true;
    return true;
  }

  /** The session starts once the success reply is out, so its first output follows it. */
  protected override requestAnswered(type: string, ok: boolean): void {
    if (!this.startPending || !ok || (type !== 'shell' && type !== 'exec' && type !== 'subsystem')) return;
    this.startPending = false;
    this.session?.sessionStarted?.();
  }

  // ------------------------------------------------------------------ info

  getEnvironment(): Readonly<Record<string, string | Uint8Array>> {
    return { ...this.env };
  }

  getCommand(): string | undefined {
    return this.command;
  }

  getSubsystem(): string | undefined {
    return this.subsystem;
  }

  getTerminalType(): string | undefined {
    return this.termType;
  }

  getTerminalSize(): readonly [width: number, height: number, pixelWidth: number, pixelHeight: number] {
    return this.termSize;
  }

  getTerminalMode(mode: number): number | undefined {
    return this.termModes[mode];
  }

  getTerminalModes(): Readonly<Record<number, number>> {
    return { ...this.termModes };
  }

  getX11Display(): string | undefined {
    return this.x11Display;
  }

  getAgentPath(): string | undefined {
    return this.agentPath;
  }

  /** @internal Set by the connection when agent forwarding is set up. */
  setAgentPath(path: string | undefined): void {
    this.agentPath = path;
    // The session's programs find the forwarded agent the usual way.
    if (path === undefined) delete this.env['SSH_AUTH_SOCK'];
    else this.env['SSH_AUTH_SOCK'] = path;
  }

  /**
   * @internal Set by the connection when X11 forwarding is set up: the session's programs find
   * the display in DISPLAY, and its cookie in the Xauthority file XAUTHORITY names (if given).
   */
  setX11Display(display: string | undefined, authPath?: string): void {
    this.x11Display = display;
    if (display === undefined) {
      delete this.env['DISPLAY'];
      delete this.env['XAUTHORITY'];
      return;
    }
    this.env['DISPLAY'] = display;
    if (authPath !== undefined) this.env['XAUTHORITY'] = authPath;
  }

  // ------------------------------------------------------------------ line editor (AsyncSSH's SSHLineEditorChannel)

  /** @internal */
  setLineEditor(editor: LineEditor | undefined): void {
    this.lineEditor = editor;
  }

  /** True when input is being line-edited (a pty session with the line editor on). */
  get hasLineEditor(): boolean {
    return this.lineEditor !== undefined;
  }

  /** Line mode on (edit a line, deliver it on Enter) or off (deliver input as it comes). */
  setLineMode(on: boolean): void {
    this.lineEditor?.setLineMode(on);
  }

  /** Echo typed input (turn off while reading a password). */
  setEcho(on: boolean): void {
    this.lineEditor?.setEcho(on);
  }

  /** Calls `handler` for `key` instead of its default editing action. */
  registerKey(key: string, handler: KeyHandler): void {
    this.lineEditor?.registerKey(key, handler);
  }

  unregisterKey(key: string): void {
    this.lineEditor?.unregisterKey(key);
  }

  clearInput(): void {
    this.lineEditor?.clearInput();
  }

  setInput(line: string, pos: number): void {
    this.lineEditor?.setInput(line, pos);
  }

  // ------------------------------------------------------------------ to the client

  /** Tells the client whether it may do flow control with ^S/^Q itself (RFC 4254 §6.8). */
  setXonXoff(clientCanDo: boolean): void {
    this.muxChannel?.sendRequest('xon-xoff', { type: 'xon-xoff', clientCanDo });
  }

  /** Ends the session with an exit status (after the output already written) and closes. */
  exit(status: number): void {
    const chan = this.muxChannel;
    if (!chan || this.exited) return;
    this.exited = true;
    if (chan.state === 'open') {
      chan.writeEof();
      chan.sendRequest('exit-status', { type: 'exit-status', exitStatus: status >>> 0 });
    }
    chan.close();
  }

  /** Ends the session with a signal (name without "SIG") and closes. */
  exitWithSignal(signal: string, coreDumped = false, message = '', lang = 'en-US'): void {
    const chan = this.muxChannel;
    if (!chan || this.exited) return;
    this.exited = true;
    if (chan.state === 'open') {
      chan.writeEof();
      chan.sendRequest('exit-signal', { type: 'exit-signal', signal: signal.replace(/^SIG/, ''), coreDumped, errorMessage: message, languageTag: lang });
    }
    chan.close();
  }
}

/**
 * AsyncSSH's SSHLineEditorChannel: the channel of a process session run with the line editor on
 * (the server's `lineEditor` option, true by default), whose input is edited once the client asks
 * for a pty. Its editing methods are SSHServerChannel's (setLineMode, setEcho, registerKey,
 * unregisterKey, clearInput, setInput): they act while the editor runs (a pty session with a
 * text encoding) and do nothing otherwise; `hasLineEditor` tells which.
 */
export class SSHLineEditorChannel<T extends ChannelData = ChannelData> extends SSHServerChannel<T> {}
