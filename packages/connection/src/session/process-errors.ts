/**
 * What a process reports: SSHCompletedProcess, ProcessError (non-zero exit with `check`),
 * ProcessTimeoutError (AsyncSSH's TimeoutError), and the in-band exceptions a server process's
 * stdin read raises: BreakReceived, SignalReceived, TerminalSizeChanged.
 * @module
 */

import { SshError } from '@ssh/wire';
import type { ExitSignal } from './client-channel.ts';

export interface ProcessResult<T> {
  readonly env: Readonly<Record<string, string | Uint8Array>> | readonly string[];
  readonly command: string | undefined;
  readonly subsystem: string | undefined;
  readonly exitStatus: number | undefined;
  readonly exitSignal: ExitSignal | undefined;
  readonly returncode: number | undefined;
  readonly stdout: T | undefined;
  readonly stderr: T | undefined;
}

/** Copies the fields of a result onto the object that reports it (a result or an error). */
function assignResult<T>(target: ProcessResult<T>, result: ProcessResult<T>): void {
  const { env, command, subsystem, exitStatus, exitSignal, returncode, stdout, stderr } = result;
  Object.assign(target, { env, command, subsystem, exitStatus, exitSignal, returncode, stdout, stderr });
}

/** The outcome of run(): status and captured output. */
export class SSHCompletedProcess<T = string | Uint8Array> implements ProcessResult<T> {
  declare readonly env: ProcessResult<T>['env'];
  declare readonly command: string | undefined;
  declare readonly subsystem: string | undefined;
  declare readonly exitStatus: number | undefined;
  declare readonly exitSignal: ExitSignal | undefined;
  declare readonly returncode: number | undefined;
  declare readonly stdout: T | undefined;
  declare readonly stderr: T | undefined;

  constructor(result: ProcessResult<T>) {
    assignResult(this, result);
  }
}

function describe(result: ProcessResult<unknown>): string {
  const what = result.command !== undefined ? `Command '${result.command}'` : result.subsystem !== undefined ? `Subsystem '${result.subsystem}'` : 'Shell';
  if (result.exitSignal) return `${what} exited with signal ${result.exitSignal.signal}${result.exitSignal.message ? `: ${result.exitSignal.message}` : ''}`;
  return `${what} exited with non-zero exit status ${result.exitStatus ?? -1}`;
}

/** A process exited with a non-zero status (run() with `check`). `code` in AsyncSSH is `exitStatus` here. */
export class ProcessError<T = string | Uint8Array> extends SshError implements ProcessResult<T> {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ProcessError');
  declare readonly env: ProcessResult<T>['env'];
  declare readonly command: string | undefined;
  declare readonly subsystem: string | undefined;
  declare readonly exitStatus: number | undefined;
  declare readonly exitSignal: ExitSignal | undefined;
  declare readonly returncode: number | undefined;
  declare readonly stdout: T | undefined;
  declare readonly stderr: T | undefined;
  readonly reason: string;

  constructor(result: ProcessResult<T>, reason = describe(result)) {
    super('SSH_ERR_PROCESS', reason);
    this.reason = reason;
    assignResult(this, result);
  }
}

/** run()/wait() with `timeout` expired; the process was closed. Carries the output so far. */
export class ProcessTimeoutError<T = string | Uint8Array> extends ProcessError<T> {
  static override readonly brand: symbol = Symbol.for('@ssh/error.ProcessTimeoutError');

  constructor(result: ProcessResult<T>, timeoutSeconds: number) {
    super(result, `${result.command !== undefined ? `Command '${result.command}'` : 'Process'} timed out after ${timeoutSeconds} seconds`);
  }
}

/** A server process's stdin read reached a break request (RFC 4335). */
export class BreakReceived extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.BreakReceived');
  readonly msec: number;
  constructor(msec: number) {
    super('SSH_ERR_BREAK', `break received (${msec} ms)`);
    this.msec = msec;
  }
}

/** A server process's stdin read reached a signal from the client. */
export class SignalReceived extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.SignalReceived');
  readonly signal: string;
  constructor(signal: string) {
    super('SSH_ERR_SIGNAL', `signal ${signal} received`);
    this.signal = signal;
  }
}

/** A server process's stdin read reached a terminal size change. */
export class TerminalSizeChanged extends SshError {
  static override readonly brand: symbol = Symbol.for('@ssh/error.TerminalSizeChanged');
  readonly width: number;
  readonly height: number;
  readonly pixwidth: number;
  readonly pixheight: number;
  constructor(width: number, height: number, pixwidth: number, pixheight: number) {
    super('SSH_ERR_TERMINAL_SIZE', `terminal size changed to ${width}x${height}`);
    this.width = width;
    this.height = height;
    this.pixwidth = pixwidth;
    this.pixheight = pixheight;
  }

  /** [width, height, pixwidth, pixheight], as AsyncSSH's term_size. */
  get termSize(): readonly [number, number, number, number] {
    return [this.width, this.height, this.pixwidth, this.pixheight];
  }
}
