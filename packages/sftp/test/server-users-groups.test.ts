/**
 * users-groups-by-id@openssh.com on our server: a request of many ids must not make a reply
 * larger than the 256 KiB message a client takes (OpenSSH's sftp refuses anything longer and ends
 * the session), nor than the packet length the server announces in limits@openssh.com. OpenSSH's
 * sftp-server sends such a reply regardless (40,000 and 60,000 ids of "root" gave 320,013- and
 * 480,013-byte messages, which our client refuses as it refuses any packet over 257 KiB); ours
 * refuses the request with a FAILURE status instead, and the session goes on.
 */
import { describe, expect, it } from 'vitest';
import { SFTPFailure, SFTPServer, createMemoryPipe, runSftpServer, startSftpClient } from '../src/index.ts';

/** Every id is named "root": each name takes 8 bytes of the reply. */
class Named extends SFTPServer {
  override formatUser(): string {
    return 'root';
  }
  override formatGroup(): string {
    return 'root';
  }
}

async function session(maxPacketLength?: number): Promise<{ client: Awaited<ReturnType<typeof startSftpClient>>; done: () => Promise<void> }> {
  const [a, b] = createMemoryPipe();
  const served = runSftpServer(b, new Named(), maxPacketLength === undefined ? {} : { maxPacketLength });
  const client = await startSftpClient(a);
  return {
    client,
    done: async () => {
      client.exit();
      await served;
    },
  };
}

describe('users-groups-by-id@openssh.com', () => {
  // The reply's message: type, id, two strings (their lengths and 8 bytes a name): 13 + 8n bytes.
  const fits = Math.floor((256 * 1024 - 13) / 8);

  it('answers a request whose reply fits in 256 KiB, users and groups counted together', async () => {
    const { client, done } = await session();
    try {
      const half = Math.floor(fits / 2);
      const names = await client.usersGroupsById(Array<number>(half).fill(0), Array<number>(fits - half).fill(0));
      expect(names.users).toHaveLength(half);
      expect(names.groups).toHaveLength(fits - half);
      expect(names.users[0]).toBe('root');
    } finally {
      await done();
    }
  });

  it.each([fits + 1, 60_000])('refuses %i ids with a FAILURE status, and the session goes on', async (n) => {
    const { client, done } = await session();
    try {
      const run = client.usersGroupsById(Array<number>(n).fill(0), []);
      await expect(run).rejects.toBeInstanceOf(SFTPFailure);
      await expect(run).rejects.toThrow(/users-groups-by-id: the names of \d+ ids do not fit in a reply/);
      expect(await client.usersGroupsById([0], [0])).toEqual({ users: ['root'], groups: ['root'] });
    } finally {
      await done();
    }
  });

  it('keeps the reply within a smaller packet length the server announces', async () => {
    const maxPacketLength = 32 * 1024;
    const { client, done } = await session(maxPacketLength);
    try {
      expect(client.limits.maxPacketLen).toBe(maxPacketLength);
      const most = Math.floor((maxPacketLength - 13) / 8);
      expect((await client.usersGroupsById(Array<number>(most).fill(0), [])).users).toHaveLength(most);
      await expect(client.usersGroupsById(Array<number>(most).fill(0), [0])).rejects.toThrow(/do not fit in a reply of 32768 bytes/);
    } finally {
      await done();
    }
  });
});
