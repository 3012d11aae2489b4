/**
 * The client side of X11 forwarding (RFC 4254 §6.3): a session asks for it with x11-req, handing
 * the server a random cookie of the same protocol and length as the real one in the Xauthority
 * file; the server opens an "x11" channel per X client, whose connection setup must carry that
 * fake cookie, which is replaced by the real one before the setup reaches the local display.
 * @module
 */

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { CHANNEL_OPEN_FAILURE } from '@ssh/wire';
import { ChannelOpenError, SSHChannel, type ChannelConnection, type IncomingChannelOpen, type X11ForwardingRequest } from '@ssh/connection';
import { SSHForwarder } from '../bridge.ts';
import { X11ForwardingError } from './errors.ts';
import { displayTarget, parseDisplay } from './display.ts';
import { encodeSetupFailed, parseSetup, replaceAuth, type X11Setup } from './setup.ts';
import { defaultXauthPath, lookupXauth } from './xauth.ts';

/** What a session asks with x11-req. */
export interface X11Request {
  readonly singleConnection: boolean;
  readonly authProtocol: string;
  /** The fake cookie, in hex. */
  readonly authCookie: string;
  readonly screen: number;
}

export interface X11ClientOptions {
  /** The display to forward to (default $DISPLAY). */
  readonly x11Display?: string | undefined;
  /** The Xauthority file with the display's cookie (default $XAUTHORITY, else ~/.Xauthority). */
  readonly x11AuthPath?: string | undefined;
  /** Forward only the first X11 connection (default false). */
  readonly x11SingleConnection?: boolean | undefined;
}

/** One fake cookie handed out: what the connections presenting it reach. */
interface Grant {
  readonly owner: object;
  readonly target: { readonly path: string } | { readonly host: string; readonly port: number };
  readonly protocol: string;
  readonly realCookie: Uint8Array;
  readonly single: boolean;
}

/** The X11 forwarding of one client connection: the cookies its sessions handed out. */
export class ClientX11 {
  private readonly connection: ChannelConnection;
  private readonly flush: () => void;
  private readonly grants = new Map<string, Grant>();
  /** Sessions forwarding X11, each with its fake cookie (hex). */
  private readonly owners = new Map<object, string>();

  constructor(connection: ChannelConnection, flush: () => void) {
    this.connection = connection;
    this.flush = flush;
  }

  /**
   * The x11-req of a session with these options (undefined without x11Forwarding); the cookie
   * stops working when the session closes or the server refuses. Throws
   * ChannelOpenError(REQUEST_X11_FORWARDING_FAILED) when x11Forwarding is true and the display or
   * its cookie cannot be found; with 'ignore_failure' the session goes on without X11.
   */
  async request(owner: { waitClosed(): Promise<void> }, options: X11ClientOptions & { readonly x11Forwarding?: boolean | 'ignore_failure' | 'ignore-failure' | undefined }): Promise<X11ForwardingRequest | undefined> {
    const mode = options.x11Forwarding;
    if (mode === undefined || mode === false) return undefined;
    // 'ignore-failure' is how the ssh_config reader spells ForwardX11Trusted yes.
    const ignoreFailure = mode === 'ignore_failure' || mode === 'ignore-failure';
    let req: X11Request;
    try {
      req = await this.attach(owner, options);
    } catch (err) {
      if (ignoreFailure) return undefined;
      throw new ChannelOpenError(CHANNEL_OPEN_FAILURE.REQUEST_X11_FORWARDING_FAILED, err instanceof Error ? err.message.replace(/^ssh: /, '') : String(err), 'en-US', { cause: err });
    }
    void owner.waitClosed().then(() => this.detach(owner));
    return {
      ...req,
      ignoreFailure,
      onResult: (ok) => {
        if (!ok) this.detach(owner);
      },
    };
  }

  /**
   * Prepares the x11-req of the session `owner`: reads the real cookie and makes a fake one.
   * Throws X11ForwardingError when the display or its cookie cannot be found.
   */
  async attach(owner: object, options: X11ClientOptions): Promise<X11Request> {
    const name = options.x11Display ?? process.env['DISPLAY'];
    if (name === undefined || name === '') throw new X11ForwardingError('display', 'X11 display not set (no x11Display and no DISPLAY)');
    const display = parseDisplay(name);
    const real = await lookupXauth(options.x11AuthPath ?? defaultXauthPath(), display);
    const fake = randomBytes(real.data.length);
    const hex = fake.toString('hex');
    this.detach(owner);
    this.grants.set(hex, { owner, target: displayTarget(display), protocol: real.protocol, realCookie: real.data, single: options.x11SingleConnection === true });
    this.owners.set(owner, hex);
    return { singleConnection: options.x11SingleConnection === true, authProtocol: real.protocol, authCookie: hex, screen: display.screen };
  }

  /** The session no longer forwards X11 (refused, or closed): its cookie stops working. */
  detach(owner: object): void {
    const hex = this.owners.get(owner);
    if (hex === undefined) return;
    this.owners.delete(owner);
    this.grants.delete(hex);
  }

  /** The real cookie for a connection presenting `setup`, or undefined (wrong cookie). */
  private redeem(setup: X11Setup): Grant | undefined {
    const hex = Buffer.from(setup.data).toString('hex');
    const grant = this.grants.get(hex);
    if (grant === undefined || grant.protocol !== setup.protocol) return undefined;
    if (grant.single) this.grants.delete(hex);
    return grant;
  }

  /**
   * "x11" channel opens: accepted while some session forwards X11, refused with
   * OPEN_CONNECT_FAILED otherwise, as AsyncSSH does. False for other channel types.
   */
  acceptIncoming(request: IncomingChannelOpen): boolean {
    if (request.type !== 'x11') return false;
    // A single-connection cookie already used counts as forwarding being over.
    if (this.grants.size === 0) {
      request.reject(CHANNEL_OPEN_FAILURE.CONNECT_FAILED, 'X11 forwarding disabled');
      return true;
    }
    // The cookie in the connection's setup picks the session, and so the display to connect to.
    const channel = new SSHChannel<Uint8Array>(this.connection, { encoding: null });
    const relay = new X11Relay((setup) => this.redeem(setup));
    channel.setSession(relay);
    channel.attach(request.accept(channel.handler));
    relay.connectionMade(channel);
    this.flush();
    return true;
  }
}

/**
 * The session of an "x11" channel: holds the client's data until its connection setup is
 * complete, checks the cookie, connects to the display the cookie belongs to and relays from
 * there on. A wrong cookie gets a Failed setup reply and the channel closes; a malformed setup
 * closes it at once.
 */
class X11Relay extends SSHForwarder {
  private readonly redeem: (setup: X11Setup) => Grant | undefined;
  private pending: Uint8Array | undefined = new Uint8Array(0);
  private chan: SSHChannel<Uint8Array> | undefined;
  private readonly sock: net.Socket;

  constructor(redeem: (setup: X11Setup) => Grant | undefined) {
    const socket = new net.Socket();
    super(socket);
    this.sock = socket;
    this.redeem = redeem;
    socket.on('error', () => {
      socket.destroy();
      this.chan?.close();
    });
  }

  override connectionMade(channel: SSHChannel<Uint8Array>): void {
    this.chan = channel;
    super.connectionMade(channel);
  }

  override dataReceived(data: Uint8Array): void {
    if (this.pending === undefined) {
      super.dataReceived(data);
      return;
    }
    const buf = new Uint8Array(this.pending.length + data.length);
    buf.set(this.pending);
    buf.set(data, this.pending.length);
    this.pending = buf;
    let setup: X11Setup | undefined;
    try {
      setup = parseSetup(buf);
    } catch {
      this.refuse();
      return;
    }
    if (setup === undefined) return;
    const grant = this.redeem(setup);
    if (grant === undefined) {
      // As AsyncSSH: the X client hears why (a Failed setup reply), then the channel closes.
      this.chan?.write(encodeSetupFailed(setup.bigEndian, 'Invalid authentication key\n'));
      this.chan?.writeEof();
      this.refuse();
      return;
    }
    const first = replaceAuth(setup, grant.protocol, grant.realCookie);
    const rest = buf.subarray(setup.length);
    this.pending = undefined;
    const channel = this.chan;
    const socket = this.sock;
    if (!channel) return;
    channel.pauseReading();
    socket.once('connect', () => {
      this.start(channel);
      super.dataReceived(first);
      if (rest.length > 0) super.dataReceived(rest);
      channel.resumeReading();
    });
    socket.connect(grant.target);
  }

  override eofReceived(): boolean {
    if (this.pending !== undefined) {
      this.refuse();
      return false;
    }
    return super.eofReceived();
  }

  private refuse(): void {
    this.pending = undefined;
    this.sock.destroy();
    this.chan?.close();
  }
}
