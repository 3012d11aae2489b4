/**
 * Relays a byte channel to a local socket and back, with backpressure both ways: a socket that
 * does not drain pauses the channel's reading (so its window closes), and a channel above its
 * high-water mark pauses the socket. EOF and close travel across. The building block of agent
 * forwarding and port forwarding. The socket reads into a buffer shared by every bridge and
 * each read is sealed from there (only what the window cannot take yet is copied), rather than a
 * fresh buffer per read. The other way, each received payload's buffer goes back to the
 * transport once the socket has written it, to receive a later packet.
 * @module
 */

import type { Socket } from 'node:net';
import type { SSHChannel, SSHSession } from '@ssh/connection';
import { releasePayload } from '@ssh/transport';
import { readIntoReusedBuffer, sharedReadBuffer } from '@ssh/transport/node';

/**
 * AsyncSSH's SSHForwarder: a session that forwards channel data to a local `socket` and the
 * socket's data to the channel; install it with the channel, then call `start`. Port forwarding,
 * agent forwarding and X11 forwarding run on it.
 */
export class SSHForwarder implements SSHSession<Uint8Array> {
  private readonly socket: Socket;
  private channel: SSHChannel<Uint8Array> | undefined;
  /**
   * Whether the data this forwarder is given is released once written. Not when a subclass
   * overrides dataReceived(): it sees the data first and may keep it.
   */
  private readonly releasesData: boolean;

  constructor(socket: Socket) {
    this.socket = socket;
    this.releasesData = this.dataReceived === SSHForwarder.prototype.dataReceived;
  }

  connectionMade(channel: SSHChannel<Uint8Array>): void {
    this.channel = channel;
  }

  /** Starts relaying the socket's data into the channel. */
  start(channel: SSHChannel<Uint8Array>): void {
    this.channel = channel;
    const socket = this.socket;
    // AsyncSSH's write buffer limits (64 KiB, resuming at 16 KiB): what the peer's window cannot
    // take yet waits here, and a peer that keeps its window shut would otherwise have us hold
    // the channel default (a MiB) per relay. sshd reads no more than the window.
    channel.setWriteBufferLimits();
    // A channel above its high-water mark pauses the socket (pauseWriting below).
    const reused = readIntoReusedBuffer(
      socket,
      (chunk) => {
        if (!channel.isClosing()) channel.write(chunk, undefined, true);
        return true;
      },
      sharedReadBuffer(),
    );
    if (!reused) {
      socket.on('data', (chunk: Buffer) => {
        if (!channel.isClosing()) channel.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      });
    }
    // A socket read before (a SOCKS handshake) may have ended already, its 'end' heard by nobody.
    if (socket.readableEnded) channel.writeEof();
    else socket.on('end', () => channel.writeEof());
    socket.on('close', () => channel.close());
    socket.on('error', () => channel.abort());
    socket.on('drain', () => channel.resumeReading());
  }

  dataReceived(data: Uint8Array): void {
    // A channel hands each received payload to its session alone (paused data is a copy, which
    // releasePayload ignores): once written (or dropped by a destroyed socket), nothing refers to it.
    // Without this, a forward receiving in bulk allocates a buffer per 32 KiB packet.
    const written = this.releasesData ? (): void => releasePayload(data) : undefined;
    if (!this.socket.write(data, written)) this.channel?.pauseReading();
  }

  eofReceived(): boolean {
    this.socket.end();
    return true;
  }

  pauseWriting(): void {
    this.socket.pause();
  }

  resumeWriting(): void {
    this.socket.resume();
  }

  /**
   * What is known of the local socket ('peername', 'sockname': [address, port]; 'socket'), else
   * of the channel it is relayed over, else `defaultValue`.
   */
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    const socket = this.socket;
    switch (name) {
      case 'peername':
        return socket.remoteAddress !== undefined ? [socket.remoteAddress, socket.remotePort] : defaultValue;
      case 'sockname':
        return socket.localAddress !== undefined ? [socket.localAddress, socket.localPort] : defaultValue;
      case 'socket':
        return socket;
      default:
        return this.channel?.getExtraInfo(name) ?? defaultValue;
    }
  }

  /** Stops forwarding: closes the local socket and the channel. */
  close(): void {
    this.socket.destroy();
    this.channel?.close();
  }

  connectionLost(): void {
    if (!this.socket.destroyed) this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
