/** Our authentication machines over real sockets, for the interop tests. */
import net from 'node:net';
import type { SSHKey } from '@ssh/keys';
import {
  Transport,
  UserauthClient,
  UserauthServer,
  type ClientAnswer,
  type ServerAnswer,
  type TransportEvent,
  type UserauthClientEvent,
  type UserauthClientOptions,
  type UserauthServerEvent,
  type UserauthServerOptions,
} from '../src/index.ts';
import { driveTransport } from '../src/node/index.ts';
import type { ClientHandlers, ServerHandlers } from './userauth-helpers.ts';

export interface ClientAuthResult {
  readonly events: UserauthClientEvent[];
  readonly transportEvents: TransportEvent[];
  readonly outcome: UserauthClientEvent | undefined;
}

/** Connects, authenticates, and closes once authentication succeeded or failed. */
export function authenticate(port: number, options: UserauthClientOptions, handlers: ClientHandlers = {}, timeoutMs = 15_000): Promise<ClientAuthResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const transport = new Transport({ role: 'client' });
    const auth = new UserauthClient(transport, options);
    const events: UserauthClientEvent[] = [];
    const transportEvents: TransportEvent[] = [];
    let outcome: UserauthClientEvent | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`authentication timed out; events: ${[...transportEvents, ...events].map((e) => e.type).join(', ')}`));
    }, timeoutMs);
    const driver = driveTransport(socket, transport, {
      onEvent(e) {
        transportEvents.push(e);
        if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
        auth.handle(e);
        for (let a = auth.nextEvent(); a; a = auth.nextEvent()) {
          events.push(a);
          if ('id' in a) {
            const h = (handlers as Record<string, ((ev: unknown) => ClientAnswer) | undefined>)[a.type];
            auth.resolve(a.id, h ? h(a) : null);
          }
          if (a.type === 'success' || a.type === 'failure') outcome ??= a;
        }
        if (outcome?.type === 'success') driver.close();
      },
      onClose() {
        clearTimeout(timer);
        socket.destroy();
        resolve({ events, transportEvents, outcome });
      },
      rekeyCheckMs: 0,
    });
    socket.on('error', () => socket.destroy());
  });
}

export interface AuthServer {
  readonly port: number;
  /** Authentication events of each connection, in accept order. */
  readonly connections: UserauthServerEvent[][];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1; authenticates each client, then disconnects it at its first connection message. */
export async function startAuthServer(hostKeys: readonly SSHKey[], options: UserauthServerOptions, handlers: ServerHandlers): Promise<AuthServer> {
  const connections: UserauthServerEvent[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const events: UserauthServerEvent[] = [];
    connections.push(events);
    const transport = new Transport({ role: 'server', hostKeys });
    const auth = new UserauthServer(transport, { hostKeys, ...options });
    const drain = (): void => {
      for (let a = auth.nextEvent(); a; a = auth.nextEvent()) {
        events.push(a);
        if ('id' in a) {
          const h = (handlers as Record<string, ((ev: unknown) => ServerAnswer) | undefined>)[a.type];
          auth.resolve(a.id, h ? h(a) : a.type === 'begin-auth');
        }
      }
    };
    driveTransport(socket, transport, {
      onEvent(e) {
        const mine = auth.handle(e);
        drain();
        // No connection layer here: its first message ends the test connection.
        if (!mine && e.type === 'message' && auth.authenticated && !transport.isClosed) transport.disconnect(11, 'authenticated; no connection layer');
      },
      onClose: () => socket.destroy(),
      rekeyCheckMs: 0,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
