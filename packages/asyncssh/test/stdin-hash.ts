/** A server process's answer to the foreign-client tests: the size and SHA-256 of its whole stdin. */
import { createHash } from 'node:crypto';
import type { SSHServerProcess } from '../src/index.ts';

/** Reads stdin to its end and writes `<bytes> <sha256 hex>\n` to stdout. */
export async function writeStdinHash(process: SSHServerProcess<Uint8Array>): Promise<void> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of process.stdin) {
    hash.update(chunk);
    n += chunk.length;
  }
  process.stdout.write(new TextEncoder().encode(`${n} ${hash.digest('hex')}\n`));
}
