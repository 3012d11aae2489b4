/**
 * An SFTP client and one of our file servers over an in-memory pipe: the server chrooted in a fresh
 * temporary directory, a second one for the local side. Each test file calls `memorySessions()`
 * once; the sessions it opens are closed and their directories removed after every test.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type SFTPClient, createMemoryPipe, runSftpServer } from '../../src/index.ts';
import { type LocalSFTPServer, startSftpClient } from '../../src/node/index.ts';

export interface MemorySession<S> {
  readonly client: SFTPClient;
  readonly server: S;
  /** The server's root. */
  readonly dir: string;
  /** A directory for the client's local files. */
  readonly local: string;
}

type ClientOptions = NonNullable<Parameters<typeof startSftpClient>[1]>;

export function memorySessions(prefix: string): <S extends LocalSFTPServer>(makeServer: (root: string) => S, options?: ClientOptions) => Promise<MemorySession<S>> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (makeServer, options = {}) => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), `${prefix}-`)));
    const local = realpathSync(mkdtempSync(join(tmpdir(), `${prefix}-local-`)));
    cleanups.push(async () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(local, { recursive: true, force: true });
    });
    const server = makeServer(dir);
    const [clientEnd, serverEnd] = createMemoryPipe();
    const served = runSftpServer(serverEnd, server);
    const client = await startSftpClient(clientEnd, options);
    cleanups.push(async () => {
      client.exit();
      await served;
      await client.waitClosed();
    });
    return { client, server, dir, local };
  };
}
