/**
 * Remote forwarding on the client: listeners on the server asked for with tcpip-forward
 * (RFC 4254 §7.1) or streamlocal-forward@openssh.com (OpenSSH PROTOCOL §2.4), and the
 * forwarded-tcpip / forwarded-streamlocal@openssh.com channels the server opens for each
 * connection on them, handed to the listener's owner. Closing a listener cancels it.
 * @module
 */

import { CHANNEL_OPEN_FAILURE, GlobalRequestReplies, type ChannelOpenBody, type GlobalRequestBody } from '@ssh/wire';
import type { IncomingChannelOpen } from '@ssh/connection';
import { ChannelListenError } from './errors.ts';
import { SSHListener } from './listener.ts';
import type { ForwardContext } from './channel.ts';

/** Takes one forwarded connection: answer it (accept or reject) now or later. */
export type RemoteAccept = (request: IncomingChannelOpen, origHost: string, origPort: number) => void;

/** A listener on the server (AsyncSSH's SSHRemotePortListener / remote path listener). */
export class RemoteListener extends SSHListener {
  private readonly owner: RemoteForwards;
  readonly listenHost: string;
  readonly listenPath: string | undefined;
  private readonly port: number;

  /** @internal */
  constructor(owner: RemoteForwards, listenHost: string, port: number, listenPath: string | undefined) {
    super();
    this.owner = owner;
    this.listenHost = listenHost;
    this.port = port;
    this.listenPath = listenPath;
  }

  getAddresses(): [string, number][] {
    return this.listenPath === undefined ? [[this.listenHost, this.port]] : [];
  }

  /** The remote UNIX socket path, for a path listener. */
  override getPath(): string | undefined {
    return this.listenPath;
  }

  /** Cancels the listener on the server (cancel-tcpip-forward or its streamlocal twin). */
  protected override stopListening(): Promise<void> {
    return this.owner.cancel(this);
  }
}

interface Entry {
  readonly listener: RemoteListener;
  readonly accept: RemoteAccept;
  /** The port asked for (0: the server picked `listener.getPort()`). */
  readonly requestedPort: number;
}

/** The remote listeners of one client connection. */
export class RemoteForwards {
  private readonly ctx: ForwardContext;
  private tcp: Entry[] = [];
  private readonly unix = new Map<string, Entry>();

  constructor(ctx: ForwardContext) {
    this.ctx = ctx;
  }

  private request(name: string, body: GlobalRequestBody): Promise<Uint8Array | undefined> {
    return this.requestThen(name, body, (data) => data);
  }

  /**
   * Sends a global request; `granted` runs on the reply's data as the reply is handled (undefined:
   * refused). The server's first forwarded channel may come in the same read as its reply, and
   * the transport hands both over in one turn: a listener set up a promise step later would
   * not be there for it yet.
   */
  private requestThen<T>(name: string, body: GlobalRequestBody, granted: (data: Uint8Array | undefined) => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.ctx.mux.globalRequest(name, body, (ok, data) => {
        try {
          resolve(granted(ok ? data : undefined));
        } catch (err) {
          reject(err);
        }
      });
      this.ctx.flush();
    });
  }

  /** Asks the server to listen on `listenHost`:`listenPort` (0: a port it picks). */
  async listenTcp(listenHost: string, listenPort: number, accept: RemoteAccept): Promise<RemoteListener> {
    if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) throw new RangeError(`listen port must be 0-65535, not ${listenPort}`);
    return this.requestThen('tcpip-forward', { type: 'tcpip-forward', bindAddress: listenHost, bindPort: listenPort }, (data) => {
      if (data === undefined) throw new ChannelListenError(`the server refused to listen on ${listenHost}:${listenPort}`);
      let port = listenPort;
      if (listenPort === 0) {
        const reply = GlobalRequestReplies.decode('tcpip-forward', data) as { boundPort?: number };
        if (reply.boundPort === undefined) throw new ChannelListenError('the server did not say which port it listens on');
        port = reply.boundPort;
      }
      const listener = new RemoteListener(this, listenHost, port, undefined);
      this.tcp.push({ listener, accept, requestedPort: listenPort });
      return listener;
    });
  }

  /** Asks the server to listen on the UNIX socket `listenPath`. */
  async listenPath(listenPath: string, accept: RemoteAccept): Promise<RemoteListener> {
    return this.requestThen('streamlocal-forward@openssh.com', { type: 'streamlocal-forward@openssh.com', socketPath: listenPath }, (data) => {
      if (data === undefined) throw new ChannelListenError(`the server refused to listen on ${listenPath}`);
      const listener = new RemoteListener(this, '', 0, listenPath);
      this.unix.set(listenPath, { listener, accept, requestedPort: 0 });
      return listener;
    });
  }

  /** @internal Forgets `listener` and asks the server to stop listening. */
  async cancel(listener: RemoteListener): Promise<void> {
    if (listener.listenPath !== undefined) {
      if (this.unix.get(listener.listenPath)?.listener !== listener) return;
      this.unix.delete(listener.listenPath);
      await this.request('cancel-streamlocal-forward@openssh.com', { type: 'cancel-streamlocal-forward@openssh.com', socketPath: listener.listenPath });
      return;
    }
    const port = listener.getPort();
    const before = this.tcp.length;
    this.tcp = this.tcp.filter((e) => e.listener !== listener);
    if (this.tcp.length === before || this.ctx.mux.isClosed) return;
    await this.request('cancel-tcpip-forward', { type: 'cancel-tcpip-forward', bindAddress: listener.listenHost, bindPort: port });
  }

  /** A channel the server opened: forwarded-tcpip or forwarded-streamlocal for one of ours. */
  acceptIncoming(request: IncomingChannelOpen): boolean {
    const body = request.body as ChannelOpenBody | Uint8Array;
    if (body instanceof Uint8Array) return false;
    if (body.type === 'forwarded-tcpip') {
      const entry = this.findTcp(body.connectedAddress, body.connectedPort);
      if (!entry) request.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, `no forwarding for port ${body.connectedPort}`);
      else entry.accept(request, body.originatorAddress, body.originatorPort);
      return true;
    }
    if (body.type === 'forwarded-streamlocal@openssh.com') {
      const entry = this.unix.get(body.socketPath);
      if (!entry) request.reject(CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, `no forwarding for ${body.socketPath}`);
      else entry.accept(request, '', 0);
      return true;
    }
    return false;
  }

  /**
   * The listener a forwarded-tcpip channel is for: by the port bound (OpenSSH), else by the
   * port asked for (AsyncSSH's server reports 0 for a listener it picked the port of),
   * preferring the same address.
   */
  private findTcp(address: string, port: number): Entry | undefined {
    for (const matches of [(e: Entry) => e.listener.getPort() === port, (e: Entry) => e.requestedPort === port]) {
      const list = this.tcp.filter(matches);
      const entry = list.find((e) => e.listener.listenHost === address) ?? list[0];
      if (entry) return entry;
    }
    return undefined;
  }

  /** The connection ended: the server's listeners went with it. */
  closeAll(): void {
    const all = [...this.tcp, ...this.unix.values()];
    this.tcp = [];
    this.unix.clear();
    for (const e of all) e.listener.close();
  }
}
