/**
 * The command of createProcess / run / createSession / openSession is a string: options passed in
 * its place (plain JavaScript reading AsyncSSH's keyword arguments as a first argument) are a
 * TypeError, not a command "[object Object]" run on the server.
 */
import { generatePrivateKey } from '@ssh/keys';
import { describe, expect, it } from 'vitest';
import { connect, listen, type SSHServerProcess } from '../src/index.ts';

describe('a session command that is not a string', () => {
  it('is refused with a TypeError before anything is opened, and the connection goes on', async () => {
    const client = generatePrivateKey('ssh-ed25519');
    const ran: string[] = [];
    const acceptor = await listen('127.0.0.1', 0, {
      serverHostKeys: [generatePrivateKey('ssh-ed25519')],
      authorizedClientKeys: new TextDecoder().decode(client.exportPublicKey('openssh')),
      processFactory: (p: SSHServerProcess) => {
        ran.push(p.command ?? '(none)');
        p.exit(0);
      },
    });
    try {
      await using conn = await connect({ host: '127.0.0.1', port: acceptor.getPort(), username: 'u', clientKeys: [client], knownHosts: null, agentPath: null, config: null });
      await expect(conn.createProcess({ subsystem: 'sftp' } as never)).rejects.toThrow(TypeError);
      await expect(conn.run(42 as never)).rejects.toThrow(/command must be a string/);
      await expect(conn.openSession({ env: {} } as never)).rejects.toThrow(TypeError);
      expect((await conn.run('ok')).exitStatus).toBe(0);
      expect(ran).toEqual(['ok']);
    } finally {
      acceptor.close();
      await acceptor.waitClosed();
    }
  });
});
