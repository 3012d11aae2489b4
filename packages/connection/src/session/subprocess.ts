/**
 * The asyncio subprocess view of a session (AsyncSSH's create_subprocess): an
 * SSHSubprocessProtocol receives pipe_data_received(fd, data) for stdout (1) and stderr (2) and
 * process_exited(); the SSHSubprocessTransport gives pipe transports per fd (0: a WritePipe,
 * 1 and 2: ReadPipes) and process control.
 * @module
 */

import { EXTENDED_DATA } from '@ssh/wire';
import type { ChannelData } from './channel.ts';
import type { SSHClientChannel, SSHClientSession } from './client-channel.ts';

/** The callbacks of a subprocess, as asyncio.SubprocessProtocol. */
export class SSHSubprocessProtocol<T extends ChannelData = string> {
  connectionMade(_transport: SSHSubprocessTransport<T>): void {}
  pipeConnectionLost(_fd: number, _error: Error | undefined): void {}
  pipeDataReceived(_fd: number, _data: T): void {}
  processExited(): void {}
}

/** Reading side of stdout (fd 1) or stderr (fd 2). */
export class SSHSubprocessReadPipe<T extends ChannelData = string> {
  private readonly transport: SSHSubprocessTransport<T>;
  readonly fd: number;

  /** @internal */
  constructor(transport: SSHSubprocessTransport<T>, fd: number) {
    this.transport = transport;
    this.fd = fd;
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.transport.getExtraInfo(name, defaultValue);
  }

  /** Pauses delivery of both stdout and stderr (they share the channel's window). */
  pauseReading(): void {
    this.transport.channel.pauseReading();
  }

  resumeReading(): void {
    this.transport.channel.resumeReading();
  }

  close(): void {
    this.transport.close();
  }
}

/** Writing side of stdin (fd 0). */
export class SSHSubprocessWritePipe<T extends ChannelData = string> {
  private readonly transport: SSHSubprocessTransport<T>;
  readonly fd = 0;

  /** @internal */
  constructor(transport: SSHSubprocessTransport<T>) {
    this.transport = transport;
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.transport.getExtraInfo(name, defaultValue);
  }

  write(data: T): void {
    this.transport.channel.write(data);
  }

  writelines(lines: Iterable<T>): void {
    this.transport.channel.writelines(lines);
  }

  writeEof(): void {
    this.transport.channel.writeEof();
  }

  canWriteEof(): boolean {
    return true;
  }

  getWriteBufferSize(): number {
    return this.transport.channel.getWriteBufferSize();
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    this.transport.channel.setWriteBufferLimits(high, low);
  }

  abort(): void {
    this.transport.channel.abort();
  }

  close(): void {
    this.transport.close();
  }
}

/** The process side: pipes, status and control (asyncio.SubprocessTransport). */
export class SSHSubprocessTransport<T extends ChannelData = string> {
  readonly channel: SSHClientChannel<T>;
  private readonly pipes: [SSHSubprocessWritePipe<T>, SSHSubprocessReadPipe<T>, SSHSubprocessReadPipe<T>];

  /** @internal */
  constructor(channel: SSHClientChannel<T>) {
    this.channel = channel;
    this.pipes = [new SSHSubprocessWritePipe<T>(this), new SSHSubprocessReadPipe<T>(this, 1), new SSHSubprocessReadPipe<T>(this, 2)];
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.channel.getExtraInfo(name, defaultValue);
  }

  /** No local process id exists for a remote process. */
  getPid(): undefined {
    return undefined;
  }

  getPipeTransport(fd: 0): SSHSubprocessWritePipe<T>;
  getPipeTransport(fd: 1 | 2): SSHSubprocessReadPipe<T>;
  getPipeTransport(fd: number): SSHSubprocessWritePipe<T> | SSHSubprocessReadPipe<T> | undefined;
  getPipeTransport(fd: number): SSHSubprocessWritePipe<T> | SSHSubprocessReadPipe<T> | undefined {
    return this.pipes[fd];
  }

  getReturncode(): number | undefined {
    return this.channel.getReturncode();
  }

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
}

/** The session that turns channel callbacks into SubprocessProtocol calls. */
export class SubprocessSession<T extends ChannelData> implements SSHClientSession<T> {
  private readonly protocol: SSHSubprocessProtocol<T>;
  transport: SSHSubprocessTransport<T> | undefined;

  constructor(protocol: SSHSubprocessProtocol<T>) {
    this.protocol = protocol;
  }

  connectionMade(channel: unknown): void {
    this.transport = new SSHSubprocessTransport<T>(channel as SSHClientChannel<T>);
    this.protocol.connectionMade(this.transport);
  }

  dataReceived(data: T, datatype: number | undefined): void {
    this.protocol.pipeDataReceived(datatype === EXTENDED_DATA.STDERR ? 2 : 1, data);
  }

  private readonly lost = new Set<number>();

  private pipeLost(fd: number, error: Error | undefined): void {
    if (this.lost.has(fd)) return;
    this.lost.add(fd);
    this.protocol.pipeConnectionLost(fd, error);
  }

  eofReceived(): boolean {
    this.pipeLost(1, undefined);
    this.pipeLost(2, undefined);
    return true;
  }

  connectionLost(error: Error | undefined): void {
    for (const fd of [1, 2, 0]) this.pipeLost(fd, error);
    this.protocol.processExited();
  }
}
