/**
 * Relays a byte channel to a local socket and back, with backpressure both ways: a socket that
 * does not drain pauses the channel's reading (so its window closes), and a channel above its
 * high-water mark pauses the socket. EOF and close travel across. The building block of agent
 * forwarding and port forwarding. The socket reads into a buffer shared by every bridge and
 * each read is sealed from there (only what the window cannot take yet is copied), rather than a
 * fresh buffer per read.
 * @module
 */

import type { Socket } from 'node:net';
import type { SSHChannel, SSHSession } from '@ssh/connection';
import { readIntoReusedBuffer, sharedReadBuffer } from '@ssh/transport/node';

/** A session that forwards channel data to `socket`; install it with the channel, then call `start`. */
export class SocketBridge implements SSHSession<Uint8Array> {
  private readonly socket: Socket;
  private channel: SSHChannel<Uint8Array> | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  connectionMade(channel: SSHChannel<Uint8Array>): void {
    this.channel = channel;
  }

  /** Starts relaying the socket's data into the channel. */
  start(channel: SSHChannel<Uint8Array>): void {
    this.channel = channel;
    const socket = this.socket;
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
    socket.on('end', () => channel.writeEof());
    socket.on('close', () => channel.close());
    socket.on('error', () => channel.abort());
    socket.on('drain', () => channel.resumeReading());
  }

  dataReceived(data: Uint8Array): void {
    if (!this.socket.write(data)) this.channel?.pauseReading();
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

  connectionLost(): void {
    if (!this.socket.destroyed) this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
