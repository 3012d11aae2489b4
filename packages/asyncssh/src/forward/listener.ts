/**
 * SSHListener: what the forwarding methods return (AsyncSSH's SSHListener), and the local
 * listening sockets behind local forwards, SOCKS and server-side remote forwards: TCP on every
 * address of a host (../listen-addresses.ts) or a UNIX path.
 * @module
 */

import { chmod } from 'node:fs/promises';
import net from 'node:net';
import { LOOPBACK, bindAddresses, listenAll, listenOn } from '../listen-addresses.ts';

/** A forwarding listener: local (a socket of ours) or remote (a tcpip-forward on the peer). */
export abstract class SSHListener {
  /** The addresses listened on as [host, port] pairs (empty for a UNIX socket). */
  abstract getAddresses(): [string, number][];

  /** The port listened on (useful after asking for port 0); 0 for a UNIX socket. */
  getPort(): number {
    return this.getAddresses()[0]?.[1] ?? 0;
  }

  /** The UNIX socket path listened on, for a path listener. */
  getPath(): string | undefined {
    return undefined;
  }

  #closing: Promise<void> | undefined;

  /**
   * Stops listening; connections already forwarded carry on. Closing twice is closing once.
   * (A concrete method on the prototype, as AsyncSSH's SSHListener.close: each kind of listener
   * says how it stops in `stopListening`.)
   */
  close(): void {
    this.#closing ??= this.stopListening();
    this.#closing.catch(() => undefined);
  }

  /** Resolves once the listener is closed (connections it forwarded may still be open). */
  async waitClosed(): Promise<void> {
    this.close();
    await this.#closing;
  }

  /** True once close() was called. */
  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Stops listening (called once, by close()); resolves when it has stopped. Each kind of
   * listener overrides it; this default is for one with nothing of its own to stop.
   */
  protected stopListening(): Promise<void> {
    return Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }
}

/** Where a local listener listens: a TCP host and port, or a UNIX socket path. */
export type ListenTarget = { readonly host: string; readonly port: number } | { readonly path: string };

/** A peer address as people write it: IPv4-mapped IPv6 addresses of dual-stack sockets unwrapped. */
export function plainAddress(address: string | undefined): string {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : (address ?? '');
}

/** Listening sockets of ours; each accepted socket goes to `onSocket`. */
export class LocalListener extends SSHListener {
  private readonly servers: net.Server[];
  private readonly path: string | undefined;
  private readonly onClose: (() => void) | undefined;

  private constructor(servers: net.Server[], path: string | undefined, onClose: (() => void) | undefined) {
    super();
    this.servers = servers;
    this.path = path;
    this.onClose = onClose;
  }

  /**
   * Listens on `target`: 'localhost' (in any case) on both loopback addresses, as ssh's forwards
   * do, another host as bindAddresses() reads it ('' or '*' every address, a name each of its
   * addresses, an IPv6 address ('::' included) that family only), all on one port; or a UNIX
   * socket path.
   */
  static async open(target: ListenTarget, onSocket: (socket: net.Socket, server: LocalListener) => void, onClose?: () => void): Promise<LocalListener> {
    const servers: net.Server[] = [];
    const listener = new LocalListener(servers, 'path' in target ? target.path : undefined, onClose);
    const make = (): net.Server => {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
        socket.on('error', () => socket.destroy());
        if (listener.isClosed) {
          socket.destroy();
          return;
        }
        onSocket(socket, listener);
      });
      return server;
    };
    try {
      if ('path' in target) {
        const server = make();
        servers.push(server);
        await listenOn(server, { path: target.path });
        // Only our user may connect (OpenSSH's StreamLocalBindMask 0177).
        await chmod(target.path, 0o600);
      } else {
        const addresses = target.host.toLowerCase() === 'localhost' ? LOOPBACK : await bindAddresses(target.host);
        servers.push(...(await listenAll(addresses, target.port, make)));
      }
    } catch (err) {
      for (const s of servers) s.close();
      throw err;
    }
    return listener;
  }

  getAddresses(): [string, number][] {
    const out: [string, number][] = [];
    for (const s of this.servers) {
      const a = s.address();
      if (a && typeof a === 'object') out.push([a.address, a.port]);
    }
    return out;
  }

  override getPath(): string | undefined {
    return this.path;
  }

  protected override stopListening(): Promise<void> {
    // close() stops listening at once; its callback would also wait for every accepted
    // connection to end, and forwarded connections outlive their listener.
    for (const s of this.servers) s.close();
    this.onClose?.();
    return new Promise((resolve) => setImmediate(resolve));
  }
}
