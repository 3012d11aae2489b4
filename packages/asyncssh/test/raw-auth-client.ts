/**
 * Our authentication machine as a bare client against a server under test: for what the
 * high-level client never sends (a security key's chosen flags, a user name changed mid-way).
 */
import net from 'node:net';
import { Transport, UserauthClient, type ClientKey, type UserauthClientEvent } from '@ssh/transport';
import { driveTransport } from '@ssh/transport/node';

export interface RawAuthOptions {
  readonly username: string;
  readonly keys?: readonly ClientKey[];
  readonly password?: string;
  /** Answers `sign` events (keys held elsewhere). */
  readonly sign?: (data: Uint8Array) => Uint8Array;
  /** Rewrites each payload the client sends. */
  readonly mangle?: (payload: Uint8Array) => Uint8Array;
}

/** 'success', 'failure', or 'closed' when the server ended the connection first. */
export function rawAuthenticate(port: number, options: RawAuthOptions): Promise<'success' | 'failure' | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const transport = new Transport({ role: 'client' });
    const mangle = options.mangle;
    const sender = mangle
      ? ({
          get sessionId() {
            return transport.sessionId;
          },
          send: (p: Uint8Array) => transport.send(mangle(p)),
          disconnect: (...a: Parameters<Transport['disconnect']>) => transport.disconnect(...a),
        } as unknown as Transport)
      : transport;
    const auth = new UserauthClient(sender, { username: options.username, keys: options.keys ?? [], ...(options.password !== undefined ? { password: options.password } : {}) });
    let outcome: 'success' | 'failure' | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('authentication timed out'));
    }, 15_000);
    const driver = driveTransport(socket, transport, {
      onEvent(e) {
        if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
        auth.handle(e);
        for (let a: UserauthClientEvent | undefined = auth.nextEvent(); a; a = auth.nextEvent()) {
          if (a.type === 'sign' && options.sign) auth.resolve(a.id, options.sign(a.data));
          else if ('id' in a) auth.resolve(a.id, null);
          if (a.type === 'success' || a.type === 'failure') outcome ??= a.type;
        }
        if (outcome !== undefined) driver.close();
      },
      onClose() {
        clearTimeout(timer);
        socket.destroy();
        resolve(outcome ?? 'closed');
      },
      rekeyCheckMs: 0,
    });
    socket.on('error', () => socket.destroy());
  });
}
