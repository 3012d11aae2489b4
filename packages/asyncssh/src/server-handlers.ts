/**
 * SSHServer: the application's callbacks for a server connection, as AsyncSSH's SSHServer.
 * Authentication methods are off unless their *AuthSupported() says yes (or the listen options
 * provide what they need, such as authorizedClientKeys); channel requests are refused unless a
 * handler or a factory option accepts them.
 * @module
 */

import type { SSHCertificate, SSHKey } from '@ssh/keys';
import { PasswordChangeRequired, type KbdintChallenge, type PasswordChangeRequest } from '@ssh/transport';
import type { SSHServerChannel, SSHServerSession } from '@ssh/connection';
import type { Awaitable } from './client-handlers.ts';
import type { SSHServerConnection } from './server.ts';
import type { ForwardAnswer } from './forward/channel.ts';
import type { TunTapAnswer } from './tuntap/server-tuntap.ts';
import type { SSHListener } from './forward/listener.ts';

export type { KbdintChallenge, PasswordChangeRequest };

/**
 * @internal The answer of validatePassword / changePassword: what they return, or the
 * PasswordChangeRequired they throw (AsyncSSH's handlers raise it to ask for a new password).
 */
export async function passwordAnswer(decide: () => Awaitable<boolean | PasswordChangeRequest>): Promise<boolean | PasswordChangeRequest> {
  try {
    return await decide();
  } catch (err) {
    if (err instanceof PasswordChangeRequired) return err;
    throw err;
  }
}

export class SSHServer {
  connectionMade(_conn: SSHServerConnection): void {}

  connectionLost(_error: Error | undefined): void {}

  debugMsgReceived(_message: string, _lang: string, _alwaysDisplay: boolean): void {}

  /** Return false to let `username` in without authentication. */
  beginAuth(_username: string): Awaitable<boolean> {
    return true;
  }

  authCompleted(): void {}

  passwordAuthSupported(): boolean {
    return false;
  }

  /**
   * True to accept. To ask the client for a new password (an expired one), throw (or return) a
   * PasswordChangeRequired(prompt, lang), as AsyncSSH's validate_password raises it; a plain
   * `{ changePrompt }` object also does.
   */
  validatePassword(_username: string, _password: string): Awaitable<boolean | PasswordChangeRequest> {
    return false;
  }

  /** True when the change is made; throw (or return) a PasswordChangeRequired to ask again with a new prompt. */
  changePassword(_username: string, _oldPassword: string, _newPassword: string): Awaitable<boolean | PasswordChangeRequest> {
    return false;
  }

  publicKeyAuthSupported(): boolean {
    return false;
  }

  /** Called only for keys whose possession the client proved with a signature. */
  validatePublicKey(_username: string, _key: SSHKey): Awaitable<boolean> {
    return false;
  }

  /**
   * Is `key` trusted to sign user certificates for `username`? True trusts it for this account as
   * an authorized_keys cert-authority line does: the certificate must then name `username` or no
   * one (AsyncSSH's rule, and sshd's for authorized_keys). sshd's TrustedUserCAKeys, which trusts a
   * CA for every account, also refuses a certificate naming no one; there is no such option here.
   */
  validateCaKey(_username: string, _key: SSHKey): Awaitable<boolean> {
    return false;
  }

  /**
   * Whether keyboard-interactive authentication is offered. Left undefined (the default), it is
   * tied to password authentication, as AsyncSSH's NotImplemented default: when
   * passwordAuthSupported() is true, the client is asked "Password:" and the answer goes to
   * validatePassword (a password change it asks for refuses). Return true to ask your own
   * challenges (getKbdintChallenge, validateKbdintResponse), false to offer none.
   */
  kbdintAuthSupported(): boolean | undefined {
    return undefined;
  }

  /** A challenge, true to accept at once, or false to refuse. */
  getKbdintChallenge(_username: string, _lang: string, _submethods: string): Awaitable<KbdintChallenge | boolean> {
    return false;
  }

  validateKbdintResponse(_username: string, _responses: readonly string[]): Awaitable<KbdintChallenge | boolean> {
    return false;
  }

  hostBasedAuthSupported(): boolean {
    return false;
  }

  validateHostPublicKey(_clientHost: string, _clientAddr: string | undefined, _clientPort: number | undefined, _key: SSHKey): Awaitable<boolean> {
    return false;
  }

  validateHostCaKey(_clientHost: string, _clientAddr: string | undefined, _clientPort: number | undefined, _key: SSHKey): Awaitable<boolean> {
    return false;
  }

  /** May `clientUsername` on `clientHost` log in as `username`? Default: only as the same name. */
  validateHostBasedUser(username: string, _clientHost: string, clientUsername: string): Awaitable<boolean> {
    return username === clientUsername;
  }

  /**
   * gssapi-with-mic authentication: whether `userPrincipal` may log in as `username`, the server
   * being `hostPrincipal`. Default (AsyncSSH's): the principal's name is the user name exactly and
   * its realm is the host principal's. Asked once the client's MIC verified (Kerberos V5 through
   * MIT's GSS-API library; see the listen() options gssAuth and gssHost).
   */
  validateGssPrincipal(username: string, userPrincipal: string, hostPrincipal: string): Awaitable<boolean> {
    const at = userPrincipal.lastIndexOf('@');
    const name = at < 0 ? userPrincipal : userPrincipal.slice(0, at);
    const realm = at < 0 ? '' : userPrincipal.slice(at + 1);
    const hostAt = hostPrincipal.lastIndexOf('@');
    const hostRealm = hostAt < 0 ? '' : hostPrincipal.slice(hostAt + 1);
    return name === username && realm === hostRealm;
  }

  /**
   * A session channel: an SSHServerSession to run it, a channel of the connection's
   * createServerChannel() and the session to run it ([channel, session], for its own encoding,
   * window or packet size), true to use the listener's process or session factory, or false to
   * refuse. Default: true when a factory is configured.
   */
  sessionRequested(): Awaitable<
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    SSHServerSession<string> | SSHServerSession<Uint8Array> | readonly [SSHServerChannel<any>, SSHServerSession<any>] | boolean
  > {
    return true;
  }

  /**
   * A direct-tcpip channel (the client's local forwarding): true to connect to
   * `destHost`:`destPort` and relay, false to refuse, or a session object or a stream handler
   * (reader, writer) to run it here. Default: refuse.
   */
  connectionRequested(_destHost: string, _destPort: number, _origHost: string, _origPort: number): Awaitable<ForwardAnswer> {
    return false;
  }

  /** A direct-streamlocal@openssh.com channel to the UNIX socket `destPath`: as connectionRequested. */
  unixConnectionRequested(_destPath: string): Awaitable<ForwardAnswer> {
    return false;
  }

  /**
   * A tcpip-forward request (the client's remote forwarding): true to listen on
   * `listenHost`:`listenPort` ('' for every address, port 0 for any) and forward each
   * connection to the client, false to refuse, or an SSHListener of the application's own
   * (whose getPort() is reported for port 0; the client's cancel and the connection's end close
   * it), which hands its connections to the client with the connection's createConnection.
   * Default: refuse.
   */
  serverRequested(_listenHost: string, _listenPort: number): Awaitable<boolean | SSHListener> {
    return false;
  }

  /** A streamlocal-forward@openssh.com request to listen on the UNIX socket `listenPath`: as serverRequested. Default: refuse. */
  unixServerRequested(_listenPath: string): Awaitable<boolean | SSHListener> {
    return false;
  }

  /**
   * A layer 3 tunnel (tun@openssh.com, point-to-point) to TUN unit `unit` (undefined: any): true to
   * bridge it to a local TUN device, a session object (or [channel, session] with a channel of
   * the connection's createTuntapChannel), a handler taking packet streams (reader, writer), or
   * false to refuse. Default: refuse.
   */
  tunRequested(_unit: number | undefined): Awaitable<TunTapAnswer> {
    return false;
  }

  /** A layer 2 tunnel (tun@openssh.com, ethernet) to TAP unit `unit`: as tunRequested. Default: refuse. */
  tapRequested(_unit: number | undefined): Awaitable<TunTapAnswer> {
    return false;
  }
}

export type { SSHCertificate };
