/**
 * The server session runs WRITEs side by side up to a budget of data (4 MiB), not only up to a
 * count (64): a client with 64 WRITEs of 255 KiB in flight (OpenSSH's sftp against our limits)
 * would otherwise have the session hold 16 MiB of request bodies, most of them fresh buffers
 * outside the pool. Past the budget the session stops reading until a WRITE finishes.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SFTPClient, type ServerFile, createMemoryPipe, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer, startSftpClient } from '../src/node/index.ts';
import { pattern } from './helpers/pattern.ts';

/** A local server whose write() waits at a gate, counting the writes waiting there. */
class GatedServer extends LocalSFTPServer {
  waiting = 0;
  mostWaiting = 0;
  private gate: Promise<void>;
  private release!: () => void;
  private arrivals: Array<{ count: number; resolve: () => void }> = [];

  constructor(dir: string) {
    super({ chroot: dir });
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  override async write(f: ServerFile, offset: number, data: Uint8Array): Promise<void> {
    this.waiting++;
    this.mostWaiting = Math.max(this.mostWaiting, this.waiting);
    for (const a of this.arrivals.filter((x) => this.waiting >= x.count)) a.resolve();
    await this.gate;
    this.waiting--;
    await super.write(f, offset, data);
  }

  /** Resolves once `count` writes wait at the gate. */
  waitingReaches(count: number): Promise<void> {
    if (this.waiting >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ count, resolve }));
  }

  openGate(): void {
    this.release();
  }
}

const temps: string[] = [];
let client: SFTPClient | undefined;
let served: Promise<void> | undefined;
afterEach(async () => {
  client?.exit();
  await served;
  client = undefined;
  served = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

async function gatedPair(): Promise<{ server: GatedServer; client: SFTPClient; dir: string }> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-wbudget-')));
  temps.push(dir);
  const server = new GatedServer(dir);
  const [clientPipe, serverPipe] = createMemoryPipe();
  served = runSftpServer(serverPipe, server);
  client = await startSftpClient(clientPipe, { version: 3 });
  return { server, client, dir };
}

/**
 * `count` WRITEs of `size` bytes sent at once, bypassing the client's request window. `land()`
 * opens the gate and checks that every byte reached the file.
 */
async function flood(size: number, count: number): Promise<{ server: GatedServer; land: () => Promise<void> }> {
  const { server, client, dir } = await gatedPair();
  const f = await client.open('up', 'wb');
  const data = pattern(size * count);
  const replies = Promise.all(
    Array.from({ length: count }, (_, i) => client.session.request({ kind: 'write', handle: f.handle, offset: i * size, data: data.subarray(i * size, (i + 1) * size) })),
  );
  const land = async (): Promise<void> => {
    server.openGate();
    await replies;
    await f.close();
    expect(Buffer.from(readFileSync(join(dir, 'up'))).equals(Buffer.from(data))).toBe(true);
  };
  return { server, land };
}

/** Lets the session read on for a while: what it would start past its limits, it starts by then. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('server WRITEs in flight', () => {
  it('hold at most 4 MiB of data: 16 WRITEs of 255 KiB, the rest wait and then land intact', async () => {
    const { server, land } = await flood(255 * 1024, 40);
    await server.waitingReaches(16);
    await settle();
    expect(server.mostWaiting).toBe(16);
    await land();
  });

  it('still run 64 small WRITEs side by side', async () => {
    const { server, land } = await flood(4096, 100);
    await server.waitingReaches(64);
    await settle();
    expect(server.mostWaiting).toBe(64);
    await land();
  });
});
