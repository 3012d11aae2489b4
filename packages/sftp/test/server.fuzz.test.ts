/**
 * Our server fed random and mutated requests (inside a chroot): it answers every framed packet
 * that carries a request id, never crashes, and keeps serving valid requests afterwards.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FXP, PacketFramer, createMemoryPipe, decodeResponse, encodeInit, encodeRequest, runSftpServer } from '../src/index.ts';
import { LocalSFTPServer } from '../src/node/index.ts';

let root: string;
beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'sftp-fuzz-')));
  writeFileSync(join(root, 'f'), 'content');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/** Sends INIT, the packets, then a STAT of "f"; returns the replies (decoded payloads). */
async function exchange(version: number, packets: readonly Uint8Array[]): Promise<{ replies: number; finalOk: boolean }> {
  // Random requests may remove or rename it: the probe needs it back.
  rmSync(join(root, 'f'), { recursive: true, force: true });
  writeFileSync(join(root, 'f'), 'content');
  const [client, server] = createMemoryPipe();
  const served = runSftpServer(server, new LocalSFTPServer({ chroot: root }));
  void client.write(encodeInit(FXP.INIT, { version, extensions: [] }));
  for (const p of packets) void client.write(frame(p));
  const probeId = 0x7fff_fff0;
  void client.write(encodeRequest({ kind: 'stat', id: probeId, path: 'f' }, version));
  const framer = new PacketFramer(1 << 20);
  let replies = 0;
  let finalOk = false;
  let first = true;
  for await (const chunk of client.readable) {
    for (const p of framer.push(chunk)) {
      if (first) {
        first = false;
        continue;
      }
      replies++;
      const r = decodeResponse(p, version);
      if (r.id === probeId) {
        finalOk = r.kind === 'attrs' && r.attrs.size === 7;
        client.close();
      }
    }
  }
  await served;
  return { replies, finalOk };
}

describe('server fuzz', () => {
  it.each([3, 4, 5, 6])('v%i: answers every request-shaped packet and keeps serving', async (version) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            // A known packet type and an id, then garbage.
            fc.tuple(fc.integer({ min: 3, max: 23 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 60 })).map(([t, id, rest]) => {
              const p = new Uint8Array(5 + rest.length);
              p[0] = t;
              new DataView(p.buffer).setUint32(1, id);
              p.set(rest, 5);
              return p;
            }),
            // Any type byte at all.
            fc.uint8Array({ minLength: 5, maxLength: 40 }),
          ),
          { maxLength: 8 },
        ),
        async (packets) => {
          // Requests with the probe's id could be answered in its place: keep ids apart.
          const safe = packets.filter((p) => new DataView(p.buffer, p.byteOffset).getUint32(1) !== 0x7fff_fff0);
          const { replies, finalOk } = await exchange(version, safe);
          expect(finalOk).toBe(true);
          expect(replies).toBe(safe.length + 1);
        },
      ),
      { numRuns: 40, interruptAfterTimeLimit: 4000 },
    );
  }, 30000);

  it('ends the session on a packet length above the limit', async () => {
    const [client, server] = createMemoryPipe();
    const served = runSftpServer(server, new LocalSFTPServer({ chroot: root }), { maxPacketLength: 1000 });
    void client.write(Uint8Array.of(0, 0, 0x10, 0));
    await served;
    const chunks: Uint8Array[] = [];
    for await (const c of client.readable) chunks.push(c);
    expect(chunks).toEqual([]);
  });
});
