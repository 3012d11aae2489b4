/**
 * What a connection sends in one turn goes out in one socket write: replies to received messages
 * wait for the writes the application makes in its continuations. Back-to-back run() calls then
 * send the finished channel's CLOSE with the next channel's OPEN, two writes per exec instead of
 * three (ssh2 makes three), a syscall fewer for us and a wake-up fewer for the server.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, listen, type SSHAcceptor, type SSHServerProcess } from '../src/index.ts';
import { loopbackKeys } from './loopback-keys.ts';

const keys = loopbackKeys();
let acceptor: SSHAcceptor;

beforeAll(async () => {
  acceptor = await listen('127.0.0.1', 0, {
    ...keys.serverOptions,
    processFactory: (p: SSHServerProcess) => {
      p.exit(0);
    },
  });
});

afterAll(async () => {
  acceptor?.close();
  await acceptor?.waitClosed();
});

/** Counts the socket's writes to the kernel (one per _write or _writev call). */
function countWrites(socket: Socket): () => number {
  let writes = 0;
  const s = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = s[name].bind(socket);
    s[name] = (...args: unknown[]) => {
      writes++;
      return original(...args);
    };
  }
  return () => writes;
}

describe('socket writes per exec', () => {
  it('sends a finished channel’s CLOSE in the same write as the next run()’s OPEN', async () => {
    await using conn = await connect(keys.clientOptions(acceptor.getPort()));
    expect((await conn.run('true')).exitStatus).toBe(0);
    const writes = countWrites(conn.getExtraInfo('socket') as Socket);
    const runs = 10;
    for (let i = 0; i < runs; i++) expect((await conn.run('true')).exitStatus).toBe(0);
    // Per exec: CLOSE of the previous channel + OPEN, then the exec request + EOF; the last
    // CLOSE goes alone. One write more per exec would mean CLOSE and OPEN went apart.
    expect(writes()).toBeLessThanOrEqual(2 * runs + 1);
  });
});
