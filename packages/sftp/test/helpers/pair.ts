/** Our client and our LocalSFTPServer joined by an in-memory pipe, in a temp directory. */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SFTPClient, type SFTPClientOptions, type SftpServerOptions, createMemoryPipe, runSftpServer } from '../../src/index.ts';
import { LocalSFTPServer, type LocalSFTPServerOptions, startSftpClient } from '../../src/node/index.ts';

export interface Pair {
  readonly client: SFTPClient;
  /** The server's root (real path). */
  readonly dir: string;
  close(): Promise<void>;
}

export async function openPair(
  clientOptions: SFTPClientOptions = {},
  serverOptions: SftpServerOptions = {},
  local: (dir: string) => LocalSFTPServerOptions = (dir) => ({ chroot: dir }),
): Promise<Pair> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-pair-')));
  const [clientEnd, serverEnd] = createMemoryPipe();
  const served = runSftpServer(serverEnd, new LocalSFTPServer(local(dir)), serverOptions);
  const client = await startSftpClient(clientEnd, clientOptions);
  return {
    client,
    dir,
    async close() {
      client.exit();
      await served;
      await client.waitClosed();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
