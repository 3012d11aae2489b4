/**
 * Free TCP ports on 127.0.0.1: listen on port 0, note the port, release it. Another process may
 * take it before our peer binds; callers that pass the port to a peer retry on "address in use".
 * @module
 */
import { createServer } from 'node:net';

/** Host every peer listens on. */
export const LOOPBACK = '127.0.0.1';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}
