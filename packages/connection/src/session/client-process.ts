/**
 * SSHClientProcess: a remote command, shell or subsystem with stdin/stdout/stderr streams,
 * redirection, output collection and wait() with check and timeout (AsyncSSH's
 * create_process() / run()).
 * @module
 */

import type { ChannelLogger } from './channel.ts';
import { EXTENDED_DATA } from '@ssh/wire';
import type { SSHReader, SSHWriter } from '../stream/index.ts';
import type { SSHClientChannel } from './client-channel.ts';
import { ProcessError, ProcessTimeoutError, SSHCompletedProcess, type ProcessResult } from './process-errors.ts';
import { collect, discard, pump, type RedirectSink, type RedirectSource } from './redirect.ts';
import type { StreamSession } from './stream-session.ts';

export interface RedirectOptions {
  readonly stdin?: RedirectSource | undefined;
  readonly stdout?: RedirectSink | undefined;
  readonly stderr?: RedirectSink | undefined;
  /** Read size when pumping (default 64 KiB). */
  readonly bufsize?: number | undefined;
  /** End the target when the source ends (default true). */
  readonly sendEof?: boolean | undefined;
  /** End stdout/stderr targets at the process's EOF (default true). */
  readonly recvEof?: boolean | undefined;
}

export interface WaitOptions {
  /** Throw ProcessError on a non-zero exit status or a signal. */
  readonly check?: boolean | undefined;
  /** Seconds before the process is closed and ProcessTimeoutError thrown. */
  readonly timeout?: number | undefined;
}

export class SSHClientProcess<T extends string | Uint8Array = string> {
  readonly channel: SSHClientChannel<Uint8Array>;
  readonly stdin: SSHWriter<T, SSHClientChannel<Uint8Array>>;
  readonly stdout: SSHReader<T, SSHClientChannel<Uint8Array>>;
  readonly stderr: SSHReader<T, SSHClientChannel<Uint8Array>>;
  private readonly streams: StreamSession<T>;
  private readonly pumps: Promise<void>[] = [];
  private stdoutPiped = true;
  private stderrPiped = true;

  /** @internal Use SSHClientConnection.createProcess(). */
  /** The connection's logger (AsyncSSH's `logger` attribute). */
  get logger(): ChannelLogger | undefined {
    return this.channel.logger;
  }

  constructor(channel: SSHClientChannel<Uint8Array>, streams: StreamSession<T>) {
    this.channel = channel;
    this.streams = streams;
    this.stdin = streams.writer() as SSHWriter<T, SSHClientChannel<Uint8Array>>;
    this.stdout = streams.reader() as SSHReader<T, SSHClientChannel<Uint8Array>>;
    this.stderr = streams.reader(EXTENDED_DATA.STDERR) as SSHReader<T, SSHClientChannel<Uint8Array>>;
  }

  get env() {
    return this.channel.getEnvironment();
  }

  get command(): string | undefined {
    return this.channel.getCommand();
  }

  get subsystem(): string | undefined {
    return this.channel.getSubsystem();
  }

  get exitStatus(): number | undefined {
    return this.channel.getExitStatus();
  }

  get exitSignal() {
    return this.channel.getExitSignal();
  }

  get returncode(): number | undefined {
    return this.channel.getReturncode();
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.channel.getExtraInfo(name, defaultValue);
  }

  // ------------------------------------------------------------------ redirection

  /** Redirects any of stdin, stdout, stderr; the pumps run until their source ends. */
  redirect(options: RedirectOptions): void {
    const common = { ...(options.bufsize !== undefined ? { bufsize: options.bufsize } : {}) };
    if (options.stdin !== undefined && options.stdin !== 'pipe') {
      if (options.stdin === 'devnull') this.stdin.writeEof();
      else this.track(this.streams.pump(options.stdin, this.stdin as SSHWriter<string>, { ...common, sendEof: options.sendEof !== false }));
    }
    if (options.stdout !== undefined && options.stdout !== 'pipe') {
      this.stdoutPiped = false;
      if (options.stdout === 'devnull' || options.stdout === 'stdout') this.track(discard(this.stdout as SSHReader<string>));
      else this.track(pump(this.stdout as SSHReader<string>, options.stdout, { ...common, sendEof: options.recvEof !== false }));
    }
    if (options.stderr !== undefined && options.stderr !== 'pipe') {
      this.stderrPiped = false;
      if (options.stderr === 'devnull') this.track(discard(this.stderr as SSHReader<string>));
      else if (options.stderr === 'stdout') this.streams.mergeStderr();
      else this.track(pump(this.stderr as SSHReader<string>, options.stderr, { ...common, sendEof: options.recvEof !== false }));
    }
  }

  redirectStdin(source: RedirectSource, options: Omit<RedirectOptions, 'stdin' | 'stdout' | 'stderr'> = {}): void {
    this.redirect({ ...options, stdin: source });
  }

  redirectStdout(target: RedirectSink, options: Omit<RedirectOptions, 'stdin' | 'stdout' | 'stderr'> = {}): void {
    this.redirect({ ...options, stdout: target });
  }

  redirectStderr(target: RedirectSink, options: Omit<RedirectOptions, 'stdin' | 'stdout' | 'stderr'> = {}): void {
    this.redirect({ ...options, stderr: target });
  }

  private track(p: Promise<void>): void {
    p.catch(() => undefined);
    this.pumps.push(p);
  }

  // ------------------------------------------------------------------ output and waiting

  /** Reads piped stdout and stderr to their end: [stdout, stderr]. */
  async collectOutput(): Promise<[T | undefined, T | undefined]> {
    const [out, err] = await Promise.all([
      this.stdoutPiped ? collect(this.stdout) : Promise.resolve(undefined),
      this.stderrPiped ? collect(this.stderr) : Promise.resolve(undefined),
    ]);
    return [out, err];
  }

  /** Sends `input` (if any) and EOF, then collects the output: [stdout, stderr]. */
  async communicate(input?: T): Promise<[T | undefined, T | undefined]> {
    if (input !== undefined && input.length > 0) this.stdin.write(input);
    if (!this.stdin.isClosing()) this.stdin.writeEof();
    const result = await this.collectOutput();
    await this.channel.waitClosed();
    return result;
  }

  /** Waits for the process to exit, collecting piped output. */
  async wait(options: WaitOptions = {}): Promise<SSHCompletedProcess<T>> {
    let stdout: T | undefined;
    let stderr: T | undefined;
    const work = (async () => {
      [stdout, stderr] = await this.collectOutput();
      await Promise.all(this.pumps);
      await this.channel.waitClosed();
    })();
    if (options.timeout !== undefined && options.timeout > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), (options.timeout as number) * 1000);
      });
      let outcome: 'done' | 'timeout';
      try {
        outcome = await Promise.race([work.then(() => 'done' as const), expired]);
      } finally {
        // Also when the work failed first: the timer would keep the program running until it fired.
        clearTimeout(timer);
      }
      if (outcome === 'timeout') {
        this.channel.close();
        throw new ProcessTimeoutError<T>(this.result(stdout, stderr), options.timeout);
      }
    } else {
      await work;
    }
    const result = this.result(stdout, stderr);
    if (options.check && (result.exitStatus !== 0 || result.exitSignal !== undefined)) throw new ProcessError<T>(result);
    return new SSHCompletedProcess<T>(result);
  }

  private result(stdout: T | undefined, stderr: T | undefined): ProcessResult<T> {
    return {
      env: this.env,
      command: this.command,
      subsystem: this.subsystem,
      exitStatus: this.exitStatus,
      exitSignal: this.exitSignal,
      returncode: this.returncode,
      stdout,
      stderr,
    };
  }

  // ------------------------------------------------------------------ control

  changeTerminalSize(width: number, height: number, pixelWidth = 0, pixelHeight = 0): void {
    this.channel.changeTerminalSize(width, height, pixelWidth, pixelHeight);
  }

  sendBreak(msec: number): void {
    this.channel.sendBreak(msec);
  }

  sendSignal(signal: string | number): void {
    this.channel.sendSignal(signal);
  }

  terminate(): void {
    this.channel.terminate();
  }

  kill(): void {
    this.channel.kill();
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

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** @internal */
  get streamSession(): StreamSession<T> {
    return this.streams;
  }
}

