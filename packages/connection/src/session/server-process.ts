/**
 * SSHServerProcess: a server session seen as a process (AsyncSSH's process_factory): stdin as
 * an SSHReader that also raises BreakReceived / SignalReceived / TerminalSizeChanged in order
 * with the data, stdout and stderr as SSHWriters, the request's command, subsystem, environment
 * and terminal, and exit() / exitWithSignal().
 * @module
 */

import type { ChannelLogger } from './channel.ts';
import { EXTENDED_DATA } from '@ssh/wire';
import type { SSHReader, SSHWriter } from '../stream/index.ts';
import type { TermSize } from './client-channel.ts';
import { BreakReceived, SignalReceived, TerminalSizeChanged } from './process-errors.ts';
import { pump, type RedirectSink, type RedirectSource } from './redirect.ts';
import type { SSHServerChannel, SSHServerSession } from './server-channel.ts';
import { StreamSession, type StreamOptions } from './stream-session.ts';
import { encodeText, textDecoder, type StreamDecoder } from './text.ts';
import { LineEditor } from '../line-editor/index.ts';

/**
 * Break, signal and window-change events stdin holds unread. They take no window, so a client
 * could otherwise make the server queue them without limit for a process that does not read
 * stdin: beyond this, a break request is refused and a signal or resize is dropped.
 */
export const MAX_PENDING_STDIN_EVENTS = 1024;

/** Input the line editor takes at a time, between checks that stdin and the output have room for more. */
const EDIT_SLICE = 256;

/**
 * Runs a session as a process. Written in method form so that its parameter is bivariant: a
 * factory of byte processes (or of text ones) is also a factory for options that take either,
 * as `SSHServerConnectionOptions` does, while an unannotated `(process) => ...` is still typed
 * from the option it is given to.
 */
export type ProcessFactory<T extends string | Uint8Array = string> = {
  bivarianceHack(process: SSHServerProcess<T>): void | Promise<void>;
}['bivarianceHack'];

export interface ServerProcessOptions extends StreamOptions {
  /** Accept pty requests (default true). */
  readonly allowPty?: boolean;
  /** Echo and line editing for sessions with a pty, on text streams (default true). */
  readonly lineEditor?: boolean;
  readonly lineHistory?: number;
  readonly maxLineLength?: number;
  readonly lineEcho?: boolean;
  /** Called when the session starts (after exec / shell / subsystem was accepted). */
  readonly factory: ProcessFactory<string> | ProcessFactory<Uint8Array>;
  /** Accept a subsystem request by name (default: all, handed to the factory). */
  readonly acceptSubsystem?: (name: string) => boolean;
  /** Reports a factory that threw (the process exits with status 1 then). */
  readonly onError?: (error: unknown) => void;
}

export class SSHServerProcess<T extends string | Uint8Array = string> {
  readonly channel: SSHServerChannel<Uint8Array>;
  readonly stdin: SSHReader<T, SSHServerChannel<Uint8Array>>;
  readonly stdout: SSHWriter<T, SSHServerChannel<Uint8Array>>;
  readonly stderr: SSHWriter<T, SSHServerChannel<Uint8Array>>;
  private readonly streams: StreamSession<T>;

  /** @internal */
  /** The connection's logger (AsyncSSH's `logger` attribute). */
  get logger(): ChannelLogger | undefined {
    return this.channel.logger;
  }

  constructor(channel: SSHServerChannel<Uint8Array>, streams: StreamSession<T>) {
    this.channel = channel;
    this.streams = streams;
    this.stdin = streams.reader() as SSHReader<T, SSHServerChannel<Uint8Array>>;
    this.stdout = streams.writer() as SSHWriter<T, SSHServerChannel<Uint8Array>>;
    this.stderr = streams.writer(EXTENDED_DATA.STDERR) as SSHWriter<T, SSHServerChannel<Uint8Array>>;
  }

  get command(): string | undefined {
    return this.channel.getCommand();
  }

  get subsystem(): string | undefined {
    return this.channel.getSubsystem();
  }

  get env(): Readonly<Record<string, string | Uint8Array>> {
    return this.channel.getEnvironment();
  }

  get termType(): string | undefined {
    return this.channel.getTerminalType();
  }

  get termSize(): readonly [number, number, number, number] {
    return this.channel.getTerminalSize();
  }

  get termModes(): Readonly<Record<number, number>> {
    return this.channel.getTerminalModes();
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.channel.getExtraInfo(name, defaultValue);
  }

  /**
   * Redirects stdin to a target and/or stdout/stderr from sources; resolves when the pumps end.
   * With `sendEof` (default) and stdout redirected, the channel's EOF goes once both stdout and
   * stderr sources have ended: CHANNEL_EOF ends extended data too (RFC 4254 §5.3), so stderr
   * output arriving after stdout's end would otherwise be refused.
   */
  async redirect(options: { stdin?: RedirectSink; stdout?: RedirectSource; stderr?: RedirectSource; bufsize?: number; sendEof?: boolean; recvEof?: boolean }): Promise<void> {
    const pumps: Promise<void>[] = [];
    const bufsize = options.bufsize !== undefined ? { bufsize: options.bufsize } : {};
    if (options.stdin !== undefined && typeof options.stdin !== 'string') pumps.push(pump(this.stdin as SSHReader<string>, options.stdin, { ...bufsize, sendEof: options.recvEof !== false }));
    const into = this.streams.pump;
    const outputs: Promise<void>[] = [];
    const stdout = typeof options.stdout === 'string' ? undefined : options.stdout;
    if (stdout !== undefined) outputs.push(into(stdout, this.stdout as SSHWriter<string>, { ...bufsize, sendEof: false }));
    if (options.stderr !== undefined && typeof options.stderr !== 'string') outputs.push(into(options.stderr, this.stderr as SSHWriter<string>, { ...bufsize, sendEof: false }));
    if (outputs.length > 0) {
      pumps.push(
        Promise.all(outputs).then(() => {
          if (stdout !== undefined && options.sendEof !== false && this.stdout.canWriteEof()) this.stdout.writeEof();
        }),
      );
    }
    await Promise.all(pumps);
  }

  /** Ends the process with an exit status, after the output already written. */
  exit(status: number): void {
    this.channel.exit(status);
  }

  exitWithSignal(signal: string, coreDumped = false, message = '', lang = 'en-US'): void {
    this.channel.exitWithSignal(signal, coreDumped, message, lang);
  }

  close(): void {
    this.channel.close();
  }

  isClosing(): boolean {
    return this.channel.isClosing();
  }

  waitClosed(): Promise<void> {
    return this.channel.waitClosed();
  }

  /** @internal */
  get streamSession(): StreamSession<T> {
    return this.streams;
  }
}

/**
 * The SSHServerSession behind a process factory: accepts pty (when allowed), shell, exec and
 * subsystem requests, starts the factory when the session starts, and turns break, signal and
 * window-change requests into in-band exceptions on stdin.
 */
export class ServerProcessSession<T extends string | Uint8Array = string> extends StreamSession<T> implements SSHServerSession<Uint8Array> {
  readonly process: SSHServerProcess<T>;
  private readonly options: ServerProcessOptions;
  private readonly serverChannel: SSHServerChannel<Uint8Array>;
  private editor: LineEditor | undefined;
  private inputDecoder: StreamDecoder | undefined;
  /** Input decoded but not yet edited, from `editedTo` on, and the received bytes it accounts for. */
  private uneditedText = '';
  private editedTo = 0;
  private uneditedBytes = 0;
  private editing = false;

  constructor(channel: SSHServerChannel<Uint8Array>, options: ServerProcessOptions) {
    super(channel, options);
    this.options = options;
    this.serverChannel = channel;
    this.process = new SSHServerProcess<T>(channel, this);
  }

  ptyRequested(termType: string, termSize: TermSize): boolean {
    if (this.options.allowPty === false) return false;
    if (this.options.lineEditor !== false && this.encoding !== null) this.startEditor(termType, termSize);
    return true;
  }

  /** AsyncSSH's SSHLineEditorChannel: echo and editing on the pty, whole lines to stdin. */
  private startEditor(termType: string, termSize: TermSize): void {
    const encoding = this.encoding as string;
    const out = (text: string): void => {
      // The client may type after our side has ended (EOF sent, the process exited): the echo
      // then has nowhere to go. The process's own writes fail before they get here (sendOutput).
      if (this.channel.muxChannel?.isWriteClosed !== false) return;
      super.sendOutput(encodeText(text, encoding), undefined);
    };
    const stdin = (text: string): void => super.deliverInput(encodeText(text, encoding), undefined);
    this.inputDecoder = textDecoder(encoding, 'replace');
    this.windowManaged = true;
    this.editor = new LineEditor(
      {
        termType,
        width: termSize[0],
        ...(termSize[1] !== undefined ? { height: termSize[1] } : {}),
        ...(this.options.lineHistory !== undefined ? { lineHistory: this.options.lineHistory } : {}),
        ...(this.options.maxLineLength !== undefined ? { maxLineLength: this.options.maxLineLength } : {}),
        ...(this.options.lineEcho !== undefined ? { lineEcho: this.options.lineEcho } : {}),
      },
      {
        write: out,
        deliverLine: stdin,
        deliverData: stdin,
        deliverEof: () => this.buffer(undefined).pushEof(),
        deliverBreak: (msec) => this.pushError(new BreakReceived(msec)),
        deliverSignal: (name) => this.pushError(new SignalReceived(name)),
      },
    );
    this.serverChannel.setLineEditor(this.editor);
  }

  /**
   * What this session's deliverInput passes on is a received payload alone (no editor, or not
   * stdin) or text the editor encoded afresh: either is the buffers' own once read.
   */
  protected override recyclesInput(): boolean {
    return this.dataReceived === StreamSession.prototype.dataReceived && this.deliverInput === ServerProcessSession.prototype.deliverInput;
  }

  protected override deliverInput(data: Uint8Array, datatype: number | undefined): void {
    const editor = this.editor;
    if (!editor || datatype !== undefined) {
      super.deliverInput(data, datatype);
      return;
    }
    const text = (this.inputDecoder as StreamDecoder).decode(data, { stream: true });
    this.uneditedText = this.editedTo < this.uneditedText.length ? this.uneditedText.slice(this.editedTo) + text : text;
    this.editedTo = 0;
    this.uneditedBytes += data.length;
    this.editInput();
  }

  /**
   * Feeds unedited input to the editor, a slice at a time, while stdin and the channel's output
   * have room for what it makes (lines for the reader, echo for the client: one key can redraw a
   * whole line). What reaches stdin are lines, not the bytes received, so the window reopens for
   * input once it has been edited; while there is no room, the channel holds later input back
   * unconsumed and the client's window stays shut, as for a stream nobody reads.
   */
  private editInput(): void {
    const editor = this.editor;
    // Echo written while editing can make the output writable again (resumeWriting): the loop
    // below goes on by itself, the editor is never entered twice.
    if (editor === undefined || this.editing) return;
    this.editing = true;
    try {
      while (this.editedTo < this.uneditedText.length && !this.editorFull()) {
        const text = this.uneditedText;
        let end = Math.min(text.length, this.editedTo + EDIT_SLICE);
        // Never between the halves of a surrogate pair.
        if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end++;
        const slice = text.slice(this.editedTo, end);
        this.editedTo = end;
        editor.processInput(slice);
      }
    } finally {
      this.editing = false;
    }
    if (this.editedTo < this.uneditedText.length) {
      this.serverChannel.holdReading(true);
      return;
    }
    this.uneditedText = '';
    this.editedTo = 0;
    const bytes = this.uneditedBytes;
    this.uneditedBytes = 0;
    if (bytes > 0) this.channel.consume(bytes);
    this.serverChannel.holdReading(this.editorFull());
  }

  /**
   * Whether edited input would pile up: stdin holds a window's worth unread or as many events as
   * it takes (keys such as ^C make breaks), or the output is above its high-water mark.
   */
  private editorFull(): boolean {
    const window = this.channel.muxChannel?.receiveLimits.windowSize ?? 0;
    const stdin = this.buffer(undefined);
    return stdin.buffered > Math.max(window, EDIT_SLICE) || stdin.pendingErrors >= MAX_PENDING_STDIN_EVENTS || this.channel.isWritingPaused;
  }

  protected override inputConsumed(datatype: number | undefined, bytes: number): void {
    super.inputConsumed(datatype, bytes);
    if (datatype === undefined && this.editor !== undefined) this.editInput();
  }

  override resumeWriting(): void {
    super.resumeWriting();
    if (this.editor !== undefined) this.editInput();
  }

  protected override sendOutput(data: Uint8Array, datatype: number | undefined, transient = false): void {
    const editor = this.editor;
    // A write after our EOF goes to the channel as it is, to fail there as it does without the editor.
    if (!editor || this.encoding === null || this.channel.muxChannel?.isWriteClosed !== false) {
      super.sendOutput(data, datatype, transient);
      return;
    }
    // Decoding copies: transient bytes are not kept past this call.
    const text = textDecoder(this.encoding, 'replace').decode(data);
    if (datatype === undefined) editor.writeOutput(text);
    else super.sendOutput(encodeText(text.replace(/\r?\n/g, '\r\n'), this.encoding), datatype);
  }

  override eofReceived(): boolean {
    // A half-typed line reaches the application before the EOF, as in AsyncSSH.
    this.editor?.setLineMode(false);
    return super.eofReceived();
  }

  shellRequested(): boolean {
    return true;
  }

  execRequested(): boolean {
    return true;
  }

  subsystemRequested(name: string): boolean {
    return this.options.acceptSubsystem ? this.options.acceptSubsystem(name) : true;
  }

  sessionStarted(): void {
    const factory = this.options.factory as ProcessFactory<T>;
    let result: void | Promise<void>;
    try {
      result = factory(this.process);
    } catch (err) {
      this.factoryFailed(err);
      return;
    }
    if (result instanceof Promise) result.catch((err: unknown) => this.factoryFailed(err));
  }

  private factoryFailed(err: unknown): void {
    this.options.onError?.(err);
    this.process.exit(1);
  }

  breakReceived(msec: number): boolean {
    return this.pushEvent(new BreakReceived(msec));
  }

  signalReceived(signal: string): void {
    this.pushEvent(new SignalReceived(signal));
  }

  terminalSizeChanged(width: number, height: number, pixelWidth: number, pixelHeight: number): void {
    this.editor?.setWidth(width, height);
    this.pushEvent(new TerminalSizeChanged(width, height, pixelWidth, pixelHeight));
  }

  /** Queues an event a request brought on stdin, unless stdin holds MAX_PENDING_STDIN_EVENTS unread already. */
  private pushEvent(event: Error): boolean {
    if (this.buffer(undefined).pendingErrors >= MAX_PENDING_STDIN_EVENTS) return false;
    this.pushError(event);
    return true;
  }
}

export type { TermSize };
