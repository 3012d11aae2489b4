/**
 * SSH inside SSH (AsyncSSH's create_ssh_connection, connect_ssh, connect_reverse_ssh, listen_ssh
 * and listen_reverse_ssh): connections and listeners whose TCP part is a direct-tcpip channel
 * (RFC 4254 §7.2) or a remote listener (tcpip-forward, §7.1) of a client connection, its
 * channels wrapped as Node duplex streams as the `tunnel` option does.
 * @module
 */

import type { Duplex } from 'node:stream';
import { CLIENT_OPTION_NAMES, connect, type SSHClientConnection, type SSHClientConnectionOptions } from './client.ts';
import type { SSHClient } from './client-handlers.ts';
import { checkOptionNames } from './options.ts';
import { SSHAcceptor, acceptServerConnection, buildServerConfig, serverAcceptorHooks, type AcceptorHooks, type SSHServerConnection, type SSHServerConnectionOptions } from './server.ts';
import { channelDuplex } from './tunnel.ts';

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${what}: port must be 0-65535, not ${port}`);
}

/** A client connection to `host`:`port` through `through` (connect() with `tunnel: through`). */
export async function connectSsh(through: SSHClientConnection, host: string, port: number | undefined, options: SSHClientConnectionOptions): Promise<SSHClientConnection> {
  if (port !== undefined) checkPort('connectSsh()', port);
  return connect({ ...options, host, ...(port !== undefined ? { port } : {}), tunnel: through });
}

/** As connectSsh, asyncio style: [connection, client]. */
export async function createSshConnection<C extends SSHClient>(
  through: SSHClientConnection,
  clientFactory: () => C,
  host: string,
  port: number | undefined,
  options: SSHClientConnectionOptions,
): Promise<[SSHClientConnection, C]> {
  const conn = await connectSsh(through, host, port, { ...options, clientFactory });
  return [conn, conn.client as C];
}

/**
 * Opens a direct-tcpip channel to `host`:`port` through `through` and acts as the SSH server on
 * it (connectReverse() through a connection); resolves once the client there authenticated.
 */
export async function connectReverseSsh(through: SSHClientConnection, host: string, port: number, options: SSHServerConnectionOptions): Promise<SSHServerConnection> {
  checkPort('connectReverseSsh()', port);
  const config = await buildServerConfig('connectReverseSsh()', options);
  const [reader, writer] = await through.openConnection<Uint8Array>(host, port);
  const stream = channelDuplex(reader, writer);
  const conn = await Promise.resolve(acceptServerConnection(stream, config)).catch((e: unknown) => {
    stream.destroy();
    throw e;
  });
  await conn.whenAuthenticated();
  return conn;
}

/**
 * A listener on the far side of `through` (a tcpip-forward on its server) whose connections,
 * arriving as forwarded-tcpip channels, get `hooks.start`.
 */
async function remoteAcceptor(through: SSHClientConnection, host: string, port: number, hooks: (origin: { host: string; port: number }) => AcceptorHooks, base: AcceptorHooks): Promise<SSHAcceptor> {
  const holder: { acceptor?: SSHAcceptor } = {};
  const listener = await through.startServer(
    (origHost, origPort) => (reader, writer) => {
      const stream: Duplex = channelDuplex(reader, writer);
      if (!holder.acceptor) stream.destroy();
      else holder.acceptor.acceptStream(stream, hooks({ host: origHost, port: origPort }).start);
    },
    host,
    port,
  );
  holder.acceptor = new SSHAcceptor(listener, base);
  return holder.acceptor;
}

/** An SSH server listening on `host`:`port` of `through`'s server (listen() through a connection). */
export async function listenSsh(through: SSHClientConnection, host: string, port: number, options: SSHServerConnectionOptions): Promise<SSHAcceptor> {
  checkPort('listenSsh()', port);
  const hooks = serverAcceptorHooks('listenSsh()', options, await buildServerConfig('listenSsh()', options));
  return remoteAcceptor(through, host, port, () => hooks, hooks);
}

/**
 * Listens on `host`:`port` of `through`'s server and acts as the SSH client on each connection
 * (listenReverse() through a connection). Each connection checks the host key of the host the
 * server says the connection came from, unless `options.host` names another.
 */
export async function listenReverseSsh(through: SSHClientConnection, host: string, port: number, options: SSHClientConnectionOptions): Promise<SSHAcceptor> {
  checkPort('listenReverseSsh()', port);
  checkOptionNames('listenReverseSsh()', options, CLIENT_OPTION_NAMES);
  let current = options;
  const base: AcceptorHooks = {
    start: (sock) => connect({ config: null, ...current, sock }),
    update: (changes) => {
      checkOptionNames('listenReverseSsh() update()', changes, CLIENT_OPTION_NAMES);
      current = { ...current, ...(changes as SSHClientConnectionOptions) };
      return Promise.resolve();
    },
  };
  return remoteAcceptor(
    through,
    host,
    port,
    (origin) => ({ start: (sock) => connect({ host: origin.host === '' ? 'localhost' : origin.host, port: origin.port, config: null, ...current, sock }) }),
    base,
  );
}
