/** Our client and our LocalSFTPServer joined by an in-memory pipe, in a temp directory. */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SFTPClient, type SFTPClientOptions, type SftpByteStream, type SftpServerOptions, createMemoryPipe, runSftpServer } from '../../src/index.ts';
import { LocalSFTPServer, type LocalSFTPServerOptions, startSftpClient } from '../../src/node/index.ts';

export interface Pair {
  readonly client: SFTPClient;
  /** The server's root (real path). */
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * `stream` as a transient stream: each chunk it reads is handed on in pieces of up to `piece`
 * bytes, and a piece's bytes are overwritten once the next piece is asked for, as when the memory
 * goes back to receive later packets. A reader that kept a view of a piece would see 0xEE.
 */
export function transientEnd(stream: SftpByteStream, piece: number): SftpByteStream {
  return {
    readable: (async function* () {
      for await (const chunk of stream.readable) {
        for (let at = 0; at < chunk.length; at += piece) {
          const part = chunk.slice(at, at + piece);
          yield part;
          part.fill(0xee);
        }
      }
    })(),
    transient: true,
    write: (chunk) => stream.write(chunk),
    close: () => stream.close(),
  };
}

export async function openPair(
  clientOptions: SFTPClientOptions = {},
  serverOptions: SftpServerOptions = {},
  local: (dir: string) => LocalSFTPServerOptions = (dir) => ({ chroot: dir }),
  /** Run both ends over transient streams cut in pieces of this size. */
  transientPiece?: number,
): Promise<Pair> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-pair-')));
  const [clientPipe, serverPipe] = createMemoryPipe();
  const clientEnd = transientPiece === undefined ? clientPipe : transientEnd(clientPipe, transientPiece);
  const serverEnd = transientPiece === undefined ? serverPipe : transientEnd(serverPipe, transientPiece);
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
