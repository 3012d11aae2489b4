/**
 * Delayed compression (zlib@openssh.com) against OpenSSH's sshd: after USERAUTH_SUCCESS both sides
 * compress, and sshd's first post-authentication message (its hostkeys-00@openssh.com global
 * request) must arrive and decode through our inflater.
 */
import net from 'node:net';
import { importPrivateKey } from '@ssh/keys';
import { defaultClientKey, startSshd, type SshdServer } from '@ssh/interop';
import { GlobalRequest, MSG } from '@ssh/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport, UserauthClient, type TransportEvent } from '../src/index.ts';
import { driveTransport } from '../src/node/index.ts';

describe('zlib@openssh.com with sshd', () => {
  let sshd: SshdServer;
  beforeAll(async () => {
    sshd = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa-p256'], config: ['Compression yes'] });
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
  });

  it('decodes what sshd sends compressed after authentication', async () => {
    const key = importPrivateKey((await defaultClientKey()).privateKey);
    const events: TransportEvent[] = [];
    const globalRequests = await new Promise<string[]>((resolve, reject) => {
      const socket = net.connect(sshd.port, '127.0.0.1');
      const transport = new Transport({ role: 'client', compressionAlgorithms: ['zlib@openssh.com'] });
      const auth = new UserauthClient(transport, { username: sshd.user, keys: [key] });
      const names: string[] = [];
      const timer = setTimeout(() => reject(new Error(`no post-auth message; events: ${events.map((e) => e.type).join(', ')}`)), 20_000);
      const driver = driveTransport(socket, transport, {
        onEvent(e) {
          events.push(e);
          if (e.type === 'verify-host-key') transport.resolveHostKey(e.id, true);
          if (auth.handle(e)) {
            for (let a = auth.nextEvent(); a; a = auth.nextEvent()) if (a.type === 'failure') reject(new Error('authentication failed'));
            return;
          }
          if (e.type === 'message' && e.payload[0] === MSG.GLOBAL_REQUEST) {
            names.push(GlobalRequest.decode(e.payload).requestName);
            driver.close();
          }
        },
        onClose() {
          clearTimeout(timer);
          socket.destroy();
          resolve(names);
        },
        rekeyCheckMs: 0,
      });
    });
    expect(events.find((e) => e.type === 'kex-complete')).toMatchObject({ algorithms: { compressionServerToClient: 'zlib@openssh.com' } });
    expect(globalRequests).toEqual(['hostkeys-00@openssh.com']);
    expect(events.filter((e) => e.type === 'disconnect' && !e.byPeer)).toEqual([]);
  }, 60_000);
});
