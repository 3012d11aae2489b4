/** Our transport over real sockets, for interop tests: a client handshake, and a listening server. */
import net from 'node:net';
import type { SSHKey } from '@ssh/keys';
import { MSG, ServiceAccept, ServiceRequest, UserauthFailure } from '@ssh/wire';
import { Transport, presentedKey, type TransportEvent, type TransportOptions } from '../../src/index.ts';
import { driveTransport } from '../../src/node/index.ts';

export interface HandshakeResult {
  readonly events: TransportEvent[];
  readonly hostKey: SSHKey | undefined;
  readonly serviceAccepted: boolean;
}

/**
 * Connects, completes the key exchange (trusting the host key), asks for the ssh-userauth service
 * and disconnects once it is accepted. Settles on failure too, with the disconnect among events.
 */
export function clientHandshake(port: number, options: Omit<TransportOptions, 'role'> = {}, timeoutMs = 10_000): Promise<HandshakeResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const transport = new Transport({ role: 'client', ...options });
    const events: TransportEvent[] = [];
    let hostKey: SSHKey | undefined;
    let serviceAccepted = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`handshake timed out; events: ${events.map((e) => e.type).join(', ')}`));
    }, timeoutMs);
    const driver = driveTransport(socket, transport, {
      onEvent(e) {
        events.push(e);
        if (e.type === 'verify-host-key') {
          hostKey = presentedKey(e.hostKey);
          transport.resolveHostKey(e.id, true);
        }
        if (e.type === 'kex-complete' && e.initial) transport.send(ServiceRequest.encode({ serviceName: 'ssh-userauth' }));
        if (e.type === 'message' && e.payload[0] === MSG.SERVICE_ACCEPT) {
          serviceAccepted = ServiceAccept.decode(e.payload).serviceName === 'ssh-userauth';
          driver.close();
        }
      },
      onClose() {
        clearTimeout(timer);
        socket.destroy();
        resolve({ events, hostKey, serviceAccepted });
      },
      rekeyCheckMs: 0,
    });
  });
}

export interface OurServer {
  readonly port: number;
  /** Events of each accepted connection, in accept order. */
  readonly connections: TransportEvent[][];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1; each connection completes key exchange, accepts ssh-userauth and refuses every login. */
export async function startOurServer(hostKeys: readonly SSHKey[], options: Omit<TransportOptions, 'role' | 'hostKeys'> = {}): Promise<OurServer> {
  const connections: TransportEvent[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const events: TransportEvent[] = [];
    connections.push(events);
    const transport = new Transport({ role: 'server', hostKeys, ...options });
    const driver = driveTransport(socket, transport, {
      onEvent(e) {
        events.push(e);
        if (e.type === 'message' && e.payload[0] === MSG.SERVICE_REQUEST) {
          transport.send(ServiceAccept.encode({ serviceName: ServiceRequest.decode(e.payload).serviceName }));
          driver.flush();
        }
        // No authentication method is offered, so clients give up at once.
        if (e.type === 'message' && e.payload[0] === MSG.USERAUTH_REQUEST) {
          transport.send(UserauthFailure.encode({ methods: [], partialSuccess: false }));
          driver.flush();
        }
      },
      onClose: () => socket.destroy(),
      rekeyCheckMs: 0,
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
