/**
 * The rest of AsyncSSH's top-level API on top of connect() and listen(): factories in the
 * asyncio style (createConnection, createServer), SSH over sockets you already have (runClient,
 * runServer), reversed roles (connectReverse, listenReverse), and two probes that stop before
 * authentication (getServerHostKey, getServerAuthMethods).
 * @module
 */

import net from 'node:net';
import os from 'node:os';
import { ConnectionLost, DEFAULT_HOST_KEY_ALGORITHMS, Transport, UserauthClient, type PresentedHostKey, type TransportEvent } from '@ssh/transport';
import { driveTransport } from '@ssh/transport/node';
import { CLIENT_OPTION_NAMES, connect, type SSHClientConnection, type SSHClientConnectionOptions } from './client.ts';
import type { SSHClient } from './client-handlers.ts';
import { SSHAcceptor, acceptServerConnection, buildServerConfig, listen, type SSHServerConnection, type SSHServerConnectionOptions } from './server.ts';
import type { SSHServer } from './server-handlers.ts';
import { checkOptionNames, seconds, transportSettings } from './options.ts';

/** asyncio-style: connect with `clientFactory` and answer [connection, client]. */
export async function createConnection<C extends SSHClient>(
  clientFactory: () => C,
  host?: string,
  port?: number,
  options: SSHClientConnectionOptions = {},
): Promise<[SSHClientConnection, C]> {
  const conn = await connect({ ...options, ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}), clientFactory });
  return [conn, conn.client as C];
}

/** asyncio-style: listen with `serverFactory` (without `port`: the config's Port, else 22). */
export function createServer<T extends string | Uint8Array = string>(serverFactory: () => SSHServer, host = '', port?: number, options: SSHServerConnectionOptions<T> = {}): Promise<SSHAcceptor> {
  return listen(host, port, { ...options, serverFactory });
}

/** Runs the client side of SSH over a socket you already have. */
export function runClient(sock: net.Socket, options: SSHClientConnectionOptions = {}): Promise<SSHClientConnection> {
  return connect({ host: sock.remoteAddress ?? 'localhost', ...(sock.remotePort !== undefined ? { port: sock.remotePort } : {}), config: null, ...options, sock });
}

/** Runs the server side of SSH over a socket you already have; resolves once the client authenticated. */
export async function runServer<T extends string | Uint8Array = string>(sock: net.Socket, options: SSHServerConnectionOptions<T> = {}): Promise<SSHServerConnection> {
  const config = await buildServerConfig('runServer()', options);
  const conn = await acceptServerConnection(sock, config);
  await conn.whenAuthenticated();
  return conn;
}

function tcpConnect(host: string, port: number, timeoutSeconds: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = timeoutSeconds > 0 ? setTimeout(() => socket.destroy(new Error('timed out')), timeoutSeconds * 1000) : undefined;
    socket.once('connect', () => {
      if (timer) clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new ConnectionLost(`cannot connect to ${host} port ${port}: ${err.message}`, undefined, { cause: err }));
    });
  });
}

/** Connects out, then acts as the SSH server on that connection (AsyncSSH connect_reverse). */
export async function connectReverse<T extends string | Uint8Array = string>(host: string, port = 22, options: SSHServerConnectionOptions<T> & { connectTimeout?: number | string } = {}): Promise<SSHServerConnection> {
  const { connectTimeout, ...serverOptions } = options;
  const config = await buildServerConfig('connectReverse()', serverOptions);
  const socket = await tcpConnect(host, port, seconds('connectTimeout', connectTimeout, 0));
  const conn = await Promise.resolve(acceptServerConnection(socket, config)).catch((e: unknown) => {
    socket.destroy();
    throw e;
  });
  await conn.whenAuthenticated();
  return conn;
}

/** Listens, and acts as the SSH client on each accepted connection (AsyncSSH listen_reverse). */
export async function listenReverse(host = '', port = 22, options: SSHClientConnectionOptions = {}): Promise<SSHAcceptor> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  checkOptionNames('listenReverse()', options, CLIENT_OPTION_NAMES);
  let current = options;
  return new SSHAcceptor(server, {
    start: (socket) => runClient(socket as net.Socket, current),
    update: (changes) => {
      checkOptionNames('listenReverse() update()', changes, CLIENT_OPTION_NAMES);
      current = { ...current, ...(changes as SSHClientConnectionOptions) };
      return Promise.resolve();
    },
  });
}

interface ProbeOptions {
  readonly connectTimeout?: number | string;
  readonly loginTimeout?: number | string;
  readonly serverHostKeyAlgs?: readonly string[];
  readonly kexAlgs?: string | readonly string[];
}

/**
 * Runs a transport until `decide` says it has what it wants, then disconnects. Bounded by the
 * login timeout (default 30 s here: a probe should not linger).
 */
async function probe<T>(host: string, port: number, options: ProbeOptions, decide: (e: TransportEvent, transport: Transport, finish: (v: T) => void) => void): Promise<T> {
  const socket = await tcpConnect(host, port, seconds('connectTimeout', options.connectTimeout, 0));
  const transport = new Transport({
    role: 'client',
    ...transportSettings({ ...(options.kexAlgs !== undefined ? { kexAlgs: options.kexAlgs } : {}) }),
    hostKeyAlgorithms: [...(options.serverHostKeyAlgs ?? DEFAULT_HOST_KEY_ALGORITHMS)],
  });
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => fail(new ConnectionLost('timed out')), seconds('loginTimeout', options.loginTimeout, 30) * 1000);
    const finish = (v: T): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(v);
      driver.close();
      socket.destroy();
    };
    const fail = (e: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(e);
      socket.destroy();
    };
    const driver = driveTransport(socket, transport, {
      onEvent: (e) => decide(e, transport, finish),
      onClose: (error) => fail(error ?? new ConnectionLost('connection closed')),
      rekeyCheckMs: 0,
    });
  });
}

/** The server's host key (or host certificate, or X.509 chain), without authenticating (AsyncSSH get_server_host_key). */
export function getServerHostKey(host: string, port = 22, options: ProbeOptions = {}): Promise<PresentedHostKey> {
  return probe<PresentedHostKey>(host, port, options, (e, _t, finish) => {
    if (e.type === 'verify-host-key') finish(e.hostKey);
  });
}

/** The authentication methods the server offers `username` (AsyncSSH get_server_auth_methods). */
export function getServerAuthMethods(host: string, port = 22, username: string = os.userInfo().username, options: ProbeOptions = {}): Promise<string[]> {
  let auth: UserauthClient | undefined;
  return probe<string[]>(host, port, options, (e, transport, finish) => {
    auth ??= new UserauthClient(transport, { username, methods: [] });
    if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
    auth.handle(e);
    while (auth.nextEvent()) {
      // Only the server's answer to `none` matters here.
    }
    if (auth.serverMethods !== undefined) finish([...auth.serverMethods]);
    else if (auth.authenticated) finish([]);
  });
}
