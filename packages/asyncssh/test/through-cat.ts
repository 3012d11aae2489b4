/** Round trips through a remote `cat`, for the tests of our client against foreign servers. */
import { expect } from 'vitest';
import type { SSHClientConnection } from '../src/index.ts';

/** Sends `data` through `cat` on `c` (1 MiB writes, reading as it goes) and returns what came back. */
export async function throughCat(c: SSHClientConnection, data: Uint8Array): Promise<Uint8Array> {
  const proc = await c.createProcess<Uint8Array>('cat', { encoding: null });
  const chunks: Uint8Array[] = [];
  const reading = (async () => {
    for (;;) {
      const chunk = await proc.stdout.read(1 << 16);
      if (chunk.length === 0) break;
      chunks.push(chunk);
    }
  })();
  for (let off = 0; off < data.length; off += 1 << 20) {
    proc.stdin.write(data.subarray(off, off + (1 << 20)));
    await proc.stdin.drain();
  }
  proc.stdin.writeEof();
  await reading;
  expect((await proc.wait({ timeout: 60 })).exitStatus).toBe(0);
  return Buffer.concat(chunks);
}
