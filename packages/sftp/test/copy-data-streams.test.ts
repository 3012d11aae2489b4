/**
 * copy-data over Node streams with the local file system: a half-closed input lets a copy finish
 * and be answered; a destroyed output (the connection is gone) stops a copy of a sparse file of
 * many GiB within a few chunks.
 */
import { mkdtempSync, realpathSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ServerFile, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, fromNodeStreams, startSftpClient } from '../src/node/index.ts';

/** The local file system, counting the writes it is asked for. */
class CountingServer extends LocalSFTPServer {
  writes = 0;
  override write(f: ServerFile, offset: number, data: Uint8Array): Promise<void> {
    this.writes++;
    return super.write(f, offset, data);
  }
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((resolve) => setTimeout(resolve, 2));
}

let dir: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-copy-streams-')));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Our server on two pipes in `dir`, and a client on their other ends. The client never ends the
 * server's input itself (as when the connection is cut between them): what the server sees is
 * only what a test does to the pipes.
 */
async function session() {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = new CountingServer({ chroot: dir });
  const served = runSftpServer(fromNodeStreams(toServer, toClient), server);
  const client = await startSftpClient({ ...fromNodeStreams(toClient, toServer), close: () => undefined }, { version: 3 });
  return { toServer, toClient, server, served, client };
}

describe('copy-data over Node streams', () => {
  it('stops within a few chunks when the output is destroyed mid-copy of a 64 GiB sparse file', async () => {
    truncateSync((writeFileSync(join(dir, 'huge'), ''), join(dir, 'huge')), 64 * 2 ** 30);
    const { toClient, server, served, client } = await session();
    const src = await client.open('huge', 'rb');
    const dst = await client.open('copy', 'wb');
    const copying = client.remoteCopy(src, dst).then(
      () => 'done',
      () => 'failed',
    );
    await until(() => server.writes >= 8);
    const atBreak = server.writes;
    toClient.destroy();
    await served;
    const atEnd = server.writes;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.writes).toBe(atEnd);
    // The chunk in flight, and perhaps the next one begun before the close was seen.
    expect(atEnd - atBreak).toBeLessThanOrEqual(2);
    expect(statSync(join(dir, 'copy')).size).toBeLessThan(64 << 20);
    expect(await copying).toBe('failed');
  }, 20_000);

  it('finishes and answers a copy-data when the input ends behind it', async () => {
    const size = 40 << 20;
    truncateSync((writeFileSync(join(dir, 'mid'), ''), join(dir, 'mid')), size);
    const { toServer, server, served, client } = await session();
    const src = await client.open('mid', 'rb');
    const dst = await client.open('copy', 'wb');
    const copying = client.remoteCopy(src, dst);
    await until(() => server.writes >= 1);
    // The client's side ends (a half-close): replies still reach it.
    toServer.end();
    await copying;
    await served;
    expect(statSync(join(dir, 'copy')).size).toBe(size);
    client.exit();
  }, 20_000);
});
